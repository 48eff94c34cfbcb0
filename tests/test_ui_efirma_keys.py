"""The e.firma dialog inside the clerk's real window (offscreen), driven by the keyboard as a
clerk does: password, Enter; the dialog goes away and the next Ctrl+O adds a file to the capture
— not the dialog's "Elegir…". The test PKI of ``tests/sat_pki.py`` answers OCSP on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("pytestqt", reason="pytest-qt no está instalado")

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtWidgets import QApplication, QFileDialog, QWidget  # noqa: E402

from mailroom.config import Settings, load_settings  # noqa: E402
from mailroom.permissions import Actor  # noqa: E402
from mailroom.store import Store  # noqa: E402
from mailroom.ui.app import RunningApp, build_app  # noqa: E402
from tests.accounts_helpers import administrator  # noqa: E402
from tests.sat_pki import SatPki  # noqa: E402

OPEN_TIMEOUT = 20_000


@pytest.fixture
def pki_settings(tmp_path: Path, sat_pki: SatPki) -> Settings:
    return load_settings(
        tmp_path / "datos",
        clerk="ventanilla1",
        ocsp_url=sat_pki.ocsp_url,
        tsa_url=sat_pki.tsa_url,
        trust_test_roots=str(sat_pki.trust_dir),
    )


@pytest.fixture
def running(qtbot, pki_settings: Settings) -> Iterator[RunningApp]:  # type: ignore[no-untyped-def]
    app = build_app(pki_settings, start_background=False, actor=signed_in(pki_settings))
    app.window.resize(1366, 768)
    app.window.show()
    qtbot.waitExposed(app.window)
    yield app
    for dialog in visible_file_dialogs():
        dialog.close()
    app.close()


def signed_in(settings: Settings) -> Actor | None:
    """The office's administrator (who may open the office e.firma), signed in from the start."""
    with Store(settings.data_dir) as store:
        return administrator(store, settings).seat.actor


def visible_file_dialogs() -> list[QFileDialog]:
    return [
        w for w in QApplication.topLevelWidgets() if isinstance(w, QFileDialog) and w.isVisible()
    ]


def type_password_and_enter(qtbot, running: RunningApp, sat_pki: SatPki, password: str) -> None:  # type: ignore[no-untyped-def]
    window = running.window
    dialog = window.efirma_dialog()
    dialog.cer_edit.setText(str(sat_pki.cer("fisica")))
    dialog.key_edit.setText(str(sat_pki.key("fisica")))
    window.open_efirma_dialog()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog)
    qtbot.keyClicks(dialog.password_edit, password)
    qtbot.keyClick(dialog.password_edit, Qt.Key.Key_Return)


def press_ctrl_o(qtbot) -> None:  # type: ignore[no-untyped-def]
    """Ctrl+O where the keyboard is: the focused widget of the active window."""
    target: QWidget | None = QApplication.focusWidget() or QApplication.activeWindow()
    assert target is not None, "ninguna ventana de la aplicación tiene el teclado"
    qtbot.keyClick(target, Qt.Key.Key_O, Qt.KeyboardModifier.ControlModifier)


def test_enter_opens_the_efirma_the_dialog_goes_and_ctrl_o_adds_a_file(
    qtbot, running: RunningApp, sat_pki: SatPki
) -> None:  # type: ignore[no-untyped-def]
    window, dialog = running.window, running.window.efirma_dialog()
    with qtbot.waitSignal(running.session.unlocked, timeout=OPEN_TIMEOUT):
        type_password_and_enter(qtbot, running, sat_pki, sat_pki.password)

    qtbot.waitUntil(lambda: not dialog.isVisible())
    assert visible_file_dialogs() == []  # Enter did not open the .cer chooser as well
    assert window.sealing_indicator.text() == "Sellando acuses"
    assert (
        window.statusBar()
        .currentMessage()
        .startswith("e.firma abierta: MARÍA GUADALUPE PÉREZ LÓPEZ (PELG800101QX7)")
    )
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)

    press_ctrl_o(qtbot)

    qtbot.waitUntil(lambda: len(visible_file_dialogs()) == 1)
    chooser = visible_file_dialogs()[0]
    assert chooser is window.intake.capture._file_dialog
    assert chooser.windowTitle() == "Agregar archivo"
    assert window.tabs.currentWidget() is window.intake


def test_a_refused_password_keeps_the_dialog_and_ctrl_o_still_reaches_the_capture(
    qtbot, running: RunningApp, sat_pki: SatPki
) -> None:  # type: ignore[no-untyped-def]
    window, dialog = running.window, running.window.efirma_dialog()
    type_password_and_enter(qtbot, running, sat_pki, "no-es-la-clave")
    qtbot.waitUntil(
        lambda: dialog.status_label.text().startswith("La contraseña"), timeout=OPEN_TIMEOUT
    )
    assert dialog.isVisible() and not running.session.is_unlocked
    assert QApplication.activeWindow() is dialog
    assert visible_file_dialogs() == []

    press_ctrl_o(qtbot)  # the clerk gives up for now and goes on with the filing

    qtbot.waitUntil(lambda: len(visible_file_dialogs()) == 1)
    assert visible_file_dialogs()[0] is window.intake.capture._file_dialog


def test_ctrl_o_on_the_acuse_of_the_last_filing_starts_the_next_one_with_a_file(
    qtbot, running: RunningApp
) -> None:  # type: ignore[no-untyped-def]
    window = running.window
    window.intake.pages.setCurrentIndex(1)  # the acuse of the filing just registered
    window.tabs.setCurrentWidget(window.inbox)
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)

    press_ctrl_o(qtbot)

    qtbot.waitUntil(lambda: len(visible_file_dialogs()) == 1)
    assert window.tabs.currentWidget() is window.intake
    assert window.intake.pages.currentIndex() == 0  # the capture, ready for the next filing


def test_opened_again_after_a_lock_the_dialog_says_why_not_who_had_it(
    qtbot, running: RunningApp, sat_pki: SatPki
) -> None:  # type: ignore[no-untyped-def]
    window, dialog = running.window, running.window.efirma_dialog()
    dialog.set_note("Contraseña de la demostración: abc")
    with qtbot.waitSignal(running.session.unlocked, timeout=OPEN_TIMEOUT):
        type_password_and_enter(qtbot, running, sat_pki, sat_pki.password)
    qtbot.waitUntil(lambda: not dialog.isVisible())

    running.session.lock()
    window.open_efirma_dialog()

    assert dialog.isVisible()
    assert dialog.status_label.text() == (
        "e.firma cerrada por el usuario.\nContraseña de la demostración: abc"
    )
    assert dialog.holder_label.text() == ""
    assert window.sealing_indicator.text() == "e.firma cerrada: los acuses quedan por sellar"


def test_warnings_of_an_opened_efirma_stay_in_sight_after_the_dialog_goes(
    qtbot, tmp_path: Path, sat_pki: SatPki
) -> None:  # type: ignore[no-untyped-def]
    # No test roots trusted: the e.firma opens, with a warning that its authority is unknown.
    untrusted = load_settings(tmp_path / "otra", clerk="ventanilla1", ocsp_url="")
    running = build_app(untrusted, start_background=False, actor=signed_in(untrusted))
    try:
        running.window.show()
        qtbot.waitExposed(running.window)
        with qtbot.waitSignal(running.session.unlocked, timeout=OPEN_TIMEOUT):
            type_password_and_enter(qtbot, running, sat_pki, sat_pki.password)
        qtbot.waitUntil(lambda: not running.window.efirma_dialog().isVisible())
        warning = "Aviso: La autoridad que emitió esta e.firma"
        assert warning in running.window.statusBar().currentMessage()
        indicator = running.window.sealing_indicator
        assert indicator.text() == "Sellando acuses"
        assert warning in indicator.toolTip()
    finally:
        running.close()
