"""The admin's settings dialog on real widgets (offscreen), and Qt's own Spanish: messages under
the field as the admin types, saving that the app loads next time, the device-code warning that
asks for a second click, dialogs that never block."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest
from PySide6.QtCore import QDate, QLocale
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QLineEdit

from mailroom.clock import FixedClock
from mailroom.config import Settings, load_settings
from mailroom.intake import IntakeService
from mailroom.models import NewFiling, Sender
from mailroom.samples import render_page_image
from mailroom.store import Store
from mailroom.ui.i18n import install_translations, remove_translations
from mailroom.ui.settings_dialog import SettingsDialog
from mailroom.ui.tasks import TaskRunner
from tests.conftest import ZONE
from tests.ui_fixtures import waited_runner


@pytest.fixture
def runner(qapp) -> Iterator[TaskRunner]:  # type: ignore[no-untyped-def]
    with waited_runner() as tasks:
        yield tasks


def opened_dialog(qtbot, runner: TaskRunner, settings: Settings, store: Store | None = None):  # type: ignore[no-untyped-def]
    dialog = SettingsDialog(settings, runner, store=store)
    qtbot.addWidget(dialog)
    dialog.open()  # not exec(): the test goes on while it is shown
    assert dialog.isVisible()
    qtbot.waitUntil(lambda: dialog.current is not None, timeout=10_000)
    return dialog


def test_an_empty_office_is_explained_under_its_field_and_cannot_be_saved(
    qtbot, runner, settings
) -> None:
    dialog = opened_dialog(qtbot, runner, settings)
    assert dialog.save_button.isEnabled()
    assert dialog.example.text() == "Ejemplo: OPM-2026-C01-000001"
    dialog.edits["office"].clear()
    assert dialog.error_text("office") == (
        "El ajuste office debe ser alfanumérico y no vacío (se leyó '')."
    )
    assert dialog.errors["office"].isVisibleTo(dialog)
    assert not dialog.save_button.isEnabled()
    qtbot.keyClicks(dialog.edits["office"], "TXM")
    assert dialog.error_text("office") == "" and dialog.save_button.isEnabled()
    assert dialog.example.text() == "Ejemplo: TXM-2026-C01-000001"
    dialog.edits["folio_pattern"].setText("{office}-{year}")
    assert dialog.error_text("folio_pattern") == "El patrón de folio debe incluir {seq}."
    assert not (settings.data_dir / "config.toml").exists()


def test_a_good_change_is_saved_for_the_next_start(qtbot, runner, settings) -> None:
    dialog = opened_dialog(qtbot, runner, settings)
    assert "se aplican al volver a abrir Oficialía" in dialog.note.text()
    assert str(settings.data_dir / "config.toml") in dialog.note.text()
    languages = [dialog.languages.item(i).text() for i in range(dialog.languages.count())]
    assert "spa" in languages and "osd" not in languages
    dialog.edits["office_name"].setText("Oficialía de Partes de Texmelucan")
    dialog.scanner.setEditText("sane:test:0")
    with qtbot.waitSignal(dialog.settings_saved, timeout=10_000) as saved:
        dialog.save_button.click()
    assert saved.args[0].office_name == "Oficialía de Partes de Texmelucan"
    loaded = load_settings(settings.data_dir)
    assert (loaded.office_name, loaded.scanner) == (
        "Oficialía de Partes de Texmelucan",
        "sane:test:0",
    )
    assert not dialog.isVisible()


def test_a_new_device_code_is_warned_and_saved_on_the_second_click(
    qtbot, runner, settings, store, tmp_path
) -> None:
    scan = tmp_path / "hoja.jpg"
    render_page_image(["Solicitud"], dpi=150).save(scan, "JPEG", dpi=(150, 150))
    today = datetime.now(ZONE).replace(microsecond=0)  # the warning is about this year
    IntakeService(store, settings, clock=FixedClock(today)).register(
        NewFiling(sender=Sender("Ana Ruiz"), subject="Solicitud"), [scan]
    )
    dialog = opened_dialog(qtbot, runner, settings, store)
    dialog.edits["device"].setText("C02")
    dialog.save_button.click()
    qtbot.waitUntil(lambda: dialog.warning.text() != "", timeout=10_000)
    assert dialog.warning.text().startswith(
        f"Este equipo ya registró 1 escrito(s) en {today.year} con la clave C01."
    )
    assert f"el siguiente será OPM-{today.year}-C02-000001" in dialog.warning.text()
    assert dialog.save_button.text() == "Guardar de todos modos"
    assert not (settings.data_dir / "config.toml").exists()  # nothing written yet
    with qtbot.waitSignal(dialog.settings_saved, timeout=10_000):
        dialog.save_button.click()
    assert load_settings(settings.data_dir).device == "C02"


def test_editing_after_a_warning_asks_again(qtbot, runner, settings, store, tmp_path) -> None:
    scan = tmp_path / "hoja.jpg"
    render_page_image(["Queja"], dpi=150).save(scan, "JPEG", dpi=(150, 150))
    IntakeService(store, settings).register(
        NewFiling(sender=Sender("Ana"), subject="Queja"), [scan]
    )
    dialog = opened_dialog(qtbot, runner, settings, store)
    dialog.edits["device"].setText("C02")
    dialog.save_button.click()
    qtbot.waitUntil(lambda: dialog.save_button.text() == "Guardar de todos modos", timeout=10_000)
    dialog.edits["device"].setText("C03")
    assert dialog.save_button.text() == "Guardar" and dialog.warning.text() == ""


@pytest.fixture
def spanish_qt(qapp: QApplication) -> Iterator[QApplication]:
    before = QLocale()
    yield qapp
    remove_translations(qapp)
    QLocale.setDefault(before)


def test_qt_itself_speaks_mexican_spanish(spanish_qt: QApplication) -> None:
    assert install_translations(spanish_qt)
    assert install_translations(spanish_qt) == []  # a second call installs nothing more
    box = QDialogButtonBox(
        QDialogButtonBox.StandardButton.Cancel | QDialogButtonBox.StandardButton.Save
    )
    assert box.button(QDialogButtonBox.StandardButton.Cancel).text() == "Cancelar"
    assert box.button(QDialogButtonBox.StandardButton.Save).text() == "Guardar"
    assert QLocale().name() == "es_MX"
    assert QLocale().toString(QDate(2026, 3, 15), "dd/MM/yyyy") == "15/03/2026"
    assert QLocale().monthName(3) == "marzo"
    edit = QLineEdit()  # the menu is its child: keep it alive
    menu = edit.createStandardContextMenu()
    assert any(action.text().replace("&", "").startswith("Copiar") for action in menu.actions())
