"""What the registration form reads: the catalogs it offers and the folios that already hold a
document. No Qt here; the form's widgets call these through the task helper.

The catalogs (procedures, departments) are the ones sync downloads into ``catalog_items``; until
the first sync they are empty, so the departments and procedures already used in filings are
offered instead and the clerk types freely. The duplicate pre-check asks the question
``IntakeService`` refuses a registration with, before the clerk has filled the form.
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path

import sqlite_utils

from mailroom.errors import UnreadableFile
from mailroom.inbox_query import departments as used_departments
from mailroom.receipt.spanish import MONTHS


@dataclass(frozen=True)
class CatalogItem:
    code: str
    name: str
    department: str | None = None  # procedures: the department (its name) that handles it


@dataclass(frozen=True)
class Catalogs:
    """``*_from_catalog``: the list came from the synced catalog, so only its values are taken."""

    procedures: tuple[CatalogItem, ...] = ()
    departments: tuple[CatalogItem, ...] = ()
    procedures_from_catalog: bool = False
    departments_from_catalog: bool = False


@dataclass(frozen=True)
class DuplicateHit:
    sha256: str
    filename: str  # as registered the first time
    folio: str
    received_at: datetime
    cancelled: bool = False

    def sentence(self) -> str:
        when = f"{short_datetime(self.received_at)}{', cancelado' if self.cancelled else ''}"
        return f"Este documento ya fue registrado con el folio {self.folio} ({when})."


def short_datetime(moment: datetime) -> str:
    """``9 de marzo de 2026, 10:30``."""
    return f"{moment.day} de {MONTHS[moment.month - 1]} de {moment.year}, {moment:%H:%M}"


@lru_cache(maxsize=8192)
def match_key(text: str) -> str:
    """Case-, accent- and spacing-insensitive: «tesoreria» finds «Tesorería». Cached: the form
    compares every catalog name on each key the clerk presses."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.casefold().split())


def find(typed: str, items: Sequence[CatalogItem]) -> CatalogItem | None:
    """The item whose name or code the clerk typed (accents and case aside), or the only one
    whose name contains what was typed («desarrollo urbano» → «Dirección de Desarrollo Urbano»)."""
    key = match_key(typed)
    if not key:
        return None
    exact = [i for i in items if key in (match_key(i.name), match_key(i.code))]
    partial = [i for i in items if key in match_key(i.name)]
    found = exact or partial
    return found[0] if len(found) == 1 else None


def canonical(typed: str, items: Sequence[CatalogItem]) -> str:
    """The catalog's spelling of what was typed, or the typed text tidied when not in it."""
    item = find(typed, items)
    return item.name if item is not None else " ".join(typed.split())


def load_catalogs(db: sqlite_utils.Database) -> Catalogs:
    """Procedures and departments from the synced catalogs; before any sync, the departments
    and procedures already used in filings (typed freely, so not enforced)."""
    departments = _catalog(db, "departments")
    by_code = {item.code: item.name for item in departments}
    procedures = tuple(
        CatalogItem(i.code, i.name, by_code.get(i.department or "", i.department))
        for i in _catalog(db, "procedures")
    )
    used_procedures = tuple(
        CatalogItem(row[0], row[0])
        for row in db.execute(
            "SELECT DISTINCT procedure_type FROM filings WHERE procedure_type IS NOT NULL "
            "AND procedure_type != '' ORDER BY 1"
        )
    )
    return Catalogs(
        procedures=procedures or used_procedures,
        departments=departments or tuple(CatalogItem(n, n) for n in used_departments(db)),
        procedures_from_catalog=bool(procedures),
        departments_from_catalog=bool(departments),
    )


def _catalog(db: sqlite_utils.Database, name: str) -> tuple[CatalogItem, ...]:
    rows = db.execute(
        "SELECT code, name, data FROM catalog_items WHERE catalog = ? ORDER BY name", [name]
    )
    items = []
    for code, label, data in rows:
        extra = json.loads(data) if data else {}
        department = extra.get("department") if isinstance(extra, dict) else None
        items.append(CatalogItem(str(code), str(label), str(department) if department else None))
    return tuple(items)


def find_duplicates(db: sqlite_utils.Database, sha256s: Iterable[str]) -> tuple[DuplicateHit, ...]:
    """Registered filings that already hold a document with one of these SHA-256 — the query
    ``IntakeService`` refuses a registration with, asked before the clerk fills the form."""
    hits: list[DuplicateHit] = []
    for sha256 in dict.fromkeys(sha256s):
        rows = db.execute(
            "SELECT f.folio, MIN(d.filename), f.received_at, f.status FROM documents d "
            "JOIN filings f ON f.uuid = d.filing_uuid "
            "WHERE d.sha256 = ? GROUP BY f.folio ORDER BY f.folio",
            [sha256],
        )
        hits.extend(
            DuplicateHit(
                sha256, filename, folio, datetime.fromisoformat(received), status == "cancelada"
            )
            for folio, filename, received, status in rows
        )
    return tuple(hits)


def find_duplicates_of_files(
    db: sqlite_utils.Database, paths: Sequence[Path]
) -> tuple[DuplicateHit, ...]:
    """:func:`find_duplicates` for files not yet captured (hashes them as capture does)."""
    return find_duplicates(db, (_file_sha256(Path(p)) for p in paths))


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(1024 * 1024):
                digest.update(chunk)
    except OSError as error:
        raise UnreadableFile(
            f"No se pudo leer «{path.name}» para buscar si ya se registró: {error.strerror}.",
            path=path,
        ) from error
    return digest.hexdigest()
