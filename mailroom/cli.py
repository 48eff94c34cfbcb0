"""``oficialia``: the headless commands. Exit codes: 0 ok, 1 error, 2 usage or broken integrity,
3 duplicate document, 4 not found, 65 invalid input or file, 66 e.firma file missing,
69 missing tool or no scanner, 74 storage or scanner I/O, 75 scanner not ready (busy, jammed,
cover open, empty feeder: retry), 77 wrong e.firma password or no scanner permission, 78 config,
130 cancelled."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections.abc import Sequence
from datetime import date
from enum import Enum
from pathlib import Path
from typing import Any

from mailroom import audit, filings, libro, search
from mailroom.cli_app import add_app_commands
from mailroom.cli_backend import add_backend_commands
from mailroom.cli_firmas import add_firmas_commands
from mailroom.cli_scan import (
    add_intake_scan_options,
    add_scan_commands,
    scan_settings,
    scanned_for_intake,
)
from mailroom.cli_separador import add_separador_commands
from mailroom.cli_signing import (
    add_intake_sealing_options,
    add_signing_commands,
    seal_after_intake,
    unlock_for_intake,
)
from mailroom.cli_sync import add_sync_commands
from mailroom.cli_verify import add_verify_commands
from mailroom.cli_watch import add_watch_commands
from mailroom.config import Settings, load_settings
from mailroom.errors import InvalidInput, OficialiaError
from mailroom.intake import IntakeService
from mailroom.models import Addressee, Annex, AreaRole, Channel, NewFiling, Priority, Sender
from mailroom.ocr.worker import OcrWorker
from mailroom.store import Store
from mailroom.store.check import check_store
from mailroom.validation import validated


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings(args.data_dir)
        if args.command == "demo":  # the demo builds its own store and prints as it goes
            from mailroom.demo import run_demo

            return run_demo(settings)
        if not getattr(args, "needs_store", True):  # e.firma commands: no data folder needed
            return int(args.handler(args, None, settings) or 0)
        with Store(settings.data_dir) as store:
            return int(args.handler(args, store, settings) or 0)
    except OficialiaError as error:
        if getattr(args, "json", False):
            print(json.dumps({"error": error.as_dict()}, ensure_ascii=False))
        print(f"Error: {error.message}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print("Interrumpido.", file=sys.stderr)
        return 130


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="oficialia", description="Oficialía de Partes.")
    parser.add_argument("--data-dir", help="carpeta de datos (también OFICIALIA_HOME)")
    # Accepted after the subcommand too (`oficialia intake … --data-dir X`); SUPPRESS keeps the
    # top-level value when the subcommand does not repeat it.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--data-dir", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMANDO")

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
    listing.add_argument("--desde", type=_date)
    listing.add_argument("--hasta", type=_date)
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

    ocr = commands.add_parser("ocr", help="cola de OCR").add_subparsers(
        dest="ocr_command", required=True
    )
    status = ocr.add_parser(
        "status", parents=[common], help="páginas pendientes, hechas y fallidas"
    )
    status.add_argument("--json", action="store_true")
    status.set_defaults(handler=cmd_ocr_status)
    run = ocr.add_parser("run", parents=[common], help="procesar ahora las páginas pendientes")
    run.set_defaults(handler=cmd_ocr_run)

    audit_cmd = commands.add_parser("audit", help="bitácora").add_subparsers(
        dest="audit_command", required=True
    )
    verify = audit_cmd.add_parser(
        "verify", parents=[common], help="comprobar la cadena de la bitácora"
    )
    verify.add_argument("--json", action="store_true")
    verify.set_defaults(handler=cmd_audit_verify)

    store_cmd = commands.add_parser("store", help="almacén local").add_subparsers(
        dest="store_command", required=True
    )
    check = store_cmd.add_parser(
        "check", parents=[common], help="comprobar base de datos, folios, archivos y bitácora"
    )
    check.add_argument(
        "--sweep", action="store_true", help="borrar archivos huérfanos de más de una hora"
    )
    check.add_argument("--json", action="store_true")
    check.set_defaults(handler=cmd_store_check)

    book = commands.add_parser(
        "libro", parents=[common], help="libro de registro de un día o un periodo (CSV y PDF)"
    )
    book.add_argument("--fecha", type=_date, default=None, help="AAAA-MM-DD (hoy si se omite)")
    book.add_argument("--desde", type=_date, default=None, help="AAAA-MM-DD: inicio del periodo")
    book.add_argument("--hasta", type=_date, default=None, help="AAAA-MM-DD: fin (hoy si se omite)")
    book.add_argument("-o", "--output", type=Path, help="archivo CSV (salida estándar si se omite)")
    book.add_argument("--pdf", type=Path, help="archivo PDF imprimible")
    book.set_defaults(handler=cmd_libro)

    add_signing_commands(commands, common)
    add_verify_commands(commands, common)
    add_firmas_commands(commands, common)
    add_backend_commands(commands, common)
    add_sync_commands(commands, common)
    add_separador_commands(commands, common)
    add_scan_commands(commands, common)
    add_watch_commands(commands, common)
    add_app_commands(commands, common)

    commands.add_parser(
        "demo", parents=[common], help="demostración: registra, procesa y busca las muestras"
    )
    return parser


def add_filing_form_options(parser: argparse.ArgumentParser) -> None:
    """The filing form's options; shared by ``intake`` and ``borradores registrar``."""
    parser.add_argument("--remitente", required=True)
    parser.add_argument("--asunto", required=True)
    parser.add_argument("--area", action="append", default=[], help="área turnada (repetible)")
    parser.add_argument("--copia", action="append", default=[], help="área que recibe copia")
    parser.add_argument("--fojas", type=int, help="fojas declaradas")
    parser.add_argument("--curp")
    parser.add_argument("--rfc")
    parser.add_argument("--correo")
    parser.add_argument("--telefono")
    parser.add_argument("--organizacion")
    parser.add_argument("--cargo")
    parser.add_argument("--tramite")
    parser.add_argument("--oficio", default="S/N", help="número de oficio (S/N si no tiene)")
    parser.add_argument("--fecha-oficio", type=_date)
    parser.add_argument("--canal", choices=[c.value for c in Channel], default="ventanilla")
    parser.add_argument("--prioridad", choices=[p.value for p in Priority], default="normal")
    parser.add_argument("--fecha-limite", type=_date, help="fecha límite de respuesta")
    parser.add_argument("--anexo", action="append", default=[], metavar="DESCRIPCION[:FOJAS]")
    parser.add_argument("--observaciones", default="")
    parser.add_argument("--sensible", action="store_true", help="contiene datos sensibles")
    parser.add_argument("--motivo-duplicado", help="registrar aunque el documento ya exista")


def filing_from_args(args: argparse.Namespace) -> NewFiling:
    """The filing the form options describe (see :func:`add_filing_form_options`)."""
    return NewFiling(
        sender=Sender(
            args.remitente,
            args.curp,
            args.rfc,
            args.correo,
            args.telefono,
            args.organizacion,
            args.cargo,
        ),
        subject=args.asunto,
        channel=Channel(args.canal),
        procedure_type=args.tramite,
        document_number=args.oficio,
        document_date=args.fecha_oficio,
        addressees=tuple(
            [Addressee(a) for a in args.area] + [Addressee(a, AreaRole.COPIA) for a in args.copia]
        ),
        fojas_declared=args.fojas,
        annexes=tuple(_annex(a) for a in args.anexo),
        priority=Priority(args.prioridad),
        response_due=args.fecha_limite,
        observations=args.observaciones,
        sensitive=args.sensible,
        duplicate_override_reason=args.motivo_duplicado,
    )


def cmd_intake(args: argparse.Namespace, store: Store, settings: Settings) -> int:
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
        _print_json(
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
        progress = OcrWorker(store, settings, on_progress=_report_progress).run_until_idle()
        print(
            f"OCR: {progress.pages_done} páginas listas, {progress.pages_failed} fallidas.",
            file=sys.stderr,
        )
    return 0


def cmd_show(args: argparse.Namespace, store: Store, settings: Settings) -> int:
    filing = filings.get_filing(store.reader(), args.folio, with_text=args.texto)
    if args.json:
        _print_json(filing)
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
        _print_json(rows)
        return 0
    for row in rows:
        print(
            f"{row.folio}  {row.received_at:%Y-%m-%d %H:%M}  {row.status.value:<10} "
            f"{row.sender[:30]:<30}  {row.subject[:60]}"
        )
    return 0


def cmd_search(args: argparse.Namespace, store: Store, settings: Settings) -> int:
    results = search.search(store.reader(), " ".join(args.text), limit=args.limite)
    if args.json:
        _print_json(results)
        return 0
    if not results.hits:
        print("Sin resultados.")
    for hit in results.hits:
        print(f"{hit.folio}  {hit.sender} — {hit.subject}\n    {hit.snippet}")
    return 0


def cmd_ocr_status(args: argparse.Namespace, store: Store, settings: Settings) -> int:
    progress = filings.ocr_progress(store.reader())
    failures = list(
        store.reader().query(
            "SELECT f.folio, p.page_no, p.error FROM pages p "
            "JOIN documents d ON d.id = p.document_id "
            "JOIN filings f ON f.uuid = d.filing_uuid WHERE p.ocr_status = 'fallida' ORDER BY p.id"
        )
    )
    if args.json:
        _print_json({**dataclasses.asdict(progress), "failures": failures})
        return 0
    print(
        f"Páginas: {progress.pages_total} · hechas {progress.pages_done} · "
        f"pendientes {progress.pages_pending} · fallidas {progress.pages_failed}"
    )
    for failure in failures:
        print(f"  {failure['folio']} página {failure['page_no']}: {failure['error']}")
    return 0


def cmd_ocr_run(args: argparse.Namespace, store: Store, settings: Settings) -> int:
    progress = OcrWorker(store, settings, on_progress=_report_progress).run_until_idle()
    print(
        f"OCR: {progress.pages_done} páginas listas, {progress.pages_failed} fallidas, "
        f"{progress.pages_pending} pendientes."
    )
    return 0


def cmd_audit_verify(args: argparse.Namespace, store: Store, settings: Settings) -> int:
    report = audit.verify_chain(store.reader())
    if args.json:
        _print_json(report)
    elif report.ok:
        print(f"Bitácora íntegra: {report.events_checked} eventos, último {report.head[:16]}…")
    else:
        print(
            f"¡Bitácora alterada! {report.problem} (evento {report.first_bad_seq}).",
            file=sys.stderr,
        )
    return 0 if report.ok else 2


def cmd_store_check(args: argparse.Namespace, store: Store, settings: Settings) -> int:
    report = check_store(store, sweep=args.sweep)
    if args.json:
        _print_json({**dataclasses.asdict(report), "ok": report.ok})
        return 0 if report.ok else 2
    print(
        f"SQLite: {report.sqlite_integrity} · {report.filings} escritos · "
        f"{report.blobs_checked} archivos comprobados"
    )
    for problem in report.folio_problems:
        print(f"  Folios: {problem}")
    for sha in report.bad_blobs:
        print(f"  Archivo faltante o alterado: {sha}")
    for problem in report.acuse_problems:
        print(f"  Acuses: {problem}")
    print("  Bitácora: " + ("íntegra" if report.audit.ok else f"ALTERADA: {report.audit.problem}"))
    if args.sweep:
        print(f"  {len(report.swept)} archivos huérfanos borrados")
    print("Todo en orden." if report.ok else "¡Se encontraron problemas!")
    return 0 if report.ok else 2


def cmd_libro(args: argparse.Namespace, store: Store, settings: Settings) -> int:
    from mailroom import libro_pdf
    from mailroom.clock import SystemClock

    period = _libro_period(args, settings)
    if args.pdf:
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


def _libro_period(args: argparse.Namespace, settings: Settings) -> libro.Period:
    if args.fecha and (args.desde or args.hasta):
        raise InvalidInput("Use --fecha para un día o --desde/--hasta para un periodo, no ambos.")
    if args.fecha or not (args.desde or args.hasta):
        return libro.Period.day(args.fecha or _today(settings))
    last = args.hasta or _today(settings)
    return libro.Period(args.desde or last, last)


def _today(settings: Settings) -> date:
    from datetime import datetime

    return datetime.now(settings.zone).date()


def _annex(value: str) -> Annex:
    description, _, pages = value.rpartition(":") if ":" in value else (value, "", "0")
    if not pages.strip().isdigit():
        raise InvalidInput(
            f"Anexo {value!r}: use DESCRIPCION:FOJAS, p. ej. 'Copia de INE:1'.", field="anexo"
        )
    return Annex(description.strip(), int(pages))


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"fecha inválida {value!r}: use AAAA-MM-DD") from error


def _report_progress(progress: Any) -> None:
    print(
        f"\rOCR {progress.pages_done + progress.pages_failed}/{progress.pages_total}",
        end="",
        file=sys.stderr,
        flush=True,
    )
    if progress.finished:
        print(file=sys.stderr)


def _print_json(value: Any) -> None:
    print(json.dumps(_plain(value), ensure_ascii=False, indent=2, default=str))


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {k: _plain(v) for k, v in dataclasses.asdict(value).items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, Enum):
        return value.value
    return value


if __name__ == "__main__":
    sys.exit(main())
