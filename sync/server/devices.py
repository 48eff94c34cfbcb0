"""Enrolment tokens, device credentials, authentication and revocation.

Only SHA-256 hashes of tokens and credentials are stored: both are 256-bit random values, so a
slow password hash would add nothing, and a stolen database does not let anyone act as a device.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NewType

from sync.server import sql
from sync.server.errors import BadRequest, Conflict, Forbidden, NotAuthenticated, NotFound

DeviceId = NewType("DeviceId", str)


@dataclass(frozen=True)
class Device:
    id: DeviceId
    code: str
    office: str
    name: str


@dataclass(frozen=True)
class Enrolment:
    device: Device
    credential: str


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def issue_token(connection: sql.Connection, office: str, now: datetime, lifetime: timedelta) -> str:
    office = office.strip()
    if not office or len(office) > 32 or not office.replace("-", "").isalnum():
        raise BadRequest(
            "La clave de la oficina debe tener letras, números o guiones (máximo 32).",
            code="oficina_invalida",
        )
    token = _typable_token()
    connection.write(
        lambda tx: tx.execute(
            "INSERT INTO enrolment_tokens (token_sha256, office, created_at, expires_at) "
            "VALUES (?,?,?,?)",
            (_digest(token), office, now.isoformat(), (now + lifetime).isoformat()),
        )
    )
    return token


def enroll(
    connection: sql.Connection, token: str, device_code: str, name: str, now: datetime
) -> Enrolment:
    digest = _digest(token)
    device_id = DeviceId("dev_" + secrets.token_hex(8))
    credential = secrets.token_urlsafe(32)

    def work(tx: sql.Connection) -> Device:
        row = tx.execute(
            "SELECT office, expires_at, used_at FROM enrolment_tokens WHERE token_sha256 = ?",
            (digest,),
        ).fetchone()
        if row is None:
            raise NotAuthenticated(
                "El token de alta no existe. Pida uno nuevo al administrador del sistema.",
                code="token_desconocido",
            )
        if row["used_at"] is not None:
            raise Conflict(
                "Este token de alta ya se usó; cada token sirve una sola vez. "
                "Pida uno nuevo al administrador.",
                code="token_usado",
            )
        if datetime.fromisoformat(row["expires_at"]) <= now:
            raise NotAuthenticated(
                "El token de alta venció (duran 24 horas). Pida uno nuevo al administrador.",
                code="token_vencido",
            )
        device = Device(device_id, device_code, str(row["office"]), name)
        tx.execute(
            "INSERT INTO devices (id, code, office, name, credential_sha256, enrolled_at) "
            "VALUES (?,?,?,?,?,?)",
            (device.id, device_code, device.office, name, _digest(credential), now.isoformat()),
        )
        # The WHERE makes the token single-use even if two enrolments race past the SELECT.
        used = tx.execute(
            "UPDATE enrolment_tokens SET used_at = ?, device_id = ? "
            "WHERE token_sha256 = ? AND used_at IS NULL",
            (now.isoformat(), device.id, digest),
        )
        if used.rowcount != 1:
            raise Conflict("Este token de alta ya se usó.", code="token_usado")
        return device

    return Enrolment(connection.write(work), credential)


def authenticate(connection: sql.Connection, authorization: str | None) -> Device:
    scheme, _, credential = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not credential.strip():
        raise NotAuthenticated(
            "Falta la credencial del equipo (Authorization: Bearer …). Dé de alta el equipo.",
            headers={"WWW-Authenticate": "Bearer"},
        )
    row = connection.execute(
        "SELECT id, code, office, name, revoked_at FROM devices WHERE credential_sha256 = ?",
        (_digest(credential.strip()),),
    ).fetchone()
    if row is None:
        raise NotAuthenticated(
            "La credencial del equipo no es válida. Dé de alta el equipo de nuevo.",
            headers={"WWW-Authenticate": "Bearer"},
        )
    if row["revoked_at"] is not None:
        raise Forbidden(
            "Este equipo fue dado de baja por el administrador. Pida un token nuevo y vuelva a "
            "darlo de alta.",
            code="dispositivo_revocado",
        )
    return Device(DeviceId(row["id"]), row["code"], row["office"], row["name"])


def revoke(connection: sql.Connection, device_id: str, now: datetime) -> None:
    def work(tx: sql.Connection) -> None:
        done = tx.execute(
            "UPDATE devices SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?",
            (now.isoformat(), device_id),
        )
        if done.rowcount != 1:
            raise NotFound(f"No existe el equipo {device_id}.", code="dispositivo_desconocido")

    connection.write(work)


def _typable_token() -> str:
    """A one-time enrolment token an admin types or pastes after ``oficialia enroll URL``: one
    starting with «-» would be read as an option (1 in 64 of ``token_urlsafe``'s)."""
    token = secrets.token_urlsafe(24)
    while token.startswith("-"):
        token = secrets.token_urlsafe(24)
    return token
