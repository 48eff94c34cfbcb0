"""Committing a filing's manifest, issuing its signed receipt, and the changes feed.

Idempotency rests on ``filings.uuid`` being the PRIMARY KEY: the insert either wins or raises
IntegrityError, and the loser reads the winner's row (same manifest → the same stored receipt,
a manifest that only appends documents → a new revision with its own receipt under the same
institutional folio, any other manifest → 422). The institutional folio comes from a per-office,
per-year counter bumped in the same transaction as the insert, so a rolled-back commit leaves no
gap.
"""

from __future__ import annotations

import json
import sqlite3
import uuid as uuid_module
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from sync import protocol
from sync.server import database
from sync.server.blobs import check_sha256
from sync.server.devices import Device
from sync.server.errors import BadRequest, Conflict, Forbidden, NotFound, Unprocessable

DOCUMENT_FIELDS: dict[str, type | tuple[type, ...]] = {
    "ordinal": int,
    "filename": str,
    "mime": str,
    "sha256": str,
    "size": int,
    "page_count": int,
}


@dataclass(frozen=True)
class Commit:
    receipt: protocol.Receipt
    created: bool  # False on a replay


def check_uuid(value: str) -> str:
    """Only the canonical spelling (lowercase, hyphenated): ``{…}``, ``urn:uuid:`` or capitals
    would let one filing be stored twice under two spellings of the same uuid."""
    try:
        canonical = str(uuid_module.UUID(value))
    except ValueError as error:
        raise BadRequest(f"«{value[:80]}» no es un UUID.", code="uuid_invalido") from error
    if canonical != value:
        raise BadRequest(
            f"«{value[:80]}» no está escrito en la forma canónica del UUID ({canonical}).",
            code="uuid_invalido",
        )
    return value


def validate_manifest(manifest: Any, path_uuid: str, device: Device) -> list[str]:
    """The blobs the manifest needs; BadRequest/Forbidden when it cannot be accepted."""
    if not isinstance(manifest, dict):
        raise BadRequest("El manifiesto debe ser un objeto JSON.", code="manifiesto_invalido")
    expected = {"uuid": str, "folio": str, "device": str, "office": str, "received_at": str}
    for key, kind in {**expected, "documents": list, "blobs": list}.items():
        if not isinstance(manifest.get(key), kind):
            raise BadRequest(
                f"Al manifiesto le falta «{key}» o no es del tipo esperado.",
                code="manifiesto_invalido",
                field=key,
            )
    if manifest["uuid"] != path_uuid:
        raise BadRequest(
            "El uuid del manifiesto no es el de la dirección.", code="manifiesto_invalido"
        )
    for number, document in enumerate(manifest["documents"], start=1):
        if not isinstance(document, dict) or any(
            not isinstance(document.get(name), kind) or isinstance(document.get(name), bool)
            for name, kind in DOCUMENT_FIELDS.items()
        ):
            raise BadRequest(
                f"El documento {number} del manifiesto necesita "
                f"{', '.join(DOCUMENT_FIELDS)} con sus tipos.",
                code="manifiesto_invalido",
            )
        check_sha256(document["sha256"])
    blobs = manifest["blobs"]
    if not all(isinstance(sha, str) for sha in blobs):
        raise BadRequest("«blobs» debe ser una lista de SHA-256.", code="manifiesto_invalido")
    for sha in blobs:
        check_sha256(sha)
    if manifest["device"] != device.code:
        raise Forbidden(
            f"El manifiesto dice venir del equipo {manifest['device']}, pero la credencial es "
            f"del equipo {device.code}.",
            code="equipo_distinto",
        )
    if manifest["office"] != device.office:
        raise Forbidden(
            f"El manifiesto es de la oficina {manifest['office']}, pero el equipo está dado de "
            f"alta en {device.office}.",
            code="oficina_distinta",
        )
    return list(dict.fromkeys(blobs))


def commit(
    connection: sqlite3.Connection,
    manifest: dict[str, Any],
    device: Device,
    missing: list[str],
    signing_key: Ed25519PrivateKey,
    key_id: str,
    now: datetime,
) -> Commit:
    digest = protocol.manifest_sha256(manifest)
    signer = _Signer(signing_key, key_id, device, now)
    existing = _stored(connection, manifest["uuid"])
    if existing is not None:
        return _replay_or_revise(connection, manifest, digest, missing, signer)
    if missing:
        raise _missing(missing)
    try:
        with database.write(connection):
            sequence = connection.execute(
                "INSERT INTO folio_counters (office, year, last) VALUES (?, ?, 1) "
                "ON CONFLICT(office, year) DO UPDATE SET last = last + 1 RETURNING last",
                (device.office, now.year),
            ).fetchone()[0]
            receipt = signer.receipt(
                manifest["uuid"], f"{device.office}/{now.year}/{sequence:06d}", digest
            )
            connection.execute(
                "INSERT INTO filings (uuid, office, year, sequence, institutional_folio, "
                "device_id, manifest_sha256, manifest, receipt, committed_at) "
                "VALUES (?,?,?,?,?,?,?,?,?,?)",
                (
                    manifest["uuid"],
                    device.office,
                    now.year,
                    sequence,
                    receipt.institutional_folio,
                    device.id,
                    digest,
                    protocol.canonical_json(manifest).decode("utf-8"),
                    json.dumps(receipt.to_dict(), ensure_ascii=False),
                    receipt.server_time,
                ),
            )
    except sqlite3.IntegrityError:
        # Another request committed this uuid between our read and our insert.
        if _stored(connection, manifest["uuid"]) is None:
            raise
        return _replay_or_revise(connection, manifest, digest, missing, signer)
    return Commit(receipt, created=True)


@dataclass(frozen=True)
class _Signer:
    key: Ed25519PrivateKey
    key_id: str
    device: Device
    now: datetime

    def receipt(self, filing_uuid: str, institutional_folio: str, digest: str) -> protocol.Receipt:
        return protocol.sign_receipt(
            self.key,
            protocol.Receipt(
                filing_uuid=filing_uuid,
                institutional_folio=institutional_folio,
                office=self.device.office,
                device_id=self.device.id,
                manifest_sha256=digest,
                server_time=self.now.isoformat(timespec="seconds"),
                key_id=self.key_id,
            ),
        )


def _missing(missing: list[str]) -> Conflict:
    return Conflict(
        f"Faltan {len(missing)} archivos por subir antes de registrar el escrito.",
        code="faltan_archivos",
        missing=missing,
    )


def _stored(connection: sqlite3.Connection, filing_uuid: str) -> sqlite3.Row | None:
    row: sqlite3.Row | None = connection.execute(
        "SELECT manifest_sha256, manifest, receipt, office, institutional_folio, revision, "
        "committed_at FROM filings WHERE uuid = ?",
        (filing_uuid,),
    ).fetchone()
    return row


def _replay_or_revise(
    connection: sqlite3.Connection,
    manifest: dict[str, Any],
    digest: str,
    missing: list[str],
    signer: _Signer,
) -> Commit:
    """The same manifest (now or in an earlier revision) gets its stored receipt back; a manifest
    that only adds documents to the stored one is a new revision under the same institutional
    folio; anything else is refused."""
    with database.write(connection):
        row = _stored(connection, manifest["uuid"])
        assert row is not None  # filings rows are never deleted
        if row["manifest_sha256"] == digest:
            return Commit(protocol.Receipt.from_dict(json.loads(row["receipt"])), created=False)
        earlier = connection.execute(
            "SELECT receipt FROM filing_revisions WHERE filing_uuid = ? AND manifest_sha256 = ?",
            (manifest["uuid"], digest),
        ).fetchone()
        if earlier is not None:
            return Commit(protocol.Receipt.from_dict(json.loads(earlier["receipt"])), created=False)
        if row["office"] != signer.device.office or not _adds_documents(
            json.loads(row["manifest"]), manifest
        ):
            raise Unprocessable(
                "Ya existe un escrito con este uuid y otro contenido; no se sobrescribe. "
                "Revise el registro local de este escrito.",
                code="manifiesto_distinto",
                manifest_sha256=row["manifest_sha256"],
            )
        if missing:
            raise _missing(missing)
        revision = row["revision"] + 1
        receipt = signer.receipt(manifest["uuid"], row["institutional_folio"], digest)
        text = protocol.canonical_json(manifest).decode("utf-8")
        connection.execute(  # the first revision enters the history when the second arrives
            "INSERT OR IGNORE INTO filing_revisions (filing_uuid, revision, manifest_sha256, "
            "manifest, receipt, committed_at) VALUES (?,?,?,?,?,?)",
            (
                manifest["uuid"],
                row["revision"],
                row["manifest_sha256"],
                row["manifest"],
                row["receipt"],
                row["committed_at"],
            ),
        )
        receipt_text = json.dumps(receipt.to_dict(), ensure_ascii=False)
        connection.execute(
            "INSERT INTO filing_revisions (filing_uuid, revision, manifest_sha256, manifest, "
            "receipt, committed_at) VALUES (?,?,?,?,?,?)",
            (manifest["uuid"], revision, digest, text, receipt_text, receipt.server_time),
        )
        connection.execute(
            "UPDATE filings SET manifest_sha256 = ?, manifest = ?, receipt = ?, revision = ? "
            "WHERE uuid = ?",
            (digest, text, receipt_text, revision, manifest["uuid"]),
        )
    return Commit(receipt, created=True)


def _adds_documents(stored: dict[str, Any], new: dict[str, Any]) -> bool:
    """``new`` is ``stored`` plus documents appended after it (pages scanned later for the same
    filing): every other field identical, the stored documents an unchanged prefix."""
    growing = {"documents", "pages_scanned", "blobs"}
    if stored.keys() != new.keys():
        return False
    if any(stored[key] != new[key] for key in stored.keys() - growing):
        return False
    old_docs, new_docs = stored["documents"], new["documents"]
    if len(new_docs) <= len(old_docs) or new_docs[: len(old_docs)] != old_docs:
        return False
    added_pages = sum(int(d["page_count"]) for d in new_docs[len(old_docs) :])
    return bool(
        new["pages_scanned"] == stored["pages_scanned"] + added_pages
        and set(stored["blobs"]) <= set(new["blobs"])
    )


def receipt_of(connection: sqlite3.Connection, filing_uuid: str, device: Device) -> dict[str, str]:
    row = _stored(connection, filing_uuid)
    if row is None or row["office"] != device.office:
        raise NotFound("El servidor no tiene ese escrito.", code="escrito_desconocido")
    receipt: dict[str, str] = json.loads(row["receipt"])
    return receipt


def mark(
    connection: sqlite3.Connection, filing_uuid: str, status: str, note: str, now: datetime
) -> int:
    """Append a status change to the feed; returns its cursor."""
    if status not in protocol.SERVER_STATUSES:
        raise BadRequest(
            f"Estado desconocido «{status}»; use uno de {', '.join(protocol.SERVER_STATUSES)}.",
            code="estado_invalido",
        )
    with database.write(connection):
        row = connection.execute(
            "SELECT office FROM filings WHERE uuid = ?", (filing_uuid,)
        ).fetchone()
        if row is None:
            raise NotFound(f"El servidor no tiene el escrito {filing_uuid}.")
        cursor = connection.execute(
            "INSERT INTO changes (filing_uuid, office, status, note, at) VALUES (?,?,?,?,?)",
            (filing_uuid, row["office"], status, note, now.isoformat(timespec="seconds")),
        ).lastrowid
    assert cursor is not None
    return cursor


def changes(connection: sqlite3.Connection, office: str, since: int, limit: int) -> dict[str, Any]:
    rows = connection.execute(
        "SELECT cursor, filing_uuid, status, note, at FROM changes "
        "WHERE office = ? AND cursor > ? ORDER BY cursor LIMIT ?",
        (office, since, limit),
    ).fetchall()
    items = [dict(row) for row in rows]
    return {"changes": items, "next": items[-1]["cursor"] if items else since}
