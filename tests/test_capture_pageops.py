"""Page operations on a scan before registration: pure, and each bad position said clearly."""

from __future__ import annotations

import pytest
from PIL import Image

from mailroom.capture import pageops
from mailroom.capture.blank import BlankVerdict
from mailroom.capture.cleanup import CleanPage
from mailroom.errors import InvalidInput


def page(name: str, size: tuple[int, int] = (20, 30)) -> CleanPage:
    image = Image.new("L", size, 255)
    image.putpixel((0, 0), 0)  # a mark in the top left corner shows how the page was turned
    return CleanPage(image, 200, name, 0, 0.0, BlankVerdict.CONTENIDO, 0.05)


def names(pages: tuple[CleanPage, ...]) -> list[str]:
    return [p.origin for p in pages]


@pytest.fixture
def pages() -> tuple[CleanPage, ...]:
    return tuple(page(name) for name in "abcd")


def test_rotate_turns_one_page_clockwise_and_records_it(pages: tuple[CleanPage, ...]) -> None:
    turned = pageops.rotate(pages, 1, 90)
    assert names(turned) == ["a", "b", "c", "d"]
    assert turned[1].image.size == (30, 20) and turned[1].turned == 90
    assert turned[1].image.getpixel((29, 0)) == 0  # top left went to the top right
    assert turned[0] is pages[0] and pages[1].turned == 0  # the others and the input untouched
    back = pageops.rotate(turned, 1, -90)
    assert back[1].turned == 0 and back[1].image.getpixel((0, 0)) == 0
    assert pageops.rotate(pages, 0, 180)[0].image.getpixel((19, 29)) == 0
    assert pageops.rotate(pages, 0, 450)[0].turned == 90


def test_move_reorder_delete_insert(pages: tuple[CleanPage, ...]) -> None:
    assert names(pageops.move(pages, 0, 3)) == ["b", "c", "d", "a"]
    assert names(pageops.move(pages, 3, 0)) == ["d", "a", "b", "c"]
    assert names(pageops.move(pages, 1, 1)) == ["a", "b", "c", "d"]
    assert names(pageops.reorder(pages, [3, 2, 1, 0])) == ["d", "c", "b", "a"]
    assert names(pageops.delete(pages, 2)) == ["a", "b", "d"]
    extra = (page("x"), page("y"))
    assert names(pageops.insert(pages, 1, extra)) == ["a", "x", "y", "b", "c", "d"]
    assert names(pageops.insert(pages, 4, extra)) == ["a", "b", "c", "d", "x", "y"]
    assert names(pageops.insert((), 0, extra)) == ["x", "y"]


def test_split_and_merge(pages: tuple[CleanPage, ...]) -> None:
    first, second = pageops.split(pages, 1)
    assert (names(first), names(second)) == (["a"], ["b", "c", "d"])
    assert pageops.merge(second, first) == (*second, *first)


def test_operations_leave_a_list_they_are_given_alone() -> None:
    given = [page("a"), page("b"), page("c")]
    pageops.move(given, 0, 2)
    pageops.delete(given, 0)
    pageops.rotate(given, 0, 90)
    assert names(tuple(given)) == ["a", "b", "c"] and given[0].turned == 0


@pytest.mark.parametrize(
    ("operation", "expected"),
    [
        (lambda p: pageops.rotate(p, 4, 90), "No existe la página 5: el documento tiene 4 páginas"),
        (lambda p: pageops.rotate(p, -1, 90), "No existe la página 0"),
        (lambda p: pageops.rotate(p, 0, 45), "se giran de 90 en 90 grados, no 45"),
        (lambda p: pageops.rotate(p, 0, 90.0), "se giran de 90 en 90 grados"),
        (lambda p: pageops.move(p, 0, 4), "No existe la página 5"),
        (lambda p: pageops.move(p, 7, 0), "No existe la página 8"),
        (lambda p: pageops.delete(p, 4), "No existe la página 5"),
        (lambda p: pageops.delete((), 0), "El documento no tiene páginas"),
        (lambda p: pageops.delete(p, True), "debe ser un número entero, no True"),
        (lambda p: pageops.delete(p, "1"), "debe ser un número entero, no '1'"),
        (lambda p: pageops.insert(p, 5, [page("x")]), "posiciones de 1 a 5"),
        (lambda p: pageops.insert(p, -1, [page("x")]), "en la posición 0"),
        (lambda p: pageops.reorder(p, [0, 1, 2]), "cada una de las 4 páginas una sola vez"),
        (lambda p: pageops.reorder(p, [0, 1, 1, 2]), "cada una de las 4 páginas una sola vez"),
        (lambda p: pageops.split(p, 0), "cada parte debe quedar con al menos una página"),
        (lambda p: pageops.split(p, 4), "dividir el documento en la página 5"),
        (lambda p: pageops.split(p[:1], 1), "el documento tiene 1 página"),
    ],
)
def test_bad_positions_get_a_clear_message(
    pages: tuple[CleanPage, ...], operation, expected: str
) -> None:
    with pytest.raises(InvalidInput, match=expected):
        operation(pages)
