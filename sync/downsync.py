"""What the backend tells us: catalogs (with ETags) and the changes feed of our filings' status.

Each catalog is replaced whole in one transaction; each page of changes is applied in one
transaction together with the cursor that follows it, so a crash never skips nor repeats a change.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

import sqlite_utils

from mailroom import audit
from mailroom.models import FilingStatus
from mailroom.store import Store
from sync import protocol
from sync.errors import Offline
from sync.transport import Transport, error_for, json_body

MAX_CHANGE_PAGES = 50
# The department's statuses in the backend's words -> the filing's status here.
LOCAL_STATUS = {
    "recibida": FilingStatus.RECIBIDA_POR_AREA,
    "turnada": FilingStatus.TURNADA,
    "en_tramite": FilingStatus.EN_TRAMITE,
    "atendida": FilingStatus.ATENDIDA,
    "cancelada": FilingStatus.CANCELADA,
}


@dataclass(frozen=True)
class DownSyncResult:
    catalogs_changed: tuple[str, ...]
    catalogs_unchanged: tuple[str, ...]
    changes_applied: int
    cursor: str


def pull_catalog(store: Store, transport: Transport, name: str, now: datetime) -> bool:
    """Fetch one catalog; True if it changed (200), False if the server said 304."""
    row = store.reader().execute("SELECT etag FROM catalogs WHERE name = ?", [name]).fetchone()
    headers = {"If-None-Match": row[0]} if row and row[0] else {}
    response = transport.request("GET", f"{protocol.API_PREFIX}/catalogs/{name}", headers=headers)
    if response.status_code == 304:
        return False
    if response.status_code != 200:
        raise error_for(response, f"descargar el catálogo {name}")
    body = json_body(response)
    items = body.get("items")
    if not isinstance(items, list):
        raise Offline(f"El catálogo {name} llegó sin la lista «items».")
    etag = response.headers.get("ETag")

    def apply(db: sqlite_utils.Database) -> None:
        db.execute("DELETE FROM catalog_items WHERE catalog = ?", [name])
        db.execute(
            "INSERT INTO catalogs (name, etag, fetched_at, body) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (name) DO UPDATE SET etag = excluded.etag, "
            "fetched_at = excluded.fetched_at, body = excluded.body",
            [name, etag, now.isoformat(), json.dumps(body, ensure_ascii=False)],
        )
        for item in items:
            code, label = _code_and_name(item)
            db.execute(
                "INSERT OR REPLACE INTO catalog_items (catalog, code, name, data) "
                "VALUES (?, ?, ?, ?)",
                [name, code, label, json.dumps(item, ensure_ascii=False, sort_keys=True)],
            )

    store.write(apply)
    return True


def catalog_items(db: sqlite_utils.Database, name: str) -> list[dict[str, Any]]:
    return [
        json.loads(r["data"])
        for r in db.query("SELECT data FROM catalog_items WHERE catalog = ? ORDER BY code", [name])
    ]


def pull_changes(store: Store, transport: Transport, now: datetime) -> tuple[int, str]:
    """Apply the changes feed from the stored cursor; returns (changes applied, new cursor)."""
    applied = 0
    cursor = store.reader().execute("SELECT changes_cursor FROM sync_device").fetchone()[0]
    for _ in range(MAX_CHANGE_PAGES):
        response = transport.request(
            "GET", f"{protocol.API_PREFIX}/changes", params={"since": cursor} if cursor else None
        )
        if response.status_code != 200:
            raise error_for(response, "consultar los cambios de estado")
        body = json_body(response)
        changes = body.get("changes") or []
        following = str(body.get("next", cursor))
        if not changes or following == cursor:
            return applied, cursor
        applied += store.write(partial(_apply_changes, changes=changes, cursor=following, now=now))
        cursor = following
    return applied, cursor


def _apply_changes(
    db: sqlite_utils.Database, *, changes: list[dict[str, Any]], cursor: str, now: datetime
) -> int:
    count = 0
    for change in changes:
        uuid = str(change.get("filing_uuid", ""))
        status = str(change.get("status", ""))
        known = db.execute("SELECT 1 FROM filings WHERE uuid = ?", [uuid]).fetchone()
        if not known or status not in protocol.SERVER_STATUSES:
            continue  # another device's filing, or a status this version does not know
        note = str(change.get("note", ""))
        db.execute(
            "INSERT INTO filing_server_status (filing_uuid, status, note, changed_at, received_at) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (filing_uuid) DO UPDATE SET "
            "status = excluded.status, note = excluded.note, changed_at = excluded.changed_at, "
            "received_at = excluded.received_at",
            [uuid, status, note, change.get("at"), now.isoformat()],
        )
        db.execute("UPDATE filings SET status = ? WHERE uuid = ?", [LOCAL_STATUS[status], uuid])
        audit.append_event(
            db,
            at=now,
            actor="servidor",
            kind="estado_del_area",
            filing_id=uuid,
            payload={"status": status, "note": note, "at": change.get("at")},
        )
        count += 1
    db.execute("UPDATE sync_device SET changes_cursor = ? WHERE id = 1", [cursor])
    return count


def _code_and_name(item: Any) -> tuple[str, str]:
    if not isinstance(item, dict):
        return str(item), str(item)
    code = item.get("code", item.get("id", item.get("clave")))
    label = item.get("name", item.get("nombre", code))
    return str(code), str(label)
