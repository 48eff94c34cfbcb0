"""``run_app``, the path ``oficialia mailroom`` takes: the window's frame shows first, the screens
are built once their modules are imported off the GUI thread, and a start-up failure ends the
app with the error instead of leaving a window that says it is opening forever."""

from __future__ import annotations

import gc

import pytest

pytest.importorskip("pytestqt", reason="pytest-qt no está instalado")

from PySide6.QtCore import QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from mailroom.config import Settings  # noqa: E402
from mailroom.ui import app as app_module  # noqa: E402
from mailroom.ui.main_window import MainWindow  # noqa: E402


def _main_windows() -> list[MainWindow]:
    return [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow)]


def test_run_app_builds_every_screen_behind_the_first_frame(qapp, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    seen: dict[str, object] = {}

    def check() -> None:
        windows = [w for w in _main_windows() if w.isVisible()]
        if windows and windows[0].ready and not windows[0].runner.active:
            window = windows[0]
            seen["tabs"] = [window.tabs.tabText(i) for i in range(window.tabs.count())]
            seen["title"] = window.windowTitle()
            window.close()
        else:
            QTimer.singleShot(20, check)

    QTimer.singleShot(0, check)
    try:
        assert app_module.run_app(settings) == 0
    finally:
        gc.unfreeze()
    assert seen["tabs"] == ["&Recepción", "&Bandeja", "&Escrito", "&Libro de registro"]
    assert seen["title"] == "Oficialía de Partes — Oficialía de Partes Municipal"


def test_a_start_up_failure_ends_the_app_with_its_error(
    qapp, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(app_module, "STARTUP_MODULES", ("mailroom.no_existe",))
    with pytest.raises(ModuleNotFoundError, match="mailroom.no_existe"):
        app_module.run_app(settings)
    for window in _main_windows():
        window.close()


def test_a_closed_app_stops_watching_the_clerks_input(qtbot, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    # The activity watcher filters every event of the whole application in Python; left on the
    # application after its window closed, each one (a test run builds dozens) took the
    # interpreter for every event of the next window, and the window froze 100-200 ms while the
    # libro printed in the background (tests/test_ui_libro.py, in a run of all the UI tests).
    from PySide6.QtCore import QEvent, QPoint, Qt
    from PySide6.QtGui import QWheelEvent

    running = app_module.build_app(settings, start_background=False)
    noted: list[int] = []
    running.session.note_activity = lambda: noted.append(1)  # type: ignore[method-assign]

    def wheel() -> None:
        event = QWheelEvent(
            QPoint(5, 5).toPointF(), QPoint(5, 5).toPointF(), QPoint(), QPoint(0, 120),
            Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier,
            Qt.ScrollPhase.NoScrollPhase, False,
        )  # fmt: skip
        QApplication.sendEvent(running.window, event)

    wheel()
    assert noted == [1]  # watched while open
    running.close()
    wheel()
    assert noted == [1]
    assert QEvent.Type.Wheel in running.watcher.ACTIVITY
