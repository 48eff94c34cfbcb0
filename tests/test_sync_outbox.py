from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from mailroom.config import Settings
from mailroom.intake import IntakeService
from mailroom.models import NewFiling, Sender
from mailroom.samples import render_page_image
from mailroom.store import Store
from sync import outbox
from sync.manifest import build_manifest
from sync.protocol import manifest_sha256
from sync.status import sync_report

NOW = datetime(2026, 3, 9, 16, 30, tzinfo=UTC)


def register(store: Store, settings: Settings, folder: Path, subject: str) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{subject}.jpg"
    render_page_image([subject], dpi=100).save(path, "JPEG", dpi=(100, 100), quality=80)
    filing = IntakeService(store, settings).register(NewFiling(Sender("Ana Ruiz"), subject), [path])
    return str(filing.filing.id)


def test_backoff_is_full_jitter_capped_and_honours_retry_after() -> None:
    assert outbox.backoff_seconds(1, rand=lambda: 1.0) == outbox.BACKOFF_BASE_SECONDS
    assert outbox.backoff_seconds(4, rand=lambda: 1.0) == outbox.BACKOFF_BASE_SECONDS * 8
    assert outbox.backoff_seconds(40, rand=lambda: 1.0) == outbox.BACKOFF_CAP_SECONDS
    assert outbox.backoff_seconds(3, rand=lambda: 0.0) == outbox.BACKOFF_FLOOR_SECONDS
    assert outbox.backoff_seconds(1, retry_after=300, rand=lambda: 0.5) == 300


def test_a_failed_item_waits_in_the_database_and_the_others_stay_due(
    store: Store, settings: Settings, tmp_path: Path
) -> None:
    first = register(store, settings, tmp_path, "Uno")
    second = register(store, settings, tmp_path, "Dos")
    assert outbox.claim(store, first, NOW)
    when = outbox.postpone(store, first, NOW, "El servidor no pudo atender", "ocupado", 600)

    assert when >= NOW + timedelta(seconds=600)
    due = [i.filing_uuid for i in outbox.due(store.reader(), NOW)]
    assert due == [second]
    later = [i.filing_uuid for i in outbox.due(store.reader(), when)]
    assert set(later) == {first, second}
    row = (
        store.reader()
        .execute("SELECT state, attempts, reason FROM outbox WHERE filing_uuid = ?", [first])
        .fetchone()
    )
    assert row == ("pendiente", 1, "El servidor no pudo atender")


def test_sending_is_a_lease_that_expires(store: Store, settings: Settings, tmp_path: Path) -> None:
    uuid = register(store, settings, tmp_path, "Arrendado")
    assert outbox.claim(store, uuid, NOW)
    assert not outbox.claim(store, uuid, NOW + timedelta(minutes=1))  # someone is on it
    assert outbox.due(store.reader(), NOW + timedelta(minutes=1)) == []
    assert outbox.claim(store, uuid, NOW + outbox.LEASE + timedelta(seconds=1))


def test_parked_items_wait_for_a_person(store: Store, settings: Settings, tmp_path: Path) -> None:
    uuid = register(store, settings, tmp_path, "Rechazado")
    folio = store.reader().execute("SELECT folio FROM filings WHERE uuid = ?", [uuid]).fetchone()[0]
    outbox.claim(store, uuid, NOW)
    outbox.park(store, uuid, NOW, "Ya existe un escrito con este uuid", "manifiesto_distinto")

    assert outbox.due(store.reader(), NOW + timedelta(days=30)) == []
    assert (
        store.reader()
        .execute("SELECT sync_status FROM filings WHERE uuid = ?", [uuid])
        .fetchone()[0]
        == "requiere_atencion"
    )
    item = outbox.retry(store, folio, NOW)
    assert item.state.value == "pendiente" and item.reason is None
    assert [i.filing_uuid for i in outbox.due(store.reader(), NOW)] == [uuid]
    assert sync_report(store.reader()).problems == ()  # dealt with: no longer shown as failing


def test_the_manifest_is_deterministic(store: Store, settings: Settings, tmp_path: Path) -> None:
    uuid = register(store, settings, tmp_path, "Determinista")
    first = build_manifest(store.reader(), uuid)
    outbox.claim(store, uuid, NOW)  # sync state changes must not change the manifest
    second = build_manifest(store.reader(), uuid)
    assert manifest_sha256(first.body) == manifest_sha256(second.body)
    body = first.body
    assert body["received_at"][-6] in "+-"  # ISO with its UTC offset
    assert body["blobs"] == [d["sha256"] for d in body["documents"]]
    assert body["cadena_digest"] and body["pages_scanned"] == 1
