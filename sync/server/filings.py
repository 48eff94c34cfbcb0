"""Committing a filing's manifest, issuing its signed receipt, and the changes feed.

Idempotency rests on ``filings.uuid`` being the PRIMARY KEY: the insert either wins or raises
IntegrityError, and the loser reads the winner's row (same manifest → the same stored receipt,
another manifest → 422). The institutional folio comes from a per-office, per-year counter bumped
in the same transaction as the insert, so a rolled-back commit leaves no gap.
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
    existing = _stored(connection, manifest["uuid"])
    if existing is not None:
        return _replay(existing, digest)
    if missing:
        raise Conflict(
            f"Faltan {len(missing)} archivos por subir antes de registrar el escrito.",
            code="faltan_archivos",
            missing=missing,
        )
    try:
        with database.write(connection):
            sequence = connection.execute(
                "INSERT INTO folio_counters (office, year, last) VALUES (?, ?, 1) "
                "ON CONFLICT(office, year) DO UPDATE SET last = last + 1 RETURNING last",
                (device.office, now.year),
            ).fetchone()[0]
            receipt = protocol.sign_receipt(
                signing_key,
                protocol.Receipt(
                    filing_uuid=manifest["uuid"],
                    institutional_folio=f"{device.office}/{now.year}/{sequence:06d}",
                    office=device.office,
                    device_id=device.id,
                    manifest_sha256=digest,
                    server_time=now.isoformat(timespec="seconds"),
                    key_id=key_id,
                ),
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
        existing = _stored(connection, manifest["uuid"])
        if existing is None:
            raise
        return _replay(existing, digest)
    return Commit(receipt, created=True)


def _stored(connection: sqlite3.Connection, filing_uuid: str) -> sqlite3.Row | None:
    row: sqlite3.Row | None = connection.execute(
        "SELECT manifest_sha256, receipt, office FROM filings WHERE uuid = ?", (filing_uuid,)
    ).fetchone()
    return row


def _replay(row: sqlite3.Row, digest: str) -> Commit:
    if row["manifest_sha256"] != digest:
        raise Unprocessable(
            "Ya existe un escrito con este uuid y otro contenido; no se sobrescribe. "
            "Revise el registro local de este escrito.",
            code="manifiesto_distinto",
            manifest_sha256=row["manifest_sha256"],
        )
    return Commit(protocol.Receipt.from_dict(json.loads(row["receipt"])), created=False)


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
