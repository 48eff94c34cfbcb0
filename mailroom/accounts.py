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
import itertools
import logging
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal, NewType, cast

import sqlite_utils

from mailroom import audit
from mailroom.clock import Clock, SystemClock
from mailroom.config import Settings
from mailroom.errors import InvalidInput, NotFound, OficialiaError
from mailroom.password_hash import hash_secret, needs_rehash, secret_matches
from mailroom.password_policy import check_password
from mailroom.permissions import Action, Actor, authorize
from mailroom.store import Store

__all__ = [
    "LOCK_STAGES",
    "PIN_TRIES",
    "ROLES",
    "Account",
    "AccountRefused",
    "PinSpent",
    "Accounts",
    "SignInLocked",
    "SignInRefused",
    "check_pin",
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

log = logging.getLogger(__name__)
PIN_LENGTH = (4, 8)
PIN_TRIES = 5
PIN_REFUSED = "El PIN no es correcto. Inténtelo de nuevo o entre con su contraseña."
PIN_SPENT_MESSAGE = "Demasiados intentos con el PIN: entre con su usuario y contraseña para seguir."

MUST_CHANGE = (
    "La cuenta «{user}» debe cambiar su contraseña antes de seguir: hágalo al entrar en la "
    "aplicación o con «oficialia usuarios cambiar {user}»."
)

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


class PinSpent(SignInRefused):
    """Too many wrong PINs: only the password lets this person back in now."""

    code = "pin_agotado"


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
    titular: bool
    created_at: datetime
    updated_at: datetime


_PIN_SPENT: Any = object()


@dataclass(frozen=True)
class _Attempt:
    account: Account | None
    locked_until: datetime | None


class Accounts:
    """Create, list, change and disable accounts; sign people in and let them back in with their
    PIN. Every change is checked against ``mailroom.permissions`` (``Action.CUENTAS``) inside its
    own write, so the check and the change cannot be separated."""

    def __init__(self, store: Store, settings: Settings, clock: Clock | None = None) -> None:
        self.store = store
        self.settings = settings
        self.clock = clock or SystemClock(settings.zone)
        self.office_names = (settings.office, settings.office_name)

    # -- administration -------------------------------------------------------------------------

    def create(
        self,
        user_name: str,
        *,
        full_name: str,
        role: str,
        password: str,
        titular: bool = False,
        must_change_password: bool = False,
    ) -> Account:
        name = _valid_user_name(user_name)
        full_name = _valid_full_name(full_name)
        checked_role = _valid_role(role)
        check_password(
            password, user_name=name, full_name=full_name, office_names=self.office_names
        )
        password_hash = hash_secret(password)  # slow on purpose: outside the write
        now = self.clock.now()

        def write(db: sqlite_utils.Database) -> Account:
            actor = authorize(db, self.settings, Action.CUENTAS)
            if _row(db, name) is not None:
                raise InvalidInput(f"Ya existe la cuenta «{name}».", field="usuario")
            db.execute(
                "INSERT INTO accounts (user_name, full_name, role, active, password_hash, "
                "must_change_password, titular, created_at, updated_at) "
                "VALUES (?, ?, ?, 1, ?, ?, ?, ?, ?)",
                [
                    name,
                    full_name,
                    checked_role,
                    password_hash,
                    int(must_change_password),
                    int(titular),
                    now.isoformat(),
                    now.isoformat(),
                ],
            )
            return _changed(db, now, actor.name, "cuenta_creada", name, nombre=full_name)

        return self.store.write(write)

    def list_accounts(self) -> list[Account]:
        reader = self.store.reader()
        authorize(reader, self.settings, Action.CUENTAS)
        rows = reader.query("SELECT * FROM accounts ORDER BY user_name")
        return [_account(row) for row in rows]

    def get(self, user_name: str) -> Account:
        row = _row(self.store.reader(), _normal(user_name))
        if row is None:
            raise _no_account(user_name)
        return _account(row)

    def has_accounts(self) -> bool:
        return self.store.reader().execute("SELECT 1 FROM accounts LIMIT 1").fetchone() is not None

    def has_active_administrator(self) -> bool:
        return _active_administrators(self.store.reader()) > 0

    def disable(self, user_name: str) -> Account:
        return self._change(user_name, "cuenta_desactivada", active=False)

    def reactivate(self, user_name: str) -> Account:
        return self._change(user_name, "cuenta_reactivada", active=True)

    def set_role(self, user_name: str, role: str) -> Account:
        return self._change(user_name, "cuenta_rol_cambiado", role=_valid_role(role))

    def set_titular(self, user_name: str, titular: bool) -> Account:
        """Whether the account may open the office e.firma without being an administrator."""
        return self._change(user_name, "cuenta_titular_cambiada", titular=titular)

    def _change(
        self,
        user_name: str,
        kind: str,
        *,
        active: bool | None = None,
        role: Role | None = None,
        titular: bool | None = None,
    ) -> Account:
        name = _normal(user_name)
        now = self.clock.now()

        def write(db: sqlite_utils.Database) -> Account:
            actor = authorize(db, self.settings, Action.CUENTAS)
            account = _account(_existing(db, name))
            after_active = account.active if active is None else active
            after_role = account.role if role is None else role
            after_titular = account.titular if titular is None else titular
            if (after_active, after_role, after_titular) == (
                account.active,
                account.role,
                account.titular,
            ):
                return account
            losing_admin = account.active and account.role == ADMINISTRATOR
            demoted = not after_active or after_role != ADMINISTRATOR
            if losing_admin and demoted and _active_administrators(db) <= 1:
                raise AccountRefused(
                    f"«{name}» es el único administrador activo: sin él nadie podría "
                    "administrar las cuentas. Cree antes otra cuenta de administrador.",
                    field="usuario",
                )
            db.execute(
                "UPDATE accounts SET active = ?, role = ?, titular = ?, updated_at = ? "
                "WHERE user_name = ?",
                [int(after_active), after_role, int(after_titular), now.isoformat(), name],
            )
            return _changed(db, now, actor.name, kind, name)

        return self.store.write(write)

    def reset_password(self, user_name: str, password: str) -> Account:
        """A new password set by an administrator: the person must change it when signing in.
        Earlier failures, any lock on the name and the PIN are forgotten."""
        account = self.get(user_name)
        self._check(password, account)
        password_hash = hash_secret(password)
        now = self.clock.now()

        def write(db: sqlite_utils.Database) -> Account:
            actor = authorize(db, self.settings, Action.CUENTAS)
            _existing(db, account.user_name)
            db.execute(
                "UPDATE accounts SET password_hash = ?, must_change_password = 1, "
                "pin_hash = NULL, updated_at = ? WHERE user_name = ?",
                [password_hash, now.isoformat(), account.user_name],
            )
            _forget_failures(db, account.user_name)
            _event(db, now, actor.name, "contrasena_restablecida", account.user_name)
            return _required(db, account.user_name)

        return self.store.write(write)

    def adopt_supervisors(self, logins: Iterable[str]) -> list[Account]:
        """The old ``supervisors`` setting's operating-system users as supervisor accounts
        without a password: each sets one the first time it signs in, from its own login
        (:meth:`claim`). Names already accounts are left alone, so this runs at every start."""
        made: list[Account] = []
        now = self.clock.now()
        for login in sorted(set(logins)):
            name = _normal(login)
            if not USER_NAME.fullmatch(name):
                log.warning("supervisor %r is not a valid account name; not migrated", login)
                continue

            def write(db: sqlite_utils.Database, name: str = name) -> Account | None:
                if _row(db, name) is not None:
                    return None
                db.execute(
                    "INSERT INTO accounts (user_name, full_name, role, active, password_hash, "
                    "must_change_password, titular, created_at, updated_at) "
                    "VALUES (?, ?, 'supervisor', 1, '', 1, 0, ?, ?)",
                    [name, _os_full_name(name), now.isoformat(), now.isoformat()],
                )
                return _changed(
                    db, now, "(migración)", "cuenta_migrada", name, origen="ajuste supervisors"
                )

            account = self.store.write(write)
            if account is not None:
                made.append(account)
        return made

    # -- signing in -----------------------------------------------------------------------------

    def sign_in(self, user_name: str, password: str) -> Account:
        """The account, or ``SignInRefused`` / ``SignInLocked`` (the failure is recorded first)."""
        name = _normal(user_name)
        row = _row(self.store.reader(), name) if USER_NAME.fullmatch(name) else None
        stored = row["password_hash"] if row is not None else ""
        if not stored:
            stored = _decoy_hash()
        # Checked before the lock is looked at so that every attempt takes the same time.
        matches = secret_matches(stored, password) and row is not None and bool(row["active"])
        rehash = hash_secret(password) if matches and needs_rehash(stored) else None
        attempt = self.store.write(lambda db: self._record(db, name, matches, rehash))
        if attempt.locked_until is not None:
            raise SignInLocked(attempt.locked_until)
        if attempt.account is None:
            raise SignInRefused(REFUSED)
        return attempt.account

    def claim(self, user_name: str, login: str, new_password: str) -> Account:
        """A migrated supervisor's first sign-in: allowed only to the operating-system user of
        the same name, and only to set the account's first password."""
        name = _normal(user_name)
        row = _row(self.store.reader(), name)
        if row is None or row["password_hash"] or not row["active"] or _normal(login) != name:
            raise SignInRefused(REFUSED)
        account = _account(row)
        self._check(new_password, account)
        password_hash = hash_secret(new_password)
        now = self.clock.now()

        def write(db: sqlite_utils.Database) -> Account:
            current = _existing(db, name)
            if current["password_hash"]:
                raise SignInRefused(REFUSED)
            db.execute(
                "UPDATE accounts SET password_hash = ?, must_change_password = 0, updated_at = ? "
                "WHERE user_name = ?",
                [password_hash, now.isoformat(), name],
            )
            _event(db, now, name, "contrasena_cambiada", name, primera=True)
            _event(db, now, name, "inicio_sesion", name)
            return _required(db, name)

        return self.store.write(write)

    def needs_claim(self, user_name: str) -> bool:
        """Whether the account was migrated and has no password yet (see :meth:`claim`)."""
        row = _row(self.store.reader(), _normal(user_name))
        return row is not None and not row["password_hash"] and bool(row["active"])

    def change_password(self, user_name: str, current: str, new: str) -> Account:
        """The person's own change: the current password proves it is them."""
        account = self.sign_in(user_name, current)
        if new == current:
            raise InvalidInput(
                "La contraseña nueva debe ser distinta de la actual.", field="contrasena"
            )
        self._check(new, account)
        password_hash = hash_secret(new)
        now = self.clock.now()

        def write(db: sqlite_utils.Database) -> Account:
            db.execute(
                "UPDATE accounts SET password_hash = ?, must_change_password = 0, updated_at = ? "
                "WHERE user_name = ?",
                [password_hash, now.isoformat(), account.user_name],
            )
            _event(db, now, account.user_name, "contrasena_cambiada", account.user_name)
            return _required(db, account.user_name)

        return self.store.write(write)

    def set_pin(self, user_name: str, password: str, pin: str) -> Account:
        """The person's own PIN for unlocking an idle counter; the password proves it is them."""
        account = self.sign_in(user_name, password)
        check_pin(pin)
        pin_hash = hash_secret(pin)
        now = self.clock.now()

        def write(db: sqlite_utils.Database) -> Account:
            db.execute(
                "UPDATE accounts SET pin_hash = ?, updated_at = ? WHERE user_name = ?",
                [pin_hash, now.isoformat(), account.user_name],
            )
            _forget_failures(db, _pin_key_name(account.user_name))
            _event(db, now, account.user_name, "pin_cambiado", account.user_name)
            return _required(db, account.user_name)

        return self.store.write(write)

    def has_pin(self, user_name: str) -> bool:
        row = _row(self.store.reader(), _normal(user_name))
        return row is not None and bool(row["pin_hash"])

    def unlock(self, user_name: str, pin: str) -> Account:
        """The same person back at a counter locked for idleness. ``PIN_TRIES`` wrong PINs in a
        row and the PIN stops working until the person signs in with the password."""
        name = _normal(user_name)
        row = _row(self.store.reader(), name)
        stored = (row["pin_hash"] if row is not None else None) or _decoy_hash()
        matches = secret_matches(stored, pin) and row is not None and bool(row["active"])
        now = self.clock.now()

        def write(db: sqlite_utils.Database) -> Account | None:
            key = _key(_pin_key_name(name))
            failure = db.execute(
                "SELECT failures FROM sign_in_failures WHERE name_sha256 = ?", [key]
            ).fetchone()
            count = failure[0] if failure else 0
            if count >= PIN_TRIES:
                _event(db, now, name, "desbloqueo_rechazado", name, motivo="pin_agotado")
                return None
            if matches:
                db.execute("DELETE FROM sign_in_failures WHERE name_sha256 = ?", [key])
                _event(db, now, name, "desbloqueo", name)
                return _required(db, name)
            db.execute(
                "INSERT INTO sign_in_failures (name_sha256, failures, locked_until, "
                "last_failure_at) VALUES (?, 1, NULL, ?) ON CONFLICT (name_sha256) DO UPDATE "
                "SET failures = failures + 1, last_failure_at = excluded.last_failure_at",
                [key, now.isoformat()],
            )
            _event(db, now, name, "desbloqueo_fallido", name, intentos=count + 1)
            if count + 1 >= PIN_TRIES:
                return _PIN_SPENT
            return None

        outcome = self.store.write(write)
        if outcome is _PIN_SPENT or (outcome is None and self._pin_spent(name)):
            raise PinSpent(PIN_SPENT_MESSAGE)
        if outcome is None:
            raise SignInRefused(PIN_REFUSED)
        return outcome

    def _pin_spent(self, name: str) -> bool:
        row = (
            self.store.reader()
            .execute(
                "SELECT failures FROM sign_in_failures WHERE name_sha256 = ?",
                [_key(_pin_key_name(name))],
            )
            .fetchone()
        )
        return row is not None and row[0] >= PIN_TRIES

    def record_session(self, user_name: str, kind: str) -> None:
        """A shift event with no change behind it: ``sesion_bloqueada`` (idle) or
        ``cierre_sesion``."""
        if kind not in ("sesion_bloqueada", "cierre_sesion"):
            raise ValueError(kind)
        now = self.clock.now()
        name = _normal(user_name)
        self.store.write(lambda db: _event(db, now, name, kind, name))

    def actor(self, account: Account) -> Actor:
        return Actor(
            name=account.user_name,
            full_name=account.full_name,
            kind="cuenta",
            role=account.role,
            titular=account.titular,
        )

    def _check(self, password: str, account: Account) -> None:
        check_password(
            password,
            user_name=account.user_name,
            full_name=account.full_name,
            office_names=self.office_names,
        )

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
            _forget_failures(db, name)
            _forget_failures(db, _pin_key_name(name))  # the password gives the PIN back
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


def check_pin(pin: str) -> None:
    """A PIN is 4 to 8 digits, not one digit repeated nor a run (1234, 9876)."""
    if not (PIN_LENGTH[0] <= len(pin) <= PIN_LENGTH[1]) or not pin.isascii() or not pin.isdigit():
        raise InvalidInput(
            f"El PIN lleva de {PIN_LENGTH[0]} a {PIN_LENGTH[1]} números.", field="pin"
        )
    steps = {int(b) - int(a) for a, b in itertools.pairwise(pin)}
    if len(set(pin)) == 1 or steps in ({1}, {-1}):
        raise InvalidInput(
            "Ese PIN es muy fácil de adivinar (un número repetido o seguido); elija otro.",
            field="pin",
        )


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


def _changed(
    db: sqlite_utils.Database, at: datetime, actor: str, kind: str, name: str, **details: Any
) -> Account:
    """Record an account change with the whole state it leaves (``permissions`` compares the
    row with the last such event)."""
    account = _required(db, name)
    state = {"rol": account.role, "titular": account.titular, "activa": account.active}
    _event(db, at, actor, kind, name, **details, **state)
    return account


def _forget_failures(db: sqlite_utils.Database, name: str) -> None:
    db.execute("DELETE FROM sign_in_failures WHERE name_sha256 = ?", [_key(name)])


def _pin_key_name(name: str) -> str:
    return f"pin:{name}"  # no user name holds a colon: the PIN's count never meets a name's


def _os_full_name(login: str) -> str:
    try:
        import pwd

        gecos = pwd.getpwnam(login).pw_gecos.split(",")[0].strip()
    except (ImportError, KeyError):
        return login
    return gecos or login


def _valid_full_name(full_name: str) -> str:
    full_name = " ".join(full_name.split())
    if not full_name:
        raise InvalidInput(
            "Falta el nombre completo (el que aparece en el acuse como quien recibió).",
            field="nombre",
        )
    if len(full_name) > 120 or not full_name.isprintable():
        raise InvalidInput(
            "El nombre completo debe ser texto de hasta 120 caracteres.", field="nombre"
        )
    return full_name


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
        titular=bool(row["titular"]),
        created_at=datetime.fromisoformat(row["created_at"]),
        updated_at=datetime.fromisoformat(row["updated_at"]),
    )
