"""Local folios: ``{office}-{year}-{device}-{seq:06d}`` by default.

Sequences are per device and year, so devices that register offline never collide. The number is
taken inside the registration transaction: if registration fails, the increment rolls back with it,
which keeps the sequence gap-free.
"""

from __future__ import annotations

import sqlite_utils

from mailroom.models import Folio


def format_folio(pattern: str, *, office: str, year: int, device: str, seq: int) -> Folio:
    return Folio(pattern.format(office=office, year=year, device=device, seq=seq))


def next_sequence(db: sqlite_utils.Database, *, device: str, year: int) -> int:
    """Take the next number; the caller holds the write transaction that registers the filing."""
    if not db.conn.in_transaction:
        raise RuntimeError("a folio can only be taken inside the registration transaction")
    row = db.execute(
        "INSERT INTO folio_sequences (device, year, last_seq) VALUES (?, ?, 1) "
        "ON CONFLICT (device, year) DO UPDATE SET last_seq = last_seq + 1 RETURNING last_seq",
        [device, year],
    ).fetchone()
    return int(row[0])
