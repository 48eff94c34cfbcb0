"""The backend's state: data folder, database, signing key, blob store and fault hooks.

One :class:`Backend` per process; the API and the admin commands both build one over the same
data folder, so a token printed by ``oficialia backend token`` works at once on a running server.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sync import protocol
from sync.server import catalogs, database, keys
from sync.server.blobs import BlobStore
from sync.server.faults import FaultHooks

FAULT_HOOKS_ENV = "OFICIALIA_BACKEND_FAULT_HOOKS"


@dataclass(frozen=True)
class BackendConfig:
    data_dir: Path
    fault_hooks: bool = False  # the test-only switches; see sync/server/faults.py
    timezone: str = "America/Mexico_City"  # decides the year of the institutional folio
    token_lifetime: timedelta = timedelta(hours=24)
    max_blob_bytes: int = 4 * 1024**3
    max_json_bytes: int = 4 * 1024**2


class Backend:
    def __init__(self, config: BackendConfig, clock: Callable[[], datetime] | None = None) -> None:
        self.config = config
        self.zone = ZoneInfo(config.timezone)
        self._clock = clock
        config.data_dir.mkdir(parents=True, exist_ok=True)
        self.database_path = config.data_dir / database.DATABASE_FILE
        database.migrate(self.database_path)
        self.signing_key = keys.load_or_create(config.data_dir)
        self.public_key = self.signing_key.public_key()
        self.key_id = protocol.key_id(self.public_key)
        self.blobs = BlobStore(config.data_dir / "blobs", self.database_path, config.max_blob_bytes)
        self.faults = FaultHooks(enabled=config.fault_hooks)
        with self.connect() as connection:
            catalogs.seed_defaults(connection, self.now())

    def now(self) -> datetime:
        moment = self._clock() if self._clock else datetime.now(self.zone)
        return moment.astimezone(self.zone)

    def connect(self) -> AbstractContextManager[sqlite3.Connection]:
        return database.opened(self.database_path)
