"""What the clerk does to a scan's pages before registering it: turn, move, drop, add, split, join.

Pure functions on tuples of pages: each returns a new tuple and leaves its input alone, so the
screen can keep the previous tuple for "undo" and no operation can leave a list half-changed.
Positions are 0-based here, as in code; the error messages say page numbers from 1, as the
thumbnails show them. A bad position is a :class:`~mailroom.errors.InvalidInput`, never an
``IndexError``, and Python's negative positions are refused rather than taken from the end.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import TypeVar

from mailroom.capture.cleanup import CleanPage
from mailroom.errors import InvalidInput
from mailroom.ocr.orientation import turned_clockwise

Page = TypeVar("Page")


def rotate(pages: Sequence[CleanPage], index: int, degrees: int) -> tuple[CleanPage, ...]:
    """Turn one page clockwise by ``degrees`` (a multiple of 90; negative turns anticlockwise)."""
    _check_position(pages, index)
    if isinstance(degrees, bool) or not isinstance(degrees, int) or degrees % 90:
        raise InvalidInput(
            f"Las páginas se giran de 90 en 90 grados, no {degrees}.", field="degrees"
        )
    clockwise = degrees % 360
    page = pages[index]
    turned = dataclasses.replace(
        page,
        image=turned_clockwise(page.image, clockwise),
        turned=(page.turned + clockwise) % 360,
    )
    return (*pages[:index], turned, *pages[index + 1 :])


def move(pages: Sequence[Page], source: int, destination: int) -> tuple[Page, ...]:
    """Take the page at ``source`` and put it at ``destination`` (its position afterwards)."""
    _check_position(pages, source)
    _check_position(pages, destination)
    rest = [*pages[:source], *pages[source + 1 :]]
    rest.insert(destination, pages[source])
    return tuple(rest)


def reorder(pages: Sequence[Page], order: Sequence[int]) -> tuple[Page, ...]:
    """The pages in a new order: ``order[i]`` is the current position of the new i-th page."""
    if sorted(_plain_int(n, "order") for n in order) != list(range(len(pages))):
        raise InvalidInput(
            f"El nuevo orden debe nombrar cada una de las {len(pages)} páginas una sola vez.",
            field="order",
        )
    return tuple(pages[n] for n in order)


def delete(pages: Sequence[Page], index: int) -> tuple[Page, ...]:
    _check_position(pages, index)
    return (*pages[:index], *pages[index + 1 :])


def insert(pages: Sequence[Page], at: int, new_pages: Sequence[Page]) -> tuple[Page, ...]:
    """``new_pages`` placed before the page at ``at`` (``at == len(pages)``: at the end)."""
    _plain_int(at, "at")
    if not 0 <= at <= len(pages):
        raise InvalidInput(
            f"No se pueden insertar páginas en la posición {at + 1}: el documento tiene "
            f"{_pages(len(pages))} (posiciones de 1 a {len(pages) + 1}).",
            field="at",
        )
    return (*pages[:at], *new_pages, *pages[at:])


def split(pages: Sequence[Page], at: int) -> tuple[tuple[Page, ...], tuple[Page, ...]]:
    """Two documents: the pages before ``at``, and the page at ``at`` with those after it."""
    _plain_int(at, "at")
    if not 0 < at < len(pages):
        raise InvalidInput(
            f"No se puede dividir el documento en la página {at + 1}: cada parte debe quedar con "
            f"al menos una página y el documento tiene {_pages(len(pages))}.",
            field="at",
        )
    return tuple(pages[:at]), tuple(pages[at:])


def merge(first: Sequence[Page], second: Sequence[Page]) -> tuple[Page, ...]:
    """One document: ``first``'s pages, then ``second``'s."""
    return (*first, *second)


def _check_position(pages: Sequence[object], index: int) -> None:
    _plain_int(index, "index")
    if not 0 <= index < len(pages):
        if not pages:
            message = "El documento no tiene páginas."
        else:
            message = f"No existe la página {index + 1}: el documento tiene {_pages(len(pages))}."
        raise InvalidInput(message, field="index", index=index, pages=len(pages))


def _plain_int(value: object, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(
            f"La posición de la página debe ser un número entero, no {value!r}.", field=field
        )
    return value


def _pages(count: int) -> str:
    return "1 página" if count == 1 else f"{count} páginas"
