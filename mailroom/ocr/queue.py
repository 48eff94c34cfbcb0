"""The OCR queue's bookkeeping: the ``pages`` table is the queue.

Every function here runs on the database writer, inside its transaction. A page is claimed with a
lease (owner = host:pid:token); a page whose owner died or whose lease expired goes back to the
queue, so work survives crashes and restarts.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlite_utils

from mailroom import audit
from mailroom.models import OcrStatus, PageSource

MAX_ATTEMPTS = 3
LEASE = timedelta(minutes=15)


@dataclass(frozen=True)
class Claim:
    page_id: int
    document_id: int
    page_no: int
    source: PageSource
    image_sha256: str | None
    dpi: int | None
    document_sha256: str
    attempts: int


@dataclass(frozen=True)
class PageResult:
    text: str
    confidence: float | None
    page_pdf: tuple[str, int] | None = None  # blob of tesseract's one-page PDF
    upright_image: tuple[str, int] | None = None  # blob of the turned page image, if turned
    rotation: int = 0


def reclaim_abandoned(db: sqlite_utils.Database, owner: str) -> int:
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
        if expired or dead or row["lease_owner"] == owner:
            stale.append(row["id"])
    for page_id in stale:
        release(db, page_id)
    return len(stale)


def claim_next(db: sqlite_utils.Database, owner: str) -> Claim | None:
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
        [OcrStatus.PROCESANDO.value, owner, expires, row["id"]],
    )
    return Claim(
        row["id"],
        row["document_id"],
        row["page_no"],
        PageSource(row["source"]),
        row["image_sha256"],
        row["dpi"],
        row["document_sha256"],
        row["attempts"],
    )


def record_success(
    db: sqlite_utils.Database,
    claim: Claim,
    owner: str,
    result: PageResult,
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


def record_failure(db: sqlite_utils.Database, claim: Claim, message: str) -> None:
    attempts = claim.attempts + 1
    status = OcrStatus.FALLIDA if attempts >= MAX_ATTEMPTS else OcrStatus.PENDIENTE
    db.execute(
        "UPDATE pages SET ocr_status = ?, error = ?, attempts = ?, lease_owner = NULL, "
        "lease_expires = NULL WHERE id = ?",
        [status.value, message, attempts, claim.page_id],
    )


def release(db: sqlite_utils.Database, page_id: int) -> None:
    db.execute(
        "UPDATE pages SET ocr_status = ?, lease_owner = NULL, lease_expires = NULL "
        "WHERE id = ? AND ocr_status = ?",
        [OcrStatus.PENDIENTE.value, page_id, OcrStatus.PROCESANDO.value],
    )


def record_document(
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
