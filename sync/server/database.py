"""The backend's schema: the same tables on SQLite and PostgreSQL, and their migrations.

Each migration is a pair of scripts, one per engine, describing the same tables; they differ only
where the types do (PostgreSQL's BIGINT for counters, sizes and cursors; SQLite's AUTOINCREMENT,
kept from the first release). On both engines times stay ISO-8601 TEXT and manifests and receipts
stay the exact TEXT that was hashed and signed (JSONB would reorder keys, and a receipt must come
back byte for byte); uuids stay their canonical TEXT, as the protocol spells them.

SQLite counts applied migrations in ``PRAGMA user_version`` and copies the file aside before
migrating one that holds data. PostgreSQL records them in ``schema_migrations``, all applied in
one transaction under an advisory lock, so several workers starting at once migrate exactly once
(DDL is transactional there: a failed migration leaves nothing half-done).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import UTC, datetime

from sync.server import sql

DATABASE_FILE = sql.SQLITE_FILE
# pg_advisory_xact_lock key shared by every process migrating the same database ("OFICIALIA").
MIGRATION_LOCK = 0x4F464943


@dataclass(frozen=True)
class Migration:
    name: str
    sqlite: str
    postgresql: str


_M001_SHARED_TAIL = """
    CREATE INDEX changes_by_office ON changes (office, cursor);
    CREATE TABLE catalogs (
        name TEXT PRIMARY KEY,
        items TEXT NOT NULL,
        etag TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
"""

_M001_SHARED_HEAD = """
    CREATE TABLE devices (
        id TEXT PRIMARY KEY,
        code TEXT NOT NULL,
        office TEXT NOT NULL,
        name TEXT NOT NULL DEFAULT '',
        credential_sha256 TEXT NOT NULL UNIQUE,
        enrolled_at TEXT NOT NULL,
        revoked_at TEXT
    );
    CREATE TABLE enrolment_tokens (
        token_sha256 TEXT PRIMARY KEY,
        office TEXT NOT NULL,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        used_at TEXT,
        device_id TEXT REFERENCES devices(id)
    );
"""


def _m001(integer: str, cursor_column: str) -> str:
    return (
        _M001_SHARED_HEAD
        + f"""
    CREATE TABLE blobs (
        sha256 TEXT PRIMARY KEY,
        size {integer} NOT NULL CHECK (size > 0),
        complete INTEGER NOT NULL DEFAULT 0 CHECK (complete IN (0, 1)),
        completed_at TEXT
    );
    CREATE TABLE folio_counters (
        office TEXT NOT NULL,
        year INTEGER NOT NULL,
        last {integer} NOT NULL,
        PRIMARY KEY (office, year)
    );
    CREATE TABLE filings (
        uuid TEXT PRIMARY KEY,
        office TEXT NOT NULL,
        year INTEGER NOT NULL,
        sequence {integer} NOT NULL,
        institutional_folio TEXT NOT NULL UNIQUE,
        device_id TEXT NOT NULL REFERENCES devices(id),
        manifest_sha256 TEXT NOT NULL,
        manifest TEXT NOT NULL,
        receipt TEXT NOT NULL,
        committed_at TEXT NOT NULL,
        UNIQUE (office, year, sequence)
    );
    CREATE TABLE changes (
        {cursor_column},
        filing_uuid TEXT NOT NULL REFERENCES filings(uuid),
        office TEXT NOT NULL,
        status TEXT NOT NULL,
        note TEXT NOT NULL DEFAULT '',
        at TEXT NOT NULL
    );
"""
        + _M001_SHARED_TAIL
    )


# Documents attached to a filing after it was delivered (a later scan for the same folio) make a
# new revision of its manifest; every revision's receipt is kept, so a late retry of an earlier
# revision still gets its own receipt back.
_M002 = """
    ALTER TABLE filings ADD COLUMN revision INTEGER NOT NULL DEFAULT 1;
    CREATE TABLE filing_revisions (
        filing_uuid TEXT NOT NULL REFERENCES filings(uuid),
        revision INTEGER NOT NULL,
        manifest_sha256 TEXT NOT NULL,
        manifest TEXT NOT NULL,
        receipt TEXT NOT NULL,
        committed_at TEXT NOT NULL,
        PRIMARY KEY (filing_uuid, revision),
        UNIQUE (filing_uuid, manifest_sha256)
    );
"""

# The changes feed's cursor comes from this one row, updated in the writing transaction (see
# sync/server/filings.py, mark): cursor order is then commit order on every engine.
_M003_TABLE = """
    CREATE TABLE change_counter (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        last {integer} NOT NULL
    );
"""

# The public verification page (sync/server/verification.py): its per-client rate-limit counters
# (in the database so the limit holds across workers), the status of one filing, and a filing by
# its counter folio, which lives in the manifest: the lookup spells the expression like the index.
_M004_VERIFICATION = """
    CREATE TABLE verification_hits (
        client TEXT NOT NULL,
        window_start BIGINT NOT NULL,
        hits INTEGER NOT NULL,
        PRIMARY KEY (client, window_start)
    );
    CREATE INDEX verification_hits_by_window ON verification_hits (window_start);
    CREATE INDEX changes_by_filing ON changes (filing_uuid, cursor);
    CREATE INDEX filings_by_device_folio ON filings ({folio});
"""

# Upload state (sync/server/uploads.py): in the database so consecutive chunks of one upload may
# reach different workers; each committed chunk is staged as its own object.
_M005_BLOB_UPLOADS = """
    CREATE TABLE blob_uploads (
        sha256 TEXT PRIMARY KEY,
        size {integer} NOT NULL CHECK (size > 0),
        received {integer} NOT NULL,
        finishing_until TEXT,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX blob_uploads_by_age ON blob_uploads (updated_at);
    CREATE TABLE blob_chunks (
        sha256 TEXT NOT NULL REFERENCES blob_uploads(sha256),
        start_offset {integer} NOT NULL,
        end_offset {integer} NOT NULL,
        PRIMARY KEY (sha256, start_offset)
    );
"""

# When the server's periodic upkeep last ran (sync/server/blob_upkeep.py): the worker that moves
# the time forward does the run, so several workers do not sweep the same store at once.
_M006_UPKEEP = """
    CREATE TABLE upkeep_runs (
        name TEXT PRIMARY KEY,
        last_run TEXT NOT NULL
    );
"""

# Append-only: never edit a migration once it has landed.
MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        "m001_initial",
        sqlite=_m001("INTEGER", "cursor INTEGER PRIMARY KEY AUTOINCREMENT"),
        postgresql=_m001("BIGINT", "cursor BIGINT PRIMARY KEY"),
    ),
    Migration("m002_filing_revisions", sqlite=_M002, postgresql=_M002),
    Migration(
        "m003_change_counter",
        sqlite=_M003_TABLE.format(integer="INTEGER")
        + """
        INSERT INTO change_counter (id, last) SELECT 1, MAX(
            COALESCE((SELECT MAX(cursor) FROM changes), 0),
            COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'changes'), 0));
        """,
        postgresql=_M003_TABLE.format(integer="BIGINT")
        + "INSERT INTO change_counter (id, last) SELECT 1, COALESCE(MAX(cursor), 0) FROM changes;",
    ),
    Migration(
        "m004_verification_page",
        sqlite=_M004_VERIFICATION.format(folio="json_extract(manifest, '$.folio')"),
        postgresql=_M004_VERIFICATION.format(folio="((manifest::jsonb) ->> 'folio')"),
    ),
    Migration(
        "m005_blob_uploads",
        sqlite=_M005_BLOB_UPLOADS.format(integer="INTEGER"),
        postgresql=_M005_BLOB_UPLOADS.format(integer="BIGINT"),
    ),
    Migration("m006_upkeep_runs", sqlite=_M006_UPKEEP, postgresql=_M006_UPKEEP),
)


def migrate(database: sql.Database) -> None:
    """Bring the schema up to date on either engine."""
    if isinstance(database, sql.SqliteDatabase):
        _migrate_sqlite(database)
    elif isinstance(database, sql.PostgresDatabase):
        _migrate_postgresql(database)
    else:
        raise TypeError(f"no migrations for {type(database).__name__}")


def _migrate_sqlite(database: sql.SqliteDatabase) -> None:
    path = database.path
    with database.connect() as connection:
        version = connection.execute("PRAGMA user_version").fetchone()[0]
        if version >= len(MIGRATIONS):
            return
        if version > 0:
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            shutil.copy2(path, path.with_name(f"{path.name}.antes-de-m{version + 1:03d}"))
        for number, step in enumerate(MIGRATIONS[version:], start=version + 1):

            def apply(tx: sql.Connection, step: Migration = step, number: int = number) -> None:
                tx.run_script(step.sqlite)
                tx.execute(f"PRAGMA user_version={number}")

            connection.write(apply)


def _migrate_postgresql(database: sql.PostgresDatabase) -> None:
    def apply(tx: sql.Connection) -> None:
        tx.execute("SELECT pg_advisory_xact_lock(?)", (MIGRATION_LOCK,))
        tx.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            "version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
        )
        done = {row[0] for row in tx.execute("SELECT version FROM schema_migrations")}
        for number, step in enumerate(MIGRATIONS, start=1):
            if number in done:
                continue
            tx.run_script(step.postgresql)
            tx.execute(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                (number, step.name, datetime.now(UTC).isoformat(timespec="seconds")),
            )

    with database.connect_directly() as connection:
        connection.write(apply)


def schema_version(database: sql.Database) -> int:
    """How many migrations the database has (for tests and the operator's messages)."""
    with database.connect() as connection:
        if database.dialect == "sqlite":
            return int(connection.execute("PRAGMA user_version").fetchone()[0])
        row = connection.execute("SELECT COALESCE(MAX(version), 0) FROM schema_migrations")
        return int(row.fetchone()[0])
