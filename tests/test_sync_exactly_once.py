"""Exactly once, over a bad link: 200 filings (1–5 pages each) synced through the fault proxy with
more than 30% of the connections broken (cut mid-upload, reset, stalled, throttled, or the
response dropped after the backend committed). Afterwards every filing is ``sincronizada``
exactly once on the backend, institutional folios are unique, every receipt verifies against
the key pinned at enrolment, every stored blob hashes to its name, and no filing's acknowledged
progress ever went backwards.

The worker runs on a clock the test advances between passes, so backoff delays cost no real
time; the network faults are real (sockets on 127.0.0.1). It runs against the reference backend
and against the state one (two uvicorn workers over PostgreSQL and S3) with 100 filings in CI
(``OFICIALIA_ESTATAL_ESCRITOS=200`` for as many as the reference's run).
"""

from __future__ import annotations

import json
import os
import random
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from mailroom.config import load_settings
from mailroom.intake import IntakeService
from mailroom.models import NewFiling, Sender
from mailroom.samples import render_page_image
from mailroom.store import Store
from sync import enrolment, protocol
from sync.transport import Transport
from sync.worker import SyncWorker
from tests.backend_server import ENGINES, backend_for
from tests.fault_proxy import PASS, Fault, FaultProxy

FILINGS = {"sqlite": 200, "estatal": int(os.environ.get("OFICIALIA_ESTATAL_ESCRITOS", "100"))}
FAULT_SHARE = 0.1  # of requests; each breaking fault ends a connection
TIME_BOUND_SECONDS = 240


def _faults(seed: int):  # noqa: ANN202 - a chooser for FaultProxy
    draw = random.Random(seed)
    # Mostly faults that break the connection somewhere in its traffic; a few slow links.
    kinds = ["cut"] * 6 + ["reset"] * 2 + ["drop_response"] * 6 + ["throttle"] + ["stall"]

    def choose(_: int) -> Fault:
        if draw.random() >= FAULT_SHARE:
            return PASS
        kind = draw.choice(kinds)
        return Fault(kind=kind, after=draw.randrange(0, 400_000), rate=2_000_000, seconds=4)

    return choose


class _Clock:
    def __init__(self) -> None:
        self.instant = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.instant


def _register_all(store: Store, settings, folder: Path, count: int) -> list[str]:  # noqa: ANN001
    folder.mkdir(parents=True, exist_ok=True)
    draw = random.Random(11)
    uuids = []
    for number in range(count):
        pages = []
        for page in range(draw.randint(1, 5)):
            path = folder / f"{number:03d}-{page}.jpg"
            text = [f"Escrito {number} hoja {page + 1}", "Solicitud de servicio público"]
            render_page_image(text, dpi=72).save(path, "JPEG", dpi=(72, 72), quality=70)
            pages.append(path)
        new = NewFiling(Sender(f"Remitente {number}"), f"Asunto {number}")
        uuids.append(str(IntakeService(store, settings).register(new, pages).filing.id))
    return uuids


@pytest.mark.parametrize("engine", ENGINES)
def test_filings_arrive_exactly_once_through_a_faulty_link(
    tmp_path: Path, engine: str, request: pytest.FixtureRequest
) -> None:
    settings = load_settings(
        tmp_path / "equipo",
        clerk="ventanilla1",
        ocr_workers=1,
        sync_read_timeout_seconds=2,
        sync_connect_timeout_seconds=2,
    )
    with (
        backend_for(engine, tmp_path / "servidor", request) as backend,
        FaultProxy(int(backend.url.rsplit(":", 1)[1]), _faults(seed=2026)) as proxy,
        Store(settings.data_dir) as store,
    ):
        enrolled = enrolment.enroll(
            store,
            Transport(backend.url),
            backend.enrolment_token(settings.office),
            settings.device,
            datetime.now(UTC),
        )
        count = FILINGS[engine]
        uuids = _register_all(store, settings, tmp_path / "hojas", count)

        clock = _Clock()
        worker = SyncWorker(store, settings, backend_url=proxy.url, now=clock)
        progress: dict[str, list[int]] = defaultdict(list)
        worker.on_progress = lambda uuid, acknowledged: progress[uuid].append(acknowledged)
        started = time.monotonic()
        passes = 0
        while time.monotonic() - started < TIME_BOUND_SECONDS:
            worker.run_once()
            passes += 1
            pending = (
                store.reader()
                .execute("SELECT count(*) FROM outbox WHERE state != 'sincronizada'")
                .fetchone()[0]
            )
            if pending == 0:
                break
            clock.instant += timedelta(hours=1)  # every backoff has elapsed

        faulted = proxy.faulted_connections
        print(
            f"{passes} passes, {proxy.stats['connections']} connections, {faulted} broken by a "
            f"fault ({dict(proxy.stats)}), {time.monotonic() - started:.1f} s"
        )
        assert faulted / proxy.stats["connections"] >= 0.30

        # Every filing delivered, with a receipt that verifies against the pinned key.
        rows = {
            r["filing_uuid"]: r
            for r in store.reader().query("SELECT * FROM outbox ORDER BY filing_uuid")
        }
        assert set(rows) == set(uuids)
        assert {r["state"] for r in rows.values()} == {"sincronizada"}
        key = enrolled.public_key()
        for row in rows.values():
            receipt = protocol.Receipt.from_dict(json.loads(row["receipt"]))
            assert protocol.verify_receipt(key, receipt)
            assert receipt.filing_uuid == row["filing_uuid"]
            assert receipt.institutional_folio == row["institutional_folio"]

        # Exactly once on the backend, unique folios, the same folio the device holds.
        stored = backend.folios_by_uuid()
        assert sorted(stored) == sorted(uuids)
        assert len(set(stored.values())) == count
        assert stored == {u: r["institutional_folio"] for u, r in rows.items()}
        assert backend.sequences_by_office() == {settings.office: list(range(1, count + 1))}

        # Every complete blob on the backend hashes to its name, and each document arrived.
        complete = backend.assert_blobs_hash_to_their_names()
        documents = {r["sha256"] for r in store.reader().query("SELECT sha256 FROM documents")}
        assert documents <= set(complete)

        # Acknowledged progress only ever grew.
        for uuid, values in progress.items():
            assert values == sorted(values), f"progress went backwards for {uuid}: {values}"
