"""The e.firma unlock dialog, the inactivity lock and the sealing indicator, on real widgets
(offscreen), real certificates (the test PKI of ``tests/sat_pki.py`` and SAT's published test
e.firma in ../shared/fixtures/sat) and the real background-task helper."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import pytest

pytest.importorskip("pytestqt", reason="pytest-qt no está instalado")

from mailroom.config import Settings, load_settings  # noqa: E402
from mailroom.efirma_unlock import UnlockedEfirma, open_office_efirma  # noqa: E402
from mailroom.ui.efirma import (  # noqa: E402
    ActivityWatcher,
    EfirmaDialog,
    EfirmaSession,
    SealingIndicator,
)
from mailroom.ui.tasks import TaskRunner  # noqa: E402
from tests.sat_pki import SatPki  # noqa: E402

SAT = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "sat"
INSIDE_SAT_VALIDITY = datetime(2020, 6, 1, tzinfo=UTC)
needs_sat_files = pytest.mark.skipif(
    not SAT.is_dir(), reason="../shared/fixtures/sat (e.firma de pruebas del SAT) no está presente"
)


@pytest.fixture
def pki_settings(tmp_path: Path, sat_pki: SatPki) -> Settings:
    """OCSP and trust pointed at the running test PKI, so revocation is really asked."""
    return load_settings(
        tmp_path / "datos",
        clerk="ventanilla1",
        ocsp_url=sat_pki.ocsp_url,
        tsa_url=sat_pki.tsa_url,
        trust_test_roots=str(sat_pki.trust_dir),  # root and AC, as an office has them
    )


@pytest.fixture
def tasks(qtbot) -> Iterator[TaskRunner]:
    runner = TaskRunner()
    yield runner
    assert runner.wait_all(20_000), "una tarea de la e.firma no terminó"


def make_dialog(qtbot, opener: Callable[..., UnlockedEfirma], tasks: TaskRunner, idle=15.0):
    session = EfirmaSession(idle_minutes=idle)
    dialog = EfirmaDialog(opener, tasks, session)
    indicator = SealingIndicator(session)
    qtbot.addWidget(dialog)
    qtbot.addWidget(indicator)
    dialog.show()
    return dialog, session, indicator


def fill(dialog: EfirmaDialog, cer: Path, key: Path, password: str) -> None:
    dialog.cer_edit.setText(str(cer))
    dialog.key_edit.setText(str(key))
    dialog.password_edit.setText(password)


def press_open_and_wait(qtbot, dialog: EfirmaDialog) -> None:
    """Click "Abrir" and wait until the work comes back (the button is enabled again)."""
    qtbot.mouseClick(dialog.open_button, qtbot_button())
    assert not dialog.open_button.isEnabled()  # the work runs off the GUI thread
    qtbot.waitUntil(dialog.open_button.isEnabled, timeout=20_000)


def qtbot_button():
    from PySide6.QtCore import Qt

    return Qt.MouseButton.LeftButton


def test_password_field_hides_what_is_typed(qtbot, tasks: TaskRunner, settings: Settings) -> None:
    from PySide6.QtWidgets import QLineEdit

    dialog, _, _ = make_dialog(qtbot, partial(open_office_efirma, settings=settings), tasks)
    assert dialog.password_edit.echoMode() is QLineEdit.EchoMode.Password
    assert not dialog.isModal()


def test_success_shows_holder_and_the_indicator_says_sealing(
    qtbot, tasks: TaskRunner, sat_pki: SatPki, pki_settings: Settings
) -> None:
    dialog, session, indicator = make_dialog(
        qtbot, partial(open_office_efirma, settings=pki_settings), tasks
    )
    assert indicator.text() == "e.firma cerrada: los acuses quedan por sellar"
    fill(dialog, sat_pki.cer("fisica"), sat_pki.key("fisica"), sat_pki.password)

    with qtbot.waitSignal(dialog.opened, timeout=20_000) as opened:
        qtbot.mouseClick(dialog.open_button, qtbot_button())

    holder = dialog.holder_label.text()
    assert "Titular: MARÍA GUADALUPE PÉREZ LÓPEZ" in holder
    assert "RFC: PELG800101QX7" in holder
    assert "CURP: PELG800101MDFRPD09" in holder
    expiry = opened.args[0].identity.not_after
    assert f"Vence: {expiry:%Y-%m-%d}" in holder
    assert dialog.status_label.text().startswith("e.firma abierta")
    assert dialog.password_edit.text() == ""  # the password does not stay in the widget
    assert session.is_unlocked and session.signer is not None
    assert indicator.text() == "Sellando acuses"


def test_wrong_password_is_explained_in_the_dialog(
    qtbot, tasks: TaskRunner, sat_pki: SatPki, pki_settings: Settings
) -> None:
    dialog, session, indicator = make_dialog(
        qtbot, partial(open_office_efirma, settings=pki_settings), tasks
    )
    fill(dialog, sat_pki.cer("fisica"), sat_pki.key("fisica"), "no-es-la-contraseña")

    press_open_and_wait(qtbot, dialog)

    assert dialog.status_label.text().startswith(
        "La contraseña de la llave privada (.key) es incorrecta."
    )
    assert dialog.holder_label.text() == ""
    assert dialog.isVisible()  # no traceback window, no modal: the dialog is still there
    assert not session.is_unlocked and session.signer is None
    assert indicator.text() == "e.firma cerrada: los acuses quedan por sellar"


@pytest.mark.parametrize(
    ("cer_label", "key_label", "expected"),
    [
        ("csd", "csd", "El certificado es un sello digital (CSD, «SUCURSAL CENTRO»)"),
        ("vencida", "vencida", "El certificado venció el "),
        ("fisica", "moral", "La llave privada (.key) no corresponde a este certificado (.cer)."),
        ("revocada", "revocada", "La e.firma de ROBERTO CARLOS DÍAZ MENDOZA (DIMR750312T45) está"),
    ],
    ids=["csd", "vencida", "llave-de-otro", "revocada-por-ocsp"],
)
def test_refusals_show_the_signing_layer_message(
    qtbot,
    tasks: TaskRunner,
    sat_pki: SatPki,
    pki_settings: Settings,
    cer_label: str,
    key_label: str,
    expected: str,
) -> None:
    dialog, session, _ = make_dialog(
        qtbot, partial(open_office_efirma, settings=pki_settings), tasks
    )
    fill(dialog, sat_pki.cer(cer_label), sat_pki.key(key_label), sat_pki.password)

    press_open_and_wait(qtbot, dialog)

    assert dialog.status_label.text().startswith(expected)
    assert not session.is_unlocked


def test_missing_fields_are_named_without_starting_work(
    qtbot, tasks: TaskRunner, settings: Settings, tmp_path: Path
) -> None:
    dialog, _, _ = make_dialog(qtbot, partial(open_office_efirma, settings=settings), tasks)
    qtbot.mouseClick(dialog.open_button, qtbot_button())
    assert dialog.status_label.text() == "Elija el certificado (.cer) de la e.firma."
    dialog.cer_edit.setText(str(tmp_path / "a.cer"))
    dialog.key_edit.setText(str(tmp_path / "a.key"))
    qtbot.mouseClick(dialog.open_button, qtbot_button())
    assert dialog.status_label.text() == "Escriba la contraseña de la llave privada."
    assert tasks.active == 0 and dialog.open_button.isEnabled()

    dialog.password_edit.setText("x")
    press_open_and_wait(qtbot, dialog)
    assert dialog.status_label.text().startswith("No se encontró el archivo del certificado")


@needs_sat_files
@pytest.mark.parametrize(
    ("folder", "expected"),
    [
        ("FIEL_AAA010101AAA", None),
        ("CSD01_AAA010101AAA", "El certificado es un sello digital (CSD, «CSD01_AAA010101AAA»)"),
    ],
    ids=["fiel", "csd"],
)
def test_real_sat_test_files(
    qtbot, tasks: TaskRunner, settings: Settings, folder: str, expected: str | None
) -> None:
    # SAT's published test certificates expired years ago: open them as of a day inside their
    # validity, the only way to exercise real SAT files (Latin-1 names, SAT's .key container).
    opener = partial(open_office_efirma, settings=settings, clock=lambda: INSIDE_SAT_VALIDITY)
    dialog, session, indicator = make_dialog(qtbot, opener, tasks)
    files = SAT / folder
    password = (files / "password.txt").read_text().strip()
    fill(dialog, files / "certificate.cer", files / "private_key.key", password)

    press_open_and_wait(qtbot, dialog)

    if expected is None:
        assert "RFC: AAA010101AAA" in dialog.holder_label.text()
        assert indicator.text() == "Sellando acuses"
    else:
        assert dialog.status_label.text().startswith(expected)
        assert not session.is_unlocked


def test_inactivity_locks_and_activity_keeps_it_open(
    qtbot, tasks: TaskRunner, sat_pki: SatPki, pki_settings: Settings
) -> None:
    idle_minutes = 0.4 / 60  # 400 ms
    dialog, session, indicator = make_dialog(
        qtbot, partial(open_office_efirma, settings=pki_settings), tasks, idle=idle_minutes
    )
    fill(dialog, sat_pki.cer("fisica"), sat_pki.key("fisica"), sat_pki.password)
    with qtbot.waitSignal(dialog.opened, timeout=20_000):
        qtbot.mouseClick(dialog.open_button, qtbot_button())

    # Activity every 150 ms for ~0.75 s: longer than the timeout, yet the e.firma stays open.
    for _ in range(5):
        qtbot.wait(150)
        session.note_activity()
        assert session.is_unlocked

    with qtbot.waitSignal(session.locked, timeout=3_000) as locked:
        pass
    assert locked.args[0] == "e.firma cerrada tras 0.4 s sin actividad."
    assert session.signer is None and session.identity is None
    assert indicator.text() == "e.firma cerrada: los acuses quedan por sellar"
    session.note_activity()  # activity after the lock does not bring the e.firma back
    assert not session.is_unlocked


def test_key_presses_anywhere_in_the_app_count_as_activity(
    qtbot, tasks: TaskRunner, sat_pki: SatPki, pki_settings: Settings
) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication, QLineEdit

    dialog, session, _ = make_dialog(
        qtbot, partial(open_office_efirma, settings=pki_settings), tasks, idle=0.4 / 60
    )
    elsewhere = QLineEdit()  # another window of the app, say the registration form
    qtbot.addWidget(elsewhere)
    elsewhere.show()
    watcher = ActivityWatcher(session)
    QApplication.instance().installEventFilter(watcher)
    try:
        fill(dialog, sat_pki.cer("fisica"), sat_pki.key("fisica"), sat_pki.password)
        with qtbot.waitSignal(dialog.opened, timeout=20_000):
            qtbot.mouseClick(dialog.open_button, qtbot_button())
        for _ in range(5):  # typing for ~0.75 s, longer than the 0.4 s timeout
            qtbot.wait(150)
            qtbot.keyClick(elsewhere, Qt.Key.Key_A)
            assert session.is_unlocked
        assert elsewhere.text() == "aaaaa"  # the watcher does not swallow what is typed
        with qtbot.waitSignal(session.locked, timeout=3_000):
            pass  # no more typing: it locks
    finally:
        QApplication.instance().removeEventFilter(watcher)
