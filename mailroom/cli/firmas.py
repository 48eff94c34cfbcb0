"""``oficialia firmas actualizar|estado``: the long-term upgrade of sealed acuses.

Acuses sealed offline carry a PAdES B-B seal; ``actualizar`` checks the office certificate with
the OCSP responder and adds the DSS and a document timestamp (see ``signing.upgrade``). The
clerk's app runs the same upgrader in the background; these commands are for a scheduled job and
for the admin. A revoked certificate is printed in capitals and exits with
:data:`EXIT_REVOKED`, so a cron job's mail or a monitoring check cannot miss it.
"""

from __future__ import annotations

import argparse
import json
import signal
import threading
from typing import TYPE_CHECKING, Any

from mailroom.config import Settings
from mailroom.errors import ConfigError
from mailroom.stopping import run_until_stopped

if TYPE_CHECKING:
    from mailroom.store import Store
    from signing.upgrade import SignatureUpgrader, UpgradeSummary

EXIT_REVOKED = 7


def add_firmas_commands(commands: Any, common: argparse.ArgumentParser) -> None:
    firmas = commands.add_parser(
        "firmas", help="actualización de los sellos a validación a largo plazo"
    ).add_subparsers(dest="firmas_command", required=True)
    run = firmas.add_parser(
        "actualizar",
        parents=[common],
        help="consultar la revocación y agregar sello de tiempo a los acuses sellados sin conexión",
    )
    run.add_argument("--limite", type=int, default=None, help="como máximo N acuses")
    run.add_argument(
        "--vigilar",
        action="store_true",
        help="seguir en segundo plano: reintentar cuando toque y tomar los nuevos acuses "
        "(Ctrl+C para terminar)",
    )
    run.add_argument("--json", action="store_true")
    run.set_defaults(handler=cmd_firmas_actualizar)
    status = firmas.add_parser(
        "estado", parents=[common], help="acuses por actualizar, actualizados, revocados, fallidos"
    )
    status.add_argument("--json", action="store_true")
    status.set_defaults(handler=cmd_firmas_estado)


def cmd_firmas_actualizar(args: argparse.Namespace, store: Store, settings: Settings) -> int:
    from signing.office import office_upgrader

    upgrader = office_upgrader(store, settings)
    if upgrader is None:
        raise ConfigError(
            "No hay un servicio OCSP configurado (ajuste ocsp_url): sin él no se puede saber si "
            "la e.firma fue revocada ni actualizar los sellos.",
            setting="ocsp_url",
        )
    if args.vigilar:
        return _watch(upgrader)
    summary = upgrader.run_once(args.limite)
    if args.json:
        print(
            json.dumps(
                {
                    "actualizados": summary.done,
                    "revocados": summary.revoked,
                    "pendientes": summary.pending,
                    "fallidos": summary.failed,
                    "mensajes": summary.messages,
                },
                ensure_ascii=False,
                indent=2,
            )
        )
    else:
        print(
            f"{len(summary.done)} actualizados, {len(summary.pending)} pendientes, "
            f"{len(summary.failed)} fallidos, {len(summary.revoked)} con e.firma revocada"
        )
        for folio in summary.revoked + summary.failed + summary.pending:
            print(f"  {folio}: {summary.messages[folio]}")
    return EXIT_REVOKED if summary.revoked else 0


def cmd_firmas_estado(args: argparse.Namespace, store: Store, settings: Settings) -> int:
    from signing.upgrade import upgrade_status

    status = upgrade_status(store)
    revoked = [p for p in status["problemas"] if p["estado"] == "revocado"]
    if args.json:
        print(json.dumps(status, ensure_ascii=False, indent=2))
    else:
        print(
            f"Por actualizar: {status['pendientes']} · actualizados: {status['actualizadas']} · "
            f"fallidos: {status['fallidas']} · con e.firma revocada: {status['revocadas']}"
        )
        if revoked:
            print("¡ATENCIÓN! Acuses sellados con una e.firma REVOCADA (deben sellarse de nuevo):")
        for problem in status["problemas"]:
            when = f" (siguiente intento {problem['siguiente_intento']})"
            print(
                f"  {problem['folio']} [{problem['estado']}]: {problem['mensaje']}"
                + (when if problem["siguiente_intento"] else "")
            )
    return EXIT_REVOKED if revoked else 0


def _watch(upgrader: SignatureUpgrader) -> int:
    def report(summary: UpgradeSummary) -> None:
        for folio in summary.done:
            print(f"Actualizado: {folio}", flush=True)
        for folio in summary.revoked + summary.failed:
            print(f"{folio}: {summary.messages[folio]}", flush=True)

    def loop(stop: threading.Event) -> None:
        print("Actualizando sellos en segundo plano (Ctrl+C para terminar)…", flush=True)
        upgrader.run_forever(stop, on_summary=report)

    run_until_stopped(loop, [signal.SIGTERM])
    return 0
