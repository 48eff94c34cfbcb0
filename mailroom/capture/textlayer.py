"""Does a PDF page's text layer say what the page says?

A born-digital page's text is exact and costs nothing to extract; OCR would only degrade it. But a
text layer can also be a bad OCR from some earlier scanner (consonant soup and stray punctuation),
or glyphs with no Unicode mapping (private-use and control characters): extracting those would
index garbage, so such pages are treated as images and OCRed afresh. The judgement reads the
page's text once and counts characters — about a millisecond for a dense page.
"""

from __future__ import annotations

import unicodedata
from enum import Enum


class TextLayer(Enum):
    NONE = "none"  # nothing legible: OCR the page
    WEAK = "weak"  # a few legible words: a stamp over a scan, or a short born-digital page
    STRONG = "strong"  # enough legible text to stand for the page


MIN_VISIBLE_CHARS = 16
STRONG_VISIBLE_CHARS = 200
MIN_LEGIBLE_SHARE = 0.9
MIN_ALPHANUMERIC_SHARE = 0.5
MIN_VOWEL_WORD_SHARE = 0.6
_MIN_WORDS_FOR_VOWEL_TEST = 5
_VOWELS = frozenset("aeiouyáéíóúüàèìòùâêîôûäëïö")
_UNMAPPED = frozenset("\ufffd\ufffe\uffff")


def judge_text(text: str) -> TextLayer:
    visible = [char for char in text if not char.isspace()]
    if len(visible) < MIN_VISIBLE_CHARS:
        return TextLayer.NONE
    legible = sum(1 for char in visible if _is_legible(char))
    alphanumeric = sum(1 for char in visible if char.isalnum())
    if legible < MIN_LEGIBLE_SHARE * len(visible):
        return TextLayer.NONE
    if alphanumeric < MIN_ALPHANUMERIC_SHARE * len(visible):
        return TextLayer.NONE
    if not _words_look_like_words(text):
        return TextLayer.NONE
    return TextLayer.STRONG if len(visible) >= STRONG_VISIBLE_CHARS else TextLayer.WEAK


def _is_legible(char: str) -> bool:
    if char.isalnum():
        return True
    if char in _UNMAPPED:
        return False
    # Punctuation and symbols (P*, S*) are legible; control, private-use and unassigned are not.
    return unicodedata.category(char)[0] in "PS"


def _words_look_like_words(text: str) -> bool:
    """Real words in Spanish (or English) have vowels; OCR noise is mostly consonant clusters."""
    words = [
        word
        for word in (raw.strip(".,;:!?¡¿()[]{}\"'«»-–—") for raw in text.split())
        if len(word) >= 2 and word.isalpha()
    ]
    if len(words) < _MIN_WORDS_FOR_VOWEL_TEST:
        return True
    with_vowel = sum(1 for word in words if _VOWELS.intersection(word.lower()))
    return with_vowel >= MIN_VOWEL_WORD_SHARE * len(words)
