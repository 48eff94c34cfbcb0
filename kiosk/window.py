"""The kiosk's main widget: a header with the step indicator, the citizen's screens, a footer with
«Atrás» and «Cancelar»; the idle warning and the wipe.

The session (``kiosk.session``) decides which screen shows and when to warn or wipe; this widget
shows it. A timer asks ``session.tick`` four times a second; any press, touch or key anywhere in
the window tells the session the citizen is still there. The wipe (the session's listener) runs
after every finished, cancelled or abandoned session: every screen forgets what it showed (hidden
ones too), running reads are cancelled, the camera is released, the capture and its files go,
the clipboard is emptied and the welcome screen shows.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import shiboken6
from PySide6.QtCore import QEvent, QObject, QPoint, QRect, Qt, QTimer, Signal
from PySide6.QtGui import QClipboard, QGuiApplication, QMouseEvent
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QHBoxLayout,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from kiosk.screens import SCREENS, Flow, KioskScreen
from kiosk.session import FILING_STEPS, IdleAction, KioskSession, Screen, WipeReason
from kiosk.widgets import STYLE, Banner, BigButton, label
from mailroom.ui.tasks import TaskRunner

if TYPE_CHECKING:
    from kiosk.camera import DocumentCamera
    from kiosk.desk import KioskDesk

log = logging.getLogger(__name__)

TICK_MS = 250
CORNER_SIZE = 120
ADMIN_PRESS_MS = 3000
NO_FOOTER = (Screen.WELCOME, Screen.DONE)
_PRESENCE = frozenset(
    {QEvent.Type.MouseButtonPress, QEvent.Type.TouchBegin, QEvent.Type.KeyPress, QEvent.Type.Wheel}
)


class AdminCorner(QWidget):
    """An invisible square on the top-left corner: held for three seconds it asks for the admin
    screen. A tap, or a press that slides off the corner, does nothing."""

    held = Signal()

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setFixedSize(CORNER_SIZE, CORNER_SIZE)
        self.setAttribute(Qt.WidgetAttribute.WA_NoSystemBackground, True)
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(ADMIN_PRESS_MS)
        self.timer.timeout.connect(self.held)

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt's name
        self.timer.start()
        event.accept()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt's name
        if not self.rect().contains(event.position().toPoint()):
            self.timer.stop()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt's name
        self.timer.stop()


class IdleWarning(QWidget):
    """«¿Necesita más tiempo?» over the whole window, with the seconds left."""

    continued = Signal()

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("aviso")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        card = QFrame(self)
        card.setObjectName("tarjeta")
        card.setFixedWidth(1000)
        self.title = label(self.tr("¿Necesita más tiempo?"), "titulo", card)
        self.countdown = label("", "dato", card)
        self.button = BigButton(self.tr("Sí, continuar"), card, kind="huge")
        self.button.clicked.connect(self.continued)
        inner = QVBoxLayout(card)
        inner.setContentsMargins(56, 48, 56, 48)
        inner.setSpacing(28)
        for widget in (self.title, self.countdown, self.button):
            inner.addWidget(widget)
        outer = QVBoxLayout(self)
        outer.addWidget(card, 0, Qt.AlignmentFlag.AlignCenter)
        self.hide()

    def show_seconds(self, seconds: int) -> None:
        self.countdown.setText(
            self.tr(
                "Si no toca la pantalla, en %1 segundos se borrará lo que escribió y el "
                "quiosco volverá al inicio."
            ).replace("%1", str(seconds))  # fmt: skip
        )


class PresenceWatcher(QObject):
    """Any press, touch or key inside ``window``: the citizen is still there. Installed on the
    application only while the window shows; the type test comes first, it is the cheap one."""

    def __init__(self, window: KioskWindow) -> None:
        super().__init__(window)
        self.window = window

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if (
            event.type() in _PRESENCE
            and isinstance(watched, QWidget)
            and (watched is self.window or self.window.isAncestorOf(watched))
        ):
            self.window.touched()
        return False


class KioskWindow(QWidget):
    admin_requested = Signal()
    wiped = Signal(str)  # the WipeReason's value, once everything is wiped
    filing_registered = Signal(object)  # a KioskFiling, once registered (before its receipt)

    def __init__(
        self,
        desk: KioskDesk,
        runner: TaskRunner,
        session: KioskSession,
        parent: QWidget | None = None,
        *,
        camera: DocumentCamera | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("quiosco")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setStyleSheet(STYLE)
        self.desk, self.runner, self.session = desk, runner, session
        self.flow = Flow(desk, runner, session, camera, self)
        self.screens: dict[Screen, KioskScreen] = {cls.shows: cls(self.flow) for cls in SCREENS}
        self.stack = QStackedWidget(self)
        for screen in self.screens.values():
            self.stack.addWidget(screen)
        self._build_chrome()
        self.idle_warning = IdleWarning(self)
        self.idle_warning.continued.connect(self.touched)
        self.corner = AdminCorner(self)
        self.corner.held.connect(self.admin_requested)
        self.corner.raise_()
        self._overlay: QWidget | None = None
        self._current: KioskScreen | None = None
        self._watcher = PresenceWatcher(self)
        self._timer = QTimer(self)
        self._timer.setInterval(TICK_MS)
        self._timer.timeout.connect(self._tick)  # runs while the window shows
        self.flow.filing_registered.connect(self.filing_registered)
        self.flow.moved.connect(self._show_current)
        self.flow.busy_changed.connect(lambda busy: self._update_chrome())
        self.flow.printer_checked.connect(self._update_chrome)
        session.on_wipe(self._wiped)
        self._show_current()

    def _build_chrome(self) -> None:
        self.office = label(self.desk.settings.office_name, "oficina", self)
        self.step = label("", "paso", self)
        self.step.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        header = QHBoxLayout()
        header.setContentsMargins(CORNER_SIZE + 16, 16, 64, 8)
        header.addWidget(self.office, 1)
        header.addWidget(self.step)
        self.printer_banner = Banner(self)
        self.back_button = BigButton(self.tr("Atrás"), self)
        self.cancel_button = BigButton(self.tr("Cancelar"), self)
        self.back_button.setMinimumWidth(260)
        self.cancel_button.setMinimumWidth(260)
        self.back_button.clicked.connect(self._back)
        self.cancel_button.clicked.connect(self._cancel)
        self.footer = QWidget(self)
        footer = QHBoxLayout(self.footer)
        footer.setContentsMargins(64, 8, 64, 24)
        footer.addWidget(self.back_button)
        footer.addStretch(1)
        footer.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(header)
        banner_row = QHBoxLayout()
        banner_row.setContentsMargins(64, 0, 64, 0)
        banner_row.addWidget(self.printer_banner)
        layout.addLayout(banner_row)
        layout.addWidget(self.stack, 1)
        layout.addWidget(self.footer)

    # -- the API the shell uses --------------------------------------------------------------

    def screen_widget(self) -> QWidget:
        """The screen showing now (tests, screenshots)."""
        return self.screens[self.session.screen]

    def show_overlay(self, widget: QWidget) -> None:
        """``widget`` over the whole window (the admin screen, «Fuera de servicio»); the idle
        timer waits meanwhile: staff at the kiosk are not a citizen walking away."""
        self._overlay = widget
        if widget.parentWidget() is None:
            widget.setParent(self)
        self._place_overlay()
        self.idle_warning.hide()
        self._timer.stop()
        widget.show()
        widget.raise_()

    def hide_overlay(self) -> None:
        widget, self._overlay = self._overlay, None
        if widget is not None and shiboken6.isValid(widget):
            widget.hide()
        self.session.touch(self.flow.now())  # the idle count starts again from now
        self._timer.start()

    def wipe(self, reason: WipeReason) -> None:
        self.session.wipe(reason)  # the session tells its listeners: _wiped below

    # -- moving between screens --------------------------------------------------------------

    def _show_current(self) -> None:
        screen = self.screens[self.session.screen]
        if self._current is not screen:
            if self._current is not None:
                self._current.left()
            self._current = screen
            self.stack.setCurrentWidget(screen)
            screen.entered()
        self._update_chrome()

    def _update_chrome(self) -> None:
        step = self.session.step
        self.step.setText(
            self.tr("Paso %1 de %2").replace("%1", str(step[0])).replace("%2", str(step[1]))
            if step
            else ""
        )
        self.footer.setVisible(self.session.screen not in NO_FOOTER)
        self.back_button.setEnabled(not self.flow.busy)
        self.cancel_button.setEnabled(not self.flow.busy)
        message = self.flow.printer_message if self.session.screen in FILING_STEPS else ""
        self.printer_banner.show_message(message, "warning")

    def _back(self) -> None:
        if self.flow.busy or (self._current is not None and self._current.go_back()):
            return
        self.session.back(self.flow.now())  # from the first step: a wipe
        self._show_current()

    def _cancel(self) -> None:
        if not self.flow.busy:
            self.session.cancel()

    # -- time --------------------------------------------------------------------------------

    def touched(self) -> None:
        self.session.touch(self.flow.now())

    def _tick(self) -> None:
        now = self.flow.now()
        if self.flow.busy:  # registering: the citizen waits for us, not the other way round
            self.session.touch(now)
        action = self.session.tick(now)
        if action is IdleAction.WARN:
            self.idle_warning.setGeometry(self.rect())
            self.idle_warning.show()
            self.idle_warning.raise_()
        if self.idle_warning.isVisible():
            if self.session.warning:
                self.idle_warning.show_seconds(self.session.seconds_left(now))
            else:
                self.idle_warning.hide()

    # -- the wipe ----------------------------------------------------------------------------

    def _wiped(self, reason: WipeReason) -> None:
        # The capture first: the screens' forgetting then finds no pages to show again.
        self.desk.discard_capture()
        self.flow.stop_camera()
        for screen in self.screens.values():
            try:
                screen.forget()
            except Exception:  # noqa: BLE001 - the other screens must still forget
                log.exception("screen %s did not forget", screen.shows)
        clipboard = QGuiApplication.clipboard()
        clipboard.clear()
        if clipboard.supportsSelection():  # X11's primary selection: text merely selected
            clipboard.clear(QClipboard.Mode.Selection)
        self.flow.forget()
        self.idle_warning.hide()
        self._show_current()
        self.wiped.emit(reason.value)

    # -- Qt ----------------------------------------------------------------------------------

    def _place_overlay(self) -> None:
        widget = self._overlay
        if widget is None:
            return
        parent = widget.parentWidget()
        if parent is self:
            widget.setGeometry(self.rect())
        elif parent is not None:
            widget.setGeometry(QRect(parent.mapFromGlobal(self.mapToGlobal(QPoint(0, 0))),
                                     self.size()))  # fmt: skip

    def resizeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)  # type: ignore[arg-type]
        self.idle_warning.setGeometry(self.rect())
        self._place_overlay()

    def showEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)  # type: ignore[arg-type]
        QApplication.instance().installEventFilter(self._watcher)  # type: ignore[union-attr]
        self._timer.start()

    def hideEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt's name
        # Off the application as soon as the window is not shown: a filter left behind would
        # see every event of every later window, in Python.
        QApplication.instance().removeEventFilter(self._watcher)  # type: ignore[union-attr]
        self._timer.stop()
        super().hideEvent(event)  # type: ignore[arg-type]
