"""The ``oficialia`` command's entry point.

``oficialia mailroom`` goes straight to the desktop app: importing the whole command line first
(the parser of every command) would delay the clerk's window before it could even start
painting. Every other command goes to ``mailroom.cli`` unchanged.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    quiet_library_warnings()
    if _command(args) == "mailroom" and not {"-h", "--help"} & set(args):
        from mailroom.cli.app import main_app

        return main_app(args)
    from mailroom.cli import main as cli_main

    return cli_main(args)


def quiet_library_warnings() -> None:
    """Hide the warnings a user cannot act on, and only those.

    pyHanko imports cryptography's DSA key class, which cryptography deprecates with a
    CryptographyDeprecationWarning printed on every command that loads the signing stack. Our
    code never makes or accepts DSA keys (SAT issues RSA); the warning is for pyHanko's authors.
    The filter names the category and pyHanko's modules, so anything else still shows.
    """
    from cryptography.utils import CryptographyDeprecationWarning

    warnings.filterwarnings(
        "ignore", category=CryptographyDeprecationWarning, module=r"pyhanko(\.|$)"
    )


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
