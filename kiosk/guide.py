"""Spoken guidance («Escuchar»): the kiosk read aloud for someone who cannot read the screen.

When it is on, every screen says its heading and its one instruction as it shows (and again when
a tap changes them, as the inner pages of a screen do); a first touch on a button says what the
button is and does nothing else, a second touch on the same button within ``ARM_SECONDS`` does
what it says; any touch silences what is being said; a typed character is said by its name,
except in a masked box; the idle warning is said when it shows; the last screen reads the folio
and the date of the receipt. The wipe turns the guide off and puts the volume back: the next
citizen starts from the same quiet kiosk.

The touches are seen by a filter on the application, installed only while the guide is on (it
sees every event of the process, in Python). A first touch on a button is kept from the button,
so the window's own watcher does not see it: the guide tells the window the citizen is there.
The keys of the on-screen keyboard are not buttons of the window and are never held back.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Protocol, cast

import shiboken6
from PySide6.QtCore import QCoreApplication, QEvent, QObject, QTimer, Signal
from PySide6.QtGui import QInputMethodEvent, QKeyEvent
from PySide6.QtWidgets import QApplication, QLineEdit, QPushButton, QWidget

from kiosk.speech import DEFAULT_VOLUME, VOLUME_STEP, Speaker
from kiosk.spoken_text import character_words, sentences

if TYPE_CHECKING:
    from PySide6.QtCore import SignalInstance
    from PySide6.QtWidgets import QStackedWidget

    from kiosk.screens import Flow, KioskScreen
    from kiosk.session import KioskSession, Screen


class GuidedWindow(Protocol):
    """What the guide uses of ``kiosk.window.KioskWindow`` (which makes the guide: a Protocol,
    not an import, keeps the two modules out of a circle)."""

    flow: Flow
    stack: QStackedWidget
    idle_warning: Any
    screens: dict[Screen, KioskScreen]
    session: KioskSession
    wiped: SignalInstance

    def touched(self) -> None: ...

    def isAncestorOf(self, child: QWidget) -> bool: ...  # noqa: N802 - Qt's name

    def isVisible(self) -> bool: ...  # noqa: N802 - Qt's name


log = logging.getLogger(__name__)

ARM_SECONDS = 5.0
"""How long after a first touch a second touch on the same button uses it."""
POLL_MS = 600

_PRESSES = frozenset({QEvent.Type.MouseButtonPress, QEvent.Type.MouseButtonDblClick})
_WATCHED = _PRESSES | frozenset({
    QEvent.Type.MouseButtonRelease, QEvent.Type.TouchBegin, QEvent.Type.KeyPress,
    QEvent.Type.InputMethod,
})  # fmt: skip


def _tr(text: str) -> str:
    return QCoreApplication.translate("SpokenGuide", text)


class SpokenGuide(QObject):
    """The guide of one ``KioskWindow``, speaking through ``speaker``; off until
    ``set_enabled(True)``."""

    enabled_changed = Signal(bool)

    def __init__(self, window: GuidedWindow, speaker: Speaker) -> None:
        super().__init__(cast(QObject, window))  # a KioskWindow: a QWidget
        self.window, self.speaker = window, speaker
        self._enabled = False
        self._exempt: list[QWidget] = []
        self._armed: QPushButton | None = None
        self._armed_at = 0.0
        self._held: QPushButton | None = None  # the button whose press was kept from it
        self._last: tuple[KioskScreen | None, str] = (None, "")  # the screen and words last said
        window.flow.moved.connect(self._look_again)
        window.stack.currentChanged.connect(self._look_again)
        window.wiped.connect(self._wiped)
        # Work that ends on its own (a scan, a lookup) changes the words without a move or a
        # touch: looked at a few times a second, and said once they hold still (a scan's page
        # count changes with every page; what it ends on is what is said).
        self._poll = QTimer(self)
        self._poll.setInterval(POLL_MS)
        self._poll.timeout.connect(self._poll_screen)
        self._changing: tuple[KioskScreen | None, str] = (None, "")

    # -- what the lead's buttons call ---------------------------------------------------------

    @property
    def enabled(self) -> bool:
        return self._enabled

    def set_enabled(self, enabled: bool) -> None:
        """On: the guide says how it works, then the screen. Off: silence, touches act at once."""
        if enabled and not self.speaker.available:
            log.info("guía hablada pedida sin voz: %s", self.speaker.problem)
            enabled = False
        if enabled == self._enabled:
            return
        self._enabled = enabled
        self._disarm()
        app = QApplication.instance()
        if enabled:
            app.installEventFilter(self)  # type: ignore[union-attr]
            self._poll.start()
            self.speaker.say(_tr("Guía de voz encendida. Toque un botón una vez para oír qué "
                                 "hace. Tóquelo otra vez para usarlo."))  # fmt: skip
            self._last = (None, "")
            self._say_screen(interrupt=False)
        else:
            app.removeEventFilter(self)  # type: ignore[union-attr]
            self._poll.stop()
            self.speaker.stop()
        self.enabled_changed.emit(enabled)

    def exempt(self, *widgets: QWidget) -> None:
        """Touches on these widgets (the guide's own buttons: «Escuchar», «Repetir», «Pausa», the
        volume) act at the first touch and do not silence the voice."""
        self._exempt.extend(widgets)

    def repeat(self) -> None:
        """The screen (or the idle warning, when it shows) said again from its start."""
        if not self._enabled:
            return
        if self.window.idle_warning.isVisible():
            self._say_warning()
        else:
            self._last = (None, "")
            self._say_screen()

    def pause(self) -> None:
        self.speaker.pause()

    def resume(self) -> None:
        self.speaker.resume()

    def toggle_pause(self) -> None:
        if self.speaker.paused:
            self.speaker.resume()
        else:
            self.speaker.pause()

    def set_volume(self, volume: float) -> None:
        """A new volume, said at that volume so the citizen hears what they chose."""
        self.speaker.set_volume(volume)
        if self._enabled:
            level = round(self.speaker.volume * 10)
            self.speaker.say(_tr("Volumen %1 de 10.").replace("%1", str(level)))

    def volume_up(self) -> None:
        self.set_volume(self.speaker.volume + VOLUME_STEP)

    def volume_down(self) -> None:
        self.set_volume(self.speaker.volume - VOLUME_STEP)

    # -- what is said -------------------------------------------------------------------------

    def _say_screen(self, *, interrupt: bool = True) -> None:
        """The screen's words, unless they are what was said last. On the same screen, words
        that only grew (a message under the heading) are said from where they grew."""
        screen = self._current_screen()
        words = screen.spoken()
        if (screen, words) == self._last:
            return
        before = self._last[1].split() if self._last[0] is screen else []
        after = words.split()
        said = (
            " ".join(after[len(before) :]) if before and after[: len(before)] == before else words
        )
        self._last = self._changing = (screen, words)
        self.speaker.say(said, interrupt=interrupt)

    def _say_warning(self) -> None:
        warning = self.window.idle_warning
        self.speaker.say(sentences(warning.title.text(), warning.countdown.text()))

    def _say_button(self, button: QPushButton) -> None:
        name = button.accessibleName() or button.text().replace("&", "")
        if not button.isEnabled():
            name = sentences(name, _tr("No se puede usar por ahora."))
        self.speaker.say(name)

    def _say_typed(self, box: QLineEdit, text: str) -> None:
        if box.echoMode() is not QLineEdit.EchoMode.Normal:
            return  # a masked box: what is typed there is nobody else's to hear
        if text == "\b":  # the keyboard's «⌫» arrives as a key, whatever sends it
            self.speaker.say(_tr("borrar"))
            return
        said = [character_words(character) for character in text if character.isprintable()]
        if said:
            self.speaker.say(" ".join(said))

    def _current_screen(self) -> KioskScreen:
        return self.window.screens[self.window.session.screen]

    # -- what happens -------------------------------------------------------------------------

    def _look_again(self) -> None:
        """Something may have changed the screen: looked at once the change is complete (the
        screen's ``entered`` runs after the stack has switched to it)."""
        if self._enabled:
            QTimer.singleShot(0, self, self._screen_settled)

    def _screen_settled(self) -> None:
        if not self._enabled or not shiboken6.isValid(self.window):
            return
        if self._last[0] is not self._current_screen():
            self._disarm()  # on a new screen each button is heard before it is used
        if not self.window.idle_warning.isVisible():
            self._say_screen()

    def _poll_screen(self) -> None:
        if self.window.idle_warning.isVisible() or not self.window.isVisible():
            return
        screen = self._current_screen()
        now = (screen, screen.spoken())
        if now != self._last and now == self._changing:
            self._say_screen()  # the same new words twice in a row: they hold still
        self._changing = now

    def _wiped(self, _reason: str) -> None:
        self.set_enabled(False)
        self.speaker.stop()
        self.speaker.set_volume(DEFAULT_VOLUME)
        self._last = (None, "")

    def _disarm(self) -> None:
        self._armed, self._held = None, None

    # -- the filter ---------------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        kind = event.type()
        if kind is QEvent.Type.Show:
            if watched is self.window.idle_warning:
                QTimer.singleShot(0, self._say_warning)  # its countdown is set after show()
            return False
        if kind not in _WATCHED or not isinstance(watched, QWidget) or not self._inside(watched):
            return False
        if kind is QEvent.Type.KeyPress and isinstance(watched, QLineEdit):
            self._say_typed(watched, cast(QKeyEvent, event).text())
        elif kind is QEvent.Type.InputMethod and isinstance(watched, QLineEdit):
            self._say_typed(watched, cast(QInputMethodEvent, event).commitString())
        elif kind in _PRESSES or kind is QEvent.Type.TouchBegin:
            return self._pressed(watched, kind)
        elif kind is QEvent.Type.MouseButtonRelease:
            return self._released(watched)
        return False

    def _inside(self, widget: QWidget) -> bool:
        window = self.window
        if not (widget is window or window.isAncestorOf(widget)):
            return False
        return not any(w is widget or w.isAncestorOf(widget) for w in self._exempt
                       if shiboken6.isValid(w))  # fmt: skip

    def _pressed(self, widget: QWidget, kind: QEvent.Type) -> bool:
        self.speaker.stop()
        if kind is QEvent.Type.TouchBegin or not isinstance(widget, QPushButton):
            return False
        now = self.window.flow.now()
        if widget is self._armed and now - self._armed_at <= ARM_SECONDS and widget.isEnabled():
            self._armed_at = now  # armed still: «+» tapped again and again keeps counting
            return False
        self._armed, self._armed_at, self._held = widget, now, widget
        self.window.touched()  # the window's watcher will not see this press
        self._say_button(widget)
        return True

    def _released(self, widget: QWidget) -> bool:
        if self._held is not None and widget is self._held:
            self._held = None
            return True  # the release of a press the button never had
        self._look_again()  # the tap may have changed the screen's words
        return False
