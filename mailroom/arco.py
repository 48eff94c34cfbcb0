"""The rights of access, rectification, cancellation and opposition (ARCO) over what the office
holds about one person: find it, hand it over, and record each request and what was done.

Finding is strict on purpose: an access report that carries someone else's filing would itself
be a disclosure. A CURP or an RFC matches a filing only when the filing says it *now* (its
corrections applied: a CURP typed wrong and corrected later belongs to the corrected one); a
name matches only when every word of it is in the sender's name, without regard to accents or
case, and a name must have at least two words. Filings without that CURP are not found by it
(the report says so): a homonym is never attributed to the person by guesswork.

Cancellation and opposition meet the archival rules: a registered filing is evidence of a public
act and the office must keep it (its register line, its documents, the audit trail) until its
retention period ends. So such a request, once granted, restricts each of the person's filings
to the uses the law still requires (``filing_restrictions``), and its resolution says what could
not be deleted and until when. Every step is an audit event.

Exports and the PDF report are in :mod:`mailroom.arco_export` and :mod:`mailroom.arco_pdf`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal, cast

import sqlite_utils

from mailroom.config import Settings
from mailroom.corrections import Correction, CurrentValues, corrections_of, current_values
from mailroom.errors import InvalidInput
from mailroom.filing_detail import describe_event
from mailroom.identifiers import validate_curp, validate_rfc
from mailroom.models import Channel, FilingId, FilingStatus, Folio, Sender
from mailroom.retention import RetentionPolicy, retention_ends

SubjectKind = Literal["curp", "rfc", "nombre"]
SUBJECT_KINDS: dict[str, str] = {"curp": "CURP", "rfc": "RFC", "nombre": "nombre"}
REQUEST_KINDS: dict[str, str] = {
    "acceso": "acceso",
    "rectificacion": "rectificación",
    "cancelacion": "cancelación",
    "oposicion": "oposición",
}
MIN_NAME_WORDS = 2

_WORD = re.compile(r"[^\W_]+")


def name_words(text: str) -> tuple[str, ...]:
    """A name's words as the search compares them: lower case, accents and the tilde of ñ
    folded (as the search index folds them), punctuation dropped."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    return tuple(_WORD.findall(plain.casefold()))


@dataclass(frozen=True)
class SubjectKey:
    """Whom a search or a request is about: a normalised CURP, RFC, or a name's words."""

    kind: SubjectKind
    value: str

    @classmethod
    def parse(cls, kind: str, text: str) -> SubjectKey:
        """The key, or ``InvalidInput`` in Spanish (a malformed CURP says which part)."""
        kind = kind.strip().lower()
        if kind not in SUBJECT_KINDS:
            raise InvalidInput(f"Busque por CURP, RFC o nombre, no por «{kind}».", field="clave")
        if not (text or "").strip():
            raise InvalidInput(
                f"Escriba {'el nombre' if kind == 'nombre' else 'la ' + SUBJECT_KINDS[kind]} "
                "de la persona que se busca.",
                field=kind,
            )
        if kind == "curp":
            return cls("curp", validate_curp(text, check_digit=False))
        if kind == "rfc":
            return cls("rfc", validate_rfc(text, check_digit=False))
        words = name_words(text)
        if len(words) < MIN_NAME_WORDS:
            raise InvalidInput(
                "Escriba el nombre con al menos un apellido: con una sola palabra saldrían "
                "escritos de otras personas.",
                field="nombre",
            )
        return cls("nombre", " ".join(words))

    @property
    def label(self) -> str:
        if self.kind == "nombre":
            return f"nombre «{self.value}»"
        return f"{SUBJECT_KINDS[self.kind]} {self.value}"

    def matches(self, sender: Sender) -> bool:
        if self.kind == "curp":
            return sender.curp == self.value
        if self.kind == "rfc":
            return sender.rfc == self.value
        return set(self.value.split()) <= set(name_words(sender.name))


@dataclass(frozen=True)
class HeldDocument:
    ordinal: int
    filename: str
    mime: str
    sha256: str
    size: int
    pages: int
    held_locally: bool  # False once retention removed the local copy (the hash stays)


@dataclass(frozen=True)
class HeldAcuse:
    seal_state: str
    sha256: str
    signature_level: str | None
    sealed_at: str | None


@dataclass(frozen=True)
class HeldEvent:
    at: datetime
    kind: str
    label: str


@dataclass(frozen=True)
class Restriction:
    request_id: int
    kind: str
    keep_until: date
    at: datetime


@dataclass(frozen=True)
class HeldFiling:
    id: FilingId
    folio: Folio
    received_at: datetime
    channel: Channel
    status: FilingStatus
    procedure_type: str | None
    current: CurrentValues
    clerk: str
    institutional_folio: str | None
    documents: tuple[HeldDocument, ...]
    acuse: HeldAcuse | None
    corrections: tuple[Correction, ...]
    events: tuple[HeldEvent, ...]
    restrictions: tuple[Restriction, ...]


@dataclass(frozen=True)
class ArcoRequest:
    id: int
    kind: str
    key: SubjectKey
    requester: str
    received_on: date
    details: str
    status: str  # "pendiente" | "resuelta"
    granted: bool | None
    resolution: str | None
    resolved_at: datetime | None
    recorded_at: datetime
    actor: str

    @property
    def kind_label(self) -> str:
        return REQUEST_KINDS.get(self.kind, self.kind)


@dataclass(frozen=True)
class ArcoReport:
    """What a report says besides the data: who produced it, when, for which request."""

    office_name: str
    produced_at: datetime
    produced_by: str
    request: ArcoRequest | None


@dataclass(frozen=True)
class PersonData:
    """Everything held about one person, as found by one key."""

    key: SubjectKey
    filings: tuple[HeldFiling, ...]
    requests: tuple[ArcoRequest, ...]

    @property
    def documents(self) -> int:
        return sum(len(f.documents) for f in self.filings)

    @property
    def notes(self) -> tuple[str, ...]:
        """What the reader of the report must know about how it was searched."""
        if self.key.kind == "nombre":
            return (
                "Búsqueda por nombre: se incluyen los escritos cuyo remitente lleva todas las "
                "palabras buscadas, sin distinguir acentos ni mayúsculas.",
            )
        label = SUBJECT_KINDS[self.key.kind]
        return (
            f"Búsqueda por {label}: se incluyen los escritos que registran esa {label}, con "
            "las correcciones aplicadas. Los escritos donde no se anotó pueden buscarse por "
            "nombre.",
        )


# -- finding -----------------------------------------------------------------------------------


def find_person(db: sqlite_utils.Database, key: SubjectKey, settings: Settings) -> PersonData:
    """The person's filings (oldest first) and the ARCO requests about them. Read-only; the
    caller has checked ``Action.ARCO``."""
    filings = []
    for uuid in _candidates(db, key):
        current = current_values(db, uuid)
        if key.matches(current.sender):
            filings.append(_held_filing(db, current, settings))
    filings.sort(key=lambda f: (f.received_at, f.folio))
    return PersonData(key, tuple(filings), related_requests(db, key, filings))


def _candidates(db: sqlite_utils.Database, key: SubjectKey) -> list[str]:
    """Filings that may match, by index; :meth:`SubjectKey.matches` decides on the corrected
    values (a candidate whose CURP was corrected away from the key is dropped there)."""
    if key.kind in ("curp", "rfc"):
        column = "sender_curp" if key.kind == "curp" else "sender_rfc"
        rows = db.execute(
            f"SELECT uuid FROM filings WHERE {column} = ? "  # noqa: S608 - one of two names
            "UNION SELECT filing_uuid FROM corrections WHERE field = ? AND value_after = ?",
            [key.value, key.kind, key.value],
        )
        return [row[0] for row in rows]
    # The sender column of the index follows corrections (mailroom.corrections._reindex) and
    # folds accents the same way name_words does.
    match = " AND ".join(f'"{word}"' for word in key.value.split())
    rows = db.execute(
        "SELECT f.uuid FROM filings_fts JOIN filings f ON f.rowid = filings_fts.rowid "
        "WHERE filings_fts MATCH ?",
        [f"sender : ({match})"],
    )
    return [row[0] for row in rows]


def _held_filing(
    db: sqlite_utils.Database, current: CurrentValues, settings: Settings
) -> HeldFiling:
    row = db.execute(
        "SELECT received_at, channel, status, procedure_type, clerk, institutional_folio "
        "FROM filings WHERE uuid = ?",
        [current.filing_id],
    ).fetchone()
    return HeldFiling(
        id=current.filing_id,
        folio=current.folio,
        received_at=datetime.fromisoformat(row[0]).astimezone(settings.zone),
        channel=Channel(row[1]),
        status=FilingStatus(row[2]),
        procedure_type=row[3],
        current=current,
        clerk=row[4],
        institutional_folio=row[5],
        documents=_documents(db, current.filing_id),
        acuse=_acuse(db, current.filing_id),
        corrections=corrections_of(db, current.filing_id),
        events=_events(db, current.filing_id, settings),
        restrictions=restrictions_of(db, current.filing_id),
    )


def _documents(db: sqlite_utils.Database, filing_id: str) -> tuple[HeldDocument, ...]:
    removed = "b.removed_at IS NULL" if _has_column(db, "blobs", "removed_at") else "1"
    rows = db.execute(
        f"SELECT d.ordinal, d.filename, d.mime, d.sha256, d.size, d.page_count, {removed} "  # noqa: S608
        "FROM documents d LEFT JOIN blobs b ON b.sha256 = d.sha256 "
        "WHERE d.filing_uuid = ? ORDER BY d.ordinal",
        [filing_id],
    )
    return tuple(HeldDocument(r[0], r[1], r[2], r[3], r[4], r[5], bool(r[6])) for r in rows)


def _acuse(db: sqlite_utils.Database, filing_id: str) -> HeldAcuse | None:
    row = db.execute(
        "SELECT seal_state, coalesce(sealed_sha256, unsealed_sha256), signature_level, "
        "sealed_at FROM acuses WHERE filing_uuid = ?",
        [filing_id],
    ).fetchone()
    return HeldAcuse(*row) if row else None


def _events(db: sqlite_utils.Database, filing_id: str, settings: Settings) -> tuple[HeldEvent, ...]:
    """Kinds and dates only: an event's payload and actor may name other people (the staff,
    the areas' notes), which an access report about this person does not hand over."""
    events = []
    for at, kind in db.execute(
        "SELECT at, kind FROM events WHERE filing_uuid = ? ORDER BY seq", [filing_id]
    ):
        label, _details = describe_event(kind, {})
        events.append(HeldEvent(datetime.fromisoformat(at).astimezone(settings.zone), kind, label))
    return tuple(events)


def restrictions_of(db: sqlite_utils.Database, filing_id: str) -> tuple[Restriction, ...]:
    return tuple(
        Restriction(r[0], r[1], date.fromisoformat(r[2]), datetime.fromisoformat(r[3]))
        for r in db.execute(
            "SELECT arco_request_id, kind, keep_until, at FROM filing_restrictions "
            "WHERE filing_uuid = ? ORDER BY id",
            [filing_id],
        )
    )


def _has_column(db: sqlite_utils.Database, table: str, column: str) -> bool:
    return any(row[1] == column for row in db.execute(f"PRAGMA table_info({table})"))


# -- requests ----------------------------------------------------------------------------------


def request_row(row: Mapping[str, object]) -> ArcoRequest:
    resolved = row["resolved_at"]
    granted = row["granted"]
    return ArcoRequest(
        id=int(cast(int, row["id"])),
        kind=str(row["kind"]),
        key=SubjectKey(cast(SubjectKind, row["subject_kind"]), str(row["subject"])),
        requester=str(row["requester"]),
        received_on=date.fromisoformat(str(row["received_on"])),
        details=str(row["details"]),
        status=str(row["status"]),
        granted=None if granted is None else bool(granted),
        resolution=None if row["resolution"] is None else str(row["resolution"]),
        resolved_at=datetime.fromisoformat(str(resolved)) if resolved else None,
        recorded_at=datetime.fromisoformat(str(row["recorded_at"])),
        actor=str(row["actor"]),
    )


def related_requests(
    db: sqlite_utils.Database, key: SubjectKey, filings: list[HeldFiling]
) -> tuple[ArcoRequest, ...]:
    """Requests keyed by the searched key, or by a CURP, an RFC or the exact name that the
    person's filings carry (a request recorded by CURP shows in a search by name)."""
    keys: set[tuple[str, str]] = {(key.kind, key.value)}
    for filing in filings:
        sender = filing.current.sender
        keys.update((kind, value) for kind, value in _keys_of(sender) if value)
    found = [
        request_row(row)
        for row in db.query("SELECT * FROM arco_requests ORDER BY id")
        if (row["subject_kind"], row["subject"]) in keys
    ]
    return tuple(found)


def keep_until(settings: Settings, procedure_type: str | None, received_at: datetime) -> date:
    """The day the filing's retention period ends (``mailroom.retention``'s rule)."""
    years = RetentionPolicy.from_settings(settings).years_for(procedure_type)
    return retention_ends(received_at, years)


def _keys_of(sender: Sender) -> Iterable[tuple[str, str | None]]:
    return (
        ("curp", sender.curp),
        ("rfc", sender.rfc),
        ("nombre", " ".join(name_words(sender.name))),
    )
