"""«Administración» on real widgets (offscreen): the accounts tab creates and disables an
account and shows the services' refusals in Spanish, the trust tab adds and removes an
authority, the privacy tab saves a new version and prints the notice, the device tab shows the
enrolment state and refuses an oficial."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pypdfium2
import pytest
from PySide6.QtPrintSupport import QPrinter

from mailroom.accounts import Accounts
from mailroom.config import Settings
from mailroom.permissions import Forbidden
from mailroom.privacy import notice_in_force
from mailroom.ui.admin import AdminDialog, may_administer, open_admin
from mailroom.ui.tasks import TaskRunner
from mailroom.workstation import Workstation
from sync import enrolment
from sync.enrolment import enroll_at
from tests.backend_server import BackendServer, running_backend
from tests.trust_fixtures import make_certificate
from tests.ui_fixtures import waited_runner

PASSWORD = "cuaderno de turno 7"


@pytest.fixture
def runner(qapp) -> Iterator[TaskRunner]:  # type: ignore[no-untyped-def]
    with waited_runner() as tasks:
        yield tasks


@pytest.fixture
def workstation(settings: Settings) -> Iterator[Workstation]:
    with Workstation(settings) as opened:
        accounts = Accounts(opened.store, settings)
        admin = accounts.create(
            "rosa.mendez", full_name="Rosa Méndez Luna", role="administrador", password=PASSWORD
        )
        settings.seat.sit(accounts.actor(admin))
        accounts.create(
            "luis.perez", full_name="Luis Pérez Soto", role="oficial", password=PASSWORD
        )
        yield opened


@pytest.fixture
def dialog(qtbot, runner: TaskRunner, workstation: Workstation) -> Iterator[AdminDialog]:  # type: ignore[no-untyped-def]
    opened = AdminDialog(workstation, runner)
    qtbot.addWidget(opened)
    opened.open()
    qtbot.waitUntil(lambda: opened.privacy.notice is not None, timeout=10_000)
    yield opened
    runner.wait_all(10_000)


def test_the_accounts_tab_creates_and_disables_an_account(qtbot, dialog: AdminDialog) -> None:  # type: ignore[no-untyped-def]
    tab = dialog.accounts
    qtbot.waitUntil(lambda: len(tab.shown) == 2, timeout=10_000)
    tab.new_user.setText("ana.gomez")
    tab.new_name.setText("Ana Gómez Ruiz")
    tab.new_role.setCurrentText("oficial")
    tab.new_password.setText("corta")
    with qtbot.waitSignal(tab.failed, timeout=10_000) as refused:
        tab.create_button.click()
    assert "10 caracteres" in refused.args[0] and tab.message.text() == refused.args[0]
    assert tab.new_password.text() == ""  # a refused password is not left on screen
    tab.new_password.setText("la ventanilla del lunes 3")
    with qtbot.waitSignal(tab.listed, timeout=10_000):
        tab.create_button.click()
    assert tab.message.text() == "Cuenta «ana.gomez» creada."
    assert [a.user_name for a in tab.shown] == ["ana.gomez", "luis.perez", "rosa.mendez"]
    assert tab.new_user.text() == "" and tab.new_password.text() == ""

    tab.select("ana.gomez")
    assert tab.toggle_active.text() == "&Desactivar"
    with qtbot.waitSignal(tab.listed, timeout=10_000):
        tab.toggle_active.click()
    ana = next(a for a in tab.shown if a.user_name == "ana.gomez")
    assert not ana.active
    assert tab.table.item(0, 3).text() == "desactivada"
    assert tab.toggle_active.text() == "&Reactivar"  # still chosen after the refresh

    tab.select("rosa.mendez")  # the only administrator
    with qtbot.waitSignal(tab.failed, timeout=10_000) as refused:
        tab.toggle_active.click()
    assert "único administrador activo" in refused.args[0]


def test_an_oficial_sees_the_refusal_and_nothing_changes(  # type: ignore[no-untyped-def]
    qtbot, runner: TaskRunner, workstation: Workstation, settings: Settings
) -> None:
    accounts = Accounts(workstation.store, settings)
    settings.seat.sit(accounts.actor(accounts.get("luis.perez")))
    assert not may_administer(settings)
    dialog = AdminDialog(workstation, runner)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: "no puede" in dialog.accounts.message.text(), timeout=10_000)
    assert "hace falta el rol administrador" in dialog.accounts.message.text()
    qtbot.waitUntil(lambda: dialog.privacy.notice is not None, timeout=10_000)
    dialog.privacy.full.setPlainText("Aviso cambiado por quien no debe.")
    with qtbot.waitSignal(dialog.privacy.failed, timeout=10_000) as refused:
        dialog.privacy.save_button.click()
    assert "no puede cambiar los ajustes" in refused.args[0]
    assert "Aviso cambiado" not in notice_in_force(settings).full
    dialog.device.url.setText("http://127.0.0.1:9/")
    dialog.device.token.setText("token-de-prueba")
    with qtbot.waitSignal(dialog.device.failed, timeout=10_000) as refused:
        dialog.device.enrol_button.click()
    assert "no puede dar de alta este equipo" in refused.args[0]
    runner.wait_all(10_000)


def test_the_trust_tab_adds_and_removes_an_authority(  # type: ignore[no-untyped-def]
    qtbot, dialog: AdminDialog, tmp_path: Path
) -> None:
    tab = dialog.trust
    qtbot.waitUntil(lambda: len(tab.shown) > 0, timeout=10_000)
    assert not tab.remove_button.isEnabled()
    source = tmp_path / "municipal.cer"
    source.write_bytes(make_certificate("Autoridad Municipal de Prueba").der)
    with qtbot.waitSignal(tab.listed, timeout=10_000):
        tab.add_file(source)
    assert tab.message.text() == "Autoridad agregada: Autoridad Municipal de Prueba."
    row = next(i for i, a in enumerate(tab.shown) if a.origin == "agregada")
    assert tab.table.item(row, 2).text() == "agregada"
    tab.table.selectRow(row)
    assert tab.remove_button.isEnabled()
    with qtbot.waitSignal(tab.listed, timeout=10_000):
        tab.remove_button.click()
    assert all(a.origin != "agregada" for a in tab.shown)
    not_ca = tmp_path / "persona.cer"
    not_ca.write_bytes(make_certificate("Persona", ca=False).der)
    with qtbot.waitSignal(tab.failed, timeout=10_000) as refused:
        tab.add_file(not_ca)
    assert "no es una autoridad certificadora" in refused.args[0]


def test_the_privacy_tab_saves_a_new_version_and_prints_it(  # type: ignore[no-untyped-def]
    qtbot, dialog: AdminDialog, settings: Settings, tmp_path: Path
) -> None:
    tab = dialog.privacy
    before = tab.notice
    assert before is not None and tab.full.toPlainText() == before.full
    tab.full.setPlainText(before.full + "\n\nDomicilio\nAvenida Juárez 12, Centro.")
    with qtbot.waitSignal(tab.saved, timeout=10_000) as saved:
        tab.save_button.click()
    assert saved.args[0].version != before.version
    assert notice_in_force(settings).version == saved.args[0].version
    assert tab.version.text() == f"Versión en vigor: {saved.args[0].version[:16]}"

    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    output = tmp_path / "aviso-impreso.pdf"
    printer.setOutputFileName(str(output))
    with qtbot.waitSignal(tab.printed, timeout=30_000) as printed:
        tab.print_to(printer)
    assert printed.args[0] == str(output)
    assert len(pypdfium2.PdfDocument(output.read_bytes())) >= 1
    assert tab.message.text() == f"Aviso enviado a {output}."


def test_the_device_tab_shows_the_enrolment_and_open_admin_shows_every_tab(  # type: ignore[no-untyped-def]
    qtbot, runner: TaskRunner, workstation: Workstation, settings: Settings
) -> None:
    assert may_administer(settings)
    dialog = open_admin(None, workstation, runner)
    qtbot.addWidget(dialog)
    assert dialog.isVisible()
    names = [dialog.tabs.tabText(i).replace("&", "") for i in range(dialog.tabs.count())]
    assert names == [
        "Cuentas",
        "Ajustes",
        "Confianza",
        "Equipo",
        "Aviso de privacidad",
        "Derechos ARCO",
    ]
    qtbot.waitUntil(lambda: "no está dado de alta" in dialog.device.state.text(), timeout=10_000)
    dialog.device.token.setText("")
    with qtbot.waitSignal(dialog.device.failed, timeout=5_000) as refused:
        dialog.device.enrol_button.click()
    assert refused.args[0] == "Escriba la dirección del servidor y el token de alta."
    dialog.settings_button.click()
    assert dialog.settings_dialog is not None and dialog.settings_dialog.isVisible()
    qtbot.waitUntil(lambda: dialog.settings_dialog.current is not None, timeout=10_000)  # type: ignore[union-attr]
    runner.wait_all(10_000)


@pytest.fixture
def backend(tmp_path: Path) -> Iterator[BackendServer]:
    with running_backend(tmp_path / "servidor") as server:
        yield server


def test_an_administrator_enrols_the_device_from_the_device_tab(  # type: ignore[no-untyped-def]
    qtbot, dialog: AdminDialog, settings: Settings, backend: BackendServer
) -> None:
    tab = dialog.device
    qtbot.waitUntil(lambda: "no está dado de alta" in tab.state.text(), timeout=10_000)
    tab.url.setText(backend.url)
    tab.token.setText(backend.enrolment_token(settings.office))
    with qtbot.waitSignal(tab.read, timeout=20_000):
        tab.enrol_button.click()
    assert tab.message.text().startswith(f"Equipo dado de alta en {backend.url}")
    assert "está dado de alta en" in tab.state.text() and tab.token.text() == ""
    row = (
        dialog.workstation.store.reader()
        .execute("SELECT actor, payload FROM events WHERE kind = 'equipo_enrolado'")
        .fetchone()
    )
    assert row is not None and row[0] == "rosa.mendez" and backend.url in row[1]


def test_an_oficial_is_refused_before_the_token_is_spent(
    settings: Settings, workstation: Workstation, backend: BackendServer
) -> None:
    accounts = Accounts(workstation.store, settings)
    token = backend.enrolment_token(settings.office)
    settings.seat.sit(accounts.actor(accounts.get("luis.perez")))
    with pytest.raises(Forbidden, match="no puede dar de alta este equipo"):
        enroll_at(settings, workstation.store, backend.url, token, datetime.now(UTC))
    assert enrolment.current(workstation.store.reader()) is None
    assert not enrolment.credential_path(settings.data_dir).exists()
    settings.seat.sit(accounts.actor(accounts.get("rosa.mendez")))
    enrolled = enroll_at(settings, workstation.store, backend.url, token, datetime.now(UTC))
    assert enrolled.device_id  # the token was still good: the refusal never sent it
