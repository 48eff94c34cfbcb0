"""What every screen of the citizen's flow works with.

``Flow`` holds the services (desk, task helper, session, camera) and what the screens pass one
another for the length of one citizen (the printer's message, the lookup's answer). Screens
change the session through ``Flow.act``, which announces the move; the window then shows the
session's screen. ``Flow.number`` is the citizen's number when a task started: a result that
arrives after a wipe belongs to someone who left, and is dropped.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QVBoxLayout, QWidget

from kiosk.i18n import citizen_text
from kiosk.preferences import Preferences
from kiosk.session import KioskSession, Screen
from kiosk.spoken_text import sentences
from kiosk.widgets import Banner, label
from mailroom.errors import InvalidInput
from mailroom.ui.tasks import TaskHandle, TaskRunner

if TYPE_CHECKING:
    from kiosk.camera import DocumentCamera
    from kiosk.desk import KioskDesk
    from kiosk.lookup import FilingLookup


class Flow(QObject):
    moved = Signal()  # the session is on another screen
    busy_changed = Signal(bool)  # registering: the footer's buttons wait
    printer_checked = Signal()
    filing_registered = Signal(object)  # the KioskFiling, as soon as it exists (its full acuse)
    say_requested = Signal(str)  # a screen asks the spoken guide to say this (when it is on)

    def __init__(
        self,
        desk: KioskDesk,
        runner: TaskRunner,
        session: KioskSession,
        camera: DocumentCamera | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.desk, self.runner, self.session = desk, runner, session
        self.preferences = Preferences(self)  # this citizen's look, language and voice
        self._camera = camera
        self.printer_message = ""
        self.lookup: FilingLookup | None = None
        self.receipt_qr: QImage | None = None  # made with the receipt, off the GUI thread
        self.busy = False
        self.camera_present: bool | None = None
        """Whether the machine has a camera (the app asks once at start; ``None``: not asked)."""

    @staticmethod
    def now() -> float:
        return time.monotonic()

    @property
    def number(self) -> int:
        return self.session.number

    def act(self, step: Callable[[float], None]) -> InvalidInput | None:
        """Run a session step; its refusal (in plain words) is returned, not raised."""
        try:
            step(self.now())
        except InvalidInput as error:
            return error
        self.moved.emit()
        return None

    def set_busy(self, busy: bool) -> None:
        if busy != self.busy:
            self.busy = busy
            self.busy_changed.emit(busy)

    def set_printer_message(self, message: str) -> None:
        self.printer_message = message
        self.printer_checked.emit()

    def camera_allowed(self) -> bool:
        return self.desk.settings.kiosk_camera != "no" and self.camera_present is not False

    def camera(self) -> DocumentCamera | None:
        """The document camera, made on first use; ``None`` when there is none to use."""
        if self._camera is None and self.camera_allowed():
            try:
                from kiosk.camera import DocumentCamera
            except ImportError:  # a build without Qt Multimedia: scanner only
                return None
            self._camera = DocumentCamera()
            self._camera.setParent(self)
        return self._camera

    def stop_camera(self) -> None:
        if self._camera is not None and self._camera.active:
            self._camera.stop()

    def forget(self) -> None:
        self.printer_message = ""
        self.lookup = None
        self.receipt_qr = None
        self.set_busy(False)
        self.printer_checked.emit()


def cancel(handle: TaskHandle[Any] | None) -> None:
    if handle is not None and not handle.done:
        handle.cancel()


class KioskScreen(QWidget):
    """One screen: a question at the top, its answers below. The window calls ``entered``
    when the session moves here, ``left`` when it moves away, and ``forget`` at the wipe."""

    shows: ClassVar[Screen]
    """The session's screen this widget shows (not ``screen``: QWidget.screen() is Qt's)."""

    def __init__(self, flow: Flow, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("pantalla")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.flow = flow
        self.question = label("", "pregunta", self)
        self.banner = Banner(self)
        self.body = QVBoxLayout(self)
        self.body.setContentsMargins(64, 24, 64, 16)
        self.body.setSpacing(18)
        self.body.addWidget(self.question)
        self.body.addWidget(self.banner)

    def entered(self) -> None:
        """The session moved to this screen."""

    def left(self) -> None:
        """Another screen shows: work this one started stops."""

    def go_back(self) -> bool:
        """«Atrás» inside the screen (a second page of it); False: the session goes back."""
        return False

    def spoken(self) -> str:
        """What the spoken guide (``kiosk.guide``) says when this screen shows: its heading and
        its one instruction, here the question and the message under it when there is one.
        A screen whose instruction lives elsewhere says so in its own ``spoken``."""
        return sentences(self.question.text(), self.shown_banner())

    def shown_banner(self) -> str:
        """The banner's message while it shows (a hidden one keeps no text, or an old one)."""
        return self.banner.text() if self.banner.isVisibleTo(self) else ""

    def forget(self) -> None:
        """The wipe: nothing of the citizen may stay in this screen, shown or not."""
        self.banner.forget()

    def refused(self, error: InvalidInput) -> None:
        self.banner.show_message(citizen_text(error), "error")
