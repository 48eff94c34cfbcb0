"""Starting the clerk's app: the QApplication, the workstation behind it, the main window.

``build_app`` is separate from ``run_app`` so tests, ``bench/ui.py`` and ``make screenshots``
build the same window the clerk gets without entering the event loop.
"""

from __future__ import annotations

import functools
import gc
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QThreadPool
from PySide6.QtWidgets import QApplication

from mailroom.config import Settings
from mailroom.efirma_unlock import open_office_efirma
from mailroom.ui.efirma import ActivityWatcher, EfirmaSession
from mailroom.ui.i18n import install_translations
from mailroom.ui.main_window import MainWindow
from mailroom.ui.tasks import TaskRunner
from mailroom.workstation import Workstation

MAX_BACKGROUND_THREADS = 4
"""Pool threads for the task helper. Registering, rendering and queries each take one; OCR and
sync have threads of their own. More would only fight the GUI thread for the interpreter."""


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

    def close(self) -> None:
        self.window.close()
        self.runner.wait_all(30_000)
        self.runner.pool.waitForDone(30_000)
        self.workstation.close()


def has_display() -> bool:
    """False on a Linux machine with no X or Wayland session (and no platform chosen)."""
    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def application() -> QApplication:
    app = QApplication.instance()
    if app is None:
        app = QApplication(sys.argv[:1])
        app.setApplicationName("Oficialía")
        app.setOrganizationName("Oficialía")
        install_translations(app)
    assert isinstance(app, QApplication)
    return app


def build_app(
    settings: Settings,
    *,
    backend_url: str | None = None,
    efirma_hint: EfirmaHint | None = None,
    start_background: bool = True,
) -> RunningApp:
    app = application()
    workstation = Workstation(settings, backend_url=backend_url)
    pool = QThreadPool()
    pool.setMaxThreadCount(MAX_BACKGROUND_THREADS)
    runner = TaskRunner(pool)
    session = EfirmaSession(idle_minutes=settings.efirma_idle_minutes)
    watcher = ActivityWatcher(session)
    app.installEventFilter(watcher)
    opener = functools.partial(_open_efirma, settings=settings, workstation=workstation)
    window = MainWindow(workstation, runner, session, opener)
    if efirma_hint is not None:
        window.prefill_efirma(efirma_hint.cer, efirma_hint.key, efirma_hint.note)
    if start_background:
        workstation.start()
    return RunningApp(app, window, workstation, runner, session, watcher)


def _open_efirma(
    cer: Path, key: Path, password: str, *, settings: Settings, workstation: Workstation
):  # type: ignore[no-untyped-def]
    return open_office_efirma(cer, key, password, settings, store=workstation.store)


def run_app(
    settings: Settings,
    *,
    backend_url: str | None = None,
    efirma_hint: EfirmaHint | None = None,
) -> int:
    running = build_app(settings, backend_url=backend_url, efirma_hint=efirma_hint)
    # Everything built at start-up lives for the whole shift: freezing it keeps the full
    # collections that run while the clerk scrolls from walking it (measured: 46-118 ms pauses
    # of the GUI thread without this, see tests/test_ui_inbox.py).
    gc.collect()
    gc.freeze()
    running.window.resize(1366, 768)
    running.window.show()
    if efirma_hint is not None:
        running.window.open_efirma_dialog()
    try:
        return int(running.app.exec())
    finally:
        running.close()
