"""The acuse de recibo: cadena original, digest, verification QR and the PDF (unsealed)."""

from __future__ import annotations

from mailroom.receipt.acuse import (
    DEFAULT_VERIFICATION_BASE_URL,
    Acuse,
    build_acuse,
    verification_url,
)
from mailroom.receipt.cadena import (
    CADENA_ORIGINAL_FIELD_NAMES,
    CADENA_ORIGINAL_FIELDS,
    cadena_original,
    digest,
)
from mailroom.receipt.layout import STAMP_BOX, UNSEALED_NOTICE

__all__ = [
    "CADENA_ORIGINAL_FIELDS",
    "CADENA_ORIGINAL_FIELD_NAMES",
    "DEFAULT_VERIFICATION_BASE_URL",
    "STAMP_BOX",
    "UNSEALED_NOTICE",
    "Acuse",
    "build_acuse",
    "cadena_original",
    "digest",
    "verification_url",
]
