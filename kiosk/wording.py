"""Citizen messages made where there is no Qt (the session, the desk, the lookup, the camera's
crop): marked for Qt's catalogue here and translated where a screen shows them.

``QT_TRANSLATE_NOOP`` carries Qt's name because ``pyside6-lupdate`` collects the texts of calls
by that name; unlike Qt's macro it keeps the context beside the text, so the screen that shows
the message can look it up in the citizen's language (``kiosk.i18n.citizen_text``). Arguments
fill ``%1``, ``%2``… after translation, as the Qt screens do with ``tr(...).replace("%1", …)``:
a translator may move them in the sentence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mailroom.errors import InvalidInput

_PLACEHOLDER = re.compile(r"%([1-9])")


@dataclass(frozen=True)
class Wording:
    """A message in the catalogue: its context, its Spanish source, the values of its ``%n``."""

    context: str
    source: str
    arguments: tuple[str, ...] = ()

    def filled(self, *arguments: object) -> Wording:
        return Wording(self.context, self.source, tuple(str(value) for value in arguments))

    def spanish(self) -> str:
        return fill(self.source, self.arguments)

    def __str__(self) -> str:
        return self.spanish()


def QT_TRANSLATE_NOOP(context: str, source: str) -> Wording:  # noqa: N802 - lupdate's name
    return Wording(context, source)


def fill(template: str, arguments: tuple[str, ...]) -> str:
    """``%1``… replaced by ``arguments`` in one pass (a value holding «%2» stays as it is)."""

    def value(match: re.Match[str]) -> str:
        index = int(match.group(1)) - 1
        return arguments[index] if index < len(arguments) else match.group(0)

    return _PLACEHOLDER.sub(value, template)


def refusal(wording: Wording, field: str) -> InvalidInput:
    """``InvalidInput`` in Spanish (logs, the clerk's tools) that a screen can translate."""
    return InvalidInput(wording.spanish(), field=field, wording=wording)
