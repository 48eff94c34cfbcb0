"""The child side of the cold-start benchmarks: an app started as its command starts it, printing
a line at each step a person would see (the first frame painted above all), for a parent that
times the lines from the moment it spawned the child. Shared by ``bench/ui.py`` (the clerk's
window), ``bench/kiosk.py`` (the kiosk's welcome) and ``bench/bundle.py`` (both, from source and
from the PyInstaller bundle).

The watchers only wrap what the apps build (an event filter on the window itself, never on the
whole application: see :func:`watch_clerk`), then run ``mailroom.entry.main`` as ``oficialia``
does.

Run as a script it is that child: ``python bench/firstpaint.py clerk|kiosk|bare DATA_DIR`` from
the source tree, or inside a bundle with the same arguments through ``OFICIALIA_BUNDLE_PROBE``
(``installer/bundle_main.py``), where it imports the bundle's modules (its first line says
where they came from). Only the standard library, PySide6 and the app are imported here: a
bundle carries nothing else.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

SHOWN, READY = "shown", "ready"  # the clerk's window: its first paint; every screen with data
KIOSK_STEPS = ("imported", "first welcome", "desk", "screens", "welcome")
"""The kiosk's lines: ``kiosk.app`` imported; the first welcome painted (what a citizen sees
and may already tap); the desk open (on its thread); the screens built; the real welcome
painted (services open: a tap is answered at once)."""
KIOSK_CONFIG = 'device = "K01"\nscanner = "sane:test:0"\nkiosk_camera = "no"\n'
"""A kiosk's ``config.toml`` for a start-up benchmark: SANE's test scanner, no camera."""


def watch_clerk(data_dir: str) -> None:
    """The clerk's start-up exactly as ``oficialia mailroom`` does it (``mailroom.entry`` →
    ``run_app``: the window's frame painted first, the screens built once their modules are
    loaded); prints SHOWN at the main window's first paint, READY once every screen has its
    first data (no task of the helper left), then closes it.

    The first paint is seen by a filter on the main window itself. A filter on the whole
    application would perturb what it measures: a Python event filter converts every object an
    event goes to, and the first Qt-internal one (the ``QAnimationTimer`` behind the main
    window's layout) makes PySide6 6.11 initialise every lazily loaded type, ~30 ms that
    ``oficialia mailroom`` itself never pays before its first frame (it has no such filter then).
    """
    from PySide6.QtCore import QEvent, QObject, QTimer

    from mailroom.entry import main
    from mailroom.ui import app as app_module

    class Watch(QObject):
        window = None

        def eventFilter(self, watched, event):  # type: ignore[no-untyped-def] # noqa: N802
            if self.window is None and event.type() == QEvent.Type.Paint:
                self.window = watched
                print(SHOWN, flush=True)
                QTimer.singleShot(0, self.wait_ready)
            return False

        def wait_ready(self) -> None:
            window = self.window
            if not window.ready or window.runner.active:
                QTimer.singleShot(2, self.wait_ready)
                return
            print(READY, flush=True)
            window.close()

    watch = Watch()

    class WatchedWindow(app_module.MainWindow):  # type: ignore[misc, valid-type]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.installEventFilter(watch)

    app_module.MainWindow = WatchedWindow  # run_app builds its window from this name
    main(["mailroom", "--data-dir", data_dir])


def _paint_watch() -> Any:
    """A QObject class that prints each watched widget's name at its first paint, and quits the
    application after the one named ``last``."""
    from PySide6.QtCore import QEvent, QObject, QTimer
    from PySide6.QtWidgets import QApplication

    class Watch(QObject):
        def __init__(self, parent: Any, last: str) -> None:
            super().__init__(parent)
            self.names: dict[Any, str] = {}
            self.seen: set[str] = set()
            self.last = last

        def watch(self, widget: Any, name: str) -> None:
            self.names[widget] = name
            widget.installEventFilter(self)

        def eventFilter(self, watched, event):  # type: ignore[no-untyped-def] # noqa: N802
            name = self.names.get(watched)
            if name and event.type() == QEvent.Type.Paint and name not in self.seen:
                self.seen.add(name)
                print(name, flush=True)
                if name == self.last:
                    QTimer.singleShot(0, lambda: QApplication.exit(0))
            return False

    return Watch


def bare_full_screen() -> None:
    """The kiosk's baseline: a bare PySide6 ``QWidget`` shown full screen; prints "welcome" at
    its first paint."""
    from PySide6.QtWidgets import QApplication, QWidget

    app = QApplication(sys.argv[:1])
    window = QWidget()
    watch = _paint_watch()(window, "welcome")
    watch.watch(window, "welcome")
    window.showFullScreen()
    app.exec()


def watch_kiosk(data_dir: str) -> None:
    """``oficialia --data-dir DATA kiosk`` (``mailroom.entry`` → ``run_kiosk``, full screen),
    watched from outside: ``kiosk.app.open_kiosk`` is wrapped to put the paint watch on the first
    welcome and, once ``KioskShell.parts`` is set, on the real welcome screen. Prints the
    ``KIOSK_STEPS`` lines; exits after the real welcome's first paint."""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication

    import kiosk.app

    print("imported", flush=True)
    watch_class = _paint_watch()

    def started(watch: Any, shell: Any) -> None:
        parts = shell.parts
        if parts is None:
            print("failed", flush=True)
            QApplication.exit(1)
            return
        print("screens", flush=True)
        from kiosk.session import Screen

        watch.watch(parts.window.screens[Screen.WELCOME], "welcome")

    opened = kiosk.app.open_kiosk

    def open_watched(settings: Any, options: Any = None) -> Any:
        running = opened(settings, options)
        shell = running.shell
        shell.bench_watch = watch = watch_class(shell, "welcome")
        watch.watch(shell.first_welcome, "first welcome")
        shell.parts_ready.connect(lambda outcome: started(watch, shell))
        # on the starting thread, as it emits: the desk is open (modules imported, store opened)
        direct = Qt.ConnectionType.DirectConnection
        shell.parts_ready.connect(lambda outcome: print("desk", flush=True), direct)
        return running

    kiosk.app.open_kiosk = open_watched  # run_kiosk finds it by this name
    from mailroom.entry import main

    sys.exit(main(["--data-dir", data_dir, "kiosk"]))


CHILDREN = {
    "clerk": watch_clerk,
    "kiosk": watch_kiosk,
    "bare": lambda data_dir: bare_full_screen(),
}


if __name__ == "__main__":
    if not getattr(sys, "frozen", False):
        # The source tree first: this script's own folder (bench/) has a kiosk.py of its own.
        sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import mailroom

    print(f"modules {Path(mailroom.__file__).resolve().parents[1]}", flush=True)
    kind, folder = sys.argv[1:3]
    CHILDREN[kind](folder)


@contextmanager
def work_folder(given: str | None, name: str) -> Iterator[Path]:
    """A folder of this run's own (under ``given``, else ``bench/.work-<name>``), removed at
    the end. This process and its children make their temporary files there, not in the
    system's, for as long as the process lives (it ends with the benchmark)."""
    parent = Path(given).resolve() if given else Path(__file__).parent / f".work-{name}"
    made_parent = not parent.exists()
    folder = parent / f"run-{os.getpid()}"
    (folder / "tmp").mkdir(parents=True)
    os.environ.update(dict.fromkeys(("TMPDIR", "TEMP", "TMP"), str(folder / "tmp")))
    tempfile.tempdir = str(folder / "tmp")
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        if made_parent:
            shutil.rmtree(parent, ignore_errors=True)
