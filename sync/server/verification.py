"""Checking an acuse for the public verification page: the lookup and the per-client rate limit.

FastAPI-free (the page itself is :mod:`sync.server.verify_page`). The acuse's QR carries the
counter's folio and the SHA-256 of its cadena original; the backend has both in every filing's
manifest (``folio``, ``cadena_digest``). An answer says only what the acuse itself shows in
public: reception time, office, institutional folio and status — never the sender or the
subject. An unknown folio and a wrong digest look the same to the caller, so the page cannot be
used to learn which folios exist.

The rate limit's counters live in the database, not in a process, so the limit holds however many
workers serve the page: one row per client and time window, bumped by a single upsert.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sync import protocol
from sync.server.sql import Connection

ENV_LIMIT = "OFICIALIA_VERIFY_LIMIT"
ENV_WINDOW = "OFICIALIA_VERIFY_WINDOW_SECONDS"
ENV_CLIENT_HEADER = "OFICIALIA_VERIFY_CLIENT_HEADER"
DIGEST_CHARS = 64
# A hand-typed check may stop after this many characters of the digest: 64 bits, far beyond
# what the rate limit lets anyone guess, and much kinder to type on a phone than 64.
MIN_CODE_CHARS = 16
MAX_FOLIO_CHARS = 120
# Compared against when the folio is unknown, so both neutral cases do the same work.
_NO_DIGEST = "0" * DIGEST_CHARS


@dataclass(frozen=True)
class VerifyPageConfig:
    limit: int = 60  # lookups per client per window
    window_seconds: int = 600
    # The header a trusted reverse proxy puts the client's address in (e.g. X-Forwarded-For);
    # empty: the peer address. Set it only when every request comes through that proxy, or a
    # client could write the header itself and dodge the limit.
    client_header: str = ""

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> VerifyPageConfig:
        values = os.environ if environ is None else environ
        return cls(
            limit=_positive(values, ENV_LIMIT, cls.limit),
            window_seconds=_positive(values, ENV_WINDOW, cls.window_seconds),
            client_header=values.get(ENV_CLIENT_HEADER, "").strip().lower(),
        )


def _positive(values: Mapping[str, str], name: str, default: int) -> int:
    text = values.get(name, "").strip()
    if not text:
        return default
    if not text.isdigit() or int(text) < 1:
        raise ValueError(f"{name} debe ser un número entero mayor que cero (vale «{text}»).")
    return int(text)


@dataclass(frozen=True)
class VerifiedAcuse:
    folio: str
    received_at: datetime  # with the counter's UTC offset, as the acuse prints it
    office_code: str
    office_name: str
    institutional_folio: str
    status: str  # one of protocol.SERVER_STATUSES


@dataclass(frozen=True)
class RateDecision:
    allowed: bool
    retry_after_seconds: int  # until one more lookup would be allowed (when refused)


def _folio_expression(dialect: str) -> str:
    # The counter folio sits inside the stored manifest (TEXT on both engines); the expression
    # index of migration m004_verification_page makes the lookup a seek, as long as this spells
    # the expression exactly like the index does.
    if dialect == "sqlite":
        return "json_extract(manifest, '$.folio')"
    return "((manifest::jsonb) ->> 'folio')"


def folio_lookup_sql(dialect: str) -> str:
    return (
        "SELECT uuid, office, institutional_folio, manifest FROM filings "
        f"WHERE {_folio_expression(dialect)} = ?"
    )


def normalized_code(text: str) -> str | None:
    """The digest as typed or scanned: spaces and case ignored; None unless 16 to 64 hex
    characters."""
    code = "".join(text.split()).lower()
    if not MIN_CODE_CHARS <= len(code) <= DIGEST_CHARS:
        return None
    if any(c not in "0123456789abcdef" for c in code):
        return None
    return code


def lookup(connection: Connection, folio: str, code: str) -> VerifiedAcuse | None:
    """The acuse with this counter folio whose cadena digest starts with ``code`` (already
    :func:`normalized_code`), or None. Compared in constant time; an unknown folio runs the same
    comparison and the same status query as a wrong digest."""
    rows = connection.execute(folio_lookup_sql(connection.dialect), (folio,)).fetchall()
    match = None
    for row in rows or [None]:
        manifest = json.loads(row["manifest"]) if row is not None else {}
        stored = manifest.get("cadena_digest") or _NO_DIGEST
        if hmac.compare_digest(stored[: len(code)].encode(), code.encode()) and row is not None:
            match = (row, manifest)
    status = _latest_status(connection, match[0]["uuid"] if match else "")
    if match is None:
        return None
    row, manifest = match
    return VerifiedAcuse(
        folio=folio,
        received_at=datetime.fromisoformat(manifest["received_at"]),
        office_code=row["office"],
        office_name=_office_name(connection, row["office"]),
        institutional_folio=row["institutional_folio"],
        status=status,
    )


def _latest_status(connection: Connection, filing_uuid: str) -> str:
    row = connection.execute(
        "SELECT status FROM changes WHERE filing_uuid = ? ORDER BY cursor DESC LIMIT 1",
        (filing_uuid,),
    ).fetchone()
    return str(row["status"]) if row is not None else protocol.SERVER_STATUSES[0]


def _office_name(connection: Connection, office: str) -> str:
    row = connection.execute("SELECT items FROM catalogs WHERE name = ?", ("offices",)).fetchone()
    for item in json.loads(row["items"]) if row is not None else []:
        if isinstance(item, dict) and item.get("code") == office:
            return str(item.get("name") or office)
    return office


def client_key(peer: str | None, headers: Mapping[str, str], config: VerifyPageConfig) -> str:
    """Whom the limit counts: the peer address, or the proxy's header when one is trusted (its
    last entry: the one our proxy appended, not what the client sent before it). An IPv6 client
    counts by its /64, which one household or phone can vary at will."""
    address = peer or ""
    if config.client_header:
        forwarded = headers.get(config.client_header, "")
        address = forwarded.split(",")[-1].strip() or address
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address[:100] or "desconocido"
    if parsed.version == 6:
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed)


def count_hit(
    connection: Connection, client: str, now: datetime, config: VerifyPageConfig
) -> RateDecision:
    """Count one lookup by ``client`` and refuse past the limit, over a sliding window: the
    current fixed window's hits plus the previous one's, weighted by how much of it still lies
    within the last ``window_seconds`` (so a burst at a window's end and another at the next
    one's start cannot reach twice the limit)."""
    moment = int(now.timestamp())
    size = config.window_seconds
    window = moment - moment % size

    def bump(tx: Connection) -> tuple[int, int]:
        hits = int(
            tx.execute(
                "INSERT INTO verification_hits (client, window_start, hits) VALUES (?, ?, 1) "
                "ON CONFLICT (client, window_start) DO UPDATE "
                "SET hits = verification_hits.hits + 1 RETURNING hits",
                (client, window),
            ).fetchone()[0]
        )
        if hits == 1:  # a client's first lookup in a window sweeps the windows no one weighs
            tx.execute("DELETE FROM verification_hits WHERE window_start < ?", (window - size,))
        previous = tx.execute(
            "SELECT hits FROM verification_hits WHERE client = ? AND window_start = ?",
            (client, window - size),
        ).fetchone()
        return hits, int(previous[0]) if previous else 0

    hits, previous = connection.write(bump)
    elapsed = moment - window
    if hits + previous * (size - elapsed) / size <= config.limit:
        return RateDecision(allowed=True, retry_after_seconds=0)
    return RateDecision(False, _seconds_to_room(hits, previous, elapsed, size, config.limit))


def _seconds_to_room(hits: int, previous: int, elapsed: int, size: int, limit: int) -> int:
    """When one more lookup would be allowed: later in this window, once the previous window's
    weight has fallen enough, or else in the next one, once this window's has."""
    room = limit - hits - 1
    if room >= 0 and previous > 0:
        return max(1, math.ceil(size - room * size / previous - elapsed))
    in_next = size * (1 - (limit - 1) / hits) if hits else 0.0
    return max(1, math.ceil(size - elapsed + max(0.0, in_next)))
