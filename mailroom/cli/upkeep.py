"""``oficialia ocr status|run``, ``audit verify`` and ``store check``: the state of the OCR
queue, the audit chain and the local store."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from typing import TYPE_CHECKING, Any

from mailroom.cli.output import print_json, report_ocr_progress
from mailroom.config import Settings

if TYPE_CHECKING:
    from mailroom.store import Store


def add_upkeep_commands(commands: Any, common: argparse.ArgumentParser) -> None:
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


def cmd_ocr_status(args: argparse.Namespace, store: Store, settings: Settings) -> int:
    from mailroom import filings

    progress = filings.ocr_progress(store.reader())
    failures = list(
        store.reader().query(
            "SELECT f.folio, p.page_no, p.error FROM pages p "
            "JOIN documents d ON d.id = p.document_id "
            "JOIN filings f ON f.uuid = d.filing_uuid WHERE p.ocr_status = 'fallida' ORDER BY p.id"
        )
    )
    if args.json:
        print_json({**dataclasses.asdict(progress), "failures": failures})
        return 0
    print(
        f"Páginas: {progress.pages_total} · hechas {progress.pages_done} · "
        f"pendientes {progress.pages_pending} · fallidas {progress.pages_failed}"
    )
    for failure in failures:
        print(f"  {failure['folio']} página {failure['page_no']}: {failure['error']}")
    return 0


def cmd_ocr_run(args: argparse.Namespace, store: Store, settings: Settings) -> int:
    from mailroom.ocr.worker import OcrWorker

    progress = OcrWorker(store, settings, on_progress=report_ocr_progress).run_until_idle()
    print(
        f"OCR: {progress.pages_done} páginas listas, {progress.pages_failed} fallidas, "
        f"{progress.pages_pending} pendientes."
    )
    return 0


def cmd_audit_verify(args: argparse.Namespace, store: Store, settings: Settings) -> int:
    from mailroom import audit

    report = audit.verify_chain(store.reader())
    if args.json:
        print_json(report)
    elif report.ok:
        print(f"Bitácora íntegra: {report.events_checked} eventos, último {report.head[:16]}…")
    else:
        print(
            f"¡Bitácora alterada! {report.problem} (evento {report.first_bad_seq}).",
            file=sys.stderr,
        )
    return 0 if report.ok else 2


def cmd_store_check(args: argparse.Namespace, store: Store, settings: Settings) -> int:
    from mailroom.store.check import check_store

    report = check_store(store, sweep=args.sweep)
    if args.json:
        print_json({**dataclasses.asdict(report), "ok": report.ok})
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
    for problem in report.account_problems:
        print(f"  Cuentas: {problem}")
    print("  Bitácora: " + ("íntegra" if report.audit.ok else f"ALTERADA: {report.audit.problem}"))
    if args.sweep:
        print(f"  {len(report.swept)} archivos huérfanos borrados")
    print("Todo en orden." if report.ok else "¡Se encontraron problemas!")
    return 0 if report.ok else 2
