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
