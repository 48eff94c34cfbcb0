"""Attaching scanned pages to a filing already registered (a carátula in a batch, or pages the
citizen brings later): a new document of that filing, never an edit of the ones it had.

Same order as registration, for the same crash safety: the file is captured in a private work
folder, its original and page images go to the blob store (fsynced), and only then does one write
transaction add the document and its pages (queued for OCR), raise the filing's scanned-page count
and append the ``documentos_anexados`` audit event. A filing already delivered goes back to the
sync queue in that same transaction: the backend takes the longer manifest as a new revision under
the same institutional folio.
"""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import sqlite_utils

from mailroom import audit, tmpfiles
from mailroom.capture import CaptureLimits, capture_file
from mailroom.capture.pages import CaptureReport
from mailroom.clock import Clock, SystemClock
from mailroom.config import Settings
from mailroom.errors import DuplicateDocument, InvalidInput
from mailroom.filings import get_filing
from mailroom.intake import insert_documents, store_document_blobs
from mailroom.models import DocumentId, Filing, FilingId, FilingStatus
from mailroom.permissions import Action, authorize
from mailroom.store import Store
from sync.outbox import requeue_changed

InTransaction = Callable[[sqlite_utils.Database, FilingId, DocumentId], None]
"""Extra writes that must commit with the attached document or not at all (a draft marked
as used); raising inside rolls the whole attachment back."""


class FilingClosed(InvalidInput):
    """The filing was cancelled: nothing may be added to it."""

    code = "escrito_cancelado"


@dataclass(frozen=True)
class Attachment:
    filing: Filing
    """The filing as it stands after the attachment (with the new document)."""
    document_id: DocumentId
    pages: int


def attach_pages(
    store: Store,
    settings: Settings,
    folio: str,
    pdf_path: Path,
    capture_report: CaptureReport | None = None,
    *,
    origin: str | None = None,
    clock: Clock | None = None,
    in_transaction: InTransaction | None = None,
) -> Attachment:
    """Add ``pdf_path`` as a new document of the filing ``folio`` (or its uuid).

    Raises ``NotFound`` (no such folio), :class:`FilingClosed` (cancelled), ``UnreadableFile``
    (bad file) or ``DuplicateDocument`` (these exact bytes are already registered); then nothing
    was added. ``origin`` says where the pages came from ("borrador 12"), for the audit event.
    """
    filing = get_filing(store.reader(), folio)
    _refuse_cancelled(filing.folio, filing.status)
    clock = clock or SystemClock(settings.zone)
    work_dir = tmpfiles.work_folder(settings.data_dir, "anexo-")
    try:
        captured = capture_file(Path(pdf_path), work_dir, CaptureLimits.from_settings(settings))
        _refuse_duplicate(store.reader(), captured.sha256, captured.filename)
        stored = store_document_blobs(store.blobs, captured)

        def write(db: sqlite_utils.Database) -> DocumentId:
            actor = authorize(db, settings, Action.REGISTRAR)
            # Re-checked under the write lock: the filing may have been cancelled, or the same
            # file attached, by another process since the checks above.
            status = db.execute("SELECT status FROM filings WHERE uuid = ?", [filing.id])
            _refuse_cancelled(filing.folio, FilingStatus(status.fetchone()[0]))
            _refuse_duplicate(db, captured.sha256, captured.filename)
            now = clock.now()
            ordinal = db.execute(
                "SELECT coalesce(max(ordinal), 0) + 1 FROM documents WHERE filing_uuid = ?",
                [filing.id],
            ).fetchone()[0]
            (document_id,) = insert_documents(
                db, filing.id, [stored], now.isoformat(), first_ordinal=ordinal
            )
            _count_pages(db, filing.id, len(stored.pages), capture_report)
            if capture_report is not None and capture_report.review_pages:
                _flag_for_review(db, document_id, capture_report.review_pages)
            payload = {
                "documento": {
                    "ordinal": ordinal,
                    "sha256": captured.sha256,
                    "filename": captured.filename,
                    "mime": captured.mime,
                    "pages": len(stored.pages),
                },
                "origen": origin,
                "captura": dataclasses.asdict(capture_report) if capture_report else None,
            }
            audit.append_event(
                db,
                at=now,
                actor=actor.name,
                kind="documentos_anexados",
                filing_id=filing.id,
                payload=payload,
            )
            requeue_changed(db, filing.id)
            if in_transaction is not None:
                in_transaction(db, filing.id, DocumentId(document_id))
            return DocumentId(document_id)

        document_id = store.write(write)
    finally:
        shutil.rmtree(work_dir, ignore_errors=True)
    return Attachment(get_filing(store.reader(), filing.id), document_id, len(stored.pages))


def _refuse_cancelled(folio: str, status: FilingStatus) -> None:
    if status is FilingStatus.CANCELADA:
        raise FilingClosed(
            f"El escrito {folio} está cancelado: no se le pueden anexar páginas. Si las páginas "
            "son de otro escrito, revise el folio de la carátula.",
            folio=folio,
        )


def _refuse_duplicate(db: sqlite_utils.Database, sha256: str, filename: str) -> None:
    folios = [
        row[0]
        for row in db.execute(
            "SELECT DISTINCT f.folio FROM documents d JOIN filings f ON f.uuid = d.filing_uuid "
            "WHERE d.sha256 = ? ORDER BY f.folio",
            [sha256],
        )
    ]
    if folios:
        raise DuplicateDocument(
            f"{filename} ya forma parte del escrito {', '.join(folios)}; no se anexa dos veces.",
            sha256=sha256,
            folios=folios,
        )


def _count_pages(
    db: sqlite_utils.Database, filing_id: str, pages: int, report: CaptureReport | None
) -> None:
    removed = len(report.blank_removed) if report is not None else 0
    db.execute(
        "UPDATE filings SET pages_scanned = pages_scanned + ?, "
        "blank_pages_removed = blank_pages_removed + ? WHERE uuid = ?",
        [pages, removed, filing_id],
    )


def _flag_for_review(db: sqlite_utils.Database, document_id: int, positions: Sequence[int]) -> None:
    """Positions are 1-based within the attached document (what the capture report counts)."""
    db.conn.executemany(
        "UPDATE pages SET needs_review = 1 WHERE document_id = ? AND page_no = ?",
        [(document_id, n) for n in positions],
    )
