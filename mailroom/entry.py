"""The ``oficialia`` command's entry point.

``oficialia mailroom`` goes straight to the desktop app: importing the whole command line first
(the parser of every command) would delay the clerk's window before it could even start
painting. Every other command goes to ``mailroom.cli`` unchanged.
"""

from __future__ import annotations

import contextlib
import sys
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    quiet_library_warnings()
    with temporary_files(args):
        return _run(args)


def _run(args: list[str]) -> int:
    if _command(args) == "mailroom" and not {"-h", "--help"} & set(args):
        from mailroom.cli.app import main_app

        return main_app(args)
    if _command(args) == "kiosk" and not {"-h", "--help"} & set(args):
        from mailroom.cli.kiosk import main_kiosk

        return main_kiosk(args)
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


@contextlib.contextmanager
def temporary_files(args: list[str]) -> Iterator[None]:
    """Before any command: sweep what killed processes left in the data folder's ``tmp/``, then
    run with this process's own folder there as the temp folder of libraries and children too
    (Qt's print spool, above all). See :mod:`mailroom.tmpfiles`.

    A data folder that does not exist yet is not made here (help, a mistyped ``--data-dir``, an
    app that ends at once without a display): the command makes it if it needs it, and our own
    temp files still go under it; only a library's would not, in that first run."""
    from mailroom import tmpfiles
    from mailroom.errors import StorageError

    data_dir = _data_dir(args)
    for problem in tmpfiles.sweep(data_dir).problems:
        print(f"Aviso: {problem}", file=sys.stderr)
    command = _command(args)
    wanted = command is not None and not {"-h", "--help"} & set(args)
    with contextlib.ExitStack() as redirected:
        if wanted and data_dir.is_dir():
            try:
                redirected.enter_context(tmpfiles.as_system_temp(data_dir))
            except StorageError as error:  # the command says so again if it needs tmp/ itself
                print(f"Aviso: {error.message}", file=sys.stderr)
        yield


def _data_dir(args: list[str]) -> Path:
    """The data folder the command will use, resolved as the command line resolves it:
    ``--data-dir``, then ``OFICIALIA_HOME``, then the user's data folder — or, for
    ``mailroom --demo`` without either, the demo profile's folder."""
    from mailroom.config import resolve_data_dir

    explicit = _data_dir_option(args)
    if _command(args) == "mailroom" and "--demo" in args:
        from mailroom.cli.app import demo_profile_dir

        return demo_profile_dir(explicit)
    if _command(args) == "kiosk" and "--demo" in args:
        from kiosk.demo import kiosk_demo_dir

        return kiosk_demo_dir(explicit)
    return resolve_data_dir(explicit)


def _data_dir_option(args: list[str]) -> str | None:
    """The last ``--data-dir X`` / ``--data-dir=X`` (the command line accepts it before and
    after the command; the later one wins), or None."""
    found = None
    for position, argument in enumerate(args):
        if argument == "--":
            break
        if argument == "--data-dir" and position + 1 < len(args):
            found = args[position + 1]
        elif argument.startswith("--data-dir="):
            found = argument.removeprefix("--data-dir=")
    return found


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
