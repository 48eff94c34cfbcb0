"""PostgreSQL and SeaweedFS (S3) for the tests of the backend at state scale (a pytest plugin,
registered in tests/conftest.py).

``postgres_cluster`` and ``seaweed`` start once per session in its temporary folders and stop
at its end, whatever the tests did; ``postgres_url`` and ``s3_bucket`` give each test its own
empty database and bucket, dropped afterwards. Where PostgreSQL or ``weed`` is not installed the
tests that need them are skipped, saying so, except in CI (CI=true), which installs both
(installer/system-packages.sh, the ``server`` extra) and so fails instead.
"""

from __future__ import annotations

import itertools
import os
import shutil
import stat
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from sync.server.local_processes import postgres_bindir, weed_program
from sync.server.local_services import PostgresCluster, ProgramMissing, SeaweedS3

_numbers = itertools.count(1)
_startup_seconds: dict[str, float] = {}


@dataclass(frozen=True)
class S3Bucket:
    """One test's bucket in the session's SeaweedFS."""

    endpoint_url: str
    access_key: str
    secret_key: str
    name: str
    seaweed: SeaweedS3

    def client(self, *, secret_key: str | None = None) -> Any:
        return self.seaweed.client(secret_key=secret_key)

    @property
    def url(self) -> str:
        """The bucket as ``--blob-url`` takes it."""
        return bucket_url(self.seaweed, self.name)


def bucket_url(seaweed: SeaweedS3, name: str) -> str:
    host = seaweed.endpoint_url.removeprefix("http://")
    return f"s3+http://{seaweed.access_key}:{seaweed.secret_key}@{host}/{name}"


def require_programs(find: Any) -> None:
    try:
        find()
    except ProgramMissing as missing:
        if os.environ.get("CI"):
            pytest.fail(f"{missing} (CI los instala: make setup)")
        pytest.skip(str(missing))


def cluster_folder(name: str) -> Path:
    """A new folder for a PostgreSQL cluster, in the session's temporary folder (tests/temp_guard.py
    gives each session its own and fails the run if anything is left in it). As root the cluster
    runs as ``oficialia-pg``, which must pass through every folder above its own: not so under
    tmp_path_factory, whose ``pytest-of-root`` is 0700 and is reset so by every pytest session
    that starts, under the feet of one already running (seen: initdb's "Permission denied" while
    another session started). The session's folder is opened to pass through (o+x), not to list."""
    parent = Path(tempfile.gettempdir())
    mode = parent.stat()
    if os.geteuid() == 0 and mode.st_uid == 0 and not mode.st_mode & stat.S_IXOTH:
        parent.chmod(stat.S_IMODE(mode.st_mode) | stat.S_IXOTH)
    return Path(tempfile.mkdtemp(prefix=f"{name}-", dir=parent))


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[PostgresCluster]:
    require_programs(postgres_bindir)
    cluster = PostgresCluster(cluster_folder("oficialia-postgresql"))
    try:
        cluster.start()
        _startup_seconds["PostgreSQL"] = cluster.startup_seconds
        yield cluster
    finally:
        cluster.stop()
        shutil.rmtree(cluster.folder)


@pytest.fixture(scope="session")
def seaweed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeaweedS3]:
    require_programs(weed_program)
    store = SeaweedS3(tmp_path_factory.mktemp("seaweedfs"))
    try:
        store.start()
        _startup_seconds["SeaweedFS"] = store.startup_seconds
        yield store
    finally:
        store.stop()


@pytest.fixture
def postgres_url(postgres_cluster: PostgresCluster) -> Iterator[str]:
    """The URL of a fresh, empty database, dropped after the test (open connections too)."""
    name = f"prueba_{next(_numbers)}_{os.urandom(3).hex()}"
    url = postgres_cluster.create_database(name)
    yield url
    postgres_cluster.drop_database(name)


@pytest.fixture
def s3_bucket(seaweed: SeaweedS3) -> Iterator[S3Bucket]:
    """A fresh, empty bucket, deleted with its contents after the test."""
    name = seaweed.create_bucket(f"prueba-{next(_numbers)}-{os.urandom(3).hex()}")
    yield S3Bucket(seaweed.endpoint_url, seaweed.access_key, seaweed.secret_key, name, seaweed)
    seaweed.delete_bucket(name)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """How long the services took to start: they count against CI's time."""
    if _startup_seconds:
        times = ", ".join(f"{name} {seconds:.2f} s" for name, seconds in _startup_seconds.items())
        terminalreporter.write_line(f"servicios locales arrancados: {times}")
