"""The kiosk window's fixtures, shared by its test modules (a pytest plugin: ``conftest.py``
lists it, so a module asks for ``open_kiosk`` by name without importing it).

``printer``: the fake ESC/POS receipt printer on 127.0.0.1 that ships with the kiosk.
``display``: an X server of the module's own (Xvfb at 1920×1080), for what needs xcb.
``open_kiosk``: ``open_kiosk(timing=, max_pages=, camera=, speaker=, **settings)`` opens a real
``KioskWindow`` on a fresh data folder (``tests.kiosk_citizen.kiosks``). A module that needs
something else defines its own fixture of the same name, which wins.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest

XVFB = shutil.which("Xvfb")


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


@pytest.fixture(scope="module")
def display(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A display of our own (Xvfb), the size of the kiosk's panel, on a number it finds free:
    where offscreen cannot show the truth (the on-screen keyboard is only made on xcb)."""
    if XVFB is None:
        pytest.skip("Xvfb no está instalado (installer/system-packages.sh: xvfb)")
    log_path = tmp_path_factory.mktemp("xvfb") / "xvfb.log"
    read_end, write_end = os.pipe()
    with open(log_path, "wb") as log_file:
        server = subprocess.Popen(
            [
                XVFB,
                "-displayfd",
                str(write_end),
                "-screen",
                "0",
                "1920x1080x24",
                "-nolisten",
                "tcp",
                "-noreset",
            ],  # fmt: skip
            pass_fds=(write_end,),
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    os.close(write_end)
    try:
        with os.fdopen(read_end, "rb") as pipe:
            number = pipe.readline().strip().decode()
        if not number:
            pytest.skip(f"Xvfb no arrancó: {log_path.read_text(errors='replace')[-500:]}")
        yield f":{number}"
    finally:
        server.terminate()
        server.wait(10)
