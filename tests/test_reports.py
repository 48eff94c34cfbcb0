"""The supervisor's report of a period: counts by status, channel, area and receiving account,
overdue responses, cancellations with their reasons; refused to an oficial; text and JSON."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from accounts_helpers import seated

from mailroom.cli import main
from mailroom.clock import FixedClock
from mailroom.config import Settings
from mailroom.errors import InvalidInput
from mailroom.intake import IntakeService
from mailroom.models import Addressee, Channel, FilingStatus, NewFiling, Sender
from mailroom.permissions import Forbidden
from mailroom.reports import ReportService, SupervisorReport, as_text
from mailroom.routing import RoutingService
from mailroom.samples import render_page_image
from mailroom.store import Store

ZONE = ZoneInfo("America/Mexico_City")
MARCH_2, MARCH_31 = date(2026, 3, 2), date(2026, 3, 31)
AS_OF = FixedClock(datetime(2026, 3, 20, 9, 0, tzinfo=ZONE))


def at(day: int, hour: int = 10) -> FixedClock:
    return FixedClock(datetime(2026, 3, day, hour, 0, tzinfo=ZONE))


def register(
    store: Store, settings: Settings, tmp_path: Path, clock: FixedClock, **changes: object
) -> str:
    page = tmp_path / f"hoja-{clock.instant:%m%d%H%M%S}-{len(list(tmp_path.iterdir()))}.jpg"
    render_page_image([f"Escrito {page.stem}"], dpi=100).save(page, "JPEG", dpi=(100, 100))
    fields: dict[str, object] = {"sender": Sender("Ana Torres Ruiz"), "subject": "Solicitud"}
    fields.update(changes)
    new = NewFiling(**fields)  # type: ignore[arg-type]
    return IntakeService(store, settings, clock=clock).register(new, [page]).filing.folio


@pytest.fixture
def month(store: Store, settings: Settings, tmp_path: Path) -> tuple[Settings, dict[str, str]]:
    """March: two clerks, a kiosk-channel filing, a route, an overdue one, one answered in time,
    one cancelled; plus one filing in February that the report must leave out."""
    luis = seated(store, settings, "oficial", "luis.ortega", full_name="Luis Ortega Paz")
    ana = seated(store, settings, "oficial", "ana.diaz", full_name="Ana Díaz Mora")
    boss = seated(store, settings, "supervisor", "rosa.vega", full_name="Rosa Vega Sol")
    folios = {
        "february": register(
            store, luis, tmp_path, FixedClock(datetime(2026, 2, 27, 10, tzinfo=ZONE))
        ),
        "overdue": register(
            store,
            luis,
            tmp_path,
            at(3),
            response_due=date(2026, 3, 13),
            addressees=(Addressee("Obras Públicas"),),
        ),
        "answered": register(store, ana, tmp_path, at(4), response_due=date(2026, 3, 10)),
        "kiosk": register(store, ana, tmp_path, at(5), channel=Channel.KIOSCO),
        "cancelled": register(store, luis, tmp_path, at(6), response_due=date(2026, 3, 9)),
    }
    routing = RoutingService(store, luis, at(5))
    routing.route(folios["answered"], [Addressee("Catastro")])
    for status in ("recibida_por_area", "en_tramite", "atendida"):
        routing.change_status(folios["answered"], status)
    RoutingService(store, boss, at(7, 12)).cancel(
        folios["cancelled"], "Registrado dos veces por error de captura"
    )
    return boss, folios


def test_the_report_of_a_month(store: Store, month) -> None:
    boss, folios = month
    report = ReportService(store, boss, AS_OF).report(MARCH_2, MARCH_31)

    assert report.filings == 4  # February's is left out
    assert {t.key: t.filings for t in report.by_status} == {
        "registrada": 2,
        "atendida": 1,
        "cancelada": 1,
    }
    assert {t.label: t.filings for t in report.by_channel} == {
        "Ventanilla": 3,
        "Kiosco de autoservicio": 1,
    }
    assert {t.key: t.filings for t in report.by_area} == {
        "Sin área": 2,
        "Obras Públicas": 1,
        "Catastro": 1,
    }
    assert [(t.key, t.filings) for t in report.by_account] == [
        ("Ana Díaz Mora (ana.diaz)", 2),
        ("Luis Ortega Paz (luis.ortega)", 2),
    ]
    # Due on the 13th, still registrada on the 20th: 7 days late. The answered one and the
    # cancelled one had passed due dates too, and are not overdue.
    (overdue,) = report.overdue
    assert (overdue.folio, overdue.days_late, overdue.areas) == (
        folios["overdue"],
        7,
        "Obras Públicas",
    )
    (cancel,) = report.cancellations
    assert (cancel.folio, cancel.actor, cancel.reason) == (
        folios["cancelled"],
        "rosa.vega",
        "Registrado dos veces por error de captura",
    )
    assert cancel.cancelled_at == datetime(2026, 3, 7, 12, 0, tzinfo=ZONE)


def test_the_text_says_it_plainly(store: Store, month) -> None:
    boss, folios = month
    text = as_text(ReportService(store, boss, AS_OF).report(MARCH_2, MARCH_31))
    assert text.startswith("Reporte del 02/03/2026 al 31/03/2026 (al 20/03/2026)\n")
    assert "Escritos recibidos: 4" in text
    assert "Por cuenta que recibió:\n  Ana Díaz Mora (ana.diaz): 2\n" in text
    assert (
        f"  {folios['overdue']}: vencía el 13/03/2026 (7 día(s) de retraso), registrada, "
        "Obras Públicas"
    ) in text
    assert (
        f"  {folios['cancelled']}: 07/03/2026 12:00 por rosa.vega. Motivo: Registrado dos veces "
        "por error de captura"
    ) in text


def test_a_period_without_filings_says_so(store: Store, month) -> None:
    boss, _ = month
    report = ReportService(store, boss, AS_OF).report(date(2026, 1, 1), date(2026, 1, 31))
    assert report.filings == 0 and report.by_status == () and report.overdue == ()
    assert "Por estado:\n  —" in as_text(report)


def test_an_oficial_may_not_see_it(store: Store, month, settings: Settings) -> None:
    oficial = seated(store, settings, "oficial", "pablo.rios")
    with pytest.raises(Forbidden, match="no puede sacar reportes; hace falta el rol supervisor"):
        ReportService(store, oficial, AS_OF).report(MARCH_2, MARCH_31)


def test_a_period_backwards_is_refused(store: Store, month) -> None:
    boss, _ = month
    with pytest.raises(InvalidInput, match="es posterior a la final"):
        ReportService(store, boss, AS_OF).report(MARCH_31, MARCH_2)


def test_the_command(store: Store, settings: Settings, tmp_path: Path, capsys) -> None:
    # A store without accounts: the command line acts as the operating system's user.
    folio = register(store, settings, tmp_path, at(3), response_due=date(2026, 3, 4))
    data = ["--data-dir", str(settings.data_dir)]

    assert main(["reporte", "--desde", "2026-03-01", "--hasta", "2026-03-31", *data]) == 0
    out = capsys.readouterr().out
    assert "Escritos recibidos: 1" in out and "Por canal:\n  Ventanilla: 1" in out

    assert main(["reporte", "--desde", "2026-03-01", "--hasta", "2026-03-31", "--json", *data]) == 0
    body = json.loads(capsys.readouterr().out)
    assert body["filings"] == 1 and body["by_status"] == [
        {"key": "registrada", "label": "registrada", "filings": 1}
    ]
    assert [item["folio"] for item in body["overdue"]] == [folio]  # the real clock: past due
    assert set(body) == {f for f in SupervisorReport.__dataclass_fields__}
    assert FilingStatus(body["overdue"][0]["status"]) is FilingStatus.REGISTRADA

    assert main(["reporte", "--desde", "2026-03-31", "--hasta", "2026-03-01", *data]) == 65
