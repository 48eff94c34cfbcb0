"""Plain language over the kiosk's whole catalogue (issue 14, item 5), and the readability
measure it uses (``kiosk.readability``) checked against words and texts counted by hand.

The rules, for every Spanish source text in ``resources/i18n/kiosk_en.ts`` (what lupdate found
in the citizen's screens and in the messages the Qt-free side makes for them):

- at most 25 words, a button's word as much as a message;
- a text of 8 words or more is a message, and reads at Fernández-Huerta 70 or more. Under 8
  words the score says nothing: the formula weighs syllables per word against words per
  sentence, so a 1-3 word label («Digitalizar», «Correo electrónico») scores by the length of
  one word alone (a label of one five-syllable word scores -97), and a short imperative like
  «Escriba su nombre completo.» scores 68 while nobody finds it hard. Labels are kept short
  by the 25-word rule and by review instead;
- a message says what to do next: it holds an instruction (a verb telling the citizen what to
  do, or «puede…»), unless it is in ``INFORMS``, the few that only explain something, each with
  why. A message about a problem (the refusals and faults made outside the screens) also says
  what happened: one of its parts (between . ; :) states a fact and tells nothing to do.
  Whether the fact is the right one is for review; the test catches the bare order.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest

from kiosk.readability import fernandez_huerta, reading, sentences, syllables, words

CATALOGUE = Path(__file__).resolve().parents[1] / "resources" / "i18n" / "kiosk_en.ts"
MAX_WORDS = 25
MESSAGE_WORDS = 8
MIN_SCORE = 70.0
INSTRUCTION = re.compile(
    r"\b(toque|léalo|revise|revísel[ao]|escriba|escríbalo|ponga|coloque|colóquela|use|pida|"
    r"entregue|"
    r"entréguelo|vuelva|espere|elija|anote|fotografíe|puede|pruebe|inténtelo|cópiela|déjel[ao]|"
    r"ciérrela|sáquela|acérquela|acerque|siga|lea|tome|tómele|cambie)\b",
    re.IGNORECASE,
)
INFORMS = {
    "La CURP tiene 18 letras y números. El último es un número que comprueba que está bien "
    "escrita.": "the hint under the CURP box: its box is the thing to do",
    "Su CURP (si la tiene a la mano)": "a box's placeholder: typing in it is the thing to do",
    "Si no toca la pantalla, en %1 segundos se borrará lo que escribió y el quiosco volverá al "
    "inicio.": "the idle warning's countdown, right under its one button «Sí, continuar»",
    "Este quiosco aún no se ha sincronizado con el sistema de la oficina.": "a note on the "
    "lookup result; the screen's button «Terminar» is the next step",
    "No lo sabe: la Oficialía lo enviará al área que corresponde": "the review screen's value "
    "for the area: it tells what will happen, nothing is asked",
}
PROBLEM_CONTEXTS = {"KioskSession", "ScannerOps", "PageCrop", "DocumentCamera", "FilingLookup",
                    "KioskDesk", "TicketPrinter"}  # fmt: skip
"""Where the refusals and faults of the Qt-free side live (``kiosk.wording``)."""


def catalogue() -> list[tuple[str, str]]:
    root = ElementTree.parse(CATALOGUE).getroot()
    return [
        (context.findtext("name", ""), message.findtext("source", ""))
        for context in root.iter("context")
        for message in context.iter("message")
    ]


# -- the measure --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("word", "count"),
    [
        ("escrito", 3), ("computadora", 5), ("oficialía", 5), ("ciudadano", 4), ("aéreo", 4),
        ("país", 2), ("huevo", 2), ("buey", 1), ("guerra", 2), ("pingüino", 3), ("quiosco", 2),
        ("leer", 2), ("baúl", 2), ("hoy", 1), ("y", 1), ("ayuda", 3), ("continúe", 4),
        ("averigüéis", 4), ("río", 2), ("teléfono", 4), ("CURP", 1), ("trámite", 3),
        ("quién", 1), ("guion", 1), ("murciélago", 4), ("ahí", 2), ("prohibir", 3),
        ("fotografíe", 5), ("Digitalizar", 5), ("%1", 2), ("10", 2),
    ],
)  # fmt: skip
def test_spanish_syllables_are_counted_as_spelled(word: str, count: int) -> None:
    assert syllables(word) == count


def test_words_and_sentences() -> None:
    text = "El correo debe ser como nombre@correo.com. ¿Es correcto? Toque «Sí»: siga."
    assert words(text)[4:6] == ["como", "nombre@correo.com"]
    assert sentences(text) == 3
    assert sentences("Sin punto final") == 1
    assert sentences("") == 0


def test_the_corrected_fernandez_huerta_formula() -> None:
    # «El gato come.»: 3 words, 5 syllables, 1 sentence:
    # 206.84 - 0.60 * (100 * 5 / 3) - 1.02 * 3 = 103.78
    assert fernandez_huerta("El gato come.") == pytest.approx(103.78)
    # Longer sentences read harder (the uncorrected formula said the opposite).
    one = "El gato come pan y el perro come sopa y la niña come fruta."
    three = "El gato come pan. El perro come sopa. La niña come fruta."
    assert fernandez_huerta(three) > fernandez_huerta(one)
    # Longer words read harder.
    assert fernandez_huerta("La documentación administrativa necesaria.") < 40
    assert reading("").score == 0.0


# -- the catalogue ------------------------------------------------------------------------


def test_the_catalogue_is_there() -> None:
    assert len(catalogue()) > 150


@pytest.mark.parametrize(("context", "source"), catalogue())
def test_every_text_is_short(context: str, source: str) -> None:
    assert len(words(source)) <= MAX_WORDS, f"{context}: {len(words(source))} words: «{source}»"


@pytest.mark.parametrize(
    ("context", "source"),
    [(c, s) for c, s in catalogue() if len(words(s)) >= MESSAGE_WORDS],
)
def test_every_message_reads_easily_and_says_what_to_do(context: str, source: str) -> None:
    score = fernandez_huerta(source)
    assert score >= MIN_SCORE, f"{context}: Fernández-Huerta {score:.1f} < 70: «{source}»"
    if source in INFORMS:
        return
    found = INSTRUCTION.search(source)
    assert found, f"{context}: no next step in «{source}»"
    if context in PROBLEM_CONTEXTS:
        assert _states_a_fact(source), f"{context}: «{source}» says what to do, not what happened"


def _states_a_fact(source: str) -> bool:
    """A part of the message (between . ; :) holds no instruction: it says what happened."""
    parts = [part for part in re.split(r"[.;:]\s*", source) if part.strip()]
    return any(not INSTRUCTION.search(part) for part in parts)


def test_the_informing_texts_are_still_in_the_catalogue() -> None:
    """``INFORMS`` names only texts the kiosk still shows (a stale exemption hides nothing)."""
    sources = {source for _, source in catalogue()}
    assert set(INFORMS) <= sources


def test_the_checks_catch_a_bad_message() -> None:
    bad = ("La documentación presentada presenta inconsistencias administrativas relacionadas "
           "con la identificación correspondiente del solicitante.")  # fmt: skip
    assert fernandez_huerta(bad) < MIN_SCORE
    assert not INSTRUCTION.search(bad)
