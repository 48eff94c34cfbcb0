"""The clerk's window paints its «Abriendo…» frame before the screens' modules start loading
(importing holds the interpreter the GUI thread needs to paint), and a window that is never
painted (opened minimised, on another desktop) still gets its screens."""

from __future__ import annotations

import gc
import time
from typing import Any

import pytest

pytest.importorskip("pytestqt", reason="pytest-qt no está instalado")

from PySide6.QtCore import QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication, QLabel, QWidget  # noqa: E402

from mailroom.config import Settings  # noqa: E402
from mailroom.ui import app as app_module  # noqa: E402
from mailroom.ui import main_window as main_window_module  # noqa: E402
from mailroom.ui.main_window import MainWindow  # noqa: E402

READY_WITHIN_S = 30


def _run_until_ready(settings: Settings) -> MainWindow:
    """``run_app`` until every screen is built and has its first data; the window, closed."""
    found: list[MainWindow] = []
    deadline = time.monotonic() + READY_WITHIN_S

    def check() -> None:
        windows = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow)]
        window = next((w for w in windows if w.isVisible()), None)
        if window is not None and window.ready and not window.runner.active:
            found.append(window)
            window.close()
        elif window is not None and time.monotonic() > deadline:
            window.close()  # still «Abriendo…»: end the app, the assertion below says why
        else:
            QTimer.singleShot(20, check)

    QTimer.singleShot(0, check)
    try:
        assert app_module.run_app(settings) == 0
    finally:
        gc.unfreeze()
    assert found, f"the window still said «Abriendo…» after {READY_WITHIN_S} s"
    return found[0]


def test_the_screens_load_after_the_opening_frame_is_painted(
    qapp: QApplication, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    order: list[str] = []
    opening_texts: list[str] = []

    class Recording(MainWindow):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            opening_texts.extend(label.text() for label in self.findChildren(QLabel))
            self.opening_painted.connect(lambda: order.append("pintada"))

    importing = app_module._Startup._import

    def recorded_import(startup: Any) -> None:
        order.append("importando")  # list.append is atomic: this runs on the import thread
        importing(startup)

    monkeypatch.setattr(app_module, "MainWindow", Recording)
    monkeypatch.setattr(app_module._Startup, "_import", recorded_import)
    window = _run_until_ready(settings)
    assert opening_texts == ["Abriendo la Oficialía de Partes…"]
    assert order == ["pintada", "importando"]
    assert window.tabs.count() == 4


def test_a_window_never_painted_still_gets_its_screens(
    qapp: QApplication, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(main_window_module._OpeningFrame, "paintEvent", QWidget.paintEvent)
    monkeypatch.setattr(app_module, "UNSEEN_WINDOW_START_MS", 50)
    painted: list[bool] = []

    class Recording(MainWindow):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.opening_painted.connect(lambda: painted.append(True))

    monkeypatch.setattr(app_module, "MainWindow", Recording)
    window = _run_until_ready(settings)
    assert painted == []
    assert [window.tabs.tabText(i) for i in range(window.tabs.count())] == [
        "&Recepción",
        "&Bandeja",
        "&Escrito",
        "&Libro de registro",
    ]
