"""Keeping a citizen inside the kiosk: no way to close it, reach a menu, drop a file on it or
see a mouse pointer on a touch panel.

A frameless full-screen window stays on top; Alt+F4, Esc, Ctrl+Q/W and close events do nothing
(under X a window manager turns Alt+F4 into a close event, which is refused too); context
menus, drags from outside and drops are swallowed for the whole application. Only the admin
screen's "Salir al escritorio" lets the window close (``allow_close``). The compositor (cage)
and the watchdog do the rest: there is no desktop behind the kiosk to fall back to.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QCloseEvent, QGuiApplication, QInputDevice, QKeyEvent
from PySide6.QtWidgets import QApplication, QWidget

BLOCKED_KEYS = {
    (Qt.Key.Key_F4, Qt.KeyboardModifier.AltModifier),
    (Qt.Key.Key_Escape, Qt.KeyboardModifier.NoModifier),
    (Qt.Key.Key_Q, Qt.KeyboardModifier.ControlModifier),
    (Qt.Key.Key_W, Qt.KeyboardModifier.ControlModifier),
    (Qt.Key.Key_Tab, Qt.KeyboardModifier.AltModifier),
    (Qt.Key.Key_Delete, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier),
}

SWALLOWED_EVENTS = {
    QEvent.Type.ContextMenu,
    QEvent.Type.DragEnter,
    QEvent.Type.DragMove,
    QEvent.Type.Drop,
    QEvent.Type.Close,
}

_MODIFIERS = (
    Qt.KeyboardModifier.AltModifier
    | Qt.KeyboardModifier.ControlModifier
    | Qt.KeyboardModifier.ShiftModifier
    | Qt.KeyboardModifier.MetaModifier
)


class Lockdown(QObject):
    """Installed on the application; the kiosk's top-level window is ``window``."""

    def __init__(self, app: QApplication, window: QWidget) -> None:
        super().__init__(window)
        self.app = app
        self.window = window
        self.allow_close = False
        self.refused: list[str] = []
        """What was refused, for tests and the log ("Alt+F4", "close", "ContextMenu"…)."""
        window.setWindowFlags(
            Qt.WindowType.FramelessWindowHint | Qt.WindowType.WindowStaysOnTopHint
        )
        window.setAcceptDrops(False)
        window.setContextMenuPolicy(Qt.ContextMenuPolicy.NoContextMenu)
        app.installEventFilter(self)
        self.cursor_hidden = False
        if has_touch_screen():
            self.hide_cursor()

    def hide_cursor(self) -> None:
        if not self.cursor_hidden:
            QGuiApplication.setOverrideCursor(Qt.CursorShape.BlankCursor)
            self.cursor_hidden = True

    def release(self) -> None:
        """Before the window closes for good (admin exit, tests)."""
        self.allow_close = True
        self.app.removeEventFilter(self)
        if self.cursor_hidden:
            QGuiApplication.restoreOverrideCursor()
            self.cursor_hidden = False

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        kind = event.type()
        if kind == QEvent.Type.KeyPress or kind == QEvent.Type.ShortcutOverride:
            assert isinstance(event, QKeyEvent)
            combination = (event.key(), event.modifiers() & _MODIFIERS)
            if combination in BLOCKED_KEYS:
                self.refused.append(_name(event))
                event.accept()
                return True
            return False
        if kind in SWALLOWED_EVENTS:
            if kind == QEvent.Type.Close:
                if self.allow_close or watched is not self.window:
                    return False
                assert isinstance(event, QCloseEvent)
                event.ignore()
            self.refused.append(kind.name.decode() if isinstance(kind.name, bytes) else kind.name)
            return True
        return False


def has_touch_screen() -> bool:
    return any(
        device.type() == QInputDevice.DeviceType.TouchScreen for device in QInputDevice.devices()
    )


def _name(event: QKeyEvent) -> str:
    parts = []
    if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
        parts.append("Ctrl")
    if event.modifiers() & Qt.KeyboardModifier.AltModifier:
        parts.append("Alt")
    key = Qt.Key(event.key()).name
    parts.append(key.decode() if isinstance(key, bytes) else str(key).removeprefix("Key_"))
    return "+".join(parts)
