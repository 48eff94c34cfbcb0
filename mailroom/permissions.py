"""Who may do what: the one table of permissions, who is acting, and the check every service makes.

Every service that changes something or shows citizens' data calls :func:`authorize` with its
:class:`Action` before it reads or writes anything; hiding a button is only a courtesy on top.

Who is acting is the :class:`Seat` the settings carry: the clerk's app puts the signed-in account
there, the kiosk its device, the command line the account named with ``--usuario``. A seat with
nobody in it acts as the operating system's user only while the store has no account at all (a
fresh install, before its first administrator exists, and the office's scripts that never had
accounts); once there is one, every action asks for an account.

The role an account acts with is re-read from its row at every check (an account disabled
mid-shift stops at its next action) and must match the role its own audit events last recorded:
the events are a hash chain, so a row changed behind the application's back (``UPDATE accounts
SET role = 'administrador'``) is refused instead of obeyed.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Literal, Protocol

from mailroom.errors import OficialiaError

if TYPE_CHECKING:
    import sqlite_utils


__all__ = [
    "ACCOUNT_STATE_EVENTS",
    "DEVICE_ACTIONS",
    "PERMISSIONS",
    "Action",
    "Actor",
    "Forbidden",
    "Seat",
    "acting",
    "allowed",
    "authorize",
    "reader_for",
]

Role = Literal["oficial", "supervisor", "administrador"]


class Action(StrEnum):
    REGISTRAR = "registrar"
    TURNAR = "turnar"
    REIMPRIMIR = "reimprimir"
    BUSCAR = "buscar"
    LIBRO = "libro"
    CANCELAR = "cancelar"
    CORREGIR = "corregir"
    REPORTES = "reportes"
    AJUSTES = "ajustes"
    CUENTAS = "cuentas"
    CONFIANZA = "confianza"
    EFIRMA_OFICINA = "efirma_oficina"
    ENROLAR = "enrolar"
    ARCO = "arco"
    RETENCION = "retencion"


ACTION_LABELS: dict[Action, str] = {
    Action.REGISTRAR: "registrar escritos",
    Action.TURNAR: "turnar escritos y cambiar su estado",
    Action.REIMPRIMIR: "reimprimir acuses",
    Action.BUSCAR: "buscar y consultar escritos",
    Action.LIBRO: "consultar el libro de registro",
    Action.CANCELAR: "cancelar escritos",
    Action.CORREGIR: "corregir datos de un escrito registrado",
    Action.REPORTES: "sacar reportes",
    Action.AJUSTES: "cambiar los ajustes",
    Action.CUENTAS: "administrar las cuentas",
    Action.CONFIANZA: "agregar autoridades de certificación",
    Action.EFIRMA_OFICINA: "abrir la e.firma de la oficina",
    Action.ENROLAR: "dar de alta este equipo ante el sistema estatal",
    Action.ARCO: "atender solicitudes de derechos ARCO",
    Action.RETENCION: "aplicar los plazos de conservación",
}

_OFICIAL = frozenset(
    {Action.REGISTRAR, Action.TURNAR, Action.REIMPRIMIR, Action.BUSCAR, Action.LIBRO}
)
_SUPERVISOR = _OFICIAL | {Action.CANCELAR, Action.CORREGIR, Action.REPORTES}
_ADMINISTRADOR = _SUPERVISOR | {
    Action.AJUSTES,
    Action.CUENTAS,
    Action.CONFIANZA,
    Action.EFIRMA_OFICINA,
    Action.ENROLAR,
    Action.ARCO,
    Action.RETENCION,
}
PERMISSIONS: dict[Role, frozenset[Action]] = {
    "oficial": _OFICIAL,
    "supervisor": _SUPERVISOR,
    "administrador": _ADMINISTRADOR,
}
"""The one table: what each role may do. Nothing else in the code grants a permission, except
that an account marked *titular* may also open the office e.firma."""

DEVICE_ACTIONS = frozenset({Action.REGISTRAR, Action.REIMPRIMIR, Action.EFIRMA_OFICINA})
"""A kiosk acts as its device: it registers a citizen's filing and prints its acuse, and opens
the office e.firma from its admin screen, which its own PIN guards (``kiosk.admin_pin``)."""

ACCOUNT_STATE_EVENTS = (
    "cuenta_creada",
    "cuenta_migrada",
    "cuenta_rol_cambiado",
    "cuenta_titular_cambiada",
    "cuenta_desactivada",
    "cuenta_reactivada",
)
"""The audit events that carry an account's whole state (``rol``, ``titular``, ``activa``)."""


class Forbidden(OficialiaError):
    """The one acting may not do this; nothing was read or written."""

    code = "sin_permiso"
    exit_code = 77  # EX_NOPERM


@dataclass(frozen=True)
class Actor:
    """Who is acting. ``name`` is what the audit trail records; ``receipt_name`` what the acuse
    and the libro print as «Recibió»."""

    name: str
    full_name: str
    kind: Literal["cuenta", "dispositivo", "sistema"]
    role: Role | None = None
    titular: bool = False

    @property
    def receipt_name(self) -> str:
        if self.kind == "cuenta":
            return f"{self.full_name} ({self.name})"
        return self.full_name

    @classmethod
    def device(cls, device: str) -> Actor:
        return cls(name=f"dispositivo:{device}", full_name=f"Quiosco {device}", kind="dispositivo")

    @classmethod
    def system(cls, login: str) -> Actor:
        return cls(name=login, full_name=login, kind="sistema")


class Seat:
    """The place the one acting sits: filled at sign-in, emptied at sign-out, read by the
    services from any thread (a registration runs on a worker while the window waits)."""

    def __init__(self, actor: Actor | None = None) -> None:
        self._lock = threading.Lock()
        self._actor = actor

    @property
    def actor(self) -> Actor | None:
        with self._lock:
            return self._actor

    def sit(self, actor: Actor) -> None:
        with self._lock:
            self._actor = actor

    def leave(self) -> None:
        with self._lock:
            self._actor = None

    def __repr__(self) -> str:
        actor = self.actor
        return f"Seat({actor.name if actor else '—'})"


class Seated(Protocol):
    """What the services pass in: their ``Settings`` (which ``mailroom.config`` defines with a
    ``seat``; named by shape here so that the settings may import this module)."""

    @property
    def seat(self) -> Seat: ...

    @property
    def clerk(self) -> str: ...


def acting(settings: Seated) -> Actor:
    """Who the settings' seat says is acting; with nobody in it, the operating system's user
    (``clerk``), for what needs no permission (OCR, sync) and for a store without accounts."""
    actor = settings.seat.actor
    return actor if actor is not None else Actor.system(settings.clerk)


def allowed(actor: Actor, action: Action) -> bool:
    """The table's answer, without looking at the store (for showing or hiding a button)."""
    if actor.kind == "dispositivo":
        return action in DEVICE_ACTIONS
    if actor.kind == "sistema":
        return True  # only ever used while there are no accounts: authorize checks that
    if action is Action.EFIRMA_OFICINA and actor.titular:
        return True
    return actor.role is not None and action in PERMISSIONS[actor.role]


def authorize(db: sqlite_utils.Database, settings: Seated, action: Action) -> Actor:
    """The actor allowed to do ``action`` now, or :class:`Forbidden` in plain words."""
    actor = acting(settings)
    if actor.kind == "sistema":
        if _has_accounts(db):
            raise Forbidden(
                f"Para {ACTION_LABELS[action]} hace falta iniciar sesión con una cuenta de la "
                "oficina (en la línea de órdenes: --usuario SU_USUARIO).",
                action=action.value,
            )
        return actor
    if actor.kind == "cuenta":
        actor = _current(db, actor)
    if not allowed(actor, action):
        raise Forbidden(_refusal(actor, action), action=action.value, actor=actor.name)
    return actor


class _Readable(Protocol):
    def reader(self) -> sqlite_utils.Database: ...


def reader_for(store: _Readable, settings: Seated, action: Action) -> sqlite_utils.Database:
    """The store's reader for what shows the office's records (``Action.BUSCAR``,
    ``Action.LIBRO``), once the one acting is allowed to see them."""
    db = store.reader()
    authorize(db, settings, action)
    return db


def _refusal(actor: Actor, action: Action) -> str:
    if actor.kind == "dispositivo":
        return f"Un quiosco no puede {ACTION_LABELS[action]}."
    if action is Action.EFIRMA_OFICINA:
        return (
            f"La cuenta «{actor.name}» no puede {ACTION_LABELS[action]}: solo un administrador "
            "o una cuenta marcada como titular de la e.firma."
        )
    needed = [role for role, actions in PERMISSIONS.items() if action in actions]
    return (
        f"La cuenta «{actor.name}» ({actor.role}) no puede {ACTION_LABELS[action]}; hace falta "
        f"el rol {' o '.join(needed)}. Pida a quien lo tenga que lo haga."
    )


def _has_accounts(db: sqlite_utils.Database) -> bool:
    if "accounts" not in db.table_names():
        return False
    return db.execute("SELECT 1 FROM accounts LIMIT 1").fetchone() is not None


def _current(db: sqlite_utils.Database, actor: Actor) -> Actor:
    """The account as its row says now, checked against the state its audit events recorded."""
    row = db.execute(
        "SELECT role, active, titular FROM accounts WHERE user_name = ?", [actor.name]
    ).fetchone()
    if row is None or not row[1]:
        raise Forbidden(
            f"La cuenta «{actor.name}» ya no está activa: cierre la sesión y pida ayuda a un "
            "administrador.",
            actor=actor.name,
        )
    role, _active, titular = row
    recorded = recorded_state(db, actor.name)
    if (
        recorded is None
        or recorded.get("rol") != role
        or bool(recorded.get("titular")) != bool(titular)
    ):
        raise Forbidden(
            f"Los permisos guardados de la cuenta «{actor.name}» no coinciden con los que "
            "registró la bitácora: alguien los cambió fuera de la aplicación. No se hizo nada; "
            "avise a un administrador (vea «oficialia store check»).",
            actor=actor.name,
        )
    return Actor(
        name=actor.name,
        full_name=actor.full_name,
        kind="cuenta",
        role=role,
        titular=bool(titular),
    )


def recorded_state(db: sqlite_utils.Database, user_name: str) -> dict[str, Any] | None:
    """The account's state as its last state-carrying audit event recorded it."""
    import json

    placeholders = ", ".join("?" for _ in ACCOUNT_STATE_EVENTS)
    row = db.execute(
        f"SELECT payload FROM events WHERE kind IN ({placeholders}) "  # noqa: S608 - fixed names
        "AND json_extract(payload, '$.cuenta') = ? ORDER BY seq DESC LIMIT 1",
        [*ACCOUNT_STATE_EVENTS, user_name],
    ).fetchone()
    if row is None:
        return None
    state: dict[str, Any] = json.loads(row[0])
    return state
