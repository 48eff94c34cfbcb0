"""The on-screen keyboard inside the kiosk window, on a real X server.

Offscreen cannot show the truth here (there the plugin's own window would take the focus), so
these tests start their own Xvfb and run the kiosk window in a child process on the xcb
platform (``tests/kiosk_keyboard_child.py``), where a finger taps the keyboard's keys, never a
key event sent to a box. The child writes what a person would have seen; the tests judge it:
"PEÑA NÚÑEZ" and a CURP land in their boxes exactly, each box gets its layout, nothing covers
the box being typed in nor «Atrás»/«Cancelar», no suggestion list, no second window, the wipe
puts the keyboard back; and QTBUG-138256's path (two boxes in turn, a move of the cursor made by
the screen, a dialog) types each text into its own box.

Where Xvfb is missing the tests say so and skip. Unit tests of ``prepare_environment`` (a Qt
build without the keyboard, the offscreen platform) run in this process.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from kiosk import keyboard

ROOT = Path(__file__).resolve().parents[1]
XVFB = shutil.which("Xvfb")
CHILD_SECONDS = 60  # the scenarios take 6-12 s; a hung child must not hang the suite
CURP = "HEGT761003MDFRNN07"

needs_xvfb = pytest.mark.skipif(
    XVFB is None, reason="Xvfb no está instalado (installer/system-packages.sh: xvfb)"
)


def run_child(scenario: str, display: str, folder: Path) -> dict[str, Any]:
    folder.mkdir(parents=True, exist_ok=True)
    out = folder / "resultado.json"
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("OFICIALIA_", "QT_", "QML"))}  # fmt: skip
    env |= {
        "DISPLAY": display,
        "QT_QPA_PLATFORM": "xcb",
        "XDG_CONFIG_HOME": str(folder / "config"),
        "XDG_DATA_HOME": str(folder / "data"),
        "XDG_CACHE_HOME": str(folder / "cache"),  # the QML cache, among others
        "XDG_RUNTIME_DIR": str(folder / "runtime"),
    }
    (folder / "runtime").mkdir(mode=0o700, exist_ok=True)
    with open(folder / "stdout.txt", "wb") as stdout, open(folder / "stderr.txt", "wb") as err:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "tests.kiosk_keyboard_child",
                scenario,
                str(out),
                str(folder / "datos"),
            ],  # fmt: skip
            cwd=ROOT,
            env=env,
            stdout=stdout,
            stderr=err,
            timeout=CHILD_SECONDS,
            check=False,
        )
    tail = (folder / "stderr.txt").read_text(errors="replace")[-3000:]
    assert done.returncode == 0 and out.exists(), f"the kiosk child failed:\n{tail}"
    result: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    assert result["prepared"] and result["platform"] == "xcb", result
    assert result["has_keyboard"], f"the kiosk window has no keyboard:\n{tail}"
    assert "failed" not in result, f"{result['failed']}\n{tail}"
    return result


@pytest.fixture(scope="module")
def typed(display: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One citizen at the identity screen: the four boxes typed on the keyboard, the wipe."""
    return run_child("typing", display, tmp_path_factory.mktemp("teclado-escribe"))


def overlaps(a: list[int], b: list[int]) -> bool:
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    return ax < bx + bw and bx < ax + aw and ay < by + bh and by < ay + ah


def looks(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {look["field"]: look for look in result["looks"]}


# ---- typing ---------------------------------------------------------------------------------


@needs_xvfb
def test_the_keyboard_types_pena_nunez_and_a_curp_into_their_boxes(typed) -> None:  # type: ignore[no-untyped-def]
    assert typed["texts"] == {
        "name": "PEÑA NÚÑEZ",  # Ñ on its own key, Ú from the U held down
        "curp": CURP,  # letters and the digits row, no «&123» in between
        "email": "pena.nunez@correo.mx",
        "phone": "5512345678",
    }
    assert typed["seconds"] < 30


@needs_xvfb
def test_the_keyboard_is_part_of_the_kiosk_window_not_a_window_of_its_own(typed) -> None:  # type: ignore[no-untyped-def]
    assert typed["keyboard_is_window"] is False
    assert typed["keyboard_parent"] == "KioskWindow"
    assert typed["keyboard_top_level"] == "KioskWindow"
    assert typed["windows_shown"] == ["KioskWindow:quiosco"]


@needs_xvfb
def test_the_keyboard_never_covers_the_box_nor_the_footer(typed) -> None:  # type: ignore[no-untyped-def]
    for field, look in looks(typed).items():
        assert look["focused"] and look["keyboard_up"], field
        assert look["box_shown"] == look["box"], f"«{field}» is partly hidden: {look}"
        assert not overlaps(look["box"], look["keyboard"]), f"the keyboard covers «{field}»"
        for button in ("back", "cancel"):
            assert look[button][2] >= 64 and look[button][3] >= 64, (field, button, look)
            assert not overlaps(look[button], look["keyboard"]), (field, button)
        assert look["window"] == [1920, 1080], look  # nothing pushed the window past the panel
        assert look["back"][1] + look["back"][3] <= 1080, look


@needs_xvfb
def test_each_box_gets_its_layout_in_spanish_without_suggestions(typed) -> None:  # type: ignore[no-untyped-def]
    seen = looks(typed)
    for look in seen.values():
        assert look["language"] == "es_MX"
        assert look["suggestions"] is False, look["field"]
        assert look["smallest_key"] >= 64, look  # the touch-target rule
    assert seen["name"]["layout"].endswith("/es_MX/main.qml")
    assert seen["name"]["extra_row"] == ""
    assert seen["curp"]["layout"].endswith("/es_MX/main.qml")
    assert seen["curp"]["extra_row"] == "digits" and seen["curp"]["uppercase"] is True
    assert seen["email"]["extra_row"] == "email" and seen["email"]["uppercase"] is False
    assert seen["phone"]["layout"].endswith("/dialpad.qml")


@needs_xvfb
def test_the_wipe_hides_the_keyboard_and_puts_it_back_in_spanish_letters(typed) -> None:  # type: ignore[no-untyped-def]
    before, after = typed["before_wipe"], typed["after_wipe"]
    # What the citizen had done to it: hidden with its own key (the whole screen shows again),
    # then English and the symbols.
    assert before["hidden_by_its_key"] is True and before["name_shown_then"][3] == 72
    assert before["language"] == "en_US" and before["symbolMode"] is True
    assert before["layout"].endswith("/symbols.qml")
    assert after == {
        "keyboard_shown": False,
        "input_method_visible": False,
        "language": "es_MX",
        "symbolMode": False,
        "screen": "bienvenida",
    }


# ---- QTBUG-138256: typing into the box that had the focus before -----------------------------


@needs_xvfb
def test_each_text_lands_in_its_own_box_as_the_focus_moves(display, tmp_path) -> None:  # type: ignore[no-untyped-def]
    result = run_child("focus", display, tmp_path / "teclado-foco")
    steps = {step["step"]: step for step in result["steps"]}
    first = steps["name typed"]
    assert (first["focus"], first["name"], first["curp"]) == ("Nombre completo", "LUZ", "")
    assert (steps["curp typed"]["name"], steps["curp typed"]["curp"]) == ("LUZ", "HEGT7610")
    assert (steps["name again"]["name"], steps["name again"]["curp"]) == ("LUZ MAR", "HEGT7610")
    # The screen moved the cursor itself (a refused CURP): the keys follow it.
    moved = steps["refused, cursor moved by the screen"]
    assert moved["focus"] == "CURP"
    finished = steps["curp finished"]
    assert (finished["name"], finished["curp"]) == ("LUZ MAR", CURP)
    # A dialog over the window, typed into, closed: its text stayed in it, nothing leaked.
    assert result["dialog"]["text"] == "SI" and result["dialog"]["text_after"] == "SI"
    assert not overlaps(result["dialog"]["box"], result["dialog"]["keyboard"])
    after = steps["dialog closed"]
    assert (after["name"], after["curp"], after["email"]) == ("LUZ MAR", CURP, "")
    last = steps["email typed"]
    assert (last["name"], last["curp"], last["email"]) == ("LUZ MAR", CURP, "luz@correo.mx")
    assert result["seconds"] < 30


# ---- without the keyboard ------------------------------------------------------------------


def test_a_qt_without_the_virtual_keyboard_leaves_the_physical_one(tmp_path, caplog) -> None:  # type: ignore[no-untyped-def]
    env = {"QT_QPA_PLATFORM": "xcb"}
    with caplog.at_level(logging.WARNING, logger="kiosk.keyboard"):
        assert keyboard.prepare_environment(env, qt_prefix=tmp_path) is False
    assert env == {"QT_QPA_PLATFORM": "xcb"}  # no input method chosen: the desktop's stays
    assert "Qt Virtual Keyboard is not installed" in caplog.text


def test_the_pyside6_wheel_ships_the_plugin_and_its_qml() -> None:
    # The layouts (es_MX among them) are inside the layouts plugin; the Xvfb tests load them.
    assert keyboard.shipped()


def test_offscreen_runs_keep_the_physical_keyboard() -> None:
    env = {"QT_QPA_PLATFORM": "offscreen"}
    assert keyboard.prepare_environment(env) is False
    assert "QT_IM_MODULE" not in env
    assert keyboard.wanted() is False  # this test process: offscreen, no virtual keyboard


def test_the_guard_sends_what_the_keyboard_typed_to_the_box_with_the_focus(qtbot) -> None:  # type: ignore[no-untyped-def]  # noqa: E501
    """QTBUG-138256's workaround on its own (offscreen, real widgets): the plugin's commit sent
    to the box that had the focus before lands in the one that has it now, and only while a
    key of the keyboard is down."""
    from PySide6.QtGui import QInputMethodEvent
    from PySide6.QtWidgets import QApplication, QLineEdit, QVBoxLayout, QWidget

    window = QWidget()
    qtbot.addWidget(window)
    before, now = QLineEdit(window), QLineEdit(window)
    layout = QVBoxLayout(window)
    layout.addWidget(before)
    layout.addWidget(now)
    with qtbot.waitActive(window):
        window.show()
        window.activateWindow()
    now.setFocus()
    qtbot.waitUntil(now.hasFocus)
    guard = keyboard.StaleFocusGuard(window)
    app = QApplication.instance()
    assert app is not None
    app.installEventFilter(guard)
    try:

        def commit(text: str) -> None:
            event = QInputMethodEvent()
            event.setCommitString(text)
            QApplication.sendEvent(before, event)  # where the stale plugin would send it

        commit("A")  # no key of the on-screen keyboard down: not the keyboard's, left alone
        guard.typing = True
        commit("Ñ")
    finally:
        app.removeEventFilter(guard)
    assert (before.text(), now.text(), guard.redirected) == ("A", "Ñ", 1)


@needs_xvfb
def test_with_the_keyboard_loaded_every_screen_still_meets_the_audit(  # type: ignore[no-untyped-def]
    display: str, tmp_path: Path
) -> None:
    """On xcb the keyboard is in the window (its scroll area around the screens): the screens
    are measured there too, as painted (a style rule of the scroll area once reached every
    button and left «Entregar un escrito» white on white: only a real run showed it)."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("OFICIALIA_", "QT_", "QML"))}  # fmt: skip
    env |= {"DISPLAY": display, "QT_QPA_PLATFORM": "xcb",
            "XDG_RUNTIME_DIR": str(tmp_path / "runtime"),
            "XDG_CACHE_HOME": str(tmp_path / "cache")}  # fmt: skip
    (tmp_path / "runtime").mkdir(mode=0o700)
    command = [sys.executable, "-m", "kiosk.screenshots", str(tmp_path / "capturas"),
               "--work-dir", str(tmp_path / "trabajo"), "--idioma", "es_MX"]  # fmt: skip
    for name in (
        "quiosco-bienvenida",
        "quiosco-identidad",
        "quiosco-revision",
        "quiosco-resultado",
    ):
        command += ["--only", name]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=240, check=False)  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert done.stdout.count("| bien |") == 4 * 3  # four screens, three looks
