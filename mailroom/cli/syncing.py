"""``oficialia enroll`` and ``oficialia sync [--once|--watch] | status | retry``.

``sync`` exits with 0 when the pass reached the backend and nothing needs a person, 1 when it was
offline or an item was parked or postponed, 2 when the backend revoked this device (enrol again).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import signal
import threading
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from mailroom.config import Settings
from mailroom.stopping import run_until_stopped

if TYPE_CHECKING:
    from mailroom.store import Store
    from sync.status import SyncReport
    from sync.worker import SyncSummary

EXIT_REVOKED = 2


def add_sync_commands(commands: Any, common: argparse.ArgumentParser) -> None:
    enroll = commands.add_parser(
        "enroll", parents=[common], help="dar de alta este equipo con el servidor estatal"
    )
    enroll.add_argument("url", metavar="URL", help="dirección del servidor (https://…)")
    enroll.add_argument("token", metavar="TOKEN", help="token de alta que dio el administrador")
    enroll.set_defaults(handler=cmd_enroll)

    sync = commands.add_parser(
        "sync", parents=[common], help="enviar los escritos al servidor estatal"
    )
    mode = sync.add_mutually_exclusive_group()
    mode.add_argument("--once", action="store_true", help="una pasada y terminar (predeterminado)")
    mode.add_argument(
        "--watch", action="store_true", help="seguir en segundo plano hasta Ctrl+C o SIGTERM"
    )
    sync.add_argument("--backend", metavar="URL", help="usar este servidor en vez del guardado")
    sync.add_argument("--json", action="store_true")
    sync.set_defaults(handler=cmd_sync)
    subcommands = sync.add_subparsers(dest="sync_command", required=False, metavar="ACCION")
    status = subcommands.add_parser(
        "status", parents=[common], help="pendientes, fallidos, conexión y desfase del reloj"
    )
    status.add_argument("--json", action="store_true")
    status.set_defaults(handler=cmd_sync_status)
    retry = subcommands.add_parser(
        "retry", parents=[common], help="volver a intentar un escrito que requiere atención"
    )
    retry.add_argument("folio", metavar="FOLIO")
    retry.set_defaults(handler=cmd_sync_retry)


def cmd_enroll(args: argparse.Namespace, store: Store, settings: Settings) -> int:
    from sync.enrolment import enroll_at

    enrolled = enroll_at(settings, store, args.url, args.token, datetime.now(UTC))
    print(
        f"Equipo {settings.device} dado de alta en {enrolled.backend_url} "
        f"(identificador {enrolled.device_id}, oficina {enrolled.office or settings.office}, "
        f"llave del servidor {enrolled.server_key_id})."
    )
    return 0


def cmd_sync(args: argparse.Namespace, store: Store, settings: Settings) -> int:
    from sync.worker import SyncWorker

    worker = SyncWorker(store, settings, backend_url=args.backend)
    if args.watch:
        return _watch(worker)
    summary = worker.run_once()
    if args.json:
        print(json.dumps(_summary_dict(summary), ensure_ascii=False, indent=2))
    else:
        _print_summary(summary)
    if summary.revoked:
        return EXIT_REVOKED
    return 0 if summary.online and not (summary.parked or summary.postponed) else 1


def cmd_sync_status(args: argparse.Namespace, store: Store, settings: Settings) -> int:
    from sync.status import sync_report

    report = sync_report(store.reader())
    if args.json:
        print(json.dumps(dataclasses.asdict(report), ensure_ascii=False, indent=2))
    else:
        _print_report(report)
    return EXIT_REVOKED if report.reenrol_required else 0


def cmd_sync_retry(args: argparse.Namespace, store: Store, settings: Settings) -> int:
    from sync import outbox

    item = outbox.retry(store, args.folio, datetime.now(UTC))
    if item.state.value == "sincronizada":
        print(f"{item.folio} ya está sincronizado; no hay nada que reintentar.")
    else:
        print(f"{item.folio} vuelve a la cola: se enviará en la próxima sincronización.")
    return 0


def _print_summary(summary: SyncSummary) -> None:
    if summary.revoked:
        print(f"EQUIPO DADO DE BAJA por el servidor: {summary.revoked}")
        return
    if summary.busy:
        print(summary.busy)
        return
    if not summary.online:
        reason = summary.connectivity.reason if summary.connectivity else ""
        print(f"Sin conexión con el servidor: {reason}. Los escritos siguen en cola.")
        return
    print(
        f"{len(summary.synced)} sincronizados, {len(summary.postponed)} por reintentar, "
        f"{len(summary.parked)} requieren atención"
    )
    for folio in summary.synced:
        print(f"  {folio}: sincronizado")
    for folio in (*summary.parked, *summary.postponed):
        print(f"  {folio}: {summary.messages.get(folio, '')}")
    if summary.connectivity and summary.connectivity.skewed:
        print(
            f"¡ATENCIÓN! El reloj del equipo difiere {summary.connectivity.clock_skew_seconds} s "
            "del servidor: corrija la hora."
        )
    if summary.downsync_error:
        print(f"Catálogos y estados sin actualizar: {summary.downsync_error}")


def _print_report(report: SyncReport) -> None:
    if not report.enrolled:
        print("Equipo sin dar de alta: use «oficialia enroll URL TOKEN».")
    else:
        print(f"Servidor: {report.backend_url} (equipo {report.device_id})")
    if report.reenrol_required:
        print(f"EQUIPO DADO DE BAJA: {report.revoked_message} Dé de alta el equipo de nuevo.")
    connection = "en línea" if report.online else "sin conexión"
    if not report.online and report.offline_reason:
        connection += f" ({report.offline_reason})"
    print(f"Conexión: {connection}; última comprobación {report.checked_at or 'nunca'}")
    if report.clock_skew_seconds is not None:
        warning = " ¡ATENCIÓN! corrija la hora del equipo" if report.clock_skewed else ""
        print(f"Desfase del reloj: {report.clock_skew_seconds} s{warning}")
    print(
        f"Pendientes: {report.pending} · enviando: {report.sending} · sincronizados: "
        f"{report.synced} · requieren atención: {report.needs_attention}"
    )
    print(f"Última sincronización exitosa: {report.last_success_at or 'nunca'}")
    for problem in report.problems:
        when = f" (siguiente intento {problem.next_attempt_at})" if problem.next_attempt_at else ""
        print(f"  {problem.folio} [{problem.state}]: {problem.reason}{when}")


def _summary_dict(summary: SyncSummary) -> dict[str, Any]:
    state = summary.connectivity
    return {
        "en_linea": summary.online,
        "motivo_sin_conexion": state.reason if state else None,
        "desfase_reloj_segundos": state.clock_skew_seconds if state else None,
        "sincronizados": list(summary.synced),
        "por_reintentar": list(summary.postponed),
        "requieren_atencion": list(summary.parked),
        "mensajes": summary.messages,
        "dado_de_baja": summary.revoked,
        "error_de_catalogos": summary.downsync_error,
    }


def _watch(worker: Any) -> int:
    stop = threading.Event()

    def finish() -> None:
        stop.set()
        worker.stop_waiting()

    def report(summary: SyncSummary) -> None:
        for folio in summary.synced:
            print(f"Sincronizado: {folio}", flush=True)
        for folio in (*summary.parked, *summary.postponed):
            print(f"{folio}: {summary.messages.get(folio, '')}", flush=True)
        if summary.revoked:
            print(f"EQUIPO DADO DE BAJA: {summary.revoked}", flush=True)
            finish()

    def loop(stop: threading.Event) -> None:
        print("Sincronizando en segundo plano (Ctrl+C para terminar)…", flush=True)
        worker.run_forever(stop, on_summary=report)

    run_until_stopped(loop, [signal.SIGTERM], stop=stop, on_stop=worker.stop_waiting)
    return 0
