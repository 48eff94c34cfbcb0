"""Words that are easy to hear: what a screen shows, turned into what the spoken guide says
(``kiosk.guide``). A folio is spelled out group by group, a typed character is said by its name
(«eñe», «espacio») where the voice would mumble or skip it, and the parts of a screen are joined
into sentences so the voice pauses between them.

Kept apart from ``kiosk.speech`` so the screens can prepare their words without importing Qt's
speech module; the names of characters go through the catalogue like every other text.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication


def sentences(*parts: str) -> str:
    """The parts one after another, each ending in a full stop so the voice pauses between
    them; empty parts are left out."""
    said = []
    for part in parts:
        part = " ".join(part.split())
        if part:
            said.append(part if part[-1] in ".?!:;…" else f"{part}.")
    return " ".join(said)


def spelled(code: str) -> str:
    """A folio or a code one character at a time, a pause between its groups:
    "OPM-2026-K07" becomes "O P M, 2 0 2 6, K 0 7", easy to write down as it is heard."""
    groups = [group for group in code.replace(" ", "-").split("-") if group]
    return ", ".join(" ".join(group) for group in groups)


def character_words(character: str) -> str:
    """A typed character as the voice should say it: letters and digits as they are (the voice
    names a lone letter), the ones it would mumble or skip by their name."""
    named = _character_names()
    if character in named:
        return named[character]
    if character.isupper() and character.lower() in named:
        return named[character.lower()]
    return character


def _character_names() -> dict[str, str]:
    # Made at each call: through the catalogue, so they follow the language shown. Each call
    # spelled out in full: lupdate reads the context from the call itself.
    return {
        " ": QCoreApplication.translate("SpokenCharacters", "espacio"),
        "ñ": QCoreApplication.translate("SpokenCharacters", "eñe"),
        "á": QCoreApplication.translate("SpokenCharacters", "a con acento"),
        "é": QCoreApplication.translate("SpokenCharacters", "e con acento"),
        "í": QCoreApplication.translate("SpokenCharacters", "i con acento"),
        "ó": QCoreApplication.translate("SpokenCharacters", "o con acento"),
        "ú": QCoreApplication.translate("SpokenCharacters", "u con acento"),
        "ü": QCoreApplication.translate("SpokenCharacters", "u con diéresis"),
        "y": QCoreApplication.translate("SpokenCharacters", "ye"),
        "w": QCoreApplication.translate("SpokenCharacters", "doble u"),
        ".": QCoreApplication.translate("SpokenCharacters", "punto"),
        ",": QCoreApplication.translate("SpokenCharacters", "coma"),
        "@": QCoreApplication.translate("SpokenCharacters", "arroba"),
        "-": QCoreApplication.translate("SpokenCharacters", "guion"),
        "_": QCoreApplication.translate("SpokenCharacters", "guion bajo"),
        "/": QCoreApplication.translate("SpokenCharacters", "diagonal"),
        "#": QCoreApplication.translate("SpokenCharacters", "número"),
        "&": QCoreApplication.translate("SpokenCharacters", "y"),
        "+": QCoreApplication.translate("SpokenCharacters", "más"),
        "'": QCoreApplication.translate("SpokenCharacters", "apóstrofo"),
        "(": QCoreApplication.translate("SpokenCharacters", "abre paréntesis"),
        ")": QCoreApplication.translate("SpokenCharacters", "cierra paréntesis"),
    }
