"""Starting the kiosk: a locked-down full-screen shell at once, the citizen's screens once the
services behind them are open, "Fuera de servicio" when they cannot be, and a watchdog ping
from the GUI thread so a frozen screen is restarted, not only a dead process.

The shell paints first; the services (the store and its migrations, pyHanko, the capture) are
imported and opened on a background thread, then the screens are built on the GUI thread, as
the clerk's app does, so the kiosk shows something within a fraction of a second of a power-on.
A start that fails (a damaged data folder, no scanner and no camera) shows the notice and tries
again every ``RETRY_SECONDS``; nothing of it reaches a citizen as a traceback or a desktop.
"""

from __future__ import annotations

import gc
import logging
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QCoreApplication,
    QEvent,
    QObject,
    QPoint,
    QRect,
    QSize,
    QThreadPool,
    QTimer,
    Signal,
    Slot,
)
from PySide6.QtGui import QGuiApplication, QMouseEvent
from PySide6.QtWidgets import QApplication, QStackedLayout, QWidget

from kiosk.first_welcome import FILING, LOOKUP, FirstWelcome
from kiosk.keyboard_env import prepare_environment
from kiosk.lockdown import Lockdown
from kiosk.out_of_service import OutOfService
from kiosk.session import KioskSession, Screen, Timing, WipeReason
from kiosk.watchdog import Watchdog
from mailroom.config import Settings
from mailroom.errors import OficialiaError
from mailroom.ui.shell import application
from mailroom.ui.tasks import TaskRunner

if TYPE_CHECKING:
    from kiosk.admin_screen import AdminScreen
    from kiosk.desk import KioskDesk
    from kiosk.system_printer import SystemPrinter
    from kiosk.window import KioskWindow

log = logging.getLogger(__name__)

EXIT_TO_DESKTOP = 10
"""The exit code of "Salir al escritorio": the supervisor (``kiosk.supervisor``) does not restart
the kiosk after it; any other exit is restarted."""

CORNER_SIZE = 120
ADMIN_PRESS_MS = 3000
STARTUP_MODULES = ("kiosk.desk", "kiosk.window", "kiosk.admin_screen", "kiosk.session")
MAX_BACKGROUND_THREADS = 4
GUI_SWITCH_INTERVAL = 0.001  # as in the clerk's app: the GUI thread gets the interpreter back fast


@dataclass
class KioskParts:
    """What a started kiosk is made of (tests, screenshots and the benchmark reach in)."""

    desk: KioskDesk
    session: KioskSession
    window: KioskWindow


@dataclass
class StartOptions:
    backend_url: str | None = None
    ocr_engine: Any = None
    after_start: Callable[[KioskDesk], None] | None = None
    """Run on a worker once the desk is open (the demo opens its e.firma there)."""
    camera: Any = None
    full_screen: bool = True


class CornerPress(QObject):
    """A press held ``ADMIN_PRESS_MS`` on the top-left corner of ``window`` (anywhere inside it,
    on any child): a tap, or a press that slides away, does nothing."""

    held = Signal()

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self.window = window
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(ADMIN_PRESS_MS)
        self._timer.timeout.connect(self.held)
        QApplication.instance().installEventFilter(self)  # type: ignore[union-attr]

    def remove(self) -> None:
        QApplication.instance().removeEventFilter(self)  # type: ignore[union-attr]

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        kind = event.type()
        if kind == QEvent.Type.MouseButtonPress and isinstance(event, QMouseEvent):
            if self._in_corner(event.globalPosition().toPoint()):
                self._timer.start()
        elif kind == QEvent.Type.MouseButtonRelease:
            self._timer.stop()
        elif kind == QEvent.Type.MouseMove and self._timer.isActive():
            assert isinstance(event, QMouseEvent)
            if not self._in_corner(event.globalPosition().toPoint()):
                self._timer.stop()
        return False

    def _in_corner(self, point: QPoint) -> bool:
        origin = self.window.mapToGlobal(QPoint(0, 0))
        return QRect(origin, QSize(CORNER_SIZE, CORNER_SIZE)).contains(point)


class KioskShell(QWidget):
    """The kiosk's one top-level window: the out-of-service notice or the citizen's screens, and
    the admin screen above either."""

    parts_ready = Signal(object)  # KioskParts, or the OficialiaError that stopped the start

    def __init__(self, settings: Settings, runner: TaskRunner, options: StartOptions) -> None:
        super().__init__()
        self.setWindowTitle("Oficialía — Quiosco")
        self.settings, self.runner, self.options = settings, runner, options
        self.parts: KioskParts | None = None
        self.admin: AdminScreen | None = None
        self.exit_code = 0
        self.stack = QStackedLayout(self)
        self.stack.setStackingMode(QStackedLayout.StackingMode.StackOne)
        # The welcome screen first, while the services open behind it (see first_welcome).
        self.first_welcome = FirstWelcome(settings.office_name, self)
        self.stack.addWidget(self.first_welcome)
        self.out_of_service = OutOfService(self)
        self.out_of_service.retry_requested.connect(self.start)
        self.stack.addWidget(self.out_of_service)
        # The citizen's window has its own corner; this one serves "Fuera de servicio".
        self.corner = CornerPress(self)
        self.corner.held.connect(lambda: self.open_admin() if self.parts is None else None)
        self.system_printer: SystemPrinter | None = None
        self.parts_ready.connect(self._started)
        self._starting = False

    # -- starting ----------------------------------------------------------------------------

    @Slot()
    def start(self) -> None:
        if self._starting or self.parts is not None:
            return
        self._starting = True
        threading.Thread(target=self._open_services, name="quiosco-arranque", daemon=True).start()

    def _open_services(self) -> None:
        try:
            import importlib

            for name in STARTUP_MODULES:
                importlib.import_module(name)
            try:  # Qt Multimedia (the camera) may be missing: then the kiosk works with the scanner
                importlib.import_module("kiosk.camera")
            except ImportError as error:
                log.warning("no camera support: %s", error)
            from kiosk.desk import KioskDesk

            desk = KioskDesk(
                self.settings,
                backend_url=self.options.backend_url,
                ocr_engine=self.options.ocr_engine,
            )
        except OficialiaError as error:
            self.parts_ready.emit(error)
            return
        except Exception as error:  # noqa: BLE001 - shown as "Fuera de servicio", logged
            log.exception("the kiosk could not start")
            self.parts_ready.emit(_unexpected(error))
            return
        self.parts_ready.emit(desk)

    @Slot(object)
    def _started(self, outcome: object) -> None:
        self._starting = False
        if isinstance(outcome, OficialiaError):
            self.show_out_of_service(outcome.message)
            return
        from kiosk.desk import KioskDesk  # noqa: F811 - at run time (above: for the type checker)
        from kiosk.window import KioskWindow

        assert isinstance(outcome, KioskDesk)
        desk = outcome
        settings = desk.settings
        timing = Timing(
            settings.kiosk_idle_seconds, settings.kiosk_warning_seconds, settings.kiosk_done_seconds
        )
        session = KioskSession(timing=timing, max_pages=settings.kiosk_max_pages)
        window = KioskWindow(desk, self.runner, session, self, camera=self.options.camera)
        window.admin_requested.connect(self.open_admin)
        if self.options.camera is None and settings.kiosk_camera != "no":
            window.flow.camera_present = _camera_present()
        camera_ok = window.flow.camera_allowed()
        if settings.kiosk_system_printer:
            from kiosk.system_printer import SystemPrinter

            self.system_printer = SystemPrinter(self.runner, settings.kiosk_system_printer, self)
            window.filing_registered.connect(
                lambda filing: self.system_printer.print_pdf(filing.acuse_pdf)
            )
        self.parts = KioskParts(desk, session, window)
        self.stack.addWidget(window)
        self.stack.setCurrentWidget(window)
        self.out_of_service.stop()
        self._carry_out_first_choice(window)
        desk.start()
        options = self.options
        self.runner.run(
            lambda context: _first_checks(desk, options, camera_ok),
            name="comprobar",
            on_success=self._checked,
            owner=self,
        )

    def _carry_out_first_choice(self, window: KioskWindow) -> None:
        """A citizen who tapped the first welcome screen is taken where they asked."""
        choice, welcome = self.first_welcome.choice, window.screens[Screen.WELCOME]
        self.first_welcome.forget()
        if choice == FILING:
            welcome.file_button.click()  # type: ignore[attr-defined]
        elif choice == LOOKUP:
            welcome.lookup_button.click()  # type: ignore[attr-defined]

    def _checked(self, problem: str | None) -> None:
        if problem:
            self.show_out_of_service(problem)

    def show_out_of_service(self, staff_message: str) -> None:
        self.out_of_service.title.setText(self.tr("Fuera de servicio"))
        self.out_of_service.citizen.setText(
            self.tr(
                "Este quiosco no está disponible por ahora. Por favor, entregue su escrito "
                "en la ventanilla de la Oficialía de Partes."
            )  # fmt: skip
        )
        self.out_of_service.show_problem(staff_message)
        self.stack.setCurrentWidget(self.out_of_service)
        if self.parts is not None:  # a fault found after start: the screens go, the desk closes
            parts, self.parts = self.parts, None
            parts.window.wipe(WipeReason.RESTART)
            self.stack.removeWidget(parts.window)
            parts.window.deleteLater()
            desk = parts.desk
            self.runner.run(lambda context: desk.close(), name="cerrar_quiosco")

    # -- the admin screen --------------------------------------------------------------------

    @Slot()
    def open_admin(self) -> None:
        from kiosk.admin_pin import AdminPin
        from kiosk.admin_screen import AdminScreen

        if self.admin is not None and self.admin.isVisible():
            return
        desk = self.parts.desk if self.parts is not None else None
        if self.admin is None or self.admin.desk is not desk:
            if self.admin is not None:
                self.admin.deleteLater()
            self.admin = AdminScreen(AdminPin(self.settings.data_dir), self.runner, desk,
                                     idle_seconds=self.settings.kiosk_admin_idle_seconds,
                                     parent=self)  # fmt: skip
            self.admin.closed.connect(self._admin_closed)
            self.admin.exit_requested.connect(self.exit_to_desktop)
            self.admin.retry_requested.connect(self.start)
        self.admin.system_printer = self.system_printer
        self.admin.setGeometry(self.rect())
        self.admin.open_screen()
        if self.parts is not None:
            self.parts.window.show_overlay(self.admin)
        else:
            self.admin.show()
            self.admin.raise_()

    def _admin_closed(self) -> None:
        if self.admin is None:
            return
        if self.parts is not None:
            self.parts.window.hide_overlay()
        self.admin.hide()

    def exit_to_desktop(self) -> None:
        self.exit_code = EXIT_TO_DESKTOP
        lockdown = self.findChild(Lockdown)
        if lockdown is not None:
            lockdown.release()
        self.close()
        QApplication.exit(EXIT_TO_DESKTOP)

    def resizeEvent(self, event: Any) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        if self.admin is not None:
            self.admin.setGeometry(self.rect())


def _camera_present() -> bool:
    """Whether «Tomar foto» may be offered: a camera is plugged in (listed on the GUI thread,
    ~30 ms once at start; the module was imported with the others, off it)."""
    try:
        from kiosk.camera import camera_names
    except ImportError:
        return False
    return bool(camera_names())


def _first_checks(desk: KioskDesk, options: StartOptions, camera_ok: bool) -> str | None:
    """After the screens show (worker thread): the demo's extra start, then whether there is
    anything to capture with (a scanner, or else a camera). No printer is not a reason to stop:
    citizens can still file."""
    # Fill the caches the first acuse would otherwise fill during the first citizen's
    # «Registrar» (the acuse's and the seal's fonts), as the clerk's app does.
    desk.workstation.warm_up()
    if options.after_start is not None:
        try:
            options.after_start(desk)
        except OficialiaError as error:
            log.warning("after start: %s", error.message)
    problem = desk.scanner_problem()
    if problem and not camera_ok:
        return problem
    return None


def _unexpected(error: BaseException) -> OficialiaError:
    return OficialiaError(
        f"El quiosco no pudo arrancar ({type(error).__name__}: {error}). Revise el registro "
        "del sistema y la carpeta de datos; el quiosco lo intentará de nuevo."
    )


@dataclass
class RunningKiosk:
    app: QApplication
    shell: KioskShell
    runner: TaskRunner
    lockdown: Lockdown
    watchdog: Watchdog
    timers: list[QTimer] = field(default_factory=list)

    @property
    def parts(self) -> KioskParts | None:
        return self.shell.parts

    def close(self) -> None:
        for timer in self.timers:
            timer.stop()
        self.shell.corner.remove()
        self.lockdown.release()
        self.shell.close()
        self.runner.wait_all(30_000)
        self.runner.pool.waitForDone(30_000)
        if self.shell.parts is not None:
            self.shell.parts.desk.close()
        QGuiApplication.clipboard().clear()
        # Nothing of this kiosk lingers in the application: its windows, timers and filters go.
        self.shell.deleteLater()
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


def use_shipped_font(app: QApplication) -> None:
    """The kiosk's sizes are measured on DejaVu Sans (kiosk.theme: its cap height sets the least
    font size). Linux has it from the system (the package depends on fonts-dejavu-core);
    elsewhere (Windows) the copy in resources/fonts is registered and made the kiosk's font."""
    if sys.platform.startswith("linux"):
        return
    from PySide6.QtGui import QFont, QFontDatabase

    from mailroom.resources import font_file

    for face in ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf"):
        if QFontDatabase.addApplicationFont(str(font_file(face))) < 0:
            log.warning("could not load %s; the kiosk keeps the system's font", face)
            return
    app.setFont(QFont("DejaVu Sans"))


def open_kiosk(settings: Settings, options: StartOptions | None = None) -> RunningKiosk:
    """The shell shown and its start under way (``run_kiosk`` then enters the event loop)."""
    prepare_environment()  # the on-screen keyboard: before the application reads it
    app = application()
    use_shipped_font(app)
    sys.setswitchinterval(GUI_SWITCH_INTERVAL)
    pool = QThreadPool()
    pool.setMaxThreadCount(MAX_BACKGROUND_THREADS)
    runner = TaskRunner(pool)
    options = options or StartOptions()
    shell = KioskShell(settings, runner, options)
    runner.setParent(shell)
    lockdown = Lockdown(app, shell)
    watchdog = Watchdog.from_environment()
    ping = QTimer(shell)
    ping.setInterval(watchdog.ping_interval_ms)
    ping.timeout.connect(watchdog.ping)  # from the GUI thread: a frozen screen stops the pings
    ping.start()
    if options.full_screen:
        shell.showFullScreen()
    else:
        shell.resize(1920, 1080)
        shell.show()
    QTimer.singleShot(0, shell.start)
    return RunningKiosk(app, shell, runner, lockdown, watchdog, [ping])


def run_kiosk(settings: Settings, options: StartOptions | None = None) -> int:
    """``oficialia kiosk``: until the admin exits to the desktop (exit code 10)."""
    running = open_kiosk(settings, options)

    def ready(parts: object) -> None:
        if isinstance(parts, OficialiaError):
            running.watchdog.status("Fuera de servicio: " + parts.message)
        else:
            # Built for the whole day: freezing keeps full collections from walking it while a
            # citizen scans (the clerk's app measured 46-118 ms pauses without it).
            gc.collect()
            gc.freeze()
            running.watchdog.status("Listo")
        running.watchdog.ready()

    running.shell.parts_ready.connect(ready)
    started = time.monotonic()
    try:
        code = int(running.app.exec())
    finally:
        running.watchdog.stopping()
        running.close()
    log.info("kiosk ran %.0f s", time.monotonic() - started)
    return running.shell.exit_code or code
