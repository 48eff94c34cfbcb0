"""The outbox's states and timing: ``pendiente -> enviando -> sincronizada | requiere_atencion``.

The row is written by intake in the registration transaction; from then on only these functions
change it, each in one short write transaction. Nothing is ever deleted. The next attempt is
stored in the row, so backoff survives restarts; an ``enviando`` row whose lease has expired was
left by a process that died mid-send and is taken again (the server is idempotent, so sending
twice is harmless).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlite_utils

from mailroom.errors import NotFound
from mailroom.models import SyncStatus
from mailroom.store import Store
from sync.manifest import build_manifest
from sync.protocol import Receipt, canonical_json, manifest_sha256

BACKOFF_BASE_SECONDS = 10.0
BACKOFF_CAP_SECONDS = 3600.0
BACKOFF_FLOOR_SECONDS = 1.0
LEASE = timedelta(minutes=15)


@dataclass(frozen=True)
class OutboxItem:
    filing_uuid: str
    folio: str
    state: SyncStatus
    attempts: int
    next_attempt_at: str | None
    reason: str | None


def backoff_seconds(
    attempts: int, retry_after: float | None = None, rand: Callable[[], float] = random.random
) -> float:
    """Full jitter: uniform in [0, min(cap, base * 2**(attempts-1))]; never before Retry-After."""
    ceiling = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2 ** max(0, attempts - 1))
    delay = max(BACKOFF_FLOOR_SECONDS, rand() * ceiling)
    if retry_after is not None:
        delay = max(delay, retry_after)
    return delay


def due(db: sqlite_utils.Database, now: datetime, limit: int = 100) -> list[OutboxItem]:
    """Items to send now: pending and due, or ``enviando`` with an expired lease; oldest first."""
    stale = (now - LEASE).isoformat()
    rows = db.query(
        "SELECT o.filing_uuid, f.folio, o.state, o.attempts, o.next_attempt_at, o.reason "
        "FROM outbox o JOIN filings f ON f.uuid = o.filing_uuid "
        "WHERE (o.state = 'pendiente' AND (o.next_attempt_at IS NULL OR o.next_attempt_at <= ?)) "
        "   OR (o.state = 'enviando' AND (o.state_changed_at IS NULL OR o.state_changed_at <= ?)) "
        "ORDER BY o.enqueued_at, f.folio LIMIT ?",
        [now.isoformat(), stale, limit],
    )
    return [_item(r) for r in rows]


def next_due_at(db: sqlite_utils.Database) -> str | None:
    row = next(
        db.query(
            "SELECT min(coalesce(next_attempt_at, '')) AS at FROM outbox WHERE state = 'pendiente'"
        ),
        None,
    )
    return row["at"] if row else None


def defer_due(store: Store, now: datetime, delay: timedelta, reason: str, code: str) -> int:
    """Offline: push every due pending item to the next connectivity check, without counting an
    attempt (the item did nothing wrong), and say why; :func:`wake_deferred` undoes it."""
    stale = (now - LEASE).isoformat()

    def work(db: sqlite_utils.Database) -> int:
        cursor = db.execute(
            "UPDATE outbox SET state = 'pendiente', next_attempt_at = ?, reason = ?, "
            "reason_code = ?, last_error = ? WHERE (state = 'pendiente' AND "
            "(next_attempt_at IS NULL OR next_attempt_at <= ? OR reason_code = ?)) "
            "OR (state = 'enviando' AND (state_changed_at IS NULL OR state_changed_at <= ?))",
            [(now + delay).isoformat(), reason, code, reason, now.isoformat(), code, stale],
        )
        db.execute(
            "UPDATE filings SET sync_status = 'pendiente' WHERE uuid IN "
            "(SELECT filing_uuid FROM outbox WHERE state = 'pendiente')"
        )
        return int(cursor.rowcount)

    return store.write(work)


def wake_deferred(store: Store, code: str) -> None:
    """Back online: items that only waited for the link are due at once."""
    store.write(
        lambda db: db.execute(
            "UPDATE outbox SET next_attempt_at = NULL, reason = NULL, reason_code = NULL "
            "WHERE state = 'pendiente' AND reason_code = ?",
            [code],
        )
    )


def reclaim_orphans(store: Store, now: datetime) -> int:
    """Put back every ``enviando`` row at once: called at the start of a pass that holds the
    device's sync lock, so whoever left them ``enviando`` is dead. Returns how many came back."""

    def work(db: sqlite_utils.Database) -> int:
        uuids = [
            r[0] for r in db.execute("SELECT filing_uuid FROM outbox WHERE state = 'enviando'")
        ]
        db.execute(
            "UPDATE outbox SET state = 'pendiente', state_changed_at = ? WHERE state = 'enviando'",
            [now.isoformat()],
        )
        for uuid in uuids:
            _set_filing(db, uuid, SyncStatus.PENDIENTE)
        return len(uuids)

    return store.write(work)


def claim(store: Store, uuid: str, now: datetime) -> bool:
    """Take the item (``enviando``); False if another worker took it meanwhile."""

    def work(db: sqlite_utils.Database) -> bool:
        stale = (now - LEASE).isoformat()
        cursor = db.execute(
            "UPDATE outbox SET state = 'enviando', state_changed_at = ?, attempts = attempts + 1 "
            "WHERE filing_uuid = ? AND (state = 'pendiente' OR (state = 'enviando' AND "
            "(state_changed_at IS NULL OR state_changed_at <= ?)))",
            [now.isoformat(), uuid, stale],
        )
        if cursor.rowcount:
            _set_filing(db, uuid, SyncStatus.ENVIANDO)
        return bool(cursor.rowcount)

    return store.write(work)


def record_progress(store: Store, uuid: str, bytes_acknowledged: int, now: datetime) -> None:
    """Bytes the server confirmed; also renews the lease, so a long upload on a slow link is not
    mistaken for one abandoned by a dead process."""
    store.write(
        lambda db: db.execute(
            "UPDATE outbox SET bytes_acknowledged = ?, state_changed_at = ? "
            "WHERE filing_uuid = ? AND state = 'enviando'",
            [bytes_acknowledged, now.isoformat(), uuid],
        )
    )


def mark_synced(store: Store, uuid: str, receipt: Receipt, now: datetime) -> bool:
    """Delivered: only ever called with a receipt whose signature was verified. The receipt is
    kept either way; if documents were attached to the filing while it was being sent (the
    receipt covers an older manifest), the item stays due so the new revision goes out next.
    Returns whether the filing is now fully delivered."""

    def work(db: sqlite_utils.Database) -> bool:
        current = receipt.manifest_sha256 == manifest_sha256(build_manifest(db, uuid).body)
        db.execute(
            "UPDATE outbox SET state = ?, state_changed_at = ?, synced_at = ?, "
            "receipt = ?, institutional_folio = ?, server_time = ?, manifest_sha256 = ?, "
            "reason = NULL, reason_code = NULL, next_attempt_at = NULL WHERE filing_uuid = ?",
            [
                "sincronizada" if current else "pendiente",
                now.isoformat(),
                now.isoformat(),
                canonical_json(receipt.to_dict()).decode("utf-8"),
                receipt.institutional_folio,
                receipt.server_time,
                receipt.manifest_sha256,
                uuid,
            ],
        )
        status = SyncStatus.SINCRONIZADA if current else SyncStatus.PENDIENTE
        db.execute(
            "UPDATE filings SET sync_status = ?, institutional_folio = ? WHERE uuid = ?",
            [status.value, receipt.institutional_folio, uuid],
        )
        db.execute(
            "INSERT INTO sync_health (id, last_success_at) VALUES (1, ?) "
            "ON CONFLICT (id) DO UPDATE SET last_success_at = excluded.last_success_at",
            [now.isoformat()],
        )
        return current

    return store.write(work)


def requeue_changed(db: sqlite_utils.Database, uuid: str) -> bool:
    """Inside the transaction that attached documents to a filing: a delivered filing goes back to
    ``pendiente`` (due now) so its new revision is sent; its earlier receipt and institutional
    folio stay. An item being sent right now is caught by ``mark_synced``; a parked one waits
    for the person who must look at it anyway."""
    cursor = db.execute(
        "UPDATE outbox SET state = 'pendiente', next_attempt_at = NULL, attempts = 0 "
        "WHERE filing_uuid = ? AND state = 'sincronizada'",
        [uuid],
    )
    if cursor.rowcount:
        _set_filing(db, uuid, SyncStatus.PENDIENTE)
    return bool(cursor.rowcount)


def postpone(
    store: Store, uuid: str, now: datetime, reason: str, code: str, retry_after: float | None
) -> datetime:
    """Back to ``pendiente`` with the next attempt after an exponential, jittered delay."""

    def work(db: sqlite_utils.Database) -> datetime:
        attempts = db.execute(
            "SELECT attempts FROM outbox WHERE filing_uuid = ?", [uuid]
        ).fetchone()[0]
        when = now + timedelta(seconds=backoff_seconds(attempts, retry_after))
        db.execute(
            "UPDATE outbox SET state = 'pendiente', state_changed_at = ?, next_attempt_at = ?, "
            "reason = ?, reason_code = ?, last_error = ? WHERE filing_uuid = ?",
            [now.isoformat(), when.isoformat(), reason, code, reason, uuid],
        )
        _set_filing(db, uuid, SyncStatus.PENDIENTE)
        return when

    return store.write(work)


def release(store: Store, uuid: str, now: datetime) -> None:
    """Give the item back untouched (the link went down before it was really tried)."""

    def work(db: sqlite_utils.Database) -> None:
        db.execute(
            "UPDATE outbox SET state = 'pendiente', state_changed_at = ?, attempts = "
            "max(0, attempts - 1) WHERE filing_uuid = ? AND state = 'enviando'",
            [now.isoformat(), uuid],
        )
        _set_filing(db, uuid, SyncStatus.PENDIENTE)

    store.write(work)


def park(store: Store, uuid: str, now: datetime, reason: str, code: str) -> None:
    """``requiere_atencion``: a person must read the reason and ``oficialia sync retry`` it."""

    def work(db: sqlite_utils.Database) -> None:
        db.execute(
            "UPDATE outbox SET state = 'requiere_atencion', state_changed_at = ?, "
            "next_attempt_at = NULL, reason = ?, reason_code = ?, last_error = ? "
            "WHERE filing_uuid = ?",
            [now.isoformat(), reason, code, reason, uuid],
        )
        _set_filing(db, uuid, SyncStatus.REQUIERE_ATENCION)

    store.write(work)


def retry(store: Store, folio_or_uuid: str, now: datetime) -> OutboxItem:
    """``requiere_atencion`` (or a pending item waiting out its backoff) -> due now."""

    def work(db: sqlite_utils.Database) -> OutboxItem:
        row = db.execute(
            "SELECT o.filing_uuid, o.state FROM outbox o JOIN filings f ON f.uuid = o.filing_uuid "
            "WHERE f.folio = ? OR f.uuid = ?",
            [folio_or_uuid, folio_or_uuid],
        ).fetchone()
        if row is None:
            raise NotFound(f"No hay un escrito por enviar con folio {folio_or_uuid!r}.")
        uuid, state = row
        if state in ("requiere_atencion", "pendiente"):
            db.execute(
                # The reason is cleared (a person has dealt with it; last_error keeps it), so
                # the item no longer shows as a problem while it waits for the next pass.
                "UPDATE outbox SET state = 'pendiente', state_changed_at = ?, "
                "next_attempt_at = NULL, attempts = 0, reason = NULL, reason_code = NULL "
                "WHERE filing_uuid = ?",
                [now.isoformat(), uuid],
            )
            _set_filing(db, uuid, SyncStatus.PENDIENTE)
        return item(db, uuid)

    return store.write(work)


def item(db: sqlite_utils.Database, uuid: str) -> OutboxItem:
    row = next(
        db.query(
            "SELECT o.filing_uuid, f.folio, o.state, o.attempts, o.next_attempt_at, o.reason "
            "FROM outbox o JOIN filings f ON f.uuid = o.filing_uuid WHERE o.filing_uuid = ?",
            [uuid],
        ),
        None,
    )
    if row is None:
        raise NotFound(f"El escrito {uuid} no está en la cola de envío.")
    return _item(row)


def _item(row: dict[str, object]) -> OutboxItem:
    return OutboxItem(
        str(row["filing_uuid"]),
        str(row["folio"]),
        SyncStatus(str(row["state"])),
        int(row["attempts"]),  # type: ignore[call-overload]
        row["next_attempt_at"] if row["next_attempt_at"] else None,  # type: ignore[arg-type]
        row["reason"] if row["reason"] else None,  # type: ignore[arg-type]
    )


def _set_filing(db: sqlite_utils.Database, uuid: str, status: SyncStatus) -> None:
    db.execute("UPDATE filings SET sync_status = ? WHERE uuid = ?", [status.value, uuid])
