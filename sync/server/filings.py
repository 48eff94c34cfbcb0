"""Committing a filing's manifest, issuing its signed receipt, and the changes feed.

The same on SQLite (one writer at a time) and on PostgreSQL with several workers at READ
COMMITTED (see :mod:`sync.server.sql`); three invariants, each carried by the database itself:

**One filing per uuid, the same receipt bytes for every caller.** ``filings.uuid`` is the PRIMARY
KEY and the whole commit is one transaction function that first reads the uuid's row. When two
workers commit the same uuid at once, both see no row; the second one's INSERT waits on the first
one's uncommitted key and then fails with a unique violation, on which ``sql.Connection.write``
rolls it back (its folio number too) and runs the function again: now it reads the winner's row
and answers with the stored receipt text. The winner also answers from the text it stored, so
every caller gets the same bytes. Same manifest → the stored receipt (200); a manifest that only
appends documents → a new revision with its own receipt under the same institutional folio, the
filing row locked (``FOR UPDATE``) so two revisions cannot interleave; anything else → 422.

**Institutional folios gap-free and unique per office and year.** No sequence (they leave gaps on
rollback): the ``folio_counters`` row of (office, year) is upserted (``last + 1 … RETURNING``)
inside the filing's transaction. The upsert holds that row's lock until commit, so the next filing
of the office waits and then reads the committed value; a transaction that aborts after taking
its number rolls the counter back with it, and ``UNIQUE (office, year, sequence)`` backs it up.

**The changes feed never skips an event.** A poller asks for ``cursor > since``; that is safe only
if a change becomes visible no later than every change with a smaller cursor. The cursor is not a
sequence or AUTOINCREMENT (numbers taken in one order, committed in another) but comes from the
single ``change_counter`` row, incremented in the writing transaction. Proof: the writer of cursor
c holds that row's lock from taking c until its commit has become visible (PostgreSQL releases row
locks after marking the transaction committed); the writer of c + 1 can only take its number after
that. So commit order is cursor order, and any snapshot that shows change c + 1 shows c and every
change before it; a rolled-back writer gives its number back, so there are no holes either. It
serializes status changes (short transactions, administrative events); filings do not touch it.
"""

from __future__ import annotations

import json
import uuid as uuid_module
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from sync import protocol
from sync.server import sql
from sync.server.blobs import check_sha256
from sync.server.devices import Device
from sync.server.errors import (
    BackendError,
    BadRequest,
    Conflict,
    Forbidden,
    NotFound,
    Unprocessable,
)

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
    connection: sql.Connection,
    manifest: dict[str, Any],
    device: Device,
    missing: list[str],
    signing_key: Ed25519PrivateKey,
    key_id: str,
    now: datetime,
    *,
    abort_after_folio: Callable[[str], bool] | None = None,
) -> Commit:
    """Store the filing (or its new revision) and sign its receipt; a replay gets the stored one.

    ``abort_after_folio`` is the test-only fault hook: when it says so, the transaction fails
    after taking its folio number (which the rollback gives back)."""
    digest = protocol.manifest_sha256(manifest)
    signer = _Signer(signing_key, key_id, device, now)
    # Most retries are replays of what is stored: answer them without a write transaction.
    stored = _stored(connection, manifest["uuid"])
    if stored is not None and stored["manifest_sha256"] == digest:
        return Commit(_receipt(stored["receipt"]), created=False)

    def work(tx: sql.Connection) -> Commit:
        row = _stored(tx, manifest["uuid"], lock=True)
        if row is not None:
            return _replay_or_revise(tx, row, manifest, digest, missing, signer)
        if missing:
            raise _missing(missing)
        sequence = tx.execute(
            "INSERT INTO folio_counters (office, year, last) VALUES (?, ?, 1) "
            "ON CONFLICT (office, year) DO UPDATE SET last = folio_counters.last + 1 "
            "RETURNING last",
            (device.office, now.year),
        ).fetchone()[0]
        if abort_after_folio is not None and abort_after_folio(manifest["uuid"]):
            raise BackendError(
                "Falla de prueba: la transacción se abortó después de tomar su folio.",
                code="falla_de_prueba",
                status=503,
                headers={"Retry-After": "0"},
            )
        receipt = signer.receipt(
            manifest["uuid"], f"{device.office}/{now.year}/{sequence:06d}", digest
        )
        receipt_text = json.dumps(receipt.to_dict(), ensure_ascii=False)
        tx.execute(
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
                receipt_text,
                receipt.server_time,
            ),
        )
        # What the replays will answer, parsed from the same stored text.
        return Commit(_receipt(receipt_text), created=True)

    return connection.write(work)


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


def _receipt(text: str) -> protocol.Receipt:
    return protocol.Receipt.from_dict(json.loads(text))


def _stored(connection: sql.Connection, filing_uuid: str, *, lock: bool = False) -> Any:
    """The filing's row or None; ``lock`` holds it (PostgreSQL) until the transaction ends."""
    return connection.execute(
        "SELECT manifest_sha256, manifest, receipt, office, institutional_folio, revision, "
        "committed_at FROM filings WHERE uuid = ?" + (connection.for_update if lock else ""),
        (filing_uuid,),
    ).fetchone()


def _replay_or_revise(
    tx: sql.Connection,
    row: Any,
    manifest: dict[str, Any],
    digest: str,
    missing: list[str],
    signer: _Signer,
) -> Commit:
    """The same manifest (now or in an earlier revision) gets its stored receipt back; a manifest
    that only adds documents to the stored one is a new revision under the same institutional
    folio; anything else is refused. ``row`` is the filing, locked in ``tx``."""
    if row["manifest_sha256"] == digest:
        return Commit(_receipt(row["receipt"]), created=False)
    earlier = tx.execute(
        "SELECT receipt FROM filing_revisions WHERE filing_uuid = ? AND manifest_sha256 = ?",
        (manifest["uuid"], digest),
    ).fetchone()
    if earlier is not None:
        return Commit(_receipt(earlier["receipt"]), created=False)
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
    tx.execute(  # the first revision enters the history when the second arrives
        "INSERT INTO filing_revisions (filing_uuid, revision, manifest_sha256, manifest, "
        "receipt, committed_at) VALUES (?,?,?,?,?,?) ON CONFLICT DO NOTHING",
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
    tx.execute(
        "INSERT INTO filing_revisions (filing_uuid, revision, manifest_sha256, manifest, "
        "receipt, committed_at) VALUES (?,?,?,?,?,?)",
        (manifest["uuid"], revision, digest, text, receipt_text, receipt.server_time),
    )
    tx.execute(
        "UPDATE filings SET manifest_sha256 = ?, manifest = ?, receipt = ?, revision = ? "
        "WHERE uuid = ?",
        (digest, text, receipt_text, revision, manifest["uuid"]),
    )
    return Commit(_receipt(receipt_text), created=True)


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


def receipt_of(connection: sql.Connection, filing_uuid: str, device: Device) -> dict[str, str]:
    row = _stored(connection, filing_uuid)
    if row is None or row["office"] != device.office:
        raise NotFound("El servidor no tiene ese escrito.", code="escrito_desconocido")
    receipt: dict[str, str] = json.loads(row["receipt"])
    return receipt


def mark(
    connection: sql.Connection, filing_uuid: str, status: str, note: str, now: datetime
) -> int:
    """Append a status change to the feed; returns its cursor (see the module's docstring)."""
    if status not in protocol.SERVER_STATUSES:
        raise BadRequest(
            f"Estado desconocido «{status}»; use uno de {', '.join(protocol.SERVER_STATUSES)}.",
            code="estado_invalido",
        )

    return connection.write(lambda tx: append_change(tx, filing_uuid, status, note, now))


def append_change(
    tx: sql.Connection, filing_uuid: str, status: str, note: str, now: datetime
) -> int:
    """The feed's next event inside the caller's write transaction ``tx``; its cursor stays
    locked (and later cursors wait) until ``tx`` ends."""
    row = tx.execute("SELECT office FROM filings WHERE uuid = ?", (filing_uuid,)).fetchone()
    if row is None:
        raise NotFound(f"El servidor no tiene el escrito {filing_uuid}.")
    cursor = int(
        tx.execute(
            "UPDATE change_counter SET last = last + 1 WHERE id = 1 RETURNING last"
        ).fetchone()[0]
    )
    tx.execute(
        "INSERT INTO changes (cursor, filing_uuid, office, status, note, at) VALUES (?,?,?,?,?,?)",
        (cursor, filing_uuid, row["office"], status, note, now.isoformat(timespec="seconds")),
    )
    return cursor


def changes(connection: sql.Connection, office: str, since: int, limit: int) -> dict[str, Any]:
    rows = connection.execute(
        "SELECT cursor, filing_uuid, status, note, at FROM changes "
        "WHERE office = ? AND cursor > ? ORDER BY cursor LIMIT ?",
        (office, since, limit),
    ).fetchall()
    items = [dict(row) for row in rows]
    return {"changes": items, "next": items[-1]["cursor"] if items else since}
