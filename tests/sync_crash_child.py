"""Run by tests/test_sync_crash.py: sync a data folder until nothing is left, or until killed."""

from __future__ import annotations

import sys
from pathlib import Path

from mailroom.config import load_settings
from mailroom.store import Store
from sync.worker import SyncWorker


def main(data_dir: str, backend_url: str) -> int:
    settings = load_settings(Path(data_dir), sync_read_timeout_seconds=5)
    with Store(settings.data_dir) as store:
        worker = SyncWorker(store, settings, backend_url=backend_url)
        while True:
            worker.run_once()
            left = (
                store.reader()
                .execute("SELECT count(*) FROM outbox WHERE state != 'sincronizada'")
                .fetchone()[0]
            )
            if left == 0:
                return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
