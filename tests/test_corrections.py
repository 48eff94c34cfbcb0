"""Corrections to registered filings: a row and an ``escrito_corregido`` event in one
transaction, never an edit of the filing; what the filing says now is its row with its
corrections applied; oficiales refused and bad values refused in Spanish, nothing written."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from mailroom.accounts import Accounts
from mailroom.clock import FixedClock
from mailroom.config import Settings
from mailroom.corrections import FIELDS, CorrectionService, current_values
from mailroom.errors import InvalidInput, NotFound
from mailroom.filing_detail import FilingDetailService
from mailroom.filings import get_filing
from mailroom.intake import IntakeService
from mailroom.models import NewFiling, Sender
from mailroom.permissions import Forbidden
from mailroom.search import search
from mailroom.store import Store
from tests.test_intake import scan

CURP_ANA = "PEAM800101MDFXVR03"
CURP_OTHER = "GOLJ900202HDFMPN00"
PASSWORD = "cuaderno de turno 7"


def register(
    store: Store,
    settings: Settings,
    clock: FixedClock,
    folder: Path,
    sender: Sender,
    subject: str,
) -> str:
    files = [scan(folder / f"{subject[:40]}.jpg", subject, sender.name)]
    new = NewFiling(sender, subject)
    return IntakeService(store, settings, clock=clock).register(new, files).filing.folio


def seat(store: Store, settings: Settings, role: str) -> None:
    """Sit an account of ``role``: the office's administrator is made first (with the seat
    empty, allowed while there is no account), then, by her, the account asked for."""
    accounts = Accounts(store, settings)
    admin = accounts.create(
        "rosa.mendez", full_name="Rosa Méndez Luna", role="administrador", password=PASSWORD
    )
    settings.seat.sit(accounts.actor(admin))
    if role != "administrador":
        user, name = {"supervisor": ("juan.rios", "Juan Ríos Vega"),
                      "oficial": ("ana.sol", "Ana Sol Pérez")}[role]  # fmt: skip
        account = accounts.create(user, full_name=name, role=role, password=PASSWORD)
        settings.seat.sit(accounts.actor(account))


def rows(store: Store, sql: str) -> list[tuple[object, ...]]:
    return [tuple(r) for r in store.reader().execute(sql).fetchall()]


@pytest.fixture
def folio(store: Store, settings: Settings, clock: FixedClock, tmp_path: Path) -> str:
    sender = Sender("María Peña Ávalos", curp=CURP_OTHER, email="maria@example.mx")
    return register(store, settings, clock, tmp_path, sender, "Licencia de construcción")


@pytest.fixture
def service(store: Store, settings: Settings, clock: FixedClock) -> CorrectionService:
    return CorrectionService(store, settings, clock)


def test_a_correction_is_recorded_beside_the_filing_never_in_it(
    store: Store, settings: Settings, service: CorrectionService, folio: str
) -> None:
    seat(store, settings, "supervisor")
    correction = service.correct(
        folio, "curp", CURP_ANA.lower(), "CURP mal capturada en ventanilla"
    )

    assert (correction.before, correction.after) == (CURP_OTHER, CURP_ANA)
    assert correction.actor == "juan.rios"
    db = store.reader()
    assert get_filing(db, folio).sender.curp == CURP_OTHER  # the registered row is untouched
    now = current_values(db, folio)
    assert now.sender.curp == CURP_ANA and now.corrected == {"curp"}
    assert now.sender.name == "María Peña Ávalos"
    (event,) = rows(
        store, "SELECT actor, payload, hash FROM events WHERE kind = 'escrito_corregido'"
    )
    payload = json.loads(str(event[1]))
    assert event[0] == "juan.rios"
    assert payload["antes"] == CURP_OTHER and payload["despues"] == CURP_ANA
    assert payload["motivo"] == "CURP mal capturada en ventanilla"
    assert rows(store, "SELECT event_hash FROM corrections") == [(event[2],)]
    # The search follows the correction: the new CURP finds the filing, the old one does not.
    assert [h.folio for h in search(db, CURP_ANA + " ").hits] == [folio]
    assert search(db, CURP_OTHER + " ").hits == ()


def test_the_filing_detail_shows_the_corrections_and_its_history_line(
    store: Store, settings: Settings, service: CorrectionService, folio: str
) -> None:
    service.correct(folio, "correo", "maria.pena@example.mx", "Correo escrito con error")
    service.correct(folio, "nombre", "María Peña  Avalos", "Acento de más en el apellido")

    data = FilingDetailService(store, settings).load(folio)
    assert [(c.field, c.after) for c in data.corrections] == [
        ("correo", "maria.pena@example.mx"),
        ("nombre", "María Peña Avalos"),
    ]
    assert data.current is not None and data.current.sender.email == "maria.pena@example.mx"
    assert data.filing.sender.email == "maria@example.mx"
    lines = [(h.label, h.details) for h in data.history if h.kind == "escrito_corregido"]
    assert lines[0] == (
        "Dato corregido",
        "Correo electrónico: «maria@example.mx» → «maria.pena@example.mx». "
        "Motivo: Correo escrito con error",
    )


def test_a_later_correction_starts_from_the_earlier_one(
    store: Store, service: CorrectionService, folio: str
) -> None:
    service.correct(folio, "telefono", "55 1234 5678", "Teléfono que faltaba")
    second = service.correct(folio, "telefono", "", "La persona pidió quitarlo")
    assert (second.before, second.after) == ("55 1234 5678", None)
    assert current_values(store.reader(), folio).sender.phone is None


@pytest.mark.parametrize(
    ("field", "value", "reason", "message"),
    [
        ("folio", "X", "Un motivo cualquiera", "No se puede corregir «folio»"),
        ("curp", "PEAM800101MDFXVR0", "CURP incompleta", "La CURP debe tener 18 caracteres"),
        ("curp", "PEAM800101MDFXVR04", "Dígito equivocado", "dígito verificador de la CURP"),
        ("rfc", "PEAM800101AB1", "RFC con error", "dígito verificador del RFC"),
        ("correo", "maria arroba mx", "Correo", "no es válido"),
        ("nombre", "   ", "Nombre vacío", "no puede quedar vacío"),
        ("fecha_oficio", "31/02/2026", "Fecha", "no es válida"),
        ("curp", CURP_ANA, "no", "al menos 5 caracteres"),
        ("curp", CURP_OTHER, "Sin cambio alguno", "no hay nada que corregir"),
    ],
)
def test_bad_input_is_refused_in_spanish_and_nothing_is_written(
    store: Store,
    service: CorrectionService,
    folio: str,
    field: str,
    value: str,
    reason: str,
    message: str,
) -> None:
    events = rows(store, "SELECT count(*) FROM events")
    with pytest.raises(InvalidInput, match=message):
        service.correct(folio, field, value, reason)
    assert rows(store, "SELECT count(*) FROM corrections") == [(0,)]
    assert rows(store, "SELECT count(*) FROM events") == events


def test_an_unknown_folio_is_not_found(service: CorrectionService) -> None:
    with pytest.raises(NotFound, match="No existe un escrito con folio"):
        service.correct("OPM-2026-C01-999999", "curp", CURP_ANA, "No existe este folio")


def test_an_oficial_is_refused_and_nothing_is_written(
    store: Store, settings: Settings, service: CorrectionService, folio: str
) -> None:
    seat(store, settings, "oficial")
    events = rows(store, "SELECT count(*) FROM events")
    with pytest.raises(Forbidden, match="no puede corregir datos de un escrito registrado"):
        service.correct(folio, "curp", CURP_ANA, "Intento de una oficial")
    assert rows(store, "SELECT count(*) FROM corrections") == [(0,)]
    assert rows(store, "SELECT count(*) FROM events") == events
    assert current_values(store.reader(), folio).sender.curp == CURP_OTHER


def test_corrections_cannot_be_edited_or_deleted(
    store: Store, service: CorrectionService, folio: str
) -> None:
    service.correct(folio, "cargo", "Directora", "Cargo omitido")
    for statement in ("UPDATE corrections SET value_after = 'x'", "DELETE FROM corrections"):
        with pytest.raises(sqlite3.IntegrityError, match="solo admiten anexar"):
            store.write(lambda db, s=statement: db.execute(s))


def test_a_correction_linked_to_a_request_must_be_a_pending_rectification(
    store: Store, settings: Settings, service: CorrectionService, folio: str
) -> None:
    from mailroom.arco_service import ArcoService

    arco = ArcoService(store, settings)
    access = arco.register_request("acceso", "curp", CURP_OTHER, "María Peña Ávalos")
    with pytest.raises(InvalidInput, match="no de rectificación"):
        service.correct(folio, "curp", CURP_ANA, "Rectificación", arco_request_id=access.id)
    with pytest.raises(NotFound, match="solicitud ARCO número 99"):
        service.correct(folio, "curp", CURP_ANA, "Rectificación", arco_request_id=99)
    assert rows(store, "SELECT count(*) FROM corrections") == [(0,)]


def test_the_command_corrects_and_its_field_choices_are_the_services(
    store: Store, settings: Settings, folio: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from mailroom.cli import main
    from mailroom.cli.arco import FIELD_CHOICES

    assert tuple(FIELDS) == FIELD_CHOICES
    store.close()
    code = main(
        ["--data-dir", str(settings.data_dir), "corregir", folio, "--campo", "curp",
         "--valor", CURP_ANA, "--motivo", "CURP corregida a petición"]
    )  # fmt: skip
    assert code == 0
    assert f"«{CURP_OTHER}» → «{CURP_ANA}»" in capsys.readouterr().out
    code = main(
        ["--data-dir", str(settings.data_dir), "corregir", folio, "--campo", "curp",
         "--valor", "XYZ", "--motivo", "CURP corregida otra vez"]
    )  # fmt: skip
    assert code == 65
    assert "Error: La CURP debe tener 18 caracteres" in capsys.readouterr().err
