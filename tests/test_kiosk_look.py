"""Large text and high contrast at the kiosk, and the audit that measures every screen.

A citizen taps «Letra grande» or «Alto contraste» on any screen and the whole kiosk changes at
once; the wipe puts the normal look back for the next person. The audit walks every screen of a
visit (the demo kiosk, a scripted citizen) in the three looks and measures what is painted:
touch targets, gaps, contrast, capital-letter height, cut texts.
"""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("pytestqt", reason="pytest-qt no está instalado")

from PIL import Image, ImageDraw  # noqa: E402
from PySide6.QtGui import QFontMetricsF  # noqa: E402

from kiosk.audit import MIN_CAP, contrast_ratio, painted_contrast  # noqa: E402
from kiosk.screenshots import FLOW, LANGUAGES, SCREENS, file_name, main, run_audit  # noqa: E402
from kiosk.session import Screen, WipeReason  # noqa: E402
from kiosk.speech import DEFAULT_VOLUME, RecordingSpeaker  # noqa: E402
from kiosk.spoken_text import character_words  # noqa: E402
from kiosk.theme import CONTRAST, LARGE, LOOKS, NORMAL  # noqa: E402
from mailroom.ui.screen_check import cut_texts  # noqa: E402
from tests.kiosk_citizen import walk_to_document  # noqa: E402
from tests.sane_env import use_sane_test_backend  # noqa: E402


@pytest.fixture(scope="module", autouse=True)
def _sane(tmp_path_factory: pytest.TempPathFactory) -> None:
    use_sane_test_backend(tmp_path_factory)


def cap_height(widget) -> float:  # type: ignore[no-untyped-def]
    return QFontMetricsF(widget.font()).capHeight()


def test_large_text_and_high_contrast_one_tap_away_and_the_wipe_undoes_them(open_kiosk) -> None:  # type: ignore[no-untyped-def]
    kiosk = open_kiosk()
    window, citizen = kiosk.window, kiosk.citizen
    walk_to_document(kiosk)  # a screen in the middle of a filing, the name given
    question = window.screen_widget().question
    normal = cap_height(question), cap_height(window.back_button)
    assert cap_height(window.back_button) >= MIN_CAP[False]

    citizen.tap("Letra grande")
    assert window.large_button.isChecked()
    assert cap_height(window.back_button) >= MIN_CAP[True] > normal[1]
    assert cap_height(question) > normal[0]
    assert window.session.screen is Screen.DOCUMENT  # nothing of the visit was lost

    citizen.tap("Alto contraste")
    picture = window.grab().toImage()
    corner = picture.pixelColor(window.width() - 5, window.height() // 2)
    assert corner.name() == "#000000"  # light text on black
    assert window.contrast_button.isChecked() and window.large_button.isChecked()

    citizen.tap("Cancelar")  # the citizen leaves: the wipe
    citizen.wait_for(Screen.WELCOME)
    assert not window.large_button.isChecked() and not window.contrast_button.isChecked()
    assert cap_height(window.back_button) == pytest.approx(normal[1])
    picture = window.grab().toImage()
    assert picture.pixelColor(window.width() - 5, window.height() // 2).name() == "#ffffff"


def test_contrast_is_read_from_painted_colours() -> None:
    grey = Image.new("RGB", (200, 60), "#ffffff")
    ImageDraw.Draw(grey).rectangle((20, 20, 120, 40), fill="#777777")  # a thick "glyph"
    assert painted_contrast(grey) == pytest.approx(4.48, abs=0.01)
    assert painted_contrast(Image.new("RGB", (50, 50), "#000000")) is None  # nothing painted
    edge = Image.new("RGB", (200, 60), "#000000")
    ImageDraw.Draw(edge).rectangle((10, 10, 60, 30), fill="#ffff00")
    edge.putpixel((100, 50), (40, 40, 40))  # a lone anti-aliased pixel is not the text
    assert painted_contrast(edge) == pytest.approx(contrast_ratio((0, 0, 0), (255, 255, 0)))


def test_every_screen_in_every_look_meets_the_goals(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "capturas"

    audits, saved = run_audit(out, tmp_path / "trabajo")

    assert [a.failures() for a in audits if a.failures()] == []
    seen = {(audit.screen, audit.language, audit.look) for audit in audits}
    every = {(screen, language, look.name)
             for screen in FLOW for language in LANGUAGES for look in LOOKS}  # fmt: skip
    assert seen >= every
    # staff's screens: Spanish and the normal look only
    assert len(saved) == len(SCREENS) + (len(LANGUAGES) * len(LOOKS) - 1) * len(FLOW)
    assert (out / f"{file_name('quiosco-revision', LARGE)}.png") in saved
    assert (out / "quiosco-revision-en-contraste.png") in saved
    by_look = {look: [a for a in audits if a.look == look.name and a.screen in FLOW]
               for look in (NORMAL, LARGE, CONTRAST)}  # fmt: skip
    assert min(a.smallest_cap for a in by_look[LARGE]) >= 25
    assert min(a.lowest_contrast for a in by_look[CONTRAST]) >= 15
    assert min(min(a.smallest_target) for a in audits if a.smallest_target != (0, 0)) >= 64
    assert not (tmp_path / "trabajo").exists()


def test_the_screenshots_command_fails_when_a_goal_is_missed(  # type: ignore[no-untyped-def]
    qtbot, tmp_path: Path, capsys, monkeypatch
) -> None:
    import kiosk.audit

    monkeypatch.setitem(kiosk.audit.MIN_CAP, False, 200.0)  # a goal no text meets
    code = main([str(tmp_path / "c"), "--work-dir", str(tmp_path / "w"), "--modo", "normal",
                 "--idioma", "es_MX", "--only", "quiosco-bienvenida"])  # fmt: skip
    captured = capsys.readouterr()
    assert code == 1
    assert "FALLA: mayúscula de" in captured.out
    assert "quiosco-bienvenida (es_MX, normal): mayúscula de" in captured.err


def test_english_is_one_tap_from_the_welcome_and_the_wipe_brings_spanish_back(open_kiosk) -> None:  # type: ignore[no-untyped-def]
    kiosk = open_kiosk()
    window, citizen = kiosk.window, kiosk.citizen

    citizen.tap("English")
    assert citizen.sees_button("Hand in a document") and not citizen.sees_button(
        "Entregar un escrito"
    )
    assert citizen.sees_button("Español")  # the way back, in its own language
    assert character_words("ñ") == "n with tilde"  # the voice spells in English too
    citizen.tap("Hand in a document")
    citizen.wait_for(Screen.PRIVACY)
    assert citizen.sees_button("Back") and citizen.sees_button("Cancel")
    assert window.step.text().startswith("Step 1")

    citizen.tap("Cancel")
    citizen.wait_for(Screen.WELCOME)
    assert citizen.sees_button("Entregar un escrito") and citizen.sees_button("English")
    assert window.back_button.text() == "Atrás"


def test_escuchar_reads_the_screens_and_its_buttons_show_on_every_screen(open_kiosk) -> None:  # type: ignore[no-untyped-def]
    speaker = RecordingSpeaker()
    kiosk = open_kiosk(speaker=speaker)
    window, citizen = kiosk.window, kiosk.citizen
    assert not citizen.sees_button("Repetir")  # silent until asked

    citizen.tap("Escuchar")
    assert window.listen_button.isChecked()
    assert any("Qué desea hacer" in text for text in speaker.texts)  # the welcome, read aloud
    for words in ("Repetir", "Pausa", "Volumen −", "Volumen +"):
        assert citizen.sees_button(words), words  # the welcome has no «Atrás» but has these
    assert not citizen.sees_button("Atrás")
    said = len(speaker.texts)
    citizen.tap("Repetir")  # the guide's own buttons act at the first touch
    assert len(speaker.texts) > said and "Qué desea hacer" in speaker.texts[-1]
    citizen.tap("Pausa")
    assert citizen.sees_button("Seguir")
    citizen.tap("Seguir")
    assert citizen.sees_button("Pausa")

    window.preferences.set_large(True)  # the voice's buttons fit beside «Atrás» in large text
    citizen.qtbot.waitUntil(lambda: cut_texts(window, wrapped=True) == [])
    assert window.width() == 1920 and window.footer.minimumSizeHint().width() <= 1920
    window.preferences.set_large(False)

    citizen.tap("Entregar un escrito")  # first touch: the button says what it is
    assert window.session.screen is Screen.WELCOME
    assert speaker.texts[-1] == "Entregar un escrito"
    citizen.tap("Entregar un escrito")  # second touch: it acts
    citizen.wait_for(Screen.PRIVACY)
    assert citizen.sees_button("Repetir") and citizen.sees_button("Atrás")
    window.preferences.set_large(True)
    citizen.qtbot.waitUntil(lambda: cut_texts(window, wrapped=True) == [])
    assert window.footer.minimumSizeHint().width() <= 1920

    window.wipe(WipeReason.CANCELLED)
    citizen.wait_for(Screen.WELCOME)
    assert not window.listen_button.isChecked() and not citizen.sees_button("Repetir")
    assert speaker.volume == pytest.approx(DEFAULT_VOLUME)


def test_escuchar_without_a_voice_says_so_on_the_screen(open_kiosk) -> None:  # type: ignore[no-untyped-def]
    problem = "La voz no funciona en este quiosco. Si la necesita, pida ayuda al personal."
    kiosk = open_kiosk(speaker=RecordingSpeaker(problem=problem))
    window, citizen = kiosk.window, kiosk.citizen

    citizen.tap("Escuchar")

    assert not window.listen_button.isChecked()
    assert citizen.sees(problem)
    assert not citizen.sees_button("Repetir")
    citizen.tap("Entregar un escrito")  # the kiosk goes on, silent, at the first touch
    citizen.wait_for(Screen.PRIVACY)


def test_an_offices_own_language_is_read_with_the_spanish_voice(  # type: ignore[no-untyped-def]
    open_kiosk, data_dir: Path, tmp_path: Path
) -> None:
    from tests.test_kiosk_i18n import add_nahuatl

    add_nahuatl(data_dir, tmp_path)
    speaker = RecordingSpeaker()
    kiosk = open_kiosk(speaker=speaker)
    citizen = kiosk.citizen
    citizen.tap("Escuchar")

    citizen.tap("Nāhuatlahtōlli")  # first touch: said
    citizen.tap("Nāhuatlahtōlli")  # second: the kiosk in the office's language

    assert citizen.sees_button("Xictemaca moamatl")
    assert speaker.language == "es_MX"  # no voice of ours for it: the Spanish one reads it
    assert kiosk.window.listen_button.isChecked()
    citizen.tap("Xictemaca moamatl")
    assert speaker.texts[-1] == "Xictemaca moamatl"  # its words, in the voice there is
