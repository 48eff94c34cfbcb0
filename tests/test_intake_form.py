"""The registration form without Qt: each field's Spanish message, the NewFiling it builds, the
catalogs sync downloads, and the duplicate pre-check against a real registration."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from pathlib import Path

import pytest

from mailroom.clock import FixedClock
from mailroom.config import Settings
from mailroom.errors import InvalidInput
from mailroom.intake import IntakeService
from mailroom.intake_form import (
    AddresseeInput,
    AnnexInput,
    FieldProblem,
    FormValues,
    explain,
    problems,
    to_new_filing,
)
from mailroom.intake_lookups import (
    CatalogItem,
    Catalogs,
    find_duplicates,
    find_duplicates_of_files,
    load_catalogs,
)
from mailroom.models import Addressee, Annex, AreaRole, NewFiling, Priority, Sender
from mailroom.store import Store
from mailroom.validation import validated
from sync import downsync
from sync.server.catalogs import DEFAULTS
from tests.sync_fakes import ScriptedTransport, answer

TODAY = date(2026, 3, 9)
SAMPLES = Path(__file__).resolve().parents[1] / "resources" / "samples"
NO_CATALOG = Catalogs()
CATALOG = Catalogs(
    procedures=(
        CatalogItem("LIC-CON", "Licencia de construcción", "Dirección de Desarrollo Urbano"),
    ),
    departments=(
        CatalogItem("DUR", "Dirección de Desarrollo Urbano"),
        CatalogItem("TES", "Tesorería Municipal"),
    ),
    procedures_from_catalog=True,
    departments_from_catalog=True,
)
GOOD = FormValues(
    sender_name="  María   Peña Ávalos ",
    sender_curp="hegt-761003-mdfrnn07",
    sender_rfc="GODE561231GR8",
    sender_email="maria@ejemplo.mx",
    sender_phone="(55) 1234-5678",
    sender_organization="Colonos del Centro, A.C.",
    sender_position="Presidenta",
    subject="Solicitud de licencia de construcción",
    procedure="lic-con",
    document_number="CC/014/2026",
    document_date="02/03/2026",
    addressees=(AddresseeInput("desarrollo urbano"), AddresseeInput("TES", AreaRole.COPIA)),
    fojas="10",
    annexes=(AnnexInput("Copia de identificación", "1"), AnnexInput("Plano", "0")),
    priority="urgente",
    response_due="2026-03-20",
    observations="  Entregó en original. ",
    sensitive=True,
)


def with_(**changes: object) -> FormValues:
    return dataclasses.replace(GOOD, **changes)  # type: ignore[arg-type]


def test_a_complete_form_becomes_the_filing_the_service_would_register() -> None:
    expected = NewFiling(
        sender=Sender(
            name="María Peña Ávalos",
            curp="HEGT761003MDFRNN07",
            rfc="GODE561231GR8",
            email="maria@ejemplo.mx",
            phone="(55) 1234-5678",
            organization="Colonos del Centro, A.C.",
            position="Presidenta",
        ),
        subject="Solicitud de licencia de construcción",
        procedure_type="Licencia de construcción",
        document_number="CC/014/2026",
        document_date=date(2026, 3, 2),
        addressees=(
            Addressee("Dirección de Desarrollo Urbano"),
            Addressee("Tesorería Municipal", AreaRole.COPIA),
        ),
        fojas_declared=10,
        annexes=(Annex("Copia de identificación", 1), Annex("Plano", 0)),
        priority=Priority.URGENTE,
        response_due=date(2026, 3, 20),
        observations="Entregó en original.",
        sensitive=True,
    )
    built = to_new_filing(GOOD, CATALOG, TODAY)
    assert built == expected
    assert validated(expected) == expected  # the service's gate changes nothing


def test_the_minimum_a_clerk_must_type() -> None:
    built = to_new_filing(
        FormValues(
            sender_name="Juan Pérez",
            subject="Queja",
            addressees=(AddresseeInput("Obras"),),
            fojas="1",
        ),
        NO_CATALOG,
        TODAY,
    )
    assert built == NewFiling(
        sender=Sender("Juan Pérez"),
        subject="Queja",
        addressees=(Addressee("Obras"),),
        fojas_declared=1,
    )
    assert isinstance(built, NewFiling) and built.document_number == "S/N"


def test_an_empty_form_says_what_is_missing() -> None:
    found = problems(FormValues(), NO_CATALOG, TODAY)
    assert [(p.field, p.missing) for p in found] == [
        ("sender_name", True),
        ("subject", True),
        ("addressees", True),
        ("fojas", True),
    ]
    assert [p.message for p in found] == [
        "El nombre del remitente es obligatorio.",
        "El asunto es obligatorio.",
        "Turne el escrito al menos a un área.",
        "Indique cuántas fojas entrega el remitente.",
    ]
    assert explain(found) == "Falta: remitente, asunto, área turnada, fojas."
    assert to_new_filing(FormValues(), NO_CATALOG, TODAY) == found


BAD_INPUT = [
    ("sender_name", {"sender_name": "   "}, "El nombre del remitente es obligatorio."),
    ("sender_name", {"sender_name": "x" * 2001}, "El nombre del remitente excede 2000 caracteres."),
    (
        "sender_curp",
        {"sender_curp": "HEGT761003MDFRNN08"},
        "El dígito verificador de la CURP no corresponde: se esperaba 7. "
        "Revise que esté bien escrita.",
    ),
    ("sender_curp", {"sender_curp": "HEGT7610"}, "La CURP debe tener 18 caracteres; tiene 8."),
    (
        "sender_rfc",
        {"sender_rfc": "GODE561231GR9"},
        "El dígito verificador del RFC no corresponde: se esperaba 8. "
        "Revise que esté bien escrito.",
    ),
    (
        "sender_email",
        {"sender_email": "maria@ejemplo"},
        "El correo «maria@ejemplo» no es válido; debe ser como nombre@dominio.mx.",
    ),
    (
        "sender_phone",
        {"sender_phone": "55 1234 56ab"},
        "El teléfono solo lleva números, espacios, guiones, paréntesis y +; sobra «a», «b».",
    ),
    (
        "sender_phone",
        {"sender_phone": "1234-567"},
        "El teléfono debe tener 10 dígitos (con lada); tiene 7.",
    ),
    (
        "sender_organization",
        {"sender_organization": "y" * 2001},
        "La organización excede 2000 caracteres.",
    ),
    ("subject", {"subject": "\n"}, "El asunto es obligatorio."),
    (
        "procedure",
        {"procedure": "Permiso de fiesta"},
        "El trámite «Permiso de fiesta» no está en el catálogo; elija uno de la lista.",
    ),
    (
        "document_number",
        {"document_number": "9" * 101},
        "El número de documento excede 100 caracteres.",
    ),
    (
        "document_date",
        {"document_date": "31/02/2026"},
        "La fecha del documento «31/02/2026» no es una fecha válida; escríbala como DD/MM/AAAA.",
    ),
    (
        "document_date",
        {"document_date": "2026-03-10", "response_due": ""},
        "La fecha del documento (10/03/2026) es posterior a hoy (09/03/2026).",
    ),
    ("addressees", {"addressees": ()}, "Turne el escrito al menos a un área."),
    (
        "addressees",
        {"addressees": (AddresseeInput("  "),)},
        "El área turnada no puede quedar vacía.",
    ),
    (
        "addressees",
        {"addressees": (AddresseeInput("Obras Públicas"),)},
        "El área «Obras Públicas» no está en el catálogo; elija una de la lista.",
    ),
    (
        "addressees",
        {
            "addressees": (
                AddresseeInput("TES"),
                AddresseeInput("tesoreria municipal", AreaRole.COPIA),
            )
        },
        "El área «tesoreria municipal» aparece dos veces entre los destinatarios.",
    ),
    (
        "addressees",
        {"addressees": (AddresseeInput("TES", AreaRole.COPIA),)},
        "Al menos un área debe recibir el escrito como turno directo.",
    ),
    ("fojas", {"fojas": ""}, "Indique cuántas fojas entrega el remitente."),
    ("fojas", {"fojas": "diez"}, "Las fojas deben ser un número entero; se escribió «diez»."),
    ("fojas", {"fojas": "0"}, "Las fojas declaradas deben ser al menos 1."),
    ("annexes", {"annexes": (AnnexInput(" ", "2"),)}, "El anexo 1 necesita una descripción."),
    (
        "annexes",
        {"annexes": (AnnexInput("Plano", "1"), AnnexInput("Fotos", "-2"))},
        "Las fojas del anexo 2 deben ser un número entero (0 o más); se escribió «-2».",
    ),
    ("priority", {"priority": "altísima"}, "La prioridad debe ser normal o urgente."),
    (
        "response_due",
        {"response_due": "08/03/2026", "document_date": ""},
        "La fecha límite de respuesta (08/03/2026) ya pasó; debe ser hoy (09/03/2026) o después.",
    ),
    (
        "response_due",
        {"response_due": "2026-03-09", "document_date": "2026-03-09"},
        None,  # today is allowed
    ),
    ("observations", {"observations": "z" * 2001}, "Las observaciones exceden 2000 caracteres."),
    (
        "duplicate_override_reason",
        {"duplicate_override_reason": "  "},
        "Para registrar un documento repetido escriba el motivo.",
    ),
]


@pytest.mark.parametrize(("field", "changes", "message"), BAD_INPUT)
def test_each_bad_input_gets_its_spanish_message(
    field: str, changes: dict[str, object], message: str | None
) -> None:
    built = to_new_filing(with_(**changes), CATALOG, TODAY)
    if message is None:
        assert isinstance(built, NewFiling)
        return
    assert built == (FieldProblem(field, message, built[0].missing),)  # type: ignore[index]
    assert explain(built).startswith("Falta:" if built[0].missing else "Revise:")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "changes",
    [
        {"sender_name": ""},
        {"subject": "  "},
        {"sender_curp": "HEGT761003MDFRNN08"},
        {"sender_rfc": "GODE561231GR9"},
        {"sender_email": "sin-arroba.mx"},
        {"annexes": (AnnexInput(" ", "1"),)},
        {"addressees": (AddresseeInput("Obras"), AddresseeInput("Obras", AreaRole.COPIA))},
        {"response_due": "2026-03-10", "document_date": "2026-03-11"},
        {"observations": "z" * 2001},
        {"duplicate_override_reason": " "},
    ],
)
def test_whatever_the_service_refuses_the_form_refuses(changes: dict[str, object]) -> None:
    values = with_(**changes)
    raw = NewFiling(
        sender=Sender(
            values.sender_name, values.sender_curp, values.sender_rfc, values.sender_email or None
        ),
        subject=values.subject,
        addressees=tuple(Addressee(a.area, a.role) for a in values.addressees),
        annexes=tuple(Annex(a.description, int(a.pages)) for a in values.annexes),
        document_date=date.fromisoformat(values.document_date)
        if "-" in values.document_date
        else None,
        response_due=date.fromisoformat(values.response_due),
        observations=values.observations,
        duplicate_override_reason=values.duplicate_override_reason,
    )
    with pytest.raises(InvalidInput):
        validated(raw)
    assert not isinstance(to_new_filing(values, NO_CATALOG, TODAY), NewFiling)


def test_a_refusal_only_the_service_knows_is_mapped_to_the_form_field(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def refuse(new: NewFiling) -> NewFiling:
        raise InvalidInput("El asunto excede 2000 caracteres.", field="El asunto")

    monkeypatch.setattr("mailroom.intake_form.validated", refuse)
    assert to_new_filing(GOOD, CATALOG, TODAY) == (
        FieldProblem("subject", "El asunto excede 2000 caracteres."),
    )


def test_several_problems_are_explained_in_one_sentence() -> None:
    values = with_(sender_name="", sender_curp="ABC", fojas="", sender_email="x@y")
    assert explain(problems(values, CATALOG, TODAY)) == (
        "Falta: remitente, fojas. Revise: CURP, correo."
    )


def test_without_a_catalog_the_clerk_types_freely() -> None:
    values = with_(procedure="Permiso de fiesta", addressees=(AddresseeInput("Obras Públicas"),))
    built = to_new_filing(values, NO_CATALOG, TODAY)
    assert isinstance(built, NewFiling)
    assert built.procedure_type == "Permiso de fiesta"
    assert built.addressees == (Addressee("Obras Públicas"),)


def _pull_default_catalogs(store: Store) -> None:
    def reply(method: str, path: str, kwargs: dict[str, object]):  # type: ignore[no-untyped-def]
        name = path.rsplit("/", 1)[1]
        return answer(200, {"items": DEFAULTS[name]}, headers={"ETag": f'"{name}"'})

    transport = ScriptedTransport(reply)
    for name in ("procedures", "departments"):
        assert downsync.pull_catalog(store, transport, name, datetime(2026, 3, 9, 9, 0))


def test_catalogs_come_from_the_synced_tables(store: Store) -> None:
    _pull_default_catalogs(store)
    catalogs = load_catalogs(store.reader())
    assert catalogs.procedures_from_catalog and catalogs.departments_from_catalog
    names = [item.name for item in catalogs.departments]
    assert len(names) == 12 and "Tesorería Municipal" in names
    licence = next(p for p in catalogs.procedures if p.code == "LIC-CON")
    assert licence.department == "Dirección de Desarrollo Urbano"  # the code, resolved
    built = to_new_filing(with_(procedure="licencia de construccion"), catalogs, TODAY)
    assert isinstance(built, NewFiling) and built.procedure_type == "Licencia de construcción"


def test_before_any_sync_the_departments_already_used_are_offered(
    store: Store, settings: Settings, clock: FixedClock
) -> None:
    assert load_catalogs(store.reader()) == Catalogs()
    service = IntakeService(store, settings, clock=clock)
    areas = (
        AddresseeInput("Tesorería Municipal"),
        AddresseeInput("Obras Públicas", AreaRole.COPIA),
    )
    new = to_new_filing(with_(procedure="Permiso de fiesta", addressees=areas), NO_CATALOG, TODAY)
    assert isinstance(new, NewFiling)
    service.register(new, [SAMPLES / "solicitud.jpg"])
    catalogs = load_catalogs(store.reader())
    assert not catalogs.departments_from_catalog and not catalogs.procedures_from_catalog
    assert [d.name for d in catalogs.departments] == ["Obras Públicas", "Tesorería Municipal"]
    assert [p.name for p in catalogs.procedures] == ["Permiso de fiesta"]


def test_duplicate_pre_check_names_the_earlier_folio(
    store: Store, settings: Settings, clock: FixedClock
) -> None:
    sample = SAMPLES / "comprobante.png"
    assert find_duplicates_of_files(store.reader(), [sample]) == ()
    new = to_new_filing(GOOD, CATALOG, TODAY)
    assert isinstance(new, NewFiling)
    folio = IntakeService(store, settings, clock=clock).register(new, [sample]).filing.folio
    [hit] = find_duplicates_of_files(store.reader(), [sample, SAMPLES / "solicitud.jpg"])
    assert (hit.folio, hit.filename) == (folio, "comprobante.png")
    assert hit.sentence() == (
        f"Este documento ya fue registrado con el folio {folio} (9 de marzo de 2026, 10:30)."
    )
    assert find_duplicates(store.reader(), [hit.sha256, hit.sha256]) == (hit,)
