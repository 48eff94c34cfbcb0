"""Build the acuse de recibo of a registered filing (``mailroom.acuses`` stores and seals it)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from mailroom.config import Settings
from mailroom.models import Filing
from mailroom.receipt import layout
from mailroom.receipt.cadena import cadena_original, digest

# The factory value of the ``acuse_verification_url`` setting (kept for callers that import it).
DEFAULT_VERIFICATION_BASE_URL = "https://verifica.example.gob.mx/acuse"


@dataclass(frozen=True)
class Acuse:
    pdf: bytes
    cadena_original: str  # "||field1|field2|...||", see CADENA_ORIGINAL_FIELDS
    digest: str  # SHA-256 hex of cadena_original (UTF-8)
    verification_url: str


def verification_url(base_url: str, folio: str, cadena_digest: str) -> str:
    """``{base}?folio=...&digest=...``, URL-encoded (a folio pattern may hold any character)."""
    query = urlencode({"folio": folio, "digest": cadena_digest})
    return f"{base_url}{'&' if '?' in base_url else '?'}{query}"


def build_acuse(
    filing: Filing,
    settings: Settings,
    *,
    verification_base_url: str | None = None,
    sealed: bool = False,
) -> Acuse:
    """The acuse PDF and its cadena original. ``sealed=False`` prints the "sin sello" notice;
    pass ``sealed=True`` only when the PDF is about to be sealed with the office e.firma, which
    will place its stamp in :data:`~mailroom.receipt.layout.STAMP_BOX` on the last page.

    The QR points at ``verification_base_url`` or, by default, the ``acuse_verification_url``
    setting."""
    cadena = cadena_original(filing, settings)
    cadena_digest = digest(cadena)
    base_url = verification_base_url or settings.acuse_verification_url
    url = verification_url(base_url, filing.folio, cadena_digest)
    pdf = layout.render(
        filing, settings, cadena=cadena, digest=cadena_digest, url=url, sealed=sealed
    )
    return Acuse(pdf=pdf, cadena_original=cadena, digest=cadena_digest, verification_url=url)
