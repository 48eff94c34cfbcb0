"""The append-only, hash-chained audit log.

Each event's hash covers its sequence number, time, actor, kind, filing, payload and the previous
event's hash, so editing, deleting or reordering any past event breaks every link after it. SQLite
triggers refuse UPDATE and DELETE on ``events``; the chain is what catches someone who edits the
file with other tools. (Cutting events off the end is only detectable against a copy of the head
held elsewhere — the backend's receipts will be that anchor.)
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlite_utils

GENESIS = "0" * 64


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def event_hash(
    *, seq: int, at: str, actor: str, kind: str, filing_id: str | None, payload: str, prev_hash: str
) -> str:
    material = canonical_json([seq, at, actor, kind, filing_id, payload, prev_hash])
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


def append_event(
    db: sqlite_utils.Database,
    *,
    at: datetime,
    actor: str,
    kind: str,
    filing_id: str | None,
    payload: dict[str, Any],
) -> str:
    """Append inside the caller's write transaction (which serialises the chain)."""
    if not db.conn.in_transaction:
        raise RuntimeError("audit events are appended inside the transaction of their change")
    last = db.execute("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1").fetchone()
    seq, prev_hash = (last[0] + 1, last[1]) if last else (1, GENESIS)
    payload_text = canonical_json(payload)
    at_text = at.isoformat()
    digest = event_hash(
        seq=seq,
        at=at_text,
        actor=actor,
        kind=kind,
        filing_id=filing_id,
        payload=payload_text,
        prev_hash=prev_hash,
    )
    db.execute(
        "INSERT INTO events (seq, at, actor, kind, filing_uuid, payload, prev_hash, hash) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [seq, at_text, actor, kind, filing_id, payload_text, prev_hash, digest],
    )
    return digest


@dataclass(frozen=True)
class AuditReport:
    ok: bool
    events_checked: int
    head: str
    first_bad_seq: int | None = None
    problem: str | None = None


def verify_chain(db: sqlite_utils.Database) -> AuditReport:
    prev_hash, expected_seq, count = GENESIS, 1, 0
    for row in db.query("SELECT * FROM events ORDER BY seq"):
        count += 1
        seq = row["seq"]
        if seq != expected_seq:
            return AuditReport(
                False,
                count,
                prev_hash,
                seq,
                f"falta el evento {expected_seq} (la secuencia salta a {seq})",
            )
        if row["prev_hash"] != prev_hash:
            return AuditReport(
                False, count, prev_hash, seq, f"el evento {seq} no enlaza con el anterior"
            )
        recomputed = event_hash(
            seq=seq,
            at=row["at"],
            actor=row["actor"],
            kind=row["kind"],
            filing_id=row["filing_uuid"],
            payload=row["payload"],
            prev_hash=row["prev_hash"],
        )
        if recomputed != row["hash"]:
            return AuditReport(
                False,
                count,
                prev_hash,
                seq,
                f"el evento {seq} ({row['kind']}) fue alterado después de registrarse",
            )
        prev_hash, expected_seq = row["hash"], seq + 1
    return AuditReport(True, count, prev_hash)
