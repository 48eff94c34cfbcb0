"""The kiosk's shell, offscreen with real widgets: lockdown, "Fuera de servicio" on a damaged data
folder, the admin screen behind the corner press and the PIN (lockout across a restart, its own
idle timeout), the command line without a display and ``oficialia kiosk pin``."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("pytestqt", reason="pytest-qt no está instalado")

from PySide6.QtCore import QEvent, QPoint, Qt  # noqa: E402
from PySide6.QtGui import QContextMenuEvent, QKeyEvent  # noqa: E402
from PySide6.QtWidgets import QApplication, QLineEdit, QPushButton, QWidget  # noqa: E402

from kiosk import app as kiosk_app  # noqa: E402
from kiosk.admin_pin import AdminPin  # noqa: E402
from kiosk.admin_screen import AdminScreen  # noqa: E402
from kiosk.lockdown import Lockdown  # noqa: E402
from mailroom.cli.kiosk import NO_DISPLAY_EXIT  # noqa: E402
from mailroom.config import load_settings  # noqa: E402
from mailroom.entry import main  # noqa: E402
from mailroom.ui.tasks import TaskRunner  # noqa: E402

PIN = "582946"


def press(widget: QWidget, key: Qt.Key, modifiers: Qt.KeyboardModifier) -> None:
    QApplication.sendEvent(widget, QKeyEvent(QEvent.Type.KeyPress, key, modifiers))


def tap(qtbot, screen: QWidget, text: str) -> None:  # type: ignore[no-untyped-def]
    [button] = [b for b in screen.findChildren(QPushButton) if b.text() == text and b.isVisible()]
    assert button.isEnabled(), text
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def type_pin(qtbot, screen: AdminScreen, pin: str) -> None:  # type: ignore[no-untyped-def]
    for digit in pin:
        tap(qtbot, screen, digit)


# ---- lockdown ------------------------------------------------------------------------------


def test_the_citizen_cannot_close_or_leave_the_kiosk(qtbot, qapp) -> None:  # type: ignore[no-untyped-def]
    window = QWidget()
    qtbot.addWidget(window)
    field = QLineEdit(window)
    lockdown = Lockdown(qapp, window)
    window.show()
    qtbot.waitExposed(window)
    try:
        for key, modifiers in (
            (Qt.Key.Key_F4, Qt.KeyboardModifier.AltModifier),
            (Qt.Key.Key_Escape, Qt.KeyboardModifier.NoModifier),
            (Qt.Key.Key_Q, Qt.KeyboardModifier.ControlModifier),
            (Qt.Key.Key_W, Qt.KeyboardModifier.ControlModifier),
        ):
            press(field, key, modifiers)
        assert window.close() is False  # a close event, as a window manager sends for Alt+F4
        QApplication.sendEvent(
            field, QContextMenuEvent(QContextMenuEvent.Reason.Mouse, QPoint(1, 1), QPoint(1, 1))
        )
        assert window.isVisible()
        assert {"Alt+F4", "Escape", "Ctrl+Q", "Ctrl+W"} <= set(lockdown.refused)
        assert "Close" in lockdown.refused and "ContextMenu" in lockdown.refused
        assert window.windowFlags() & Qt.WindowType.FramelessWindowHint
        assert not window.acceptDrops()
        # Ordinary typing still works.
        qtbot.keyClicks(field, "Ana 12")
        assert field.text() == "Ana 12"
    finally:
        lockdown.release()
    assert window.close() is True  # only the admin's exit lets it close


# ---- the admin screen ---------------------------------------------------------------------


def admin_screen(qtbot, data_dir: Path, idle_seconds: int = 60) -> AdminScreen:  # type: ignore[no-untyped-def]
    screen = AdminScreen(AdminPin(data_dir), TaskRunner(), None, idle_seconds=idle_seconds)
    qtbot.addWidget(screen)
    screen.resize(1920, 1080)
    screen.show()
    screen.open_screen()
    return screen


def test_the_right_pin_opens_the_panel(qtbot, data_dir: Path) -> None:  # type: ignore[no-untyped-def]
    AdminPin(data_dir).set(PIN)
    screen = admin_screen(qtbot, data_dir)
    type_pin(qtbot, screen, PIN)
    qtbot.waitUntil(lambda: screen.pages.currentIndex() == 1)
    assert screen.exit_button.isVisible()
    with qtbot.waitSignal(screen.exit_requested):
        tap(qtbot, screen, "Salir al escritorio")


def test_no_pin_set_says_how_to_set_one(qtbot, data_dir: Path) -> None:  # type: ignore[no-untyped-def]
    screen = admin_screen(qtbot, data_dir)
    type_pin(qtbot, screen, PIN)
    assert "oficialia kiosk pin" in screen.pin_message.text()
    assert screen.pages.currentIndex() == 0


def test_five_wrong_pins_lock_it_even_across_a_restart(qtbot, data_dir: Path) -> None:  # type: ignore[no-untyped-def]
    AdminPin(data_dir).set(PIN)
    screen = admin_screen(qtbot, data_dir)
    for attempt in range(5):
        type_pin(qtbot, screen, "975310")
        qtbot.waitUntil(lambda: screen.pin_message.text() != "")
        if attempt < 4:
            screen.pin_message.setText("")
    assert "bloque" in screen.pin_message.text().lower()
    screen.close()
    # A new screen, as after the kiosk restarts: the right PIN is refused while locked.
    again = admin_screen(qtbot, data_dir)
    assert "bloque" in again.pin_message.text().lower()
    type_pin(qtbot, again, PIN)
    qtbot.waitUntil(lambda: "bloque" in again.pin_message.text().lower())
    assert again.pages.currentIndex() == 0


def test_the_admin_screen_closes_itself_when_left_alone(qtbot, data_dir: Path) -> None:  # type: ignore[no-untyped-def]
    AdminPin(data_dir).set(PIN)
    screen = admin_screen(qtbot, data_dir, idle_seconds=1)
    type_pin(qtbot, screen, PIN)
    qtbot.waitUntil(lambda: screen.pages.currentIndex() == 1)
    with qtbot.waitSignal(screen.closed, timeout=3000):
        pass
    assert screen.pages.currentIndex() == 0  # the panel is not left behind for the next person


# ---- the corner press ----------------------------------------------------------------------


def test_a_held_corner_opens_admin_and_a_tap_does_not(qtbot, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(kiosk_app, "ADMIN_PRESS_MS", 400)
    window = QWidget()
    qtbot.addWidget(window)
    window.resize(800, 600)
    window.show()
    qtbot.waitExposed(window)
    corner = kiosk_app.CornerPress(window)
    held: list[bool] = []
    corner.held.connect(lambda: held.append(True))
    try:
        qtbot.mousePress(window, Qt.MouseButton.LeftButton, pos=QPoint(10, 10))
        qtbot.mouseRelease(window, Qt.MouseButton.LeftButton, pos=QPoint(10, 10))
        qtbot.wait(600)
        assert held == []
        qtbot.mousePress(window, Qt.MouseButton.LeftButton, pos=QPoint(400, 300))
        qtbot.wait(600)
        assert held == []  # held, but not on the corner
        qtbot.mouseRelease(window, Qt.MouseButton.LeftButton, pos=QPoint(400, 300))
        with qtbot.waitSignal(corner.held, timeout=2000):
            qtbot.mousePress(window, Qt.MouseButton.LeftButton, pos=QPoint(10, 10))
        qtbot.mouseRelease(window, Qt.MouseButton.LeftButton, pos=QPoint(10, 10))
    finally:
        corner.remove()


# ---- out of service -----------------------------------------------------------------------


def test_a_damaged_data_folder_shows_out_of_service_never_a_traceback(
    qtbot, data_dir: Path
) -> None:  # type: ignore[no-untyped-def]
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "oficialia.sqlite3").write_bytes(b"esto no es una base de datos" * 100)
    settings = load_settings(data_dir)
    running = kiosk_app.open_kiosk(settings, kiosk_app.StartOptions(full_screen=False))
    try:
        notice = running.shell.out_of_service
        qtbot.waitUntil(lambda: running.shell.stack.currentWidget() is notice, timeout=20_000)
        assert notice.title.text() == "Fuera de servicio"
        assert running.shell.parts is None
        assert "ventanilla" in notice.citizen.text()
        assert notice.staff.text().startswith("Para el personal: ")
        assert "Traceback" not in notice.staff.text()
        assert "backups" in notice.staff.text()  # what staff must do
        assert "segundos" in notice.countdown.text()
        assert running.shell.isVisible()
    finally:
        running.close()


# ---- the command line ----------------------------------------------------------------------


def test_without_a_display_the_kiosk_says_so(monkeypatch, capsys, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(name, raising=False)
    assert main(["--data-dir", str(tmp_path), "kiosk"]) == NO_DISPLAY_EXIT
    assert "No hay pantalla" in capsys.readouterr().err


def test_the_pin_command(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    pin_file = tmp_path / "pin.txt"
    pin_file.write_text("123456\n", encoding="utf-8")
    assert (
        main(["--data-dir", str(tmp_path / "datos"), "kiosk", "pin", "--pin-file", str(pin_file)])
        != 0
    )
    assert "PIN" in capsys.readouterr().err
    pin_file.write_text(PIN + "\n", encoding="utf-8")
    assert (
        main(["--data-dir", str(tmp_path / "datos"), "kiosk", "pin", "--pin-file", str(pin_file)])
        == 0
    )
    assert AdminPin(tmp_path / "datos").check(PIN).ok
    stored = b"".join(p.read_bytes() for p in (tmp_path / "datos").rglob("*.json"))
    assert PIN.encode() not in stored


# ---- starting for real ---------------------------------------------------------------------


@pytest.fixture
def sane_test(tmp_path_factory: pytest.TempPathFactory) -> None:
    from tests.sane_env import use_sane_test_backend

    use_sane_test_backend(tmp_path_factory)


def test_the_kiosk_starts_to_its_welcome_screen_without_a_camera(
    qtbot, data_dir: Path, sane_test
) -> None:  # type: ignore[no-untyped-def]
    settings = load_settings(data_dir, device="K03", scanner="sane:test:0")
    running = kiosk_app.open_kiosk(settings, kiosk_app.StartOptions(full_screen=False))
    try:
        qtbot.waitUntil(lambda: running.parts is not None, timeout=30_000)
        parts = running.parts
        assert parts is not None
        assert parts.window.isVisible()
        assert parts.desk.settings.clerk == "Quiosco K03"
        # No camera on this machine: «Tomar foto» is not offered to anyone.
        assert parts.window.flow.camera_present is False
        assert not parts.window.flow.camera_allowed()
        qtbot.wait(500)  # the first checks run: a scanner is there, so it stays in service
        assert running.shell.stack.currentWidget() is parts.window
    finally:
        running.close()


def test_no_scanner_and_no_camera_is_out_of_service(qtbot, data_dir: Path, sane_test) -> None:  # type: ignore[no-untyped-def]
    settings = load_settings(data_dir, scanner="sane:no-existe:7")
    running = kiosk_app.open_kiosk(settings, kiosk_app.StartOptions(full_screen=False))
    try:
        notice = running.shell.out_of_service
        qtbot.waitUntil(lambda: running.shell.stack.currentWidget() is notice, timeout=30_000)
        assert notice.title.text() == "Fuera de servicio"
        assert "no-existe:7" in notice.staff.text()
        assert running.shell.parts is None
    finally:
        running.close()


def test_the_full_acuse_goes_to_the_system_printer(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import pypdfium2

    from kiosk.system_printer import SystemPrinter
    from mailroom.samples import generate_samples

    pdf = next(p for p in (Path(__file__).parents[1] / "resources" / "samples").glob("*.pdf"))
    generate_samples()
    target = tmp_path / "impreso.pdf"
    printer = SystemPrinter(TaskRunner(), "", output_file=str(target))
    with qtbot.waitSignal(printer.printed, timeout=30_000):
        assert printer.print_pdf(pdf.read_bytes())
    assert len(pypdfium2.PdfDocument(target)) == len(pypdfium2.PdfDocument(pdf))


def test_a_system_printer_that_does_not_exist_is_said(qtbot) -> None:  # type: ignore[no-untyped-def]
    from kiosk.system_printer import SystemPrinter

    printer = SystemPrinter(TaskRunner(), "Impresora-Inexistente")
    with qtbot.waitSignal(printer.failed) as failed:
        assert not printer.print_pdf(b"%PDF-1.4")
    assert "Impresora-Inexistente" in failed.args[0]


def test_the_welcome_shows_at_once_and_an_early_tap_is_carried_out(
    qtbot, data_dir: Path, sane_test
) -> None:  # type: ignore[no-untyped-def]
    settings = load_settings(data_dir, scanner="sane:test:0", office_name="Oficialía de Ñuñoa")
    running = kiosk_app.open_kiosk(settings, kiosk_app.StartOptions(full_screen=False))
    try:
        first = running.shell.first_welcome
        assert running.shell.stack.currentWidget() is first  # before any service is open
        assert running.parts is None
        qtbot.mouseClick(first.file_button, Qt.MouseButton.LeftButton)
        assert first.prompt.text() == "Un momento, por favor…"
        qtbot.waitUntil(lambda: running.parts is not None, timeout=30_000)
        parts = running.parts
        assert parts is not None
        from kiosk.session import Screen

        assert parts.session.screen is Screen.PRIVACY  # where the citizen asked to go
        assert first.choice == ""
    finally:
        running.close()
