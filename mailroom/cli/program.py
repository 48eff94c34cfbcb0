"""``oficialia``: the parser of every command and how a command ends.

Exit codes: 0 ok, 1 error, 2 usage or broken integrity, 3 duplicate document, 4 not found,
65 invalid input or file, 66 e.firma file missing, 69 missing tool or no scanner, 74 storage or
scanner I/O, 75 scanner not ready (busy, jammed, cover open, empty feeder: retry), 77 wrong
e.firma password or no scanner permission, 78 config, 130 cancelled.

Each command group lives in its own module and registers itself with ``add_…_commands``; those
modules import only argparse and settings at the top, and what a command needs when it runs.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from mailroom.cli.accounts import add_account_commands
from mailroom.cli.app import add_app_commands
from mailroom.cli.arco import add_arco_commands
from mailroom.cli.backend import add_backend_commands
from mailroom.cli.efirma import add_signing_commands
from mailroom.cli.filings import add_filing_commands
from mailroom.cli.firmas import add_firmas_commands
from mailroom.cli.kiosk import add_kiosk_commands
from mailroom.cli.libro import add_libro_commands
from mailroom.cli.reports import add_report_commands
from mailroom.cli.retention import add_retention_commands
from mailroom.cli.scan import add_scan_commands
from mailroom.cli.separador import add_separador_commands
from mailroom.cli.syncing import add_sync_commands
from mailroom.cli.trust import add_trust_commands
from mailroom.cli.updates import add_update_commands
from mailroom.cli.upkeep import add_upkeep_commands
from mailroom.cli.verify import add_verify_commands
from mailroom.cli.watch import add_watch_commands
from mailroom.config import Settings, load_settings
from mailroom.errors import OficialiaError, ToolMissing

if TYPE_CHECKING:
    from mailroom.store import Store

# The reference backend runs on the state's servers: a packaged build (a counter PC, a kiosk)
# leaves it and its web stack out.
SERVER_MODULES = (
    "sync.server",
    "fastapi",
    "uvicorn",
    "starlette",
    "pydantic",
    "psycopg",
    "boto3",
)
BACKEND_NOT_BUNDLED = (
    "Esta instalación de Oficialía no trae el servidor de sincronización de referencia (el de "
    "las computadoras de ventanilla y los quioscos no lo necesita). Ese servidor se instala "
    "desde el código fuente, con el extra del servidor: pip install 'oficialia[server]'."
)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings(args.data_dir)
        if args.command == "demo":  # the demo builds its own store and prints as it goes
            from mailroom.demo import run_demo

            return run_demo(settings)
        if not getattr(args, "needs_store", True):  # e.firma commands: no data folder needed
            return int(args.handler(args, None, settings) or 0)
        from mailroom.store import Store

        with Store(settings.data_dir) as store:
            from mailroom.cli.accounts import take_seat

            take_seat(args, store, settings)
            _authorize_command(args, store, settings)
            return int(args.handler(args, store, settings) or 0)
    except OficialiaError as error:
        if getattr(args, "json", False):
            print(json.dumps({"error": error.as_dict()}, ensure_ascii=False))
        print(f"Error: {error.message}", file=sys.stderr)
        return error.exit_code
    except ModuleNotFoundError as error:
        if not (error.name or "").startswith(SERVER_MODULES):
            raise
        print(f"Error: {BACKEND_NOT_BUNDLED}", file=sys.stderr)
        return ToolMissing.exit_code
    except KeyboardInterrupt:
        print("Interrumpido.", file=sys.stderr)
        return 130


COMMAND_ACTIONS = {
    "show": "buscar",
    "list": "buscar",
    "search": "buscar",
    "libro": "libro",
    "audit": "reportes",
    "acuse": "reimprimir",
    "borradores": "registrar",
    "lote": "registrar",
    "enroll": "enrolar",
}
"""The commands that only read what the office holds, and the permission each needs: the
services check what changes, and these show citizens' data or the trail (see
``mailroom.permissions``)."""


def _authorize_command(args: argparse.Namespace, store: Store, settings: Settings) -> None:
    action = COMMAND_ACTIONS.get(args.command)
    if action is None:
        return
    from mailroom.permissions import Action, authorize

    authorize(store.reader(), settings, Action(action))


class _PrintVersion(argparse.Action):
    """``--version``, with the version read only when asked (``mailroom.entry`` answers it
    first anyway; this is for the help and for ``mailroom.cli.main`` called directly)."""

    def __call__(self, parser: argparse.ArgumentParser, *args: object, **kwargs: object) -> None:
        from mailroom.version import version

        parser.exit(message=f"oficialia {version()}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="oficialia", description="Oficialía de Partes.")
    parser.add_argument("--data-dir", help="carpeta de datos (también OFICIALIA_HOME)")
    parser.add_argument(
        "--usuario",
        dest="seat_user",
        help="actuar con esta cuenta (pide su contraseña; también OFICIALIA_USUARIO y "
        "OFICIALIA_PASSWORD_FILE)",
    )
    parser.add_argument("-V", "--version", action=_PrintVersion, nargs=0, help="versión")
    parser.add_argument(
        "--self-test",
        action="store_true",
        help="autoprueba de la instalación: módulos, autoridades, tesseract, OCR, acuse "
        "sellado y las dos ventanas (sale con error en la primera falla)",
    )
    # Accepted after the subcommand too (`oficialia intake … --data-dir X`); SUPPRESS keeps the
    # top-level value when the subcommand does not repeat it.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--data-dir", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    common.add_argument(
        "--usuario", dest="seat_user", default=argparse.SUPPRESS, help=argparse.SUPPRESS
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMANDO")

    add_filing_commands(commands, common)
    add_upkeep_commands(commands, common)
    add_libro_commands(commands, common)
    add_report_commands(commands, common)
    add_retention_commands(commands, common)
    add_signing_commands(commands, common)
    add_verify_commands(commands, common)
    add_firmas_commands(commands, common)
    add_backend_commands(commands, common)
    add_sync_commands(commands, common)
    add_separador_commands(commands, common)
    add_scan_commands(commands, common)
    add_watch_commands(commands, common)
    add_app_commands(commands, common)
    add_kiosk_commands(commands, common)
    add_update_commands(commands, common)
    add_account_commands(commands, common)
    add_arco_commands(commands, common)
    add_trust_commands(commands, common)

    commands.add_parser(
        "demo", parents=[common], help="demostración: registra, procesa y busca las muestras"
    )
    return parser
