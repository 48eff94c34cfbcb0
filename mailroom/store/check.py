"""A full health check of an installation: SQLite integrity, gap-free folios, every referenced
file present with its hash, every filing with its acuse, and the audit chain. Optionally sweeps
orphaned files.

A file that retention removed (``blobs.removed_at``, see :mod:`mailroom.retention`) is not looked
for; one that is gone without that mark is still reported missing."""

from __future__ import annotations

from dataclasses import dataclass

import sqlite_utils

from mailroom import audit
from mailroom.store import BlobStore, Store

REFERENCED_BLOBS = """
    SELECT sha256 FROM documents UNION SELECT searchable_pdf_sha256 FROM documents
    UNION SELECT image_sha256 FROM pages UNION SELECT page_pdf_sha256 FROM pages
    UNION SELECT sha256 FROM blobs
    UNION SELECT unsealed_sha256 FROM acuses UNION SELECT sealed_sha256 FROM acuses
"""


@dataclass(frozen=True)
class StoreReport:
    sqlite_integrity: str
    filings: int
    folio_problems: tuple[str, ...]
    blobs_checked: int
    bad_blobs: tuple[str, ...]
    audit: audit.AuditReport
    swept: tuple[str, ...] = ()
    acuse_problems: tuple[str, ...] = ()
    account_problems: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return (
            self.sqlite_integrity == "ok"
            and not self.folio_problems
            and not self.bad_blobs
            and not self.acuse_problems
            and not self.account_problems
            and self.audit.ok
        )


def referenced_blobs(db: sqlite_utils.Database) -> set[str]:
    return {row[0] for row in db.execute(REFERENCED_BLOBS) if row[0]}


def removed_blobs(db: sqlite_utils.Database) -> set[str]:
    """Files retention removed on purpose (their rows, hashes and audit events stay)."""
    return {row[0] for row in db.execute("SELECT sha256 FROM blobs WHERE removed_at IS NOT NULL")}


def folio_problems(db: sqlite_utils.Database) -> list[str]:
    problems = []
    for row in db.query("SELECT device, year, last_seq FROM folio_sequences ORDER BY device, year"):
        seqs = [
            r[0]
            for r in db.execute(
                "SELECT seq FROM filings WHERE device = ? AND year = ? ORDER BY seq",
                [row["device"], row["year"]],
            )
        ]
        expected = list(range(1, row["last_seq"] + 1))
        if seqs != expected:
            missing = sorted(set(expected) - set(seqs))[:5]
            problems.append(
                f"equipo {row['device']}, {row['year']}: la numeración no es "
                f"continua (faltan {missing or 'ninguno'}, hay {len(seqs)} de "
                f"{row['last_seq']})"
            )
    return problems


def acuse_problems(db: sqlite_utils.Database, blobs: BlobStore) -> list[str]:
    """Every filing has its acuse row (written in the registration transaction), and every
    acuse's PDFs are present with their hash."""
    problems = [
        f"el escrito {row[0]} no tiene acuse guardado"
        for row in db.execute(
            "SELECT f.folio FROM filings f LEFT JOIN acuses a ON a.filing_uuid = f.uuid "
            "WHERE a.filing_uuid IS NULL ORDER BY f.rowid"
        )
    ]
    query = "SELECT f.folio, a.unsealed_sha256, a.sealed_sha256 FROM acuses a " + (
        "JOIN filings f ON f.uuid = a.filing_uuid ORDER BY f.rowid"
    )
    for folio, unsealed, sealed in db.execute(query):
        for sha, what in ((unsealed, "sin sello"), (sealed, "sellado")):
            if sha and not blobs.verify(sha):
                problems.append(f"falta o está alterado el PDF {what} del acuse de {folio}")
    return problems


def check_store(
    store: Store, *, sweep: bool = False, sweep_older_than_seconds: float = 3600
) -> StoreReport:
    db = store.reader()
    integrity = db.execute("PRAGMA integrity_check").fetchone()[0]
    referenced = referenced_blobs(db)
    expected = referenced - removed_blobs(db)
    bad = tuple(sorted(sha for sha in expected if not store.blobs.verify(sha)))
    swept = (
        tuple(store.blobs.sweep_orphans(referenced, older_than_seconds=sweep_older_than_seconds))
        if sweep
        else ()
    )
    return StoreReport(
        sqlite_integrity=integrity,
        filings=db.execute("SELECT count(*) FROM filings").fetchone()[0],
        folio_problems=tuple(folio_problems(db)),
        blobs_checked=len(expected),
        bad_blobs=bad,
        audit=audit.verify_chain(db),
        swept=swept,
        acuse_problems=tuple(acuse_problems(db, store.blobs)),
        account_problems=tuple(account_problems(db)),
    )


def account_problems(db: sqlite_utils.Database) -> list[str]:
    """Accounts whose row disagrees with the state their audit events recorded: a role, the
    titular mark or the active flag changed behind the application (``mailroom.permissions``
    refuses such an account anything until its row is put back)."""
    from mailroom.permissions import recorded_state

    problems = []
    for name, role, active, titular in db.execute(
        "SELECT user_name, role, active, titular FROM accounts ORDER BY user_name"
    ).fetchall():
        state = recorded_state(db, name)
        if state is None:
            problems.append(f"la cuenta «{name}» no tiene su alta en la bitácora")
            continue
        recorded = (state.get("rol"), bool(state.get("activa")), bool(state.get("titular")))
        if recorded != (role, bool(active), bool(titular)):
            problems.append(
                f"la cuenta «{name}» dice rol {role}, "
                f"{'activa' if active else 'desactivada'}"
                f"{', titular' if titular else ''}; la bitácora, rol {recorded[0]}, "
                f"{'activa' if recorded[1] else 'desactivada'}"
                f"{', titular' if recorded[2] else ''}"
            )
    return problems
