"""The wire contract between a device (counter or kiosk) and the state backend.

Shared by the client (``sync.client``) and the reference backend (``sync.server``), so both sides
hash, sign and check exactly the same bytes. ``../shared/DESIGN.md`` ("Sync protocol") has the
table of calls; this module fixes the details:

* JSON bodies are UTF-8. Errors are ``{"error": code, "message": Spanish text}``.
* Every call but ``GET /v1/ping`` and ``POST /v1/devices/enroll`` carries
  ``Authorization: Bearer <device credential>``.
* Blob chunks: ``PUT /v1/blobs/{sha256}`` with ``Content-Range: bytes START-END/TOTAL`` (END
  inclusive) and ``Chunk-SHA256: <hex of the chunk>``. Answers: 202 + ``Upload-Offset`` (stored,
  more to come), 201 (complete, whole-blob hash checked), 409 + ``Upload-Offset`` (wrong START:
  resume from the offset), 422 (chunk digest or final hash wrong; nothing of it kept), 413 (chunk
  above :data:`MAX_CHUNK`).
* A filing is committed with ``PUT /v1/filings/{uuid}`` + ``Idempotency-Key: <uuid>`` and the
  manifest as body. The server answers with a :class:`Receipt` signed with its Ed25519 key, which
  the device pinned at enrolment; the device counts the filing as delivered only once
  :func:`verify_receipt` accepts it.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import asdict, dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

API_PREFIX = "/v1"
SERVICE_NAME = "oficialia-backend"  # what /v1/ping must say; a captive portal will not
PROTOCOL_VERSION = 1

HEADER_CONTENT_RANGE = "Content-Range"
HEADER_CHUNK_DIGEST = "Chunk-SHA256"
HEADER_UPLOAD_OFFSET = "Upload-Offset"
HEADER_IDEMPOTENCY_KEY = "Idempotency-Key"

MIN_CHUNK = 128 * 1024
DEFAULT_CHUNK = 512 * 1024
MAX_CHUNK = 4 * 1024 * 1024
# What the server accepts in one PUT: the largest chunk plus nothing.
MAX_REQUEST_CHUNK = MAX_CHUNK

CATALOGS = ("procedures", "departments", "offices")
# Filing statuses the changes feed may carry (the department's side of the story).
SERVER_STATUSES = ("recibida", "turnada", "en_tramite", "atendida", "cancelada")


def canonical_json(value: Any) -> bytes:
    """The one serialisation that is hashed and signed: sorted keys, no spaces, UTF-8."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(
        "utf-8"
    )


def manifest_sha256(manifest: dict[str, Any]) -> str:
    """Hex SHA-256 of the canonical manifest: "the same filing" means the same hash."""
    return hashlib.sha256(canonical_json(manifest)).hexdigest()


@dataclass(frozen=True)
class Receipt:
    """The backend's acknowledgement of one filing, identical on every replay."""

    filing_uuid: str
    institutional_folio: str
    office: str
    device_id: str
    manifest_sha256: str
    server_time: str  # ISO 8601 with offset: when the backend first committed the filing
    key_id: str  # which server key signed it (hex SHA-256 of the raw public key, first 16)
    signature: str = ""  # base64 Ed25519 over canonical_json(signed_fields())

    def signed_fields(self) -> dict[str, str]:
        fields = asdict(self)
        fields.pop("signature")
        return fields

    def to_dict(self) -> dict[str, str]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Receipt:
        names = {
            "filing_uuid",
            "institutional_folio",
            "office",
            "device_id",
            "manifest_sha256",
            "server_time",
            "key_id",
            "signature",
        }
        missing = names - set(data)
        if missing:
            raise ValueError(f"receipt lacks {sorted(missing)}")
        return cls(**{name: str(data[name]) for name in names})


def key_id(public_key: Ed25519PublicKey) -> str:
    return hashlib.sha256(public_key_raw(public_key)).hexdigest()[:16]


def public_key_raw(public_key: Ed25519PublicKey) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def public_key_from_b64(text: str) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(base64.b64decode(text, validate=True))


def sign_receipt(private_key: Ed25519PrivateKey, receipt: Receipt) -> Receipt:
    signature = private_key.sign(canonical_json(receipt.signed_fields()))
    return Receipt(**{**receipt.signed_fields(), "signature": base64.b64encode(signature).decode()})


def verify_receipt(public_key: Ed25519PublicKey, receipt: Receipt) -> bool:
    """Whether ``receipt`` was signed by ``public_key`` and not altered since."""
    try:
        signature = base64.b64decode(receipt.signature, validate=True)
        public_key.verify(signature, canonical_json(receipt.signed_fields()))
    except (InvalidSignature, ValueError):
        return False
    return receipt.key_id == key_id(public_key)


def error_body(code: str, message: str, **details: Any) -> dict[str, Any]:
    return {"error": code, "message": message, **details}


def parse_content_range(value: str) -> tuple[int, int, int]:
    """``bytes START-END/TOTAL`` -> (start, end_exclusive, total); ValueError if malformed."""
    unit, _, spec = value.strip().partition(" ")
    span, _, total_text = spec.partition("/")
    start_text, _, end_text = span.partition("-")
    if unit != "bytes" or not (
        start_text.isdigit() and end_text.isdigit() and total_text.isdigit()
    ):
        raise ValueError(f"malformed Content-Range: {value!r}")
    start, end, total = int(start_text), int(end_text) + 1, int(total_text)
    if not (0 <= start < end <= total):
        raise ValueError(f"inconsistent Content-Range: {value!r}")
    return start, end, total


def content_range(start: int, end_exclusive: int, total: int) -> str:
    return f"bytes {start}-{end_exclusive - 1}/{total}"
