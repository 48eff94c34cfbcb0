"""The backend on PostgreSQL with several uvicorn workers: the invariants that one SQLite writer
used to give for free (sync/server/filings.py's docstring), proven against the real thing.

``oficialia serve-backend --workers 2 --database-url …`` runs as a child process on 127.0.0.1;
the test process administers the same database in-process (tokens, marks), as
``oficialia backend …`` does. The core protocol tests run on both engines in tests/test_backend.py
(``both_engines``). 200 filings, the full proof (``OFICIALIA_PRUEBA_ESCRITOS`` changes it).
"""

from __future__ import annotations

import os
import random
import threading
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import requests

from sync import protocol
from sync.server import database, filings, sql
from sync.server.backend import Backend, BackendConfig
from tests.backend_server import (
    BackendServer,
    connections_by_process,
    running_backend,
    running_workers,
    worker_pids,
)
from tests.test_backend import Device

V1 = protocol.API_PREFIX
FILINGS = int(os.environ.get("OFICIALIA_PRUEBA_ESCRITOS", "200"))
TWINS = 8


@contextmanager
def served_by(server: BackendServer) -> Iterator[dict[int, int]]:
    """While the block runs, the most client connections each worker process held at once."""
    assert server.supervisor_pid is not None
    seen: dict[int, int] = {}
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.02):
            pids = worker_pids(server.supervisor_pid or 0)
            for pid, count in connections_by_process(pids, server.port).items():
                seen[pid] = max(seen.get(pid, 0), count)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        yield seen
    finally:
        done.set()
        sampler.join()


_sessions = threading.local()


def put_filing(device: Device, manifest: dict[str, Any]) -> requests.Response:
    """A PUT on a session of this thread's own (requests' sessions are not thread-safe)."""
    session = getattr(_sessions, "session", None)
    if session is None:
        session = _sessions.session = requests.Session()
    return session.put(
        f"{device.server.url}{V1}/filings/{manifest['uuid']}",
        data=protocol.canonical_json(manifest),
        headers={
            "Authorization": f"Bearer {device.enrolment['credential']}",
            "Content-Type": "application/json",
            protocol.HEADER_IDEMPOTENCY_KEY: manifest["uuid"],
        },
        timeout=60,
    )


def test_identical_puts_through_two_workers_make_one_filing_and_the_same_receipt_bytes(
    tmp_path: Path, postgres_url: str
) -> None:
    with running_workers(tmp_path / "servidor", postgres_url) as server:
        offices = [Device(server, "C01", "OPM"), Device(server, "N01", "OPN")]
        sha = offices[0].upload(b"%PDF-1.7 anexo de la carrera")
        manifests = [(offices[n % 2], offices[n % 2].manifest([sha])) for n in range(FILINGS)]
        calls = [pair for pair in manifests for _ in range(TWINS)]
        random.Random(17).shuffle(calls)
        with served_by(server) as serving, ThreadPoolExecutor(max_workers=16) as pool:
            answers = list(pool.map(lambda pair: (pair[1]["uuid"], put_filing(*pair)), calls))
        assert len(serving) == 2 and all(serving.values()), serving  # both workers took clients

        by_filing: dict[str, list[requests.Response]] = {}
        for filing_uuid, answer in answers:
            by_filing.setdefault(filing_uuid, []).append(answer)
        for device, manifest in manifests:
            got = by_filing[manifest["uuid"]]
            assert sorted(a.status_code for a in got) == [200] * (TWINS - 1) + [201], [
                a.text for a in got
            ]
            assert len({a.content for a in got}) == 1  # byte for byte
            device.verified(got[0].json())
        half = FILINGS // 2
        assert server.sequences_by_office() == {
            "OPM": list(range(1, FILINGS - half + 1)),
            "OPN": list(range(1, half + 1)),
        }


def test_folios_stay_gap_free_when_transactions_abort_after_taking_their_number(
    tmp_path: Path, postgres_url: str
) -> None:
    with running_workers(tmp_path / "servidor", postgres_url, abort_after_folio=True) as server:
        offices = [Device(server, "C01", "OPM"), Device(server, "N01", "OPN")]
        sha = offices[0].upload(b"%PDF-1.7 anexo")
        aborted = Counter[str]()

        def deliver(n: int) -> int:
            device = offices[n % 2]
            manifest = device.manifest([sha])
            for _ in range(10):
                answer = put_filing(device, manifest)
                if answer.status_code == 503:
                    assert answer.json()["error"] == "falla_de_prueba"
                    aborted[manifest["uuid"]] += 1
                    continue
                assert answer.status_code in (200, 201), answer.text
                return answer.status_code
            raise AssertionError("el escrito no se registró en 10 intentos")

        with ThreadPoolExecutor(max_workers=8) as pool:
            statuses = list(pool.map(deliver, range(FILINGS)))
        assert statuses == [201] * FILINGS
        # Every filing lost at least one transaction that held a folio number.
        assert len(aborted) == FILINGS
        half = FILINGS // 2
        assert server.sequences_by_office() == {
            "OPM": list(range(1, FILINGS - half + 1)),
            "OPN": list(range(1, half + 1)),
        }
        with server.backend.connect() as connection:
            counters = dict(connection.execute("SELECT office, last FROM folio_counters"))
        assert counters == {"OPM": FILINGS - half, "OPN": half}


def test_a_poller_misses_no_change_and_sees_none_twice_during_concurrent_marks(
    tmp_path: Path, postgres_url: str
) -> None:
    with running_workers(tmp_path / "servidor", postgres_url) as server:
        device = Device(server, "C01", "OPM")
        sha = device.upload(b"%PDF-1.7 para turnar")
        uuids = []
        for _ in range(5):
            manifest = device.manifest([sha])
            assert put_filing(device, manifest).status_code == 201
            uuids.append(manifest["uuid"])
        writers_done = threading.Event()
        seen: list[int] = []

        def write_marks(seed: int) -> None:
            chooser = random.Random(seed)
            for _ in range(30):
                status = chooser.choice(protocol.SERVER_STATUSES)
                server.mark(chooser.choice(uuids), status, f"escritor {seed}")

        def poll() -> None:
            since, finishing = 0, False
            while True:
                page = device.call("GET", "/changes", params={"since": since, "limit": 7}).json()
                seen.extend(change["cursor"] for change in page["changes"])
                since = page["next"]
                if not page["changes"]:
                    if finishing:
                        return
                    finishing = writers_done.is_set()  # one more full pass after the writers

        poller = threading.Thread(target=poll)
        poller.start()
        with ThreadPoolExecutor(max_workers=4) as pool:
            list(pool.map(write_marks, range(4)))
        writers_done.set()
        poller.join(timeout=60)
        assert not poller.is_alive()
        assert seen == sorted(set(seen))  # in order, none twice
        assert seen == list(range(1, 4 * 30 + 1))  # none missed


def test_a_later_change_cannot_commit_before_an_earlier_one(
    tmp_path: Path, postgres_url: str
) -> None:
    """The writer of cursor c holds the counter until it commits, so c + 1 waits for it: a poller
    can never see c + 1 while c is still in flight (the skip a sequence would allow)."""
    with running_backend(tmp_path / "servidor", database_url=postgres_url) as server:
        device = Device(server)
        manifest = device.manifest([device.upload(b"%PDF-1.7 escrito")])
        assert device.commit(manifest).status_code == 201
        taken, release = threading.Event(), threading.Event()
        cursors: dict[str, int] = {}

        def slow_writer() -> None:
            def work(tx: sql.Connection) -> int:
                cursor = filings.append_change(
                    tx, manifest["uuid"], "turnada", "", server.backend.now()
                )
                taken.set()
                assert release.wait(20)
                return cursor

            cursors["slow"] = server.backend.database.write(work)

        def quick_writer() -> None:
            cursors["quick"] = server.mark(manifest["uuid"], "atendida")

        slow = threading.Thread(target=slow_writer)
        slow.start()
        assert taken.wait(20)
        quick = threading.Thread(target=quick_writer)
        quick.start()
        quick.join(timeout=0.5)
        assert quick.is_alive()  # waiting on the counter row the slow writer holds
        assert device.call("GET", "/changes").json()["changes"] == []
        release.set()
        slow.join(timeout=20)
        quick.join(timeout=20)
        feed = device.call("GET", "/changes").json()["changes"]
        assert [(c["cursor"], c["status"]) for c in feed] == [(1, "turnada"), (2, "atendida")]
        assert cursors == {"slow": 1, "quick": 2}


def test_workers_starting_together_migrate_once(tmp_path: Path, postgres_url: str) -> None:
    backends: list[Backend] = []

    def start(n: int) -> None:
        # A folder each: keys.load_or_create is safe between processes, not threads of one.
        backends.append(Backend(BackendConfig(tmp_path / f"d{n}", database_url=postgres_url)))

    threads = [threading.Thread(target=start, args=(n,)) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert len(backends) == 3
        assert database.schema_version(backends[0].database) == len(database.MIGRATIONS)
        with backends[0].connect() as connection:
            applied = connection.execute("SELECT version FROM schema_migrations").fetchall()
            assert [row[0] for row in applied] == list(range(1, len(database.MIGRATIONS) + 1))
            assert connection.execute("SELECT count(*) FROM catalogs").fetchone()[0] == 3
    finally:
        for backend in backends:
            backend.close()


def test_an_older_sqlite_database_keeps_its_change_cursors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """m003 starts the change counter after the cursors the feed already handed out."""
    store = sql.open_database(tmp_path)
    monkeypatch.setattr(database, "MIGRATIONS", database.MIGRATIONS[:2])
    database.migrate(store)
    with store.connect() as connection:
        connection.run_script(
            """
            INSERT INTO devices (id, code, office, credential_sha256, enrolled_at)
                VALUES ('dev_1', 'C01', 'OPM', 'x', '2026-01-01');
            INSERT INTO filings (uuid, office, year, sequence, institutional_folio, device_id,
                manifest_sha256, manifest, receipt, committed_at)
                VALUES ('u1', 'OPM', 2026, 1, 'OPM/2026/000001', 'dev_1', 'h', '{}', '{}', 'now');
            INSERT INTO changes (filing_uuid, office, status, at)
                VALUES ('u1', 'OPM', 'turnada', 'a'), ('u1', 'OPM', 'atendida', 'b')
            """
        )
    monkeypatch.undo()
    database.migrate(store)
    assert (tmp_path / "backend.sqlite3.antes-de-m003").exists()
    with store.connect() as connection:
        assert filings.mark(connection, "u1", "cancelada", "", _now()) == 3
        feed = filings.changes(connection, "OPM", 0, 10)
    assert [c["cursor"] for c in feed["changes"]] == [1, 2, 3]


def _now() -> Any:
    from datetime import UTC, datetime

    return datetime.now(UTC)


def test_database_urls_choose_the_engine(tmp_path: Path) -> None:
    assert isinstance(sql.open_database(tmp_path), sql.SqliteDatabase)
    named = sql.open_database(f"sqlite://{tmp_path}/otra.sqlite3")
    assert isinstance(named, sql.SqliteDatabase) and named.path == tmp_path / "otra.sqlite3"
    assert sql.open_database("postgresql://u:secreto@h/db").dialect == "postgresql"
    assert sql.open_database("postgres://h/db").dialect == "postgresql"
    assert sql.redacted("postgresql://u:secreto@h/db") == "postgresql://u:***@h/db"
    with pytest.raises(ValueError, match="mysql"):
        sql.open_database("mysql://h/db")
    assert sql.to_pyformat("SELECT ? WHERE a LIKE 'x%'") == "SELECT %s WHERE a LIKE 'x%%'"


def test_admin_commands_take_the_database_from_the_environment(
    tmp_path: Path,
    postgres_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from mailroom.cli import main

    data = ["--data-dir", str(tmp_path / "servidor")]
    monkeypatch.setenv("OFICIALIA_BACKEND_DATABASE_URL", postgres_url)
    assert main(["backend", "token", "--office", "OPM", *data]) == 0
    capsys.readouterr()
    admin = Backend(BackendConfig(tmp_path / "servidor", database_url=postgres_url))
    try:
        with admin.connect() as connection:
            assert connection.execute("SELECT office FROM enrolment_tokens").fetchall() == [
                ("OPM",)
            ]
    finally:
        admin.close()
    assert not (tmp_path / "servidor" / "backend.sqlite3").exists()
    unreachable = "postgresql://nadie:secreto@127.0.0.1:1/base"
    assert main(["backend", "token", "--office", "OPM", "--database-url", unreachable, *data]) == 65
    error = capsys.readouterr().err
    assert "No se pudo abrir la base de datos" in error and "secreto" not in error
    monkeypatch.delenv("OFICIALIA_BACKEND_DATABASE_URL")
    assert main(["serve-backend", "--workers", "2", *data]) == 65
    assert "PostgreSQL" in capsys.readouterr().err
