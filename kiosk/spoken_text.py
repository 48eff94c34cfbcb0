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
    # Made at each call: through the catalogue, so they follow the language shown.
    def tr(text: str) -> str:
        return QCoreApplication.translate("SpokenCharacters", text)

    return {
        " ": tr("espacio"),
        "ñ": tr("eñe"),
        "á": tr("a con acento"),
        "é": tr("e con acento"),
        "í": tr("i con acento"),
        "ó": tr("o con acento"),
        "ú": tr("u con acento"),
        "ü": tr("u con diéresis"),
        "y": tr("ye"),
        "w": tr("doble u"),
        ".": tr("punto"),
        ",": tr("coma"),
        "@": tr("arroba"),
        "-": tr("guion"),
        "_": tr("guion bajo"),
        "/": tr("diagonal"),
        "#": tr("número"),
        "&": tr("y"),
        "+": tr("más"),
        "'": tr("apóstrofo"),
        "(": tr("abre paréntesis"),
        ")": tr("cierra paréntesis"),
    }
