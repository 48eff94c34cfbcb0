"""``oficialia intake``, ``show``, ``list`` and ``search``: register a filing, and read them back.

The read commands import only the store and the query they run (a clerk types them often; they
start in a fraction of a second); ``intake`` imports the capture, OCR and e.firma stacks when it
runs.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mailroom.cli.efirma import add_intake_sealing_options
from mailroom.cli.forms import add_filing_form_options, filing_from_args, parse_date
from mailroom.cli.output import print_json, report_ocr_progress
from mailroom.cli.scan import add_intake_scan_options
from mailroom.config import Settings
from mailroom.errors import InvalidInput

if TYPE_CHECKING:
    from mailroom.store import Store


def add_filing_commands(commands: Any, common: argparse.ArgumentParser) -> None:
    intake = commands.add_parser(
        "intake", parents=[common], help="registrar un escrito con sus documentos"
    )
    intake.add_argument("files", nargs="*", type=Path, metavar="ARCHIVO")
    add_filing_form_options(intake)  # --remitente --asunto … (shared with borradores)
    intake.add_argument(
        "--sin-esperar-ocr", action="store_true", help="terminar al registrar; el OCR queda en cola"
    )
    intake.add_argument("--json", action="store_true")
    add_intake_sealing_options(intake)  # --cer --key --password-file: seal the acuse at once
    add_intake_scan_options(intake)  # --scanner [DISPOSITIVO] --adf --duplex --resolucion --modo
    intake.set_defaults(handler=cmd_intake)

    show = commands.add_parser("show", parents=[common], help="mostrar un escrito por folio")
    show.add_argument("folio")
    show.add_argument("--texto", action="store_true", help="incluir el texto de cada página")
    show.add_argument("--json", action="store_true")
    show.set_defaults(handler=cmd_show)

    listing = commands.add_parser("list", parents=[common], help="listar escritos")
    listing.add_argument("--estado")
    listing.add_argument("--desde", type=parse_date)
    listing.add_argument("--hasta", type=parse_date)
    listing.add_argument("--limite", type=int, default=50)
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=cmd_list)

    finder = commands.add_parser(
        "search", parents=[common], help="buscar en folio, remitente, asunto y texto"
    )
    finder.add_argument("text", nargs="+", metavar="TEXTO")
    finder.add_argument("--limite", type=int, default=20)
    finder.add_argument("--json", action="store_true")
    finder.set_defaults(handler=cmd_search)


def cmd_intake(args: argparse.Namespace, store: Store, settings: Settings) -> int:
    from mailroom.cli.efirma import seal_after_intake, unlock_for_intake
    from mailroom.cli.scan import scan_settings, scanned_for_intake
    from mailroom.intake import IntakeService
    from mailroom.ocr.worker import OcrWorker
    from mailroom.validation import validated

    new = filing_from_args(args)
    scan = scan_settings(args)  # None without --scanner
    if scan is None and not args.files:
        raise InvalidInput(
            "Indique los archivos del escrito o digitalícelo con --scanner.", field="files"
        )
    if scan is not None:
        new = validated(new)  # a wrong RFC is said before the clerk scans fifty pages
    # The e.firma opens before registering: a wrong password registers nothing.
    signer = unlock_for_intake(args, settings, store)
    with scanned_for_intake(args.scanner, scan, settings) as scanned:
        files = [scanned.path, *args.files] if scanned else list(args.files)
        registration = IntakeService(store, settings).register(
            new, files, capture=scanned.report if scanned else None
        )
    filing = registration.filing
    acuse = seal_after_intake(store, settings, filing.id, signer)
    if args.json:
        print_json(
            {
                "folio": filing.folio,
                "id": filing.id,
                "warnings": registration.warnings,
                "acuse": acuse.seal_state.value,
            }
        )
    else:
        print(filing.folio)
    if acuse.sealed:
        print(f"Acuse sellado con la e.firma ({acuse.signer_rfc}).", file=sys.stderr)
    else:
        print("Acuse sin sello: queda pendiente («oficialia acuses sellar»).", file=sys.stderr)
    for warning in registration.warnings:
        print(f"Aviso: {warning}", file=sys.stderr)
    if not args.sin_esperar_ocr:
        progress = OcrWorker(store, settings, on_progress=report_ocr_progress).run_until_idle()
        print(
            f"OCR: {progress.pages_done} páginas listas, {progress.pages_failed} fallidas.",
            file=sys.stderr,
        )
    return 0


def cmd_show(args: argparse.Namespace, store: Store, settings: Settings) -> int:
    from mailroom import filings

    filing = filings.get_filing(store.reader(), args.folio, with_text=args.texto)
    if args.texto:  # the pages' text is the documents' content: audited for a sensitive filing
        from mailroom.document_access import record_opening

        record_opening(store, settings, filing, via="oficialia show --texto")
    if args.json:
        print_json(filing)
        return 0
    print(f"Folio:        {filing.folio}")
    print(f"Recibido:     {filing.received_at.isoformat()} ({filing.channel.value})")
    print(f"Remitente:    {filing.sender.name}")
    print(f"Asunto:       {filing.subject}")
    print(f"Turnado a:    {', '.join(a.area for a in filing.addressees) or '—'}")
    print(
        f"Fojas:        {filing.fojas_declared if filing.fojas_declared is not None else '—'} "
        f"declaradas, {filing.pages_scanned} digitalizadas"
    )
    print(f"Estado:       {filing.status.value} · sincronización {filing.sync_status.value}")
    for doc in filing.documents:
        states = [p.ocr_status.value for p in doc.pages]
        print(
            f"Documento {doc.ordinal}: {doc.filename} ({doc.page_count} p., {doc.mime}) "
            f"sha256 {doc.sha256}"
        )
        print(
            f"  OCR: {states.count('hecha')} hechas, {states.count('fallida')} fallidas, "
            f"{states.count('pendiente') + states.count('procesando')} pendientes"
        )
        for page in doc.pages:
            if page.blank:
                print(f"  Página {page.page_no}: parece estar en blanco")
            if page.rotation:
                print(f"  Página {page.page_no}: venía girada; se enderezó {page.rotation}°")
            if page.error:
                print(f"  Página {page.page_no}: {page.error}")
            if args.texto and page.text:
                print(f"  --- página {page.page_no} ---\n{page.text}")
    return 0


def cmd_list(args: argparse.Namespace, store: Store, settings: Settings) -> int:
    from mailroom import filings

    try:
        rows = filings.list_filings(
            store.reader(),
            status=args.estado,
            since=args.desde,
            until=args.hasta,
            limit=args.limite,
        )
    except ValueError as error:
        raise InvalidInput(f"Estado desconocido: {args.estado!r}.", field="estado") from error
    if args.json:
        print_json(rows)
        return 0
    for row in rows:
        print(
            f"{row.folio}  {row.received_at:%Y-%m-%d %H:%M}  {row.status.value:<10} "
            f"{row.sender[:30]:<30}  {row.subject[:60]}"
        )
    return 0


def cmd_search(args: argparse.Namespace, store: Store, settings: Settings) -> int:
    from mailroom import search

    results = search.search(store.reader(), " ".join(args.text), limit=args.limite)
    if args.json:
        print_json(results)
        return 0
    if not results.hits:
        print("Sin resultados.")
    for hit in results.hits:
        print(f"{hit.folio}  {hit.sender} — {hit.subject}\n    {hit.snippet}")
    return 0
