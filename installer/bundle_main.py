"""The bundle's executable, ``oficialia``: the installed command's entry point
(``mailroom.entry.main``), frozen by PyInstaller (``installer/oficialia.spec``).

``OFICIALIA_BUNDLE_PROBE=script.py`` runs that Python file instead, as ``__main__``, with the
remaining arguments in ``sys.argv[1:]``: a bundle has no interpreter to run code with, and its
tests and benchmark (``tests/test_bundle.py``, ``bench/bundle.py``) must watch the bundled
modules from inside — the keyboard's QML loading, the first frame painted — as the tests from
source do with ``python -c``. Whoever can set a process's environment can already make it load
other code (``LD_PRELOAD``), so this opens nothing new; the probe's modules are the bundle's.
"""

from __future__ import annotations

import os
import runpy
import sys

PROBE = "OFICIALIA_BUNDLE_PROBE"


def run() -> int:
    if sys.stdout is None or sys.stderr is None:  # oficialiaw.exe on Windows: no console
        sink = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 - for the process's life
        sys.stdout = sys.stdout or sink
        sys.stderr = sys.stderr or sink
    probe = os.environ.pop(PROBE, "")
    if probe:
        sys.argv = [probe, *sys.argv[1:]]
        runpy.run_path(probe, run_name="__main__")
        return 0
    from mailroom.entry import main

    return main()


if __name__ == "__main__":
    sys.exit(run())
