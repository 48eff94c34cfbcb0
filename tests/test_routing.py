"""Routing, status changes, cancellation and reprints: each an append-only audit event written with
the status it changes, illegal changes refused in Spanish with nothing written."""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path

import pytest

from mailroom import audit
from mailroom.acuses import AcuseService
from mailroom.clock import FixedClock
from mailroom.config import Settings
from mailroom.errors import IntegrityProblem, InvalidInput
from mailroom.filings import get_filing
from mailroom.models import Addressee, AreaRole, FilingStatus
from mailroom.permissions import Forbidden
from mailroom.routing import (
    FilingCancelled,
    IllegalTransition,
    RoutingService,
    next_status,
    routes,
)
from mailroom.store import Store
from tests.accounts_helpers import seated
from tests.test_acuses import register, self_made_signer

DIRECT = AreaRole.DIRECTO
COPY = AreaRole.COPIA


@pytest.fixture
def service(store: Store, settings: Settings, clock: FixedClock) -> RoutingService:
    return RoutingService(store, settings, clock)


@pytest.fixture
def folio(store: Store, settings: Settings, tmp_path: Path) -> str:
    return register(store, settings, tmp_path, "Licencia de construcción")


def events(store: Store, kind: str | None = None) -> list[dict[str, object]]:
    rows = store.reader().query("SELECT kind, actor, payload FROM events ORDER BY seq")
    return [
        {"kind": r["kind"], "actor": r["actor"], **json.loads(r["payload"])}
        for r in rows
        if kind is None or r["kind"] == kind
    ]


def status_of(store: Store, folio: str) -> FilingStatus:
    return get_filing(store.reader(), folio).status


def test_routing_a_registered_filing_turns_it_and_keeps_its_acuse_sealable(
    store: Store, settings: Settings, service: RoutingService, folio: str, clock: FixedClock
) -> None:
    change = service.route(
        folio, [Addressee(" Obras  Públicas ", DIRECT), Addressee("Tesorería", COPY)], "urgente"
    )

    assert (change.status_before, change.status) == (FilingStatus.REGISTRADA, FilingStatus.TURNADA)
    assert status_of(store, folio) is FilingStatus.TURNADA
    filing = get_filing(store.reader(), folio)
    assert [(r.area, r.role, r.actor, r.note) for r in routes(store.reader(), filing.id)] == [
        ("Obras Públicas", DIRECT, "ventanilla1", "urgente"),
        ("Tesorería", COPY, "ventanilla1", "urgente"),
    ]
    (event,) = events(store, "escrito_turnado")
    assert event["areas"] == [["Obras Públicas", "directo"], ["Tesorería", "copia"]]
    assert (event["estado_anterior"], event["estado"], event["actor"]) == (
        "registrada",
        "turnada",
        "ventanilla1",
    )
    # What the sender addressed (part of the cadena original) is untouched, so the acuse issued
    # unsealed at registration can still be sealed after routing.
    assert filing.addressees == ()
    sealed = AcuseService(store, settings, clock).seal(folio, self_made_signer())
    assert sealed.sealed
    assert audit.verify_chain(store.reader()).ok


def test_routes_are_append_only_rows(store: Store, service: RoutingService, folio: str) -> None:
    service.route(folio, [Addressee("Obras Públicas", DIRECT)])
    with pytest.raises(sqlite3.IntegrityError, match="solo admiten anexar"):
        store.write(lambda db: db.execute("UPDATE filing_routes SET area = 'Otra'"))
    with pytest.raises(sqlite3.IntegrityError, match="solo admiten anexar"):
        store.write(lambda db: db.execute("DELETE FROM filing_routes"))


def test_later_routes_keep_the_status_and_refuse_repeats_and_copy_only(
    store: Store, service: RoutingService, folio: str
) -> None:
    with pytest.raises(InvalidInput, match="al menos a un área con turno directo"):
        service.route(folio, [Addressee("Tesorería", COPY)])
    with pytest.raises(InvalidInput, match="Escriba o elija el área"):
        service.route(folio, [Addressee("   ", DIRECT)])
    assert events(store, "escrito_turnado") == []

    service.route(folio, [Addressee("Obras Públicas", DIRECT)])
    service.change_status(folio, FilingStatus.RECIBIDA_POR_AREA)
    second = service.route(folio, [Addressee("Tesorería", COPY)])
    assert second.status is FilingStatus.RECIBIDA_POR_AREA  # routing again does not rewind

    with pytest.raises(InvalidInput) as repeated:
        service.route(folio, [Addressee("Obras Públicas", DIRECT)])
    assert str(repeated.value) == f"El escrito {folio} ya se turnó a Obras Públicas (directo)."
    assert len(events(store, "escrito_turnado")) == 2


def test_status_moves_one_step_at_a_time_and_illegal_jumps_change_nothing(
    store: Store, service: RoutingService, folio: str
) -> None:
    before = events(store)
    with pytest.raises(IllegalTransition) as jump:
        service.change_status(folio, "atendida")
    assert str(jump.value) == (
        f"El escrito {folio} no puede pasar de «registrado» a «atendido» sin pasar antes por "
        "«turnado»."
    )
    with pytest.raises(IllegalTransition, match="use «Turnar…»"):
        service.change_status(folio, FilingStatus.TURNADA)
    with pytest.raises(IllegalTransition, match="use «Cancelar»"):
        service.change_status(folio, FilingStatus.CANCELADA)
    with pytest.raises(InvalidInput, match="Estado desconocido"):
        service.change_status(folio, "perdida")
    assert events(store) == before and status_of(store, folio) is FilingStatus.REGISTRADA

    service.route(folio, [Addressee("Obras Públicas", DIRECT)])
    for target in (
        FilingStatus.RECIBIDA_POR_AREA,
        FilingStatus.EN_TRAMITE,
        FilingStatus.ATENDIDA,
        FilingStatus.ARCHIVADA,
    ):
        assert service.change_status(folio, target, "ok").status is target
    assert next_status(FilingStatus.ARCHIVADA) is None
    with pytest.raises(IllegalTransition, match="no puede regresar de «archivado» a «en trámite»"):
        service.change_status(folio, FilingStatus.EN_TRAMITE)
    with pytest.raises(IllegalTransition, match="ya está archivado; no se turna de nuevo"):
        service.route(folio, [Addressee("Tesorería", DIRECT)])
    steps = [(e["de"], e["a"]) for e in events(store, "estado_cambiado")]
    assert steps == [
        ("turnada", "recibida_por_area"),
        ("recibida_por_area", "en_tramite"),
        ("en_tramite", "atendida"),
        ("atendida", "archivada"),
    ]
    assert audit.verify_chain(store.reader()).ok


def test_two_counters_moving_the_same_filing_at_once_cannot_both_succeed(
    store: Store, service: RoutingService, folio: str
) -> None:
    service.route(folio, [Addressee("Obras Públicas", DIRECT)])
    outcomes: list[str] = []
    start = threading.Barrier(4)

    def move() -> None:
        start.wait()
        try:
            service.change_status(folio, FilingStatus.RECIBIDA_POR_AREA)
            outcomes.append("hecho")
        except IllegalTransition as error:
            outcomes.append(str(error))

    threads = [threading.Thread(target=move) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    refused = f"El escrito {folio} ya está recibido por el área."
    assert sorted(outcomes, key=lambda o: o != "hecho") == ["hecho", refused, refused, refused]
    assert len(events(store, "estado_cambiado")) == 1


def test_only_a_supervisor_cancels_with_a_reason_and_then_nothing_changes(
    store: Store, settings: Settings, clock: FixedClock, folio: str
) -> None:
    clerk = RoutingService(store, seated(store, settings, "oficial", "ana.ruiz"), clock)
    supervisor = RoutingService(store, seated(store, settings, "supervisor", "jefa"), clock)
    before = events(store)
    with pytest.raises(Forbidden) as refused:
        clerk.cancel(folio, "Lo presentó por error")
    assert "«ana.ruiz» (oficial) no puede cancelar escritos" in str(refused.value)
    assert "hace falta el rol supervisor o administrador" in str(refused.value)
    assert events(store) == before and status_of(store, folio) is FilingStatus.REGISTRADA

    before = events(store)
    with pytest.raises(InvalidInput, match="Escriba el motivo de la cancelación"):
        supervisor.cancel(folio, "  ")
    change = supervisor.cancel(folio, "El ciudadano se desistió por escrito")
    assert change.status is FilingStatus.CANCELADA
    (event,) = events(store, "escrito_cancelado")
    assert (event["motivo"], event["estado_anterior"]) == (
        "El ciudadano se desistió por escrito",
        "registrada",
    )

    message = f"El escrito {folio} está cancelado; ya no admite cambios."
    for attempt in (
        lambda: supervisor.route(folio, [Addressee("Obras Públicas", DIRECT)]),
        lambda: supervisor.change_status(folio, FilingStatus.TURNADA),
        lambda: supervisor.cancel(folio, "otra vez, por si acaso"),
    ):
        with pytest.raises(FilingCancelled) as cancelled:
            attempt()
        assert str(cancelled.value) == message
    assert status_of(store, folio) is FilingStatus.CANCELADA
    assert len(events(store)) == len(before) + 1
    assert audit.verify_chain(store.reader()).ok


def test_reprint_records_an_event_and_a_damaged_acuse_records_nothing(
    store: Store, settings: Settings, clock: FixedClock, service: RoutingService, folio: str
) -> None:
    reprinted = service.reprint_acuse(folio)
    assert reprinted.acuse.folio == folio and reprinted.acuse.pdf.startswith(b"%PDF")
    (event,) = events(store, "acuse_reimpreso")
    assert (event["sha256"], event["seal_state"]) == (reprinted.acuse.sha256, "pendiente")

    path = store.blobs.path(reprinted.acuse.sha256)
    path.write_bytes(path.read_bytes().replace(b"%%EOF", b"%%EOX"))
    with pytest.raises(IntegrityProblem, match="está dañado"):
        service.reprint_acuse(folio)
    assert len(events(store, "acuse_reimpreso")) == 1
    assert audit.verify_chain(store.reader()).ok


def test_a_routed_department_is_in_the_inbox_filter_and_finds_the_filing(
    store: Store, settings: Settings, service: RoutingService, tmp_path: Path
) -> None:
    from mailroom import inbox_query

    folio = register(store, settings, tmp_path)
    other = register(store, settings, tmp_path, subject="Poda de árbol")
    service.route(folio, [Addressee("Dirección de Catastro", DIRECT)])
    reader = store.reader()
    assert "Dirección de Catastro" in inbox_query.departments(reader)
    only = inbox_query.InboxFilters(department="Dirección de Catastro")
    page = inbox_query.browse(reader, only)
    assert [row.folio for row in page.rows] == [folio]
    assert "Dirección de Catastro" in page.rows[0].departments
    assert inbox_query.count(reader, only) == 1
    assert other != folio
