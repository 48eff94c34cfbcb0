"""How easy a Spanish text is to read: the Fernández-Huerta score, with the syllables counted
the way Spanish spells them (no dictionary), so the kiosk's catalogue can be checked in a test.

Fernández Huerta, J. (1959), «Medidas sencillas de lecturabilidad», *Consigna* 214: 29-32,
adapted Flesch's Reading Ease to Spanish. It is often quoted as 206.84 − 0.60·P − 1.02·F with
F the *sentences per 100 words*, which makes shorter sentences read harder; Gwillim Law showed
the transcription error (LINGUIST List 22.2332, 2011). The corrected formula, used here:

    L = 206.84 − 0.60·P − 1.02·F
    P = syllables per 100 words,  F = words per sentence

90-100 very easy, 80-90 easy, 70-80 fairly easy (sixth grade), 60-70 normal for an adult.

Syllables: each group of vowels is one syllable (a diphthong or triphthong), split where two
strong vowels (a, e, o) meet or an accented í/ú stands beside another vowel (hiatus: «pa-ís»,
«le-er»); the «u» of «que», «qui», «gue», «gui» is silent; a final «y» after a vowel («hoy»,
«muy») closes the syllable, «y» alone is one. A number or a placeholder (%1) counts as two.
Written «h» between vowels separates them, as spelling does («a-hí», «pro-hi-bir»).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

STRONG = set("aeoáéó")
ACCENTED_WEAK = set("íú")
VOWELS = STRONG | ACCENTED_WEAK | set("iuü")
NUMBER_SYLLABLES = 2
_WORD = re.compile(r"%\d|[\w@.\-]+")
_SENTENCE_END = re.compile(r"[.!?…;]+(?=\s|$|[»)\"])")


@dataclass(frozen=True)
class Reading:
    words: int
    sentences: int
    syllables: int

    @property
    def score(self) -> float:
        """Fernández-Huerta's L (corrected); 0 words score 0."""
        if not self.words:
            return 0.0
        per_100_words = 100 * self.syllables / self.words
        words_per_sentence = self.words / self.sentences
        return 206.84 - 0.60 * per_100_words - 1.02 * words_per_sentence


def words(text: str) -> list[str]:
    """The words of ``text``: letters or digits, with an e-mail or «1.5» kept whole."""
    found = []
    for token in _WORD.findall(text):
        token = token.strip(".-")
        if token and any(ch.isalnum() for ch in token):
            found.append(token)
    return found


def sentences(text: str) -> int:
    """Sentences end in . ! ? … or ; before a space or the end; a text without one is one."""
    body = text.strip()
    if not body:
        return 0
    ends = len(_SENTENCE_END.findall(body))
    return ends + (0 if _SENTENCE_END.search(body[-1:] + " ") else 1)


def syllables(word: str) -> int:
    """Syllables of one Spanish word (at least one)."""
    if word.startswith("%") or any(ch.isdigit() for ch in word):
        return NUMBER_SYLLABLES
    letters = word.casefold()
    letters = re.sub(r"(?<=[qg])u(?=[eiéí])", "", letters)  # que, gui: the u is not heard
    if letters == "y":
        return 1
    letters = re.sub(r"(?<=[aeiouáéíóú])y$", "i", letters)  # hoy, muy: a weak vowel
    count = 0
    previous = ""
    for ch in letters:
        if ch not in VOWELS:
            previous = ""
            continue
        if not previous or _hiatus(previous, ch):
            count += 1
        previous = ch
    return max(1, count)


def _hiatus(first: str, second: str) -> bool:
    if first in STRONG and second in STRONG:
        return True
    if first in ACCENTED_WEAK and second in STRONG or second in ACCENTED_WEAK and first in STRONG:
        return True
    return first == second  # chiita, duunviro


def reading(text: str) -> Reading:
    found = words(text)
    return Reading(len(found), max(1, sentences(text)), sum(syllables(word) for word in found))


def fernandez_huerta(text: str) -> float:
    return reading(text).score
