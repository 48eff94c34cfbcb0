"""``oficialia backend migrar``: a real SQLite + folder backend (filled by a real device) copied
into the tests' own PostgreSQL and SeaweedFS; the device then syncs on against
the new backend."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from mailroom.attachments import attach_pages
from mailroom.cli import main
from mailroom.config import Settings
from mailroom.samples import render_page_image
from mailroom.store import Store
from sync import protocol
from sync.server import migrate, sql, store_url
from sync.server.backend import Backend, BackendConfig
from sync.server.objects import blob_key
from sync.worker import SyncWorker
from tests.backend_server import running_backend
from tests.backend_services import S3Bucket
from tests.test_sync_integration import enrol, register


def build_source(store: Store, settings: Settings, tmp_path: Path, count: int) -> Path:
    """A backend folder with ``count`` filings from a real device, one of them revised, one
    marked, and an unused enrolment token; the server stopped afterwards."""
    folder = tmp_path / "servidor"
    with running_backend(folder) as server:
        enrol(store, settings, server)
        scans = tmp_path / "scans"
        uuids = [register(store, settings, scans, f"Escrito {n}") for n in range(count)]
        assert len(SyncWorker(store, settings).run_once().synced) == count
        later = tmp_path / "hoja-despues.jpg"
        render_page_image(["Hoja tardía"], dpi=100).save(later, "JPEG", dpi=(100, 100))
        attach_pages(store, settings, uuids[0], later)
        assert len(SyncWorker(store, settings).run_once().synced) == 1
        server.mark(uuids[1], "atendida", "Se respondió por oficio")
        SyncWorker(store, settings).run_once()
        server.enrolment_token(settings.office)
        server.set_catalog("departments", [{"code": "PRE", "name": "Presidencia"}])
    return folder


def rows(database: sql.Database, table: migrate.Table) -> list[tuple[Any, ...]]:
    with database.connect() as connection:
        found = connection.execute(f"SELECT {', '.join(table.columns)} FROM {table.name}")
        return sorted(tuple(row) for row in found.fetchall())


def complete_blobs(database: sql.Database) -> list[tuple[Any, ...]]:
    with database.connect() as connection:
        found = connection.execute("SELECT sha256, size FROM blobs WHERE complete = 1")
        return sorted(tuple(row) for row in found.fetchall())


def migrar(folder: Path, database_url: str, blob_url: str, *extra: str) -> list[str]:
    return [
        "backend",
        "migrar",
        "--desde",
        str(folder),
        "--database-url",
        database_url,
        "--blob-url",
        blob_url,
        *extra,
    ]


def assert_same(folder: Path, database_url: str, blob_url: str) -> None:
    source = sql.open_database(folder)
    target = sql.open_database(database_url)
    try:
        for table in migrate.TABLES:
            assert rows(target, table) == rows(source, table), table.name
        blobs = complete_blobs(source)
        assert blobs and complete_blobs(target) == blobs
        objects = store_url.open_store(blob_url, folder / "no-usada")
        for sha, _size in blobs:
            assert hashlib.sha256(objects.read(blob_key(sha))).hexdigest() == sha
    finally:
        target.close()


def test_a_migrated_backend_keeps_every_row_and_its_devices_sync_on(
    store: Store,
    settings: Settings,
    tmp_path: Path,
    postgres_url: str,
    s3_bucket: S3Bucket,
    capsys: pytest.CaptureFixture[str],
) -> None:
    folder = build_source(store, settings, tmp_path, count=5)
    blob_url = s3_bucket.url
    # A trial start on the target before the copy: its default catalogs give way to the source's.
    Backend(BackendConfig(data_dir=tmp_path / "prueba", database_url=postgres_url)).close()

    assert main(migrar(folder, postgres_url, blob_url)) == 0
    first = capsys.readouterr().out
    assert "filings: 5 copiada(s)" in first and "Migración completa" in first

    assert_same(folder, postgres_url, blob_url)
    assert main(migrar(folder, postgres_url, blob_url)) == 0
    assert "Nada que copiar" in capsys.readouterr().out

    source = sql.open_database(folder)
    with source.connect() as connection:
        old_last = connection.execute("SELECT max(sequence), max(year) FROM filings").fetchone()
        old_cursor = connection.execute("SELECT last FROM change_counter").fetchone()[0]
    # The same folder (the signing key), the new database and bucket.
    with running_backend(folder, database_url=postgres_url, blob_url=blob_url) as server:
        key = protocol.public_key_from_b64(server.public_key_b64)
        with server.backend.connect() as connection:
            receipts = [row[0] for row in connection.execute("SELECT receipt FROM filings")]
        for text in receipts:
            assert protocol.verify_receipt(key, protocol.Receipt.from_dict(json.loads(text)))
        # Cut-over: the device is pointed at the new address (in production, the same name).
        store.write(lambda db: db.execute("UPDATE sync_device SET backend_url = ?", [server.url]))
        uuid = register(store, settings, tmp_path / "scans", "Después de migrar")

        assert len(SyncWorker(store, settings).run_once().synced) == 1  # no re-enrolment

        with server.backend.connect() as connection:
            new = connection.execute(
                "SELECT year, sequence FROM filings WHERE uuid = ?", (uuid,)
            ).fetchone()
        assert tuple(new) == (old_last[1], old_last[0] + 1)  # the next folio: no gap, no repeat
        assert server.mark(uuid, "atendida", "Respondido en el servidor nuevo") == old_cursor + 1
        SyncWorker(store, settings).run_once()
    status = store.reader().execute("SELECT status FROM filings WHERE uuid = ?", [uuid])
    assert status.fetchone()[0] == "atendida"  # the feed went on from the device's old cursor


def kill_after_first_batch(command: list[str], table: str) -> None:
    environment = {**os.environ, migrate.PAUSE_ENV: table}
    process = subprocess.Popen(command, stdout=subprocess.PIPE, env=environment, text=True)
    try:
        assert process.stdout is not None
        for line in process.stdout:
            if line.startswith(f"{table}: lote confirmado"):
                break
        else:
            pytest.fail(f"la migración terminó sin pausar en {table}")
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()


def test_a_killed_migration_resumes_and_a_different_target_is_refused(
    store: Store,
    settings: Settings,
    tmp_path: Path,
    postgres_url: str,
    s3_bucket: S3Bucket,
    capsys: pytest.CaptureFixture[str],
) -> None:
    folder = build_source(store, settings, tmp_path, count=3)
    blob_url = s3_bucket.url
    command = [
        *(sys.executable, "-m", "mailroom.cli"),
        *migrar(folder, postgres_url, blob_url, "--lote", "1"),
    ]
    target = sql.open_database(postgres_url)
    try:
        # Killed after the first batch of filings, then again after the first blob.
        for table in ("filings", "blobs"):
            kill_after_first_batch(command, table)
            with target.connect() as connection:
                filings = connection.execute("SELECT count(*) FROM filings").fetchone()[0]
                blobs = connection.execute("SELECT count(*) FROM blobs").fetchone()[0]
            assert (filings, blobs) == ((1, 0) if table == "filings" else (3, 1))

        assert main(migrar(folder, postgres_url, blob_url)) == 0
        out = capsys.readouterr().out
        assert "devices: 0 copiada(s), 1 ya estaba(n)" in out
        assert "filings: 0 copiada(s), 3 ya estaba(n)" in out
        left = len(complete_blobs(sql.open_database(folder))) - 1
        assert f"blobs: {left} copiada(s), 1 ya estaba(n)" in out
        assert_same(folder, postgres_url, blob_url)

        def tamper(tx: sql.Connection) -> None:
            tx.execute("UPDATE devices SET name = ?", ("Otro equipo",))

        target.write(tamper)
    finally:
        target.close()
    assert main(migrar(folder, postgres_url, blob_url)) != 0
    refused = capsys.readouterr().err
    assert "ya tiene datos distintos en devices" in refused and "no se sobrescribe" in refused


def test_what_is_not_a_backend_or_cannot_be_reached_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "otra").mkdir()
    url = "postgresql://nadie@127.0.0.1:1/ninguna"
    assert main(migrar(tmp_path / "otra", url, str(tmp_path / "destino"))) != 0
    assert "no es la carpeta de datos de un servidor" in capsys.readouterr().err

    with running_backend(tmp_path / "servidor"):
        pass
    assert main(migrar(tmp_path / "servidor", url, str(tmp_path / "destino"))) != 0
    assert "No se pudo abrir la base de destino" in capsys.readouterr().err
    nowhere = "s3+http://a:b@127.0.0.1:1/cubeta?intentos=1"
    assert main(migrar(tmp_path / "servidor", url, nowhere)) != 0
    assert "No se pudo usar el almacén de destino" in capsys.readouterr().err
