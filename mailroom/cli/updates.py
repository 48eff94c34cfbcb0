"""``oficialia actualizar [--comprobar]``: signed updates from the state's channel (Windows).

Without ``--comprobar`` a newer installer is downloaded, verified and handed to a waiter that runs
it silently once every Oficialía process on the PC has closed (this one exits right after): see
:mod:`mailroom.updates.runner`. The state's side is ``python -m mailroom.updates.publish``.
"""

from __future__ import annotations

import argparse
from typing import Any

from mailroom.cli.output import print_json
from mailroom.config import Settings


def add_update_commands(commands: Any, common: argparse.ArgumentParser) -> None:
    update = commands.add_parser(
        "actualizar",
        parents=[common],
        help="buscar en el canal del estado una versión nueva e instalarla (Windows)",
    )
    update.add_argument(
        "--comprobar", action="store_true", help="solo consultar el canal y decir qué hay"
    )
    update.add_argument(
        "--plataforma",
        help="instaladores de qué plataforma consultar (por omisión, la de este equipo)",
    )
    update.add_argument("--json", action="store_true")
    update.set_defaults(handler=cmd_update, needs_store=False)


def cmd_update(args: argparse.Namespace, store: None, settings: Settings) -> int:
    from mailroom.updates.channel import check_for_update, update
    from mailroom.updates.runner import default_runner

    if args.comprobar:
        check = check_for_update(settings, platform=args.plataforma)
        outcome = None
    else:
        runner = default_runner(settings)  # refuses before any download where it cannot install
        outcome = update(settings, runner, platform=args.plataforma)
        check = outcome.check
    if args.json:
        print_json(
            {
                "check": check,
                "installer": outcome and outcome.installer,
                "started": outcome and outcome.started,
            }
        )
        return 0
    if check.newest is None:
        print(
            f"Este equipo tiene la versión {check.running}; el canal no ofrece una más nueva "
            f"para {check.platform}. No hay nada que instalar."
        )
    elif outcome is None:
        print(
            f"Hay una versión nueva: {check.newest.version} (instalada: {check.running}). "
            "Instálela con «oficialia actualizar»."
        )
    else:
        print(outcome.started)
    return 0
