"""What one citizen chose for themselves at the kiosk: large text, high contrast, the language,
spoken guidance. Chosen with one tap, kept while that citizen is there, and put back by the wipe:
the next person meets the kiosk as it always starts (Spanish, normal look, silent)."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from kiosk.theme import NORMAL, Look

SOURCE_LANGUAGE = "es_MX"


class Preferences(QObject):
    look_changed = Signal(object)  # the new Look
    language_changed = Signal(str)  # a language code: "es_MX", "en_US" …
    speech_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.look: Look = NORMAL
        self.language = SOURCE_LANGUAGE
        self.speech = False

    def set_large(self, large: bool) -> None:
        self._set_look(Look(large=large, contrast=self.look.contrast))

    def set_contrast(self, contrast: bool) -> None:
        self._set_look(Look(large=self.look.large, contrast=contrast))

    def _set_look(self, look: Look) -> None:
        if look != self.look:
            self.look = look
            self.look_changed.emit(look)

    def set_language(self, code: str) -> None:
        if code != self.language:
            self.language = code
            self.language_changed.emit(code)

    def set_speech(self, on: bool) -> None:
        if on != self.speech:
            self.speech = on
            self.speech_changed.emit(on)

    def forget(self) -> None:
        """The wipe: everything back to how the kiosk starts."""
        self._set_look(NORMAL)
        self.set_language(SOURCE_LANGUAGE)
        self.set_speech(False)
