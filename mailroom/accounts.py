"""App-local accounts: who works at the counter, with which role, and signing them in. Qt-free.

Passwords are kept only as argon2id hashes (``mailroom.password_hash``) and must pass
``mailroom.password_policy``. A refused sign-in never says whether the user name or the password
was wrong, and a disabled account is refused with the same words. Repeated failures lock the
name for a while (``LOCK_STAGES``), counted in the database so that a restart does not reset them;
names that are no account lock the same way. Every change and every sign-in, failed sign-in and
lock is an audit event written in the same transaction, and no event ever holds a password.
"""

from __future__ import annotations

import functools
import hashlib
import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal, NewType, cast

import sqlite_utils

from mailroom import audit
from mailroom.clock import Clock
from mailroom.errors import InvalidInput, NotFound, OficialiaError
from mailroom.password_hash import hash_secret, needs_rehash, secret_matches
from mailroom.password_policy import check_password
from mailroom.store import Store

__all__ = [
    "LOCK_STAGES",
    "ROLES",
    "Account",
    "AccountRefused",
    "Accounts",
    "SignInLocked",
    "SignInRefused",
    "UserName",
]

UserName = NewType("UserName", str)
Role = Literal["oficial", "supervisor", "administrador"]
ROLES: tuple[Role, ...] = ("oficial", "supervisor", "administrador")
ADMINISTRATOR: Role = "administrador"
# (failures reached, minutes locked): the 5th failure in a row locks for a minute, the 10th and
# every 5th after it for 15. The count starts again only after a successful sign-in.
LOCK_STAGES: tuple[tuple[int, int], ...] = ((5, 1), (10, 15))
LONGEST_LOCK = timedelta(minutes=max(minutes for _, minutes in LOCK_STAGES))
USER_NAME = re.compile(r"[a-z][a-z0-9._-]{1,31}")

REFUSED = (
    "No se pudo iniciar sesión: el usuario o la contraseña no son correctos, o la cuenta no está "
    "activa. Revise lo que escribió; si sigue sin entrar, pida ayuda a un administrador."
)


class SignInRefused(OficialiaError):
    """A refused sign-in; the message never tells which part was wrong."""

    code = "inicio_sesion_rechazado"
    exit_code = 77


class SignInLocked(SignInRefused):
    """Too many failed sign-ins in a row for this user name; carries when it opens again."""

    code = "inicio_sesion_bloqueado"

    def __init__(self, until: datetime) -> None:
        super().__init__(
            "Demasiados intentos fallidos con ese usuario. Espere hasta las "
            f"{until:%H:%M} para intentarlo de nuevo, o pida ayuda a un administrador.",
            until=until.isoformat(),
        )
        self.until = until


class AccountRefused(InvalidInput):
    """An account change that would leave the office worse off (the last administrator)."""

    code = "cuenta_rechazada"


@dataclass(frozen=True)
class Account:
    user_name: UserName
    full_name: str
    role: Role
    active: bool
    must_change_password: bool
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class _Attempt:
    account: Account | None
    locked_until: datetime | None


class Accounts:
    """Create, list, disable and reset accounts; sign people in. ``actor`` is who does it."""

    def __init__(self, store: Store, clock: Clock, *, office_names: tuple[str, ...] = ()) -> None:
        self.store = store
        self.clock = clock
        self.office_names = office_names

    # -- administration -------------------------------------------------------------------------

    def create(
        self, user_name: str, *, full_name: str, role: str, password: str, actor: str
    ) -> Account:
        name = _valid_user_name(user_name)
        full_name = " ".join(full_name.split())
        if not full_name:
            raise InvalidInput(
                "Falta el nombre completo (el que aparece en el acuse como quien recibió).",
                field="nombre",
            )
        checked_role = _valid_role(role)
        check_password(
            password, user_name=name, full_name=full_name, office_names=self.office_names
        )
        password_hash = hash_secret(password)  # slow on purpose: outside the write
        now = self.clock.now()

        def write(db: sqlite_utils.Database) -> Account:
            if _row(db, name) is not None:
                raise InvalidInput(f"Ya existe la cuenta «{name}».", field="usuario")
            db.execute(
                "INSERT INTO accounts (user_name, full_name, role, active, password_hash, "
                "must_change_password, created_at, updated_at) VALUES (?, ?, ?, 1, ?, 0, ?, ?)",
                [name, full_name, checked_role, password_hash, now.isoformat(), now.isoformat()],
            )
            _event(db, now, actor, "cuenta_creada", name, nombre=full_name, rol=checked_role)
            return _required(db, name)

        return self.store.write(write)

    def list_accounts(self) -> list[Account]:
        rows = self.store.reader().query("SELECT * FROM accounts ORDER BY user_name")
        return [_account(row) for row in rows]

    def get(self, user_name: str) -> Account:
        row = _row(self.store.reader(), _normal(user_name))
        if row is None:
            raise _no_account(user_name)
        return _account(row)

    def has_active_administrator(self) -> bool:
        return _active_administrators(self.store.reader()) > 0

    def disable(self, user_name: str, *, actor: str) -> Account:
        name = _normal(user_name)
        now = self.clock.now()

        def write(db: sqlite_utils.Database) -> Account:
            account = _account(_existing(db, name))
            if not account.active:
                return account
            if account.role == ADMINISTRATOR and _active_administrators(db) <= 1:
                raise AccountRefused(
                    f"«{name}» es el único administrador activo: si se desactiva, nadie podría "
                    "administrar las cuentas. Cree antes otra cuenta de administrador.",
                    field="usuario",
                )
            db.execute(
                "UPDATE accounts SET active = 0, updated_at = ? WHERE user_name = ?",
                [now.isoformat(), name],
            )
            _event(db, now, actor, "cuenta_desactivada", name)
            return _required(db, name)

        return self.store.write(write)

    def reset_password(self, user_name: str, password: str, *, actor: str) -> Account:
        """A new password set by an administrator: the person must change it when signing in.
        Earlier failures and any lock on the name are forgotten."""
        account = self.get(user_name)
        check_password(
            password,
            user_name=account.user_name,
            full_name=account.full_name,
            office_names=self.office_names,
        )
        password_hash = hash_secret(password)
        now = self.clock.now()

        def write(db: sqlite_utils.Database) -> Account:
            _existing(db, account.user_name)
            db.execute(
                "UPDATE accounts SET password_hash = ?, must_change_password = 1, updated_at = ? "
                "WHERE user_name = ?",
                [password_hash, now.isoformat(), account.user_name],
            )
            db.execute(
                "DELETE FROM sign_in_failures WHERE name_sha256 = ?", [_key(account.user_name)]
            )
            _event(db, now, actor, "contrasena_restablecida", account.user_name)
            return _required(db, account.user_name)

        return self.store.write(write)

    # -- signing in -----------------------------------------------------------------------------

    def sign_in(self, user_name: str, password: str) -> Account:
        """The account, or ``SignInRefused`` / ``SignInLocked`` (the failure is recorded first)."""
        name = _normal(user_name)
        row = _row(self.store.reader(), name) if USER_NAME.fullmatch(name) else None
        stored = row["password_hash"] if row is not None else _decoy_hash()
        # Checked before the lock is looked at so that every attempt takes the same time.
        matches = secret_matches(stored, password) and row is not None and bool(row["active"])
        rehash = hash_secret(password) if matches and needs_rehash(stored) else None
        attempt = self.store.write(lambda db: self._record(db, name, matches, rehash))
        if attempt.locked_until is not None:
            raise SignInLocked(attempt.locked_until)
        if attempt.account is None:
            raise SignInRefused(REFUSED)
        return attempt.account

    def _record(
        self, db: sqlite_utils.Database, name: str, matches: bool, rehash: str | None
    ) -> _Attempt:
        now = self.clock.now()
        key = _key(name)
        failure = db.execute(
            "SELECT failures, locked_until FROM sign_in_failures WHERE name_sha256 = ?", [key]
        ).fetchone()
        count = failure[0] if failure else 0
        row = _row(db, name)
        # Events name the account only when there is one: an unknown "name" may be a password
        # typed in the wrong box.
        who = name if row is not None else None
        until = _active_lock(failure[1] if failure else None, now)
        if until is not None:
            _event(db, now, who, "inicio_sesion_rechazado", who, motivo="bloqueo")
            return _Attempt(None, until)
        if matches and row is not None and row["active"]:
            db.execute("DELETE FROM sign_in_failures WHERE name_sha256 = ?", [key])
            if rehash is not None:
                db.execute(
                    "UPDATE accounts SET password_hash = ? WHERE user_name = ?", [rehash, name]
                )
            _event(db, now, name, "inicio_sesion", name)
            return _Attempt(_account(row), None)
        count += 1
        lock = _lock_after(count, now)
        db.execute(
            "INSERT INTO sign_in_failures (name_sha256, failures, locked_until, last_failure_at) "
            "VALUES (?, ?, ?, ?) ON CONFLICT (name_sha256) DO UPDATE SET failures = excluded."
            "failures, locked_until = excluded.locked_until, last_failure_at = excluded."
            "last_failure_at",
            [key, count, lock.isoformat() if lock else None, now.isoformat()],
        )
        _event(db, now, who, "inicio_sesion_fallido", who, intentos=count)
        if lock is not None:
            _event(db, now, who, "cuenta_bloqueada", who, intentos=count, hasta=lock.isoformat())
        return _Attempt(None, lock)


# -- helpers --------------------------------------------------------------------------------------


@functools.cache
def _decoy_hash() -> str:
    """Verified when the name is no account, so that it takes as long as a wrong password."""
    return hash_secret("cuenta inexistente: esta contraseña no abre nada")


def _lock_after(failures: int, now: datetime) -> datetime | None:
    first, first_minutes = LOCK_STAGES[0]
    last, last_minutes = LOCK_STAGES[-1]
    if failures == first:
        minutes = first_minutes
    elif failures >= last and (failures - last) % first == 0:
        minutes = last_minutes
    else:
        return None
    # Whole seconds, so that the stored time and the one shown compare equal.
    return datetime.fromtimestamp(
        math.ceil((now + timedelta(minutes=minutes)).timestamp()), tz=now.tzinfo
    )


def _active_lock(stored: str | None, now: datetime) -> datetime | None:
    if stored is None:
        return None
    until = datetime.fromisoformat(stored)
    if until <= now:
        return None
    # A clock set back must not stretch a lock beyond the longest one.
    return min(until, now + LONGEST_LOCK).astimezone(now.tzinfo)


def _event(
    db: sqlite_utils.Database,
    at: datetime,
    actor: str | None,
    kind: str,
    account: str | None,
    **details: Any,
) -> None:
    payload = {"cuenta": account if account is not None else "(no existe)", **details}
    audit.append_event(
        db, at=at, actor=actor or "(desconocido)", kind=kind, filing_id=None, payload=payload
    )


def _normal(user_name: str) -> str:
    return user_name.strip().casefold()


def _valid_user_name(user_name: str) -> str:
    name = _normal(user_name)
    if not USER_NAME.fullmatch(name):
        raise InvalidInput(
            f"El usuario «{user_name}» no es válido: use de 2 a 32 letras minúsculas sin acentos, "
            "números, punto, guion o guion bajo, empezando con una letra (por ejemplo "
            "«maria.lopez»).",
            field="usuario",
        )
    return name


def _valid_role(role: str) -> Role:
    if role not in ROLES:
        raise InvalidInput(
            f"El rol «{role}» no existe; use oficial, supervisor o administrador.", field="rol"
        )
    return cast(Role, role)


def _key(name: str) -> str:
    return hashlib.sha256(name.encode("utf-8")).hexdigest()


def _row(db: sqlite_utils.Database, name: str) -> dict[str, Any] | None:
    rows = list(db.query("SELECT * FROM accounts WHERE user_name = ?", [name]))
    return rows[0] if rows else None


def _existing(db: sqlite_utils.Database, name: str) -> dict[str, Any]:
    row = _row(db, name)
    if row is None:
        raise _no_account(name)
    return row


def _required(db: sqlite_utils.Database, name: str) -> Account:
    return _account(_existing(db, name))


def _no_account(name: str) -> NotFound:
    return NotFound(
        f"No existe la cuenta «{name}». Vea las cuentas con «oficialia usuarios listar».",
        field="usuario",
    )


def _active_administrators(db: sqlite_utils.Database) -> int:
    row = db.execute(
        "SELECT count(*) FROM accounts WHERE role = ? AND active = 1", [ADMINISTRATOR]
    ).fetchone()
    return int(row[0])


def _account(row: dict[str, Any]) -> Account:
    return Account(
        user_name=UserName(row["user_name"]),
        full_name=row["full_name"],
        role=_valid_role(row["role"]),
        active=bool(row["active"]),
        must_change_password=bool(row["must_change_password"]),
        created_at=datetime.fromisoformat(row["created_at"]),
        updated_at=datetime.fromisoformat(row["updated_at"]),
    )
