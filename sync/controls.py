"""The three things the clerk's sync panel does: read the status, sync now, retry one item.

Qt-free, so the panel stays a thin view and these run (and are tested) on any thread. Each call
uses the calling thread's own read connection (``Store.reader``) and the store's one writer.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from mailroom.config import Settings
from mailroom.store import Store
from sync import outbox
from sync.status import SyncReport, sync_report
from sync.worker import SyncSummary, SyncWorker, utc_now


class SyncControls:
    def __init__(
        self,
        store: Store,
        settings: Settings,
        *,
        backend_url: str | None = None,
        now: Callable[[], datetime] = utc_now,
    ) -> None:
        self._store = store
        self._now = now
        self.zone = settings.zone  # times are shown in the office's zone, not the machine's
        # One worker for the app: "sincronizar ahora" twice in a row meets its lock, not a second
        # sender (and another process syncing this device is reported as busy, not raced).
        self._worker = SyncWorker(store, settings, backend_url=backend_url, now=now)

    @property
    def worker(self) -> SyncWorker:
        """The app's one sync worker: its background loop and "sincronizar ahora" share it."""
        return self._worker

    def status(self) -> SyncReport:
        return sync_report(self._store.reader())

    def sync_now(self) -> SyncSummary:
        """One pass (ping, pull, deliver what is due); ``NotEnrolled`` if never enrolled."""
        return self._worker.run_once()

    def retry(self, folio: str) -> outbox.OutboxItem:
        """Put a parked (``requiere_atencion``) or backing-off item back in the queue, due now."""
        return outbox.retry(self._store, folio, self._now())
