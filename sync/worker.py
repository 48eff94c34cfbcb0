"""The sync worker: ping, pull, then deliver every due outbox item, each on its own.

``run_once`` is one pass; ``run_forever`` repeats it, waking on its timer, on an explicit
"sync now" (:meth:`SyncWorker.request_sync`, a ``threading.Event``) or when the earliest stored
retry falls due, and sleeping longer while offline. It never busy-loops.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial

from mailroom.config import Settings
from mailroom.store import Store
from sync import connectivity, downsync, enrolment, outbox
from sync.client import SyncClient
from sync.connectivity import Connectivity
from sync.errors import (
    DeviceRevoked,
    Offline,
    ReceiptRejected,
    Rejected,
    SyncError,
    Transient,
)
from sync.transport import Transport
from sync.worker_lock import WorkerLock

log = logging.getLogger(__name__)
OFFLINE_CODE = "sin_conexion"
ANOTHER_WORKER = (
    "Otro proceso ya está sincronizando este equipo (por ejemplo, la aplicación abierta); "
    "este no envía nada para no duplicar el tráfico."
)
OFFLINE_PREFIX = "Sin conexión: "


@dataclass(frozen=True)
class SyncSummary:
    online: bool
    connectivity: Connectivity | None
    synced: tuple[str, ...] = ()
    postponed: tuple[str, ...] = ()
    parked: tuple[str, ...] = ()
    messages: dict[str, str] = field(default_factory=dict)
    revoked: str | None = None
    downsync_error: str | None = None
    busy: str | None = None  # another worker holds this device's sync lock


def utc_now() -> datetime:
    return datetime.now(UTC)


class SyncWorker:
    def __init__(
        self,
        store: Store,
        settings: Settings,
        *,
        backend_url: str | None = None,
        now: Callable[[], datetime] = utc_now,
    ) -> None:
        self.store = store
        self.settings = settings
        self._backend_override = backend_url or settings.backend_url or None
        self._now = now
        self._wake = threading.Event()
        self._lock = WorkerLock(store.data_dir)
        self.on_progress: Callable[[str, int], None] | None = None

    def transport(self, enrolled: enrolment.Enrolment) -> Transport:
        return Transport(
            self._backend_override or enrolled.backend_url,
            credential=enrolment.read_credential(self.store.data_dir),
            ca_bundle=self.settings.sync_ca_bundle,
            connect_timeout=self.settings.sync_connect_timeout_seconds,
            read_timeout=self.settings.sync_read_timeout_seconds,
        )

    def request_sync(self) -> None:
        """The clerk's "sincronizar ahora" (or a network-change hint): wake the loop at once."""
        self._wake.set()

    def run_once(self) -> SyncSummary:
        enrolled = enrolment.require(self.store.reader())
        if enrolled.revoked:
            return SyncSummary(False, None, revoked=enrolled.revoked_message or "revocado")
        # Held for the pass: while this process has it, nobody else is sending, so any row
        # still ``enviando`` was left by a process that died mid-send.
        if not self._lock.acquire():
            return SyncSummary(False, None, busy=ANOTHER_WORKER)
        transport = self.transport(enrolled)
        try:
            outbox.reclaim_orphans(self.store, self._now())
            return self._pass(enrolled, transport)
        finally:
            transport.close()
            self._lock.release()

    def _pass(self, enrolled: enrolment.Enrolment, transport: Transport) -> SyncSummary:
        state = connectivity.ping(transport, self._now())
        connectivity.record(self.store, state)
        if not state.online:
            outbox.defer_due(
                self.store,
                self._now(),
                timedelta(seconds=state.offline_wait(self.settings.sync_offline_interval_seconds)),
                OFFLINE_PREFIX + state.reason,
                OFFLINE_CODE,
            )
            return SyncSummary(False, state)
        outbox.wake_deferred(self.store, OFFLINE_CODE)
        downsync_error = None
        try:
            self._pull(transport)
        except DeviceRevoked as error:
            enrolment.mark_revoked(self.store, error.message, self._now())
            return SyncSummary(True, state, revoked=error.message)
        except SyncError as error:  # catalogs and statuses can wait; deliveries cannot
            downsync_error = error.message
        summary = self._deliver_due(SyncClient(self.store, transport, enrolled), state)
        return dataclasses.replace(summary, downsync_error=downsync_error)

    def _pull(self, transport: Transport) -> None:
        for name in downsync.protocol.CATALOGS:
            downsync.pull_catalog(self.store, transport, name, self._now())
        downsync.pull_changes(self.store, transport, self._now())

    def _deliver_due(self, client: SyncClient, state: Connectivity) -> SyncSummary:
        """Deliver every due item, ``sync_workers`` at a time (one HTTP session per thread):
        while one filing is being committed the next is already uploading. Each item's fate is
        its own; the link going down or the device being revoked stops new items starting."""
        outcomes: dict[str, list[str]] = {"synced": [], "postponed": [], "parked": []}
        messages: dict[str, str] = {}
        stop = threading.Event()
        revoked: list[str] = []

        def work(item: outbox.OutboxItem) -> tuple[outbox.OutboxItem, str, str] | None:
            if stop.is_set() or not outbox.claim(self.store, item.filing_uuid, self._now()):
                return None  # stopping, or another worker took it
            try:
                outcome, message = self._deliver_one(client, item)
            except DeviceRevoked as error:
                outbox.release(self.store, item.filing_uuid, self._now())
                revoked.append(error.message)
                stop.set()
                return None
            if outcome == "postponed" and message.startswith(OFFLINE_PREFIX):
                stop.set()  # the link is gone: the others wait for the next ping
            return item, outcome, message

        due = outbox.due(self.store.reader(), self._now())
        with ThreadPoolExecutor(max(1, self.settings.sync_workers), "sync") as pool:
            results = list(pool.map(work, due))
        for result in results:
            if result is None:
                continue
            item, outcome, message = result
            outcomes[outcome].append(item.folio)
            if message:
                messages[item.folio] = message
        if revoked:
            enrolment.mark_revoked(self.store, revoked[0], self._now())
            return _summary(state, outcomes, messages, revoked=revoked[0])
        return _summary(state, outcomes, messages)

    def _deliver_one(self, client: SyncClient, item: outbox.OutboxItem) -> tuple[str, str]:
        """One item's fate; its failure is recorded on it and never reaches the other items."""
        uuid, now = item.filing_uuid, self._now
        try:
            receipt = client.deliver(
                uuid, try_recovery=item.attempts > 0, on_progress=partial(self._progress, uuid)
            )
        except Rejected as error:
            outbox.park(self.store, uuid, now(), error.message, error.server_code)
            return "parked", error.message
        except ReceiptRejected as error:
            outbox.park(self.store, uuid, now(), error.message, error.code)
            return "parked", error.message
        except Offline as error:
            message = OFFLINE_PREFIX + error.message
            outbox.postpone(self.store, uuid, now(), message, OFFLINE_CODE, None)
            return "postponed", message
        except Transient as error:
            outbox.postpone(self.store, uuid, now(), error.message, error.code, error.retry_after)
            return "postponed", error.message
        except DeviceRevoked:
            raise
        except Exception as error:  # a bug or a surprise must not block the other items
            log.exception("sync of %s failed", item.folio)
            message = f"Error inesperado al enviar: {error}"
            outbox.postpone(self.store, uuid, now(), message, "inesperado", None)
            return "postponed", message
        outbox.mark_synced(self.store, uuid, receipt, now())
        return "synced", ""

    def _progress(self, uuid: str, acknowledged: int) -> None:
        outbox.record_progress(self.store, uuid, acknowledged, self._now())
        if self.on_progress is not None:
            self.on_progress(uuid, acknowledged)

    def run_forever(
        self, stop: threading.Event, on_summary: Callable[[SyncSummary], None] | None = None
    ) -> None:
        while not stop.is_set():
            try:
                summary = self.run_once()
            except SyncError as error:
                log.warning("sync pass failed: %s", error.message)
                summary = SyncSummary(False, None, messages={"": error.message})
            except Exception as error:  # the background loop outlives a bad pass (disk, bug)
                log.exception("sync pass failed")
                summary = SyncSummary(False, None, messages={"": f"Error inesperado: {error}"})
            if on_summary is not None:
                on_summary(summary)
            self._wake.wait(self._sleep_seconds(summary))
            self._wake.clear()

    def stop_waiting(self) -> None:
        self._wake.set()

    def _sleep_seconds(self, summary: SyncSummary) -> float:
        if not summary.online:
            interval = float(self.settings.sync_offline_interval_seconds)
            return summary.connectivity.offline_wait(interval) if summary.connectivity else interval
        interval = float(self.settings.sync_interval_seconds)
        earliest = outbox.next_due_at(self.store.reader())
        if earliest == "":
            return 1.0  # registered during the pass: soon
        if earliest:
            until = (datetime.fromisoformat(earliest) - self._now()).total_seconds()
            interval = min(interval, max(1.0, until))
        return interval


def _summary(
    state: Connectivity,
    outcomes: dict[str, list[str]],
    messages: dict[str, str],
    revoked: str | None = None,
) -> SyncSummary:
    return SyncSummary(
        True,
        state,
        tuple(outcomes["synced"]),
        tuple(outcomes["postponed"]),
        tuple(outcomes["parked"]),
        messages,
        revoked=revoked,
    )
