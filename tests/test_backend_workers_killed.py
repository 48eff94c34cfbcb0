"""The state backend's workers killed with SIGKILL, one at random every few seconds, and its object
store once, while real devices keep filing and syncing: every filing a device holds a receipt for
is on the backend exactly once with that folio, each office's folios run 1..N with no gap or
repeat, every blob hashes to its name, and after the sweep nothing of an interrupted upload is left
(no upload row, no staged chunk, no unfinished multipart upload, no orphan or missing object).

``oficialia serve-backend --workers 2`` over PostgreSQL and a SeaweedFS of this test's own (the
session's one must not be killed) runs as a child process; uvicorn's supervisor starts a new worker
for each one killed. The devices are the real client (mailroom Store, IntakeService, enrolment,
SyncWorker) in threads, each registering its filings one by one during the run and syncing after
each, on a clock the device advances between passes so backoff costs no real time. Some pages are
incompressible noise of ~640 kB, so their blobs go up in two chunks; each kill waits (briefly)
for a chunk to be acknowledged, so it lands while the next chunk or the commit is on its way.

A worker killed while assembling a blob leaves its assembly lease (sync/server/uploads.py,
FINISH_LEASE, 15 s, renewed every 5 s while assembling) to expire before anyone else may finish
that blob: such a run takes that much longer, by design, and still has to end with everything
delivered once.

CI-sized here; bench/workers_killed.py runs the same thing at full size.
"""

from __future__ import annotations

import json
import os
import random
import re
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from PIL import Image

from mailroom.config import Settings, load_settings
from mailroom.intake import IntakeService
from mailroom.models import NewFiling, Sender
from mailroom.samples import render_page_image
from mailroom.store import Store
from sync import enrolment, protocol
from sync.server.blob_upkeep import SweepReport, reconcile, sweep
from sync.server.local_processes import weed_program
from sync.server.local_services import SeaweedS3
from sync.server.objects import STAGING_PREFIX
from sync.transport import Transport
from sync.worker import SyncWorker
from tests.backend_server import BackendServer, running_workers, worker_pids
from tests.backend_services import bucket_url, require_programs

OFFICES = ("OPM", "OPN")
NOISE_EVERY = 3  # one filing in three carries an incompressible two-chunk page
KILL_EVERY = (2.0, 4.0)  # seconds between worker kills, drawn uniformly
STORE_DOWN_SECONDS = 2.0
DRAIN_SECONDS = 120.0  # after the filing window, how long the devices may take to finish
AIM_SECONDS = 1.5  # how long a due kill waits for upload traffic to aim at
PASS_PAUSE = 0.2  # between a device's sync passes while it drains
SLOW_PASS = 5.0  # seconds; such a pass is reported


@dataclass(frozen=True)
class Check:
    what: str
    ok: bool
    detail: str = ""


@dataclass
class Outcome:
    worker_kills: int = 0
    aimed_kills: int = 0  # landed just after a chunk was acknowledged
    retries: int = 0  # delivery attempts beyond the first, over all devices
    store_kills: int = 0
    restarts_logged: int = 0
    filings: int = 0
    seconds: float = 0.0
    store_down_seconds: float = 0.0
    swept: SweepReport | None = None
    slowest_pass: float = 0.0  # one device's sync pass
    slow_passes: list[str] = field(default_factory=list)
    messages: dict[str, int] = field(default_factory=dict)  # why deliveries were postponed
    checks: list[Check] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return bool(self.checks) and all(check.ok for check in self.checks)

    def summary(self) -> str:
        return (
            f"{self.filings} escritos en {self.seconds:.1f} s; {self.worker_kills} procesos "
            f"matados ({self.aimed_kills} en pleno envío; {self.restarts_logged} reinicios en el "
            f"registro del servidor), almacén S3 matado {self.store_kills} vez "
            f"({self.store_down_seconds:.1f} s sin servicio); al menos {self.retries} reintentos "
            "de los equipos"
        )

    def report(self) -> str:
        """Why deliveries were postponed, and the slow passes."""
        lines = [f"  {n} × {m}" for m, n in sorted(self.messages.items(), key=lambda i: -i[1])]
        return "\n".join(lines + [f"  pasada lenta: {line}" for line in self.slow_passes])

    def failures(self) -> str:
        return "\n".join(f"{c.what}: {c.detail}" for c in self.checks if not c.ok)


class _Clock:
    """The device's clock: advanced an hour between passes, so every backoff has elapsed."""

    def __init__(self) -> None:
        self.instant = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.instant


@dataclass
class DeviceResult:
    device: str
    office: str
    public_key: object = None
    outbox: list[dict[str, object]] = field(default_factory=list)
    documents: set[str] = field(default_factory=set)
    passes: int = 0
    slowest_pass: float = 0.0
    slow_passes: list[str] = field(default_factory=list)
    messages: dict[str, int] = field(default_factory=dict)  # what the passes postponed, why
    error: BaseException | None = None

    def sync(self, worker: SyncWorker, clock: _Clock) -> None:
        began = time.monotonic()
        summary = worker.run_once()
        took = time.monotonic() - began
        self.slowest_pass = max(self.slowest_pass, took)
        self.passes += 1
        messages = [re.sub("[0-9a-f]{64}", "…", m) for m in summary.messages.values()]
        if took > SLOW_PASS:
            self.slow_passes.append(
                f"{self.device}: {took:.1f} s, {len(summary.synced)} enviados, "
                f"{len(summary.postponed)} pospuestos {messages}"
            )
        for message in messages:  # one line per kind, not per blob
            self.messages[message] = self.messages.get(message, 0) + 1
        clock.instant += timedelta(hours=1)  # every backoff has elapsed


def _noise_page(path: Path, seed: int) -> Path:
    """~640 kB that no compressor shrinks: two chunks of the client's default 512 KiB."""
    pixels = random.Random(seed).randbytes(800 * 800)
    Image.frombytes("L", (800, 800), pixels).save(path, "PNG", dpi=(150, 150))
    return path


def _text_page(path: Path, device: str, number: int) -> Path:
    lines = [f"Escrito {number} del equipo {device}", "Solicitud de servicio público"]
    render_page_image(lines, dpi=72).save(path, "JPEG", dpi=(72, 72), quality=70)
    return path


def _pages(folder: Path, device: str, filings: int, seed: int) -> list[list[Path]]:
    folder.mkdir(parents=True, exist_ok=True)
    pages = []
    for number in range(filings):
        files = [_text_page(folder / f"{number:04d}-texto.jpg", device, number)]
        if number % NOISE_EVERY == 0:
            files.append(_noise_page(folder / f"{number:04d}-ruido.png", seed * 100_000 + number))
        pages.append(files)
    return pages


def _pending(store: Store) -> int:
    query = "SELECT count(*) FROM outbox WHERE state != 'sincronizada'"
    return int(store.reader().execute(query).fetchone()[0])


def _device(
    settings: Settings,
    url: str,
    pages: list[list[Path]],
    pace: float,
    deadline: float,
    result: DeviceResult,
    traffic: threading.Event,
) -> None:
    """Registers its filings one every ``pace`` seconds, syncing after each, then syncs until
    its outbox is delivered or ``deadline`` (monotonic) passes."""
    try:
        with Store(settings.data_dir) as store:
            clock = _Clock()
            worker = SyncWorker(store, settings, backend_url=url, now=clock)
            worker.on_progress = lambda uuid, acknowledged: traffic.set()
            intake = IntakeService(store, settings)
            for number, files in enumerate(pages):
                new = NewFiling(Sender(f"Remitente {result.device} {number}"), f"Asunto {number}")
                intake.register(new, files)
                result.sync(worker, clock)
                time.sleep(pace)
            while _pending(store) and time.monotonic() < deadline:
                result.sync(worker, clock)
                time.sleep(PASS_PAUSE)
            result.public_key = enrolment.require(store.reader()).public_key()
            result.outbox = [dict(row) for row in store.reader().query("SELECT * FROM outbox")]
            result.documents = {
                row["sha256"] for row in store.reader().query("SELECT sha256 FROM documents")
            }
    except BaseException as error:  # reported by the main thread as a failed check
        result.error = error


def _kill_store(seaweed: SeaweedS3) -> float:
    """SIGKILL the object store, leave it down a while, start it again on the same folder and
    ports; how long it was down."""
    pid = seaweed.pid
    assert pid is not None, "SeaweedFS no está en marcha"
    began = time.monotonic()
    os.kill(pid, signal.SIGKILL)
    time.sleep(STORE_DOWN_SECONDS)
    ports = dict(seaweed.ports)
    seaweed.stop()  # reaps the killed process and removes the sockets it left
    seaweed.start()
    assert seaweed.ports == ports, f"SeaweedFS volvió en otros puertos: {seaweed.ports} ≠ {ports}"
    return time.monotonic() - began


def run_with_kills(
    folder: Path,
    database_url: str,
    seaweed: SeaweedS3,
    bucket: str,
    *,
    devices: int = 3,
    filings: int = 15,
    seconds: float = 25.0,
    workers: int = 2,
    seed: int = 17,
    say: Callable[[str], None] = lambda _: None,
) -> Outcome:
    """``devices`` devices (offices alternating OPM, OPN) each file ``filings`` filings spread
    over ``seconds`` while a random worker is killed every 2–4 s and the store once, about 40%
    into the window; then the checks and the sweep. Nothing is asserted: see the ``checks``."""
    draw = random.Random(seed)
    outcome = Outcome()
    folder.mkdir(parents=True, exist_ok=True)
    data_dir = folder / "servidor"
    blob_url = bucket_url(seaweed, bucket)
    with running_workers(data_dir, database_url, blob_url=blob_url, workers=workers) as server:
        assert server.supervisor_pid is not None
        parent = server.supervisor_pid
        settings_list, pages, results = [], [], []
        for index in range(devices):
            office = OFFICES[index % len(OFFICES)]
            name = f"{office[-1]}{index:02d}"
            settings = load_settings(
                folder / f"equipo-{name}",
                clerk="ventanilla",
                office=office,
                device=name,
                ocr_workers=1,
                sync_connect_timeout_seconds=2,
            )
            with Store(settings.data_dir) as store:
                enrolment.enroll(
                    store,
                    Transport(server.url),
                    server.enrolment_token(office),
                    settings.device,
                    datetime.now(UTC),
                )
            settings_list.append(settings)
            pages.append(_pages(folder / f"hojas-{name}", name, filings, seed * 100 + index))
            results.append(DeviceResult(name, office))
        say(f"{devices} equipos inscritos; {devices * filings} escritos por registrar.")

        traffic = threading.Event()  # a device just had a chunk acknowledged
        began = time.monotonic()
        deadline = began + seconds + DRAIN_SECONDS
        pace = seconds / max(filings, 1)
        threads = [
            threading.Thread(
                target=_device,
                args=(settings, server.url, device_pages, pace, deadline, result, traffic),
                name=f"equipo-{result.device}",
            )
            for settings, device_pages, result in zip(settings_list, pages, results, strict=True)
        ]
        for thread in threads:
            thread.start()
        store_at = began + seconds * 0.4
        next_kill = began + draw.uniform(*KILL_EVERY)
        while any(thread.is_alive() for thread in threads):
            time.sleep(0.05)
            now = time.monotonic()
            if now > deadline + 30:
                break  # a device stuck past its own deadline: reported below
            if not outcome.store_kills and now >= store_at:
                outcome.store_down_seconds = _kill_store(seaweed)
                outcome.store_kills += 1
                say(f"almacén S3 matado y de vuelta en {outcome.store_down_seconds:.1f} s")
                next_kill = time.monotonic() + draw.uniform(*KILL_EVERY)
            elif now >= next_kill:
                # Aimed at traffic: right after a device's chunk was acknowledged its next
                # chunk or its commit is on the way, most likely to the same worker.
                traffic.clear()
                if traffic.wait(AIM_SECONDS):
                    outcome.aimed_kills += 1
                    time.sleep(draw.uniform(0, 0.05))
                pids = worker_pids(parent)
                if pids:
                    os.kill(draw.choice(pids), signal.SIGKILL)
                    outcome.worker_kills += 1
                # Counted from when it fell due, so aiming does not stretch the interval.
                next_kill = max(next_kill + draw.uniform(*KILL_EVERY), time.monotonic() + 1)
        for thread in threads:
            thread.join(timeout=30)
        outcome.seconds = time.monotonic() - began
        outcome.filings = devices * filings
        outcome.slowest_pass = max(r.slowest_pass for r in results)
        outcome.slow_passes = [line for r in results for line in r.slow_passes]
        for result in results:
            for message, count in result.messages.items():
                outcome.messages[message] = outcome.messages.get(message, 0) + count
        outcome.retries = sum(
            max(int(str(row["attempts"])) - 1, 0) for r in results for row in r.outbox
        )
        log = data_dir.with_name(data_dir.name + ".log")
        outcome.restarts_logged = log.read_text(errors="replace").count("died")
        say(outcome.summary())
        outcome.checks += _checks(server, results, threads, filings)
        outcome.swept, sweep_checks = _sweep_checks(server, seaweed, bucket)
        outcome.checks += sweep_checks
    return outcome


def _checks(
    server: BackendServer,
    results: list[DeviceResult],
    threads: list[threading.Thread],
    filings: int,
) -> list[Check]:
    checks = []
    errors = [f"{r.device}: {r.error!r}" for r in results if r.error is not None]
    stuck = [thread.name for thread in threads if thread.is_alive()]
    checks.append(
        Check(
            "los equipos terminaron sin error",
            not errors and not stuck,
            "; ".join(errors + [f"{name} sigue en marcha" for name in stuck]),
        )
    )

    held: dict[str, str] = {}
    undelivered, unverified, counts = [], [], []
    for result in results:
        if len(result.outbox) != filings:
            counts.append(f"{result.device}: {len(result.outbox)} de {filings}")
        for row in result.outbox:
            uuid = str(row["filing_uuid"])
            if row["state"] != "sincronizada":
                undelivered.append(f"{uuid} ({row['state']}: {row['reason'] or row['last_error']})")
                continue
            receipt = protocol.Receipt.from_dict(json.loads(str(row["receipt"])))
            if not (
                protocol.verify_receipt(result.public_key, receipt)  # type: ignore[arg-type]
                and receipt.filing_uuid == uuid
                and receipt.institutional_folio == row["institutional_folio"]
            ):
                unverified.append(uuid)
            held[uuid] = str(row["institutional_folio"])
    checks.append(Check("cada equipo registró todos sus escritos", not counts, "; ".join(counts)))
    checks.append(
        Check("todo escrito quedó «sincronizada»", not undelivered, "; ".join(undelivered[:10]))
    )
    checks.append(
        Check("todo acuse verifica con la llave fijada", not unverified, ", ".join(unverified))
    )

    stored = server.folios_by_uuid()
    with server.backend.connect() as connection:
        rows = connection.execute("SELECT count(*) FROM filings").fetchone()[0]
    missing = sorted(set(held) - set(stored))
    extra = sorted(set(stored) - set(held))
    other = sorted(u for u in held if u in stored and stored[u] != held[u])
    checks.append(
        Check(
            "cada escrito con acuse está una sola vez en el servidor, con su folio",
            not missing and not extra and not other and rows == len(held),
            f"faltan {missing[:5]}, sobran {extra[:5]}, otro folio {other[:5]}, "
            f"{rows} filas para {len(held)} escritos",
        )
    )
    folios = list(stored.values())
    checks.append(
        Check("folios institucionales únicos", len(set(folios)) == len(folios), f"{len(folios)}")
    )
    per_office: dict[str, int] = {}
    for result in results:
        per_office[result.office] = per_office.get(result.office, 0) + filings
    expected = {office: list(range(1, count + 1)) for office, count in per_office.items()}
    sequences = server.sequences_by_office()
    checks.append(
        Check(
            "folios por oficina 1..N, sin hueco ni repetición",
            sequences == expected,
            "; ".join(
                f"{office}: {_gaps(sequences.get(office, []), count)}"
                for office, count in per_office.items()
            ),
        )
    )
    try:
        complete = set(server.assert_blobs_hash_to_their_names())
        documents = set().union(*(r.documents for r in results))
        absent = sorted(documents - complete)
        checks.append(
            Check(
                "cada documento llegó y cada archivo coincide con su SHA-256",
                not absent,
                f"faltan {absent[:5]}",
            )
        )
    except AssertionError as error:
        checks.append(Check("cada archivo coincide con su SHA-256", False, str(error)))
    return checks


def _gaps(numbers: list[int], count: int) -> str:
    repeated = sorted({n for n in numbers if numbers.count(n) > 1})
    absent = sorted(set(range(1, count + 1)) - set(numbers))
    beyond = sorted(n for n in numbers if not 1 <= n <= count)
    return f"{len(numbers)} de {count}, repetidos {repeated}, faltan {absent}, fuera {beyond}"


def _sweep_checks(
    server: BackendServer, seaweed: SeaweedS3, bucket: str
) -> tuple[SweepReport, list[Check]]:
    """No upload is live after the run: everything older than now counts as abandoned."""
    backend = server.backend
    swept = sweep(
        backend.database, backend.objects, older_than=datetime.now(UTC) + timedelta(seconds=1)
    )
    with backend.connect() as connection:
        rows = {
            table: connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in ("blob_uploads", "blob_chunks")
        }
    staged = [item.key for item in backend.objects.list(STAGING_PREFIX)]
    multipart = seaweed.client().list_multipart_uploads(Bucket=bucket).get("Uploads", [])
    found = reconcile(backend.database, backend.objects)
    return swept, [
        Check("sin filas de subidas tras el barrido", not any(rows.values()), f"{rows}"),
        Check("sin fragmentos en partial/ tras el barrido", not staged, f"{staged[:5]}"),
        Check(
            "sin subidas multiparte abiertas tras el barrido",
            not multipart,
            f"{[upload.get('Key') for upload in multipart][:5]}",
        ),
        Check(
            "la conciliación no halla objetos huérfanos ni faltantes",
            not found.orphan_objects and not found.missing_objects,
            f"huérfanos {found.orphan_objects[:5]}, faltantes {found.missing_objects[:5]}",
        ),
    ]


def test_workers_and_the_store_killed_during_a_run_lose_and_repeat_nothing(
    tmp_path: Path, postgres_url: str
) -> None:
    require_programs(weed_program)
    seaweed = SeaweedS3(tmp_path / "weed")
    seaweed.start()
    try:
        bucket = seaweed.create_bucket("muertes")
        outcome = run_with_kills(
            tmp_path, postgres_url, seaweed, bucket, filings=12, seconds=20, say=print
        )
    finally:
        seaweed.stop()
    print(f"barrido: {outcome.swept}; pasada más lenta {outcome.slowest_pass:.1f} s")
    print(outcome.report())
    assert outcome.passed, outcome.failures()
    assert outcome.worker_kills >= 5, f"solo {outcome.worker_kills} procesos matados"
    assert outcome.retries >= 1, "ninguna muerte interrumpió un envío: la prueba no probó nada"
    assert outcome.store_kills == 1
