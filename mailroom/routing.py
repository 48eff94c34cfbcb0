"""What the office does with a registered filing: route it (*turnar*), move it along its
lifecycle, cancel it, reprint its acuse.

A registered filing is never edited in place. Each act here is an append-only audit event
(``escrito_turnado``, ``estado_cambiado``, ``escrito_cancelado``, ``acuse_reimpreso``) written in
the same write transaction as the one status column it may update, so the log and the filing
cannot disagree. Every check (current status, earlier routes) is made inside that transaction,
under the write lock: two counters acting on the same folio cannot both pass it.

Routes go to ``filing_routes`` (append-only), never to ``filing_addressees``: those are what the
sender addressed, and they are part of the acuse's cadena original and of the sync manifest.

Qt-free: the clerk app calls this through its task helper, a CLI could call it directly.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlite_utils

from mailroom import audit
from mailroom.acuses import AcuseService, StoredAcuse
from mailroom.clock import Clock, SystemClock
from mailroom.config import Settings
from mailroom.errors import InvalidInput, NotFound, OficialiaError
from mailroom.models import Addressee, AreaRole, FilingId, FilingStatus, Folio
from mailroom.permissions import Action, authorize
from mailroom.store import Store

LIFECYCLE: tuple[FilingStatus, ...] = (
    FilingStatus.REGISTRADA,
    FilingStatus.TURNADA,
    FilingStatus.RECIBIDA_POR_AREA,
    FilingStatus.EN_TRAMITE,
    FilingStatus.ATENDIDA,
    FilingStatus.ARCHIVADA,
)
"""The order a filing moves in, one step at a time; ``cancelada`` is the side exit."""

STATUS_LABELS: dict[FilingStatus, str] = {
    FilingStatus.BORRADOR: "borrador",
    FilingStatus.REGISTRADA: "registrado",
    FilingStatus.TURNADA: "turnado",
    FilingStatus.RECIBIDA_POR_AREA: "recibido por el área",
    FilingStatus.EN_TRAMITE: "en trámite",
    FilingStatus.ATENDIDA: "atendido",
    FilingStatus.ARCHIVADA: "archivado",
    FilingStatus.CANCELADA: "cancelado",
}

ROLE_LABELS: dict[AreaRole, str] = {AreaRole.DIRECTO: "directo", AreaRole.COPIA: "copia"}

MIN_REASON_LENGTH = 5
MAX_TEXT_LENGTH = 500
_SPACES = re.compile(r"\s+")


class IllegalTransition(OficialiaError):
    """The change asked for does not follow the filing's lifecycle."""

    code = "cambio_no_permitido"
    exit_code = 65


class FilingCancelled(IllegalTransition):
    """A cancelled filing takes no further changes."""

    code = "escrito_cancelado"


@dataclass(frozen=True)
class Route:
    area: str
    role: AreaRole
    routed_at: datetime
    actor: str
    note: str


@dataclass(frozen=True)
class FilingChange:
    """One act on a filing, as written: its event and the status before and after."""

    filing_id: FilingId
    folio: Folio
    kind: str
    status_before: FilingStatus
    status: FilingStatus
    at: datetime
    actor: str
    event_hash: str


@dataclass(frozen=True)
class ReprintedAcuse:
    acuse: StoredAcuse
    at: datetime
    event_hash: str


def status_label(status: FilingStatus | str) -> str:
    try:
        return STATUS_LABELS[FilingStatus(status)]
    except ValueError:
        return str(status)


def next_status(current: FilingStatus) -> FilingStatus | None:
    """The one status a filing may move to from ``current`` (``None`` at the end or cancelled)."""
    if current not in LIFECYCLE:
        return None
    position = LIFECYCLE.index(current)
    return LIFECYCLE[position + 1] if position + 1 < len(LIFECYCLE) else None


def routes(db: sqlite_utils.Database, filing_id: str) -> tuple[Route, ...]:
    """Every route of a filing, oldest first (an area routed twice appears twice)."""
    return tuple(
        Route(
            r["area"],
            AreaRole(r["role"]),
            datetime.fromisoformat(r["routed_at"]),
            r["actor"],
            r["note"],
        )
        for r in db.query(
            "SELECT area, role, routed_at, actor, note FROM filing_routes "
            "WHERE filing_uuid = ? ORDER BY id",
            [filing_id],
        )
    )


class RoutingService:
    def __init__(self, store: Store, settings: Settings, clock: Clock | None = None) -> None:
        self.store = store
        self.settings = settings
        self.clock = clock or SystemClock(settings.zone)

    def route(
        self, folio_or_id: str, addressees: Sequence[Addressee], note: str = ""
    ) -> FilingChange:
        """Route the filing to departments, direct or copy. The first route of a ``registrada``
        filing makes it ``turnada``; later routes (another department) keep the status."""
        wanted = _clean_addressees(addressees)
        note = _clean_text(note, "nota")
        return self.store.write(
            lambda db: self._route(db, self._may(db, Action.TURNAR), folio_or_id, wanted, note)
        )

    def change_status(
        self, folio_or_id: str, target: FilingStatus | str, note: str = ""
    ) -> FilingChange:
        """Move the filing one step along :data:`LIFECYCLE`; anything else is refused."""
        try:
            wanted = FilingStatus(target)
        except ValueError:
            raise InvalidInput(f"Estado desconocido: {target!r}.", field="status") from None
        note = _clean_text(note, "nota")
        return self.store.write(
            lambda db: self._change_status(
                db, self._may(db, Action.TURNAR), folio_or_id, wanted, note
            )
        )

    def cancel(self, folio_or_id: str, reason: str) -> FilingChange:
        """Cancel the filing (supervisors only, with a reason); it then takes no more changes."""
        authorize(self.store.reader(), self.settings, Action.CANCELAR)  # before the reason
        reason = _clean_text(reason, "motivo")
        if len(reason) < MIN_REASON_LENGTH:
            raise InvalidInput(
                "Escriba el motivo de la cancelación (al menos "
                f"{MIN_REASON_LENGTH} caracteres); queda en la bitácora.",
                field="motivo",
            )
        return self.store.write(
            lambda db: self._cancel(db, self._may(db, Action.CANCELAR), folio_or_id, reason)
        )

    def reprint_acuse(self, folio_or_id: str) -> ReprintedAcuse:
        """The stored acuse, checked against its hash, with an ``acuse_reimpreso`` event. A
        missing or damaged acuse raises ``IntegrityProblem`` and nothing is recorded."""
        authorize(self.store.reader(), self.settings, Action.REIMPRIMIR)
        acuse = AcuseService(self.store, self.settings, self.clock).current(folio_or_id)
        at = self.clock.now()

        def record(db: sqlite_utils.Database) -> str:
            return audit.append_event(
                db,
                at=at,
                actor=self._may(db, Action.REIMPRIMIR),
                kind="acuse_reimpreso",
                filing_id=acuse.filing_id,
                payload={
                    "folio": acuse.folio,
                    "sha256": acuse.sha256,
                    "seal_state": acuse.seal_state.value,
                    "signature_level": acuse.signature_level,
                },
            )

        return ReprintedAcuse(acuse, at, self.store.write(record))

    # -- inside the write transaction ---------------------------------------------------------

    def _may(self, db: sqlite_utils.Database, action: Action) -> str:
        """Who is acting, if allowed to (checked inside the write, before anything is read)."""
        return authorize(db, self.settings, action).name

    def _route(
        self, db: sqlite_utils.Database, actor: str, key: str, wanted: list[Addressee], note: str
    ) -> FilingChange:
        row = _filing_row(db, key)
        before = _open_status(row)
        if before in (FilingStatus.ATENDIDA, FilingStatus.ARCHIVADA):
            raise IllegalTransition(
                f"El escrito {row['folio']} ya está {status_label(before)}; no se turna de nuevo.",
                folio=row["folio"],
            )
        _check_new_routes(row["folio"], {r.area: r.role for r in routes(db, row["uuid"])}, wanted)
        after = FilingStatus.TURNADA if before is FilingStatus.REGISTRADA else before
        payload = {
            "folio": row["folio"],
            "areas": [[a.area, a.role.value] for a in wanted],
            "nota": note,
            "estado_anterior": before.value,
            "estado": after.value,
        }
        change = self._record(db, actor, row, "escrito_turnado", before, after, payload)
        db.conn.executemany(
            "INSERT INTO filing_routes (filing_uuid, area, role, routed_at, actor, note, "
            "event_hash) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    row["uuid"],
                    a.area,
                    a.role.value,
                    change.at.isoformat(),
                    change.actor,
                    note,
                    change.event_hash,
                )
                for a in wanted
            ],
        )
        return change

    def _change_status(
        self, db: sqlite_utils.Database, actor: str, key: str, target: FilingStatus, note: str
    ) -> FilingChange:
        row = _filing_row(db, key)
        before = _open_status(row)
        _check_step(row["folio"], before, target)
        payload = {"folio": row["folio"], "de": before.value, "a": target.value, "nota": note}
        return self._record(db, actor, row, "estado_cambiado", before, target, payload)

    def _cancel(self, db: sqlite_utils.Database, actor: str, key: str, reason: str) -> FilingChange:
        row = _filing_row(db, key)
        before = _open_status(row)
        payload = {"folio": row["folio"], "motivo": reason, "estado_anterior": before.value}
        return self._record(
            db, actor, row, "escrito_cancelado", before, FilingStatus.CANCELADA, payload
        )

    def _record(
        self,
        db: sqlite_utils.Database,
        actor: str,
        row: dict[str, Any],
        kind: str,
        before: FilingStatus,
        after: FilingStatus,
        payload: dict[str, Any],
    ) -> FilingChange:
        at = self.clock.now()
        if after is not before:
            db.execute("UPDATE filings SET status = ? WHERE uuid = ?", [after.value, row["uuid"]])
        digest = audit.append_event(
            db, at=at, actor=actor, kind=kind, filing_id=row["uuid"], payload=payload
        )
        return FilingChange(
            FilingId(row["uuid"]),
            Folio(row["folio"]),
            kind,
            before,
            after,
            at,
            actor,
            digest,
        )


def _filing_row(db: sqlite_utils.Database, key: str) -> dict[str, Any]:
    key = key.strip()
    row = next(
        db.query("SELECT uuid, folio, status FROM filings WHERE folio = ? OR uuid = ?", [key, key]),
        None,
    )
    if row is None:
        raise NotFound(f"No existe un escrito con folio {key!r}.", folio=key)
    return row


def _open_status(row: dict[str, Any]) -> FilingStatus:
    status = FilingStatus(row["status"])
    if status is FilingStatus.CANCELADA:
        raise FilingCancelled(
            f"El escrito {row['folio']} está cancelado; ya no admite cambios.", folio=row["folio"]
        )
    return status


def _check_new_routes(folio: str, current: dict[str, AreaRole], wanted: list[Addressee]) -> None:
    for addressee in wanted:
        if current.get(addressee.area) is addressee.role:
            raise InvalidInput(
                f"El escrito {folio} ya se turnó a {addressee.area} "
                f"({ROLE_LABELS[addressee.role]}).",
                field="area",
            )
    after_routing = {**current, **{a.area: a.role for a in wanted}}
    if AreaRole.DIRECTO not in after_routing.values():
        raise InvalidInput(
            "Turne el escrito al menos a un área con turno directo; las copias solo informan.",
            field="role",
        )


def _check_step(folio: str, before: FilingStatus, target: FilingStatus) -> None:
    if target is FilingStatus.CANCELADA:
        raise IllegalTransition(
            "Para cancelar un escrito use «Cancelar» (solo supervisores, con motivo).",
            folio=folio,
        )
    if target is before:
        raise IllegalTransition(f"El escrito {folio} ya está {status_label(before)}.", folio=folio)
    if target is FilingStatus.TURNADA:
        raise IllegalTransition(
            f"Para turnar el escrito {folio} use «Turnar…»: hay que indicar el área.", folio=folio
        )
    if before not in LIFECYCLE or target not in LIFECYCLE:
        raise IllegalTransition(
            f"El escrito {folio} no puede pasar de «{status_label(before)}» a "
            f"«{status_label(target)}».",
            folio=folio,
        )
    if LIFECYCLE.index(target) < LIFECYCLE.index(before):
        raise IllegalTransition(
            f"El escrito {folio} no puede regresar de «{status_label(before)}» a "
            f"«{status_label(target)}»: los cambios de estado solo avanzan.",
            folio=folio,
        )
    step = next_status(before)
    if target is not step:
        raise IllegalTransition(
            f"El escrito {folio} no puede pasar de «{status_label(before)}» a "
            f"«{status_label(target)}» sin pasar antes por «{status_label(step or target)}».",
            folio=folio,
        )


def _clean_text(text: str, field: str) -> str:
    cleaned = _SPACES.sub(" ", text).strip()
    if len(cleaned) > MAX_TEXT_LENGTH:
        raise InvalidInput(
            f"El texto de «{field}» es demasiado largo ({len(cleaned)} caracteres; máximo "
            f"{MAX_TEXT_LENGTH}).",
            field=field,
        )
    return cleaned


def _clean_addressees(addressees: Sequence[Addressee]) -> list[Addressee]:
    """Trimmed areas, each once; an area asked both direct and copy is routed direct."""
    chosen: dict[str, AreaRole] = {}
    for addressee in addressees:
        area = _clean_text(addressee.area, "área")
        if not area:
            raise InvalidInput(
                "Escriba o elija el área a la que se turna el escrito.", field="area"
            )
        role = AreaRole(addressee.role)
        if chosen.get(area) is not AreaRole.DIRECTO:
            chosen[area] = role
    if not chosen:
        raise InvalidInput("Elija al menos un área a la que turnar el escrito.", field="area")
    return [Addressee(area, role) for area, role in chosen.items()]
