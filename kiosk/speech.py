"""The kiosk's voice: a ``Speaker`` says a sentence, stops, pauses, changes its volume and its
language. ``QtSpeaker`` speaks through Qt's text-to-speech (speech-dispatcher with espeak-ng on
Linux, the system's voices on Windows); ``RecordingSpeaker`` keeps what it was asked to say, for
tests of the spoken guide (``kiosk.guide``).

A kiosk whose voice cannot start still serves everyone else: ``QtSpeaker`` then says so once in
the log, says nothing, and gives ``available`` False with ``problem``, a sentence for the citizen
that explains why «Escuchar» is off.

What is said is prepared in ``kiosk.spoken_text`` (Qt's speech module is not imported by the
screens that only prepare words).
"""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass

from PySide6.QtCore import QCoreApplication, QLocale, QObject, Signal
from PySide6.QtTextToSpeech import QTextToSpeech, QVoice

log = logging.getLogger(__name__)

DEFAULT_VOLUME = 0.7
"""What every citizen starts with (the wipe puts it back): loud enough for a hall, with room
above it for someone who hears little."""
VOLUME_STEP = 0.1
SLOWER_RATE = -0.2
"""Qt's rate runs from -1 to 1, 0 being the engine's own; espeak-ng's 170 words a minute is
quick for someone elderly or new to the words: -0.2 gives about 150."""
LANGUAGES = ("es_MX", "en_US")

# Where the engine has no voice for the language itself, the nearest that sounds right:
# espeak-ng has no es_MX but has Latin-American Spanish (es-419), far closer than Spain's.
_LOCALES = {"es_MX": ("es_MX", "es_419", "es"), "en_US": ("en_US", "en")}
# espeak-ng lists each voice many times, once per variant ("Spanish (Latin America)+Andrea");
# the plain one is the clearest, and for English the American one (Caribbean comes first).
_PREFERRED_VOICES = {"es_MX": ("Spanish (Latin America)",), "en_US": ("English (America)",)}


def _tr(text: str) -> str:
    return QCoreApplication.translate("Speaker", text)


class Speaker(QObject):
    """What the guide needs of a voice. ``utterance_started`` and ``utterance_finished`` carry
    the text; finished is also sent for an utterance stopped halfway."""

    utterance_started = Signal(str)
    utterance_finished = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._volume = DEFAULT_VOLUME
        self._language = LANGUAGES[0]
        self._problem = ""  # why this voice cannot speak (set once, by the voice itself)

    # -- what every voice does the same way ---------------------------------------------------

    @property
    def volume(self) -> float:
        return self._volume

    def set_volume(self, volume: float) -> None:
        """``volume`` from 0 (silent) to 1 (the loudest the engine gives)."""
        self._volume = round(min(1.0, max(0.0, volume)), 2)
        self._apply_volume()

    @property
    def language(self) -> str:
        return self._language

    def set_language(self, language: str) -> None:
        """``es_MX`` or ``en_US``: the voice that reads the kiosk's words in that language. A
        language an office added (Náhuatl, Maya) has no voice of ours: the Spanish one reads
        it, as the keyboard keeps its Spanish layout."""
        if language not in LANGUAGES:
            log.info("voz: no hay voz para %s; se usa la de español", language)
            language = LANGUAGES[0]
        self._language = language
        self._apply_language()

    @property
    def available(self) -> bool:
        return not self._problem

    @property
    def problem(self) -> str:
        """Why the voice cannot speak, for the citizen; empty when it can."""
        return self._problem

    # -- what each voice does its own way -----------------------------------------------------

    def say(self, text: str, *, interrupt: bool = True) -> None:
        """Speak ``text``: at once, cutting what is being said, or (``interrupt=False``) after
        what is being said and what is waiting."""
        raise NotImplementedError

    def stop(self) -> None:
        """Silence now; what was waiting is dropped."""
        raise NotImplementedError

    def pause(self) -> None:
        raise NotImplementedError

    def resume(self) -> None:
        raise NotImplementedError

    @property
    def speaking(self) -> bool:
        raise NotImplementedError

    @property
    def paused(self) -> bool:
        raise NotImplementedError

    def _apply_volume(self) -> None:
        """Hand ``self._volume`` to the engine."""

    def _apply_language(self) -> None:
        """Hand ``self._language`` to the engine."""


def default_engine() -> str:
    """speech-dispatcher on Linux (Qt would otherwise pick whichever plugin it finds first);
    elsewhere Qt's default, the system's voices."""
    return "speechd" if sys.platform.startswith("linux") else ""


class QtSpeaker(Speaker):
    """The kiosk's voice through ``QTextToSpeech``; ``tts`` is Qt's, for the tests."""

    def __init__(self, parent: QObject | None = None, *, engine: str | None = None) -> None:
        super().__init__(parent)
        engine = default_engine() if engine is None else engine
        self.tts = QTextToSpeech(engine, self) if engine else QTextToSpeech(self)
        self._waiting: list[str] = []  # texts handed to Qt, in order, not yet begun
        self._current = ""  # the text being spoken (or paused)
        self.tts.aboutToSynthesize.connect(self._began)
        self.tts.stateChanged.connect(self._state_changed)
        self.tts.errorOccurred.connect(self._failed)
        if self.tts.state() is QTextToSpeech.State.Error:
            self._failed(self.tts.errorReason(), self.tts.errorString())
            return
        self.tts.setRate(SLOWER_RATE)
        self._apply_language()
        self._apply_volume()

    @property
    def speaking(self) -> bool:
        return self.tts.state() in (QTextToSpeech.State.Speaking,
                                    QTextToSpeech.State.Synthesizing)  # fmt: skip

    @property
    def paused(self) -> bool:
        return self.tts.state() is QTextToSpeech.State.Paused

    def say(self, text: str, *, interrupt: bool = True) -> None:
        if not text.strip() or not self.available:
            return
        if interrupt:
            self._end_current()
            self._waiting = [text]
            self.tts.say(text)
        else:
            self._waiting.append(text)
            self.tts.enqueue(text)

    def stop(self) -> None:
        self._waiting.clear()
        if self.available:
            self.tts.stop(QTextToSpeech.BoundaryHint.Immediate)

    def pause(self) -> None:
        if self.available and self.speaking:
            self.tts.pause(QTextToSpeech.BoundaryHint.Immediate)

    def resume(self) -> None:
        if self.available and self.paused:
            self.tts.resume()

    # -- the engine ---------------------------------------------------------------------------

    def _apply_volume(self) -> None:
        if self.available:
            self.tts.setVolume(self._volume)

    def _apply_language(self) -> None:
        if not self.available:
            return
        locale = self._nearest_locale()
        if locale is None:
            log.warning("el motor de voz no tiene voz para %s; habla con %s", self._language,
                        self.tts.voice().name())  # fmt: skip
            return
        # Only a locale the engine lists is set: asking for another is an error it reports.
        self.tts.setLocale(locale)
        self.tts.setVoice(self._best_voice(self.tts.availableVoices()))
        log.info("voz para %s: %s (%s)", self._language, self.tts.voice().name(), locale.name())

    def _nearest_locale(self) -> QLocale | None:
        """The first of the language's locales the engine has; a bare language ("es") takes
        whichever country the engine has for it."""
        available = self.tts.availableLocales()
        for name in _LOCALES[self._language]:
            wanted = QLocale(name)
            for locale in available:
                same = locale.name() == wanted.name()
                if same or ("_" not in name and locale.language() == wanted.language()):
                    return locale
        return None

    def _best_voice(self, voices: list[QVoice]) -> QVoice:
        for preferred in _PREFERRED_VOICES[self._language]:
            for voice in voices:
                if voice.name() == preferred:
                    return voice
        plain = [voice for voice in voices if "+" not in voice.name()]
        return (plain or voices or [self.tts.voice()])[0]

    def _began(self, _id: int) -> None:
        self._end_current()
        self._current = self._waiting.pop(0) if self._waiting else ""
        self.utterance_started.emit(self._current)

    def _state_changed(self, state: QTextToSpeech.State) -> None:
        if state is QTextToSpeech.State.Ready and not self._waiting:
            self._end_current()

    def _end_current(self) -> None:
        if self._current:
            text, self._current = self._current, ""
            self.utterance_finished.emit(text)

    def _failed(self, reason: QTextToSpeech.ErrorReason, message: str) -> None:
        if reason in (QTextToSpeech.ErrorReason.Input, QTextToSpeech.ErrorReason.Configuration):
            # One text it could not say, or a setting it refused: the voice itself still works.
            log.warning("el motor de voz rechazó algo (%s): %s", reason.name, message)
            return
        if not self._problem:  # once: a voice that is gone stays gone until the kiosk restarts
            log.warning("la voz del quiosco no funciona (%s, motor %r): %s; el quiosco sigue "
                        "sin voz", reason.name, self.tts.engine(), message)  # fmt: skip
        self._problem = _tr(
            "La voz no funciona en este quiosco. Si la necesita, pida ayuda al personal."
        )
        self._waiting.clear()
        self._end_current()


@dataclass
class Utterance:
    """One thing a ``RecordingSpeaker`` was asked to say."""

    text: str
    interrupting: bool
    interrupted: bool = False
    finished: bool = False
    volume: float = DEFAULT_VOLUME
    language: str = LANGUAGES[0]


class RecordingSpeaker(Speaker):
    """A voice that only remembers, for tests: every utterance in order, whether it was cut
    before its end, and at which volume and in which language it would have been heard. An
    utterance lasts until the test calls ``finish``, or until something cuts it."""

    def __init__(self, parent: QObject | None = None, *, problem: str = "") -> None:
        super().__init__(parent)
        self.utterances: list[Utterance] = []
        self._problem = problem
        self._paused = False

    @property
    def texts(self) -> list[str]:
        return [utterance.text for utterance in self.utterances]

    @property
    def pending(self) -> list[Utterance]:
        """Said or waiting, neither finished nor cut: the first is the one being heard."""
        return [u for u in self.utterances if not (u.finished or u.interrupted)]

    @property
    def speaking(self) -> bool:
        return bool(self.pending) and not self._paused

    @property
    def paused(self) -> bool:
        return self._paused and bool(self.pending)

    def say(self, text: str, *, interrupt: bool = True) -> None:
        if not text.strip() or not self.available:
            return
        if interrupt:
            self._cut()
        self.utterances.append(Utterance(text, interrupt, volume=self._volume,
                                         language=self._language))  # fmt: skip
        if len(self.pending) == 1:
            self.utterance_started.emit(text)

    def stop(self) -> None:
        self._cut()

    def pause(self) -> None:
        self._paused = bool(self.pending)

    def resume(self) -> None:
        self._paused = False

    def finish(self) -> None:
        """The utterance being heard comes to its end; the next one waiting starts."""
        pending = self.pending
        if pending:
            pending[0].finished = True
            self.utterance_finished.emit(pending[0].text)
            if len(pending) > 1:
                self.utterance_started.emit(pending[1].text)

    def _cut(self) -> None:
        for index, utterance in enumerate(self.pending):
            utterance.interrupted = True
            if index == 0:
                self.utterance_finished.emit(utterance.text)
        self._paused = False
