"""Keeping the kiosk running where systemd does not: Windows, or any system without it. Qt-free.

:func:`supervise` runs the kiosk as a child process and starts it again whenever it ends, except
when staff chose "Salir al escritorio" (exit code :data:`EXIT_TO_DESKTOP`). A kiosk whose screen
froze is still a running process, so the child is also watched through a heartbeat file (named
to it in ``OFICIALIA_HEARTBEAT_FILE``, rewritten by ``kiosk.watchdog`` from the GUI thread): when
the file has not changed for ``heartbeat_timeout`` seconds the child is killed and started
again. Restarts wait a little longer each time (a kiosk that cannot start should not spin the
CPU), and the wait goes back to the first one once a child has stayed up a while.

Run it as ``python -m kiosk.supervisor [--heartbeat-timeout S] [-- COMMAND…]``.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kiosk.watchdog import HEARTBEAT_FILE_VARIABLE, HEARTBEAT_TIMEOUT_VARIABLE

__all__ = [
    "EXIT_TO_DESKTOP",
    "SupervisorPolicy",
    "build_parser",
    "main",
    "next_backoff",
    "supervise",
]

log = logging.getLogger(__name__)

EXIT_TO_DESKTOP = 10
"""The kiosk's exit code for "Salir al escritorio" (``kiosk.app.EXIT_TO_DESKTOP``, repeated here
because that module is Qt's): the one exit that is not restarted."""

HEARTBEAT_NAME = "latido-quiosco"
COULD_NOT_START = 127  # as a shell says for a command it cannot run


@dataclass(frozen=True)
class SupervisorPolicy:
    heartbeat_timeout: float = 30.0
    first_backoff: float = 1.0
    max_backoff: float = 30.0
    stable_after: float = 60.0
    stop_grace: float = 5.0  # how long a child asked to end may take before it is killed


def next_backoff(previous: float | None, uptime: float, policy: SupervisorPolicy) -> float:
    """The wait before the next start: the first one after a child that ran ``stable_after``
    seconds (or before any restart), otherwise twice the last, up to ``max_backoff``."""
    if previous is None or uptime >= policy.stable_after:
        return policy.first_backoff
    return min(previous * 2, policy.max_backoff)


def supervise(
    command: Sequence[str],
    heartbeat_file: Path,
    policy: SupervisorPolicy = SupervisorPolicy(),  # noqa: B008 - frozen, so sharing it is safe
    *,
    stop: threading.Event | None = None,
) -> int:
    """Run ``command`` until it exits with :data:`EXIT_TO_DESKTOP` (returned) or ``stop`` is
    set (the child is ended; 0 is returned)."""
    stop = stop or threading.Event()
    backoff: float | None = None
    while not stop.is_set():
        started = time.monotonic()
        code = _run_once(command, heartbeat_file, policy, stop)
        uptime = time.monotonic() - started
        if stop.is_set():
            break
        if code == EXIT_TO_DESKTOP:
            log.info("kiosk exited to the desktop after %.0f s; not restarting", uptime)
            return code
        backoff = next_backoff(backoff, uptime, policy)
        reason = "stopped sending heartbeats" if code is None else f"exited with code {code}"
        log.warning("kiosk %s after %.0f s; restarting in %.1f s", reason, uptime, backoff)
        if stop.wait(backoff):
            break
    log.info("supervisor stopping")
    return 0


def _run_once(
    command: Sequence[str], heartbeat_file: Path, policy: SupervisorPolicy, stop: threading.Event
) -> int | None:
    """One life of the child: its exit code, or None when it froze and was killed."""
    with contextlib.suppress(OSError):  # a beat left by the last child says nothing of this one
        heartbeat_file.unlink(missing_ok=True)
    try:
        child = _start(command, heartbeat_file, policy)
    except OSError as error:  # a kiosk not installed yet, a disk not mounted yet: try again later
        log.error("could not start the kiosk %s: %s", list(command), error)
        return COULD_NOT_START
    try:
        return _watch(child, heartbeat_file, policy, stop)
    finally:
        _end(child, policy.stop_grace)  # also on KeyboardInterrupt: never leave a kiosk behind


def _start(
    command: Sequence[str], heartbeat_file: Path, policy: SupervisorPolicy
) -> subprocess.Popen[bytes]:
    environment = dict(os.environ)
    environment[HEARTBEAT_FILE_VARIABLE] = str(heartbeat_file)
    environment[HEARTBEAT_TIMEOUT_VARIABLE] = str(policy.heartbeat_timeout)
    if sys.platform == "win32":  # pragma: no cover - exercised on Windows builds only
        # Started from pythonw (no console), a console program such as oficialia.exe would
        # otherwise open a console window of its own behind the kiosk.
        flags = subprocess.CREATE_NO_WINDOW
        return subprocess.Popen(list(command), env=environment, creationflags=flags)
    # Its own process group, so that ending the kiosk also ends what it started (a print job,
    # an OCR process) instead of leaving those to pile up over the restarts.
    return subprocess.Popen(list(command), env=environment, start_new_session=True)


def _watch(
    child: subprocess.Popen[bytes],
    heartbeat_file: Path,
    policy: SupervisorPolicy,
    stop: threading.Event,
) -> int | None:
    poll = max(0.02, min(0.5, policy.heartbeat_timeout / 10))
    seen = _heartbeat(heartbeat_file)
    # Monotonic, not the file's own timestamp: a wall clock corrected at boot would otherwise
    # look like a long silence and kill a healthy kiosk.
    last_change = time.monotonic()
    while not stop.is_set():
        try:  # waiting on the child, not on a timer: an exit is seen at once
            return child.wait(poll)
        except subprocess.TimeoutExpired:
            pass
        now_seen = _heartbeat(heartbeat_file)
        if now_seen != seen:
            seen, last_change = now_seen, time.monotonic()
        elif time.monotonic() - last_change > policy.heartbeat_timeout:
            log.warning(
                "no heartbeat from the kiosk (pid %d) for %.0f s: its screen is frozen; killing it",
                child.pid,
                policy.heartbeat_timeout,
            )
            return None
    return child.poll()


def _heartbeat(path: Path) -> tuple[int, bytes] | None:
    """What identifies the file's current beat; None when there is none yet."""
    try:
        return path.stat().st_mtime_ns, path.read_bytes()[:256]
    except OSError:
        return None


def _end(child: subprocess.Popen[bytes], grace: float) -> None:
    if child.poll() is not None:
        _signal(child, signal.SIGTERM)  # what a crashed kiosk left running goes with it
        return
    _signal(child, signal.SIGTERM)
    try:
        child.wait(grace)
    except subprocess.TimeoutExpired:
        # A frozen GUI thread may never get to a SIGTERM handler (Qt apps often install one).
        _signal(child, getattr(signal, "SIGKILL", signal.SIGTERM))
        child.wait()


def _signal(child: subprocess.Popen[bytes], number: int) -> None:
    if os.name == "nt":  # pragma: no cover - TerminateProcess: Windows has no gentler signal
        child.kill()
        return
    with contextlib.suppress(ProcessLookupError):  # the whole group is gone already
        os.killpg(child.pid, number)  # the group _start made: the kiosk and what it started


def default_command() -> list[str]:
    """``oficialia kiosk`` with this same program: a packaged build's executable is the
    command line itself; from source, the interpreter runs the entry point."""
    if getattr(sys, "frozen", False):
        return [sys.executable, "kiosk"]
    return [sys.executable, "-m", "mailroom.entry", "kiosk"]


def default_heartbeat_file() -> Path:
    from mailroom.config import resolve_data_dir

    return resolve_data_dir() / "kiosk" / HEARTBEAT_NAME


def build_parser(*, add_help: bool = True) -> argparse.ArgumentParser:
    """Also the options of ``oficialia kiosk supervisar`` (``add_help=False``: as a parent)."""
    parser = argparse.ArgumentParser(
        prog="python -m kiosk.supervisor",
        description="Mantiene el quiosco abierto: lo reinicia si termina o si su pantalla se "
        "congela (sin latido). Sin orden, ejecuta «oficialia kiosk».",
        add_help=add_help,
    )
    parser.add_argument(
        "--heartbeat-timeout",
        type=float,
        default=SupervisorPolicy.heartbeat_timeout,
        help="segundos sin latido tras los que el quiosco se reinicia (30 si no se indica)",
    )
    parser.add_argument(
        "--heartbeat-file",
        type=Path,
        help="archivo de latido (DATOS/kiosk/latido-quiosco si no se indica)",
    )
    parser.add_argument(
        "--log-file",
        type=Path,
        help="añade el registro a este archivo (con pythonw no hay consola donde verlo)",
    )
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- ORDEN [ARGUMENTOS…]")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.heartbeat_timeout <= 0:
        parser.error("--heartbeat-timeout debe ser mayor que cero")
    return run(args)


def run(args: argparse.Namespace) -> int:
    """Supervise with parsed options (``main``, or ``oficialia kiosk supervisar``)."""
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    heartbeat_file = args.heartbeat_file or default_heartbeat_file()
    heartbeat_file.parent.mkdir(parents=True, exist_ok=True)
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(message)s",
        filename=args.log_file,
        encoding="utf-8",
    )
    stop = threading.Event()
    policy = SupervisorPolicy(heartbeat_timeout=args.heartbeat_timeout)
    with _stop_on_signals(stop):
        return supervise(command or default_command(), heartbeat_file, policy, stop=stop)


@contextlib.contextmanager
def _stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """SIGTERM (a service manager, a shutdown) and Ctrl+C end the kiosk, then the supervisor.
    The handlers before are put back afterwards (``main`` may run inside another program)."""
    previous: dict[int, Any] = {}
    if threading.current_thread() is threading.main_thread():
        for name in ("SIGTERM", "SIGINT", "SIGBREAK"):
            number = getattr(signal, name, None)
            if number is not None:
                previous[number] = signal.signal(number, lambda *_: stop.set())
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


if __name__ == "__main__":
    sys.exit(main())
