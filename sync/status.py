"""What ``oficialia sync status`` (and the app's status bar) shows, read from the database only."""

from __future__ import annotations

from dataclasses import dataclass

import sqlite_utils

from sync import enrolment
from sync.connectivity import MAX_SKEW_SECONDS


@dataclass(frozen=True)
class ProblemItem:
    folio: str
    state: str
    reason: str
    attempts: int
    next_attempt_at: str | None


@dataclass(frozen=True)
class SyncReport:
    enrolled: bool
    device_id: str | None
    backend_url: str | None
    reenrol_required: bool
    revoked_message: str | None
    online: bool
    checked_at: str | None
    offline_reason: str | None
    clock_skew_seconds: int | None
    clock_skewed: bool
    last_success_at: str | None
    pending: int
    sending: int
    synced: int
    needs_attention: int
    problems: tuple[ProblemItem, ...]


def sync_report(db: sqlite_utils.Database) -> SyncReport:
    enrolled = enrolment.current(db)
    health = next(db.query("SELECT * FROM sync_health WHERE id = 1"), {})
    counts = {
        r["state"]: r["n"]
        for r in db.query("SELECT state, count(*) AS n FROM outbox GROUP BY state")
    }
    problems = tuple(
        ProblemItem(r["folio"], r["state"], r["reason"], r["attempts"], r["next_attempt_at"])
        for r in db.query(
            "SELECT f.folio, o.state, o.reason, o.attempts, o.next_attempt_at FROM outbox o "
            "JOIN filings f ON f.uuid = o.filing_uuid "
            "WHERE o.state = 'requiere_atencion' OR (o.state = 'pendiente' AND o.reason "
            "IS NOT NULL) ORDER BY o.state = 'pendiente', f.folio"
        )
    )
    skew = health.get("clock_skew_seconds")
    return SyncReport(
        enrolled=enrolled is not None,
        device_id=enrolled.device_id if enrolled else None,
        backend_url=enrolled.backend_url if enrolled else None,
        reenrol_required=bool(enrolled and enrolled.revoked),
        revoked_message=enrolled.revoked_message if enrolled else None,
        online=bool(health.get("online")),
        checked_at=health.get("checked_at"),
        offline_reason=health.get("offline_reason"),
        clock_skew_seconds=skew,
        clock_skewed=skew is not None and abs(skew) > MAX_SKEW_SECONDS,
        last_success_at=health.get("last_success_at"),
        pending=counts.get("pendiente", 0),
        sending=counts.get("enviando", 0),
        synced=counts.get("sincronizada", 0),
        needs_attention=counts.get("requiere_atencion", 0),
        problems=problems,
    )
