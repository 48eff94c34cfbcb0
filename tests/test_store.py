from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest

from mailroom import tmpfiles
from mailroom.store import Store, connect, migrations
from mailroom.store.blobs import BlobStore


def test_connections_use_wal_full_sync_foreign_keys_and_busy_timeout(store: Store) -> None:
    db = store.reader()
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert db.execute("PRAGMA busy_timeout").fetchone()[0] >= 5000
    writer_pragmas = store.write(
        lambda w: (
            w.execute("PRAGMA synchronous").fetchone()[0],
            w.execute("PRAGMA foreign_keys").fetchone()[0],
        )
    )
    assert writer_pragmas == (2, 1)


def test_migrations_are_recorded_once(data_dir: Path) -> None:
    first = Store(data_dir)
    everything = [m.name for m in migrations.MIGRATIONS]
    assert everything[:2] == ["m001_initial_schema", "m002_acuses_and_signatures"]
    assert first.migrations_applied == everything
    first.close()
    second = Store(data_dir)
    assert second.migrations_applied == []
    recorded = second.reader().query("SELECT name FROM _migrations ORDER BY name")
    assert [r["name"] for r in recorded] == everything
    second.close()


def test_database_is_backed_up_before_a_new_migration(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    Store(data_dir).close()
    db = connect(data_dir / "oficialia.sqlite3")
    db.execute("INSERT INTO folio_sequences VALUES ('C01', 2026, 41)")
    db.close()

    def m999_add_column(db) -> None:
        db.execute("ALTER TABLE filings ADD COLUMN nota TEXT")

    monkeypatch.setattr(
        migrations,
        "MIGRATIONS",
        [*migrations.MIGRATIONS, migrations.Migration("m999_add_column", m999_add_column)],
    )
    store = Store(data_dir)
    assert store.migrations_applied == ["m999_add_column"]
    backups = list((data_dir / "backups").glob("*antes-de-m999_add_column.sqlite3"))
    assert len(backups) == 1
    copy = sqlite3.connect(backups[0])
    assert copy.execute("SELECT last_seq FROM folio_sequences").fetchone()[0] == 41
    assert "nota" not in [r[1] for r in copy.execute("PRAGMA table_info(filings)")]
    copy.close()
    store.close()


def test_failed_migration_rolls_back_and_stays_pending(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    Store(data_dir).close()

    def m998_broken(db) -> None:
        db.execute("CREATE TABLE half_done (x)")
        db.execute("THIS IS NOT SQL")

    monkeypatch.setattr(
        migrations,
        "MIGRATIONS",
        [*migrations.MIGRATIONS, migrations.Migration("m998_broken", m998_broken)],
    )
    with pytest.raises(sqlite3.OperationalError):
        Store(data_dir)
    db = connect(data_dir / "oficialia.sqlite3")
    assert "half_done" not in db.table_names()
    assert [m.name for m in migrations.pending(db)] == ["m998_broken"]
    db.close()


def test_blob_store_is_content_addressed_and_verifiable(tmp_path: Path) -> None:
    blobs = BlobStore(tmp_path / "blobs")
    sha, size = blobs.put_bytes(b"acuse de recibo")
    assert size == 15
    assert blobs.path(sha).read_bytes() == b"acuse de recibo"
    assert blobs.put_bytes(b"acuse de recibo") == (sha, size)
    assert blobs.verify(sha)
    blobs.path(sha).write_bytes(b"acuse alterado!")
    assert not blobs.verify(sha)
    assert tmpfiles.work_in(blobs.tmp) == []


def test_sweep_removes_only_old_unreferenced_blobs(tmp_path: Path) -> None:
    blobs = BlobStore(tmp_path / "blobs")
    kept, _ = blobs.put_bytes(b"referenciado")
    orphan, _ = blobs.put_bytes(b"huerfano")
    young, _ = blobs.put_bytes(b"recien escrito")
    old = time.time() - 7200
    for sha in (kept, orphan):
        import os

        os.utime(blobs.path(sha), (old, old))
    removed = blobs.sweep_orphans({kept}, older_than_seconds=3600)
    assert removed == [orphan]
    assert blobs.exists(kept) and blobs.exists(young) and not blobs.exists(orphan)


def test_events_table_refuses_updates_and_deletes(store: Store) -> None:
    from datetime import UTC, datetime

    from mailroom import audit

    store.write(
        lambda db: audit.append_event(
            db, at=datetime.now(UTC), actor="a", kind="k", filing_id=None, payload={}
        )
    )
    with pytest.raises(sqlite3.IntegrityError, match="solo admite anexar"):
        store.write(lambda db: db.execute("UPDATE events SET actor = 'b'"))
    with pytest.raises(sqlite3.IntegrityError, match="solo admite anexar"):
        store.write(lambda db: db.execute("DELETE FROM events"))
