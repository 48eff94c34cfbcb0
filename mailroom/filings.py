"""Reading filings back: by folio or id, lists with filters. Rows become frozen records here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlite_utils

from mailroom.errors import NotFound
from mailroom.models import (
    Addressee,
    Annex,
    AreaRole,
    Channel,
    Document,
    DocumentId,
    Filing,
    FilingId,
    FilingStatus,
    Folio,
    OcrProgress,
    OcrStatus,
    Page,
    PageId,
    PageSource,
    Priority,
    Sender,
    Sha256,
    SyncStatus,
)


@dataclass(frozen=True)
class FilingSummary:
    id: FilingId
    folio: Folio
    received_at: datetime
    sender: str
    subject: str
    status: FilingStatus
    sync_status: SyncStatus
    pages_scanned: int
    fojas_declared: int | None


def get_filing(db: sqlite_utils.Database, folio_or_id: str, *, with_text: bool = False) -> Filing:
    key = folio_or_id.strip()
    row = next(db.query("SELECT * FROM filings WHERE folio = ? OR uuid = ?", [key, key]), None)
    if row is None:
        raise NotFound(f"No existe un escrito con folio {key!r}.", folio=key)
    return _filing(db, row, with_text=with_text)


def list_filings(
    db: sqlite_utils.Database,
    *,
    status: str | None = None,
    since: date | None = None,
    until: date | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[FilingSummary]:
    where, params = _filters(status, since, until)
    sql = (
        f"SELECT uuid, folio, received_at, sender_name, subject, status, sync_status, "
        f"pages_scanned, fojas_declared FROM filings {where} "
        f"ORDER BY received_at DESC, seq DESC LIMIT ? OFFSET ?"
    )
    return [
        FilingSummary(
            FilingId(r["uuid"]),
            Folio(r["folio"]),
            datetime.fromisoformat(r["received_at"]),
            r["sender_name"],
            r["subject"],
            FilingStatus(r["status"]),
            SyncStatus(r["sync_status"]),
            r["pages_scanned"],
            r["fojas_declared"],
        )
        for r in db.query(sql, [*params, limit, offset])
    ]


def _filters(status: str | None, since: date | None, until: date | None) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    if status:
        clauses.append("status = ?")
        params.append(FilingStatus(status).value)
    if since:
        clauses.append("received_date >= ?")
        params.append(since.isoformat())
    if until:
        clauses.append("received_date <= ?")
        params.append(until.isoformat())
    return ("WHERE " + " AND ".join(clauses)) if clauses else "", params


def ocr_progress(db: sqlite_utils.Database, filing_id: str | None = None) -> OcrProgress:
    sql = "SELECT ocr_status, count(*) AS n FROM pages"
    params: list[Any] = []
    if filing_id:
        sql += " WHERE document_id IN (SELECT id FROM documents WHERE filing_uuid = ?)"
        params.append(filing_id)
    counts = {r["ocr_status"]: r["n"] for r in db.query(sql + " GROUP BY ocr_status", params)}
    done = counts.get(OcrStatus.HECHA, 0)
    failed = counts.get(OcrStatus.FALLIDA, 0)
    pending = counts.get(OcrStatus.PENDIENTE, 0) + counts.get(OcrStatus.PROCESANDO, 0)
    return OcrProgress(done + failed + pending, done, failed, pending)


def _filing(db: sqlite_utils.Database, row: dict[str, Any], *, with_text: bool) -> Filing:
    uuid = row["uuid"]
    addressees = tuple(
        Addressee(r["area"], AreaRole(r["role"]))
        for r in db.query(
            "SELECT area, role FROM filing_addressees WHERE filing_uuid = ? "
            "ORDER BY role = 'copia', rowid",
            [uuid],
        )
    )
    annexes = tuple(
        Annex(r["description"], r["pages"])
        for r in db.query(
            "SELECT description, pages FROM annexes WHERE filing_uuid = ? ORDER BY ordinal", [uuid]
        )
    )
    documents = tuple(
        _document(db, r, with_text=with_text)
        for r in db.query("SELECT * FROM documents WHERE filing_uuid = ? ORDER BY ordinal", [uuid])
    )
    return Filing(
        id=FilingId(uuid),
        folio=Folio(row["folio"]),
        received_at=datetime.fromisoformat(row["received_at"]),
        channel=Channel(row["channel"]),
        sender=Sender(
            row["sender_name"],
            row["sender_curp"],
            row["sender_rfc"],
            row["sender_email"],
            row["sender_phone"],
            row["sender_organization"],
            row["sender_position"],
        ),
        subject=row["subject"],
        procedure_type=row["procedure_type"],
        document_number=row["document_number"],
        document_date=_date(row["document_date"]),
        addressees=addressees,
        fojas_declared=row["fojas_declared"],
        pages_scanned=row["pages_scanned"],
        annexes=annexes,
        priority=Priority(row["priority"]),
        response_due=_date(row["response_due"]),
        observations=row["observations"],
        sensitive=bool(row["sensitive"]),
        clerk=row["clerk"],
        status=FilingStatus(row["status"]),
        sync_status=SyncStatus(row["sync_status"]),
        institutional_folio=row["institutional_folio"],
        duplicate_override_reason=row["duplicate_override_reason"],
        documents=documents,
        capture_source=row["capture_source"],
        blank_pages_removed=row["blank_pages_removed"],
        privacy_notice_sha256=row["privacy_notice_sha256"],
    )


def _document(db: sqlite_utils.Database, row: dict[str, Any], *, with_text: bool) -> Document:
    pages = tuple(
        Page(
            id=PageId(p["id"]),
            page_no=p["page_no"],
            source=PageSource(p["source"]),
            dpi=p["dpi"],
            blank=bool(p["blank"]),
            rotation=p["rotation"],
            ocr_status=OcrStatus(p["ocr_status"]),
            confidence=p["confidence"],
            text=p["text"] if with_text else "",
            error=p["error"],
            needs_review=bool(p["needs_review"]),
        )
        for p in db.query("SELECT * FROM pages WHERE document_id = ? ORDER BY page_no", [row["id"]])
    )
    return Document(
        DocumentId(row["id"]),
        row["ordinal"],
        row["filename"],
        row["mime"],
        Sha256(row["sha256"]),
        row["size"],
        row["page_count"],
        row["searchable_pdf_sha256"],
        pages,
    )


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None
