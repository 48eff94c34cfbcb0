"""Registering a filing: capture its files, store them, take a folio — all or nothing.

Order matters for crash safety: files are captured into a private work folder, then written to the
blob store (fsynced), and only then does one write transaction take the folio and insert the filing,
its documents and pages (queued for OCR), the search row, the outbox row, the unsealed acuse (its
PDF goes to the blob store before the transaction commits) and the audit event. Registration never
waits for OCR, and never for the e.firma: sealing is ``mailroom.acuses.AcuseService``'s job.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import sqlite_utils

from mailroom import audit, tmpfiles
from mailroom.acuses import issue_unsealed
from mailroom.capture import CapturedDocument, CaptureLimits, capture_file
from mailroom.capture.blank import looks_blank
from mailroom.capture.pages import CaptureReport
from mailroom.clock import Clock, SystemClock
from mailroom.config import Settings
from mailroom.errors import DuplicateDocument, InvalidInput
from mailroom.filings import get_filing
from mailroom.folio import format_folio, next_sequence
from mailroom.models import (
    FilingId,
    FilingStatus,
    NewFiling,
    OcrStatus,
    Registration,
    SyncStatus,
    new_filing_id,
)
from mailroom.permissions import Action, authorize
from mailroom.privacy import with_notice_in_force
from mailroom.store import BlobStore, Store
from mailroom.validation import validated

AroundInsert = Callable[[sqlite_utils.Database, Callable[[], FilingId]], FilingId]
"""Wraps the insert of a filing inside its write transaction: it gets the open database and the
insert to call, may write before it (a claim that must cost no folio if refused) and after it
(with the new filing's id), and returns the id. Raising anywhere rolls everything back."""


def _just_insert(db: sqlite_utils.Database, insert: Callable[[], FilingId]) -> FilingId:
    return insert()


@dataclasses.dataclass(frozen=True)
class _StoredPage:
    index: int
    source: str
    image_sha256: str | None
    dpi: int | None
    blank: bool


@dataclasses.dataclass(frozen=True)
class _StoredDocument:
    captured: CapturedDocument
    pages: tuple[_StoredPage, ...]
    page_blobs: tuple[tuple[str, int], ...]  # (sha256, size) of page images kept apart


class IntakeService:
    def __init__(
        self,
        store: Store,
        settings: Settings,
        *,
        clock: Clock | None = None,
        on_registered: Callable[[FilingId], None] | None = None,
    ) -> None:
        self.store = store
        self.settings = settings
        self.clock = clock or SystemClock(settings.zone)
        self.on_registered = on_registered

    def register(
        self,
        new: NewFiling,
        files: Sequence[Path],
        *,
        capture: CaptureReport | None = None,
        around_insert: AroundInsert | None = None,
    ) -> Registration:
        """Validate, capture and register; raises InvalidInput, UnreadableFile or DuplicateDocument
        and then nothing was registered. ``capture``: what a scan capture did to the pages before
        (blank sides left out, near-blank pages to review), kept with the filing.
        ``around_insert``: the caller's own writes in the registration's transaction (see
        ``AroundInsert``)."""
        authorize(self.store.reader(), self.settings, Action.REGISTRAR)  # before any work
        # The notice in force when the data were taken, unless the sender accepted one (kiosk).
        new = with_notice_in_force(validated(new), self.settings)
        if not files:
            raise InvalidInput(
                "Un escrito se registra con al menos un documento digitalizado.", field="files"
            )
        with tmpfiles.scratch(self.settings.data_dir, "intake-") as work_dir:
            captured = [
                capture_file(Path(f), work_dir, CaptureLimits.from_settings(self.settings))
                for f in files
            ]
            self._refuse_repeats_within(captured)
            self._check_duplicates(self.store.reader(), captured, new)
            stored = [self._store_blobs(doc) for doc in captured]
            filing_id = self.store.write(
                lambda db: (around_insert or _just_insert)(
                    db, lambda: self._insert(db, new, stored, capture)
                )
            )
        filing = get_filing(self.store.reader(), filing_id)
        if self.on_registered:
            self.on_registered(filing_id)
        return Registration(filing, self._warnings(filing))

    @staticmethod
    def _refuse_repeats_within(captured: Sequence[CapturedDocument]) -> None:
        seen: dict[str, str] = {}
        for doc in captured:
            if doc.sha256 in seen:
                raise InvalidInput(
                    f"{doc.filename} y {seen[doc.sha256]} son el mismo documento; "
                    "agréguelo una sola vez.",
                    field="files",
                )
            seen[doc.sha256] = doc.filename

    @staticmethod
    def _check_duplicates(
        db: sqlite_utils.Database, captured: Sequence[CapturedDocument], new: NewFiling
    ) -> None:
        if new.duplicate_override_reason:
            return
        for doc in captured:
            folios = [
                r["folio"]
                for r in db.query(
                    "SELECT DISTINCT f.folio FROM documents d "
                    "JOIN filings f ON f.uuid = d.filing_uuid "
                    "WHERE d.sha256 = ? ORDER BY f.folio",
                    [doc.sha256],
                )
            ]
            if folios:
                raise DuplicateDocument(
                    f"{doc.filename} ya se registró con el folio {', '.join(folios)}. Si se trata "
                    "de una nueva presentación, registre de nuevo indicando el motivo.",
                    sha256=doc.sha256,
                    folios=folios,
                )

    def _store_blobs(self, doc: CapturedDocument) -> _StoredDocument:
        return store_document_blobs(self.store.blobs, doc)

    def _insert(
        self,
        db: sqlite_utils.Database,
        new: NewFiling,
        stored: Sequence[_StoredDocument],
        capture: CaptureReport | None = None,
    ) -> FilingId:
        actor = authorize(db, self.settings, Action.REGISTRAR)
        # Re-checked under the write lock: another process may have registered the same file.
        self._check_duplicates(db, [s.captured for s in stored], new)
        now = self.clock.now()
        s = self.settings
        seq = next_sequence(db, device=s.device, year=now.year)
        folio = format_folio(
            s.folio_pattern, office=s.office, year=now.year, device=s.device, seq=seq
        )
        filing_id = new_filing_id()
        pages_scanned = sum(len(doc.pages) for doc in stored)
        row = _filing_row(
            new,
            filing_id=filing_id,
            folio=folio,
            seq=seq,
            settings=s,
            clerk=actor.receipt_name,
            now=now,
            pages_scanned=pages_scanned,
        )
        if capture is not None:
            row["capture_source"] = capture.source
            row["blank_pages_removed"] = len(capture.blank_removed)
        db.table("filings").insert(row)
        _insert_children(db, filing_id, new, stored, now.isoformat())
        if capture is not None and capture.review_pages:
            _flag_for_review(db, filing_id, capture.review_pages)
        rowid = db.execute("SELECT rowid FROM filings WHERE uuid = ?", [filing_id]).fetchone()[0]
        db.execute(
            "INSERT INTO filings_fts (rowid, folio, sender, subject, ocr_text) "
            "VALUES (?, ?, ?, ?, '')",
            [rowid, folio, _sender_text(new), new.subject],
        )
        db.execute(
            "INSERT INTO outbox (filing_uuid, enqueued_at) VALUES (?, ?)",
            [filing_id, now.isoformat()],
        )
        # The acuse needs the folio, so it is built here, under the write lock (about 60 ms): a
        # filing and its acuse row commit together or not at all.
        cadena_digest, acuse_sha = issue_unsealed(
            db, self.store.blobs, s, filing_id, now.isoformat()
        )
        snapshot = _snapshot(row, new, stored)
        snapshot["acuse"] = {"cadena_digest": cadena_digest, "unsealed_sha256": acuse_sha}
        if capture is not None:
            snapshot["captura"] = dataclasses.asdict(capture)
        audit.append_event(
            db,
            at=now,
            actor=actor.name,
            kind="escrito_registrado",
            filing_id=filing_id,
            payload=snapshot,
        )
        return filing_id

    @staticmethod
    def _warnings(filing: Any) -> tuple[str, ...]:
        warnings = []
        removed = filing.blank_pages_removed
        left_out = (
            f" ({removed} en blanco retirada{'s' if removed != 1 else ''})" if removed else ""
        )
        if filing.fojas_match is False:
            warnings.append(
                f"Se declararon {filing.fojas_declared} fojas y se digitalizaron "
                f"{filing.pages_scanned} páginas{left_out}; ambas cifras constan en el acuse."
            )
        elif removed:
            warnings.append(f"Se digitalizaron {filing.pages_scanned} páginas{left_out}.")
        if filing.duplicate_override_reason:
            warnings.append(
                "Se registró un documento repetido; el motivo queda en la bitácora: "
                f"{filing.duplicate_override_reason}"
            )
        for document in filing.documents:
            blank = [str(page.page_no) for page in document.pages if page.blank]
            if blank:
                warnings.append(
                    f"{document.filename}: la página {', '.join(blank)} parece estar en blanco; "
                    "revise que se haya digitalizado el lado correcto."
                )
            review = [str(page.page_no) for page in document.pages if page.needs_review]
            if review:
                warnings.append(
                    f"{document.filename}: la página {', '.join(review)} tiene muy poco contenido "
                    "(¿solo una firma o una palabra?); revísela."
                )
        return tuple(warnings)


def store_document_blobs(blobs: BlobStore, doc: CapturedDocument) -> _StoredDocument:
    """Write a captured document's original and page images to the blob store (fsynced), before
    any row names them; shared by registration and attaching pages to a filing."""
    original_sha, _ = blobs.put_file(doc.path)
    pages, extra = [], []
    for page in doc.pages:
        image_sha = None
        if page.image_path is not None:
            if page.image_path == doc.path:
                image_sha = original_sha
            else:
                image_sha, size = blobs.put_file(page.image_path)
                extra.append((image_sha, size))
        blank = page.image_path is not None and _looks_blank(page.image_path)
        pages.append(_StoredPage(page.index, page.source, image_sha, page.dpi, blank))
    if original_sha != doc.sha256:
        raise InvalidInput(
            f"{doc.filename} cambió mientras se leía; vuelva a digitalizarlo.", field="files"
        )
    return _StoredDocument(doc, tuple(pages), tuple(extra))


def _filing_row(
    new: NewFiling,
    *,
    filing_id: str,
    folio: str,
    seq: int,
    settings: Settings,
    clerk: str,
    now: Any,
    pages_scanned: int,
) -> dict[str, Any]:
    return {
        "uuid": filing_id,
        "folio": folio,
        "office": settings.office,
        "device": settings.device,
        "year": now.year,
        "seq": seq,
        "received_at": now.isoformat(),
        "received_date": now.date().isoformat(),
        "channel": new.channel.value,
        "sender_name": new.sender.name,
        "sender_curp": new.sender.curp,
        "sender_rfc": new.sender.rfc,
        "sender_email": new.sender.email,
        "sender_phone": new.sender.phone,
        "sender_organization": new.sender.organization,
        "sender_position": new.sender.position,
        "subject": new.subject,
        "procedure_type": new.procedure_type,
        "document_number": new.document_number,
        "document_date": new.document_date.isoformat() if new.document_date else None,
        "fojas_declared": new.fojas_declared,
        "pages_scanned": pages_scanned,
        "priority": new.priority.value,
        "response_due": new.response_due.isoformat() if new.response_due else None,
        "observations": new.observations,
        "sensitive": int(new.sensitive),
        "clerk": clerk,
        "status": FilingStatus.REGISTRADA.value,
        "sync_status": SyncStatus.PENDIENTE.value,
        "duplicate_override_reason": new.duplicate_override_reason,
        "privacy_notice_sha256": new.privacy_notice_sha256,
    }


def _insert_children(
    db: sqlite_utils.Database,
    filing_id: str,
    new: NewFiling,
    stored: Sequence[_StoredDocument],
    now: str,
) -> None:
    for addressee in new.addressees:
        db.execute(
            "INSERT INTO filing_addressees (filing_uuid, area, role) VALUES (?, ?, ?)",
            [filing_id, addressee.area, addressee.role.value],
        )
    for ordinal, annex in enumerate(new.annexes, 1):
        db.execute(
            "INSERT INTO annexes (filing_uuid, ordinal, description, pages) VALUES (?, ?, ?, ?)",
            [filing_id, ordinal, annex.description, annex.pages],
        )
    insert_documents(db, filing_id, stored, now)


def insert_documents(
    db: sqlite_utils.Database,
    filing_id: str,
    stored: Sequence[_StoredDocument],
    now: str,
    *,
    first_ordinal: int = 1,
) -> list[int]:
    """Insert documents whose blobs are stored, with their pages queued for OCR; returns the
    document ids. Shared by registration and attaching pages to a filing."""
    document_ids: list[int] = []
    for ordinal, doc in enumerate(stored, first_ordinal):
        blobs = [(doc.captured.sha256, doc.captured.size), *doc.page_blobs]
        db.conn.executemany(
            "INSERT OR IGNORE INTO blobs (sha256, size, created_at) VALUES (?, ?, ?)",
            [(sha, size, now) for sha, size in blobs],
        )
        document_id = db.execute(
            "INSERT INTO documents "
            "(filing_uuid, ordinal, filename, mime, sha256, size, page_count) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                filing_id,
                ordinal,
                doc.captured.filename,
                doc.captured.mime,
                doc.captured.sha256,
                doc.captured.size,
                len(doc.pages),
            ],
        ).lastrowid
        db.conn.executemany(
            "INSERT INTO pages (document_id, page_no, source, image_sha256, dpi, blank, "
            "ocr_status) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    document_id,
                    p.index + 1,
                    p.source,
                    p.image_sha256,
                    p.dpi,
                    int(p.blank),
                    OcrStatus.PENDIENTE.value,
                )
                for p in doc.pages
            ],
        )
        document_ids.append(int(document_id or 0))
    return document_ids


def _flag_for_review(db: sqlite_utils.Database, filing_id: str, positions: Sequence[int]) -> None:
    """Flag pages by their 1-based position across the filing's documents, in order."""
    rows = db.execute(
        "SELECT p.id FROM pages p JOIN documents d ON d.id = p.document_id "
        "WHERE d.filing_uuid = ? ORDER BY d.ordinal, p.page_no",
        [filing_id],
    ).fetchall()
    wanted = [rows[n - 1][0] for n in positions if 1 <= n <= len(rows)]
    db.conn.executemany("UPDATE pages SET needs_review = 1 WHERE id = ?", [(i,) for i in wanted])


def _looks_blank(image: Path) -> bool:
    try:
        return looks_blank(image)
    except (OSError, ValueError):  # capture already vouched for the image; a flag is not worth
        return False  # refusing the filing over


def _sender_text(new: NewFiling) -> str:
    parts = [
        new.sender.name,
        new.sender.organization,
        new.sender.position,
        new.sender.rfc,
        new.sender.curp,
    ]
    return " ".join(p for p in parts if p)


def _snapshot(
    row: dict[str, Any], new: NewFiling, stored: Sequence[_StoredDocument]
) -> dict[str, Any]:
    return {
        **row,
        "addressees": [[a.area, a.role.value] for a in new.addressees],
        "annexes": [[a.description, a.pages] for a in new.annexes],
        "documents": [
            {
                "sha256": d.captured.sha256,
                "filename": d.captured.filename,
                "mime": d.captured.mime,
                "pages": len(d.pages),
            }
            for d in stored
        ],
    }
