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

EXIT_NO_DATA_FOLDER = 78  # EX_CONFIG


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if _command(args) in ("--version", "-V"):
        from mailroom.version import version

        print(f"oficialia {version()}")
        return 0
    quiet_library_warnings()
    if sys.platform == "win32":  # the installer waits for every Oficialía process to end
        from mailroom.windows_running import mark_running

        mark_running()
    if not {"-h", "--help"} & set(args):
        problem = shared_data_folder(_data_dir(args))
        if problem:
            print(f"Error: {problem}", file=sys.stderr)
            return EXIT_NO_DATA_FOLDER
    with temporary_files(args):
        return _run(args)


def shared_data_folder(data_dir: Path) -> str | None:
    """What keeps this user from the machine's data folder, in Spanish, or None.

    An installed build uses one folder per machine (``/var/lib/oficialia``, owned by the group
    ``oficialia`` with the setgid bit; ``%ProgramData%\\Oficialia``), made by the installer. In
    a folder shared that way, what one clerk writes the next must be able to write too: the
    umask lets the group write (others still nothing)."""
    import os
    import stat

    from mailroom.config import machine_data_dir
    from mailroom.resources import frozen

    try:
        mode = data_dir.stat().st_mode
    except FileNotFoundError:
        if frozen() and data_dir == machine_data_dir():
            return (
                f"No existe la carpeta de datos del equipo, {data_dir}. La crea el instalador: "
                "reinstale Oficialía, o indique otra carpeta con --data-dir."
            )
        return None
    except OSError:
        mode = 0
    if os.name == "posix" and mode & stat.S_ISGID:
        from mailroom.fsutil import share_with_group

        share_with_group()
    if mode and not os.access(data_dir, os.W_OK | os.X_OK):
        if os.name == "posix":
            return (
                f"Su usuario no puede escribir en la carpeta de datos {data_dir}. Pida al "
                "administrador que lo agregue al grupo «oficialia» y vuelva a iniciar sesión."
            )
        return (
            f"Su usuario no puede escribir en la carpeta de datos {data_dir}. Pida al "
            "administrador que reinstale Oficialía o le dé permiso de escritura."
        )
    return None


def _run(args: list[str]) -> int:
    if _command(args) == "--self-test":
        from mailroom.selftest import main as self_test

        return self_test(_data_dir(args))
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
