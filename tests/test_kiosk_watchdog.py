from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.watchdog import DEFAULT_PING_MS, Watchdog

pytestmark = pytest.mark.skipif(not hasattr(socket, "AF_UNIX"), reason="no unix sockets here")


@pytest.fixture
def service_manager(tmp_path: Path) -> Iterator[tuple[socket.socket, str]]:
    """A datagram socket standing in for systemd's notify socket."""
    receiver = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    path = tmp_path / "notify"
    receiver.bind(str(path))
    receiver.settimeout(5)
    yield receiver, str(path)
    receiver.close()


def _received(receiver: socket.socket) -> str:
    return receiver.recv(4096).decode("utf-8")


def _nothing_waiting(receiver: socket.socket) -> bool:
    receiver.setblocking(False)
    try:
        receiver.recv(4096)
    except BlockingIOError:
        return True
    finally:
        receiver.settimeout(5)
    return False


def test_systemd_hears_ready_watchdog_status_and_stopping(
    service_manager: tuple[socket.socket, str],
) -> None:
    receiver, path = service_manager
    watchdog = Watchdog.from_environment(
        {"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "30000000", "WATCHDOG_PID": str(os.getpid())}
    )
    assert watchdog.active
    assert watchdog.ping_interval_ms == 15_000
    watchdog.status("Fuera de servicio:\nsin escáner")
    assert _received(receiver) == "STATUS=Fuera de servicio: sin escáner"
    watchdog.ready()
    assert _received(receiver) == "READY=1"
    watchdog.ping()
    assert _received(receiver) == "WATCHDOG=1"
    watchdog.ready("Listo")
    assert _received(receiver) == "READY=1\nSTATUS=Listo"
    watchdog.stopping()
    assert _received(receiver) == "STOPPING=1"
    assert _nothing_waiting(receiver)
    watchdog.close()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="abstract sockets are Linux's")
def test_an_abstract_notify_socket_works() -> None:
    name = f"oficialia-test-{uuid.uuid4().hex}"
    receiver = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    receiver.bind("\0" + name)
    receiver.settimeout(5)
    try:
        watchdog = Watchdog.from_environment({"NOTIFY_SOCKET": "@" + name})
        assert watchdog.ping_interval_ms == DEFAULT_PING_MS
        watchdog.ping()
        assert _received(receiver) == "WATCHDOG=1"
    finally:
        receiver.close()


def test_a_watchdog_meant_for_another_process_is_inactive(
    service_manager: tuple[socket.socket, str],
) -> None:
    receiver, path = service_manager
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        watchdog = Watchdog.from_environment(
            {"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "30000000", "WATCHDOG_PID": str(other.pid)}
        )
        assert not watchdog.active
        watchdog.ping()
        assert _nothing_waiting(receiver)
        # READY=1 is not the watchdog's: systemd still needs it to finish starting the unit.
        watchdog.ready()
        assert _received(receiver) == "READY=1"
        assert _nothing_waiting(receiver)
    finally:
        other.kill()
        other.wait()


def test_under_cage_the_parent_pid_counts_as_ours(
    service_manager: tuple[socket.socket, str],
) -> None:
    receiver, path = service_manager
    watchdog = Watchdog.from_environment(
        {"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "20000000", "WATCHDOG_PID": str(os.getppid())}
    )
    assert watchdog.active
    watchdog.ping()
    assert _received(receiver) == "WATCHDOG=1"


def test_the_heartbeat_file_changes_on_every_ping(tmp_path: Path) -> None:
    heartbeat = tmp_path / "latido"
    watchdog = Watchdog.from_environment(
        {"OFICIALIA_HEARTBEAT_FILE": str(heartbeat), "OFICIALIA_HEARTBEAT_TIMEOUT": "30"}
    )
    assert watchdog.active
    assert watchdog.ping_interval_ms == 15_000
    watchdog.ping()
    first = heartbeat.read_text()
    watchdog.ping()
    second = heartbeat.read_text()
    assert first != second
    assert second.split()[0] == str(os.getpid())
    watchdog.ready()
    assert heartbeat.read_text() != second


def test_no_supervisor_means_a_watchdog_that_does_nothing() -> None:
    watchdog = Watchdog.from_environment({})
    assert not watchdog.active
    assert watchdog.ping_interval_ms == DEFAULT_PING_MS
    watchdog.ready()
    watchdog.ping()
    watchdog.status("Listo")
    watchdog.stopping()


@pytest.mark.parametrize("usec", ["", "abc", "0", "-5", "inf", "nan"])
def test_a_strange_watchdog_usec_gives_the_default_interval(usec: str) -> None:
    watchdog = Watchdog.from_environment({"NOTIFY_SOCKET": "/nonexistent", "WATCHDOG_USEC": usec})
    assert watchdog.ping_interval_ms == DEFAULT_PING_MS


def test_a_dead_supervisor_is_logged_once_and_never_raises(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="kiosk.watchdog")
    gone = Watchdog.from_environment({"NOTIFY_SOCKET": str(tmp_path / "nobody-listens")})
    unwritable = Watchdog.from_environment(
        {"OFICIALIA_HEARTBEAT_FILE": str(tmp_path / "missing-folder" / "latido")}
    )
    for _ in range(3):
        gone.ready()
        gone.ping()
        gone.status("Listo")
        unwritable.ping()
    warnings = [record.getMessage() for record in caplog.records]
    assert len(warnings) == 2
    assert "nobody-listens" in warnings[0] and "latido" in warnings[1]


def test_a_socket_that_is_not_unix_is_not_used(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="kiosk.watchdog")
    watchdog = Watchdog.from_environment({"NOTIFY_SOCKET": "vsock:2:1234"})
    assert not watchdog.active
    watchdog.ping()
    assert "vsock:2:1234" in caplog.text
