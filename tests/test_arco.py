"""ARCO: everything held about one person found by CURP, RFC or name and nothing of anyone
else's; the access report as JSON and PDF written whole or not at all; requests recorded, a
cancellation applied as far as retention allows; only administrators."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pdfplumber
import pytest

from mailroom import arco_export
from mailroom.arco_service import ArcoService
from mailroom.clock import FixedClock
from mailroom.config import Settings
from mailroom.corrections import CorrectionService
from mailroom.errors import InvalidInput, StorageError
from mailroom.models import Sender
from mailroom.permissions import Forbidden
from mailroom.store import Store
from tests.test_corrections import CURP_ANA, register, rows, seat

RFC_ANA = "PEAM800101AB9"
CURP_ORTIZ = "PEOM850505MJCXRR00"
CURP_GOMEZ = "GOLJ900202HDFMPN00"
CURP_TYPO = "RAMC700707HPLMRR06"


@dataclass(frozen=True)
class Office:
    ana: tuple[str, ...]  # her filings that carry her CURP (one only after a correction)
    ana_without_curp: str
    ortiz: str
    gomez: str


@pytest.fixture
def office(store: Store, settings: Settings, clock: FixedClock, tmp_path: Path) -> Office:
    """Three people with similar names; one of Ana's filings got a stranger's CURP (corrected
    to hers later) and Jorge's got hers by mistake (corrected to his)."""
    folder = tmp_path / "escaneos"
    folder.mkdir()

    def filed(sender: Sender, subject: str) -> str:
        return register(store, settings, clock, folder, sender, subject)

    ana = Sender("María Peña Ávalos", CURP_ANA, RFC_ANA, "maria.pena@example.mx", "5512345678")
    first = filed(ana, "Licencia de construcción")
    typo = filed(Sender("Maria Pena Avalos", CURP_TYPO), "Permiso de poda de árbol")
    without = filed(Sender("María Peña Ávalos"), "Queja por alumbrado")
    ortiz = filed(Sender("María Peña Ortiz", CURP_ORTIZ, email="ortiz@example.mx"), "Bacheo")
    gomez = filed(Sender("Jorge Gómez López", CURP_ANA), "Constancia de residencia")
    corrections = CorrectionService(store, settings, clock)
    corrections.correct(typo, "curp", CURP_ANA, "CURP de otra persona capturada por error")
    corrections.correct(gomez, "curp", CURP_GOMEZ, "La CURP era de otra persona")
    return Office((first, typo), without, ortiz, gomez)


@pytest.fixture
def arco(store: Store, settings: Settings, clock: FixedClock) -> ArcoService:
    seat(store, settings, "administrador")
    return ArcoService(store, settings, clock)


def pdf_text(path: Path) -> str:
    with pdfplumber.open(path) as pdf:
        return "\n".join(page.extract_text() or "" for page in pdf.pages)


def test_an_export_for_a_curp_has_all_her_filings_and_nothing_of_anyone_elses(
    store: Store, arco: ArcoService, office: Office, tmp_path: Path
) -> None:
    exported = arco.export("curp", CURP_ANA.lower(), tmp_path / "entrega")

    document = json.loads(exported.json_path.read_text(encoding="utf-8"))
    assert [f["folio"] for f in document["escritos"]] == list(office.ana)
    assert document["busqueda"] == {"tipo": "curp", "valor": CURP_ANA}
    assert document["generado_por"] == "Rosa Méndez Luna (rosa.mendez)"
    first, typo = document["escritos"]
    assert first["remitente"]["rfc"] == RFC_ANA and first["remitente"]["telefono"] == "5512345678"
    assert first["documentos"][0]["sha256"] and first["documentos"][0]["bytes"] > 0
    assert first["acuse"]["sello"] == "pendiente"
    assert typo["remitente"]["curp"] == CURP_ANA and typo["campos_corregidos"] == ["curp"]
    assert typo["correcciones"][0]["antes"] == CURP_TYPO
    assert [e["evento"] for e in typo["historial"]] == ["Escrito registrado", "Dato corregido"]
    text = pdf_text(exported.pdf_path)
    for folio in office.ana:
        assert folio in text
    assert "María Peña Ávalos" in text and RFC_ANA in text and "Dato corregido" in text
    assert "Generado por: Rosa Méndez Luna (rosa.mendez)" in text
    outsiders = (office.ortiz, office.gomez, office.ana_without_curp, "Ortiz", "Gómez",
                 CURP_ORTIZ, CURP_GOMEZ, "ortiz@example.mx", "Bacheo", "residencia")  # fmt: skip
    for outsider in outsiders:
        assert outsider not in text
        assert outsider not in exported.json_path.read_text(encoding="utf-8")
    assert sorted(p.name for p in exported.json_path.parent.iterdir()) == sorted(
        [exported.json_path.name, exported.pdf_path.name]
    )


def test_the_export_event_names_the_key_and_the_count_not_the_data(
    store: Store, arco: ArcoService, office: Office, tmp_path: Path
) -> None:
    exported = arco.export("curp", CURP_ANA, tmp_path / "entrega")
    ((actor, payload_text),) = rows(
        store, "SELECT actor, payload FROM events WHERE kind = 'arco_acceso_exportado'"
    )
    payload = json.loads(str(payload_text))
    assert actor == "rosa.mendez"
    assert payload["clave"] == {"tipo": "curp", "valor": CURP_ANA}
    assert (payload["escritos"], payload["folios"]) == (2, list(office.ana))
    assert set(payload["archivos"]) == {exported.json_path.name, exported.pdf_path.name}
    for personal in ("Peña", "Pena", RFC_ANA, "maria.pena@example.mx", "5512345678"):
        assert personal not in str(payload_text)


def test_a_name_finds_her_filings_without_accents_and_not_a_similar_name(
    arco: ArcoService, office: Office
) -> None:
    found = arco.find("nombre", "maria  PENA avalos")
    assert {f.folio for f in found.filings} == {*office.ana, office.ana_without_curp}
    by_rfc = arco.find("rfc", RFC_ANA)
    assert [f.folio for f in by_rfc.filings] == [office.ana[0]]
    assert [f.folio for f in arco.find("curp", CURP_GOMEZ).filings] == [office.gomez]
    assert arco.find("curp", CURP_TYPO).filings == ()  # corrected away: not hers, not his


@pytest.mark.parametrize(
    ("kind", "text", "message"),
    [
        ("curp", "", "Escriba la CURP de la persona"),
        ("curp", "PEAM8001", "La CURP debe tener 18 caracteres"),
        ("curp", "PEAM800101QDFXVR03", "sexo y debe ser H, M o X"),
        ("rfc", "PEAM80", "El RFC debe tener 13 caracteres"),
        ("nombre", "  ", "Escriba el nombre de la persona"),
        ("nombre", "María", "al menos un apellido"),
        ("correo", "x@y.mx", "Busque por CURP, RFC o nombre"),
    ],
)
def test_bad_searches_are_refused_in_spanish(
    arco: ArcoService, kind: str, text: str, message: str
) -> None:
    with pytest.raises(InvalidInput, match=message):
        arco.find(kind, text)


def test_an_unwritable_folder_is_said_in_spanish_and_nothing_is_written(
    store: Store, arco: ArcoService, office: Office, tmp_path: Path
) -> None:
    blocker = tmp_path / "no-es-carpeta"
    blocker.write_text("x")
    with pytest.raises(StorageError, match="No se pudo guardar el informe ARCO"):
        arco.export("curp", CURP_ANA, blocker / "entrega")
    assert rows(store, "SELECT count(*) FROM events WHERE kind = 'arco_acceso_exportado'") == [(0,)]


def test_a_failure_half_way_removes_what_was_written(
    store: Store,
    arco: ArcoService,
    office: Office,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = arco_export._write

    def failing(path: Path, write: object) -> Path:
        if path.suffix == ".pdf":
            raise StorageError("No se pudo guardar el informe ARCO: disco lleno.", path=path)
        return real(path, write)

    monkeypatch.setattr(arco_export, "_write", failing)
    folder = tmp_path / "entrega"
    with pytest.raises(StorageError, match="disco lleno"):
        arco.export("curp", CURP_ANA, folder)
    assert list(folder.iterdir()) == []
    assert rows(store, "SELECT count(*) FROM events WHERE kind = 'arco_acceso_exportado'") == [(0,)]


def test_the_documents_zip_holds_her_documents_and_acuses(
    arco: ArcoService, office: Office, tmp_path: Path
) -> None:
    import zipfile

    exported = arco.export("curp", CURP_ANA, tmp_path / "entrega", with_documents=True)
    assert exported.zip_path is not None
    with zipfile.ZipFile(exported.zip_path) as archive:
        names = sorted(archive.namelist())
    assert {name.split("/")[0] for name in names} == set(office.ana)
    assert sum(name.endswith("acuse.pdf") for name in names) == 2


@pytest.mark.parametrize("role", ["supervisor", "oficial"])
def test_only_an_administrator_may_search_or_export(
    store: Store,
    settings: Settings,
    clock: FixedClock,
    office: Office,
    tmp_path: Path,
    role: str,
) -> None:
    seat(store, settings, role)
    arco = ArcoService(store, settings, clock)
    events = rows(store, "SELECT count(*) FROM events")
    for attempt in (
        lambda: arco.find("curp", CURP_ANA),
        lambda: arco.export("curp", CURP_ANA, tmp_path / "entrega"),
        lambda: arco.register_request("acceso", "curp", CURP_ANA, "María Peña Ávalos"),
    ):
        with pytest.raises(Forbidden, match="atender solicitudes de derechos ARCO"):
            attempt()
    assert not (tmp_path / "entrega").exists()
    assert rows(store, "SELECT count(*) FROM events") == events
    assert rows(store, "SELECT count(*) FROM arco_requests") == [(0,)]


def test_a_cancellation_is_recorded_and_limited_by_retention(
    store: Store, arco: ArcoService, office: Office
) -> None:
    request = arco.register_request(
        "cancelacion",
        "curp",
        CURP_ANA,
        "María Peña Ávalos",
        received_on=date(2026, 3, 2),
        details="Pide suprimir sus datos",
    )
    assert (request.status, request.key.value) == ("pendiente", CURP_ANA)

    outcome = arco.resolve(request.id, "Procede en lo que permite la ley.")

    assert [folio for folio, _ in outcome.restricted] == list(office.ana)
    assert {until for _, until in outcome.restricted} == {date(2031, 3, 9)}  # 5 years default
    resolution = outcome.request.resolution or ""
    assert resolution.startswith("Procede en lo que permite la ley. Los escritos registrados")
    assert "no pueden cancelarse por completo" in resolution
    assert f"{office.ana[0]} hasta el 09/03/2031" in resolution
    kinds = [r[0] for r in rows(store, "SELECT kind FROM events WHERE kind LIKE 'arco_%'")]
    assert kinds == [
        "arco_solicitud_registrada",
        "arco_restriccion_aplicada",
        "arco_restriccion_aplicada",
        "arco_solicitud_resuelta",
    ]
    found = arco.find("curp", CURP_ANA)
    assert all(f.restrictions[0].keep_until == date(2031, 3, 9) for f in found.filings)
    assert [r.id for r in found.requests] == [request.id]
    assert arco.find("nombre", "María Peña Ortiz").filings[0].restrictions == ()
    with pytest.raises(InvalidInput, match="ya está resuelta"):
        arco.resolve(request.id, "Otra vez")


def test_a_rectification_is_a_correction_event_linked_to_its_request(
    store: Store, settings: Settings, arco: ArcoService, clock: FixedClock, office: Office
) -> None:
    request = arco.register_request("rectificacion", "nombre", "María Peña Ávalos", "Ella misma")
    CorrectionService(store, settings, clock).correct(
        office.ana_without_curp,
        "curp",
        CURP_ANA,
        "Rectificación pedida",
        arco_request_id=request.id,
    )
    outcome = arco.resolve(request.id, "Se anotó su CURP.")
    ((payload,),) = rows(store, "SELECT payload FROM events WHERE kind = 'arco_solicitud_resuelta'")
    assert json.loads(str(payload))["correcciones"] == 1
    assert outcome.restricted == ()
    ((linked,),) = rows(store, "SELECT payload FROM events WHERE kind = 'escrito_corregido' "
                               "ORDER BY seq DESC LIMIT 1")  # fmt: skip
    assert json.loads(str(linked))["solicitud_arco"] == request.id
    assert len(arco.find("curp", CURP_ANA).filings) == 3


def test_the_commands(
    store: Store, settings: Settings, office: Office, tmp_path: Path, capsys
) -> None:  # type: ignore[no-untyped-def]
    from mailroom.cli import main

    store.close()
    base = ["--data-dir", str(settings.data_dir), "arco"]
    assert main([*base, "buscar", "--curp", CURP_ANA]) == 0
    out = capsys.readouterr().out
    assert "2 escrito(s)" in out and office.ortiz not in out
    assert main([*base, "buscar", "--nombre", "María"]) == 65
    assert "al menos un apellido" in capsys.readouterr().err
    assert main([*base, "exportar", "--curp", CURP_ANA, "--salida", str(tmp_path / "e")]) == 0
    assert "Informe de acceso: 2 escrito(s)" in capsys.readouterr().out
    record = [*base, "solicitud", "registrar", "--tipo", "oposicion", "--curp", CURP_ANA,
              "--solicitante", "María Peña Ávalos", "--recibida", "2026-03-05"]  # fmt: skip
    assert main(record) == 0
    assert "Solicitud 1 registrada: oposición" in capsys.readouterr().out
    assert main([*base, "solicitud", "listar", "--pendientes"]) == 0
    assert "oposición" in capsys.readouterr().out
    assert main([*base, "solicitud", "resolver", "1", "--resolucion", "Procede."]) == 0
    assert "no pueden dejar de tratarse por completo" in capsys.readouterr().out
