"""The child process of ``tests/test_kiosk_keyboard.py``: a kiosk window on a real X server
(Xvfb, the xcb platform), driven by tapping the on-screen keyboard's keys, writing what a
person would have seen to a JSON file for the test to judge.

Run as ``python -m tests.kiosk_keyboard_child SCENARIO OUT.json DATA_DIR`` with ``DISPLAY`` set.
A tap is a press and a release through the window system's entry point (``QTest`` on the
window's ``QWindow``), at the middle of the key item the keyboard's QML laid out: the same path
as a finger on the panel, never a key event sent to the box.
"""

from __future__ import annotations

import dataclasses
import json
import sys
import time
import unicodedata
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from kiosk import keyboard

PREPARED = keyboard.prepare_environment()  # before the application exists, as the kiosk does

from PySide6.QtCore import QPoint, Qt, QThreadPool  # noqa: E402
from PySide6.QtGui import QGuiApplication  # noqa: E402
from PySide6.QtQuick import QQuickItem  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import (  # noqa: E402
    QApplication,
    QDialog,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from kiosk.desk import KioskDesk  # noqa: E402
from kiosk.session import KioskSession, Screen, Timing, WipeReason  # noqa: E402
from kiosk.widgets import BigLineEdit  # noqa: E402
from kiosk.window import KioskWindow  # noqa: E402
from mailroom.config import load_settings  # noqa: E402
from mailroom.ui.shell import application  # noqa: E402
from mailroom.ui.tasks import TaskRunner  # noqa: E402

SETTLE_MS = 40
HOLD_MS = 800  # longer than the keyboard's press-and-hold (500 ms): the accents open
NAME = "PEÑA NÚÑEZ"
CURP = "HEGT761003MDFRNN07"
EMAIL = "pena.nunez@correo.mx"
PHONE = "5512345678"


def rect_in(window: QWidget, widget: QWidget) -> list[int]:
    top_left = widget.mapTo(window, QPoint(0, 0))
    return [top_left.x(), top_left.y(), widget.width(), widget.height()]


def shown_rect_in(window: QWidget, widget: QWidget) -> list[int]:
    """The part of ``widget`` a person sees (not scrolled away, not under a sibling)."""
    shown = widget.visibleRegion().boundingRect()
    top_left = widget.mapTo(window, shown.topLeft())
    return [top_left.x(), top_left.y(), shown.width(), shown.height()]


class Panel:
    """The kiosk window and a finger on it."""

    def __init__(self, window: KioskWindow) -> None:
        self.window = window
        board = window.keyboard
        assert board is not None, "the kiosk window has no on-screen keyboard"
        self.board = board

    # -- the finger --------------------------------------------------------------------------

    def _handle(self) -> Any:
        return self.window.windowHandle()

    def tap_at(self, point: QPoint) -> None:
        QTest.mouseClick(self._handle(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                         point)  # fmt: skip
        QTest.qWait(SETTLE_MS)

    def tap(self, widget: QWidget) -> None:
        self.tap_at(widget.mapTo(self.window, widget.rect().center()))

    def button(self, words: str) -> QPushButton:
        found = [b for b in self.window.findChildren(QPushButton)
                 if b.text() == words and b.isVisible()]  # fmt: skip
        assert len(found) == 1, f"no single «{words}»"
        return found[0]

    # -- the keyboard's keys -----------------------------------------------------------------

    def root(self) -> QQuickItem:
        return self.board.root

    def items(self) -> Iterator[QQuickItem]:
        pending = [self.root()]
        while pending:
            item = pending.pop()
            yield item
            pending.extend(item.childItems())

    def keys(self) -> list[QQuickItem]:
        """The key items shown now: the panel's (they have a ``key`` code) and the row above."""
        found = []
        for item in self.items():
            if not item.isVisible() or item.width() <= 0 or not _all_visible(item):
                continue
            if item.objectName().startswith("extra_") or (
                item.property("key") is not None and item.property("text") is not None
            ):
                found.append(item)
        return found

    def key_point(self, item: QQuickItem) -> QPoint:
        centre = item.mapToScene(item.boundingRect().center()).toPoint()
        return self.board.mapTo(self.window, centre)

    def find_key(self, want: Callable[[QQuickItem], bool]) -> QQuickItem | None:
        return next((item for item in self.keys() if want(item)), None)

    def key_by_text(self, text: str) -> QQuickItem | None:
        return self.find_key(
            lambda item: (
                item.objectName() == f"extra_{text}"
                or (
                    not item.objectName().startswith("extra_")
                    and str(item.property("text")).lower() == text.lower()
                )
            )
        )

    def key_by_class(self, name: str) -> QQuickItem | None:
        return self.find_key(lambda item: item.metaObject().className().startswith(name))

    def tap_key(self, item: QQuickItem) -> None:
        self.tap_at(self.key_point(item))

    def prop(self, name: str) -> Any:
        return self.board.item_property(name)

    def key_heights(self) -> list[float]:
        return [item.height() for item in self.keys()]

    # -- typing, as a person would -----------------------------------------------------------

    def type_text(self, text: str) -> None:
        for character in text:
            self.type_character(character)

    def type_character(self, character: str) -> None:
        direct = self.key_by_text(character)
        if direct is not None and (not character.isalpha() or direct.objectName() == ""):
            if character.isalpha():
                self.set_case(character.isupper())
            self.tap_key(direct)
            return
        if character.isdigit() or not character.isalnum():
            self.type_from_symbols(character)
            return
        self.set_case(character.isupper())
        self.type_accented(character)

    def set_case(self, upper: bool) -> None:
        for _ in range(3):
            if bool(self.prop("uppercase")) == upper:
                return
            shift = self.key_by_class("ShiftKey")
            assert shift is not None, "no shift key"
            self.tap_key(shift)
            QTest.qWait(SETTLE_MS)
        focus = QApplication.focusWidget()
        raise AssertionError(
            f"the keyboard would not go {'up' if upper else 'down'} in "
            f"«{focus.accessibleName() if focus else None}»"
        )

    def type_from_symbols(self, character: str) -> None:
        mode = self.key_by_class("SymbolModeKey")
        assert mode is not None, f"no key for {character!r} and no symbols key"
        self.tap_key(mode)
        key = self.key_by_text(character)
        assert key is not None, f"no key for {character!r} among the symbols"
        self.tap_key(key)
        if self.prop("symbolMode"):
            back = self.key_by_class("SymbolModeKey")
            assert back is not None
            self.tap_key(back)

    def type_accented(self, character: str) -> None:
        """Hold the plain letter until its accents open, slide to the one wanted, let go."""
        plain = unicodedata.normalize("NFD", character)[0]
        key = self.key_by_text(plain)
        assert key is not None, f"no key {plain!r} for {character!r}"
        handle = self._handle()
        start = self.key_point(key)
        QTest.mousePress(handle, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
        QTest.qWait(HOLD_MS)
        choice = self.alternative(character)
        assert choice is not None, f"the accents of {plain!r} did not offer {character!r}"
        target = self.key_point(choice)
        for step in range(1, 5):  # a finger slides; it does not jump
            QTest.mouseMove(handle, start + (target - start) * step / 4)
            QTest.qWait(15)
        QTest.mouseRelease(handle, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                           target)  # fmt: skip
        QTest.qWait(SETTLE_MS)

    def alternative(self, character: str) -> QQuickItem | None:
        """The cell of the open accents list that shows ``character``."""
        for item in self.items():
            if (
                item.metaObject().className().startswith("QQuickText")
                and item.isVisible()
                and item.property("text") == character
                and _inside_list(item)
            ):
                cell = item.parentItem()
                return cell if cell is not None else item
        return None

    def tap_box(self, edit: QWidget) -> None:
        """Tap a box as a person would: where it is scrolled away or under the keyboard, the
        keyboard's hide key first (the whole screen then shows), then the box itself."""
        if self.board.isVisible() and not self.fully_shown(edit):
            hide = self.key_by_class("HideKeyboardKey")
            assert hide is not None, "no key to hide the keyboard"
            self.tap_key(hide)
            self.wait_for(lambda: not self.board.isVisible(), 2000)
        assert self.fully_shown(edit), f"«{edit.accessibleName()}» cannot be seen to be tapped"
        self.tap(edit)
        assert self.keyboard_up(), f"no keyboard for «{edit.accessibleName()}»"
        QTest.qWait(100)  # the area scrolls the box into view once the layout has settled

    def fully_shown(self, widget: QWidget) -> bool:
        return widget.isVisible() and widget.visibleRegion().boundingRect() == widget.rect()

    # -- waiting -----------------------------------------------------------------------------

    def wait_for(self, condition: Callable[[], bool], timeout_ms: int = 5000) -> bool:
        deadline = time.monotonic() + timeout_ms / 1000
        while time.monotonic() < deadline:
            if condition():
                return True
            QTest.qWait(20)
        return condition()

    def keyboard_up(self) -> bool:
        return self.wait_for(lambda: self.board.isVisible() and self.board.height() > 100)


def _all_visible(item: QQuickItem) -> bool:
    parent = item.parentItem()
    while parent is not None:
        if not parent.isVisible():
            return False
        parent = parent.parentItem()
    return True


def _inside_list(item: QQuickItem) -> bool:
    parent = item.parentItem()
    while parent is not None:
        if parent.metaObject().className().startswith("QQuickListView"):
            return True
        parent = parent.parentItem()
    return False


# -- the kiosk ---------------------------------------------------------------------------------


def open_window(data_dir: Path) -> tuple[KioskWindow, KioskDesk, TaskRunner]:
    app = application()
    loaded = load_settings(data_dir, device="K07")
    desk = KioskDesk(dataclasses.replace(loaded, kiosk_camera="no"))
    pool = QThreadPool()
    pool.setMaxThreadCount(2)
    runner = TaskRunner(pool)
    window = KioskWindow(desk, runner, KioskSession(timing=Timing()))
    window.resize(1920, 1080)
    window.show()
    window.activateWindow()
    assert QTest.qWaitForWindowActive(window.windowHandle(), 10_000), "the window never got focus"
    app.processEvents()
    return window, desk, runner


def to_identity(panel: Panel) -> None:
    panel.tap(panel.button("Entregar un escrito"))
    panel.tap(panel.button("Acepto y continúo"))
    assert panel.wait_for(lambda: panel.window.session.screen is Screen.IDENTITY)


def look_at_field(panel: Panel, name: str, edit: BigLineEdit) -> dict[str, Any]:
    """Tap the box, wait for the keyboard, and note what shows where."""
    window = panel.window
    panel.tap(edit)
    up = panel.keyboard_up()
    QTest.qWait(150)  # the area scrolls the box into view once the layout has settled
    return {
        "field": name,
        "window": [window.width(), window.height()],
        "focused": edit.hasFocus(),
        "keyboard_up": up,
        "keyboard": rect_in(window, panel.board),
        "box": rect_in(window, edit),
        "box_shown": shown_rect_in(window, edit),
        "back": shown_rect_in(window, panel.window.back_button),
        "cancel": shown_rect_in(window, panel.window.cancel_button),
        "layout": str(panel.prop("layoutName")),
        "extra_row": str(panel.prop("extraRow")),
        "uppercase": bool(panel.prop("uppercase")),
        "suggestions": bool(panel.prop("suggestionsShown")),
        "language": str(panel.prop("language")),
        "smallest_key": min(panel.key_heights(), default=0),
    }


def windows_shown() -> list[str]:
    return [
        f"{type(w).__name__}:{w.objectName()}"
        for w in QApplication.topLevelWidgets()
        if w.isVisible()
    ] + [  # fmt: skip
        f"QWindow:{w.objectName() or type(w).__name__}"
        for w in QGuiApplication.topLevelWindows()
        if w.isVisible() and not _is_widget_window(w)
    ]


def _is_widget_window(window: Any) -> bool:
    return any(w.windowHandle() is window for w in QApplication.topLevelWidgets())


def typing(panel: Panel) -> dict[str, Any]:
    """The identity screen's four boxes, each typed on the keyboard; then the wipe."""
    window = panel.window
    to_identity(panel)
    screen = window.screens[Screen.IDENTITY]
    fields = {"name": (screen.name, NAME), "curp": (screen.curp, CURP),  # type: ignore[attr-defined]
              "email": (screen.email, EMAIL), "phone": (screen.phone, PHONE)}  # type: ignore[attr-defined]  # fmt: skip
    looks = []
    for name, (edit, text) in fields.items():
        looks.append(look_at_field(panel, name, edit))
        panel.type_text(text)
    texts = {name: edit.text() for name, (edit, _text) in fields.items()}
    board = panel.board
    keyboard_parent = board.parentWidget()
    shown = windows_shown()
    # The wipe, with the keyboard left in English, in symbols and shifted.
    # The name box is scrolled away above the phone's: the keyboard's own key hides it, and
    # the whole screen shows again.
    hide = panel.key_by_class("HideKeyboardKey")
    assert hide is not None, "no key to hide the keyboard"
    panel.tap_key(hide)
    hidden = panel.wait_for(lambda: not board.isVisible(), 2000)
    name_shown = shown_rect_in(window, screen.name)  # type: ignore[attr-defined]
    panel.tap(screen.name)  # type: ignore[attr-defined]
    panel.keyboard_up()
    board.set_language("en_US")
    QTest.qWait(200)
    mode = panel.key_by_class("SymbolModeKey")
    assert mode is not None, "no symbols key"
    panel.tap_key(mode)
    QTest.qWait(100)
    before_wipe = {"hidden_by_its_key": hidden, "name_shown_then": name_shown,
                   "symbolMode": bool(panel.prop("symbolMode")),
                   "language": str(panel.prop("language")),
                   "layout": str(panel.prop("layoutName"))}  # fmt: skip
    window.wipe(WipeReason.CANCELLED)
    QTest.qWait(200)
    after_wipe = {
        "keyboard_shown": board.isVisible(),
        "input_method_visible": QGuiApplication.inputMethod().isVisible(),
        "language": str(panel.prop("language")),
        "symbolMode": bool(panel.prop("symbolMode")),
        "screen": window.session.screen.value,
    }
    return {
        "looks": looks,
        "texts": texts,
        "keyboard_is_window": board.isWindow(),
        "keyboard_parent": type(keyboard_parent).__name__ if keyboard_parent else None,
        "keyboard_top_level": type(board.window()).__name__,
        "windows_shown": shown,
        "before_wipe": before_wipe,
        "after_wipe": after_wipe,
        "redirected": board.guard.redirected,
    }


class TypingDialog(QDialog):
    """A question over the kiosk window with a box of its own (as a PIN or a confirmation
    would be): a child of the window, not a window of its own."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setWindowFlags(Qt.WindowType.Widget)  # QDialog's constructor would make it a window
        self.setObjectName("dialogoPrueba")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setStyleSheet("#dialogoPrueba { background: #ffffff; }")
        self.edit = BigLineEdit("Respuesta", self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(64, 200, 64, 0)
        layout.addWidget(QLabel("Escriba su respuesta", self))
        layout.addWidget(self.edit)
        layout.addStretch(1)


def focus_moves(panel: Panel) -> dict[str, Any]:
    """QTBUG-138256's path: two boxes in turn, a move of the focus made by the screen (a refused
    CURP puts the cursor in its box), and a dialog opened and closed in between."""
    window = panel.window
    to_identity(panel)
    screen = window.screens[Screen.IDENTITY]
    name, curp, email = screen.name, screen.curp, screen.email  # type: ignore[attr-defined]
    steps: list[dict[str, Any]] = []

    def note(step: str) -> None:
        focus = QApplication.focusWidget()
        steps.append({"step": step, "focus": focus.accessibleName() if focus else None,
                      "name": name.text(), "curp": curp.text(), "email": email.text()})  # fmt: skip

    panel.tap_box(name)
    panel.type_text("LUZ")
    note("name typed")
    panel.tap_box(curp)  # just under the name: no need to hide the keyboard
    panel.type_text("HEGT7610")
    note("curp typed")
    panel.tap_box(name)  # scrolled away above: the keyboard's hide key first
    panel.type_text(" MAR")
    note("name again")
    # Enter: the screen refuses the short CURP and moves the cursor to its box by itself.
    enter = panel.key_by_class("EnterKey")
    assert enter is not None, "no Enter key"
    panel.tap_key(enter)
    panel.wait_for(curp.hasFocus, 2000)
    note("refused, cursor moved by the screen")
    panel.type_text("03MDFRNN07")
    note("curp finished")
    dialog = TypingDialog(window)
    window.show_overlay(dialog)
    QTest.qWait(100)
    panel.tap_box(dialog.edit)
    panel.type_text("SI")
    dialog_up = {"text": dialog.edit.text(), "keyboard": rect_in(window, panel.board),
                 "box": shown_rect_in(window, dialog.edit)}  # fmt: skip
    window.hide_overlay()
    QTest.qWait(100)
    note("dialog closed")
    panel.tap_box(email)
    panel.type_text("luz@correo.mx")
    note("email typed")
    return {
        "steps": steps,
        "dialog": dialog_up | {"text_after": dialog.edit.text()},
        "redirected": panel.board.guard.redirected,
    }


SCENARIOS: dict[str, Callable[[Panel], dict[str, Any]]] = {
    "typing": typing,
    "focus": focus_moves,
}


def main(argv: list[str]) -> int:
    scenario, out, data_dir = argv[0], Path(argv[1]), Path(argv[2])
    result: dict[str, Any] = {"prepared": PREPARED, "platform": ""}
    try:
        window, desk, runner = open_window(data_dir)
        result["platform"] = QGuiApplication.platformName()
        result["has_keyboard"] = window.keyboard is not None
        if window.keyboard is not None:
            started = time.monotonic()
            result |= SCENARIOS[scenario](Panel(window))
            result["seconds"] = round(time.monotonic() - started, 1)
        window.close()
        runner.wait_all(10_000)
        desk.close()
    except AssertionError as error:  # what the person could not do, for the test to say
        result["failed"] = str(error)
    out.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
