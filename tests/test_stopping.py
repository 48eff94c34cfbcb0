"""A long-running command stops on SIGTERM at once, even while its loop sleeps for minutes."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest

CHILD = """
import signal, threading
from mailroom.stopping import run_until_stopped

# Another thread, as the database writer is: the kernel may hand it the signal.
threading.Thread(target=threading.Event().wait, daemon=True).start()

def loop(stop):
    print("listo", flush=True)
    while not stop.is_set():
        stop.wait(600)  # the watcher's long sleep

run_until_stopped(loop, [signal.SIGTERM])
print("terminado", flush=True)
"""


def test_sigterm_stops_a_loop_sleeping_for_minutes() -> None:
    for _ in range(3):
        child = subprocess.Popen([sys.executable, "-c", CHILD], stdout=subprocess.PIPE, text=True)
        try:
            assert child.stdout is not None and child.stdout.readline().strip() == "listo"
            started = time.monotonic()
            child.send_signal(signal.SIGTERM)
            assert child.wait(timeout=10) == 0
            assert time.monotonic() - started < 2
            assert child.stdout.read().strip() == "terminado"
        finally:
            if child.poll() is None:
                child.kill()
                child.wait()


def test_a_failure_of_the_loop_reaches_the_caller() -> None:
    from mailroom.stopping import run_until_stopped

    def loop(stop: object) -> None:
        raise ValueError("disco lleno")

    with pytest.raises(ValueError, match="disco lleno"):
        run_until_stopped(loop, [])
