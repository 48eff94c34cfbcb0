"""``oficialia watch``, ``oficialia lote`` and ``oficialia borradores``: scanned batches become
drafts (from the watched folder, or from a scanner or file after the clerk confirms the split),
and a clerk registers, attaches or discards each draft.

The capture modules (QR decoding, clean-up) are imported inside the handlers: other commands
never pay for them.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mailroom.cli.efirma import add_intake_sealing_options
from mailroom.cli.forms import add_filing_form_options, filing_from_args
from mailroom.config import Settings
from mailroom.errors import InvalidInput
from mailroom.stopping import run_until_stopped

if TYPE_CHECKING:
    from mailroom.capture.watch import WatchEvent
    from mailroom.drafts import Draft
    from mailroom.store import Store

_YES = ("s", "si", "sí", "y", "yes")


def add_watch_commands(commands: Any, common: argparse.ArgumentParser) -> None:
    watch = commands.add_parser(
        "watch", parents=[common], help="convertir en borradores lo que llega a una carpeta"
    )
    watch.add_argument("folder", type=Path, metavar="CARPETA")
    watch.add_argument(
        "--una-vez", action="store_true", help="tomar lo que ya está completo y terminar"
    )
    watch.set_defaults(handler=cmd_watch)

    batch = commands.add_parser(
        "lote", parents=[common], help="digitalizar o importar un lote y dividirlo en borradores"
    )
    batch.add_argument("source", metavar="FUENTE", help="sane:DISPOSITIVO, file:ARCHIVO…")
    batch.add_argument("--si", action="store_true", help="aceptar la división sin preguntar")
    batch.set_defaults(handler=cmd_lote)

    drafts = commands.add_parser(
        "borradores", parents=[common], help="borradores pendientes de registrar"
    )
    drafts.add_argument("--todos", action="store_true", help="también registrados y descartados")
    drafts.add_argument("--json", action="store_true")
    drafts.set_defaults(handler=cmd_borradores)
    actions = drafts.add_subparsers(dest="borradores_command", required=False, metavar="ACCION")

    register = actions.add_parser(
        "registrar", parents=[common], help="registrar un borrador como escrito nuevo"
    )
    register.add_argument("id", type=int, metavar="ID")
    add_filing_form_options(register)
    register.add_argument(
        "--sin-esperar-ocr", action="store_true", help="terminar al registrar; el OCR queda en cola"
    )
    register.add_argument("--json", action="store_true")
    add_intake_sealing_options(register)  # --cer --key --password-file, as with intake
    register.set_defaults(handler=cmd_registrar)

    attach = actions.add_parser(
        "anexar", parents=[common], help="anexar un borrador al escrito de su carátula"
    )
    attach.add_argument("id", type=int, metavar="ID")
    attach.add_argument("--folio", help="folio del escrito, si la carátula no lo trae")
    attach.add_argument("--sin-esperar-ocr", action="store_true")
    attach.add_argument("--json", action="store_true")
    attach.set_defaults(handler=cmd_anexar)

    discard = actions.add_parser("descartar", parents=[common], help="descartar un borrador")
    discard.add_argument("id", type=int, metavar="ID")
    discard.add_argument("--motivo", required=True, help="por qué (queda en la bitácora)")
    discard.set_defaults(handler=cmd_descartar)

    export = actions.add_parser("pdf", parents=[common], help="escribir el PDF de un borrador")
    export.add_argument("id", type=int, metavar="ID")
    export.add_argument("-o", "--output", type=Path, required=True, metavar="ARCHIVO.pdf")
    export.set_defaults(handler=cmd_pdf)


# -- watch -----------------------------------------------------------------------------------


def cmd_watch(args: argparse.Namespace, store: Store, settings: Settings) -> int:
    from mailroom.capture.watch import FolderWatcher

    problems: list[WatchEvent] = []

    def report(event: WatchEvent) -> None:
        if event.outcome == "error":
            problems.append(event)
        print(_event_line(event), flush=True)

    watcher = FolderWatcher(store, settings, args.folder, on_event=report)
    if args.una_vez:
        watcher.run_once()
        for name in watcher.pending():
            print(f"{name}: aún se está escribiendo; se tomará en la siguiente revisión.")
        return 1 if problems else 0

    def loop(stop: threading.Event) -> None:
        print(
            f"Vigilando {watcher.folder} cada {settings.watch_interval_seconds} s "
            "(Ctrl+C para terminar)…",
            flush=True,
        )
        watcher.run(stop)

    run_until_stopped(loop, _STOP_SIGNALS)
    print("Vigilancia terminada.", flush=True)
    return 0


_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def _event_line(event: WatchEvent) -> str:
    where = f" → {event.moved_to.parent.name}/{event.moved_to.name}" if event.moved_to else ""
    labels = {
        "procesado": "procesado",
        "ya_procesado": "ya procesado",
        "rechazado": "RECHAZADO",
        "error": "no se pudo procesar",
    }
    return f"{event.name}: {labels[event.outcome]}{where}: {event.message}"


# -- lote ------------------------------------------------------------------------------------


def cmd_lote(args: argparse.Namespace, store: Store, settings: Settings) -> int:
    from mailroom.capture.batch import describe_split, split_batch
    from mailroom.capture.sources import open_source
    from mailroom.drafts import DraftService

    confirm = _confirmation(args.si)
    source = open_source(args.source, settings)
    groups = split_batch(source.pages(progress=_page_progress), source.name)
    print(file=sys.stderr)
    for line in describe_split(groups):
        print(line)
    kept = [group for group in groups if group.prepared.pages]
    if not kept:
        print("El lote no tiene páginas con contenido; no se creó ningún borrador.")
        return 1
    if not confirm(f"¿Crear {len(kept)} borrador{'es' if len(kept) != 1 else ''}? [s/N] "):
        print("No se creó ningún borrador.")
        return 1
    stamp = datetime.now(settings.zone).replace(microsecond=0).isoformat()
    created = DraftService(store, settings).create_from_batch(
        groups, source=source.name, origin=f"lote {source.name} ({stamp})"
    )
    for draft in created:
        print(_draft_line(draft))
    return 0


def _confirmation(accepted: bool) -> Callable[[str], bool]:
    """Decided before scanning: without a terminal to ask on, refuse up front rather than
    after the clerk fed fifty pages."""
    if accepted:
        return lambda _: True
    if not sys.stdin.isatty():
        raise InvalidInput(
            "No hay una terminal para confirmar la división del lote: revísela y repita con "
            "--si para aceptarla sin preguntar.",
            field="si",
        )
    return lambda question: input(question).strip().lower() in _YES


def _page_progress(done: int, total: int | None) -> None:
    print(f"\rPágina {done}" + (f" de {total}" if total else ""), end="", file=sys.stderr)


# -- borradores ------------------------------------------------------------------------------


def cmd_borradores(args: argparse.Namespace, store: Store, settings: Settings) -> int:
    from mailroom.drafts import DraftService

    drafts = DraftService(store, settings).list_drafts(None if args.todos else _pending())
    if args.json:
        print(json.dumps([_draft_json(d) for d in drafts], ensure_ascii=False, indent=2))
        return 0
    if not drafts:
        print("No hay borradores pendientes.")
    for draft in drafts:
        print(_draft_line(draft))
    return 0


def cmd_registrar(args: argparse.Namespace, store: Store, settings: Settings) -> int:
    from mailroom.cli.efirma import seal_after_intake, unlock_for_intake
    from mailroom.drafts import DraftService

    new = filing_from_args(args)
    service = DraftService(store, settings)
    service.get(args.id)  # an unknown draft is said before the e.firma password is asked
    signer = unlock_for_intake(args, settings, store)
    registration = service.register(args.id, new)
    filing = registration.filing
    acuse = seal_after_intake(store, settings, filing.id, signer)
    if args.json:
        result = {"folio": filing.folio, "id": filing.id, "borrador": args.id}
        payload = {**result, "warnings": registration.warnings, "acuse": acuse.seal_state.value}
        print(json.dumps(payload, ensure_ascii=False, indent=2))
    else:
        print(filing.folio)
    state = "sellado" if acuse.sealed else "sin sello: queda pendiente («oficialia acuses sellar»)"
    print(f"Borrador {args.id} registrado; acuse {state}.", file=sys.stderr)
    for warning in registration.warnings:
        print(f"Aviso: {warning}", file=sys.stderr)
    _ocr_unless(args.sin_esperar_ocr, store, settings)
    return 0


def cmd_anexar(args: argparse.Namespace, store: Store, settings: Settings) -> int:
    from mailroom.drafts import DraftService

    attached = DraftService(store, settings).attach(args.id, args.folio)
    filing = attached.filing
    if args.json:
        payload = {"folio": filing.folio, "id": filing.id, "paginas": attached.pages}
        print(json.dumps({**payload, "borrador": args.id}, ensure_ascii=False, indent=2))
    else:
        print(
            f"{filing.folio}: se anexaron {attached.pages} página(s) del borrador {args.id}; "
            f"ahora tiene {filing.pages_scanned} páginas digitalizadas."
        )
    _ocr_unless(args.sin_esperar_ocr, store, settings)
    return 0


def cmd_descartar(args: argparse.Namespace, store: Store, settings: Settings) -> int:
    from mailroom.drafts import DraftService

    draft = DraftService(store, settings).discard(args.id, args.motivo)
    print(f"Borrador {draft.id} descartado: {draft.reason}")
    return 0


def cmd_pdf(args: argparse.Namespace, store: Store, settings: Settings) -> int:
    from mailroom.drafts import DraftService

    draft = DraftService(store, settings).get(args.id)
    data = store.blobs.read_bytes(draft.pdf_sha256)
    temp = args.output.with_name(f".{args.output.name}.tmp")
    try:
        temp.write_bytes(data)
        temp.replace(args.output)
    except OSError as error:
        temp.unlink(missing_ok=True)
        raise InvalidInput(
            f"No se pudo escribir {args.output}: {error.strerror or error}.", field="output"
        ) from error
    print(args.output)
    return 0


def _ocr_unless(skip: bool, store: Store, settings: Settings) -> None:
    if skip:
        return
    from mailroom.ocr.worker import OcrWorker

    progress = OcrWorker(store, settings).run_until_idle()
    print(
        f"OCR: {progress.pages_done} páginas listas, {progress.pages_failed} fallidas.",
        file=sys.stderr,
    )


def _pending() -> Any:
    from mailroom.drafts import DraftState

    return DraftState.PENDIENTE


def _draft_line(draft: Draft) -> str:
    what = "escrito nuevo" if draft.kind == "nuevo" else f"anexo a {draft.target_folio or '¿?'}"
    state = "" if draft.state == "pendiente" else f" [{draft.state.value}]"
    review = (
        f", revisar página {', '.join(map(str, draft.capture.review_pages))}"
        if draft.capture.review_pages
        else ""
    )
    return (
        f"{draft.id:>4}  {draft.created_at:%Y-%m-%d %H:%M}  {what}, "
        f"{draft.page_count} p.{review}{state}  {draft.origin}"
    )


def _draft_json(draft: Draft) -> dict[str, Any]:
    return {
        "id": draft.id,
        "creado": draft.created_at.isoformat(),
        "estado": draft.state.value,
        "tipo": draft.kind.value,
        "folio_destino": draft.target_folio,
        "paginas": draft.page_count,
        "origen": draft.origin,
        "fuente": draft.source,
        "captura": {
            "paginas_digitalizadas": draft.capture.scanned_pages,
            "en_blanco_retiradas": list(draft.capture.blank_removed),
            "por_revisar": list(draft.capture.review_pages),
        },
        "escrito": draft.filing_id,
        "motivo": draft.reason,
        "pdf_sha256": draft.pdf_sha256,
    }
