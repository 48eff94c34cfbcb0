"""Starting the clerk's app: the QApplication, the workstation behind it, the main window.

``run_app`` paints the window's frame first and loads the rest while it shows: importing the
screens and services (pyHanko alone is ~0.6 s, fpdf and fontTools ~0.2 s) before the first paint
made the window appear more than ten times later than a bare Qt window (``bench/ui.py``). Once
the frame has been painted the modules are imported on a background thread while the event loop
runs, then the screens are built on the GUI thread. ``build_app`` does the same synchronously,
for tests, ``bench/ui.py`` and ``make screenshots``, which want the finished window without
entering the event loop.

The window opens on the sign-in (or, with no account yet, on the first administrator's form).
``actor`` starts it signed in instead, as that account: for tests and benches that sign in
through ``mailroom.accounts`` themselves, never for the office's app.
"""

from __future__ import annotations

import functools
import gc
import importlib
import logging
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QThreadPool, QTimer, Signal, Slot
from PySide6.QtWidgets import QApplication

from mailroom.config import Settings
from mailroom.ui.main_window import MainWindow
from mailroom.ui.shell import application

if TYPE_CHECKING:
    from mailroom.efirma_unlock import UnlockedEfirma
    from mailroom.permissions import Actor
    from mailroom.ui.efirma import ActivityWatcher, EfirmaSession
    from mailroom.ui.shift import Shift
    from mailroom.ui.tasks import TaskContext, TaskRunner
    from mailroom.workstation import Workstation

log = logging.getLogger(__name__)

MAX_BACKGROUND_THREADS = 4
"""Pool threads for the task helper. Registering, rendering and queries each take one; OCR and
sync have threads of their own. More would only fight the GUI thread for the interpreter."""

GUI_SWITCH_INTERVAL = 0.001
"""Seconds a thread may hold the interpreter before it must offer it to another (default 5 ms)."""

STARTUP_MODULES = (
    "mailroom.workstation",
    "mailroom.accounts",
    "mailroom.ui.shift",
    "mailroom.efirma_unlock",
    "mailroom.ui.efirma",
    "mailroom.ui.intake_screen",
    "mailroom.ui.inbox",
    "mailroom.ui.filing_detail",
    "mailroom.ui.libro_view",
    "mailroom.ui.sync_panel",
    "mailroom.ui.admin",
)
"""What ``populate`` needs, imported off the GUI thread while the window's frame shows."""

UNSEEN_WINDOW_START_MS = 300
"""Start loading the screens after this long even if the window's frame was never painted (a
window opened minimised, or on another desktop, gets no paint until the clerk looks at it)."""


@dataclass(frozen=True)
class EfirmaHint:
    """Where the e.firma files are, to pre-fill the unlock dialog (the demo profile's)."""

    cer: Path
    key: Path
    note: str = ""


@dataclass
class RunningApp:
    app: QApplication
    window: MainWindow
    workstation: Workstation
    runner: TaskRunner
    session: EfirmaSession
    watcher: ActivityWatcher
    shift: Shift

    def close(self) -> None:
        # The watcher filters every event of the whole application in Python; one left behind
        # by a closed window would keep taking the interpreter for each event of the next.
        self.app.removeEventFilter(self.watcher)
        self.window.close()
        self.runner.wait_all(30_000)
        self.runner.pool.waitForDone(30_000)
        self.workstation.close()


def build_app(
    settings: Settings,
    *,
    backend_url: str | None = None,
    efirma_hint: EfirmaHint | None = None,
    start_background: bool = True,
    samples_dir: Path | None = None,
    actor: Actor | None = None,
) -> RunningApp:
    """The finished app, built synchronously (the window is not shown). ``samples_dir``: the
    demo's sample files, where «Agregar archivo…» starts until the clerk chooses a folder.
    ``actor``: signed in from the start (see the module)."""
    application()
    window = MainWindow(settings)
    return _populate(
        window, settings, backend_url, efirma_hint, samples_dir, start_background, actor
    )


def _populate(
    window: MainWindow,
    settings: Settings,
    backend_url: str | None,
    efirma_hint: EfirmaHint | None,
    samples_dir: Path | None,
    start_background: bool,
    actor: Actor | None = None,
) -> RunningApp:
    from mailroom.accounts import Accounts
    from mailroom.ui.efirma import ActivityWatcher, EfirmaSession
    from mailroom.ui.preferences import Preferences
    from mailroom.ui.shift import Shift
    from mailroom.ui.sign_in import SignInScreen
    from mailroom.ui.tasks import TaskRunner
    from mailroom.workstation import Workstation

    app = application()
    # The GUI thread shares the interpreter with OCR, sync, sealing and the task helper's
    # threads. At Python's default 5 ms switch interval a GUI thread waking for a slot queued
    # behind several of them for tens of milliseconds (pauses of 80-90 ms while OCR and a sync
    # pass ran, measured by tests/test_ui_stall.py); handing the interpreter over every
    # millisecond keeps it responsive, at a small cost to the background work.
    sys.setswitchinterval(GUI_SWITCH_INTERVAL)
    workstation = Workstation(settings, backend_url=backend_url)
    pool = QThreadPool()
    pool.setMaxThreadCount(MAX_BACKGROUND_THREADS)
    runner = TaskRunner(pool)
    session = EfirmaSession(idle_minutes=settings.efirma_idle_minutes)
    # The Workstation's own settings: their seat is the one its services read.
    accounts = Accounts(workstation.store, workstation.settings)
    if settings.supervisor_names:  # the obsolete setting's users become accounts, once
        accounts.adopt_supervisors(settings.supervisor_names)
    shift = Shift(accounts, workstation.settings.seat, runner, settings.session_idle_minutes)
    watcher = ActivityWatcher(session, shift)
    app.installEventFilter(watcher)
    opener = functools.partial(_open_efirma, settings=settings, workstation=workstation)
    preferences = Preferences(settings.data_dir, first_import_folder=samples_dir)
    sign_in = SignInScreen(accounts, runner, demo_accounts=_demo_accounts(settings))
    window.populate(workstation, runner, session, opener, preferences, shift, sign_in)
    if efirma_hint is not None:
        window.prefill_efirma(efirma_hint.cer, efirma_hint.key, efirma_hint.note)
    if actor is not None:
        shift.sit(actor)
    else:
        window.cover.start(first_run=not accounts.has_accounts())
    if start_background:
        workstation.start()
        runner.run(_warming(workstation), name="preparar_sellado")
    return RunningApp(app, window, workstation, runner, session, watcher, shift)


def _demo_accounts(settings: Settings) -> tuple[Any, ...]:
    """The demo's accounts and passwords, shown on its sign-in screen (never in an office)."""
    if not settings.demo_mode:
        return ()
    from mailroom.demo_profile import DEMO_ACCOUNTS

    return DEMO_ACCOUNTS


def _offer_efirma_once_signed_in(window: MainWindow, shift: Shift) -> None:
    """The demo's e.firma dialog, opened for the first person signed in who may open it."""

    def seated(actor: Actor) -> None:
        from mailroom.permissions import Action, allowed

        if allowed(actor, Action.EFIRMA_OFICINA):
            shift.seated.disconnect(seated)
            window.open_efirma_dialog()

    shift.seated.connect(seated)


def _warming(workstation: Workstation) -> Any:
    def warm(context: TaskContext) -> None:
        workstation.warm_up()

    return warm


def _open_efirma(
    cer: Path, key: Path, password: str, *, settings: Settings, workstation: Workstation
) -> UnlockedEfirma:
    from mailroom.efirma_unlock import open_office_efirma

    return open_office_efirma(cer, key, password, settings, store=workstation.store)


class _Startup(QObject):
    """Imports ``STARTUP_MODULES`` on a plain thread, then builds the app on the GUI thread."""

    imported = Signal(object)  # None, or the exception the import raised

    def __init__(self, window: MainWindow, build: Any) -> None:
        super().__init__(window)
        self._build = build
        self.running: RunningApp | None = None
        self.failure: BaseException | None = None
        self._started = False
        self.imported.connect(self._finish)

    @Slot()
    def start(self) -> None:
        if self._started:
            return
        self._started = True
        threading.Thread(target=self._import, name="oficialia-arranque", daemon=True).start()

    def _import(self) -> None:
        try:
            for name in STARTUP_MODULES:
                importlib.import_module(name)
        except BaseException as error:  # reported on the GUI thread, which ends the app
            self.imported.emit(error)
            return
        self.imported.emit(None)

    @Slot(object)
    def _finish(self, error: BaseException | None) -> None:
        try:
            if error is not None:
                raise error
            self.running = self._build()
        except BaseException as failure:
            log.exception("the app could not start")
            self.failure = failure
            QApplication.exit(1)


def run_app(
    settings: Settings,
    *,
    backend_url: str | None = None,
    efirma_hint: EfirmaHint | None = None,
    samples_dir: Path | None = None,
    actor: Actor | None = None,
) -> int:
    """``oficialia mailroom``: the window at once, its screens once loaded (see the module)."""
    app = application()
    window = MainWindow(settings)
    window.resize(1366, 768)
    window.show()

    def build() -> RunningApp:
        running = _populate(window, settings, backend_url, efirma_hint, samples_dir, True, actor)
        # Everything built at start-up lives for the whole shift: freezing it keeps the full
        # collections that run while the clerk scrolls from walking it (measured: 46-118 ms
        # pauses of the GUI thread without this, see tests/test_ui_inbox.py).
        gc.collect()
        gc.freeze()
        if efirma_hint is not None:
            _offer_efirma_once_signed_in(window, running.shift)
        return running

    startup = _Startup(window, build)
    # Importing holds the interpreter most of the time, and the GUI thread needs it to paint a
    # window made in Python: the imports wait until the frame is on the screen.
    window.opening_painted.connect(startup.start)
    QTimer.singleShot(UNSEEN_WINDOW_START_MS, startup.start)
    try:
        code = int(app.exec())
    finally:
        if startup.running is not None:
            startup.running.close()
    if startup.failure is not None:
        raise startup.failure
    return code
