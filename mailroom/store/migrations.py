"""Named, append-only, transactional schema migrations.

A migration, once landed, is never edited: change the schema by appending ``m00N_…``. Before any
pending migration runs on a database that already holds data, the file is copied to ``backups/``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import sqlite_utils

from mailroom.store.database import immediate


@dataclass(frozen=True)
class Migration:
    name: str
    apply: Callable[[sqlite_utils.Database], None]


MIGRATIONS: list[Migration] = []


def migration(
    function: Callable[[sqlite_utils.Database], None],
) -> Callable[[sqlite_utils.Database], None]:
    MIGRATIONS.append(Migration(function.__name__, function))
    return function


def _run(db: sqlite_utils.Database, statements: str) -> None:
    # executescript() would COMMIT first and escape our transaction; run statement by statement.
    for statement in statements.split(";\n"):
        if statement.strip():
            db.execute(statement)


@migration
def m001_initial_schema(db: sqlite_utils.Database) -> None:
    _run(
        db,
        """
CREATE TABLE folio_sequences (
    device TEXT NOT NULL,
    year INTEGER NOT NULL,
    last_seq INTEGER NOT NULL,
    PRIMARY KEY (device, year)
);
CREATE TABLE blobs (
    sha256 TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE filings (
    uuid TEXT PRIMARY KEY,
    folio TEXT NOT NULL UNIQUE,
    office TEXT NOT NULL,
    device TEXT NOT NULL,
    year INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    received_at TEXT NOT NULL,
    received_date TEXT NOT NULL,
    channel TEXT NOT NULL,
    sender_name TEXT NOT NULL,
    sender_curp TEXT,
    sender_rfc TEXT,
    sender_email TEXT,
    sender_phone TEXT,
    sender_organization TEXT,
    sender_position TEXT,
    subject TEXT NOT NULL,
    procedure_type TEXT,
    document_number TEXT NOT NULL,
    document_date TEXT,
    fojas_declared INTEGER,
    pages_scanned INTEGER NOT NULL,
    priority TEXT NOT NULL,
    response_due TEXT,
    observations TEXT NOT NULL DEFAULT '',
    sensitive INTEGER NOT NULL DEFAULT 0,
    clerk TEXT NOT NULL,
    status TEXT NOT NULL,
    sync_status TEXT NOT NULL,
    institutional_folio TEXT,
    clock_skew_seconds INTEGER,
    duplicate_override_reason TEXT,
    UNIQUE (device, year, seq)
);
CREATE INDEX filings_received_date ON filings (received_date);
CREATE INDEX filings_status ON filings (status);
CREATE TABLE filing_addressees (
    filing_uuid TEXT NOT NULL REFERENCES filings (uuid),
    area TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('directo', 'copia')),
    PRIMARY KEY (filing_uuid, area)
);
CREATE TABLE annexes (
    id INTEGER PRIMARY KEY,
    filing_uuid TEXT NOT NULL REFERENCES filings (uuid),
    ordinal INTEGER NOT NULL,
    description TEXT NOT NULL,
    pages INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE documents (
    id INTEGER PRIMARY KEY,
    filing_uuid TEXT NOT NULL REFERENCES filings (uuid),
    ordinal INTEGER NOT NULL,
    filename TEXT NOT NULL,
    mime TEXT NOT NULL,
    sha256 TEXT NOT NULL REFERENCES blobs (sha256),
    size INTEGER NOT NULL,
    page_count INTEGER NOT NULL,
    searchable_pdf_sha256 TEXT REFERENCES blobs (sha256),
    UNIQUE (filing_uuid, ordinal)
);
CREATE INDEX documents_sha256 ON documents (sha256);
CREATE TABLE pages (
    id INTEGER PRIMARY KEY,
    document_id INTEGER NOT NULL REFERENCES documents (id),
    page_no INTEGER NOT NULL,
    source TEXT NOT NULL CHECK (source IN ('imagen', 'texto')),
    image_sha256 TEXT REFERENCES blobs (sha256),
    dpi INTEGER,
    blank INTEGER NOT NULL DEFAULT 0,
    rotation INTEGER NOT NULL DEFAULT 0,
    ocr_status TEXT NOT NULL,
    text TEXT NOT NULL DEFAULT '',
    confidence REAL,
    page_pdf_sha256 TEXT REFERENCES blobs (sha256),
    error TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    lease_owner TEXT,
    lease_expires TEXT,
    UNIQUE (document_id, page_no)
);
CREATE INDEX pages_ocr_status ON pages (ocr_status);
CREATE TABLE events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    kind TEXT NOT NULL,
    filing_uuid TEXT,
    payload TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL UNIQUE
);
CREATE INDEX events_filing ON events (filing_uuid);
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'la bitácora de eventos solo admite anexar'); END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'la bitácora de eventos solo admite anexar'); END;
CREATE TABLE outbox (
    filing_uuid TEXT PRIMARY KEY REFERENCES filings (uuid),
    enqueued_at TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT,
    last_error TEXT
);
CREATE VIRTUAL TABLE filings_fts USING fts5 (
    folio, sender, subject, ocr_text,
    tokenize = 'unicode61 remove_diacritics 2'
)
""",
    )


@migration
def m002_acuses_and_signatures(db: sqlite_utils.Database) -> None:
    """The acuse of each filing, the long-term upgrade of its seal, and cached OCSP answers.

    ``acuses``: one row per filing, written in the registration transaction. ``unsealed_sha256``
    is the "sin sello" PDF handed over when no e.firma was unlocked (NULL when it was sealed at
    once); ``sealed_sha256`` is the current sealed PDF (B-B, later replaced by its B-LT/B-LTA
    incremental update: every version stays in the blob store). ``seal_state`` is
    ``pendiente`` until sealed.

    ``signature_upgrades``: the background B-B -> B-LT(A) upgrade queue; ``state`` is
    ``pendiente`` (including "revocación no verificada": offline), ``hecha``, ``revocado``
    (flagged loudly) or ``fallida`` (after repeated errors, with the reason).

    ``ocsp_responses``: the last OCSP answer per certificate, raw DER, with when it was fetched.
    """
    _run(
        db,
        """
CREATE TABLE acuses (
    filing_uuid TEXT PRIMARY KEY REFERENCES filings (uuid),
    cadena_digest TEXT NOT NULL,
    seal_state TEXT NOT NULL CHECK (seal_state IN ('pendiente', 'sellado')),
    unsealed_sha256 TEXT REFERENCES blobs (sha256),
    sealed_sha256 TEXT REFERENCES blobs (sha256),
    signature_level TEXT CHECK (signature_level IN ('B-B', 'B-T', 'B-LT', 'B-LTA')),
    sealed_at TEXT,
    signer_certificate_number TEXT,
    signer_rfc TEXT,
    created_at TEXT NOT NULL,
    CHECK (unsealed_sha256 IS NOT NULL OR sealed_sha256 IS NOT NULL)
);
CREATE INDEX acuses_seal_state ON acuses (seal_state);
CREATE TABLE signature_upgrades (
    filing_uuid TEXT PRIMARY KEY REFERENCES acuses (filing_uuid),
    state TEXT NOT NULL CHECK (state IN ('pendiente', 'hecha', 'revocado', 'fallida')),
    revocation_status TEXT NOT NULL DEFAULT 'no_verificado',
    revocation_checked_at TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT,
    last_error TEXT,
    updated_at TEXT NOT NULL
);
CREATE INDEX signature_upgrades_state ON signature_upgrades (state, next_attempt_at);
CREATE TABLE ocsp_responses (
    certificate_sha256 TEXT PRIMARY KEY,
    issuer_sha256 TEXT NOT NULL,
    status TEXT NOT NULL,
    response BLOB NOT NULL,
    this_update TEXT,
    next_update TEXT,
    fetched_at TEXT NOT NULL
)
""",
    )


@migration
def m003_sync(db: sqlite_utils.Database) -> None:
    """The sync client's state: the outbox's states, enrolment, health, catalogs, server statuses.

    ``outbox`` gains ``state`` (``pendiente`` -> ``enviando`` -> ``sincronizada`` |
    ``requiere_atencion``), when it last changed (an ``enviando`` row older than the lease was
    left by a killed process and is taken again), the reason of the last failure, and, once
    delivered, the verified receipt (canonical JSON), the institutional folio, the server's time
    and the manifest hash. ``bytes_acknowledged`` counts only bytes the server confirmed. Rows
    are never deleted.

    ``sync_device``: one row, written at enrolment: the device id, the backend URL, the server's
    Ed25519 public key (pinned: receipts signed by any other key are refused), the changes-feed
    cursor, and whether the backend revoked the device. The credential is not here: it lives in a
    0600 file (see ``sync.enrolment``).

    ``sync_health``: one row: the last ping (online or not, why, clock skew) and the last
    successful delivery, for ``oficialia sync status``.

    ``catalogs`` / ``catalog_items``: the backend's procedures, departments and offices with the
    ETag they came with; a catalog is replaced whole in one transaction.

    ``filing_server_status``: the department's side of each filing, from the changes feed.
    """
    _run(
        db,
        """
ALTER TABLE outbox ADD COLUMN state TEXT NOT NULL DEFAULT 'pendiente'
    CHECK (state IN ('pendiente', 'enviando', 'sincronizada', 'requiere_atencion'));
ALTER TABLE outbox ADD COLUMN state_changed_at TEXT;
ALTER TABLE outbox ADD COLUMN reason TEXT;
ALTER TABLE outbox ADD COLUMN reason_code TEXT;
ALTER TABLE outbox ADD COLUMN receipt TEXT;
ALTER TABLE outbox ADD COLUMN institutional_folio TEXT;
ALTER TABLE outbox ADD COLUMN server_time TEXT;
ALTER TABLE outbox ADD COLUMN manifest_sha256 TEXT;
ALTER TABLE outbox ADD COLUMN bytes_acknowledged INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN synced_at TEXT;
CREATE INDEX outbox_due ON outbox (state, next_attempt_at);
CREATE TABLE sync_device (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    device_id TEXT NOT NULL,
    office TEXT NOT NULL,
    backend_url TEXT NOT NULL,
    server_public_key TEXT NOT NULL,
    server_key_id TEXT NOT NULL,
    enrolled_at TEXT NOT NULL,
    changes_cursor TEXT NOT NULL DEFAULT '',
    revoked_at TEXT,
    revoked_message TEXT
);
CREATE TABLE sync_health (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    checked_at TEXT,
    online INTEGER NOT NULL DEFAULT 0,
    offline_reason TEXT,
    server_time TEXT,
    clock_skew_seconds INTEGER,
    last_online_at TEXT,
    last_success_at TEXT
);
CREATE TABLE catalogs (
    name TEXT PRIMARY KEY,
    etag TEXT,
    fetched_at TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE TABLE catalog_items (
    catalog TEXT NOT NULL REFERENCES catalogs (name),
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (catalog, code)
);
CREATE TABLE filing_server_status (
    filing_uuid TEXT PRIMARY KEY REFERENCES filings (uuid),
    status TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    changed_at TEXT,
    received_at TEXT NOT NULL
)
""",
    )


@migration
def m004_capture(db: sqlite_utils.Database) -> None:
    """What a scanned capture did before registration: ``filings.capture_source`` names where the
    pages came from (``sane:…``, ``folder:…``) and ``blank_pages_removed`` how many blank sides were
    left out (the fojas check counts them); ``pages.needs_review`` flags a near-blank page kept
    for a person to look at (one word, only a signature)."""
    db.executescript(
        """
ALTER TABLE filings ADD COLUMN capture_source TEXT;
ALTER TABLE filings ADD COLUMN blank_pages_removed INTEGER NOT NULL DEFAULT 0;
ALTER TABLE pages ADD COLUMN needs_review INTEGER NOT NULL DEFAULT 0;
"""
    )


@migration
def m005_drafts(db: sqlite_utils.Database) -> None:
    """Scanned groups waiting for a clerk (borradores) and the watched-folder files taken in.

    ``drafts``: one row per group of a scanned batch: where it came from, whether it is a new
    filing (``nuevo``) or pages for a registered one (``anexo``, with the folio its carátula
    named), the scan PDF (in the blob store, its sha256 also in ``blobs`` so the sweep spares it),
    the page count and the capture report (JSON). ``state``: ``pendiente`` -> ``registrado``
    (with the filing's uuid, written in the same transaction as the filing or the attached
    document) | ``descartado`` (with the reason). Rows are never deleted.

    ``watched_files``: the sha256 of every file the watched folder turned into drafts, written in
    the same transaction as those drafts: a file found again after a crash (drafts committed, file
    not yet moved to ``procesados/``) is only moved, never split a second time.
    """
    _run(
        db,
        """
CREATE TABLE watched_files (
    sha256 TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    folder TEXT NOT NULL,
    size INTEGER NOT NULL,
    drafts INTEGER NOT NULL,
    taken_at TEXT NOT NULL
);
CREATE TABLE drafts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at TEXT NOT NULL,
    source TEXT NOT NULL,
    origin TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('nuevo', 'anexo')),
    target_folio TEXT,
    pdf_sha256 TEXT NOT NULL REFERENCES blobs (sha256),
    page_count INTEGER NOT NULL CHECK (page_count > 0),
    capture_report TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pendiente'
        CHECK (state IN ('pendiente', 'registrado', 'descartado')),
    filing_uuid TEXT REFERENCES filings (uuid),
    reason TEXT,
    watched_sha256 TEXT REFERENCES watched_files (sha256),
    updated_at TEXT NOT NULL,
    CHECK ((state = 'registrado') = (filing_uuid IS NOT NULL))
);
CREATE INDEX drafts_state ON drafts (state, id)
""",
    )


@migration
def m006_filing_routes(db: sqlite_utils.Database) -> None:
    """Where a registered filing was routed (*turnado*), one row per department and act.

    Not ``filing_addressees``: those are the departments the sender addressed, captured at
    registration; they go into the acuse's cadena original and the sync manifest, so a row added
    there after registration would make a pending acuse unsealable (its cadena no longer matches)
    and change the filing sent to the backend. Routing is a later act by the office: it gets its
    own table, append-only like the audit log (triggers refuse UPDATE and DELETE), each row
    written in the same transaction as its ``escrito_turnado`` event, whose hash it keeps.
    """
    _run(
        db,
        """
CREATE TABLE filing_routes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    filing_uuid TEXT NOT NULL REFERENCES filings (uuid),
    area TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('directo', 'copia')),
    routed_at TEXT NOT NULL,
    actor TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    event_hash TEXT NOT NULL
);
CREATE INDEX filing_routes_filing ON filing_routes (filing_uuid, id);
CREATE TRIGGER filing_routes_no_update BEFORE UPDATE ON filing_routes
BEGIN SELECT RAISE(ABORT, 'los turnos solo admiten anexar'); END;
CREATE TRIGGER filing_routes_no_delete BEFORE DELETE ON filing_routes
BEGIN SELECT RAISE(ABORT, 'los turnos solo admiten anexar'); END
""",
    )


@migration
def m007_privacy_notice(db: sqlite_utils.Database) -> None:
    """Which privacy notice the citizen accepted before giving their data (the kiosk asks for
    it first): the SHA-256 of the notice's text, so the exact wording can be shown later."""
    db.execute("ALTER TABLE filings ADD COLUMN privacy_notice_sha256 TEXT")


@migration
def m008_accounts(db: sqlite_utils.Database) -> None:
    """App-local accounts and the failed sign-ins that lock them for a while.

    ``accounts``: one row per person at the counter: the user name (lowercase), the full name as
    it goes on the acuse, the role, whether the account is active (accounts are disabled, never
    deleted: the audit trail and the acuses name them), the argon2id hash of the password (never
    the password), and whether it must be changed at the next sign-in (after a reset).

    ``sign_in_failures``: consecutive failed sign-ins per user name and, after enough of them,
    until when that name is locked. Kept in the database so that restarting the app does not give
    a guesser more tries. Keyed by the SHA-256 of the name as typed, so that names that are not
    accounts lock the same way (nothing tells a guesser which names exist) without keeping in
    plain whatever was typed in the user box (sometimes a password).
    """
    _run(
        db,
        """
CREATE TABLE accounts (
    user_name TEXT PRIMARY KEY,
    full_name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('oficial', 'supervisor', 'administrador')),
    active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    password_hash TEXT NOT NULL,
    must_change_password INTEGER NOT NULL DEFAULT 0 CHECK (must_change_password IN (0, 1)),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE sign_in_failures (
    name_sha256 TEXT PRIMARY KEY,
    failures INTEGER NOT NULL CHECK (failures > 0),
    locked_until TEXT,
    last_failure_at TEXT NOT NULL
)
""",
    )


@migration
def m009_account_permissions(db: sqlite_utils.Database) -> None:
    """What the shift needs of an account, and the audit trail as the check on its permissions.

    ``accounts.pin_hash``: the argon2id hash of the short PIN that unlocks a counter its owner
    left idle (NULL until the person sets one). ``accounts.titular``: the account may open the
    office e.firma without being an administrator. ``events_account``: the account-state events
    by account, read at every permission check (``mailroom.permissions``). Accounts created
    before this migration get the state event the check compares their row with.
    """
    db.execute("ALTER TABLE accounts ADD COLUMN pin_hash TEXT")
    db.execute(
        "ALTER TABLE accounts ADD COLUMN titular INTEGER NOT NULL DEFAULT 0 "
        "CHECK (titular IN (0, 1))"
    )
    db.execute(
        "CREATE INDEX events_account ON events (json_extract(payload, '$.cuenta'), seq) "
        "WHERE json_extract(payload, '$.cuenta') IS NOT NULL"
    )
    from datetime import UTC, datetime

    from mailroom import audit

    rows = db.execute("SELECT user_name, role, active FROM accounts ORDER BY user_name").fetchall()
    for user_name, role, active in rows:
        audit.append_event(
            db,
            at=datetime.now(UTC),
            actor="(migración)",
            kind="cuenta_migrada",
            filing_id=None,
            payload={"cuenta": user_name, "rol": role, "titular": False, "activa": bool(active)},
        )


@migration
def m010_arco(db: sqlite_utils.Database) -> None:
    """Requests under the rights of access, rectification, cancellation and opposition (ARCO),
    the corrections made to registered filings, and the restrictions a cancellation or an
    opposition puts on them.

    ``arco_requests``: one row per request, keyed by whom it is about (``subject_kind``:
    ``curp``, ``rfc`` or ``nombre``; ``subject``: the normalised CURP, RFC or name words). It is
    ``pendiente`` until resolved, then ``resuelta`` with whether it was granted and the
    resolution's text (for a cancellation: what could not be deleted and until when).

    ``corrections``: a registered filing is never edited in place (its row is what the acuse's
    cadena original and the sync manifest were made from); a correction is a row saying which
    field, from what, to what, why, who and when, written with its ``escrito_corregido`` event,
    whose hash it keeps. ``filing_restrictions``: a filing a cancellation or opposition could not
    delete (it is evidence the office must keep until ``keep_until``) is restricted to the uses
    the law still requires. Both are append-only, like the audit log.
    """
    _run(
        db,
        """
CREATE TABLE arco_requests (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL CHECK (kind IN ('acceso', 'rectificacion', 'cancelacion', 'oposicion')),
    subject_kind TEXT NOT NULL CHECK (subject_kind IN ('curp', 'rfc', 'nombre')),
    subject TEXT NOT NULL,
    requester TEXT NOT NULL,
    received_on TEXT NOT NULL,
    details TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'pendiente' CHECK (status IN ('pendiente', 'resuelta')),
    granted INTEGER CHECK (granted IN (0, 1)),
    resolution TEXT,
    resolved_at TEXT,
    resolved_by TEXT,
    recorded_at TEXT NOT NULL,
    actor TEXT NOT NULL,
    CHECK ((status = 'resuelta') = (resolved_at IS NOT NULL))
);
CREATE INDEX arco_requests_subject ON arco_requests (subject_kind, subject);
CREATE TABLE corrections (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    filing_uuid TEXT NOT NULL REFERENCES filings (uuid),
    field TEXT NOT NULL,
    value_before TEXT,
    value_after TEXT,
    reason TEXT NOT NULL,
    arco_request_id INTEGER REFERENCES arco_requests (id),
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    event_hash TEXT NOT NULL
);
CREATE INDEX corrections_filing ON corrections (filing_uuid, id);
CREATE INDEX corrections_value ON corrections (field, value_after);
CREATE TRIGGER corrections_no_update BEFORE UPDATE ON corrections
BEGIN SELECT RAISE(ABORT, 'las correcciones solo admiten anexar'); END;
CREATE TRIGGER corrections_no_delete BEFORE DELETE ON corrections
BEGIN SELECT RAISE(ABORT, 'las correcciones solo admiten anexar'); END;
CREATE TABLE filing_restrictions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    filing_uuid TEXT NOT NULL REFERENCES filings (uuid),
    arco_request_id INTEGER NOT NULL REFERENCES arco_requests (id),
    kind TEXT NOT NULL CHECK (kind IN ('cancelacion', 'oposicion')),
    keep_until TEXT NOT NULL,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    event_hash TEXT NOT NULL
);
CREATE INDEX filing_restrictions_filing ON filing_restrictions (filing_uuid, id);
CREATE TRIGGER filing_restrictions_no_update BEFORE UPDATE ON filing_restrictions
BEGIN SELECT RAISE(ABORT, 'las restricciones solo admiten anexar'); END;
CREATE TRIGGER filing_restrictions_no_delete BEFORE DELETE ON filing_restrictions
BEGIN SELECT RAISE(ABORT, 'las restricciones solo admiten anexar'); END
""",
    )


@migration
def m011_retention(db: sqlite_utils.Database) -> None:
    """Local copies removed once their retention period ended and the state backend holds them:
    ``blobs.removed_at`` says when the file went (the row, its hash and size stay, so the
    register and the audit still name it and ``store check`` knows not to look for it)."""
    db.execute("ALTER TABLE blobs ADD COLUMN removed_at TEXT")


def applied(db: sqlite_utils.Database) -> set[str]:
    if "_migrations" not in db.table_names():
        return set()
    return {row["name"] for row in db.query("SELECT name FROM _migrations")}


def pending(db: sqlite_utils.Database) -> list[Migration]:
    done = applied(db)
    return [m for m in MIGRATIONS if m.name not in done]


def migrate(db: sqlite_utils.Database, database_path: Path) -> list[str]:
    """Apply pending migrations, each in its own transaction; return the names applied."""
    todo = pending(db)
    if not todo:
        return []
    if db.table_names():
        backup(db, database_path, before=todo[0].name)
    db.execute(
        "CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)"
    )
    names = []
    for step in todo:
        with immediate(db):
            # Another process may have applied it while we waited for the lock.
            if step.name in applied(db):
                continue
            step.apply(db)
            db.execute(
                "INSERT INTO _migrations (name, applied_at) VALUES (?, ?)",
                [step.name, datetime.now(UTC).isoformat()],
            )
        names.append(step.name)
    return names


def backup(db: sqlite_utils.Database, database_path: Path, *, before: str) -> Path:
    """A consistent copy through SQLite's online backup API (safe with WAL and other readers)."""
    folder = database_path.parent / "backups"
    folder.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    target = folder / f"{database_path.stem}-{stamp}-antes-de-{before}.sqlite3"
    destination = sqlite3.connect(str(target))
    try:
        db.conn.backup(destination)
    finally:
        destination.close()
    return target
