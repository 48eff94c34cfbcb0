"""``oficialia retencion revisar|aplicar``: the retention periods (``mailroom.retention``)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from mailroom.cli.output import print_json
from mailroom.config import Settings

if TYPE_CHECKING:
    from mailroom.retention import RetentionItem, RetentionReport
    from mailroom.store import Store


def add_retention_commands(commands: Any, common: argparse.ArgumentParser) -> None:
    retention = commands.add_parser(
        "retencion",
        parents=[common],
        help="plazos de conservación: quitar los documentos ya vencidos y entregados",
    )
    actions = retention.add_subparsers(dest="retention_command", required=True, metavar="ACCIÓN")
    review = actions.add_parser(
        "revisar", parents=[common], help="qué se quitaría hoy, sin cambiar nada"
    )
    review.add_argument("--json", action="store_true")
    review.set_defaults(handler=cmd_review)
    apply = actions.add_parser(
        "aplicar", parents=[common], help="quitar los documentos vencidos y entregados"
    )
    apply.add_argument("--json", action="store_true")
    apply.set_defaults(handler=cmd_apply)


def cmd_review(args: argparse.Namespace, store: Store, settings: Settings) -> int:
    from mailroom.retention import RetentionService

    return _print(RetentionService(store, settings).review(), as_json=args.json)


def cmd_apply(args: argparse.Namespace, store: Store, settings: Settings) -> int:
    from mailroom.retention import RetentionService

    return _print(RetentionService(store, settings).apply(), as_json=args.json)


def _print(report: RetentionReport, *, as_json: bool) -> int:
    if as_json:
        print_json(report)
        return 0
    verb = "Se quitaron" if report.applied else "Se quitarían"
    files = sum(len(item.to_remove) for item in report.purged)
    print(f"{verb} {files} archivo(s) de {len(report.purged)} escrito(s).")
    for item in report.purged:
        print(f"  {_line(item)}: {len(item.to_remove)} archivo(s)" + _shared(item))
    if report.waiting_for_receipt:
        print(
            f"{len(report.waiting_for_receipt)} escrito(s) vencido(s) se conservan porque aún no "
            "llega el recibo del servidor estatal (sincronice con «oficialia sync»):"
        )
        for item in report.waiting_for_receipt:
            print(f"  {_line(item)}")
    if not report.applied and report.purged:
        print("Nada cambió. Para quitarlos: oficialia retencion aplicar")
    return 0


def _line(item: RetentionItem) -> str:
    return (
        f"{item.folio} (recibido el {item.received_at:%d/%m/%Y}; se conservaba hasta el "
        f"{item.retention_ends:%d/%m/%Y})"
    )


def _shared(item: RetentionItem) -> str:
    if not item.kept_shared:
        return ""
    return f"; {len(item.kept_shared)} se conserva(n) porque otro escrito vigente los usa"
