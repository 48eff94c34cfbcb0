"""The backend's state: data folder, database, signing key, blob store and fault hooks.

One :class:`Backend` per process (per uvicorn worker); the API and the admin commands both build
one over the same database, so a token printed by ``oficialia backend token`` works at once on a
running server. The database is the data folder's SQLite file unless ``database_url`` names
another (``postgresql://…``, see :mod:`sync.server.sql`); the data folder still holds the signing
key (every worker of one server must share it) and, for now, the blob folder.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sync import protocol
from sync.server import catalogs, database, keys, sql, store_url
from sync.server.blob_upkeep import SweepTimer
from sync.server.blobs import BlobStore
from sync.server.faults import FaultHooks


@dataclass(frozen=True)
class BackendConfig:
    data_dir: Path
    fault_hooks: bool = False  # the test-only switches; see sync/server/faults.py
    timezone: str = "America/Mexico_City"  # decides the year of the institutional folio
    token_lifetime: timedelta = timedelta(hours=24)
    max_blob_bytes: int = 4 * 1024**3
    max_json_bytes: int = 4 * 1024**2
    database_url: str | None = None  # None: backend.sqlite3 in data_dir
    blob_url: str | None = None  # None: blobs/ in data_dir
    abort_after_folio: bool = False  # test-only; needs fault_hooks
    # The served backend sweeps what crashed uploads left (blob_upkeep.SweepTimer); None: never.
    sweep_every: timedelta | None = timedelta(hours=1)
    abandon_after: timedelta = timedelta(hours=24)  # an upload untouched this long is abandoned


class FolioAborts:
    """The test-only fault behind ``abort_after_folio``: the first commit attempt of each filing
    in this process fails after taking its folio number, so the number must be given back."""

    def __init__(self, *, enabled: bool) -> None:
        self.enabled = enabled
        self._lock = threading.Lock()
        self._seen: set[str] = set()

    def should_abort(self, filing_uuid: str) -> bool:
        if not self.enabled:
            return False
        with self._lock:
            if filing_uuid in self._seen:
                return False
            self._seen.add(filing_uuid)
            return True


class Backend:
    def __init__(self, config: BackendConfig, clock: Callable[[], datetime] | None = None) -> None:
        self.config = config
        self.zone = ZoneInfo(config.timezone)
        self._clock = clock
        config.data_dir.mkdir(parents=True, exist_ok=True)
        self.database = sql.open_database(config.database_url or config.data_dir)
        database.migrate(self.database)
        # The SQLite file, for tests and tools that open it directly; None on PostgreSQL.
        self.database_path: Path | None = (
            self.database.path if isinstance(self.database, sql.SqliteDatabase) else None
        )
        self.signing_key = keys.load_or_create(config.data_dir)
        self.public_key = self.signing_key.public_key()
        self.key_id = protocol.key_id(self.public_key)
        self.objects = store_url.open_store(config.blob_url, config.data_dir / "blobs")
        self.blobs = BlobStore(self.objects, self.database, config.max_blob_bytes)
        self.faults = FaultHooks(enabled=config.fault_hooks)
        self.folio_aborts = FolioAborts(enabled=config.fault_hooks and config.abort_after_folio)
        self._upkeep: SweepTimer | None = None
        with self.connect() as connection:
            catalogs.seed_defaults(connection, self.now())

    def now(self) -> datetime:
        moment = self._clock() if self._clock else datetime.now(self.zone)
        return moment.astimezone(self.zone)

    def connect(self) -> AbstractContextManager[sql.Connection]:
        return self.database.connect()

    def start_upkeep(self) -> None:
        """The periodic sweep, in a process that serves (not in a one-off admin command)."""
        if self.config.sweep_every is None or self._upkeep is not None:
            return
        self._upkeep = SweepTimer(
            self.database, self.objects, self.config.sweep_every, self.config.abandon_after
        )
        self._upkeep.start()

    def close(self) -> None:
        if self._upkeep is not None:
            self._upkeep.stop()
        self.database.close()
