"""Closing the clerk's window with pages captured and not registered asks first; «No» keeps the
window and its pages, «Sí» closes it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("pytestqt", reason="pytest-qt no está instalado")

from PySide6.QtCore import QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication, QMessageBox  # noqa: E402

from mailroom.config import Settings  # noqa: E402
from mailroom.store import Store  # noqa: E402
from mailroom.ui.app import RunningApp, build_app  # noqa: E402
from tests.accounts_helpers import administrator  # noqa: E402

JPEG = Path(__file__).resolve().parents[1] / "resources" / "samples" / "solicitud.jpg"


@pytest.fixture
def running(qtbot, settings: Settings) -> Iterator[RunningApp]:  # type: ignore[no-untyped-def]
    with Store(settings.data_dir) as store:
        actor = administrator(store, settings).seat.actor
    app = build_app(settings, start_background=False, actor=actor)
    app.window.show()
    qtbot.waitExposed(app.window)
    yield app
    app.window.intake.capture.clear()  # so closing at the end asks nothing
    app.close()


def answer_the_question(button: QMessageBox.StandardButton, asked: list[str]) -> None:
    """When the question shows, note its text and press ``button``."""

    def press() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(10, press)
            return
        asked.append(box.text())
        box.button(button).click()

    QTimer.singleShot(0, press)


@pytest.mark.parametrize(
    ("answer", "closed"),
    [(QMessageBox.StandardButton.No, False), (QMessageBox.StandardButton.Yes, True)],
)
def test_closing_with_pages_not_registered_asks_first(
    qtbot, running: RunningApp, answer: QMessageBox.StandardButton, closed: bool
) -> None:  # type: ignore[no-untyped-def]
    capture = running.window.intake.capture
    capture.add_files([str(JPEG)])
    qtbot.waitUntil(lambda: capture.page_count() == 1 and not capture.is_busy(), timeout=60_000)
    asked: list[str] = []
    answer_the_question(answer, asked)

    running.window.close()

    assert asked == ["Hay un escrito en captura sin registrar. ¿Salir de todos modos?"]
    assert running.window.isVisible() is not closed
    assert capture.page_count() == 1
