"""The *libro de registro*: the filings of a day or a date range, in folio order, for the
supervisor — a preview, totals, and the CSV export (the PDF is :mod:`mailroom.libro_pdf`).

Rows are streamed from one query: a range of 10,000 filings is never held in memory, neither here
nor in the CSV writer. Files are written atomically (a temporary file beside the target, fsync,
rename, fsync of the folder), so a failure leaves the old file or none, never half of one.

The CSV comes in two flavours. ``write_csv`` (the command's standard output, for scripts) is plain
UTF-8 with the stored values. ``export_csv`` (a file for a person) is what Excel in Spanish opens
right: UTF-8 **with a BOM** — without it Excel reads the file as Windows-1252 and «Núñez» comes
out as «NÃºÃ±ez» — with commas (Mexico's list separator is the comma, its decimal separator the
point), and with any cell that starts like a formula (``=``, ``+``, ``-``, ``@``) prefixed with an
apostrophe, because a sender name or subject typed by a citizen must not run as a formula on the
supervisor's computer (CSV injection; OWASP's advice).

The sender's CURP, RFC, e-mail and phone share one column; a filing marked sensitive shows them
masked (``mailroom.masking``) in the preview, both CSVs and the PDF alike.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import IO, TextIO, TypeVar

import sqlite_utils

from mailroom import fsutil
from mailroom.errors import InvalidInput, StorageError
from mailroom.masking import shown_sender
from mailroom.models import STATUS_LABELS, Channel, FilingStatus, Sender, SyncStatus
from mailroom.receipt.spanish import CHANNELS, SYNC_STATES, utc_offset

T = TypeVar("T")

COLUMNS = (
    ("folio", "Folio"),
    ("received_at", "Recibido"),
    ("channel", "Canal"),
    ("sender_name", "Remitente"),
    ("sender_organization", "Dependencia u organización"),
    ("sender_identifiers", "CURP, RFC y contacto"),
    ("subject", "Asunto"),
    ("document_number", "Número de oficio"),
    ("areas", "Área turnada"),
    ("fojas_declared", "Fojas declaradas"),
    ("pages_scanned", "Páginas digitalizadas"),
    ("annexes", "Anexos"),
    ("status", "Estado"),
    ("sync_status", "Sincronización"),
    ("institutional_folio", "Folio institucional"),
    ("clerk", "Recibió"),
)

STATUS_NAMES = STATUS_LABELS

PREVIEW_LIMIT = 2000
"""Rows the screen's preview loads; the totals, the PDF and the CSV always cover the whole range."""

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Direct addressees before copies, annexes as declared. (SQLite 3.40 has no ORDER BY inside
# group_concat; it concatenates an ordered subquery's rows in that order.)
_ROWS_SQL = """
    SELECT f.*,
      (SELECT group_concat(label, '; ') FROM (
         SELECT area || CASE role WHEN 'copia' THEN ' (copia)' ELSE '' END AS label
         FROM filing_addressees WHERE filing_uuid = f.uuid ORDER BY role = 'copia', area
       )) AS areas,
      (SELECT group_concat(label, '; ') FROM (
         SELECT description || ' (' || pages || ' fojas)' AS label
         FROM annexes WHERE filing_uuid = f.uuid ORDER BY id
       )) AS annexes
    FROM filings f WHERE f.received_date BETWEEN ? AND ?
    ORDER BY f.year, f.device, f.seq
"""
_TOTALS_SQL = """
    SELECT status, count(*) AS filings, coalesce(sum(pages_scanned), 0) AS pages,
      coalesce(sum(fojas_declared), 0) AS fojas
    FROM filings WHERE received_date BETWEEN ? AND ? GROUP BY status
"""


@dataclass(frozen=True)
class Period:
    """The days the libro covers, both included."""

    first: date
    last: date

    def __post_init__(self) -> None:
        if self.first > self.last:
            raise InvalidInput(
                f"La fecha inicial ({self.first.isoformat()}) es posterior a la final "
                f"({self.last.isoformat()}).",
                field="desde",
            )

    @classmethod
    def day(cls, day: date) -> Period:
        return cls(day, day)

    @property
    def label(self) -> str:
        """``del 09/03/2026`` or ``del 01/03/2026 al 09/03/2026``."""
        if self.first == self.last:
            return f"del {self.first:%d/%m/%Y}"
        return f"del {self.first:%d/%m/%Y} al {self.last:%d/%m/%Y}"

    @property
    def file_stem(self) -> str:
        if self.first == self.last:
            return f"libro-{self.first.isoformat()}"
        return f"libro-{self.first.isoformat()}-al-{self.last.isoformat()}"


@dataclass(frozen=True)
class LibroTotals:
    filings: int = 0
    pages_scanned: int = 0
    fojas_declared: int = 0
    by_status: tuple[tuple[FilingStatus, int], ...] = ()  # lifecycle order, only present ones

    @property
    def summary(self) -> str:
        """``23 escritos, 187 páginas`` (the screen's status line)."""
        filings = "1 escrito" if self.filings == 1 else f"{self.filings} escritos"
        pages = "1 página" if self.pages_scanned == 1 else f"{self.pages_scanned} páginas"
        return f"{filings}, {pages}"

    @property
    def status_summary(self) -> str:
        """``registrada: 20 · turnada: 3``."""
        return " · ".join(f"{STATUS_NAMES[status]}: {n}" for status, n in self.by_status)


class TotalsCounter:
    """Adds up the totals while rows stream past (the PDF prints them after the last row)."""

    def __init__(self) -> None:
        self.filings = self.pages = self.fojas = 0
        self.statuses: Counter[str] = Counter()

    def add(self, row: dict[str, object]) -> None:
        self.filings += 1
        self.pages += int(row["pages_scanned"] or 0)  # type: ignore[call-overload]
        self.fojas += int(row["fojas_declared"] or 0)  # type: ignore[call-overload]
        self.statuses[str(row["status"])] += 1

    def totals(self) -> LibroTotals:
        by_status = tuple((s, self.statuses[s.value]) for s in FilingStatus if self.statuses[s])
        return LibroTotals(self.filings, self.pages, self.fojas, by_status)


@dataclass(frozen=True)
class LibroPreview:
    period: Period
    rows: tuple[tuple[str, ...], ...]  # display texts in COLUMNS order, at most PREVIEW_LIMIT
    totals: LibroTotals

    @property
    def truncated(self) -> bool:
        return len(self.rows) < self.totals.filings


def rows(db: sqlite_utils.Database, period: Period) -> Iterator[dict[str, object]]:
    """The filings of the period in folio order (year, device, sequence), one at a time."""
    for row in db.query(_ROWS_SQL, [period.first.isoformat(), period.last.isoformat()]):
        row["sender_identifiers"] = sender_identifiers(row)
        yield row


def sender_identifiers(row: dict[str, object]) -> str:
    """``CURP … · RFC … · correo · teléfono``, masked when the filing is sensitive."""
    sender = shown_sender(
        Sender(
            name="",
            curp=_text_or_none(row["sender_curp"]),
            rfc=_text_or_none(row["sender_rfc"]),
            email=_text_or_none(row["sender_email"]),
            phone=_text_or_none(row["sender_phone"]),
        ),
        sensitive=bool(row["sensitive"]),
    )
    parts = (
        f"CURP {sender.curp}" if sender.curp else "",
        f"RFC {sender.rfc}" if sender.rfc else "",
        sender.email or "",
        f"tel. {sender.phone}" if sender.phone else "",
    )
    return " · ".join(part for part in parts if part)


def _text_or_none(value: object) -> str | None:
    return str(value) if value not in (None, "") else None


def day_rows(db: sqlite_utils.Database, day: date) -> Iterator[dict[str, object]]:
    yield from rows(db, Period.day(day))


def totals(db: sqlite_utils.Database, period: Period) -> LibroTotals:
    counter = TotalsCounter()
    for row in db.query(_TOTALS_SQL, [period.first.isoformat(), period.last.isoformat()]):
        counter.filings += int(row["filings"])
        counter.pages += int(row["pages"])
        counter.fojas += int(row["fojas"])
        counter.statuses[str(row["status"])] = int(row["filings"])
    return counter.totals()


def preview(db: sqlite_utils.Database, period: Period, limit: int = PREVIEW_LIMIT) -> LibroPreview:
    shown: list[tuple[str, ...]] = []
    for row in rows(db, period):
        if len(shown) >= limit:
            break
        shown.append(display_values(row))
    return LibroPreview(period, tuple(shown), totals(db, period))


def display_values(row: dict[str, object]) -> tuple[str, ...]:
    """A row as a person reads it: dates as dd/mm/aaaa hh:mm with their offset, names of states
    and channels in Spanish, empty for what was not given."""
    return tuple(_display(key, row[key]) for key, _ in COLUMNS)


def _display(key: str, value: object) -> str:
    if value is None or value == "":
        return ""
    text = str(value)
    if key == "received_at":
        moment = datetime.fromisoformat(text)
        return f"{moment:%d/%m/%Y %H:%M} ({utc_offset(moment)})"
    if key == "status":
        return STATUS_NAMES.get(FilingStatus(text), text)
    if key == "sync_status":
        return SYNC_STATES.get(SyncStatus(text), text)
    if key == "channel":
        return CHANNELS.get(Channel(text), text)
    return text


def write_csv(db: sqlite_utils.Database, day: date, out: TextIO) -> int:
    """The day's libro as plain CSV (stored values, no BOM) on ``out``; returns the row count."""
    return write_csv_rows(db, Period.day(day), out).filings


def write_csv_rows(
    db: sqlite_utils.Database, period: Period, out: TextIO, *, for_excel: bool = False
) -> LibroTotals:
    writer = csv.writer(out)
    writer.writerow([label for _, label in COLUMNS])
    counter = TotalsCounter()
    for row in rows(db, period):
        values = ["" if row[key] is None else str(row[key]) for key, _ in COLUMNS]
        writer.writerow([_defused(v) for v in values] if for_excel else values)
        counter.add(row)
    return counter.totals()


def export_csv(db: sqlite_utils.Database, period: Period, path: Path) -> LibroTotals:
    """Write the period's libro to ``path`` for Excel (BOM, formulas defused), atomically."""

    def write(binary: IO[bytes]) -> LibroTotals:
        text = io.TextIOWrapper(binary, encoding="utf-8-sig", newline="")
        try:
            return write_csv_rows(db, period, text, for_excel=True)
        finally:
            text.flush()
            text.detach()  # the caller closes the file after fsync

    return write_atomically(Path(path), write)


def _defused(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def write_atomically(path: Path, write: Callable[[IO[bytes]], T], *, mode: int = 0o644) -> T:
    """Run ``write`` on a temporary file beside ``path`` and put it in place only when it
    succeeded; a failure (a full disk, an error while reading the rows) leaves no file behind
    and the old one, if any, as it was."""
    return fsutil.write_atomically(path, write, mode=mode, failed=_storage_error)


def _storage_error(path: Path, error: OSError) -> StorageError:
    return StorageError(
        f"No se pudo guardar {path}: {error.strerror or error}. Revise que la carpeta exista, "
        "que tenga permiso de escritura y que haya espacio libre.",
        path=path,
    )
