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
from PySide6.QtCore import QCoreApplication, QEvent, QObject, QPoint, QRect, Qt, QTimer, Signal
from PySide6.QtGui import QClipboard, QGuiApplication, QMouseEvent
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QHBoxLayout,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from kiosk.i18n import SPANISH, LanguageRefused, available_languages, use_language
from kiosk.keyboard import ScreenArea, on_screen_keyboard
from kiosk.screens import SCREENS, Flow, KioskScreen
from kiosk.session import FILING_STEPS, IdleAction, KioskSession, Screen, WipeReason
from kiosk.theme import Look, style_sheet
from kiosk.widgets import STYLE, Banner, BigButton, label
from mailroom.ui.tasks import TaskRunner

if TYPE_CHECKING:
    from kiosk.camera import DocumentCamera
    from kiosk.desk import KioskDesk
    from kiosk.guide import SpokenGuide
    from kiosk.speech import Speaker

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
        self.title = label("", "titulo", card)
        self.countdown = label("", "dato", card)
        self.button = BigButton("", card, kind="huge")
        self.retranslate()
        self.button.clicked.connect(self.continued)
        inner = QVBoxLayout(card)
        inner.setContentsMargins(56, 48, 56, 48)
        inner.setSpacing(28)
        for widget in (self.title, self.countdown, self.button):
            inner.addWidget(widget)
        outer = QVBoxLayout(self)
        outer.addWidget(card, 0, Qt.AlignmentFlag.AlignCenter)
        self.hide()

    def retranslate(self) -> None:
        self.title.setText(self.tr("¿Necesita más tiempo?"))
        self.button.setText(self.tr("Sí, continuar"))

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
        speaker: Speaker | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("quiosco")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setStyleSheet(STYLE)
        self.desk, self.runner, self.session = desk, runner, session
        self.flow = Flow(desk, runner, session, camera, self)
        self.preferences = self.flow.preferences
        self.preferences.look_changed.connect(self._show_look)
        self.preferences.language_changed.connect(self._change_language)
        self.preferences.speech_changed.connect(self._speech_changed)
        self._speaker = speaker  # made at the first «Escuchar» when not given (kiosk.speech)
        self.guide: SpokenGuide | None = None
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
        self._retranslate()  # the chrome's texts and accessible names, as a language change does
        self._show_current()

    def _build_chrome(self) -> None:
        self.office = label(self.desk.settings.office_name, "oficina", self)
        self.step = label("", "paso", self)
        self.step.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        header = QHBoxLayout()
        header.setContentsMargins(CORNER_SIZE + 16, 16, 64, 8)
        header.addWidget(self.office, 1)
        header.setSpacing(24)
        # One tap from every screen, for whoever needs them (kiosk.theme); the wipe undoes both.
        self.large_button = BigButton(self.tr("Letra grande"), self)
        self.contrast_button = BigButton(self.tr("Alto contraste"), self)
        # «Escuchar»: the screens read aloud (kiosk.guide), from the welcome screen on.
        self.listen_button = BigButton(self.tr("Escuchar"), self)
        for button, choose in ((self.listen_button, self.preferences.set_speech),
                               (self.large_button, self.preferences.set_large),
                               (self.contrast_button, self.preferences.set_contrast)):  # fmt: skip
            button.setCheckable(True)
            button.toggled.connect(choose)
            header.addWidget(button)
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
        # While the guide speaks: say it again, pause, softer, louder (on every screen).
        self.repeat_button = BigButton(self.tr("Repetir"), self)
        self.pause_button = BigButton(self.tr("Pausa"), self)
        self.softer_button = BigButton(self.tr("Volumen −"), self)
        self.louder_button = BigButton(self.tr("Volumen +"), self)
        self.speech_buttons = (self.repeat_button, self.pause_button, self.softer_button,
                               self.louder_button)  # fmt: skip
        for button in self.speech_buttons:
            button.hide()
            footer.addWidget(button)
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
        # The on-screen keyboard between the screens and the footer (None: no virtual keyboard
        # in this application, see kiosk.keyboard): it never covers the box, nor «Atrás».
        self.keyboard = on_screen_keyboard(self)
        if self.keyboard is None:
            layout.addWidget(self.stack, 1)
        else:
            layout.addWidget(ScreenArea(self.stack, self.keyboard, self), 1)
            layout.addWidget(self.keyboard)
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

    # -- the citizen's own choices -----------------------------------------------------------

    def _show_look(self, look: Look) -> None:
        self.setStyleSheet(style_sheet(look))
        for button, on in ((self.large_button, look.large),
                           (self.contrast_button, look.contrast)):  # fmt: skip
            button.blockSignals(True)  # the buttons follow the choice (the wipe makes it too)
            button.setChecked(on)
            button.blockSignals(False)

    def _change_language(self, code: str) -> None:
        """Chosen on the welcome screen (and put back by the wipe): Qt's translator changes and
        the screens are made again in the new language (each sets its texts once). Nothing of
        a citizen is lost: the welcome screen holds nothing, and the wipe already forgot."""
        languages = {language.code: language for language in available_languages(
            self.desk.settings.data_dir)}  # fmt: skip
        language = languages.get(code, SPANISH)
        try:
            use_language(QCoreApplication.instance(), language)  # type: ignore[arg-type]
        except LanguageRefused as error:
            log.warning("%s", error.message)  # for staff; the citizen goes on in Spanish
            language = SPANISH
        if self.keyboard is not None:
            self.keyboard.set_language(language.code)
        if self._speaker is not None:
            self._speaker.set_language(language.code)
        old = self.screens
        self.screens = {cls.shows: cls(self.flow) for cls in SCREENS}
        for screen in self.screens.values():
            self.stack.addWidget(screen)
        self._current = None
        self._show_current()
        for screen in old.values():
            self.stack.removeWidget(screen)
            screen.deleteLater()
        self._retranslate()
        if language.code != code:
            self.preferences.set_language(language.code)

    def _retranslate(self) -> None:
        self.back_button.setText(self.tr("Atrás"))
        self.cancel_button.setText(self.tr("Cancelar"))
        self.listen_button.setText(self.tr("Escuchar"))
        self.large_button.setText(self.tr("Letra grande"))
        self.contrast_button.setText(self.tr("Alto contraste"))
        self.repeat_button.setText(self.tr("Repetir"))
        self.softer_button.setText(self.tr("Volumen −"))
        self.louder_button.setText(self.tr("Volumen +"))
        self.softer_button.setAccessibleName(self.tr("Bajar el volumen"))
        self.louder_button.setAccessibleName(self.tr("Subir el volumen"))
        self._show_paused()
        self.idle_warning.retranslate()
        self._update_chrome()

    # -- spoken guidance ---------------------------------------------------------------------

    def speaker(self) -> Speaker:
        """The kiosk's voice, made the first time a citizen asks for it: starting the speech
        engine costs time no one else should wait for."""
        if self._speaker is None:
            from kiosk.speech import QtSpeaker

            self._speaker = QtSpeaker(self)
        return self._speaker

    def _speech_changed(self, on: bool) -> None:
        if on:
            speaker = self.speaker()
            if not speaker.available:  # no voice on this machine: said on the screen instead
                self.preferences.set_speech(False)
                self.screens[self.session.screen].banner.show_message(speaker.problem, "warning")
                return
            guide = self._guide(speaker)
            speaker.set_language(self.preferences.language)
            guide.set_enabled(True)
        elif self.guide is not None:
            self.guide.set_enabled(False)
        self.listen_button.blockSignals(True)
        self.listen_button.setChecked(self.preferences.speech)
        self.listen_button.blockSignals(False)
        self._show_paused()
        self._update_chrome()

    def _guide(self, speaker: Speaker) -> SpokenGuide:
        if self.guide is None:
            from kiosk.guide import SpokenGuide

            self.guide = SpokenGuide(self, speaker)
            self.guide.exempt(self.listen_button, *self.speech_buttons)
            # The guide turns itself off at the wipe; the button follows.
            self.guide.enabled_changed.connect(self.preferences.set_speech)
            self.flow.say_requested.connect(self._say_requested)
            self.repeat_button.clicked.connect(self.guide.repeat)
            self.pause_button.clicked.connect(self._toggle_pause)
            self.softer_button.clicked.connect(self.guide.volume_down)
            self.louder_button.clicked.connect(self.guide.volume_up)
        return self.guide

    def _say_requested(self, text: str) -> None:
        if self.guide is not None and self.guide.enabled:
            self.guide.speaker.say(text)

    def _toggle_pause(self) -> None:
        if self.guide is not None:
            self.guide.toggle_pause()
        self._show_paused()

    def _show_paused(self) -> None:
        paused = self._speaker is not None and self._speaker.paused
        self.pause_button.setText(self.tr("Seguir") if paused else self.tr("Pausa"))

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
        speaking = self.preferences.speech
        steps = self.session.screen not in NO_FOOTER
        self.footer.setVisible(steps or speaking)  # the voice's buttons on every screen
        self.back_button.setVisible(steps)
        self.cancel_button.setVisible(steps)
        for button in self.speech_buttons:
            button.setVisible(speaking)
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
        self.preferences.forget()
        if self.keyboard is not None:
            self.keyboard.forget()
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
