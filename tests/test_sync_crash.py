"""The sync worker killed with SIGKILL at random moments, again and again, then restarted: every
filing still arrives exactly once. And two devices syncing to one backend at the same time: no
duplicate, no loss. Real processes, the real backend under uvicorn, a throttled link through the
fault proxy so the kills land in the middle of uploads and commits. Both run against the reference
backend and against the state one (two uvicorn workers over PostgreSQL and S3)."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PIL import Image

from mailroom.config import Settings, load_settings
from mailroom.intake import IntakeService
from mailroom.models import NewFiling, Sender
from mailroom.store import Store
from sync import enrolment, protocol
from sync.transport import Transport
from sync.worker import SyncWorker
from sync.worker_lock import WorkerLock
from tests.backend_server import ENGINES, BackendServer, backend_for, running_backend
from tests.fault_proxy import Fault, FaultProxy

ROOT = Path(__file__).resolve().parents[1]
CHILD = ROOT / "tests" / "sync_crash_child.py"
TRIALS = int(os.environ.get("OFICIALIA_SYNC_CRASH_TRIALS", "50"))
# Filings and kills per backend. The state backend's run is CI-sized (its servers start as child
# processes and it runs after the reference's); OFICIALIA_SYNC_CRASH_ESTATAL=50 runs it at the
# reference's size.
ESTATAL = int(os.environ.get("OFICIALIA_SYNC_CRASH_ESTATAL", "15"))
SIZES = {"sqlite": (50, TRIALS), "estatal": (ESTATAL, min(TRIALS, ESTATAL))}
TIME_BOUND_SECONDS = 180
THROTTLE = Fault("throttle", rate=200_000)  # bytes per second per connection: a slow link


def _noise_page(path: Path, seed: int) -> Path:
    """A page the size of a real scan (~250 kB) that no compressor shrinks."""
    pixels = random.Random(seed).randbytes(500 * 500)
    Image.frombytes("L", (500, 500), pixels).save(path, "PNG", dpi=(150, 150))
    return path


def _device(tmp_path: Path, name: str, device: str) -> Settings:
    return load_settings(tmp_path / name, clerk="ventanilla", device=device, ocr_workers=1)


def _enrol_and_register(
    settings: Settings, backend: BackendServer, folder: Path, filings: int, pages: int, seed: int
) -> list[str]:
    folder.mkdir(parents=True, exist_ok=True)
    uuids = []
    with Store(settings.data_dir) as store:
        enrolment.enroll(
            store,
            Transport(backend.url),
            backend.enrolment_token(settings.office),
            settings.device,
            datetime.now(UTC),
        )
        for number in range(filings):
            files = [
                _noise_page(folder / f"{number}-{page}.png", seed * 100_000 + number * 10 + page)
                for page in range(pages)
            ]
            new = NewFiling(Sender(f"Remitente {number}"), f"Asunto {number}")
            uuids.append(str(IntakeService(store, settings).register(new, files).filing.id))
    return uuids


def _child(settings: Settings, url: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, str(CHILD), str(settings.data_dir), url],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _assert_delivered_once(
    backend: BackendServer, devices: list[tuple[Settings, list[str]]]
) -> None:
    stored = backend.folios_by_uuid()
    expected = [uuid for _, uuids in devices for uuid in uuids]
    assert sorted(stored) == sorted(expected)  # each exactly once: uuid is the primary key
    assert len(set(stored.values())) == len(expected)  # unique institutional folios
    backend.assert_blobs_hash_to_their_names()
    for settings, uuids in devices:
        with Store(settings.data_dir) as store:
            enrolled = enrolment.require(store.reader())
            rows = list(store.reader().query("SELECT * FROM outbox"))
            assert {r["filing_uuid"] for r in rows} == set(uuids)
            for row in rows:
                assert row["state"] == "sincronizada"
                receipt = protocol.Receipt.from_dict(json.loads(row["receipt"]))
                assert protocol.verify_receipt(enrolled.public_key(), receipt)
                assert stored[row["filing_uuid"]] == row["institutional_folio"]


@pytest.mark.parametrize("engine", ENGINES)
def test_killed_at_random_moments_and_restarted_each_filing_arrives_once(
    tmp_path: Path, engine: str, request: pytest.FixtureRequest
) -> None:
    settings = _device(tmp_path, "equipo", "C01")
    with (
        backend_for(engine, tmp_path / "servidor", request) as backend,
        FaultProxy(int(backend.url.rsplit(":", 1)[1]), lambda _: THROTTLE) as proxy,
    ):
        filings, trials = SIZES[engine]
        uuids = _enrol_and_register(settings, backend, tmp_path / "hojas", filings, 3, seed=1)
        draw = random.Random(2026)
        kills = 0
        started = time.monotonic()
        while kills < trials and time.monotonic() - started < TIME_BOUND_SECONDS:
            child = _child(settings, proxy.url)
            time.sleep(draw.uniform(0.2, 1.6))
            if child.poll() is not None:  # it finished everything before the kill
                assert child.returncode == 0, child.stderr.read() if child.stderr else ""
                break
            child.send_signal(signal.SIGKILL)
            child.wait()
            kills += 1
        print(f"{kills} kills in {time.monotonic() - started:.1f} s")
        assert kills >= trials

        last = _child(settings, proxy.url)
        _, errors = last.communicate(timeout=240)
        assert last.returncode == 0, errors.decode()
        _assert_delivered_once(backend, [(settings, uuids)])


@pytest.mark.parametrize("engine", ENGINES)
def test_two_devices_syncing_at_once_lose_and_duplicate_nothing(
    tmp_path: Path, engine: str, request: pytest.FixtureRequest
) -> None:
    first = _device(tmp_path, "ventanilla1", "C01")
    second = _device(tmp_path, "ventanilla2", "C02")
    with backend_for(engine, tmp_path / "servidor", request) as backend:
        devices = [
            (first, _enrol_and_register(first, backend, tmp_path / "h1", 15, 2, seed=3)),
            (second, _enrol_and_register(second, backend, tmp_path / "h2", 15, 2, seed=4)),
        ]
        children = [_child(settings, backend.url) for settings, _ in devices]
        for child in children:
            _, errors = child.communicate(timeout=240)
            assert child.returncode == 0, errors.decode()
        _assert_delivered_once(backend, devices)


def test_a_second_worker_on_the_same_device_stands_aside(tmp_path: Path) -> None:
    settings = _device(tmp_path, "equipo", "C01")
    with running_backend(tmp_path / "servidor") as backend:
        _enrol_and_register(settings, backend, tmp_path / "hojas", 1, 1, seed=5)
        lock = WorkerLock(settings.data_dir)
        assert lock.acquire()  # as a pass in another process would
        try:
            child = subprocess.run(
                [sys.executable, "-m", "mailroom.cli", "sync", "--once",
                 "--data-dir", str(settings.data_dir)],
                cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                capture_output=True, text=True, timeout=120, check=False,
            )  # fmt: skip
            assert "Otro proceso ya está sincronizando este equipo" in child.stdout
        finally:
            lock.release()
        with Store(settings.data_dir) as store:
            assert SyncWorker(store, settings).run_once().synced  # free again: it sends
