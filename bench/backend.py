"""The state backend (PostgreSQL, several workers, S3) against the reference backend (SQLite, one
process, a folder): ``.venv/bin/python bench/backend.py [--quick]``.

Both run in the same run on the same machine as ``oficialia serve-backend`` child processes on
127.0.0.1: the state one with ``--workers N --database-url postgresql://… --blob-url s3+http://…``
over a local PostgreSQL cluster and a local SeaweedFS (:mod:`sync.server.local_services`, started
here in the work folder), the reference one with neither (``backend.sqlite3`` and ``blobs/`` in its
data folder). Every phase gets a fresh server, database and bucket. Clients are threads of this
process speaking the device protocol over HTTP (enrolment, chunked blob PUTs with
``Content-Range`` and ``Chunk-SHA256``, filing manifests with their ``Idempotency-Key``), built on
the helpers of tests/test_backend.py and tests/test_backend_postgres.py:

(a) filing commits per second: devices enrol, upload the one attachment every filing points to,
    then ``--commits`` manifests are PUT from ``--clients`` threads at once; printed: commits/s,
    p50/p95 latency per PUT. Goal: ≥ 100/s and ≥ 1.0× the reference;
(b) blob ingest: 8 uploads at once (``--uploads``), each a sequence of random blobs sent as a
    device sends them, in two shapes: whole scans of ``--scan-mib`` MiB in one 4 MiB chunk (a
    fast link) and blobs of ``--blob-mib`` MiB in chunks of ``--chunk-kib`` KiB (a slow link:
    staged, then assembled); printed: MB/s of blob bytes per shape. Goal: the S3 store ≥ 0.7×
    the folder;
(c) a reconnect storm: ``--devices`` devices, already enrolled, come back at the same moment with
    ``--filings`` filings between them (one small attachment each) and drain their backlog; one
    filing in twenty is sent again after its receipt, as after a lost answer, and a failed or
    timed-out request is retried with the same key. Printed: time to drain, and whether it was
    exactly once (every filing stored once, each office's folios 1..N, every repeat answered
    with the same receipt bytes).

Prints PASS/FAIL per goal. The exit status is always 0: this is a measurement, not a test.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402

from sync import protocol  # noqa: E402
from sync.server.backend import Backend, BackendConfig  # noqa: E402
from sync.server.local_services import PostgresCluster, SeaweedS3  # noqa: E402
from tests.backend_server import BackendServer, free_port, served_process  # noqa: E402
from tests.backend_services import bucket_url  # noqa: E402
from tests.test_backend import Device  # noqa: E402
from tests.test_backend_postgres import put_filing  # noqa: E402

V1 = protocol.API_PREFIX
TARGET_COMMITS = 100.0
TARGET_COMMIT_RATIO = 1.0
TARGET_INGEST_RATIO = 0.7
RESEND_EVERY = 20  # one filing in twenty is sent again, as after a lost answer
ATTEMPTS = 10
STORM_OFFICES = ("OPM", "OPN", "OPS", "OPE", "OPO")
STORM_BLOB_BYTES = 16 * 1024


@dataclass(frozen=True)
class Flavour:
    """One of the two backends: how its server is started."""

    name: str
    key: str
    workers: int
    database_url: Callable[[str], str | None]
    blob_url: Callable[[str], str | None]


@dataclass
class Services:
    postgres: PostgresCluster
    seaweed: SeaweedS3

    def database(self, phase: str) -> str:
        return self.postgres.create_database(f"bench_{phase}")

    def bucket(self, phase: str) -> str:
        name = self.seaweed.create_bucket(f"bench-{phase.replace('_', '-')}")
        return bucket_url(self.seaweed, name)


def flavours(services: Services, workers: int) -> list[Flavour]:
    return [
        Flavour(
            "referencia (SQLite, 1 proceso, carpeta)", "ref", 1, lambda _: None, lambda _: None
        ),
        Flavour(
            f"estatal (PostgreSQL, {workers} procesos, S3)",
            "est",
            workers,
            services.database,
            services.bucket,
        ),
    ]


@contextmanager
def serving(folder: Path, flavour: Flavour, phase: str) -> Iterator[BackendServer]:
    """``oficialia serve-backend`` as a child process on a fresh database (and bucket), with an
    in-process admin on the same data for tokens and checks, as ``oficialia backend`` does."""
    data_dir = folder / f"{phase}-{flavour.key}"
    database_url = flavour.database_url(phase)
    blob_url = flavour.blob_url(phase)
    admin = Backend(BackendConfig(data_dir=data_dir, database_url=database_url, blob_url=blob_url))
    port = free_port()
    command = [sys.executable, "-m", "mailroom.cli", "serve-backend", "--data-dir", str(data_dir)]
    command += ["--port", str(port), "--workers", str(flavour.workers)]
    if database_url:
        command += ["--database-url", database_url]
    if blob_url:
        command += ["--blob-url", blob_url]
    log_path = folder / f"{phase}-{flavour.key}.log"
    try:
        with served_process(command, log_path, port) as url:
            yield BackendServer(admin, url)
    finally:
        admin.close()


class Ticker:
    """Prints ``done`` of ``total`` every few seconds while a phase runs."""

    def __init__(self, label: str, total: int) -> None:
        self.label, self.total, self.done = label, total, 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def add(self, count: int = 1) -> None:
        with self._lock:
            self.done += count

    def _run(self) -> None:
        while not self._stop.wait(5):
            print(f"      … {self.label}: {self.done:,} de {self.total:,}", flush=True)

    def __enter__(self) -> Ticker:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


# (a) Filing commits


@dataclass(frozen=True)
class Commits:
    per_second: float
    p50: float
    p95: float


def measure_commits(server: BackendServer, commits: int, clients: int) -> Commits:
    devices = [Device(server, f"C{n:02d}", ("OPM", "OPN")[n % 2]) for n in range(clients)]
    sha = devices[0].upload(b"%PDF-1.7 anexo de todos los escritos del banco")
    warm = [(device, device.manifest([sha])) for device in devices for _ in range(2)]
    plan = [(devices[n % clients], devices[n % clients].manifest([sha])) for n in range(commits)]
    latencies: list[float] = []

    def commit(pair: tuple[Device, dict[str, Any]]) -> None:
        began = time.perf_counter()
        answer = put_filing(*pair)
        elapsed = time.perf_counter() - began
        if answer.status_code != 201:
            raise RuntimeError(f"PUT del escrito: {answer.status_code} {answer.text[:300]}")
        latencies.append(elapsed)
        ticker.add()

    ticker = Ticker("escritos", commits)
    with ThreadPoolExecutor(max_workers=clients) as pool:
        list(pool.map(commit, warm))  # connections and pools open, code paths warm
        latencies.clear()
        ticker.done = 0
        with ticker:
            began = time.perf_counter()
            list(pool.map(commit, plan))
            seconds = time.perf_counter() - began
    return Commits(commits / seconds, percentile(latencies, 0.5), percentile(latencies, 0.95))


# (b) Blob ingest


_sessions = threading.local()


def session_of(device: Device) -> requests.Session:
    """A session of this thread's own for ``device`` (sessions are not thread-safe)."""
    sessions: dict[str, requests.Session] = _sessions.__dict__.setdefault("by_device", {})
    session = sessions.get(device.code)
    if session is None:
        session = sessions[device.code] = requests.Session()
        session.headers["Authorization"] = f"Bearer {device.enrolment['credential']}"
    return session


def upload_chunked(device: Device, data: bytes, chunk: int) -> None:
    """One blob, chunk after chunk, as sync/upload.py sends it."""
    sha = hashlib.sha256(data).hexdigest()
    session = session_of(device)
    for start in range(0, len(data), chunk):
        end = min(len(data), start + chunk)
        part = data[start:end]
        answer = session.put(
            f"{device.server.url}{V1}/blobs/{sha}",
            data=part,
            headers={
                protocol.HEADER_CONTENT_RANGE: protocol.content_range(start, end, len(data)),
                protocol.HEADER_CHUNK_DIGEST: hashlib.sha256(part).hexdigest(),
            },
            timeout=120,
        )
        if answer.status_code >= 300:
            raise RuntimeError(f"PUT del archivo: {answer.status_code} {answer.text[:300]}")
    if answer.status_code != 201:
        raise RuntimeError(f"el archivo no quedó completo: {answer.status_code} {answer.text}")


def measure_ingest(server: BackendServer, blobs: list[list[bytes]], chunk: int) -> float:
    devices = [Device(server, f"S{n:02d}", "OPM") for n in range(len(blobs))]
    total = sum(len(blob) for lane in blobs for blob in lane)

    def warm(n: int) -> None:  # connections open (HTTP, and the server's to its stores)
        upload_chunked(devices[n], f"calentamiento {n}".encode() * 4096, chunk)

    def lane(n: int) -> None:
        for blob in blobs[n]:
            upload_chunked(devices[n], blob, chunk)
            ticker.add(len(blob) // 2**20)

    with (
        ThreadPoolExecutor(max_workers=len(blobs)) as pool,
        Ticker("MiB", total // 2**20) as ticker,
    ):
        list(pool.map(warm, range(len(blobs))))
        began = time.perf_counter()
        list(pool.map(lane, range(len(blobs))))
        seconds = time.perf_counter() - began
    return total / seconds / 1e6


@dataclass(frozen=True)
class IngestShape:
    """How the uploads of (b) come: a device on a fast link has grown its chunks to the
    protocol's 4 MiB and sends a scan in one; on a slow link it sends small chunks, which the
    backend stages and then assembles (on S3 every such byte is written twice)."""

    name: str
    blob_bytes: int
    chunk_bytes: int
    per_upload: int

    def describe(self, uploads: int) -> str:
        total = uploads * self.per_upload * self.blob_bytes / 2**20
        return (
            f"{self.name}: {total:.0f} MiB en archivos de {self.blob_bytes / 2**20:g} MiB, "
            f"fragmentos de {self.chunk_bytes // 1024} KiB"
        )


def ingest_shapes(options: argparse.Namespace) -> list[IngestShape]:
    return [
        IngestShape(
            "escaneos enteros", options.scan_mib * 2**20, protocol.MAX_CHUNK, options.scans
        ),
        IngestShape(
            "archivos en fragmentos",
            options.blob_mib * 2**20,
            options.chunk_kib * 1024,
            options.blobs,
        ),
    ]


# (c) Reconnect storm


@dataclass(frozen=True)
class Storm:
    seconds: float
    requests: int
    retries: int
    exactly_once: bool
    problems: list[str]


def put_blob(session: requests.Session, url: str, sha: str, data: bytes) -> requests.Response:
    """A small blob in one chunk."""
    return session.put(
        f"{url}{V1}/blobs/{sha}",
        data=data,
        headers={
            protocol.HEADER_CONTENT_RANGE: protocol.content_range(0, len(data), len(data)),
            protocol.HEADER_CHUNK_DIGEST: sha,
        },
        timeout=60,
    )


def storm(server: BackendServer, filings: int, device_count: int, seed: int) -> Storm:
    devices = [
        Device(server, f"T{n:02d}", STORM_OFFICES[n % len(STORM_OFFICES)])
        for n in range(device_count)
    ]
    chooser = random.Random(seed)
    backlog: list[list[tuple[bytes, bool]]] = [[] for _ in devices]
    for n in range(filings):
        backlog[n % device_count].append(
            (chooser.randbytes(STORM_BLOB_BYTES), n % RESEND_EVERY == 0)
        )
    receipts: dict[str, list[bytes]] = {}
    office_of: dict[str, str] = {}
    counts = {"requests": 0, "retries": 0}
    lock = threading.Lock()
    start = threading.Barrier(device_count + 1)

    def send(call: Callable[[], requests.Response], ok: tuple[int, ...]) -> requests.Response:
        for attempt in range(ATTEMPTS):
            with lock:
                counts["requests"] += 1
                counts["retries"] += attempt > 0
            try:
                answer = call()
            except requests.RequestException:
                time.sleep(0.2 * (attempt + 1))
                continue
            if answer.status_code in ok:
                return answer
            if answer.status_code < 500 and answer.status_code != 429:
                raise RuntimeError(f"{answer.status_code} {answer.text[:300]}")
            time.sleep(0.2 * (attempt + 1))
        raise RuntimeError(f"sin respuesta tras {ATTEMPTS} intentos")

    def drain(n: int) -> None:
        device = devices[n]
        session = session_of(device)
        start.wait()
        for data, resend in backlog[n]:
            sha = hashlib.sha256(data).hexdigest()
            send(partial(put_blob, session, server.url, sha, data), (200, 201))
            manifest = device.manifest([sha])
            for _ in range(2 if resend else 1):
                answer = send(partial(put_filing, device, manifest), (200, 201))
                with lock:
                    receipts.setdefault(manifest["uuid"], []).append(answer.content)
                    office_of[manifest["uuid"]] = device.office
            ticker.add()

    with (
        ThreadPoolExecutor(max_workers=device_count) as pool,
        Ticker("escritos", filings) as ticker,
    ):
        running = [pool.submit(drain, n) for n in range(device_count)]
        start.wait()
        began = time.perf_counter()
        for future in running:
            future.result()
        seconds = time.perf_counter() - began

    problems: list[str] = []
    with server.backend.connect() as connection:
        stored = [row[0] for row in connection.execute("SELECT uuid FROM filings").fetchall()]
    if len(stored) != filings or set(stored) != set(receipts):
        problems.append(f"{len(stored)} escritos guardados ({len(set(stored))} distintos)")
    expected: dict[str, int] = {}
    for office in office_of.values():
        expected[office] = expected.get(office, 0) + 1
    folios = server.sequences_by_office()
    if folios != {office: list(range(1, count + 1)) for office, count in expected.items()}:
        problems.append("folios por oficina con huecos o repetidos")
    differing = sum(len(set(answers)) != 1 for answers in receipts.values())
    if differing:
        problems.append(f"{differing} escritos con acuses distintos al repetirlos")
    return Storm(seconds, counts["requests"], counts["retries"], not problems, problems)


# The run


def verdict(passed: bool) -> str:
    return "PASS" if passed else "FAIL"


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="una corrida corta (~30 s)")
    parser.add_argument("--workers", type=int, default=2, help="procesos del servidor estatal")
    parser.add_argument("--commits", type=int, help="escritos de (a) (1 000; rápido 150)")
    parser.add_argument("--clients", type=int, default=16, help="hilos que registran en (a)")
    parser.add_argument("--uploads", type=int, default=8, help="subidas simultáneas en (b)")
    parser.add_argument("--scan-mib", type=int, default=2, help="MiB por escaneo en (b)")
    parser.add_argument("--scans", type=int, help="escaneos por subida en (b) (8; rápido 2)")
    parser.add_argument("--blob-mib", type=int, help="MiB por archivo fragmentado (8; rápido 2)")
    parser.add_argument("--blobs", type=int, help="archivos fragmentados por subida (2; rápido 1)")
    parser.add_argument("--chunk-kib", type=int, default=1024, help="fragmento de esos archivos")
    parser.add_argument(
        "--filings", type=int, help="escritos pendientes en (c) (2 000; rápido 200)"
    )
    parser.add_argument("--devices", type=int, help="equipos que vuelven en (c) (50; rápido 10)")
    parser.add_argument("--work-dir", help="carpeta de trabajo (bench/.work-backend)")
    options = parser.parse_args()
    quick = options.quick
    defaults = {
        "commits": 150 if quick else 1000,
        "scans": 2 if quick else 8,
        "blob_mib": 2 if quick else 8,
        "blobs": 1 if quick else 2,
        "filings": 200 if quick else 2000,
        "devices": 10 if quick else 50,
    }
    for name, value in defaults.items():
        if getattr(options, name) is None:
            setattr(options, name, value)
    return options


def main() -> None:
    from state_services import with_state_services  # bench/ is on the path as a script

    options = arguments()
    with_state_services(
        options.work_dir,
        "backend",
        lambda folder, postgres, seaweed: run(
            options, folder, flavours(Services(postgres, seaweed), options.workers)
        ),
    )


def run(options: argparse.Namespace, folder: Path, backends: list[Flavour]) -> None:
    reference, state = backends
    print(f"(a) Registro de escritos: {options.commits:,} PUT desde {options.clients} hilos")
    commits = {}
    for flavour in backends:
        print(f"    {flavour.name}…", flush=True)
        with serving(folder, flavour, "escritos") as server:
            commits[flavour.name] = result = measure_commits(
                server, options.commits, options.clients
            )
        print(
            f"    {flavour.name:<42} {result.per_second:7.1f} escritos/s  "
            f"p50 {result.p50 * 1000:5.0f} ms  p95 {result.p95 * 1000:5.0f} ms",
            flush=True,
        )

    shapes = ingest_shapes(options)
    print(f"(b) Subida de archivos: {options.uploads} a la vez, en dos formas")
    ingest: dict[tuple[str, str], float] = {}
    for number, shape in enumerate(shapes, 1):
        chooser = random.Random(17)
        blobs = [
            [chooser.randbytes(shape.blob_bytes) for _ in range(shape.per_upload)]
            for _ in range(options.uploads)
        ]
        print(f"    {shape.describe(options.uploads)}", flush=True)
        for flavour in backends:
            with serving(folder, flavour, f"archivos{number}") as server:
                rate = ingest[shape.name, flavour.name] = measure_ingest(
                    server, blobs, shape.chunk_bytes
                )
            print(f"      {flavour.name:<40} {rate:7.1f} MB/s", flush=True)
        del blobs

    print(
        f"(c) Reconexión en tropel: {options.devices} equipos con {options.filings:,} escritos "
        "pendientes entre todos"
    )
    storms = {}
    for flavour in backends:
        print(f"    {flavour.name}…", flush=True)
        with serving(folder, flavour, "tropel") as server:
            storms[flavour.name] = drained = storm(server, options.filings, options.devices, 2026)
        once = "sí" if drained.exactly_once else "NO: " + "; ".join(drained.problems)
        print(
            f"    {flavour.name:<42} {drained.seconds:7.1f} s  "
            f"({options.filings / drained.seconds:.0f} escritos/s, "
            f"{drained.requests:,} solicitudes, "
            f"{drained.retries} reintentos); exactamente una vez: {once}",
            flush=True,
        )

    ours, base = commits[state.name], commits[reference.name]
    ratio = ours.per_second / base.per_second
    print(
        f"{verdict(ours.per_second >= TARGET_COMMITS and ratio >= TARGET_COMMIT_RATIO)}: "
        f"{ours.per_second:.0f} escritos/s con {state.workers} procesos sobre PostgreSQL, "
        f"{ratio:.2f}× la referencia (objetivo ≥ {TARGET_COMMITS:.0f}/s y "
        f"≥ {TARGET_COMMIT_RATIO:.1f}×); p95 {ours.p95 * 1000:.0f} ms "
        f"(referencia {base.p95 * 1000:.0f} ms)"
    )
    for shape in shapes:
        ours_rate, base_rate = ingest[shape.name, state.name], ingest[shape.name, reference.name]
        ratio = ours_rate / base_rate
        print(
            f"{verdict(ratio >= TARGET_INGEST_RATIO)}: S3 recibe {ours_rate:.1f} MB/s de "
            f"{shape.name}, {ratio:.2f}× la carpeta ({base_rate:.1f} MB/s; "
            f"objetivo ≥ {TARGET_INGEST_RATIO}×)"
        )
    for flavour in backends:
        drained = storms[flavour.name]
        print(
            f"{verdict(drained.exactly_once)}: el tropel sobre {flavour.name} se vació "
            f"exactamente una vez en {drained.seconds:.1f} s"
        )


if __name__ == "__main__":
    main()
