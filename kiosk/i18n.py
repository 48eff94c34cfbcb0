"""The kiosk in the citizen's language: Spanish (Mexico), the source every text is written in,
and each language whose compiled Qt catalogue (``kiosk_<code>.qm``) ships in ``resources/i18n``
or sits in the data folder's ``idiomas/`` (an office's own file wins over ours). Adding a
language is adding a file: see ``resources/i18n/README.md``.

A catalogue names its language twice, both from inside the file: its code (``<TS language>``,
which ``QTranslator.language()`` returns) and its name in itself, the translation of the source
«Español» in the ``Idioma`` context (English says "English"), which the welcome screen's button
shows. A file from outside is checked before any citizen sees it: Qt must accept it, it must
not be large, and every translation it has must keep the source's ``%1``… and carry no markup
(a label shows rich text as such: an ``<img>`` in a translation would draw a file of the
machine). One that fails is refused with a Spanish message and the kiosk stays in Spanish.

Qt's own texts follow too: for Spanish, mailroom's es_MX catalogues (``mailroom.ui.i18n``); for
another language, ``qtbase_<lang>.qm`` from PySide6's translations folder where Qt has one.
"""

from __future__ import annotations

import logging
import re
import sys
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

from kiosk.wording import QT_TRANSLATE_NOOP, Wording, fill
from mailroom.errors import ConfigError, OficialiaError
from mailroom.resources import resource_dir
from mailroom.ui.i18n import install_translations, remove_translations

log = logging.getLogger(__name__)

OFFICE_FOLDER = "idiomas"
PREFIX = "kiosk_"
REFERENCE = "kiosk_en.ts"
"""Our English catalogue: its source texts are the kiosk's whole catalogue (checks, tests)."""
MAX_CATALOGUE_BYTES = 2 * 1024 * 1024
"""Ours is a few dozen kB; a file far larger is not a kiosk catalogue."""
SOURCE_CODE = "es_MX"
#: Translators: the name of YOUR language, written in it ("English", "Maya t'aan").
NAME_SOURCE = QT_TRANSLATE_NOOP("Idioma", "Español")
"""Translated, the language's own name: each catalogue says it in its language."""
_PROPERTY = "quiosco_idioma"
_MARKUP = re.compile(r"<\s*/?\s*[A-Za-z!?]")
_PLACEHOLDER = re.compile(r"%[1-9]")


class LanguageRefused(ConfigError):
    """A language file the kiosk does not use; the message says which and why, in Spanish."""

    code = "idioma_rechazado"


@dataclass(frozen=True)
class Language:
    code: str
    """A locale name: «es_MX», «en_US», «nah_MX» (the keyboard's and the voice's too)."""
    name: str
    """The language's name in itself, for its button: «Español», «English»."""
    path: Path | None = None
    """Its compiled catalogue; ``None`` for Spanish, the source language."""


SPANISH = Language(SOURCE_CODE, NAME_SOURCE.source)


def shipped_dir() -> Path:
    """``resources/i18n`` (see :mod:`mailroom.resources`)."""
    return resource_dir("i18n")


def available_languages(data_dir: Path) -> list[Language]:
    """Spanish first, then every usable catalogue by its name; the office's file for a code
    replaces ours. A file refused is left out and logged (the admin reads why there)."""
    found: dict[str, Language] = {}
    for folder in (shipped_dir(), data_dir / OFFICE_FOLDER):  # the office's last: it wins
        for path in _catalogue_files(folder):
            try:
                language = read_language(path)
            except LanguageRefused as error:
                log.warning("%s", error.message)
                continue
            if language.code.split("_")[0] != "es":
                found[language.code] = language
    return [SPANISH, *sorted(found.values(), key=lambda language: language.name.casefold())]


def read_language(path: Path) -> Language:
    """The language of a ``kiosk_*.qm``, checked; ``LanguageRefused`` when it cannot be used."""
    translator = _checked_translator(path)
    code = translator.language() or path.stem.removeprefix(PREFIX)
    name = translator.translate(NAME_SOURCE.context, NAME_SOURCE.source) or code
    return Language(code.replace("-", "_"), name.strip() or code, path)


def use_language(app: QCoreApplication, language: Language) -> None:
    """Texts made from now on are in ``language`` (Qt's own ones too); screens already built
    keep theirs until rebuilt. A file refused raises ``LanguageRefused`` with the kiosk back in
    Spanish."""
    for translator in app.findChildren(QTranslator):
        if translator.objectName().startswith(_PROPERTY):
            app.removeTranslator(translator)
            translator.deleteLater()
    if language.path is None:
        _spanish(app)
        return
    try:
        translator = _checked_translator(language.path)
    except LanguageRefused:
        _spanish(app)
        raise
    remove_translations(app)  # Qt's Spanish: Qt's texts in the new language, or Qt's English
    locale = QLocale(language.code)
    qt_own = QTranslator(app)
    qt_own.setObjectName(f"{_PROPERTY}:qtbase")
    folder = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    if qt_own.load(locale, "qtbase", "_", folder):
        app.installTranslator(qt_own)
    else:
        qt_own.deleteLater()
    translator.setParent(app)
    translator.setObjectName(f"{_PROPERTY}:{language.code}")
    app.installTranslator(translator)  # installed last: asked first
    QLocale.setDefault(locale)
    app.setProperty(_PROPERTY, language.code)


def current_code(app: QCoreApplication | None = None) -> str:
    """The code of the language in use (Spanish's until ``use_language`` says otherwise);
    ``app`` defaults to the running application."""
    app = app or QCoreApplication.instance()
    return str(app.property(_PROPERTY) or SOURCE_CODE) if app is not None else SOURCE_CODE


def citizen_text(message: Wording | OficialiaError | str) -> str:
    """A message from the Qt-free side (``kiosk.wording``) in the language in use; a plain
    string or an error without a wording is shown as it came."""
    if isinstance(message, OficialiaError):
        wording = message.details.get("wording")
        if not isinstance(wording, Wording):
            return message.message
        message = wording
    if isinstance(message, str):
        return message
    template = QCoreApplication.translate(message.context, message.source)
    return fill(template, message.arguments)


# -- checking a catalogue -------------------------------------------------------------------


def _catalogue_files(folder: Path) -> Iterator[Path]:
    if folder.is_dir():
        yield from sorted(path for path in folder.glob(f"{PREFIX}*.qm") if path.is_file())


def _checked_translator(path: Path) -> QTranslator:
    name = path.name
    try:
        size = path.stat().st_size
    except OSError as error:
        raise _refused(name, "no se pudo leer") from error
    if size > MAX_CATALOGUE_BYTES:
        raise _refused(name, "es demasiado grande para ser un catálogo del quiosco")
    translator = QTranslator()
    # Qt reads the whole file now: the translator checked below is the one that gets used.
    if not translator.load(str(path)):
        raise _refused(name, "está dañado o no es un catálogo de Qt (.qm)")
    for context, source in catalogue():
        translated = translator.translate(context, source)
        if not translated:
            continue  # untranslated: the citizen reads the Spanish source
        if sorted(_PLACEHOLDER.findall(translated)) != sorted(_PLACEHOLDER.findall(source)):
            raise _refused(name, f"cambia los datos %1, %2… del texto «{source}»")
        if _MARKUP.search(translated) and not _MARKUP.search(source):
            raise _refused(name, f"tiene marcas como <…> en la traducción de «{source}»")
    return translator


def _refused(name: str, why: str) -> LanguageRefused:
    return LanguageRefused(
        f"El archivo de idioma {name} {why}. El quiosco no lo usa y sigue en español; "
        "pida a quien lo tradujo un archivo nuevo.",
        archivo=name,
    )


@cache
def catalogue() -> tuple[tuple[str, str], ...]:
    """Every (context, source) the kiosk can show, from our English ``.ts``."""
    tree = ElementTree.parse(shipped_dir() / REFERENCE)
    return tuple(
        (context.findtext("name", ""), message.findtext("source", ""))
        for context in tree.getroot().iter("context")
        for message in context.iter("message")
    )


def _spanish(app: QCoreApplication) -> None:
    install_translations(app)  # Qt's es_MX catalogues again (it does nothing when already in)
    QLocale.setDefault(QLocale(QLocale.Language.Spanish, QLocale.Country.Mexico))
    app.setProperty(_PROPERTY, SOURCE_CODE)


# -- keeping the catalogue (developers: ``python -m kiosk.i18n``) --------------------------

STAFF_MODULES = frozenset({"admin_screen.py", "admin_pin.py", "screenshots.py", "audit.py"})
"""Staff's screens and tools: in Spanish whatever the citizen's language, so not translated."""


def catalogue_modules(root: Path) -> list[Path]:
    """The modules whose texts a citizen can see: every kiosk module but staff's."""
    kiosk = root / "kiosk"
    found = [*kiosk.glob("*.py"), *(kiosk / "screens").glob("*.py")]
    return sorted(path for path in found if path.name not in STAFF_MODULES)


def update_catalogues(root: Path) -> None:
    """``pyside6-lupdate`` over the citizen's modules into every ``.ts`` of ``resources/i18n``
    (new texts arrive unfinished, vanished ones become obsolete), then ``pyside6-lrelease``."""
    import subprocess

    tools = Path(sys.executable).parent
    sources = [str(path.relative_to(root)) for path in catalogue_modules(root)]
    for ts in sorted((root / "resources" / "i18n").glob(f"{PREFIX}*.ts")):
        relative = str(ts.relative_to(root))
        lupdate = [str(tools / "pyside6-lupdate"), "-locations", "none", "-no-obsolete"]
        subprocess.run([*lupdate, *sources, "-ts", relative], cwd=root, check=True)
        subprocess.run([str(tools / "pyside6-lrelease"), relative], cwd=root, check=True)


if __name__ == "__main__":
    update_catalogues(Path(__file__).resolve().parents[1])
