"""``oficialia backend migrar`` at full size: ``.venv/bin/python bench/migrate.py [--filings N]``.

A reference backend's folder is generated directly in its SQLite file (not over HTTP: that is
tests/test_backend_migrate.py's job at CI size): ``--filings`` filings of a few offices, each with
a signed receipt and a «recibida» change, every tenth with a second revision, and ``--blobs``
random blobs of ``--blob-kib`` KiB in ``blobs/``. It is then copied into a local PostgreSQL and
SeaweedFS (:mod:`sync.server.local_services`, started in the work folder): once killed after its
first batch of filings and resumed, then run again (a no-op). Printed: rows/s and MB/s of the
copy, the time of the no-op rerun, and whether the target matches the source row for row (PASS).
The exit status is always 0: this is a measurement, not a test.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sync.server import migrate, sql  # noqa: E402
from sync.server.backend import Backend, BackendConfig  # noqa: E402
from sync.server.local_services import PostgresCluster, SeaweedS3  # noqa: E402
from sync.server.objects import blob_key  # noqa: E402
from tests.backend_services import bucket_url  # noqa: E402

OFFICES = ("OPM", "TES", "OBP", "DUR")


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--filings", type=int, default=50_000)
    parser.add_argument("--blobs", type=int, default=2_000)
    parser.add_argument("--blob-kib", type=int, default=64)
    parser.add_argument("--lote", type=int, default=migrate.DEFAULT_BATCH)
    parser.add_argument("--work-dir", help="carpeta de trabajo (bench/.work-migrate)")
    return parser.parse_args()


def generate(folder: Path, filings: int, blobs: int, blob_kib: int) -> None:
    backend = Backend(BackendConfig(data_dir=folder))
    key = backend.signing_key
    assert backend.database_path is not None
    raw = sql.SqliteDatabase(backend.database_path).raw_connection()
    now = "2026-03-01T10:00:00-06:00"
    shas = []
    for _ in range(blobs):
        data = os.urandom(blob_kib * 1024)
        sha = hashlib.sha256(data).hexdigest()
        backend.objects.put(blob_key(sha), data)
        shas.append(sha)
    raw.execute("BEGIN")
    raw.executemany(
        "INSERT INTO blobs (sha256, size, complete, completed_at) VALUES (?, ?, 1, ?)",
        [(sha, blob_kib * 1024, now) for sha in shas],
    )
    for office in OFFICES:
        raw.execute(
            "INSERT INTO devices (id, code, office, name, credential_sha256, enrolled_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (f"dev-{office}", office[:2], office, f"Ventanilla {office}", office * 16, now),
        )
    sequences = dict.fromkeys(OFFICES, 0)
    filing_rows, revisions, changes = [], [], []
    for n in range(filings):
        office = OFFICES[n % len(OFFICES)]
        sequences[office] += 1
        folio = f"{office}/2026/{sequences[office]:06d}"
        filing = str(uuid.uuid4())
        manifest = json.dumps(
            {"uuid": filing, "folio": f"V-{n}", "documents": [shas[n % blobs]] if blobs else []}
        )
        digest = hashlib.sha256(manifest.encode()).hexdigest()
        receipt = json.dumps(
            {"folio": folio, "manifest_sha256": digest, "firma": key.sign(digest.encode()).hex()}
        )
        revision = 2 if n % 10 == 0 else 1
        filing_rows.append(
            (filing, office, 2026, sequences[office], folio, f"dev-{office}", digest, manifest)
            + (receipt, now, revision)
        )
        for number in range(1, revision + 1):
            revisions.append((filing, number, f"{digest}{number}", manifest, receipt, now))
        changes.append((n + 1, filing, office, "recibida", "", now))
    raw.executemany(
        "INSERT INTO filings (uuid, office, year, sequence, institutional_folio, device_id, "
        "manifest_sha256, manifest, receipt, committed_at, revision) "
        "VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        filing_rows,
    )
    raw.executemany(
        "INSERT INTO filing_revisions (filing_uuid, revision, manifest_sha256, manifest, receipt, "
        "committed_at) VALUES (?,?,?,?,?,?)",
        revisions,
    )
    raw.executemany(
        "INSERT INTO changes (cursor, filing_uuid, office, status, note, at) VALUES (?,?,?,?,?,?)",
        changes,
    )
    raw.executemany(
        "INSERT INTO folio_counters (office, year, last) VALUES (?, 2026, ?)", sequences.items()
    )
    raw.execute("UPDATE change_counter SET last = ?", (filings,))
    raw.execute("COMMIT")
    raw.close()
    backend.close()


def command(folder: Path, database_url: str, blob_url: str, batch: int) -> list[str]:
    return [
        *(sys.executable, "-m", "mailroom.cli", "backend", "migrar", "--desde", str(folder)),
        *("--database-url", database_url, "--blob-url", blob_url, "--lote", str(batch)),
    ]


def killed_after_first_filings(argv: list[str]) -> None:
    environment = {**os.environ, migrate.PAUSE_ENV: "filings"}
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, env=environment, text=True)
    assert process.stdout is not None
    for line in process.stdout:
        if line.startswith("filings: lote confirmado"):
            break
    process.send_signal(signal.SIGKILL)
    process.wait()


def same(folder: Path, database_url: str) -> bool:
    source, target = sql.open_database(folder), sql.open_database(database_url)
    try:
        for table in (*migrate.TABLES, migrate.Table("blobs", ("sha256",), ("sha256", "size"))):
            query = f"SELECT {', '.join(table.columns)} FROM {table.name}"
            with source.connect() as a, target.connect() as b:
                left = sorted(tuple(row) for row in a.execute(query).fetchall())
                right = sorted(tuple(row) for row in b.execute(query).fetchall())
            if left != right:
                print(f"  {table.name}: el destino no coincide con el origen")
                return False
        return True
    finally:
        target.close()


def main() -> None:
    from state_services import with_state_services  # bench/ is on the path as a script

    options = arguments()

    def measure(folder: Path, postgres: PostgresCluster, seaweed: SeaweedS3) -> None:
        source = folder / "origen"
        started = time.monotonic()
        generate(source, options.filings, options.blobs, options.blob_kib)
        print(
            f"Origen: {options.filings} escritos y {options.blobs} archivos de "
            f"{options.blob_kib} KiB generados en {time.monotonic() - started:.1f} s."
        )
        database_url = postgres.create_database("bench_migrar")
        bucket = seaweed.create_bucket("bench-migrar")
        blob_url = bucket_url(seaweed, bucket)
        argv = command(source, database_url, blob_url, options.lote)

        killed_after_first_filings(argv)
        started = time.monotonic()
        finished = subprocess.run(argv, capture_output=True, text=True, check=False)
        seconds = time.monotonic() - started
        print(finished.stdout.strip())
        rows = options.filings * 3.1  # filings, their revisions (1.1 each), changes
        megabytes = options.blobs * options.blob_kib / 1024
        print(
            f"Copia reanudada tras matarla: {seconds:.1f} s (≈ {rows / seconds:.0f} filas/s, "
            f"{megabytes / seconds:.1f} MB/s de archivos), salida {finished.returncode}."
        )
        started = time.monotonic()
        again = subprocess.run(argv, capture_output=True, text=True, check=False)
        print(
            f"Segunda ejecución: {time.monotonic() - started:.1f} s; "
            + ("sin nada que copiar" if "Nada que copiar" in again.stdout else again.stdout)
        )
        print("PASS" if same(source, database_url) else "FAIL", "— destino igual al origen")

    with_state_services(options.work_dir, "migrate", measure)


if __name__ == "__main__":
    main()
