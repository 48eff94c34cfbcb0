"""The ``oficialia`` command's entry point.

``oficialia mailroom`` goes straight to the desktop app: importing the whole command line first
(``mailroom.cli`` pulls in pyHanko, requests, the capture pipeline… ~0.9 s) would delay the
clerk's window by that much before it could even start painting. Every other command goes to
``mailroom.cli`` unchanged.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if _command(args) == "mailroom" and not {"-h", "--help"} & set(args):
        from mailroom.cli_app import main_app

        return main_app(args)
    from mailroom.cli import main as cli_main

    return cli_main(args)


def _command(args: list[str]) -> str | None:
    """The first argument that is not ``--data-dir X`` / ``--data-dir=X``."""
    position = 0
    while position < len(args):
        argument = args[position]
        if argument == "--data-dir":
            position += 2
            continue
        if argument.startswith("--data-dir="):
            position += 1
            continue
        return argument
    return None


if __name__ == "__main__":
    sys.exit(main())
