"""The sync client against the real reference backend (uvicorn on 127.0.0.1)."""

from __future__ import annotations

import base64
import dataclasses
import json
import os
import stat
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from mailroom.cli import main
from mailroom.config import Settings, load_settings
from mailroom.intake import IntakeService
from mailroom.models import NewFiling, Sender
from mailroom.samples import render_page_image
from mailroom.store import Store
from sync import downsync, enrolment, outbox, protocol
from sync.status import sync_report
from sync.transport import Transport
from sync.worker import SyncWorker
from tests.backend_server import BackendServer, running_backend


@pytest.fixture
def backend(tmp_path: Path) -> Iterator[BackendServer]:
    with running_backend(tmp_path / "servidor", fault_hooks=True) as running:
        yield running


def register(store: Store, settings: Settings, folder: Path, subject: str) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{subject}.jpg"
    render_page_image([subject], dpi=100).save(path, "JPEG", dpi=(100, 100), quality=80)
    filing = IntakeService(store, settings).register(NewFiling(Sender("Ana Ruiz"), subject), [path])
    return str(filing.filing.id)


def enrol(store: Store, settings: Settings, backend: BackendServer) -> enrolment.Enrolment:
    transport = Transport(backend.url)
    token = backend.enrolment_token(settings.office)
    return enrolment.enroll(store, transport, token, settings.device, datetime.now(UTC))


def states(store: Store) -> dict[str, str]:
    rows = store.reader().query("SELECT filing_uuid, state FROM outbox")
    return {r["filing_uuid"]: r["state"] for r in rows}


def test_three_filings_sync_with_verified_receipts_and_folios(
    store: Store, settings: Settings, backend: BackendServer, tmp_path: Path
) -> None:
    enrolled = enrol(store, settings, backend)
    uuids = [register(store, settings, tmp_path / "scans", f"Solicitud {n}") for n in range(3)]

    summary = SyncWorker(store, settings).run_once()

    assert summary.online and len(summary.synced) == 3 and not summary.parked
    key = protocol.public_key_from_b64(backend.public_key_b64)
    rows = list(store.reader().query("SELECT * FROM outbox ORDER BY filing_uuid"))
    assert {r["filing_uuid"] for r in rows} == set(uuids)
    for row in rows:
        assert row["state"] == "sincronizada"
        receipt = protocol.Receipt.from_dict(json.loads(row["receipt"]))
        assert protocol.verify_receipt(key, receipt)
        assert receipt.device_id == enrolled.device_id
        assert row["institutional_folio"].startswith(f"{settings.office}/")
        filing = (
            store.reader()
            .execute(
                "SELECT sync_status, institutional_folio FROM filings WHERE uuid = ?",
                [row["filing_uuid"]],
            )
            .fetchone()
        )
        assert filing == ("sincronizada", row["institutional_folio"])
    assert len({r["institutional_folio"] for r in rows}) == 3
    # A second pass sends nothing and keeps the same receipts.
    assert SyncWorker(store, settings).run_once().synced == ()
    assert sync_report(store.reader()).synced == 3


def test_credential_file_is_private_and_key_is_pinned(
    store: Store, settings: Settings, backend: BackendServer
) -> None:
    enrolled = enrol(store, settings, backend)

    path = enrolment.credential_path(settings.data_dir)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert enrolled.server_public_key == backend.public_key_b64
    assert enrolment.read_credential(
        settings.data_dir
    ) not in store.database_path.read_bytes().decode("latin-1")


def test_server_down_leaves_items_pending_with_next_attempt_and_status_offline(
    store: Store, settings: Settings, tmp_path: Path
) -> None:
    with running_backend(tmp_path / "servidor") as backend:
        enrol(store, settings, backend)
    uuid = register(store, settings, tmp_path / "scans", "Sin red")

    summary = SyncWorker(store, settings).run_once()

    assert not summary.online
    row = (
        store.reader()
        .execute(
            "SELECT state, next_attempt_at, reason, attempts FROM outbox WHERE filing_uuid = ?",
            [uuid],
        )
        .fetchone()
    )
    assert row[0] == "pendiente" and row[1] is not None and row[3] == 0
    assert "Sin conexión" in row[2]
    report = sync_report(store.reader())
    assert not report.online and report.pending == 1 and report.offline_reason


def test_a_rejected_filing_needs_attention_and_the_others_sync(
    store: Store, settings: Settings, backend: BackendServer, tmp_path: Path
) -> None:
    enrol(store, settings, backend)
    good = [register(store, settings, tmp_path / "scans", f"Bueno {n}") for n in range(2)]
    bad = register(store, settings, tmp_path / "scans", "Malo")
    folio = store.reader().execute("SELECT folio FROM filings WHERE uuid = ?", [bad]).fetchone()[0]
    # Something else already committed this uuid with another manifest.
    impostor = {
        "uuid": bad,
        "folio": folio,
        "device": settings.device,
        "office": settings.office,
        "received_at": "2026-01-01T00:00:00-06:00",
        "documents": [],
        "blobs": [],
    }
    response = requests.put(
        f"{backend.url}/v1/filings/{bad}",
        data=protocol.canonical_json(impostor),
        headers={
            "Authorization": f"Bearer {enrolment.read_credential(settings.data_dir)}",
            "Idempotency-Key": bad,
            "Content-Type": "application/json",
        },
        timeout=10,
    )
    assert response.status_code == 201

    summary = SyncWorker(store, settings).run_once()

    assert summary.parked == (folio,)
    result = states(store)
    assert result[bad] == "requiere_atencion" and all(result[u] == "sincronizada" for u in good)
    report = sync_report(store.reader())
    assert report.needs_attention == 1
    assert report.problems[0].folio == folio and "otro contenido" in report.problems[0].reason
    # Nothing local was deleted, and a person can put it back in the queue.
    assert store.reader().execute("SELECT count(*) FROM filings").fetchone()[0] == 3
    assert main(["sync", "retry", folio, "--data-dir", str(settings.data_dir)]) == 0
    assert states(store)[bad] == "pendiente"


def test_a_receipt_not_signed_by_the_pinned_key_is_refused(
    store: Store, settings: Settings, backend: BackendServer, tmp_path: Path
) -> None:
    enrol(store, settings, backend)
    uuid = register(store, settings, tmp_path / "scans", "Recibo falso")
    other = Ed25519PrivateKey.generate().public_key()
    store.write(
        lambda db: db.execute(
            "UPDATE sync_device SET server_public_key = ?",
            [base64.b64encode(protocol.public_key_raw(other)).decode()],
        )
    )

    summary = SyncWorker(store, settings).run_once()

    assert summary.synced == () and len(summary.parked) == 1
    row = (
        store.reader()
        .execute("SELECT state, receipt, reason FROM outbox WHERE filing_uuid = ?", [uuid])
        .fetchone()
    )
    assert row[0] == "requiere_atencion" and row[1] is None and "firma" in row[2]


def test_lost_answer_then_restart_resumes_with_the_same_receipt(
    store: Store, settings: Settings, backend: BackendServer, tmp_path: Path
) -> None:
    enrol(store, settings, backend)
    uuid = register(store, settings, tmp_path / "scans", "Respuesta perdida")
    backend.drop_after_commit(1)

    first = SyncWorker(store, settings).run_once()

    assert first.postponed and states(store)[uuid] == "pendiente"
    store.close()
    later = datetime.now(UTC) + timedelta(hours=2)
    with Store(settings.data_dir) as reopened:
        second = SyncWorker(reopened, settings, now=lambda: later).run_once()
        assert len(second.synced) == 1
        folio = (
            reopened.reader()
            .execute("SELECT institutional_folio FROM outbox WHERE filing_uuid = ?", [uuid])
            .fetchone()[0]
        )
    with backend.backend.connect() as connection:
        server = connection.execute("SELECT institutional_folio FROM filings").fetchall()
    assert [r[0] for r in server] == [folio]  # committed once


def test_an_item_left_sending_by_a_killed_process_is_taken_again(
    store: Store, settings: Settings, backend: BackendServer, tmp_path: Path
) -> None:
    enrol(store, settings, backend)
    uuid = register(store, settings, tmp_path / "scans", "Proceso muerto")
    assert outbox.claim(store, uuid, datetime.now(UTC) - timedelta(hours=1))
    store.close()

    with Store(settings.data_dir) as reopened:
        summary = SyncWorker(reopened, settings).run_once()
        assert len(summary.synced) == 1 and states(reopened)[uuid] == "sincronizada"


def test_changes_feed_marks_a_filing_atendida(
    store: Store, settings: Settings, backend: BackendServer, tmp_path: Path
) -> None:
    enrol(store, settings, backend)
    uuid = register(store, settings, tmp_path / "scans", "Con respuesta")
    SyncWorker(store, settings).run_once()
    backend.mark(uuid, "atendida", "Se respondió con oficio 123")

    SyncWorker(store, settings).run_once()

    reader = store.reader()
    assert reader.execute("SELECT status FROM filings WHERE uuid = ?", [uuid]).fetchone()[0] == (
        "atendida"
    )
    assert reader.execute("SELECT note FROM filing_server_status").fetchone()[0] == (
        "Se respondió con oficio 123"
    )
    assert reader.execute("SELECT changes_cursor FROM sync_device").fetchone()[0] != ""
    assert main(["audit", "verify", "--data-dir", str(settings.data_dir)]) == 0  # chain intact


def test_catalogs_come_once_then_304(
    store: Store, settings: Settings, backend: BackendServer
) -> None:
    enrol(store, settings, backend)
    transport = Transport(backend.url, credential=enrolment.read_credential(settings.data_dir))
    now = datetime.now(UTC)

    assert downsync.pull_catalog(store, transport, "departments", now) is True
    assert downsync.pull_catalog(store, transport, "departments", now) is False
    items = downsync.catalog_items(store.reader(), "departments")
    assert {"code": "TES", "name": "Tesorería Municipal"} in items
    backend.set_catalog("departments", [{"code": "NUE", "name": "Área nueva"}])
    assert downsync.pull_catalog(store, transport, "departments", now) is True
    assert downsync.catalog_items(store.reader(), "departments") == [
        {"code": "NUE", "name": "Área nueva"}
    ]


def test_cli_enroll_sync_and_status(
    settings: Settings, backend: BackendServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = ["--data-dir", str(settings.data_dir)]
    with Store(settings.data_dir) as store:
        register(store, settings, tmp_path / "scans", "Por línea de comandos")
    assert main(["enroll", backend.url, backend.enrolment_token(settings.office), *data]) == 0
    assert "dado de alta" in capsys.readouterr().out

    assert main(["sync", "--once", "--backend", backend.url, *data]) == 0
    assert "1 sincronizados" in capsys.readouterr().out
    assert main(["sync", "status", "--json", *data]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["online"] and report["synced"] == 1 and report["pending"] == 0
    assert report["last_success_at"]


def test_a_revoked_device_stops_and_status_asks_to_enrol_again(
    store: Store, settings: Settings, backend: BackendServer, tmp_path: Path
) -> None:
    enrolled = enrol(store, settings, backend)
    uuid = register(store, settings, tmp_path / "scans", "Equipo dado de baja")
    backend.revoke(enrolled.device_id)

    summary = SyncWorker(store, settings).run_once()

    assert summary.revoked and "dado de baja" in summary.revoked
    assert states(store)[uuid] == "pendiente"
    report = sync_report(store.reader())
    assert report.reenrol_required and report.pending == 1
    assert main(["sync", "status", "--data-dir", str(settings.data_dir)]) == 2
    # Enrolling again clears the state and the queue goes out.
    enrol(store, settings, backend)
    assert len(SyncWorker(store, settings).run_once().synced) == 1


def test_pages_attached_after_delivery_go_out_as_a_revision_under_the_same_folio(
    store: Store, settings: Settings, backend: BackendServer, tmp_path: Path
) -> None:
    import sqlite3

    from mailroom.attachments import attach_pages

    enrolled = enrol(store, settings, backend)
    uuid = register(store, settings, tmp_path / "scans", "Escrito con hojas después")
    assert len(SyncWorker(store, settings).run_once().synced) == 1
    (first,) = (
        store.reader()
        .execute("SELECT manifest_sha256 FROM outbox WHERE filing_uuid = ?", [uuid])
        .fetchone()
    )
    later = tmp_path / "hojas-despues.jpg"
    render_page_image(["Hojas escaneadas al final del día"], dpi=100).save(
        later, "JPEG", dpi=(100, 100), quality=80
    )

    attach_pages(store, settings, uuid, later)

    assert states(store)[uuid] == "pendiente"  # back in the queue with the new document
    assert len(SyncWorker(store, settings).run_once().synced) == 1
    assert states(store)[uuid] == "sincronizada"
    row = (
        store.reader()
        .execute("SELECT receipt, institutional_folio FROM outbox WHERE filing_uuid = ?", [uuid])
        .fetchone()
    )
    receipt = protocol.Receipt.from_dict(json.loads(row[0]))
    assert protocol.verify_receipt(enrolled.public_key(), receipt)
    assert row[1] == receipt.institutional_folio
    server = sqlite3.connect(backend.backend.database_path)
    try:
        revision, manifest = server.execute(
            "SELECT revision, manifest FROM filings WHERE uuid = ?", [uuid]
        ).fetchone()
        folios = server.execute("SELECT count(DISTINCT institutional_folio) FROM filings")
        assert folios.fetchone()[0] == 1
    finally:
        server.close()
    assert revision == 2 and len(json.loads(manifest)["documents"]) == 2
    assert receipt.manifest_sha256 != first


def test_a_captive_portal_is_offline(
    store: Store, settings: Settings, backend: BackendServer, tmp_path: Path
) -> None:
    enrol(store, settings, backend)
    register(store, settings, tmp_path / "scans", "Portal")
    backend.captive_portal(True)

    summary = SyncWorker(store, settings).run_once()

    assert not summary.online and summary.synced == ()
    assert "portal" in (sync_report(store.reader()).offline_reason or "")
    backend.captive_portal(False)
    assert len(SyncWorker(store, settings).run_once().synced) == 1  # back online: goes at once


def test_clock_skew_is_reported_and_noted_on_unsent_filings(
    store: Store, settings: Settings, tmp_path: Path
) -> None:
    behind = lambda: datetime.now(UTC) - timedelta(minutes=5)  # noqa: E731
    with running_backend(tmp_path / "servidor", clock=behind) as backend:
        enrol(store, settings, backend)
        uuid = register(store, settings, tmp_path / "scans", "Reloj adelantado")
        SyncWorker(store, settings).run_once()
    report = sync_report(store.reader())
    assert report.clock_skewed and 290 <= (report.clock_skew_seconds or 0) <= 310
    skew = (
        store.reader()
        .execute("SELECT clock_skew_seconds FROM filings WHERE uuid = ?", [uuid])
        .fetchone()[0]
    )
    assert skew is not None and 290 <= skew <= 310


def test_a_busy_server_is_retried_after_retry_after(
    store: Store, settings: Settings, backend: BackendServer, tmp_path: Path
) -> None:
    from sync.client import SyncClient
    from sync.errors import Transient

    enrolled = enrol(store, settings, backend)
    uuid = register(store, settings, tmp_path / "scans", "Ocupado")
    transport = Transport(backend.url, credential=enrolment.read_credential(settings.data_dir))
    backend.fail_next(1, status=429, retry_after=120)

    with pytest.raises(Transient) as raised:
        SyncClient(store, transport, enrolled).deliver(uuid)

    assert raised.value.retry_after == 120
    outbox.claim(store, uuid, datetime.now(UTC))
    when = outbox.postpone(store, uuid, datetime.now(UTC), raised.value.message, "ocupado", 120)
    assert when >= datetime.now(UTC) + timedelta(seconds=119)
    assert SyncWorker(store, settings).run_once().synced == ()  # not before Retry-After
    later = datetime.now(UTC) + timedelta(seconds=121)
    assert len(SyncWorker(store, settings, now=lambda: later).run_once().synced) == 1


def test_a_busy_ping_keeps_the_worker_away_as_long_as_the_server_asked(
    store: Store, settings: Settings, backend: BackendServer, tmp_path: Path
) -> None:
    enrol(store, settings, backend)
    register(store, settings, tmp_path / "scans", "Mantenimiento")
    settings = dataclasses.replace(settings, sync_offline_interval_seconds=60)
    backend.fail_next(1, status=503, retry_after=900)
    worker = SyncWorker(store, settings)

    summary = worker.run_once()

    assert not summary.online and "503" in (sync_report(store.reader()).offline_reason or "")
    assert worker._sleep_seconds(summary) == 900  # not the 60 s offline interval
    (next_attempt,) = store.reader().execute("SELECT next_attempt_at FROM outbox").fetchone()
    assert datetime.fromisoformat(next_attempt) >= datetime.now(UTC) + timedelta(seconds=899)
    # An explicit "sync now" whose ping is answered normally sends at once.
    assert len(worker.run_once().synced) == 1


def test_a_large_document_resumes_a_partial_upload_and_counts_acknowledged_bytes(
    store: Store, settings: Settings, backend: BackendServer, tmp_path: Path
) -> None:
    import hashlib
    import random

    from PIL import Image

    enrol(store, settings, backend)
    noise = random.Random(7).randbytes(900 * 900 * 3)
    path = tmp_path / "ruido.png"
    Image.frombytes("RGB", (900, 900), noise).save(path, dpi=(150, 150))
    filing = IntakeService(store, settings).register(NewFiling(Sender("Ana"), "Plano"), [path])
    uuid = str(filing.filing.id)
    sha, size = (
        store.reader()
        .execute("SELECT sha256, size FROM documents WHERE filing_uuid = ?", [uuid])
        .fetchone()
    )
    assert size > 2 * protocol.DEFAULT_CHUNK
    first = store.blobs.path(sha).read_bytes()[: protocol.MIN_CHUNK]
    credential = enrolment.read_credential(settings.data_dir)
    partial = requests.put(
        f"{backend.url}/v1/blobs/{sha}",
        data=first,
        headers={
            "Authorization": f"Bearer {credential}",
            protocol.HEADER_CONTENT_RANGE: protocol.content_range(0, len(first), size),
            protocol.HEADER_CHUNK_DIGEST: hashlib.sha256(first).hexdigest(),
        },
        timeout=10,
    )
    assert partial.status_code == 202
    worker = SyncWorker(store, settings)
    seen: list[int] = []
    worker.on_progress = lambda _uuid, sent: seen.append(sent)

    assert len(worker.run_once().synced) == 1

    assert seen[0] == protocol.MIN_CHUNK and seen[-1] == size
    assert (
        store.reader()
        .execute("SELECT bytes_acknowledged FROM outbox WHERE filing_uuid = ?", [uuid])
        .fetchone()[0]
        == size
    )


def test_watch_mode_wakes_on_request_and_stops(
    store: Store, settings: Settings, backend: BackendServer, tmp_path: Path
) -> None:
    import threading

    from sync.worker import SyncSummary

    enrol(store, settings, backend)
    worker = SyncWorker(store, settings)  # interval 60 s: only a request wakes it in this test
    stop = threading.Event()
    passes: list[SyncSummary] = []
    first_pass, second_pass = threading.Event(), threading.Event()

    def on_summary(summary: SyncSummary) -> None:
        passes.append(summary)
        (second_pass if first_pass.is_set() else first_pass).set()

    thread = threading.Thread(target=worker.run_forever, args=(stop, on_summary))
    thread.start()
    try:
        assert first_pass.wait(10) and passes[0].synced == ()
        register(store, settings, tmp_path / "scans", "Despierta")
        worker.request_sync()
        assert second_pass.wait(10) and len(passes[1].synced) == 1
    finally:
        stop.set()
        worker.stop_waiting()
        thread.join(10)
    assert not thread.is_alive() and len(passes) == 2


def test_a_used_token_fails_in_the_servers_words(
    store: Store, settings: Settings, backend: BackendServer
) -> None:
    from sync.errors import EnrolmentFailed

    token = backend.enrolment_token(settings.office)
    enrolment.enroll(store, Transport(backend.url), token, settings.device, datetime.now(UTC))
    with pytest.raises(EnrolmentFailed) as raised:
        enrolment.enroll(store, Transport(backend.url), token, "C02", datetime.now(UTC))
    assert raised.value.message.startswith("No se pudo dar de alta el equipo: ")
    assert "oficialia enroll" not in raised.value.message


@contextmanager
def prefix_proxy(target: str, prefix: str) -> Iterator[str]:
    """A reverse proxy on 127.0.0.1 that serves the backend under ``prefix`` (as nginx would)."""

    class Handler(BaseHTTPRequestHandler):
        def relay(self) -> None:
            if not self.path.startswith(prefix + "/"):
                self.send_error(404)
                return
            length = int(self.headers.get("Content-Length") or 0)
            headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
            upstream = requests.request(
                self.command,
                target + self.path[len(prefix) :],
                headers=headers,
                data=self.rfile.read(length) if length else None,
                allow_redirects=False,
                timeout=10,
            )
            self.send_response(upstream.status_code)
            for key, value in upstream.headers.items():
                if key.lower() not in ("content-length", "transfer-encoding", "connection"):
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(upstream.content)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(upstream.content)

        do_GET = do_POST = do_PUT = do_HEAD = relay

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}{prefix}"
    finally:
        server.shutdown()
        server.server_close()


def test_a_backend_behind_a_path_prefix_just_works(
    store: Store,
    settings: Settings,
    backend: BackendServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    enrol(store, settings, backend)
    register(store, settings, tmp_path / "scans", "Tras el proxy")
    with prefix_proxy(backend.url, "/estatal/oficialia") as proxied:
        monkeypatch.setenv("OFICIALIA_BACKEND_URL", proxied)  # overrides the enrolled URL
        summary = SyncWorker(store, load_settings(settings.data_dir)).run_once()
    assert summary.online and len(summary.synced) == 1
