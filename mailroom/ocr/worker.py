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
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

import sqlite_utils

from mailroom import audit
from mailroom.config import Settings
from mailroom.errors import OficialiaError, ToolMissing
from mailroom.filings import ocr_progress
from mailroom.models import OcrProgress, OcrStatus, PageSource
from mailroom.ocr.assemble import PagePdf, assemble_pdf
from mailroom.ocr.engine import PageOcr, check_tesseract, detect_rotation, ocr_page
from mailroom.ocr.orientation import DOUBTFUL_CONFIDENCE, upright_copy
from mailroom.ocr.textlayer import extract_page_text
from mailroom.store import Store

MAX_ATTEMPTS = 3
LEASE = timedelta(minutes=15)


class OcrEngine(Protocol):
    def check(self, languages: str) -> None: ...
    def ocr_page(self, image: Path, *, dpi: int, languages: str) -> PageOcr: ...
    def extract_text(self, pdf: Path, page_index: int) -> str: ...
    def detect_rotation(self, image: Path, *, dpi: int) -> int | None: ...


class TesseractEngine:
    def check(self, languages: str) -> None:
        check_tesseract(languages)

    def ocr_page(self, image: Path, *, dpi: int, languages: str) -> PageOcr:
        return ocr_page(image, dpi=dpi, languages=languages)

    def extract_text(self, pdf: Path, page_index: int) -> str:
        return extract_page_text(pdf, page_index)

    def detect_rotation(self, image: Path, *, dpi: int) -> int | None:
        return detect_rotation(image, dpi=dpi)


@dataclass(frozen=True)
class _Claim:
    page_id: int
    document_id: int
    page_no: int
    source: PageSource
    image_sha256: str | None
    dpi: int | None
    document_sha256: str
    attempts: int


@dataclass(frozen=True)
class _PageResult:
    text: str
    confidence: float | None
    page_pdf: tuple[str, int] | None = None  # blob of tesseract's one-page PDF
    upright_image: tuple[str, int] | None = None  # blob of the turned page image, if turned
    rotation: int = 0


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
        self.engine = engine or TesseractEngine()
        self.on_progress = on_progress
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.last_error: OficialiaError | None = None

    # -- running -----------------------------------------------------------------------------

    def run_until_idle(self) -> OcrProgress:
        """Process every page waiting now (and any that arrive meanwhile); raises ToolMissing
        without touching the queue when tesseract is not usable."""
        self.store.write(self._reclaim_abandoned)
        self._finish_settled_documents()
        if self._has_pending(PageSource.IMAGEN):
            self.engine.check(self.settings.ocr_languages)
        failure: list[BaseException] = []
        workers = self.settings.effective_ocr_workers
        with ThreadPoolExecutor(workers, thread_name_prefix="oficialia-ocr") as pool:
            for future in [pool.submit(self._drain, failure) for _ in range(workers)]:
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
        self._stop.set()
        self._wake.set()
        if self._thread:
            self._thread.join()

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
            claim = self.store.write(self._claim_next)
            if claim is None:
                return
            try:
                self._process(claim)
            except ToolMissing as error:
                failure.append(error)
                self.store.write(functools.partial(_release, page_id=claim.page_id))
            if self.on_progress:
                self.on_progress(ocr_progress(self.store.reader()))

    # -- one page ----------------------------------------------------------------------------

    def _process(self, claim: _Claim) -> None:
        try:
            if claim.source is PageSource.TEXTO:
                pdf = self.store.blobs.path(claim.document_sha256)
                result = _PageResult(self.engine.extract_text(pdf, claim.page_no - 1), None)
            else:
                result = self._ocr_upright(claim)
        except ToolMissing:
            raise
        except OficialiaError as error:
            message = error.message
            self.store.write(lambda db: _record_failure(db, claim, message))
        except Exception as error:  # noqa: BLE001 - one bad page must not stop the others
            message = f"Error inesperado al leer la página: {error}"
            self.store.write(lambda db: _record_failure(db, claim, message))
        else:
            self.store.write(lambda db: _record_success(db, claim, self.owner, result))
        self._finish_document(claim.document_id)

    def _ocr_upright(self, claim: _Claim) -> _PageResult:
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
        return _PageResult(page.text, page.confidence, pdf, turned, rotation)

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
            lambda w: _record_document(w, doc, sha, size, self.settings.clerk, self.settings.zone)
        )

    def _page_pdf(self, doc: dict[str, Any], page: dict[str, Any]) -> PagePdf:
        original = self.store.blobs.path(doc["sha256"])
        if page["page_pdf_sha256"]:
            return PagePdf(pdf=self.store.blobs.read_bytes(page["page_pdf_sha256"]))
        if doc["mime"] == "application/pdf":
            return PagePdf(source_pdf=original, source_index=page["page_no"] - 1)
        return PagePdf(image_path=self.store.blobs.path(page["image_sha256"]), dpi=page["dpi"])

    # -- queue bookkeeping (run on the writer) -------------------------------------------------

    def _reclaim_abandoned(self, db: sqlite_utils.Database) -> int:
        now = _utc_now()
        host = socket.gethostname()
        stale = []
        for row in db.query(
            "SELECT id, lease_owner, lease_expires FROM pages WHERE ocr_status = ?",
            [OcrStatus.PROCESANDO.value],
        ):
            owner_host, _, rest = (row["lease_owner"] or "").partition(":")
            pid = rest.partition(":")[0]
            expired = (row["lease_expires"] or "") < now
            dead = owner_host == host and pid.isdigit() and not _pid_alive(int(pid))
            if expired or dead or row["lease_owner"] == self.owner:
                stale.append(row["id"])
        for page_id in stale:
            _release(db, page_id)
        return len(stale)

    def _claim_next(self, db: sqlite_utils.Database) -> _Claim | None:
        row = next(
            db.query(
                "SELECT p.id, p.document_id, p.page_no, p.source, p.image_sha256, p.dpi, "
                "p.attempts, "
                "d.sha256 AS document_sha256 FROM pages p JOIN documents d ON d.id = p.document_id "
                "WHERE p.ocr_status = ? ORDER BY p.id LIMIT 1",
                [OcrStatus.PENDIENTE.value],
            ),
            None,
        )
        if row is None:
            return None
        expires = (datetime.now(UTC) + LEASE).isoformat()
        db.execute(
            "UPDATE pages SET ocr_status = ?, lease_owner = ?, lease_expires = ? WHERE id = ?",
            [OcrStatus.PROCESANDO.value, self.owner, expires, row["id"]],
        )
        return _Claim(
            row["id"],
            row["document_id"],
            row["page_no"],
            PageSource(row["source"]),
            row["image_sha256"],
            row["dpi"],
            row["document_sha256"],
            row["attempts"],
        )

    def _has_pending(self, source: PageSource) -> bool:
        return bool(
            self.store.reader()
            .execute(
                "SELECT 1 FROM pages WHERE ocr_status = ? AND source = ? LIMIT 1",
                [OcrStatus.PENDIENTE.value, source.value],
            )
            .fetchone()
        )


def _record_success(
    db: sqlite_utils.Database,
    claim: _Claim,
    owner: str,
    result: _PageResult,
) -> None:
    for blob in (result.page_pdf, result.upright_image):
        if blob:
            db.execute(
                "INSERT OR IGNORE INTO blobs (sha256, size, created_at) VALUES (?, ?, ?)",
                [blob[0], blob[1], _utc_now()],
            )
    image = result.upright_image[0] if result.upright_image else claim.image_sha256
    db.execute(
        "UPDATE pages SET ocr_status = ?, text = ?, confidence = ?, page_pdf_sha256 = ?, "
        "image_sha256 = ?, rotation = ?, error = NULL, attempts = attempts + 1, "
        "lease_owner = NULL, lease_expires = NULL WHERE id = ? AND lease_owner = ?",
        [
            OcrStatus.HECHA.value,
            result.text,
            result.confidence,
            result.page_pdf[0] if result.page_pdf else None,
            image,
            result.rotation,
            claim.page_id,
            owner,
        ],
    )


def _record_failure(db: sqlite_utils.Database, claim: _Claim, message: str) -> None:
    attempts = claim.attempts + 1
    status = OcrStatus.FALLIDA if attempts >= MAX_ATTEMPTS else OcrStatus.PENDIENTE
    db.execute(
        "UPDATE pages SET ocr_status = ?, error = ?, attempts = ?, lease_owner = NULL, "
        "lease_expires = NULL WHERE id = ?",
        [status.value, message, attempts, claim.page_id],
    )


def _release(db: sqlite_utils.Database, page_id: int) -> None:
    db.execute(
        "UPDATE pages SET ocr_status = ?, lease_owner = NULL, lease_expires = NULL "
        "WHERE id = ? AND ocr_status = ?",
        [OcrStatus.PENDIENTE.value, page_id, OcrStatus.PROCESANDO.value],
    )


def _record_document(
    db: sqlite_utils.Database, doc: dict[str, Any], sha: str, size: int, actor: str, zone: Any
) -> None:
    current = db.execute(
        "SELECT searchable_pdf_sha256 FROM documents WHERE id = ?", [doc["id"]]
    ).fetchone()
    if current[0]:  # another worker finished it first
        return
    db.execute(
        "INSERT OR IGNORE INTO blobs (sha256, size, created_at) VALUES (?, ?, ?)",
        [sha, size, _utc_now()],
    )
    db.execute("UPDATE documents SET searchable_pdf_sha256 = ? WHERE id = ?", [sha, doc["id"]])
    filing = doc["filing_uuid"]
    text = "\n".join(
        r[0]
        for r in db.execute(
            "SELECT p.text FROM pages p JOIN documents d ON d.id = p.document_id "
            "WHERE d.filing_uuid = ? AND p.ocr_status = ? ORDER BY d.ordinal, p.page_no",
            [filing, OcrStatus.HECHA.value],
        )
    )
    db.execute(
        "UPDATE filings_fts SET ocr_text = ? WHERE rowid = "
        "(SELECT rowid FROM filings WHERE uuid = ?)",
        [text, filing],
    )
    failed = db.execute(
        "SELECT count(*) FROM pages WHERE document_id = ? AND ocr_status = ?",
        [doc["id"], OcrStatus.FALLIDA.value],
    ).fetchone()[0]
    audit.append_event(
        db,
        at=datetime.now(zone).replace(microsecond=0),
        actor=actor,
        kind="ocr_terminado",
        filing_id=filing,
        payload={
            "document_sha256": doc["sha256"],
            "searchable_pdf_sha256": sha,
            "pages": doc["page_count"],
            "failed_pages": failed,
        },
    )


def _utc_now() -> str:
    return datetime.now(UTC).isoformat()


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
