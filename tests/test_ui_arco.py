"""«ARCO» on real widgets (offscreen): a search by CURP lists only that person's filings, the
report is exported to a folder, a request is recorded, and a bad CURP or an oficial's attempt
is refused in Spanish on screen."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from mailroom.accounts import Accounts
from mailroom.clock import FixedClock
from mailroom.config import Settings
from mailroom.models import Sender
from mailroom.ui.arco_view import ArcoView
from mailroom.ui.tasks import TaskRunner
from mailroom.workstation import Workstation
from tests.test_corrections import CURP_ANA, CURP_OTHER, PASSWORD, register
from tests.ui_fixtures import waited_runner


@pytest.fixture
def runner(qapp) -> Iterator[TaskRunner]:  # type: ignore[no-untyped-def]
    with waited_runner() as tasks:
        yield tasks


@pytest.fixture
def workstation(
    settings: Settings, clock: FixedClock, tmp_path: Path
) -> Iterator[tuple[Workstation, list[str]]]:
    with Workstation(settings) as opened:
        folios = [
            register(opened.store, settings, clock, tmp_path, Sender(name, curp), subject)
            for name, curp, subject in (
                ("María Peña Ávalos", CURP_ANA, "Licencia de construcción"),
                ("María Peña Ortiz", CURP_OTHER, "Bacheo de la calle"),
            )
        ]
        accounts = Accounts(opened.store, settings)
        admin = accounts.create(
            "rosa.mendez", full_name="Rosa Méndez Luna", role="administrador", password=PASSWORD
        )
        settings.seat.sit(accounts.actor(admin))
        accounts.create(
            "luis.perez", full_name="Luis Pérez Soto", role="oficial", password=PASSWORD
        )
        yield opened, folios


@pytest.fixture
def view(qtbot, runner: TaskRunner, workstation) -> ArcoView:  # type: ignore[no-untyped-def]
    shown = ArcoView(runner, workstation[0])
    qtbot.addWidget(shown)
    shown.show()
    return shown


def test_search_export_and_request(qtbot, view: ArcoView, workstation, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _, folios = workstation
    assert not view.export_button.isEnabled()
    view.key.setText(CURP_ANA.lower())
    with qtbot.waitSignal(view.found, timeout=10_000):
        view.search_button.click()
    assert view.table.rowCount() == 1
    assert view.table.item(0, 0).text() == folios[0]
    assert view.table.item(0, 2).text() == "María Peña Ávalos"
    assert view.summary.text().startswith(f"CURP {CURP_ANA}: 1 escrito(s), 1 documento(s)")
    assert view.export_button.isEnabled()

    with qtbot.waitSignal(view.exported, timeout=20_000) as saved:
        view.export_to(str(tmp_path / "entrega"))
    assert saved.args[0].pdf_path.exists() and saved.args[0].json_path.exists()
    assert view.message.text().startswith("Se guardó el informe")

    view.request_kind.setCurrentIndex(view.request_kind.findData("cancelacion"))
    view.requester.setText("María Peña Ávalos")
    with qtbot.waitSignal(view.request_recorded, timeout=10_000) as recorded:
        view.record_button.click()
    assert recorded.args[0].kind == "cancelacion"
    assert view.message.text() == f"Solicitud 1 registrada: cancelación, sobre CURP {CURP_ANA}."
    assert view.requester.text() == ""


def test_a_bad_curp_and_an_oficial_are_refused_on_screen(
    qtbot, view: ArcoView, workstation
) -> None:  # type: ignore[no-untyped-def]
    view.key.setText("PEAM8001")
    with qtbot.waitSignal(view.failed, timeout=10_000) as refused:
        view.search_button.click()
    assert refused.args[0] == "La CURP debe tener 18 caracteres; tiene 8."
    assert view.message.text() == refused.args[0] and view.table.rowCount() == 0

    opened, _ = workstation
    accounts = Accounts(opened.store, opened.settings)
    opened.settings.seat.sit(accounts.actor(accounts.get("luis.perez")))
    view.key.setText(CURP_ANA)
    with qtbot.waitSignal(view.failed, timeout=10_000) as refused:
        view.search_button.click()
    assert "no puede atender solicitudes de derechos ARCO" in refused.args[0]
    assert not view.export_button.isEnabled()
