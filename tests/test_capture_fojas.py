"""Declared fojas against the pages a scan kept."""

from __future__ import annotations

import pytest

from mailroom.capture.fojas import FojasCheck, check_fojas
from mailroom.capture.pages import CaptureReport
from mailroom.errors import InvalidInput


def report(scanned: int, *blank: int) -> CaptureReport:
    return CaptureReport("sane:test:0", scanned_pages=scanned, blank_removed=blank)


@pytest.mark.parametrize(
    ("declared", "captured", "difference", "message"),
    [
        (
            5,
            report(5, 3),
            -1,
            "Se declararon 5 fojas y se digitalizaron 4 páginas (1 en blanco retirada): falta 1.",
        ),
        (5, report(3), -2, "Se declararon 5 fojas y se digitalizaron 3 páginas: faltan 2."),
        (
            2,
            report(6, 2, 4),
            2,
            "Se declararon 2 fojas y se digitalizaron 4 páginas (2 en blanco retiradas): sobran 2.",
        ),
        (1, report(2), 1, "Se declaró 1 foja y se digitalizaron 2 páginas: sobra 1."),
        (
            3,
            report(4, 4),
            0,
            "Se declararon 3 fojas y se digitalizaron 3 páginas (1 en blanco retirada): coinciden.",
        ),  # fmt: skip
        (1, report(1), 0, "Se declaró 1 foja y se digitalizó 1 página: coinciden."),
        (
            None,
            report(4, 2),
            None,
            "No se declararon fojas; se digitalizaron 3 páginas (1 en blanco retirada).",
        ),  # fmt: skip
    ],
)
def test_messages_for_fewer_more_equal_and_undeclared(
    declared: int | None, captured: CaptureReport, difference: int | None, message: str
) -> None:
    check = check_fojas(declared, captured)
    assert check == FojasCheck(
        declared,
        captured.scanned_pages - len(captured.blank_removed),
        len(captured.blank_removed),
        difference,
    )
    assert check.message() == message
    assert check.matches is (None if difference is None else difference == 0)


def test_bad_figures_are_refused_clearly() -> None:
    with pytest.raises(InvalidInput, match="deben ser un número de 0 en adelante, no -1"):
        check_fojas(-1, report(2))
    with pytest.raises(InvalidInput, match="3 páginas en blanco retiradas de 2 digitalizadas"):
        check_fojas(2, report(2, 1, 2, 3))
