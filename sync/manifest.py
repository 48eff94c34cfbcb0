"""The manifest of one filing, built from the store: what the backend commits and hashes.

Deterministic: it reads only registered, immutable facts (no sync state, no OCR text, no clock),
in a fixed order, so a retry after a lost answer sends a byte-identical manifest and the server
recognises it as the same filing (``protocol.manifest_sha256``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlite_utils

from mailroom.errors import NotFound


@dataclass(frozen=True)
class BlobRef:
    sha256: str
    size: int


@dataclass(frozen=True)
class FilingManifest:
    uuid: str
    folio: str
    body: dict[str, Any]
    blobs: tuple[BlobRef, ...]


def build_manifest(db: sqlite_utils.Database, uuid: str) -> FilingManifest:
    row = next(db.query("SELECT * FROM filings WHERE uuid = ?", [uuid]), None)
    if row is None:
        raise NotFound(f"No existe el escrito {uuid}.")
    documents = [
        {
            "ordinal": d["ordinal"],
            "filename": d["filename"],
            "mime": d["mime"],
            "sha256": d["sha256"],
            "size": d["size"],
            "page_count": d["page_count"],
        }
        for d in db.query(
            "SELECT ordinal, filename, mime, sha256, size, page_count FROM documents "
            "WHERE filing_uuid = ? ORDER BY ordinal",
            [uuid],
        )
    ]
    addressees = [
        {"area": a["area"], "role": a["role"]}
        for a in db.query(
            "SELECT area, role FROM filing_addressees WHERE filing_uuid = ? "
            "ORDER BY role = 'copia', rowid",
            [uuid],
        )
    ]
    acuse = db.execute("SELECT cadena_digest FROM acuses WHERE filing_uuid = ?", [uuid]).fetchone()
    sizes = {d["sha256"]: d["size"] for d in documents}
    blobs = tuple(BlobRef(sha, sizes[sha]) for sha in sorted(sizes))
    body: dict[str, Any] = {
        "uuid": row["uuid"],
        "folio": row["folio"],
        "device": row["device"],
        "office": row["office"],
        "received_at": row["received_at"],
        "channel": row["channel"],
        "sender": {
            "name": row["sender_name"],
            "curp": row["sender_curp"],
            "rfc": row["sender_rfc"],
            "email": row["sender_email"],
            "phone": row["sender_phone"],
            "organization": row["sender_organization"],
            "position": row["sender_position"],
        },
        "subject": row["subject"],
        "procedure_type": row["procedure_type"],
        "document_number": row["document_number"],
        "priority": row["priority"],
        "addressees": addressees,
        "pages_declared": row["fojas_declared"],
        "pages_scanned": row["pages_scanned"],
        "documents": documents,
        "cadena_digest": acuse[0] if acuse else None,
        "blobs": [b.sha256 for b in blobs],
    }
    return FilingManifest(row["uuid"], row["folio"], body, blobs)
