"""Telling the kiosk's supervisor that the screen is alive. Qt-free.

The kiosk's GUI thread calls :meth:`Watchdog.ping` from a timer, so a screen that freezes (a
deadlock, a driver stuck in a call) stops the pings, and the supervisor restarts the kiosk
instead of leaving a citizen before a dead screen. Two supervisors are understood:

* systemd (``installer/oficialia-kiosk.service``): the ``sd_notify`` datagrams on
  ``NOTIFY_SOCKET`` (``READY=1``, ``WATCHDOG=1``, ``STATUS=…``, ``STOPPING=1``), written here
  rather than pulled in from a library: the protocol is one datagram per message.
* ``kiosk.supervisor`` (Windows, or any system without systemd): a heartbeat file named by
  ``OFICIALIA_HEARTBEAT_FILE``, rewritten on each ping.

With neither, every call does nothing. No call ever raises: a supervisor that cannot be told
must not take the kiosk down with it (a warning is logged once per run of failures).
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Mapping
from pathlib import Path

__all__ = ["DEFAULT_PING_MS", "HEARTBEAT_FILE_VARIABLE", "HEARTBEAT_TIMEOUT_VARIABLE", "Watchdog"]

log = logging.getLogger(__name__)

DEFAULT_PING_MS = 5000
HEARTBEAT_FILE_VARIABLE = "OFICIALIA_HEARTBEAT_FILE"
HEARTBEAT_TIMEOUT_VARIABLE = "OFICIALIA_HEARTBEAT_TIMEOUT"  # seconds, set by kiosk.supervisor
MIN_PING_MS = 50


class Watchdog:
    """Use :meth:`from_environment`; the constructor is for tests and for the classmethod."""

    def __init__(
        self,
        *,
        notify_address: str | None = None,
        heartbeat_file: Path | None = None,
        watchdog_for_us: bool = True,
        ping_interval_ms: int = DEFAULT_PING_MS,
    ) -> None:
        self._address = notify_address
        self._heartbeat = heartbeat_file
        self._pings = watchdog_for_us
        self.ping_interval_ms = ping_interval_ms
        self._socket: socket.socket | None = None
        self._warned = False
        self._beats = 0

    @property
    def active(self) -> bool:
        """Whether pings reach a supervisor that acts on them."""
        return self._pings and (self._address is not None or self._heartbeat is not None)

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] = os.environ) -> Watchdog:
        address = _notify_address(environ.get("NOTIFY_SOCKET", ""))
        if address is not None:
            return cls(
                notify_address=address,
                watchdog_for_us=_watchdog_is_ours(environ.get("WATCHDOG_PID", "")),
                ping_interval_ms=_half_in_ms(environ.get("WATCHDOG_USEC", ""), 1e-3),
            )
        heartbeat = environ.get(HEARTBEAT_FILE_VARIABLE, "")
        if heartbeat:
            return cls(
                heartbeat_file=Path(heartbeat),
                ping_interval_ms=_half_in_ms(environ.get(HEARTBEAT_TIMEOUT_VARIABLE, ""), 1e3),
            )
        return cls(watchdog_for_us=False)

    def ready(self, status: str = "") -> None:
        """The kiosk has started (showing its screens or "Fuera de servicio")."""
        self._notify("READY=1" + (f"\nSTATUS={status}" if status else ""))
        if self._heartbeat is not None:  # our supervisor has no "ready": a beat is its news
            self._beat(self._heartbeat)

    def ping(self) -> None:
        if not self._pings:
            return
        if self._address is not None:
            self._notify("WATCHDOG=1")
        elif self._heartbeat is not None:
            self._beat(self._heartbeat)

    def status(self, text: str) -> None:
        # One line: a newline in the text would start a new assignment in the datagram.
        self._notify("STATUS=" + " ".join(text.split()))

    def stopping(self) -> None:
        self._notify("STOPPING=1")

    def close(self) -> None:
        if self._socket is not None:
            self._socket.close()
            self._socket = None

    def _notify(self, message: str) -> None:
        if self._address is None:
            return
        try:
            if self._socket is None:
                self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
                self._socket.setblocking(False)  # the GUI thread sends: never wait on systemd
            self._socket.sendto(message.encode("utf-8"), self._address)
        except OSError as error:
            self.close()  # a fresh socket next time
            self._failed(f"could not notify the service manager at {self._address!r}: {error}")
        else:
            self._warned = False

    def _beat(self, path: Path) -> None:
        # A counter besides the time: the supervisor looks for any change, and two beats within
        # the file system's timestamp resolution must still differ.
        self._beats += 1
        line = f"{os.getpid()} {self._beats} {time.time():.3f}\n"
        try:
            with path.open("w", encoding="ascii") as handle:
                handle.write(line)
        except OSError as error:
            self._failed(f"could not write the heartbeat file {path}: {error}")
        else:
            self._warned = False

    def _failed(self, what: str) -> None:
        if not self._warned:
            log.warning("watchdog: %s", what)
            self._warned = True


def _notify_address(value: str) -> str | None:
    """The ``NOTIFY_SOCKET`` as ``sendto`` wants it, or None when there is none we can use."""
    if not hasattr(socket, "AF_UNIX"):
        return None
    if value.startswith("@") and len(value) > 1:
        return "\0" + value[1:]  # the abstract namespace (Linux)
    if value.startswith("/"):
        return value
    if value:  # vsock:… and anything newer than this code
        log.warning("watchdog: NOTIFY_SOCKET %r is not a unix socket; not notifying", value)
    return None


def _watchdog_is_ours(value: str) -> bool:
    """Whether systemd's watchdog expects pings from this process.

    ``WATCHDOG_PID`` names the process systemd started. Under ``cage`` that is the compositor,
    and the kiosk is its child: cage passes its environment on unchanged, so the kiosk sees its
    parent's pid there. Accepting the parent is what makes the watchdog work under cage
    (libsystemd's ``sd_watchdog_enabled`` accepts only the process itself, so the pings would
    stop and systemd would kill a healthy kiosk every ``WatchdogSec``); the unit's
    ``NotifyAccess=all`` lets systemd take them from the child.
    """
    if not value:
        return True
    try:
        pid = int(value)
    except ValueError:
        return False
    return pid in (os.getpid(), os.getppid())


def _half_in_ms(value: str, unit_in_ms: float) -> int:
    """Half of a timeout given in some unit (microseconds for systemd, seconds for ours), so
    that one late ping does not get the kiosk killed."""
    try:
        timeout = float(value)
    except ValueError:
        return DEFAULT_PING_MS
    if not timeout > 0 or timeout == float("inf"):
        return DEFAULT_PING_MS
    return max(MIN_PING_MS, int(timeout * unit_in_ms / 2))
