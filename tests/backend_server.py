"""The reference backend running for real (uvicorn on 127.0.0.1, a free port) inside a test.

    from tests.backend_server import running_backend

    with running_backend(tmp_path / "servidor", fault_hooks=True) as backend:
        token = backend.enrolment_token("OPM")
        requests.post(f"{backend.url}/v1/devices/enroll", json={...})
        backend.mark(filing_uuid, "atendida", "Se respondió por oficio")
        backend.fail_next(2, status=503, retry_after=1)

Or the ``backend_server`` pytest fixture (no fault hooks) / ``faulty_backend_server`` (hooks on):
list ``"tests.backend_server"`` in ``pytest_plugins`` of ``tests/conftest.py``, or copy the
three-line fixture into your module (importing a fixture by name trips ruff's F811).
Tokens and marks go through the same functions as ``oficialia backend token`` and
``oficialia backend marcar``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import pytest

from sync.server import catalogs, devices, filings
from sync.server.backend import Backend, BackendConfig
from sync.server.serve import ThreadedServer


class BackendServer:
    def __init__(self, backend: Backend, url: str) -> None:
        self.backend = backend
        self.url = url
        self.data_dir = backend.config.data_dir
        self.supervisor_pid: int | None = None  # serve-backend's process, for running_workers
        self.port = int(url.rsplit(":", 1)[1])

    @property
    def public_key_b64(self) -> str:
        import base64

        from sync import protocol

        return base64.b64encode(protocol.public_key_raw(self.backend.public_key)).decode()

    def enrolment_token(self, office: str, *, issued_at: datetime | None = None) -> str:
        with self.backend.connect() as connection:
            return devices.issue_token(
                connection,
                office,
                issued_at or self.backend.now(),
                self.backend.config.token_lifetime,
            )

    def mark(self, uuid: str, status: str, note: str = "") -> int:
        with self.backend.connect() as connection:
            return filings.mark(connection, uuid, status, note, self.backend.now())

    def revoke(self, device_id: str) -> None:
        with self.backend.connect() as connection:
            devices.revoke(connection, device_id, self.backend.now())

    def set_catalog(self, name: str, items: list[dict[str, object]]) -> str:
        with self.backend.connect() as connection:
            return catalogs.replace(connection, name, items, self.backend.now())

    def folios_by_uuid(self) -> dict[str, str]:
        """Every filing the backend holds (SQLite or PostgreSQL) and its institutional folio."""
        with self.backend.connect() as connection:
            rows = connection.execute("SELECT uuid, institutional_folio FROM filings").fetchall()
        return {row[0]: row[1] for row in rows}

    def sequences_by_office(self) -> dict[str, list[int]]:
        with self.backend.connect() as connection:
            rows = connection.execute("SELECT office, sequence FROM filings").fetchall()
        found: dict[str, list[int]] = {}
        for row in rows:
            found.setdefault(row[0], []).append(row[1])
        return {office: sorted(numbers) for office, numbers in found.items()}

    def assert_blobs_hash_to_their_names(self) -> list[str]:
        """Every complete blob's bytes (folder or S3) hash to its name; their SHA-256s."""
        import hashlib

        with self.backend.connect() as connection:
            hashes = [
                row[0]
                for row in connection.execute(
                    "SELECT sha256 FROM blobs WHERE complete = 1"
                ).fetchall()
            ]
        for sha in hashes:
            assert hashlib.sha256(self.backend.blobs.read(sha)).hexdigest() == sha
        return hashes

    # Fault switches (need fault_hooks=True); see sync/server/faults.py.
    def drop_after_commit(self, count: int = 1) -> None:
        self.backend.faults.drop_after_commit(count)

    def fail_next(self, count: int, *, status: int = 503, retry_after: int = 1) -> None:
        self.backend.faults.fail_next(count, status=status, retry_after=retry_after)

    def captive_portal(self, on: bool = True) -> None:
        self.backend.faults.set_captive_portal(on)

    def reset_faults(self) -> None:
        self.backend.faults.reset()


@contextmanager
def running_backend(
    data_dir: Path,
    *,
    fault_hooks: bool = False,
    clock: Callable[[], datetime] | None = None,
    database_url: str | None = None,
    blob_url: str | None = None,
) -> Iterator[BackendServer]:
    """``database_url``: PostgreSQL (``postgres_url`` of tests/backend_services.py); else SQLite.
    ``blob_url``: an object store (``s3+http://…``, see sync/server/store_url.py); else blobs/."""
    config = BackendConfig(
        data_dir=data_dir, fault_hooks=fault_hooks, database_url=database_url, blob_url=blob_url
    )
    backend = Backend(config, clock=clock)
    server = ThreadedServer(backend)
    port = server.start()
    try:
        yield BackendServer(backend, f"http://127.0.0.1:{port}")
    finally:
        server.stop()
        backend.close()


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def running_workers(
    data_dir: Path,
    database_url: str,
    *,
    blob_url: str | None = None,
    workers: int = 2,
    fault_hooks: bool = False,
    abort_after_folio: bool = False,
    extra: list[str] | None = None,
) -> Iterator[BackendServer]:
    """``oficialia serve-backend --workers N`` over PostgreSQL (and S3 when ``blob_url``) as a
    child process on 127.0.0.1, and an in-process admin on the same data; its log is
    ``data_dir``'s sibling ``<name>.log``."""
    admin = Backend(BackendConfig(data_dir=data_dir, database_url=database_url, blob_url=blob_url))
    port = free_port()
    environment = {
        **os.environ,
        "OFICIALIA_BACKEND_ABORT_AFTER_FOLIO": "1" if abort_after_folio else "",
    }
    command = [sys.executable, "-m", "mailroom.cli", "serve-backend", "--data-dir", str(data_dir)]
    command += ["--database-url", database_url, "--workers", str(workers), "--port", str(port)]
    if blob_url:
        command += ["--blob-url", blob_url]
    if fault_hooks or abort_after_folio:
        command.append("--fault-hooks")
    command += extra or []
    log_path = data_dir.with_name(data_dir.name + ".log")
    try:
        with served_child(command, log_path, port, environment) as process:
            running = BackendServer(admin, f"http://127.0.0.1:{port}")
            running.supervisor_pid = process.pid
            yield running
    finally:
        admin.close()


ENGINES = ("sqlite", "estatal")


@contextmanager
def backend_for(
    engine: str, data_dir: Path, request: pytest.FixtureRequest
) -> Iterator[BackendServer]:
    """The reference backend (``sqlite``: one process in this one, SQLite and a folder) or the
    state one (``estatal``: ``serve-backend --workers 2`` over PostgreSQL and S3, from the
    session's services of tests/backend_services.py), for suites that must hold on both."""
    if engine == "sqlite":
        with running_backend(data_dir) as running:
            yield running
        return
    database_url = request.getfixturevalue("postgres_url")
    bucket = request.getfixturevalue("s3_bucket")
    with running_workers(data_dir, database_url, blob_url=bucket.url) as running:
        yield running


@pytest.fixture
def backend_server(tmp_path: Path) -> Iterator[BackendServer]:
    with running_backend(tmp_path / "servidor") as running:
        yield running


@pytest.fixture
def faulty_backend_server(tmp_path: Path) -> Iterator[BackendServer]:
    with running_backend(tmp_path / "servidor", fault_hooks=True) as running:
        yield running


@contextmanager
def served_process(
    command: list[str], log_path: Path, port: int, env: dict[str, str] | None = None
) -> Iterator[str]:
    """``command`` (an ``oficialia serve-backend`` on ``port``) as a child process, once it answers
    ``/ping``; its URL. Stopped (terminated, then killed) at the end; its output in ``log_path``."""
    with served_child(command, log_path, port, env):
        yield f"http://127.0.0.1:{port}"


@contextmanager
def served_child(
    command: list[str], log_path: Path, port: int, env: dict[str, str] | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """As :func:`served_process`, yielding the child process (uvicorn's supervisor when
    ``--workers`` > 1; its workers are :func:`worker_pids`)."""
    import time

    import requests

    from sync.protocol import API_PREFIX

    with log_path.open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=log, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"{url}{API_PREFIX}/ping", timeout=2).status_code == 200:
                    break
            except requests.ConnectionError:
                time.sleep(0.1)
                continue
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    "El servidor no arrancó:\n" + log_path.read_text(errors="replace")[-3000:]
                )
            time.sleep(0.1)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def worker_pids(supervisor: int) -> list[int]:
    """The worker processes uvicorn's supervisor ``supervisor`` runs now (Linux): its children
    started by multiprocessing's spawn (not its resource tracker)."""
    workers = []
    for child in Path(f"/proc/{supervisor}/task/{supervisor}/children").read_text().split():
        try:
            command = Path(f"/proc/{child}/cmdline").read_bytes()
        except OSError:
            continue  # gone meanwhile
        if b"spawn_main" in command:
            workers.append(int(child))
    return sorted(workers)


def connections_by_process(pids: list[int], port: int) -> dict[int, int]:
    """How many established TCP connections to ``port`` each of ``pids`` holds open (Linux):
    which worker processes accepted clients."""
    established = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "01":
                established.add(fields[9])  # the socket's inode
    counts = {}
    for pid in pids:
        sockets = 0
        for descriptor in Path(f"/proc/{pid}/fd").iterdir():
            try:
                target = os.readlink(descriptor)
            except OSError:
                continue  # closed meanwhile
            if target.startswith("socket:[") and target[8:-1] in established:
                sockets += 1
        counts[pid] = sockets
    return counts
