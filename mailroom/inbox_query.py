"""The inbox's pages: filings newest first, filtered, one bounded page at a time. No Qt here.

The desktop inbox must stay smooth with 100,000 filings, so nothing here ever loads them all:
browsing walks the rowid index backwards from a keyset (``rowid < key``; rowids grow with
registration, so that is newest first and a page costs the same at the end as at the start), and
a full-text search pages through :func:`mailroom.search.search` by offset. Either way a page says
where the next one starts (``next_key``) or that there is none.

The search ranks by relevance and knows nothing of departments or sync state; those two filters
are applied to each page of hits here, so a filtered search page may hold fewer rows than asked
(never more), and it keeps reading hits until it has some or the hits run out.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import sqlite_utils

from mailroom.errors import InvalidInput
from mailroom.models import FilingId, FilingStatus, Folio, SyncStatus
from mailroom.search import RANK_WINDOW, build_match_query, search

PAGE_SIZE = 200


@dataclass(frozen=True)
class InboxFilters:
    """What the clerk narrowed the inbox to; ``None`` means any. Dates are inclusive."""

    status: FilingStatus | None = None
    since: date | None = None
    until: date | None = None
    department: str | None = None
    sync_status: SyncStatus | None = None

    def __post_init__(self) -> None:
        if self.since is not None and self.until is not None and self.since > self.until:
            raise InvalidInput(
                f"La fecha inicial ({self.since.isoformat()}) es posterior a la final "
                f"({self.until.isoformat()}).",
                field="since",
            )


@dataclass(frozen=True)
class InboxRow:
    filing_id: FilingId
    folio: Folio
    received_at: str  # ISO 8601 with the office's offset, as registered
    sender: str
    subject: str
    departments: tuple[str, ...]  # addressees: the direct ones first, then copies
    status: FilingStatus
    sync_status: SyncStatus
    institutional_folio: str | None  # the backend's folio once synced
    snippet: str = ""  # search only: the matching words between « and »


@dataclass(frozen=True)
class InboxPage:
    rows: tuple[InboxRow, ...]
    next_key: int | None  # pass back as ``key`` for the next page; None: this was the last


_COLUMNS = (
    "f.rowid, f.uuid, f.folio, f.received_at, f.sender_name, f.subject, f.status, "
    "f.sync_status, f.institutional_folio"
)


def browse(
    db: sqlite_utils.Database,
    filters: InboxFilters = InboxFilters(),
    *,
    key: int | None = None,
    limit: int = PAGE_SIZE,
) -> InboxPage:
    """One page of filings newest first; ``key`` is the previous page's ``next_key``."""
    clauses, params = _where(filters)
    if key is not None:
        clauses.append("f.rowid < ?")
        params.append(key)
    where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
    rows = db.execute(
        f"SELECT {_COLUMNS} FROM filings AS f {where} ORDER BY f.rowid DESC LIMIT ?",
        [*params, max(limit, 1) + 1],
    ).fetchall()
    more = len(rows) > max(limit, 1)
    rows = rows[: max(limit, 1)]
    page = _rows(db, rows, {})
    return InboxPage(page, rows[-1][0] if more and rows else None)


def count(db: sqlite_utils.Database, filters: InboxFilters = InboxFilters()) -> int:
    """How many filings the filters let through (one indexed count, no rows loaded)."""
    clauses, params = _where(filters)
    where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
    return int(db.execute(f"SELECT count(*) FROM filings AS f {where}", params).fetchone()[0])


def search_page(
    db: sqlite_utils.Database,
    text: str,
    filters: InboxFilters = InboxFilters(),
    *,
    key: int | None = None,
    limit: int = PAGE_SIZE,
) -> InboxPage:
    """One page of search hits, best first, with snippets; ``key`` is an offset into the hits."""
    if not build_match_query(text):
        return InboxPage((), None)
    offset, limit = key or 0, max(limit, 1)
    collected: list[InboxRow] = []
    while not collected and offset < RANK_WINDOW * 2:
        results = search(
            db,
            text,
            limit=limit,
            offset=offset,
            status=None if filters.status is None else filters.status.value,
            since=None if filters.since is None else filters.since.isoformat(),
            until=None if filters.until is None else filters.until.isoformat(),
        )
        offset += limit
        snippets = {hit.filing_id: hit.snippet for hit in results.hits}
        rows = _by_uuid(db, [hit.filing_id for hit in results.hits])
        collected += [row for row in _rows(db, rows, snippets) if _keeps(filters, row)]
        if len(results.hits) < limit:
            return InboxPage(tuple(collected), None)
    return InboxPage(tuple(collected), offset)


def departments(db: sqlite_utils.Database) -> list[str]:
    """Every department that has received a filing (at registration or routed later)."""
    sql = "SELECT area FROM filing_addressees UNION SELECT area FROM filing_routes ORDER BY 1"
    return [row[0] for row in db.execute(sql)]


def _where(filters: InboxFilters) -> tuple[list[str], list[object]]:
    clauses: list[str] = []
    params: list[object] = []
    for clause, value in (
        ("f.status = ?", filters.status),
        ("f.sync_status = ?", filters.sync_status),
        ("f.received_date >= ?", filters.since and filters.since.isoformat()),
        ("f.received_date <= ?", filters.until and filters.until.isoformat()),
    ):
        if value is not None:
            clauses.append(clause)
            params.append(str(value))
    if filters.department is not None:
        # Routes (turnos) live apart from the registration's addressees (m006): both count.
        clauses.append(
            "(EXISTS (SELECT 1 FROM filing_addressees AS a WHERE a.filing_uuid = f.uuid "
            "AND a.area = ?) OR EXISTS (SELECT 1 FROM filing_routes AS r "
            "WHERE r.filing_uuid = f.uuid AND r.area = ?))"
        )
        params.extend([filters.department, filters.department])
    return clauses, params


def _keeps(filters: InboxFilters, row: InboxRow) -> bool:
    return (filters.sync_status is None or row.sync_status == filters.sync_status) and (
        filters.department is None or filters.department in row.departments
    )


def _by_uuid(db: sqlite_utils.Database, uuids: list[str]) -> list[tuple[object, ...]]:
    if not uuids:
        return []
    marks = ", ".join("?" * len(uuids))
    found = {
        row[1]: row
        for row in db.execute(
            f"SELECT {_COLUMNS} FROM filings AS f WHERE f.uuid IN ({marks})", uuids
        ).fetchall()
    }
    return [found[uuid] for uuid in uuids if uuid in found]  # keep the ranking's order


def _rows(
    db: sqlite_utils.Database, rows: Iterable[tuple[object, ...]], snippets: dict[str, str]
) -> tuple[InboxRow, ...]:
    rows = list(rows)
    areas = _departments_of(db, [str(row[1]) for row in rows])
    return tuple(
        InboxRow(
            filing_id=FilingId(str(uuid)),
            folio=Folio(str(folio)),
            received_at=str(received_at),
            sender=str(sender),
            subject=str(subject),
            departments=areas.get(str(uuid), ()),
            status=FilingStatus(str(status)),
            sync_status=SyncStatus(str(sync_status)),
            institutional_folio=None if institutional is None else str(institutional),
            snippet=snippets.get(str(uuid), ""),
        )
        for (
            _,
            uuid,
            folio,
            received_at,
            sender,
            subject,
            status,
            sync_status,
            institutional,
        ) in rows
    )


def _departments_of(db: sqlite_utils.Database, uuids: list[str]) -> dict[str, tuple[str, ...]]:
    if not uuids:
        return {}
    marks = ", ".join("?" * len(uuids))
    areas: dict[str, list[str]] = {}
    for uuid, area in db.execute(
        f"SELECT filing_uuid, area FROM filing_addressees WHERE filing_uuid IN ({marks}) "
        "ORDER BY filing_uuid, role = 'copia', area",
        uuids,
    ):
        areas.setdefault(uuid, []).append(area)
    for uuid, area in db.execute(
        f"SELECT filing_uuid, area FROM filing_routes WHERE filing_uuid IN ({marks}) ORDER BY id",
        uuids,
    ):
        if area not in areas.setdefault(uuid, []):
            areas[uuid].append(area)
    return {uuid: tuple(names) for uuid, names in areas.items()}
