"""Are we online? Only ``GET /v1/ping`` answering as the backend says so.

A captive portal answers 200 with HTML, a hotel proxy answers with a redirect: both are offline.
The ping also carries the server's time; a local clock more than two minutes off is reported
(the acuse's time decides legal deadlines, so the clerk must know).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlite_utils

from mailroom.store import Store
from sync import protocol
from sync.errors import Offline
from sync.transport import Transport, retry_after_seconds

MAX_SKEW_SECONDS = 120


@dataclass(frozen=True)
class Connectivity:
    online: bool
    checked_at: datetime
    reason: str = ""
    server_time: str | None = None
    clock_skew_seconds: int | None = None  # local minus server; positive = local clock ahead
    retry_after: float | None = None  # a 503/429 ping said when to come back

    def offline_wait(self, interval: float) -> float:
        """How long to stay away: the offline interval, never less than the server asked."""
        return max(interval, self.retry_after or 0.0)

    @property
    def skewed(self) -> bool:
        return (
            self.clock_skew_seconds is not None and abs(self.clock_skew_seconds) > MAX_SKEW_SECONDS
        )


def ping(transport: Transport, now: datetime) -> Connectivity:
    try:
        response = transport.request("GET", f"{protocol.API_PREFIX}/ping", authenticated=False)
    except Offline as error:
        return Connectivity(False, now, error.message)
    if response.status_code != 200:
        where = response.headers.get("Location")
        reason = f"el servidor respondió {response.status_code}" + (
            f" (redirige a {where}: ¿portal de acceso a la red?)" if where else ""
        )
        return Connectivity(
            False, now, reason, retry_after=retry_after_seconds(response.headers.get("Retry-After"))
        )
    try:
        body = response.json() if "json" in response.headers.get("Content-Type", "") else None
    except ValueError:
        body = None
    if not isinstance(body, dict) or body.get("service") != protocol.SERVICE_NAME:
        return Connectivity(
            False, now, "la respuesta no es del servidor estatal (¿portal de acceso a la red?)"
        )
    server_time = body.get("server_time")
    skew = None
    if isinstance(server_time, str):
        try:
            skew = round((now - datetime.fromisoformat(server_time)).total_seconds())
        except (ValueError, TypeError):
            server_time = None
    return Connectivity(True, now, "", server_time, skew)


def record(store: Store, state: Connectivity) -> None:
    def work(db: sqlite_utils.Database) -> None:
        db.execute(
            "INSERT INTO sync_health (id, checked_at, online, offline_reason, server_time, "
            "clock_skew_seconds, last_online_at) VALUES (1, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (id) DO UPDATE SET checked_at = excluded.checked_at, "
            "online = excluded.online, offline_reason = excluded.offline_reason, "
            "server_time = coalesce(excluded.server_time, server_time), "
            "clock_skew_seconds = coalesce(excluded.clock_skew_seconds, clock_skew_seconds), "
            "last_online_at = coalesce(excluded.last_online_at, last_online_at)",
            [
                state.checked_at.isoformat(),
                int(state.online),
                state.reason or None,
                state.server_time,
                state.clock_skew_seconds,
                state.checked_at.isoformat() if state.online else None,
            ],
        )

        if state.skewed:
            # The acuses of filings not yet delivered carry local times the backend may read
            # against its own clock: note how far off we were (the first skew seen is kept).
            db.execute(
                "UPDATE filings SET clock_skew_seconds = ? WHERE clock_skew_seconds IS NULL "
                "AND uuid IN (SELECT filing_uuid FROM outbox WHERE state != 'sincronizada')",
                [state.clock_skew_seconds],
            )

    store.write(work)
