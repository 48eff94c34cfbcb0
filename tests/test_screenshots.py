"""``make screenshots`` in small: the script renders the intake screen (the sample scan's
thumbnails) offscreen to a 1366×768 PNG, and no label or button text on it is cut."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("pytestqt", reason="pytest-qt no está instalado")

from PySide6.QtGui import QImage  # noqa: E402
from PySide6.QtWidgets import QLabel, QPushButton, QWidget  # noqa: E402

from mailroom.ui.screenshots import HEIGHT, WIDTH, cut_texts, shoot  # noqa: E402


def test_the_intake_screen_renders_at_1366x768_with_no_text_cut(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    shooter = shoot(tmp_path / "capturas", tmp_path / "trabajo", only=["recepcion"])

    image = QImage(str(tmp_path / "capturas" / "recepcion.png"))
    assert (image.width(), image.height()) == (WIDTH, HEIGHT)  # the window fits 1366 px
    assert shooter.saved == [tmp_path / "capturas" / "recepcion.png"]
    assert shooter.cut == {}, shooter.cut


def test_cut_texts_finds_a_label_and_a_button_too_narrow_for_their_text(qtbot) -> None:  # type: ignore[no-untyped-def]
    window = QWidget()
    qtbot.addWidget(window)
    fits = QLabel("Pendientes: 0", window)
    fits.move(0, 0)
    label = QLabel("Última sincronización correcta: nunca", window)
    label.setGeometry(0, 30, 60, 20)
    button = QPushButton("Sincronizar ahora", window)
    button.setGeometry(0, 60, 50, 24)
    window.resize(400, 120)
    window.show()
    qtbot.waitExposed(window)

    problems = cut_texts(window)

    assert len(problems) == 2, problems
    assert problems[0].startswith("QLabel «Última sincronización correcta: nunca»")
    assert problems[1].startswith("QPushButton «Sincronizar ahora»")
    label.setWordWrap(True)  # a wrapping label is not cut: it takes more lines
    button.setFixedWidth(button.sizeHint().width())
    qtbot.waitUntil(lambda: cut_texts(window) == [])
