"""Enrolment: a one-time token becomes this device's id, its credential and the pinned server key.

The device id, backend URL and the server's Ed25519 public key go to the database
(``sync_device``); the credential goes to a file only this user can read (0600, in a 0700 folder
under the data dir) — never to the database, which is copied to backups and shared for support.

A person enrols the device only as an administrator (``enroll_by``, ``Action.ENROLAR``); the
kiosk is not a person and never enrols itself, and the demo's own backend enrols its device
unchecked (``enroll``).
"""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import sqlite_utils

from mailroom import audit
from mailroom.fsutil import shared_mode
from mailroom.permissions import Action, authorize
from mailroom.store import Store
from sync import protocol
from sync.errors import EnrolmentFailed, NotEnrolled
from sync.transport import Transport, error_for, json_body

if TYPE_CHECKING:
    from mailroom.config import Settings

CREDENTIAL_FOLDER = "sync"
CREDENTIAL_FILE = "credential"


@dataclass(frozen=True)
class Enrolment:
    device_id: str
    office: str
    backend_url: str
    server_public_key: str  # base64 of the raw Ed25519 key
    server_key_id: str
    enrolled_at: str
    changes_cursor: str
    revoked_at: str | None
    revoked_message: str | None

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None

    def public_key(self) -> protocol.Ed25519PublicKey:
        return protocol.public_key_from_b64(self.server_public_key)


def credential_path(data_dir: Path) -> Path:
    return data_dir / CREDENTIAL_FOLDER / CREDENTIAL_FILE


def enroll_by(
    settings: Settings, store: Store, transport: Transport, token: str, now: datetime
) -> Enrolment:
    """An administrator enrols this device (``Action.ENROLAR``): the clerk's app and
    ``oficialia enroll``. Checked before the token is sent (the server takes each token once)
    and again in the write that saves the enrolment, with its audit event."""
    authorize(store.reader(), settings, Action.ENROLAR)

    def recorded(db: sqlite_utils.Database, enrolment: Enrolment) -> None:
        actor = authorize(db, settings, Action.ENROLAR)
        audit.append_event(
            db,
            at=now,
            actor=actor.name,
            kind="equipo_enrolado",
            filing_id=None,
            payload={
                "equipo": settings.device,
                "identificador": enrolment.device_id,
                "servidor": enrolment.backend_url,
                "llave_del_servidor": enrolment.server_key_id,
            },
        )

    return enroll(store, transport, token, settings.device, now, recorded=recorded)


def enroll_at(settings: Settings, store: Store, url: str, token: str, now: datetime) -> Enrolment:
    """:func:`enroll_by` on the server at ``url``, with this office's TLS and timeout settings."""
    transport = Transport(
        url.strip(),
        ca_bundle=settings.sync_ca_bundle,
        connect_timeout=settings.sync_connect_timeout_seconds,
        read_timeout=settings.sync_read_timeout_seconds,
    )
    try:
        return enroll_by(settings, store, transport, token.strip(), now)
    finally:
        transport.close()


def enroll(
    store: Store,
    transport: Transport,
    token: str,
    device_code: str,
    now: datetime,
    *,
    recorded: Callable[[sqlite_utils.Database, Enrolment], None] | None = None,
) -> Enrolment:
    """Enrol with ``token``, unchecked: what the device does for itself (the demo's own
    backend). A person enrols through :func:`enroll_by`. ``recorded`` runs first in the write
    that saves the enrolment (a check, an audit event); if it raises, nothing is saved."""
    response = transport.request(
        "POST",
        f"{protocol.API_PREFIX}/devices/enroll",
        authenticated=False,
        json={"token": token, "device_code": device_code},
    )
    if response.status_code not in (200, 201):
        error = error_for(response, "enrolar el equipo")
        # The server's own words ("token vencido", "ya usado"), not a re-enrol hint: that is
        # what the clerk is already doing.
        said = error.details.get("server_message") or error.message
        raise EnrolmentFailed(f"No se pudo dar de alta el equipo: {said}") from error
    body = json_body(response)
    try:
        device_id = str(body["device_id"])
        credential = str(body["credential"])
        key_text = str(body["server_public_key"])
        public_key = protocol.public_key_from_b64(key_text)
    except (KeyError, ValueError, binascii.Error) as error:
        raise EnrolmentFailed(
            f"La respuesta de enrolamiento está incompleta o dañada: {error}."
        ) from error
    office = str(body.get("office", ""))
    enrolment = Enrolment(
        device_id,
        office,
        transport.base_url,
        base64.b64encode(protocol.public_key_raw(public_key)).decode(),
        protocol.key_id(public_key),
        now.isoformat(),
        "",
        None,
        None,
    )

    def save(db: sqlite_utils.Database) -> None:
        if recorded is not None:
            recorded(db, enrolment)
        write_credential(store.data_dir, credential)
        # A new enrolment (after a revocation, or to another backend) starts the feed afresh.
        db.execute("DELETE FROM sync_device")
        db.table("sync_device").insert(
            {
                "id": 1,
                "device_id": enrolment.device_id,
                "office": enrolment.office,
                "backend_url": enrolment.backend_url,
                "server_public_key": enrolment.server_public_key,
                "server_key_id": enrolment.server_key_id,
                "enrolled_at": enrolment.enrolled_at,
                "changes_cursor": "",
            }
        )

    store.write(save)
    return enrolment


def current(db: sqlite_utils.Database) -> Enrolment | None:
    row = next(db.query("SELECT * FROM sync_device WHERE id = 1"), None)
    if row is None:
        return None
    return Enrolment(
        row["device_id"],
        row["office"],
        row["backend_url"],
        row["server_public_key"],
        row["server_key_id"],
        row["enrolled_at"],
        row["changes_cursor"],
        row["revoked_at"],
        row["revoked_message"],
    )


def require(db: sqlite_utils.Database) -> Enrolment:
    enrolment = current(db)
    if enrolment is None:
        raise NotEnrolled(
            "Este equipo no está dado de alta con el servidor estatal: use "
            "«oficialia enroll URL TOKEN» con el token que le dio el administrador."
        )
    return enrolment


def mark_revoked(store: Store, message: str, now: datetime) -> None:
    store.write(
        lambda db: db.execute(
            "UPDATE sync_device SET revoked_at = ?, revoked_message = ? WHERE id = 1",
            [now.isoformat(), message],
        )
    )


def write_credential(data_dir: Path, credential: str) -> Path:
    path = credential_path(data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(path.parent, shared_mode(0o700))
    temporary = path.with_suffix(".tmp")
    # Created private from the start: never world-readable, not even for an instant. (In a data
    # folder a group shares, the group's: every clerk's app syncs as this device.)
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, shared_mode(0o600))
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(credential)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
    return path


def read_credential(data_dir: Path) -> str:
    path = credential_path(data_dir)
    try:
        return path.read_text(encoding="utf-8").strip()
    except FileNotFoundError as error:
        raise NotEnrolled(
            f"Falta la credencial del equipo ({path}): enrólelo de nuevo con "
            "«oficialia enroll URL TOKEN»."
        ) from error
