"""``oficialia separador -o ARCHIVO.pdf [--copias N] [--folio FOLIO]``: sheets to print for
scanning several filings in one batch.

A separator needs no data folder (``needs_store=False``); a carátula (``--folio``) opens the
store only to check that the folio exists and to print its sender and subject on the sheet.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mailroom.config import Settings
from mailroom.errors import InvalidInput, NotFound

if TYPE_CHECKING:
    from mailroom.store import Store

# mailroom.capture.separator.MAX_COPIES, which loads fpdf (a test keeps the two equal).
MAX_COPIES = 500


def add_separador_commands(commands: Any, common: argparse.ArgumentParser) -> None:
    separador = commands.add_parser(
        "separador",
        parents=[common],
        help="PDF de hojas separadoras (o la carátula de un folio) para digitalizar por lotes",
    )
    separador.add_argument("-o", "--output", type=Path, required=True, metavar="ARCHIVO.pdf")
    separador.add_argument(
        "--copias", type=int, default=1, help=f"cuántas hojas iguales (1 a {MAX_COPIES})"
    )
    separador.add_argument(
        "--folio", help="carátula para agregar páginas a un escrito ya registrado"
    )
    separador.set_defaults(handler=cmd_separador, needs_store=False)


def cmd_separador(args: argparse.Namespace, store: Store | None, settings: Settings) -> int:
    from mailroom import filings
    from mailroom.attachments import FilingClosed
    from mailroom.capture.separator import write_cover_sheet_pdf, write_separator_pdf
    from mailroom.models import FilingStatus
    from mailroom.store import Store

    if args.output.suffix.lower() != ".pdf":
        raise InvalidInput(f"La salida {args.output} debe terminar en .pdf.", path=args.output)
    if args.folio is None:
        path = write_separator_pdf(args.output, copies=args.copias)
        print(f"{path} ({_sheets(args.copias)} separadora{'s' if args.copias != 1 else ''})")
        return 0
    folio = args.folio.strip()
    if not settings.data_dir.exists():  # do not create a data folder just to look a folio up
        raise _unknown(folio)
    with Store(settings.data_dir) as opened:
        try:
            filing = filings.get_filing(opened.reader(), folio)
        except NotFound as error:
            raise _unknown(folio) from error
    if filing.status is FilingStatus.CANCELADA:
        raise FilingClosed(
            f"El escrito {filing.folio} está cancelado: no se le pueden anexar páginas, así que "
            "no se imprime su carátula.",
            folio=filing.folio,
        )
    path = write_cover_sheet_pdf(
        args.output,
        filing.folio,
        subject=filing.subject,
        sender=filing.sender.name,
        copies=args.copias,
    )
    print(f"{path} (carátula del folio {filing.folio}, {_sheets(args.copias)})")
    return 0


def _unknown(folio: str) -> NotFound:
    return NotFound(
        f"No existe un escrito con folio {folio!r} en esta oficialía: la carátula solo se "
        "imprime para un escrito ya registrado. Revise el folio («oficialia list» o "
        "«oficialia search»).",
        folio=folio,
    )


def _sheets(count: int) -> str:
    return f"{count} hoja{'s' if count != 1 else ''}"
