"""The kiosk window's fixtures, shared by its test modules (a pytest plugin: ``conftest.py``
lists it, so a module asks for ``open_kiosk`` by name without importing it).

``printer``: the fake ESC/POS receipt printer on 127.0.0.1 that ships with the kiosk.
``open_kiosk``: ``open_kiosk(timing=, max_pages=, camera=, speaker=, **settings)`` opens a real
``KioskWindow`` on a fresh data folder (``tests.kiosk_citizen.kiosks``). A module that needs
something else defines its own fixture of the same name, which wins.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture
def printer() -> Iterator[Any]:
    from kiosk.fake_printer import FakeReceiptPrinter

    with FakeReceiptPrinter() as fake:
        yield fake


@pytest.fixture
def open_kiosk(qtbot, data_dir, printer):  # type: ignore[no-untyped-def]
    from tests.kiosk_citizen import kiosks

    with kiosks(qtbot, data_dir, printer) as opener:
        yield opener
