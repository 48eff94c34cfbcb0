"""``make screenshots`` for the kiosk, offscreen: every screen of a citizen's visit (scanned
pages, the folio, the lookup, the idle warning, the admin panel, «Fuera de servicio») rendered to
1920×1080 PNGs with no text cut; ``--only`` renders just the screens asked for and leaves no
work folder behind; and the stricter cut-text check the kiosk's large type needs."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("pytestqt", reason="pytest-qt no está instalado")

from PySide6.QtGui import QImage  # noqa: E402
from PySide6.QtWidgets import QLabel, QPushButton, QWidget  # noqa: E402

from kiosk.screenshots import HEIGHT, SCREENS, WIDTH, main, shoot  # noqa: E402
from mailroom.ui.screen_check import cut_texts  # noqa: E402
from tests.sane_env import use_sane_test_backend  # noqa: E402


@pytest.fixture(scope="module", autouse=True)
def _sane(tmp_path_factory: pytest.TempPathFactory) -> None:
    use_sane_test_backend(tmp_path_factory)


def ink(image: QImage, step: int = 8) -> float:
    """The share of a grid of pixels that is not the background's."""
    background = image.pixelColor(image.width() - 1, image.height() // 2)
    points = [(x, y) for x in range(0, image.width(), step) for y in range(0, image.height(), step)]
    return sum(image.pixelColor(x, y) != background for x, y in points) / len(points)


def test_every_kiosk_screen_renders_at_1920x1080_with_no_text_cut(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "capturas"

    shooter = shoot(out, tmp_path / "trabajo")

    assert shooter.saved == [out / f"{name}.png" for name in SCREENS]
    for path in shooter.saved:
        image = QImage(str(path))
        assert (image.width(), image.height()) == (WIDTH, HEIGHT), path.name
    assert shooter.cut == {}, shooter.cut
    assert shooter.folio.endswith("-K01-000001")  # registered on the demo's device
    for name in ("quiosco-documento", "quiosco-listo", "quiosco-administracion"):
        assert ink(QImage(str(out / f"{name}.png"))) > 0.02, name  # drawn, not blank


def test_only_the_screens_asked_for_and_no_work_folder_left(qtbot, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    out, work = tmp_path / "capturas", tmp_path / "trabajo"
    asked = ["quiosco-bienvenida", "quiosco-administracion", "quiosco-fuera-de-servicio"]

    code = main([str(out), "--work-dir", str(work), "--modo=normal", "--idioma=es_MX",
                 *(f"--only={name}" for name in asked)])  # fmt: skip

    assert code == 0, capsys.readouterr().err
    assert sorted(p.stem for p in out.iterdir()) == sorted(asked)
    assert not work.exists()  # the demo profile went, and the folder this run made
    for name in asked:
        image = QImage(str(out / f"{name}.png"))
        assert (image.width(), image.height()) == (WIDTH, HEIGHT), name


def test_the_kiosk_check_finds_what_its_style_sheet_and_wrapping_hide(qtbot) -> None:  # type: ignore[no-untyped-def]
    window = QWidget()
    qtbot.addWidget(window)
    window.setStyleSheet(  # the kiosk's buttons: the frame's room is its border and padding
        "QPushButton { font-size: 30px; padding: 8px 32px; border: 3px solid #0b3d91; }"
    )
    button = QPushButton("Continuar", window)
    text = button.fontMetrics().horizontalAdvance("Continuar")
    button.setGeometry(0, 0, text + 2 * 3 + 2 * 32 - 10, 72)  # the padding eats 10 px of text
    short = QLabel("Una etiqueta larga que se parte en varias líneas", window)
    short.setWordWrap(True)
    short.setGeometry(0, 100, 200, 20)  # two lines wanted, one line's height given
    narrow = QLabel("DEMO-2026-K01-000001", window)
    narrow.setWordWrap(True)
    narrow.setGeometry(0, 150, 60, 200)  # one word: wrapping cannot help
    window.resize(600, 400)
    window.show()
    qtbot.waitExposed(window)

    assert not any(p.startswith("QLabel") for p in cut_texts(window))  # wrapping: not looked at
    problems = cut_texts(window, wrapped=True)

    assert len(problems) == 3, problems
    assert problems[0].startswith("QPushButton «Continuar»")
    assert problems[1].startswith("QLabel «Una etiqueta larga") and "de alto" in problems[1]
    assert problems[2].startswith("QLabel «DEMO-2026-K01-000001»: una palabra")
    button.setFixedWidth(button.sizeHint().width())
    short.setFixedHeight(short.heightForWidth(short.width()))
    narrow.setFixedWidth(narrow.fontMetrics().horizontalAdvance(narrow.text()) + 10)
    qtbot.waitUntil(lambda: cut_texts(window, wrapped=True) == [])
