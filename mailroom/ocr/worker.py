"""The OCR queue worker: pages waiting in the database are OCRed in parallel, one per core.

The queue *is* the ``pages`` table, so work survives restarts: a page is claimed with a lease
(owner = host:pid:token), and a page whose owner died or whose lease expired goes back to the
queue. Each result is written to the blob store (fsynced) before its row commits. When the last
page of a document settles, the document's searchable PDF is assembled and the filing's search text
is updated in one transaction, with an audit event.
"""

from __future__ import annotations

import functools
import os
import socket
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Protocol

from mailroom import tmpfiles
from mailroom.config import Settings
from mailroom.errors import OficialiaError, StorageError, ToolMissing
from mailroom.filings import ocr_progress
from mailroom.models import OcrProgress, OcrStatus, PageSource
from mailroom.ocr import queue
from mailroom.ocr.assemble import PagePdf, assemble_pdf
from mailroom.ocr.engine import PageOcr, check_tesseract, detect_rotation, ocr_page
from mailroom.ocr.extract import extract_page_text
from mailroom.ocr.orientation import DOUBTFUL_CONFIDENCE, upright_copy
from mailroom.ocr.queue import Claim, PageResult
from mailroom.store import Store

# These stop the run and leave the page queued: counting them as the page's failed attempts would
# mark good pages failed for good because tesseract was missing or the disk was full for a while.
_NOT_THE_PAGES_FAULT = (ToolMissing, StorageError)


class OcrEngine(Protocol):
    def check(self, languages: str) -> None: ...
    def ocr_page(self, image: Path, *, dpi: int, languages: str) -> PageOcr: ...
    def extract_text(self, pdf: Path, page_index: int) -> str: ...
    def detect_rotation(self, image: Path, *, dpi: int) -> int | None: ...


class TesseractEngine:
    """Tesseract, writing its output under ``data_dir``'s ``tmp/`` (this process's folder)."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = Path(data_dir)

    def check(self, languages: str) -> None:
        check_tesseract(languages)

    def ocr_page(self, image: Path, *, dpi: int, languages: str) -> PageOcr:
        work_dir = tmpfiles.process_folder(self.data_dir)
        return ocr_page(image, dpi=dpi, languages=languages, work_dir=work_dir)

    def extract_text(self, pdf: Path, page_index: int) -> str:
        return extract_page_text(pdf, page_index)

    def detect_rotation(self, image: Path, *, dpi: int) -> int | None:
        return detect_rotation(image, dpi=dpi)


class OcrWorker:
    def __init__(
        self,
        store: Store,
        settings: Settings,
        *,
        engine: OcrEngine | None = None,
        on_progress: Callable[[OcrProgress], None] | None = None,
    ) -> None:
        self.store = store
        self.settings = settings
        self.engine = engine or TesseractEngine(settings.data_dir)
        self.on_progress = on_progress
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.last_error: OficialiaError | None = None
        # One pool for the worker's life: every pool thread opens its own read connection, so a
        # pool per run would leave two more connections open on each wake-up.
        self._pool = ThreadPoolExecutor(
            settings.effective_ocr_workers, thread_name_prefix="oficialia-ocr"
        )

    # -- running -----------------------------------------------------------------------------

    def run_until_idle(self) -> OcrProgress:
        """Process every page waiting now (and any that arrive meanwhile); raises ToolMissing
        without touching the queue when tesseract is not usable, and StorageError, leaving the
        page in hand queued, when the disk cannot take the work (full, or no permission)."""
        self.store.write(functools.partial(queue.reclaim_abandoned, owner=self.owner))
        self._finish_settled_documents()
        if self._has_pending(PageSource.IMAGEN):
            self.engine.check(self.settings.ocr_languages)
        failure: list[BaseException] = []
        workers = self.settings.effective_ocr_workers
        for future in [self._pool.submit(self._drain, failure) for _ in range(workers)]:
            future.result()
        if failure:
            raise failure[0]
        return ocr_progress(self.store.reader())

    def start(self) -> None:
        """Run in a background thread until :meth:`stop`; :meth:`notify` wakes it for new work."""
        if self._thread and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="oficialia-ocr-queue", daemon=True)
        self._thread.start()

    def notify(self, *_: object) -> None:
        self._wake.set()

    def stop(self) -> None:
        """Stop the background loop (if started) and the pool; pages in hand are finished."""
        self._stop.set()
        self._wake.set()
        if self._thread:
            self._thread.join()
        self._pool.shutdown(wait=True)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_until_idle()
                self.last_error = None
            except OficialiaError as error:  # kept for the status line; pages stay queued
                self.last_error = error
            self._wake.wait(timeout=30)
            self._wake.clear()

    def _drain(self, failure: list[BaseException]) -> None:
        while not failure and not self._stop.is_set():
            claim = self.store.write(functools.partial(queue.claim_next, owner=self.owner))
            if claim is None:
                return
            try:
                self._process(claim)
            except _NOT_THE_PAGES_FAULT as error:
                failure.append(error)
                self.store.write(functools.partial(queue.release, page_id=claim.page_id))
            if self.on_progress:
                self.on_progress(ocr_progress(self.store.reader()))

    # -- one page ----------------------------------------------------------------------------

    def _process(self, claim: Claim) -> None:
        try:
            if claim.source is PageSource.TEXTO:
                pdf = self.store.blobs.path(claim.document_sha256)
                result = PageResult(self.engine.extract_text(pdf, claim.page_no - 1), None)
            else:
                result = self._ocr_upright(claim)
        except _NOT_THE_PAGES_FAULT:
            raise
        except OficialiaError as error:
            message = error.message
            self.store.write(lambda db: queue.record_failure(db, claim, message))
        except Exception as error:  # noqa: BLE001 - one bad page must not stop the others
            message = f"Error inesperado al leer la página: {error}"
            self.store.write(lambda db: queue.record_failure(db, claim, message))
        else:
            self.store.write(lambda db: queue.record_success(db, claim, self.owner, result))
        self._finish_document(claim.document_id)

    def _ocr_upright(self, claim: Claim) -> PageResult:
        assert claim.image_sha256 is not None
        image = self.store.blobs.path(claim.image_sha256)
        dpi = claim.dpi or self.settings.default_dpi
        languages = self.settings.ocr_languages
        page = self.engine.ocr_page(image, dpi=dpi, languages=languages)
        turned, rotation = None, 0
        if page.text and page.confidence < DOUBTFUL_CONFIDENCE:
            rotation = self.engine.detect_rotation(image, dpi=dpi) or 0
            if rotation:
                turned = self.store.blobs.put_bytes(upright_copy(image, rotation, dpi))
                retry = self.engine.ocr_page(
                    self.store.blobs.path(turned[0]), dpi=dpi, languages=languages
                )
                if retry.confidence > page.confidence:
                    page = retry
                else:  # the guess made it worse: keep the page as scanned
                    turned, rotation = None, 0
        pdf = self.store.blobs.put_bytes(page.pdf)
        return PageResult(page.text, page.confidence, pdf, turned, rotation)

    # -- documents ---------------------------------------------------------------------------

    def _finish_settled_documents(self) -> None:
        rows = self.store.reader().query(
            "SELECT d.id FROM documents d WHERE d.searchable_pdf_sha256 IS NULL AND NOT EXISTS "
            "(SELECT 1 FROM pages p WHERE p.document_id = d.id AND p.ocr_status IN (?, ?))",
            [OcrStatus.PENDIENTE.value, OcrStatus.PROCESANDO.value],
        )
        for row in list(rows):
            self._finish_document(row["id"])

    def _finish_document(self, document_id: int) -> None:
        db = self.store.reader()
        doc = next(db.query("SELECT * FROM documents WHERE id = ?", [document_id]))
        pages = list(
            db.query("SELECT * FROM pages WHERE document_id = ? ORDER BY page_no", [document_id])
        )
        settled = {OcrStatus.HECHA.value, OcrStatus.FALLIDA.value}
        if doc["searchable_pdf_sha256"] or any(p["ocr_status"] not in settled for p in pages):
            return
        pdf = assemble_pdf([self._page_pdf(doc, p) for p in pages])
        sha, size = self.store.blobs.put_bytes(pdf)
        self.store.write(
            lambda w: queue.record_document(
                w, doc, sha, size, self.settings.clerk, self.settings.zone
            )
        )

    def _page_pdf(self, doc: dict[str, Any], page: dict[str, Any]) -> PagePdf:
        original = self.store.blobs.path(doc["sha256"])
        if page["page_pdf_sha256"]:
            return PagePdf(pdf=self.store.blobs.read_bytes(page["page_pdf_sha256"]))
        if doc["mime"] == "application/pdf":
            return PagePdf(source_pdf=original, source_index=page["page_no"] - 1)
        return PagePdf(image_path=self.store.blobs.path(page["image_sha256"]), dpi=page["dpi"])

    def _has_pending(self, source: PageSource) -> bool:
        row = self.store.reader().execute(
            "SELECT 1 FROM pages WHERE ocr_status = ? AND source = ? LIMIT 1",
            [OcrStatus.PENDIENTE.value, source.value],
        )
        return row.fetchone() is not None
