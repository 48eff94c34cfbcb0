"""``oficialia libro``: the daily register (libro de registro) of a day or a period, as CSV and
printable PDF."""

from __future__ import annotations

import argparse
import sys
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mailroom.cli.forms import parse_date
from mailroom.config import Settings
from mailroom.errors import InvalidInput

if TYPE_CHECKING:
    from mailroom.libro import Period
    from mailroom.store import Store


def add_libro_commands(commands: Any, common: argparse.ArgumentParser) -> None:
    book = commands.add_parser(
        "libro", parents=[common], help="libro de registro de un día o un periodo (CSV y PDF)"
    )
    book.add_argument("--fecha", type=parse_date, default=None, help="AAAA-MM-DD (hoy si se omite)")
    book.add_argument(
        "--desde", type=parse_date, default=None, help="AAAA-MM-DD: inicio del periodo"
    )
    book.add_argument(
        "--hasta", type=parse_date, default=None, help="AAAA-MM-DD: fin (hoy si se omite)"
    )
    book.add_argument("-o", "--output", type=Path, help="archivo CSV (salida estándar si se omite)")
    book.add_argument("--pdf", type=Path, help="archivo PDF imprimible")
    book.set_defaults(handler=cmd_libro)


def cmd_libro(args: argparse.Namespace, store: Store, settings: Settings) -> int:
    from mailroom import libro

    period = _libro_period(args, settings)
    if args.pdf:
        from mailroom import libro_pdf
        from mailroom.clock import SystemClock

        printed = libro_pdf.export_pdf(
            store.reader(), period, args.pdf, settings, SystemClock(settings.zone).now()
        )
        print(f"{printed.totals.summary} {period.label} en {args.pdf}", file=sys.stderr)
    if args.output:
        totals = libro.export_csv(store.reader(), period, args.output)
        print(f"{totals.summary} {period.label} en {args.output}", file=sys.stderr)
    elif not args.pdf:
        libro.write_csv_rows(store.reader(), period, sys.stdout)
    return 0


def _libro_period(args: argparse.Namespace, settings: Settings) -> Period:
    from mailroom.libro import Period

    if args.fecha and (args.desde or args.hasta):
        raise InvalidInput("Use --fecha para un día o --desde/--hasta para un periodo, no ambos.")
    if args.fecha or not (args.desde or args.hasta):
        return Period.day(args.fecha or _today(settings))
    last = args.hasta or _today(settings)
    return Period(args.desde or last, last)


def _today(settings: Settings) -> date:
    return datetime.now(settings.zone).date()
