"""``make screenshots``: the clerk's main screens rendered to PNG at 1366×768.

    python -m mailroom.ui.screenshots OUT_DIR [--only intake]

Builds the real app on a fresh demo profile in a temporary folder (the demo e.firma, the
reference backend on 127.0.0.1), drives it as a clerk would — sign in as the demo's
administrator (choosing a PIN on the way), add the sample scan, type an
invalid CURP, register, search, synchronise with the server down — and saves ``window.grab()``
of each screen. Every waiting is on the app's own state (thumbnails shown, page rendered, OCR
done), polled through the event loop with a time limit; nothing sleeps.

Each shot also lists the labels and buttons whose text does not fit their width (``cut_texts``,
in ``mailroom.ui.screen_check`` with the waiting and typing helpers the kiosk's script shares):
the script fails when any text is cut, so a layout regression cannot slip into the README.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLabel

from mailroom.config import load_settings
from mailroom.demo_profile import DEMO_ACCOUNTS, DemoBackend, DemoProfile, prepare_demo_profile
from mailroom.errors import OficialiaError
from mailroom.ui.app import RunningApp, build_app
from mailroom.ui.screen_check import (  # the names stay importable from here too
    ScreenshotError,
    cut_texts,
    leave,
    settle,
    type_into,
    wait_until,
)

WIDTH, HEIGHT = 1366, 768
SAMPLES = Path(__file__).resolve().parents[2] / "resources" / "samples"
INVALID_CURP = "HEGT761003MDFRNN08"  # check digit off by one
DEMO_PIN = "2580"
SCREENS = ("recepcion", "formulario", "acuse", "bandeja", "sincronizacion", "escrito", "libro")


class Shooter:
    """Drives one running app through the screens and saves them."""

    def __init__(self, running: RunningApp, profile: DemoProfile, out_dir: Path) -> None:
        self.running = running
        self.window = running.window
        self.profile = profile
        self.out_dir = out_dir
        self.saved: list[Path] = []
        self.cut: dict[str, list[str]] = {}

    def shot(self, name: str) -> Path:
        settle()
        self.window.repaint()
        path = self.out_dir / f"{name}.png"
        image = self.window.grab()
        if not image.save(str(path), "PNG"):
            raise ScreenshotError(f"No se pudo escribir {path}.")
        self.saved.append(path)
        problems = cut_texts(self.window)
        if problems:
            self.cut[name] = problems
        return path

    # -- the screens -----------------------------------------------------------------------

    def intake(self) -> None:
        window, intake = self.window, self.window.intake
        window.tabs.setCurrentWidget(intake)
        intake.capture.add_files([str(SAMPLES / "escrito-10-fojas.pdf")])
        wait_until(
            lambda: intake.capture.page_count() == 10 and not intake.capture.is_busy(),
            "las 10 páginas del escrito de muestra",
        )
        self.shot("recepcion")

    def form_with_problem(self) -> None:
        form = self.window.intake.form
        type_into(form.sender_name, "Juana Hernández Gutiérrez")
        type_into(form.subject, "Solicitud de licencia de construcción")
        type_into(form.addressees.area, "Dirección de Obras Públicas")
        QTest.keyClick(form.addressees.area, Qt.Key.Key_Return)
        form.fojas.setFocus(Qt.FocusReason.TabFocusReason)
        QTest.keyClicks(form.fojas, "10")
        type_into(form.sender_curp, INVALID_CURP)
        leave(form.sender_curp)
        label = form.findChild(QLabel, "problema_sender_curp")
        wait_until(lambda: label is not None and label.isVisible(), "el aviso de la CURP")
        self.shot("formulario")

    def acuse(self) -> None:
        intake = self.window.intake
        intake.form.sender_curp.clear()
        leave(intake.form.sender_curp)
        self._register()
        wait_until(lambda: intake.acuse.view.page_image(0) is not None, "el acuse en pantalla")
        self.shot("acuse")

    def _register(self) -> None:
        intake, done = self.window.intake, list[object]()
        intake.filing_registered.connect(done.append)
        intake.registration_failed.connect(done.append)
        intake.register()
        wait_until(lambda: done, "el registro del escrito", 60)
        intake.filing_registered.disconnect(done.append)
        intake.registration_failed.disconnect(done.append)
        if isinstance(done[0], str):
            raise ScreenshotError(f"No se registró el escrito: {done[0]}")

    def register_sample(self, sample: str, subject: str) -> None:
        intake = self.window.intake
        self.window.new_filing()
        intake.capture.add_files([str(SAMPLES / sample)])
        wait_until(
            lambda: intake.capture.page_count() > 0 and not intake.capture.is_busy(),
            f"la muestra {sample}",
        )
        form = intake.form
        type_into(form.sender_name, "María Cárdenas Ordóñez")
        type_into(form.subject, subject)
        type_into(form.addressees.area, "Secretaría del Ayuntamiento")
        QTest.keyClick(form.addressees.area, Qt.Key.Key_Return)
        form.fojas.setValue(intake.capture.page_count())
        self._register()

    def inbox(self) -> None:
        self.sync_now()
        workstation = self.running.workstation
        wait_until(lambda: workstation.status().ocr.pages_pending == 0, "el OCR", 180)
        window = self.window
        window.refresh_status()  # the status bar's OCR line, without its 2 s poll
        window.focus_search()
        type_into(window.inbox.search, "constancia")
        model = window.inbox.model
        wait_until(
            lambda: window.inbox.message.text().endswith("mostradas") and model.rowCount() > 0,
            "los resultados de la búsqueda",
        )
        settle(20)
        self.shot("bandeja")

    def sync_now(self) -> None:
        panel, done = self.window.sync_panel, list[object]()
        panel.sync_finished.connect(done.append)
        panel.sync_now()
        wait_until(lambda: done, "la sincronización", 60)
        panel.sync_finished.disconnect(done.append)
        reports: list[object] = []
        panel.refreshed.connect(reports.append)
        panel.refresh()
        wait_until(lambda: reports, "el estado de la sincronización")
        panel.refreshed.disconnect(reports.append)

    def sync_failing(self, backend: DemoBackend) -> None:
        backend.stop()  # the office's server goes down: the new filing cannot be sent
        self.register_sample("anexos.tif", "Entrega de anexos del expediente 12/2026")
        self.sync_now()
        panel = self.window.sync_panel
        wait_until(lambda: panel.retry_buttons, "un escrito con problema de envío")
        self.window.tabs.setCurrentWidget(self.window.inbox)
        self.window.inbox.search.clear()
        self.window.inbox.apply()
        settle(20)
        self.shot("sincronizacion")

    def detail(self) -> None:
        window = self.window
        outcome = window.intake.outcome
        assert outcome is not None
        loaded: list[object] = []
        window.detail.loaded.connect(loaded.append)
        window.open_filing(outcome.registration.filing.folio)
        wait_until(lambda: loaded, "el escrito")
        window.detail.loaded.disconnect(loaded.append)
        pages = window.detail.pages
        wait_until(lambda: pages.page_image(0) is not None, "la primera página del escrito")
        settle(40)
        self.shot("escrito")

    def libro(self) -> None:
        window, loaded = self.window, list[object]()
        window.libro.loaded.connect(loaded.append)
        window.tabs.setCurrentWidget(window.libro)
        window.libro.reload()
        wait_until(lambda: loaded, "el libro de registro")
        window.libro.loaded.disconnect(loaded.append)
        self.shot("libro")

    def unlock_efirma(self) -> None:
        window, session = self.window, self.running.session
        window.prefill_efirma(self.profile.efirma_cer, self.profile.efirma_key)
        window.open_efirma_dialog()
        dialog = window.efirma_dialog()
        dialog.password_edit.setText(self.profile.efirma_password)
        dialog.open_button.click()
        wait_until(lambda: session.signer is not None, "la e.firma de demostración", 30)
        # Opened, the dialog closes itself and gives the keyboard back to the main window.
        wait_until(lambda: not dialog.isVisible(), "el diálogo de la e.firma cerrado", 5)
        wait_until(window.isActiveWindow, "la ventana activa", 5)


def open_app(profile: DemoProfile, backend_url: str | None) -> RunningApp:
    running = build_app(load_settings(profile.data_dir), backend_url=backend_url)
    running.window.resize(WIDTH, HEIGHT)
    running.window.show()
    running.window.activateWindow()
    wait_until(running.window.isVisible, "la ventana")
    sign_in(running)
    settle()
    return running


def sign_in(running: RunningApp) -> None:
    """The demo's administrator through the sign-in screen, as ``make run`` starts."""
    screen, admin = running.window.cover.sign_in, DEMO_ACCOUNTS[0]
    type_into(screen.user_edit, admin.user_name)
    type_into(screen.password_edit, admin.password)
    screen.submit()
    wait_until(lambda: running.shift.working or screen.currentWidget() is screen.pin, "la sesión")
    if not running.shift.working:
        type_into(screen.pin_edit, DEMO_PIN)
        type_into(screen.pin_repeat, DEMO_PIN)
        screen.save_pin()
        wait_until(lambda: running.shift.working, "el PIN elegido")


def shoot(out_dir: Path, work_dir: Path, only: Sequence[str] = SCREENS) -> Shooter:
    """Render ``only`` (names from ``SCREENS``, in that order) into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    profile = prepare_demo_profile(work_dir / "demo")
    needs_server = any(name in only for name in SCREENS[2:])
    backend = DemoBackend(profile)
    if needs_server:
        backend.start()
    running = open_app(profile, backend.url)
    shooter = Shooter(running, profile, out_dir)
    try:
        _drive(shooter, backend, only)
    finally:
        if running.window.intake.has_unsaved_work():
            running.window.intake.capture.clear()  # else closing asks whether to discard it
        running.close()
        backend.stop()
    return shooter


def _drive(shooter: Shooter, backend: DemoBackend, only: Sequence[str]) -> None:
    last = max(SCREENS.index(name) for name in only)
    if last >= SCREENS.index("acuse"):
        shooter.unlock_efirma()
    steps: list[Callable[[], None]] = [shooter.intake, shooter.form_with_problem, shooter.acuse]
    for index, step in enumerate(steps):
        if index <= last:
            step()
    if last >= SCREENS.index("bandeja"):
        shooter.register_sample("solicitud.jpg", "Solicitud de constancia de residencia")
        shooter.register_sample("comprobante.png", "Comprobante de pago de derechos")
        shooter.inbox()
    if last >= SCREENS.index("sincronizacion"):
        shooter.sync_failing(backend)
    if last >= SCREENS.index("escrito"):
        shooter.detail()
    if last >= SCREENS.index("libro"):
        shooter.libro()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Capturas de pantalla de la aplicación")
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--only", action="append", choices=SCREENS)
    args = parser.parse_args(argv)
    QApplication.setAttribute(Qt.ApplicationAttribute.AA_DontUseNativeDialogs)
    with tempfile.TemporaryDirectory(prefix="oficialia-capturas-") as work:
        try:
            shooter = shoot(args.out_dir, Path(work), args.only or SCREENS)
        except OficialiaError as error:
            print(error.message, file=sys.stderr)
            return 1
    for path in shooter.saved:
        print(path)
    for name, problems in shooter.cut.items():
        for problem in problems:
            print(f"{name}: texto cortado: {problem}", file=sys.stderr)
    return 1 if shooter.cut else 0


if __name__ == "__main__":
    sys.exit(main())
