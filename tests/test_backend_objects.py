"""Blob storage at state scale: the folder and S3 (SeaweedFS on 127.0.0.1) behind one interface,
uploads whose chunks reach different workers, the sweep and the reconciliation.

A "worker" here is a :class:`Backend` of its own over the same database and object store, as
each uvicorn process builds one; chunks go to its ``blobs.put_chunk``, the call the API route
makes (tests/test_backend.py covers the HTTP layer over the folder).
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from sync import protocol
from sync.server import blob_upkeep, objects, store_url
from sync.server.backend import Backend, BackendConfig
from sync.server.blobs import ChunkResult
from sync.server.errors import BackendError
from sync.server.objects import PART_SIZE, STAGING_PREFIX, ObjectStore, blob_key
from tests.backend_server import BackendServer
from tests.backend_services import S3Bucket

MiB = 1024 * 1024


@pytest.fixture(params=["carpeta", "s3"])
def blob_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "carpeta":
        return str(tmp_path / "archivos")
    return request.getfixturevalue("s3_bucket").url


@pytest.fixture
def store(blob_url: str, tmp_path: Path) -> ObjectStore:
    return store_url.open_store(blob_url, tmp_path / "no-usada")


@dataclass
class Workers:
    first: Backend
    second: Backend
    objects: ObjectStore

    def leftovers(self) -> list[str]:
        return [item.key for item in self.objects.list(STAGING_PREFIX)]


@pytest.fixture(params=["sqlite-carpeta", "postgresql-s3"])
def workers(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Workers]:
    """Two workers over one database and one store: SQLite + folder, or PostgreSQL + S3."""
    if request.param == "sqlite-carpeta":
        configs = [BackendConfig(data_dir=tmp_path / "servidor")] * 2
    else:
        url = request.getfixturevalue("s3_bucket").url
        database = request.getfixturevalue("postgres_url")
        configs = [
            BackendConfig(data_dir=tmp_path / f"w{n}", database_url=database, blob_url=url)
            for n in (1, 2)
        ]
    first, second = Backend(configs[0]), Backend(configs[1])
    yield Workers(first, second, first.objects)
    first.close()
    second.close()


def put(worker: Backend, data: bytes, start: int, end: int, sha: str = "") -> ChunkResult:
    chunk = data[start:end]
    return worker.blobs.put_chunk(
        sha or hashlib.sha256(data).hexdigest(),
        protocol.content_range(start, end, len(data)),
        hashlib.sha256(chunk).hexdigest(),
        chunk,
    )


def enrolled_headers(server: BackendServer, office: str = "OPM") -> dict[str, str]:
    """A device enrolled over HTTP: the header its requests carry."""
    import requests

    enrolled = requests.post(
        f"{server.url}/v1/devices/enroll",
        json={"token": server.enrolment_token(office), "device_code": "C01"},
        timeout=10,
    ).json()
    return {"Authorization": f"Bearer {enrolled['credential']}"}


def upload(worker: Backend, data: bytes, chunk: int) -> ChunkResult:
    """What a device does: send chunks, resume from the server's offset after a 409."""
    offset = 0
    while True:
        try:
            result = put(worker, data, offset, min(offset + chunk, len(data)))
        except BackendError as refused:
            assert refused.status == 409, refused.message
            offset = int(refused.headers[protocol.HEADER_UPLOAD_OFFSET])
            continue
        if result.complete:
            return result
        offset = result.offset


def test_both_stores_keep_list_and_drop_objects(store: ObjectStore) -> None:
    assert store.size("ab/nada") is None
    store.put("ab/uno", b"primero")
    store.put(f"{STAGING_PREFIX}ab/0-7", b"parcial")
    assert store.size("ab/uno") == 7 and store.read("ab/uno") == b"primero"
    assert [item.key for item in store.list("ab/")] == ["ab/uno"]
    with pytest.raises(objects.ObjectMissing):
        store.read("ab/nada")
    big = os.urandom(PART_SIZE + 3 * MiB)  # two parts: a multipart upload on S3
    assembly = store.assemble("cd/grande")
    for offset in range(0, len(big), MiB):
        assembly.write(big[offset : offset + MiB])
    assert store.size("cd/grande") is None  # invisible until committed
    assembly.commit()
    assert store.read("cd/grande") == big
    store.delete("ab/uno")
    store.delete("ab/uno")  # twice: no error
    assert sorted(item.key for item in store.list()) == ["cd/grande", f"{STAGING_PREFIX}ab/0-7"]


def test_chunks_through_two_workers_complete_one_object(workers: Workers) -> None:
    data = os.urandom(PART_SIZE + 2 * MiB)  # assembled from more than one part on S3
    sha = hashlib.sha256(data).hexdigest()
    pair = (workers.first, workers.second)
    offset, turn = 0, 0
    while offset < len(data):
        result = put(pair[turn % 2], data, offset, min(offset + MiB, len(data)))
        assert pair[(turn + 1) % 2].blobs.state(sha).offset == result.offset
        offset, turn = result.offset, turn + 1
        if turn == 3:
            with pytest.raises(BackendError) as skipped:  # a chunk past the offset: 409
                put(workers.second, data, offset + MiB, offset + 2 * MiB)
            assert skipped.value.status == 409 and skipped.value.code == "desfase"
            assert skipped.value.headers[protocol.HEADER_UPLOAD_OFFSET] == str(offset)
    assert result.complete
    assert workers.first.blobs.state(sha).state == "complete"
    assert workers.second.blobs.missing([sha]) == []
    assert workers.objects.read(blob_key(sha)) == data
    assert workers.leftovers() == []
    assert put(workers.first, data, 0, 10).complete  # a replay of a finished blob: 201


def test_two_devices_upload_the_same_blob_at_once_and_end_with_one_object(
    workers: Workers,
) -> None:
    data = os.urandom(3 * MiB + 12345)
    sha = hashlib.sha256(data).hexdigest()
    results: list[ChunkResult] = []
    threads = [
        threading.Thread(target=lambda w=w, c=c: results.append(upload(w, data, c)))
        for w, c in ((workers.first, 256 * 1024), (workers.second, 384 * 1024))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [r.complete for r in results] == [True, True]
    assert workers.objects.read(blob_key(sha)) == data
    assert [item.key for item in workers.objects.list(sha[:2] + "/")] == [blob_key(sha)]
    # A loser's chunk staged after the winner cleaned up is the sweep's to remove.
    blob_upkeep.sweep(workers.first.database, workers.objects, datetime.now(UTC) + timedelta(1))
    assert workers.leftovers() == []


def test_a_lying_upload_is_refused_in_spanish_and_leaves_nothing(workers: Workers) -> None:
    data = os.urandom(2 * MiB + 5)
    claimed = hashlib.sha256(b"otro documento").hexdigest()
    with pytest.raises(BackendError) as damaged:
        workers.first.blobs.put_chunk(
            claimed, protocol.content_range(0, MiB, len(data)), "0" * 64, data[:MiB]
        )
    assert damaged.value.status == 422 and damaged.value.code == "fragmento_danado"
    assert "dañado" in damaged.value.message
    assert workers.leftovers() == []
    put(workers.first, data, 0, MiB, claimed)
    put(workers.second, data, MiB, 2 * MiB, claimed)
    with pytest.raises(BackendError) as lying:
        put(workers.first, data, 2 * MiB, len(data), claimed)
    assert lying.value.status == 422 and lying.value.code == "hash_distinto"
    assert "no corresponde a su SHA-256" in lying.value.message
    assert workers.second.blobs.state(claimed).state == "unknown"
    assert workers.second.blobs.missing([claimed]) == [claimed]
    assert list(workers.objects.list()) == []
    with pytest.raises(BackendError) as fresh:  # the device must start again from 0
        put(workers.second, data, MiB, 2 * MiB, claimed)
    assert fresh.value.headers[protocol.HEADER_UPLOAD_OFFSET] == "0"


def test_sweep_removes_abandoned_uploads_and_unfinished_assemblies(workers: Workers) -> None:
    data = os.urandom(3 * MiB)
    sha = hashlib.sha256(data).hexdigest()
    put(workers.first, data, 0, MiB)
    put(workers.second, data, MiB, 2 * MiB)
    workers.objects.put(f"{STAGING_PREFIX}{sha}/0000000000000-0000000000009", b"perdido")
    crashed = workers.objects.assemble("ef/" + "e" * 62)  # a worker died mid-assembly
    crashed.write(os.urandom(PART_SIZE + 1))
    database = workers.first.database

    young = blob_upkeep.sweep(database, workers.objects, datetime.now(UTC) - timedelta(hours=1))
    assert young == blob_upkeep.SweepReport(0, 0, 0)
    assert workers.first.blobs.state(sha).offset == 2 * MiB  # a live upload is never touched

    later = datetime.now(UTC) + timedelta(minutes=1)
    report = blob_upkeep.sweep(database, workers.objects, later)
    assert report == blob_upkeep.SweepReport(uploads=1, staged=3, assemblies=1)
    assert workers.leftovers() == [] and list(workers.objects.list()) == []
    assert workers.second.blobs.state(sha).state == "unknown"
    if isinstance(workers.objects, objects.FolderStore):
        assert list(workers.objects.tmp.iterdir()) == []
    else:
        pending = workers.objects.client.list_multipart_uploads(Bucket=workers.objects.bucket)
        assert pending.get("Uploads", []) == []
    assert upload(workers.first, data, MiB).complete  # the device starts over and finishes


def test_reconciliation_reports_orphans_both_ways_and_repairs_objects_only(
    workers: Workers,
) -> None:
    kept = os.urandom(1000)
    upload(workers.first, kept, MiB)
    orphan = hashlib.sha256(b"objeto sin fila").hexdigest()
    workers.objects.put(blob_key(orphan), b"objeto sin fila")
    lost = hashlib.sha256(b"fila sin objeto").hexdigest()
    with workers.first.connect() as connection:
        connection.write(
            lambda tx: tx.execute(
                "INSERT INTO blobs (sha256, size, complete, completed_at) VALUES (?, 15, 1, ?)",
                (lost, "2026-01-01 00:00:00"),
            )
        )
    database, store = workers.second.database, workers.objects
    found = blob_upkeep.reconcile(database, store, repair=True)  # orphan too young to remove
    assert found.orphan_objects == (blob_key(orphan),)
    assert found.missing_objects == (lost,) and found.removed == ()
    later = datetime.now(UTC) + blob_upkeep.REPAIR_GRACE + timedelta(minutes=1)
    repaired = blob_upkeep.reconcile(database, store, repair=True, now=later)
    assert repaired.removed == (blob_key(orphan),)
    assert store.size(blob_key(orphan)) is None
    assert store.read(blob_key(hashlib.sha256(kept).hexdigest())) == kept  # rows keep theirs
    assert blob_upkeep.reconcile(database, store).missing_objects == (lost,)  # reported only


@pytest.mark.parametrize(
    ("shape", "blob_size", "per_device", "chunk"),
    [("grandes", 6 * MiB, 1, MiB), ("de una pieza", 1 * MiB, 6, MiB)],
)
def test_eight_concurrent_uploads_into_s3_and_into_the_folder(
    s3_bucket: S3Bucket, tmp_path: Path, shape: str, blob_size: int, per_device: int, chunk: int
) -> None:
    """CI-sized throughput, 8 devices at once, 48 MiB in all; prints MB/s for each store.
    "grandes": 6 MiB blobs in 1 MiB chunks (staged, then assembled); "de una pieza": blobs
    that fit one chunk (the common scan), written once."""
    rates = {}
    for name, blob_url in (("carpeta", None), ("s3", s3_bucket.url)):
        backend = Backend(BackendConfig(data_dir=tmp_path / name, blob_url=blob_url))
        devices = [[os.urandom(blob_size) for _ in range(per_device)] for _ in range(8)]

        def send(blobs: list[bytes], backend: Backend = backend) -> None:
            for blob in blobs:
                upload(backend, blob, chunk)

        started = time.perf_counter()
        threads = [threading.Thread(target=send, args=(blobs,)) for blobs in devices]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        sent = [blob for blobs in devices for blob in blobs]
        rates[name] = sum(map(len, sent)) / MiB / (time.perf_counter() - started)
        assert backend.blobs.missing([hashlib.sha256(b).hexdigest() for b in sent]) == []
        backend.close()
    print(
        f"\n8 subidas simultáneas ({shape}): carpeta {rates['carpeta']:.1f} MB/s, "
        f"S3 {rates['s3']:.1f} MB/s ({rates['s3'] / rates['carpeta']:.2f}×)"
    )


def test_reconciliar_command_reports_and_repairs_an_s3_backend(
    s3_bucket: S3Bucket, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from mailroom.cli import main

    options = ["--data-dir", str(tmp_path / "servidor"), "--blob-url", s3_bucket.url]
    assert main(["backend", "reconciliar", *options]) == 0
    assert "Todo en orden" in capsys.readouterr().out
    backend = Backend(BackendConfig(data_dir=tmp_path / "servidor", blob_url=s3_bucket.url))
    data = os.urandom(3 * MiB)
    put(backend, data, 0, MiB)  # an upload the device abandoned
    orphan = hashlib.sha256(b"huerfano").hexdigest()
    backend.objects.put(blob_key(orphan), b"huerfano")
    backend.close()
    assert main(["backend", "reconciliar", *options]) == 1
    out = capsys.readouterr().out
    assert f"archivo sin fila: {blob_key(orphan)}" in out and "1 archivo(s) sin fila" in out
    assert main(["backend", "reconciliar", "--reparar", "--horas", "0.0001", *options]) == 1
    out = capsys.readouterr().out
    assert "Subidas abandonadas quitadas: 1; fragmentos sueltos: 1" in out
    assert "de menos de una hora se dejan" in out  # the orphan is too young to remove
    assert list(store_url.open_store(s3_bucket.url, tmp_path).list(STAGING_PREFIX)) == []


def test_a_device_uploads_over_http_into_postgresql_and_s3_as_before(
    postgres_url: str, s3_bucket: S3Bucket, tmp_path: Path
) -> None:
    """The protocol does not change for devices: 202s, a 409 with the offset, 201, HEAD."""
    import requests

    from tests.backend_server import running_backend

    with running_backend(
        tmp_path / "servidor", database_url=postgres_url, blob_url=s3_bucket.url
    ) as server:
        auth = enrolled_headers(server)
        data = os.urandom(2 * MiB + 1)
        sha = hashlib.sha256(data).hexdigest()

        def send(start: int, end: int) -> requests.Response:
            headers = {
                protocol.HEADER_CONTENT_RANGE: protocol.content_range(start, end, len(data)),
                protocol.HEADER_CHUNK_DIGEST: hashlib.sha256(data[start:end]).hexdigest(),
            }
            url = f"{server.url}/v1/blobs/{sha}"
            return requests.put(url, data=data[start:end], headers=auth | headers, timeout=30)

        assert send(0, MiB).status_code == 202
        head = requests.head(f"{server.url}/v1/blobs/{sha}", headers=auth, timeout=10)
        assert head.status_code == 204 and head.headers[protocol.HEADER_UPLOAD_OFFSET] == str(MiB)
        skipped = send(2 * MiB, len(data))
        assert skipped.status_code == 409 and skipped.json()["error"] == "desfase"
        assert skipped.headers[protocol.HEADER_UPLOAD_OFFSET] == str(MiB)
        assert send(MiB, 2 * MiB).status_code == 202
        assert send(2 * MiB, len(data)).status_code == 201
        head = requests.head(f"{server.url}/v1/blobs/{sha}", headers=auth, timeout=10)
        assert head.status_code == 200
        assert server.backend.blobs.read(sha) == data


def test_of_two_workers_one_sweeps_per_turn(workers: Workers) -> None:
    every = timedelta(minutes=30)
    now = datetime.now(UTC)
    claim = blob_upkeep.claim_run
    assert claim(workers.first.database, "barrido", every, now)
    assert not claim(workers.second.database, "barrido", every, now + timedelta(minutes=10))
    assert not claim(workers.first.database, "barrido", every, now + timedelta(minutes=29))
    assert claim(workers.second.database, "barrido", every, now + timedelta(minutes=31))
    assert not claim(workers.first.database, "barrido", every, now + timedelta(minutes=32))


def test_a_worker_process_gets_its_parents_whole_configuration(tmp_path: Path) -> None:
    from sync.server import serve

    config = BackendConfig(
        data_dir=tmp_path / "servidor",
        timezone="America/Tijuana",
        token_lifetime=timedelta(hours=6),
        max_blob_bytes=123_456,
        database_url="postgresql://oficialia@127.0.0.1:5433/estatal",
        blob_url="s3+http://CLAVE:SECRETO@127.0.0.1:8333/escritos",
        sweep_every=None,
        abandon_after=timedelta(hours=3),
    )
    variables = serve.environment_of(config)
    with pytest.MonkeyPatch.context() as patch:
        for name, value in variables.items():
            patch.setenv(name, value)
        assert serve.config_from_environment() == config


def test_the_served_backend_sweeps_abandoned_uploads_by_itself(
    postgres_url: str, s3_bucket: S3Bucket, tmp_path: Path
) -> None:
    """Two workers, a sweep every 1.2 s, an upload abandoned after 0.7 s: the half-sent blob's
    row and staged chunk go without anyone running a command; a finished blob stays."""
    import requests

    from tests.backend_server import running_workers

    upkeep = ["--barrido-minutos", "0.02", "--abandono-horas", "0.0002"]
    with running_workers(
        tmp_path / "servidor", postgres_url, blob_url=s3_bucket.url, extra=upkeep
    ) as server:
        auth = enrolled_headers(server)

        def send(data: bytes, start: int, end: int) -> int:
            headers = {
                protocol.HEADER_CONTENT_RANGE: protocol.content_range(start, end, len(data)),
                protocol.HEADER_CHUNK_DIGEST: hashlib.sha256(data[start:end]).hexdigest(),
            }
            sha = hashlib.sha256(data).hexdigest()
            answer = requests.put(
                f"{server.url}/v1/blobs/{sha}", data=data[start:end], headers=auth | headers
            )
            return answer.status_code

        kept = os.urandom(300_000)
        assert send(kept, 0, len(kept)) == 201
        abandoned = os.urandom(2 * MiB)
        assert send(abandoned, 0, MiB) == 202
        database, store = server.backend.database, server.backend.objects

        def leftovers() -> tuple[int, list[str]]:
            with database.connect() as connection:
                rows = connection.execute("SELECT count(*) FROM blob_uploads").fetchone()[0]
            return rows, [item.key for item in store.list(STAGING_PREFIX)]

        assert leftovers()[0] == 1 and len(leftovers()[1]) == 1
        deadline = time.monotonic() + 30
        while leftovers() != (0, []):
            assert time.monotonic() < deadline, f"sin barrer: {leftovers()}"
            time.sleep(0.3)
        assert server.backend.blobs.read(hashlib.sha256(kept).hexdigest()) == kept
        with database.connect() as connection:
            swept = connection.execute("SELECT last_run FROM upkeep_runs").fetchall()
        assert len(swept) == 1
