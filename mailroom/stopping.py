"""Running a long command (``firmas actualizar --vigilar``, ``sync --watch``, ``watch``) until a
signal asks it to stop.

The loop runs on a worker thread and the main thread only waits for it, waking every quarter of a
second. Why: Python runs signal handlers on the main thread, and only when that thread runs
bytecode. A loop sleeping in ``Event.wait`` on the main thread is blocked in a lock wait, and
when the kernel hands SIGTERM to another thread (the database writer, say) nothing wakes it:
``firmas actualizar --vigilar`` ignored SIGTERM until its sleep ended (a minute and more; its
test caught it, with the main thread stuck in ``upgrade.run_forever``'s wait). The handler itself
only starts a thread that calls ``stop``: setting an ``Event`` from a handler that interrupted
the main thread inside that event's own lock would wait on it forever.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterable
from typing import Any

WAKE_SECONDS = 0.25


def run_until_stopped(
    loop: Callable[[threading.Event], None],
    signals: Iterable[signal.Signals],
    *,
    stop: threading.Event | None = None,
    on_stop: Callable[[], None] | None = None,
) -> None:
    """Run ``loop(stop)`` on a worker thread until it returns; any of ``signals`` (and Ctrl+C)
    sets ``stop`` and calls ``on_stop`` (e.g. to cut a sleep short). An exception of the loop is
    raised here."""
    stop = stop or threading.Event()
    failure: list[BaseException] = []

    def requested() -> None:
        stop.set()
        if on_stop is not None:
            on_stop()

    def work() -> None:
        try:
            loop(stop)
        except BaseException as error:  # handed to the main thread, which raises it
            failure.append(error)

    previous = _install(signals, requested)
    worker = threading.Thread(target=work, name="oficialia-trabajo", daemon=True)
    try:
        worker.start()
        while worker.is_alive():
            try:
                worker.join(WAKE_SECONDS)
            except KeyboardInterrupt:
                requested()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if failure:
        raise failure[0]


def _install(signals: Iterable[signal.Signals], action: Callable[[], None]) -> dict[int, Any]:
    def handler(signum: int, frame: object) -> None:
        threading.Thread(target=action, name="oficialia-parada", daemon=True).start()

    return {sig: signal.signal(sig, handler) for sig in signals}
