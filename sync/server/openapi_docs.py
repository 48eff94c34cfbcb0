"""Request-body schemas for the OpenAPI document.

The routes read their bodies by hand (capped, and a blob chunk is raw bytes), so FastAPI cannot
infer them; these describe the contract for readers and for schema-driven testing.
"""

from __future__ import annotations

from typing import Any

from sync import protocol

SHA256 = {"type": "string", "pattern": "^[0-9a-f]{64}$"}
ERROR = {
    "type": "object",
    "required": ["error", "message"],
    "properties": {"error": {"type": "string"}, "message": {"type": "string"}},
}


def _json_body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {
        status: {
            "description": "error",
            "content": {"application/json": {"schema": ERROR}},
        }
        for status in statuses
    }


ENROLL_DOC = _json_body(
    {
        "type": "object",
        "required": ["token", "device_code"],
        "properties": {
            "token": {"type": "string"},
            "device_code": {"type": "string", "maxLength": 32},
            "name": {"type": "string", "maxLength": 200},
        },
    }
)

MISSING_DOC = _json_body(
    {
        "type": "object",
        "required": ["sha256"],
        "properties": {"sha256": {"type": "array", "items": SHA256, "maxItems": 1000}},
    }
)

BLOB_PUT_DOC: dict[str, Any] = {
    "parameters": [
        {
            "name": protocol.HEADER_CONTENT_RANGE,
            "in": "header",
            "required": True,
            "schema": {
                "type": "string",
                "pattern": "^bytes [0-9]+-[0-9]+/[0-9]+$",
                "example": "bytes 0-524287/1048576",
            },
        },
        {
            "name": protocol.HEADER_CHUNK_DIGEST,
            "in": "header",
            "required": True,
            "schema": SHA256,
        },
    ],
    "requestBody": {
        "required": True,
        "content": {
            "application/octet-stream": {
                "schema": {"type": "string", "format": "binary", "maxLength": protocol.MAX_CHUNK}
            }
        },
    },
}

DOCUMENT = {
    "type": "object",
    "required": ["ordinal", "filename", "mime", "sha256", "size", "page_count"],
    "properties": {
        "ordinal": {"type": "integer"},
        "filename": {"type": "string"},
        "mime": {"type": "string"},
        "sha256": SHA256,
        "size": {"type": "integer", "minimum": 0},
        "page_count": {"type": "integer", "minimum": 0},
    },
}

FILING_PUT_DOC: dict[str, Any] = {
    "parameters": [
        {
            "name": protocol.HEADER_IDEMPOTENCY_KEY,
            "in": "header",
            "required": True,
            "description": "el uuid del escrito",
            "schema": {"type": "string", "format": "uuid"},
        }
    ],
    **_json_body(
        {
            "type": "object",
            "required": ["uuid", "folio", "device", "office", "received_at", "documents", "blobs"],
            "properties": {
                "uuid": {"type": "string", "format": "uuid"},
                "folio": {"type": "string"},
                "device": {"type": "string"},
                "office": {"type": "string"},
                "received_at": {"type": "string", "format": "date-time"},
                "documents": {"type": "array", "items": DOCUMENT},
                "blobs": {"type": "array", "items": SHA256},
            },
            "additionalProperties": True,
        }
    ),
}
