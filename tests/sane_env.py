"""SANE's ``test`` backend for tests, chosen through ``SANE_CONFIG_DIR``.

Debian ships the ``test`` backend commented out in ``/etc/sane.d/dll.conf``, and listing every
backend it does enable takes seconds; a folder whose ``dll.conf`` names only ``test`` makes
listing take milliseconds. SANE reads ``SANE_CONFIG_DIR`` once per process (at the first
``sane_init``; ``sane_exit`` and a new ``sane_init`` keep the first folders), so:

- in-process tests call :func:`use_sane_test_backend` (or use a fixture that does) before
  anything touches SANE; every caller in the process shares one folder;
- a test that needs another configuration (no scanner at all, slow reads) writes its own folder
  with :func:`write_sane_config` and runs a child process with :func:`sane_environment`.

The ``test`` device, for reference: ``test:0`` and ``test:1``; source ``Flatbed`` or ``Automatic
Document Feeder`` (ten sheets per ``open``, then ``SANE_STATUS_NO_DOCS``); modes ``Gray`` and
``Color``, lineart as gray at depth 1; at most 200 × 200 mm (80 × 100 mm unless set); option
``read-return-value`` makes every read fail with a chosen status (a jam, an open cover...).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

TEST_DEVICE = "test:0"
# Gray squares rather than the default solid black: a page clean-up can tell from a blank one.
DEFAULT_TEST_OPTIONS = {"test-picture": '"Grid"'}

_shared: Path | None = None


def write_sane_config(
    folder: Path,
    backends: Sequence[str] = ("test",),
    test_options: Mapping[str, str] | None = None,
) -> Path:
    """A SANE configuration folder: ``dll.conf`` listing ``backends`` (none: no scanner at all)
    and, if given, ``test.conf`` lines ``name value`` (strings quoted, as in the file)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "dll.conf").write_text("".join(f"{name}\n" for name in backends), encoding="utf-8")
    if test_options:
        lines = "".join(f"{name} {value}\n" for name, value in test_options.items())
        (folder / "test.conf").write_text(lines, encoding="utf-8")
    return folder


def sane_environment(folder: Path) -> dict[str, str]:
    """The environment for a child process that must see only ``folder``'s configuration."""
    return {**os.environ, "SANE_CONFIG_DIR": str(folder)}


def use_sane_test_backend(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Point this process's SANE at the ``test`` backend (one folder per process, among pytest's
    temporary folders). Call it before the first use of SANE in the process; later calls return
    the folder."""
    global _shared
    if _shared is None:
        folder = tmp_path_factory.mktemp("sane-test")
        _shared = write_sane_config(folder, test_options=DEFAULT_TEST_OPTIONS)
        os.environ["SANE_CONFIG_DIR"] = str(_shared)
    return _shared
