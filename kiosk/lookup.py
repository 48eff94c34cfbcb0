"""What became of a filing, for the citizen who holds its receipt.

Folios are sequential, so a folio alone must reveal nothing: the kiosk answers only to the folio
together with the receipt's check code (typed) or to the receipt's QR (held to the camera or laid
on the scanner), which carries the acuse's cadena digest. The check code is derived from that
digest, which depends on the filing's random id and is never shown on screen, so neither can be
guessed from a folio. Qt-free; reads the local store.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import sqlite_utils

from kiosk.wording import QT_TRANSLATE_NOOP, refusal
from mailroom.errors import NotFound
from mailroom.models import STATUS_LABELS, FilingStatus
from mailroom.receipt.acuse import verification_url

CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
"""Crockford's base 32: no I, L, O or U, which a citizen would confuse with 1, 0 and V."""

_BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
_TYPO = str.maketrans({"I": "1", "L": "1", "O": "0", "U": "V"})

NOT_FOUND = QT_TRANSLATE_NOOP(
    "FilingLookup",
    "No encontramos un trámite con ese folio y ese código. Revise los dos en su ticket "
    "o pregunte en ventanilla.",
)
NOT_FOUND_MESSAGE = NOT_FOUND.source
LOOKUP_FAILED = QT_TRANSLATE_NOOP(
    "FilingLookup",
    "No pudimos buscar su trámite en este momento. Inténtelo más tarde o pregunte en ventanilla.",
)
STATUS_WORDS = (
    QT_TRANSLATE_NOOP("FilingStatus", "borrador"),
    QT_TRANSLATE_NOOP("FilingStatus", "registrada"),
    QT_TRANSLATE_NOOP("FilingStatus", "turnada"),
    QT_TRANSLATE_NOOP("FilingStatus", "recibida por el área"),
    QT_TRANSLATE_NOOP("FilingStatus", "en trámite"),
    QT_TRANSLATE_NOOP("FilingStatus", "atendida"),
    QT_TRANSLATE_NOOP("FilingStatus", "archivada"),
    QT_TRANSLATE_NOOP("FilingStatus", "cancelada"),
)
"""``mailroom.models.STATUS_LABELS`` in the catalogue: the result screen shows them translated."""
NOT_OURS = QT_TRANSLATE_NOOP(
    "FilingLookup", "Ese código QR no es de un acuse de esta oficina. Use el QR de su ticket."
)


@dataclass(frozen=True)
class FilingLookup:
    folio: str
    status: str
    """The status in words ("registrada", "en trámite"…)."""
    department: str
    last_change: datetime
    institutional_folio: str | None
    last_sync: datetime | None
    note: str = ""


def check_code(cadena_digest: str) -> str:
    """Eight characters, ``7KQ2-M9XA``: 40 bits from the acuse's cadena digest."""
    digest = hashlib.sha256(f"consulta:{cadena_digest}".encode()).digest()
    letters = base64.b32encode(digest[:5]).decode()
    code = "".join(CODE_ALPHABET[_BASE32.index(c)] for c in letters)
    return f"{code[:4]}-{code[4:]}"


def normalized_code(typed: str) -> str:
    """What the citizen typed, as printed: upper case, the hyphen back, look-alikes fixed."""
    raw = "".join(ch for ch in typed.upper() if ch.isalnum()).translate(_TYPO)
    return f"{raw[:4]}-{raw[4:]}" if len(raw) == 8 else raw


def status_url(base_url: str, folio: str, cadena_digest: str) -> str:
    """The receipt's QR: the acuse's own verification address."""
    return verification_url(base_url, folio, cadena_digest)


def parse_status_url(text: str) -> tuple[str, str]:
    """``(folio, cadena_digest)`` from a receipt's QR, or ``InvalidInput``."""
    query = parse_qs(urlsplit(text.strip()).query)
    folio = (query.get("folio") or [""])[0]
    digest = (query.get("digest") or [""])[0]
    if not folio or len(digest) != 64:
        raise refusal(NOT_OURS, "qr")
    return folio, digest


def find_by_code(db: sqlite_utils.Database, folio: str, code: str) -> FilingLookup:
    row = _acuse_row(db, folio.strip().upper())
    if row is None or not hmac.compare_digest(
        check_code(row["cadena_digest"]), normalized_code(code)
    ):
        raise NotFound(NOT_FOUND_MESSAGE, wording=NOT_FOUND)
    return _lookup(db, row)


def find_by_qr(db: sqlite_utils.Database, text: str) -> FilingLookup:
    folio, digest = parse_status_url(text)
    row = _acuse_row(db, folio)
    if row is None or not hmac.compare_digest(row["cadena_digest"], digest):
        raise NotFound(NOT_FOUND_MESSAGE, wording=NOT_FOUND)
    return _lookup(db, row)


def _acuse_row(db: sqlite_utils.Database, folio: str) -> dict[str, Any] | None:
    return next(
        db.query(
            "SELECT f.uuid, f.folio, f.status, f.received_at, f.institutional_folio, "
            "a.cadena_digest FROM filings f JOIN acuses a ON a.filing_uuid = f.uuid "
            "WHERE upper(f.folio) = ?",
            [folio.upper()],
        ),
        None,
    )


def _lookup(db: sqlite_utils.Database, row: dict[str, Any]) -> FilingLookup:
    uuid = str(row["uuid"])
    server = next(
        db.query(
            "SELECT status, note, changed_at FROM filing_server_status WHERE filing_uuid = ?",
            [uuid],
        ),
        None,
    )
    last_event = db.execute("SELECT max(at) FROM events WHERE filing_uuid = ?", [uuid]).fetchone()[
        0
    ]
    changes = [str(last_event or row["received_at"])]
    if server is not None and server["changed_at"]:
        changes.append(server["changed_at"])
    health = next(db.query("SELECT last_success_at FROM sync_health WHERE id = 1"), {})
    status = FilingStatus(str(row["status"]))
    return FilingLookup(
        folio=str(row["folio"]),
        status=_status_words(status, server),
        department=_department(db, uuid),
        last_change=max(datetime.fromisoformat(c) for c in changes),
        institutional_folio=row["institutional_folio"] or None,
        last_sync=_moment(health.get("last_success_at")),
        note=str(server["note"]) if server else "",
    )


def _status_words(status: FilingStatus, server: dict[str, Any] | None) -> str:
    if server is not None and server["status"]:
        return str(server["status"]).replace("_", " ")
    return STATUS_LABELS[status]


def _department(db: sqlite_utils.Database, uuid: str) -> str:
    routed = db.execute(
        "SELECT area FROM filing_routes WHERE filing_uuid = ? AND role = 'directo' "
        "ORDER BY id DESC LIMIT 1",
        [uuid],
    ).fetchone()
    if routed:
        return str(routed[0])
    addressed = db.execute(
        "SELECT area FROM filing_addressees WHERE filing_uuid = ? ORDER BY role = 'copia', rowid "
        "LIMIT 1",
        [uuid],
    ).fetchone()
    return str(addressed[0]) if addressed else "Oficialía de Partes"


def _moment(value: object) -> datetime | None:
    return datetime.fromisoformat(str(value)) if value else None
