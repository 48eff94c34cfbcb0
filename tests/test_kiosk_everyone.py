"""The kiosk for everyone, proved the way a citizen meets it: the scripted citizen files an escrito
in 12 taps or fewer (typing apart) in Spanish, in English, with large text and with high
contrast, and once more with the voice on, where a recording speaker hears every screen's
heading and a touch silences it.

The citizen reads the screen in its language: the Spanish words of the script are looked up in
the kiosk's own catalogue (``kiosk.screenshots.translated``), as a person reads the buttons.
"""

from __future__ import annotations

import pytest

pytest.importorskip("pytestqt", reason="pytest-qt no está instalado")

from PySide6.QtCore import Qt  # noqa: E402

from kiosk.screenshots import translated  # noqa: E402
from kiosk.session import Screen  # noqa: E402
from kiosk.speech import RecordingSpeaker  # noqa: E402
from tests.kiosk_citizen import (  # noqa: E402
    GOOD_CURP,
    WAIT_MS,
    Kiosk,
    scan,
    walk_to_document,
)
from tests.sane_env import use_sane_test_backend  # noqa: E402

MAX_TAPS = 12


@pytest.fixture(scope="module", autouse=True)
def _sane(tmp_path_factory: pytest.TempPathFactory) -> None:
    use_sane_test_backend(tmp_path_factory)


class Visit:
    """One citizen's taps, in the language on the screen; with the voice on, each button is
    touched twice (the first touch says what it does)."""

    def __init__(self, kiosk: Kiosk, speaker: RecordingSpeaker | None = None) -> None:
        self.kiosk, self.citizen, self.speaker = kiosk, kiosk.citizen, speaker
        self.twice = speaker is not None
        self.boxes = 0  # taps into a box to type: not counted
        self.headings: list[str] = []

    def tap(self, words: str) -> None:
        for _ in range(2 if self.twice else 1):
            self.citizen.tap(translated(words))

    def type_into(self, name: str, text: str) -> None:
        self.citizen.type_into(translated(name), text)
        self.boxes += 1

    @property
    def taps(self) -> int:
        return self.citizen.taps - self.boxes

    def file(self) -> str:
        """Welcome to the folio. With the voice on, the citizen listens to each screen's
        heading before touching anything (a person does: the next touch would silence it)."""
        window, citizen, speaker = self.kiosk.window, self.citizen, self.speaker

        def arrive(screen: Screen) -> None:
            citizen.wait_for(screen)
            heading = window.screen_widget().question.text()
            self.headings.append(heading)
            if speaker is not None:
                citizen.qtbot.waitUntil(lambda: any(heading in t for t in speaker.texts),
                                        timeout=5_000)  # fmt: skip

        self.tap("Entregar un escrito")
        arrive(Screen.PRIVACY)
        self.tap("Acepto y continúo")
        arrive(Screen.IDENTITY)
        self.type_into("Nombre completo", "Rosalía Ñúñez Quintero")
        self.tap("Continuar")
        arrive(Screen.SUBJECT)
        self.type_into("Asunto", "Solicitud de poda de un árbol")
        self.tap("Continuar")
        self.tap("No sé")
        arrive(Screen.DOCUMENT)
        self.tap("Digitalizar")
        screen, session = window.screen_widget(), self.kiosk.session
        citizen.qtbot.waitUntil(
            lambda: session.answers.pages == 10 and not screen.reading,  # type: ignore[attr-defined]
            timeout=WAIT_MS,
        )
        self.tap("Continuar")
        arrive(Screen.FOJAS)
        self.tap("Sí")
        arrive(Screen.REVIEW)
        self.tap("Registrar")
        arrive(Screen.DONE)
        return window.screen_widget().folio.text()  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("choice", "shown"),
    [
        (None, "Entregar un escrito"),
        ("English", "Hand in a document"),
        ("Letra grande", "Entregar un escrito"),
        ("Alto contraste", "Entregar un escrito"),
    ],
    ids=["español", "english", "letra-grande", "alto-contraste"],
)
def test_an_escrito_in_twelve_taps_whatever_the_citizen_chose(  # type: ignore[no-untyped-def]
    open_kiosk, choice: str | None, shown: str
) -> None:
    kiosk = open_kiosk()
    visit = Visit(kiosk)
    if choice is not None:
        kiosk.citizen.tap(choice)  # one tap, counted
    assert kiosk.citizen.sees_button(shown)

    folio = visit.file()

    print(f"\n{choice or 'Español'}: {visit.taps} taps to file a 10-page escrito")
    assert folio.endswith("-K07-000001")
    assert visit.taps <= MAX_TAPS
    if choice == "English":
        assert kiosk.citizen.sees(translated("Su folio es:"))
    if choice == "Letra grande":
        assert kiosk.window.large_button.isChecked()


def test_with_the_voice_every_heading_is_heard_and_a_touch_silences_it(open_kiosk) -> None:  # type: ignore[no-untyped-def]
    speaker = RecordingSpeaker()
    kiosk = open_kiosk(speaker=speaker)
    citizen = kiosk.citizen
    citizen.tap("Escuchar")
    assert speaker.speaking

    # A touch anywhere that is not a button: the voice stops at once.
    citizen.qtbot.mouseClick(kiosk.window.screen_widget().question, Qt.MouseButton.LeftButton)
    assert not speaker.speaking and speaker.utterances[-1].interrupted

    visit = Visit(kiosk, speaker)
    folio = visit.file()  # it waits to hear each screen's heading before going on

    print(f"\nWith the voice: {citizen.taps} touches to file a 10-page escrito")
    assert folio.endswith("-K07-000001")
    said = " ".join(speaker.texts)
    assert len(visit.headings) == 7
    for heading in visit.headings:
        assert heading in said, f"«{heading}» was not spoken: {speaker.texts}"
    assert "O P M" in said or folio.split("-")[0] in said  # the folio is read at the end


def test_the_curp_is_shown_masked_and_read_aloud_only_when_asked(open_kiosk) -> None:  # type: ignore[no-untyped-def]
    speaker = RecordingSpeaker()
    kiosk = open_kiosk(speaker=speaker)
    citizen = kiosk.citizen
    walk_to_document(kiosk)  # the CURP given: GOOD_CURP
    scan(kiosk)
    citizen.tap("Continuar")
    citizen.wait_for(Screen.FOJAS)
    citizen.tap("Sí")
    citizen.wait_for(Screen.REVIEW)
    assert citizen.sees("HEGT••••••••••••07") and not citizen.sees(GOOD_CURP)
    assert not citizen.sees_button("Oír mi CURP")  # offered only with the voice on

    citizen.tap("Escuchar")
    citizen.qtbot.waitUntil(lambda: any("Revise sus datos" in t for t in speaker.texts))
    review = next(t for t in speaker.texts if "Revise sus datos" in t)
    assert "termina en 0 7" in review and "Rosalía Ñúñez Quintero" in review
    assert "H E G T" not in " ".join(speaker.texts)  # not read unless asked
    citizen.tap("Oír mi CURP")  # first touch: the button says what it does
    assert speaker.texts[-1] == "Oír mi CURP"
    citizen.tap("Oír mi CURP")
    assert speaker.texts[-1] == "Su CURP: " + " ".join(GOOD_CURP)
