"""``oficialia reporte``: the supervisor's report of a period (``mailroom.reports``)."""

from __future__ import annotations

import argparse
from datetime import datetime
from typing import TYPE_CHECKING, Any

from mailroom.cli.forms import parse_date
from mailroom.cli.output import print_json
from mailroom.config import Settings

if TYPE_CHECKING:
    from mailroom.store import Store


def add_report_commands(commands: Any, common: argparse.ArgumentParser) -> None:
    report = commands.add_parser(
        "reporte",
        parents=[common],
        help="reporte de un periodo para supervisores: estados, canales, áreas, vencidos",
    )
    report.add_argument("--desde", type=parse_date, required=True, help="AAAA-MM-DD")
    report.add_argument("--hasta", type=parse_date, help="AAAA-MM-DD (hoy si se omite)")
    report.add_argument("--json", action="store_true")
    report.set_defaults(handler=cmd_report)


def cmd_report(args: argparse.Namespace, store: Store, settings: Settings) -> int:
    from mailroom.reports import ReportService, as_text

    last = args.hasta or datetime.now(settings.zone).date()
    report = ReportService(store, settings).report(args.desde, last)
    if args.json:
        print_json(report)
    else:
        print(as_text(report))
    return 0
