"""``oficialia mailroom``: the clerk's desktop app, on the configured data folder or (``--demo``)
on the demo profile that ``make run`` opens on a fresh machine.

PySide6 and the demo profile are imported only when the command runs: the headless commands
never pay for Qt.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mailroom.config import APP_NAME, ENV_HOME, Settings, load_settings, user_data_dir

NO_DISPLAY_EXIT = 69  # EX_UNAVAILABLE

NO_DISPLAY_MESSAGE = (
    "No hay pantalla: la aplicación de ventanilla necesita un escritorio (no se encontró DISPLAY "
    "ni WAYLAND_DISPLAY).\n"
    "Para ver la demostración sin interfaz, que registra, procesa y busca las muestras:\n"
    "  make demo        (o bien: .venv/bin/oficialia demo)\n"
    "Para abrir la aplicación en una sesión gráfica remota: ssh -X, o un escritorio con Xvfb."
)


def add_app_commands(commands: Any, common: argparse.ArgumentParser) -> None:
    app = commands.add_parser(
        "mailroom", parents=[common], help="abrir la aplicación de ventanilla (escritorio)"
    )
    app.add_argument(
        "--demo",
        action="store_true",
        help="perfil de demostración: e.firma y servidor de prueba, muestras para importar",
    )
    app.set_defaults(handler=cmd_mailroom, needs_store=False)


def main_app(argv: list[str]) -> int:
    """``oficialia [--data-dir X] mailroom [--demo] [--data-dir X]`` without the rest of the
    command line (see ``mailroom.entry``); errors end as ``mailroom.cli.main`` ends them."""
    return run_alone(argv, add_app_commands, lambda args: load_settings(args.data_dir))


def run_alone(
    argv: list[str],
    add_commands: Callable[[Any, argparse.ArgumentParser], None],
    settings_for: Callable[[argparse.Namespace], Settings],
) -> int:
    """Parse and run one app's command (``mailroom``, ``kiosk``) with only its own parser, so
    starting an app does not import the whole command line; ends as ``mailroom.cli.main``."""
    from mailroom.errors import OficialiaError

    parser = argparse.ArgumentParser(prog="oficialia")
    parser.add_argument("--data-dir")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--data-dir", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    add_commands(parser.add_subparsers(dest="command", required=True), common)
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args, None, settings_for(args)))
    except OficialiaError as error:
        print(f"Error: {error.message}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print("Interrumpido.", file=sys.stderr)
        return 130


def demo_data_dir() -> Path:
    """The demo profile's own folder, beside (never inside) the office's real data."""
    return user_data_dir(APP_NAME + "-demo")


def demo_profile_dir(explicit: str | None) -> Path:
    """Where ``mailroom --demo`` keeps its profile: the folder given (``--data-dir``, else
    ``OFICIALIA_HOME``) or the demo's own."""
    given = explicit or os.environ.get(ENV_HOME)
    return Path(given) if given else demo_data_dir()


def cmd_mailroom(args: argparse.Namespace, store: object, settings: Settings) -> int:
    from mailroom.ui.shell import has_display, platform_plugin_problem

    if not has_display():
        print(NO_DISPLAY_MESSAGE, file=sys.stderr)
        return NO_DISPLAY_EXIT
    if problem := platform_plugin_problem():
        print(problem, file=sys.stderr)
        return NO_DISPLAY_EXIT
    if args.demo:
        return _run_demo_profile(args)
    from mailroom.ui.app import run_app

    return run_app(settings)


def _run_demo_profile(args: argparse.Namespace) -> int:
    from mailroom.demo_profile import DemoBackend, prepare_demo_profile
    from mailroom.ui.app import EfirmaHint, run_app

    folder = demo_profile_dir(getattr(args, "data_dir", None))
    profile = prepare_demo_profile(folder)
    print(f"Perfil de demostración en {folder}", file=sys.stderr)
    with DemoBackend(profile) as backend:
        notes = [
            f"e.firma de DEMOSTRACIÓN; contraseña: {profile.efirma_password}",
            *profile.notes,
            backend.message,
            f"Muestras para importar: {profile.samples_dir}",
        ]
        hint = EfirmaHint(profile.efirma_cer, profile.efirma_key, "\n".join(n for n in notes if n))
        settings = load_settings(folder)
        return run_app(
            settings, backend_url=backend.url, efirma_hint=hint, samples_dir=profile.samples_dir
        )
