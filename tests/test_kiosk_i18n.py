"""The kiosk in other languages: our English catalogue is complete and compiled, it switches a
real kiosk window, an office's file in ``idiomas/`` is found, and a damaged or hostile file is
refused in Spanish with the kiosk left in Spanish."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("pytestqt", reason="pytest-qt no está instalado")

from PySide6.QtCore import QCoreApplication  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from kiosk import i18n  # noqa: E402
from kiosk.i18n import SPANISH, LanguageRefused, available_languages, use_language  # noqa: E402
from tests.kiosk_citizen import Kiosk  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
I18N = ROOT / "resources" / "i18n"
TOOLS = Path(sys.executable).parent
PLACEHOLDER = re.compile(r"%(?:[1-9]|n)")


def messages(ts: Path) -> list[tuple[str, str, ElementTree.Element]]:
    return [
        (context.findtext("name", ""), message.findtext("source", ""), message)
        for context in ElementTree.parse(ts).getroot().iter("context")
        for message in context.iter("message")
    ]


def compile_ts(ts: Path, qm: Path) -> None:
    subprocess.run([str(TOOLS / "pyside6-lrelease"), str(ts), "-qm", str(qm)], check=True,
                   capture_output=True)  # fmt: skip


def office_ts(path: Path, language: str, translations: dict[tuple[str, str], str]) -> Path:
    """A small catalogue as an office's translator would make it with Qt Linguist."""
    body = "".join(
        f"<context><name>{context}</name><message><source>{source}</source>"
        f"<translation>{translated}</translation></message></context>"
        for (context, source), translated in translations.items()
    )
    head = '<?xml version="1.0" encoding="utf-8"?><!DOCTYPE TS><TS version="2.1"'
    path.write_text(f'{head} language="{language}" sourcelanguage="es_MX">{body}</TS>', "utf-8")
    return path


@pytest.fixture
def app(qapp: QApplication) -> Iterator[QApplication]:
    yield qapp
    use_language(qapp, SPANISH)  # the next test starts in Spanish


# -- our catalogue ------------------------------------------------------------------------


def test_every_text_a_citizen_sees_has_a_finished_english_translation() -> None:
    found = messages(I18N / "kiosk_en.ts")
    assert len(found) > 150
    for context, source, message in found:
        translation = message.find("translation")
        assert translation is not None and translation.get("type") is None, (context, source)
        forms = [form.text or "" for form in translation.iter("numerusform")] or [
            translation.text or ""
        ]
        for text in forms:
            assert text.strip(), (context, source)
            assert sorted(PLACEHOLDER.findall(text)) == sorted(PLACEHOLDER.findall(source)), (
                f"{context}: «{source}» → «{text}» lost or added a %1"
            )


def test_the_catalogue_holds_every_text_of_the_code(tmp_path: Path) -> None:
    """lupdate over the citizen's modules finds nothing the .ts lacks (a new tr() without its
    English fails here: run ``python -m kiosk.i18n`` and translate it)."""
    copy = tmp_path / "kiosk_en.ts"
    shutil.copy(I18N / "kiosk_en.ts", copy)
    sources = [str(path) for path in i18n.catalogue_modules(ROOT)]
    subprocess.run([str(TOOLS / "pyside6-lupdate"), "-locations", "none", "-no-obsolete",
                    *sources, "-ts", str(copy)], check=True, capture_output=True)  # fmt: skip
    ours = {(context, source) for context, source, _ in messages(I18N / "kiosk_en.ts")}
    now = {(context, source) for context, source, _ in messages(copy)}
    assert now - ours == set(), "texts in the code missing from resources/i18n/kiosk_en.ts"
    assert ours - now == set(), "texts in resources/i18n/kiosk_en.ts no longer in the code"


def test_the_committed_qm_is_the_compiled_ts(tmp_path: Path) -> None:
    compiled = tmp_path / "kiosk_en.qm"
    compile_ts(I18N / "kiosk_en.ts", compiled)
    assert compiled.read_bytes() == (I18N / "kiosk_en.qm").read_bytes()


# -- finding languages --------------------------------------------------------------------


def test_spanish_and_english_are_offered_each_by_its_own_name(app, data_dir: Path) -> None:  # type: ignore[no-untyped-def]
    languages = available_languages(data_dir)
    assert [(language.code, language.name) for language in languages] == [
        ("es_MX", "Español"),
        ("en_US", "English"),
    ]
    assert languages[0].path is None and languages[1].path == I18N / "kiosk_en.qm"


def add_nahuatl(data_dir: Path, tmp_path: Path) -> None:
    """An office's own catalogue, as a local translator would drop it in ``idiomas/``."""
    folder = data_dir / "idiomas"
    folder.mkdir(parents=True)
    ts = office_ts(tmp_path / "kiosk_nah.ts", "nah_MX", {
        ("Idioma", "Español"): "Nāhuatlahtōlli",
        ("WelcomeScreen", "Entregar un escrito"): "Xictemaca moamatl",
    })  # fmt: skip
    compile_ts(ts, folder / "kiosk_nah.qm")


def test_an_office_adds_a_language_by_dropping_its_qm_in_idiomas(
    app, data_dir: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    add_nahuatl(data_dir, tmp_path)
    languages = {language.code: language for language in available_languages(data_dir)}
    assert languages["nah_MX"].name == "Nāhuatlahtōlli"
    assert languages["nah_MX"].path == data_dir / "idiomas" / "kiosk_nah.qm"
    use_language(app, languages["nah_MX"])
    assert QCoreApplication.translate("WelcomeScreen", "Entregar un escrito") == "Xictemaca moamatl"
    # What the office did not translate stays in Spanish, not empty.
    assert QCoreApplication.translate("WelcomeScreen", "Consultar un trámite") == (
        "Consultar un trámite"
    )


def test_an_offices_english_replaces_ours(app, data_dir: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder = data_dir / "idiomas"
    folder.mkdir(parents=True)
    ts = office_ts(tmp_path / "kiosk_en.ts", "en_US", {("Idioma", "Español"): "English (US)"})
    compile_ts(ts, folder / "kiosk_en.qm")
    english = [language for language in available_languages(data_dir) if language.code == "en_US"]
    assert [(language.name, language.path) for language in english] == [
        ("English (US)", folder / "kiosk_en.qm")
    ]


# -- refusing a bad file ------------------------------------------------------------------


def test_a_damaged_qm_is_refused_in_spanish_and_the_kiosk_stays_in_spanish(
    app, data_dir: Path
) -> None:  # type: ignore[no-untyped-def]
    folder = data_dir / "idiomas"
    folder.mkdir(parents=True)
    damaged = folder / "kiosk_fr.qm"
    damaged.write_bytes((I18N / "kiosk_en.qm").read_bytes()[:40] + b"\x00garbage" * 50)
    assert [language.code for language in available_languages(data_dir)] == ["es_MX", "en_US"]
    with pytest.raises(LanguageRefused) as refused:
        i18n.read_language(damaged)
    assert refused.value.message == (
        "El archivo de idioma kiosk_fr.qm está dañado o no es un catálogo de Qt (.qm). El quiosco "
        "no lo usa y sigue en español; pida a quien lo tradujo un archivo nuevo."
    )
    english = available_languages(data_dir)[1]
    use_language(app, english)
    with pytest.raises(LanguageRefused):
        use_language(app, i18n.Language("fr_FR", "Français", damaged))
    assert QCoreApplication.translate("WelcomeScreen", "Entregar un escrito") == (
        "Entregar un escrito"
    )
    assert i18n.current_code(app) == "es_MX"


@pytest.mark.parametrize(
    ("translated", "why"),
    [
        ('<img src="/etc/passwd">Step %1 of %2', "tiene marcas como <…>"),
        ("Paso de %2", "cambia los datos %1, %2…"),
    ],
)
def test_a_hostile_translation_is_refused(
    app, data_dir: Path, tmp_path: Path, translated: str, why: str
) -> None:  # type: ignore[no-untyped-def]
    folder = data_dir / "idiomas"
    folder.mkdir(parents=True)
    ts = office_ts(tmp_path / "kiosk_xx.ts", "de_DE", {
        ("Idioma", "Español"): "Deutsch",
        ("KioskWindow", "Paso %1 de %2"): translated.replace("<", "&lt;").replace(">", "&gt;"),
    })  # fmt: skip
    compile_ts(ts, folder / "kiosk_de.qm")
    assert "de_DE" not in {language.code for language in available_languages(data_dir)}
    with pytest.raises(LanguageRefused) as refused:
        i18n.read_language(folder / "kiosk_de.qm")
    assert why in refused.value.message and "sigue en español" in refused.value.message


# -- a real kiosk -------------------------------------------------------------------------


def test_a_kiosk_window_built_after_use_language_speaks_english(
    app, open_kiosk, data_dir: Path
) -> None:  # type: ignore[no-untyped-def]
    english = available_languages(data_dir)[1]
    use_language(app, english)
    kiosk: Kiosk = open_kiosk()
    citizen = kiosk.citizen
    assert citizen.sees_button("Hand in a document")
    assert citizen.sees_button("Check on a request")
    assert not citizen.sees_button("Entregar un escrito")
    citizen.tap("Hand in a document")
    citizen.qtbot.waitUntil(lambda: citizen.sees_button("I accept and continue"))
    assert citizen.sees_button("Back") and citizen.sees_button("Cancel")
    assert citizen.sees("Step 1 of 6")
    # A refusal made in the Qt-free session reaches the screen in English too.
    citizen.tap("I accept and continue")
    citizen.qtbot.waitUntil(lambda: citizen.sees_button("Continue"))
    citizen.tap("Continue")
    assert citizen.sees("Your name is missing. Type your full name.")


def test_back_in_spanish_a_new_window_is_spanish_again(app, open_kiosk, data_dir: Path) -> None:  # type: ignore[no-untyped-def]
    use_language(app, available_languages(data_dir)[1])
    use_language(app, SPANISH)
    kiosk: Kiosk = open_kiosk()
    assert kiosk.citizen.sees_button("Entregar un escrito")
    assert QCoreApplication.translate("QPlatformTheme", "Cancel") == "Cancelar"  # Qt's own too
