"""Retention: the local copies of a filing's documents go once its period ends and the state
backend holds them.

A filing's period ends ``years`` after it was received: the ``retention_by_procedure`` setting's
years for its procedure type, else ``retention_years``. After that, and only if the backend's
signed receipt for the filing is held here (its outbox row is ``sincronizada`` with the receipt:
never one whose receipt is not held, because then this copy may be the only one), the files of
its documents are removed: the originals, their searchable PDFs, page images and page PDFs, and
the scan its draft came from. A file another filing still needs (the same document filed twice,
one of them not yet due) stays until that filing is due too.

What stays: the register line, every hash (``documents``, ``pages`` and the ``blobs`` row, now
with ``removed_at``), the audit trail, and the acuse PDF — it is the evidence of what was received
and when, a few kilobytes, and the citizen may ask for a copy. The OCR text of the pages is
cleared with the files: it is their content.

Each filing purged is one ``documentos_depurados`` audit event, written in the transaction that
marks its blobs removed; the files are unlinked only after that commits. A crash in between
leaves files marked removed (``store check`` ignores them; the next run deletes them), never a
file missing that the database still expects.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date, datetime

import sqlite_utils

from mailroom import audit
from mailroom.clock import Clock, SystemClock
from mailroom.config import Settings, parse_retention_by_procedure
from mailroom.models import FilingId, Folio
from mailroom.permissions import Action, authorize
from mailroom.store import Store

PURGED_EVENT = "documentos_depurados"

# Every reference to a file, with the filing that needs it; NULL for what is no filing's document
# (an acuse, a draft not registered yet), which always keeps its file. One pass over the tables:
# looking each file up instead would scan ``pages`` (no index on its hashes) once per file.
_REFERENCES = """
    SELECT sha256, filing_uuid FROM documents
    UNION ALL SELECT searchable_pdf_sha256, filing_uuid FROM documents
    UNION ALL SELECT p.image_sha256, d.filing_uuid
      FROM pages p JOIN documents d ON d.id = p.document_id
    UNION ALL SELECT p.page_pdf_sha256, d.filing_uuid
      FROM pages p JOIN documents d ON d.id = p.document_id
    UNION ALL SELECT pdf_sha256, filing_uuid FROM drafts
    UNION ALL SELECT unsealed_sha256, NULL FROM acuses
    UNION ALL SELECT sealed_sha256, NULL FROM acuses
"""


@dataclass(frozen=True)
class RetentionPolicy:
    default_years: int
    by_procedure: tuple[tuple[str, int], ...] = ()

    @classmethod
    def from_settings(cls, settings: Settings) -> RetentionPolicy:
        periods = parse_retention_by_procedure(settings.retention_by_procedure)
        return cls(settings.retention_years, tuple(sorted(periods.items())))

    def years_for(self, procedure_type: str | None) -> int:
        key = " ".join((procedure_type or "").split()).casefold()
        return dict(self.by_procedure).get(key, self.default_years)


@dataclass(frozen=True)
class RetentionItem:
    """One filing whose period ended: what goes, and what stays because another filing needs it."""

    filing_id: FilingId
    folio: Folio
    received_at: datetime
    retention_ends: date
    receipt_held: bool
    to_remove: tuple[str, ...]
    kept_shared: tuple[str, ...]

    @property
    def purgeable(self) -> bool:
        return self.receipt_held and bool(self.to_remove)


@dataclass(frozen=True)
class RetentionReport:
    """``applied`` False for a dry run (``revisar``): nothing was changed."""

    checked_at: datetime
    applied: bool
    purged: tuple[RetentionItem, ...]
    waiting_for_receipt: tuple[RetentionItem, ...]
    files_removed: int = 0


def retention_ends(received_at: datetime, years: int) -> date:
    """The same day ``years`` later (29 February becomes 28 February in a common year)."""
    day = received_at.date()
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


class RetentionService:
    def __init__(self, store: Store, settings: Settings, clock: Clock | None = None) -> None:
        self.store = store
        self.settings = settings
        self.clock = clock or SystemClock(settings.zone)
        self.policy = RetentionPolicy.from_settings(settings)

    def review(self) -> RetentionReport:
        """What ``apply`` would remove now, changing nothing (``oficialia retencion revisar``)."""
        db = self.store.reader()
        authorize(db, self.settings, Action.RETENCION)
        now = self.clock.now()
        items = self._due(db, now)
        return _report(now, items, applied=False)

    def apply(self) -> RetentionReport:
        """Mark the due files removed with their audit events, then delete them."""
        now = self.clock.now()
        report = self.store.write(lambda db: self._mark_removed(db, now))
        removed = self._unlink_marked()
        return RetentionReport(
            report.checked_at, True, report.purged, report.waiting_for_receipt, removed
        )

    def _mark_removed(self, db: sqlite_utils.Database, now: datetime) -> RetentionReport:
        actor = authorize(db, self.settings, Action.RETENCION)  # first: a refusal writes nothing
        items = self._due(db, now)
        for item in items:
            if not item.purgeable:
                continue
            _mark(db, item, now)
            audit.append_event(
                db,
                at=now,
                actor=actor.name,
                kind=PURGED_EVENT,
                filing_id=item.filing_id,
                payload={
                    "folio": item.folio,
                    "conservar_hasta": item.retention_ends.isoformat(),
                    "archivos": list(item.to_remove),
                    "compartidos_conservados": list(item.kept_shared),
                },
            )
        return _report(now, items, applied=True)

    def _due(self, db: sqlite_utils.Database, now: datetime) -> list[RetentionItem]:
        """The filings whose period ended and that still have files to remove."""
        today = now.astimezone(self.settings.zone).date()
        rows = db.execute(
            "SELECT f.uuid, f.folio, f.received_at, f.procedure_type, "
            "o.state = 'sincronizada' AND o.receipt IS NOT NULL "
            "FROM filings f LEFT JOIN outbox o ON o.filing_uuid = f.uuid ORDER BY f.rowid"
        ).fetchall()
        expired: dict[str, tuple[str, datetime, date, bool]] = {}
        for uuid, folio, received, procedure_type, held in rows:
            received_at = datetime.fromisoformat(received)
            ends = retention_ends(received_at, self.policy.years_for(procedure_type))
            if ends <= today:
                expired[uuid] = (folio, received_at, ends, bool(held))
        releasable = {uuid for uuid, (*_, held) in expired.items() if held}
        owners, files = _references(db, expired)
        items = []
        for uuid, (folio, received_at, ends, held) in expired.items():
            present = tuple(sorted(files.get(uuid, ())))
            if not present:
                continue  # purged before: nothing left to do
            if held:
                shared = tuple(sha for sha in present if not owners[sha] <= releasable)
                remove = tuple(sha for sha in present if sha not in shared)
            else:  # what will go once the receipt is here
                shared, remove = (), present
            items.append(
                RetentionItem(FilingId(uuid), Folio(folio), received_at, ends, held, remove, shared)
            )
        return [item for item in items if item.to_remove or not item.receipt_held]

    def _unlink_marked(self) -> int:
        """Delete every file the database says was removed and is still on disk (this run's, and
        any a crash left behind after its transaction committed)."""
        rows = self.store.reader().execute("SELECT sha256 FROM blobs WHERE removed_at IS NOT NULL")
        removed = 0
        for (sha,) in rows.fetchall():
            path = self.store.blobs.path(sha)
            if path.is_file():
                path.unlink()
                removed += 1
        return removed


def _references(
    db: sqlite_utils.Database, expired: Collection[str]
) -> tuple[dict[str, set[str | None]], dict[str, set[str]]]:
    """For the files of the ``expired`` filings not yet removed: who needs each one (filings, or
    None for an acuse or a pending draft), and each expired filing's files."""
    removed = {
        row[0] for row in db.execute("SELECT sha256 FROM blobs WHERE removed_at IS NOT NULL")
    }
    references = [
        (sha, owner) for sha, owner in db.execute(_REFERENCES) if sha and sha not in removed
    ]
    files: dict[str, set[str]] = {}
    for sha, owner in references:
        if owner in expired:
            files.setdefault(owner, set()).add(sha)
    wanted = set().union(*files.values()) if files else set()
    owners: dict[str, set[str | None]] = {}
    for sha, owner in references:
        if sha in wanted:
            owners.setdefault(sha, set()).add(owner)
    return owners, files


def _mark(db: sqlite_utils.Database, item: RetentionItem, now: datetime) -> None:
    stamp = now.isoformat()
    for sha in item.to_remove:
        # A blob registered before the blobs table listed every file gets its row here, so the
        # removal is recorded all the same (size unknown: 0).
        db.execute(
            "INSERT OR IGNORE INTO blobs (sha256, size, created_at) VALUES (?, 0, ?)", [sha, stamp]
        )
        db.execute(
            "UPDATE blobs SET removed_at = ? WHERE sha256 = ? AND removed_at IS NULL", [stamp, sha]
        )
    db.execute(
        "UPDATE pages SET text = '' WHERE document_id IN "
        "(SELECT id FROM documents WHERE filing_uuid = ?)",
        [item.filing_id],
    )
    db.execute(
        "UPDATE filings_fts SET ocr_text = '' "
        "WHERE rowid = (SELECT rowid FROM filings WHERE uuid = ?)",
        [item.filing_id],
    )


def _report(now: datetime, items: Iterable[RetentionItem], *, applied: bool) -> RetentionReport:
    listed = list(items)
    return RetentionReport(
        checked_at=now,
        applied=applied,
        purged=tuple(item for item in listed if item.purgeable),
        waiting_for_receipt=tuple(item for item in listed if not item.receipt_held),
    )


def purged_on(db: sqlite_utils.Database, filing_id: str) -> datetime | None:
    """When the filing's documents were removed by retention, or None if they were not."""
    row = db.execute(
        "SELECT max(at) FROM events WHERE filing_uuid = ? AND kind = ?", [filing_id, PURGED_EVENT]
    ).fetchone()
    return datetime.fromisoformat(row[0]) if row and row[0] else None
