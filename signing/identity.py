"""Who a SAT certificate belongs to: name, RFC, CURP, certificate number, validity, issuer.

SAT puts the RFC in x500UniqueIdentifier (2.5.4.45) and the CURP in serialNumber (2.5.4.5). A
company's certificate carries its representative too: ``RFC / RFC-representante`` and
`` / CURP-representante`` (a company has no CURP of its own, hence the empty left side).

Names are read with asn1crypto, not ``cryptography`` (see ``signing.certificate``): real SAT
certificates write accented names as TeletexString in Latin-1 (``COMPAÑIA`` in
00001000000413053762.cer) and AC6 writes UTF-8 bytes in a PrintableString, both of which
``cryptography`` refuses, and asn1crypto reads them once ``signing.asn1_workaround`` is applied
(importing ``signing`` does it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from signing.certificate import parse_certificate
from signing.errors import NotACertificate

# RFC lengths fixed by SAT: 4 letters + date + homoclave for people, 3 letters for companies.
_RFC_LENGTH_PERSON = 13
_RFC_LENGTH_COMPANY = 12


@dataclass(frozen=True)
class CertificateIdentity:
    name: str
    rfc: str
    curp: str | None
    representative_rfc: str | None
    representative_curp: str | None
    certificate_number: str  # SAT's 20-digit "número de certificado"
    not_before: datetime  # aware, UTC
    not_after: datetime  # aware, UTC
    issuer: str
    kind: str  # "fisica" | "moral"
    is_csd: bool  # a certificado de sello digital: has an OU; it is not an e.firma
    organizational_unit: str | None


def read_identity(certificate_der: bytes) -> CertificateIdentity:
    """Read the holder's identity from a SAT certificate; raises ``NotACertificate``."""
    certificate = parse_certificate(certificate_der)
    try:
        parsed = certificate.as_asn1()
        subject, issuer = parsed.subject.native, parsed.issuer.native
    except (ValueError, TypeError) as error:
        raise NotACertificate(
            "No se pudo leer el titular del certificado (.cer). Use el .cer de la e.firma que "
            "entregó el SAT.",
            reason=str(error),
        ) from error
    rfc, representative_rfc = _split_pair(_text(subject, "unique_identifier"))
    curp, representative_curp = _split_pair(_text(subject, "serial_number"))
    if rfc is None or len(rfc) not in (_RFC_LENGTH_PERSON, _RFC_LENGTH_COMPANY):
        raise NotACertificate(
            "El certificado no es del SAT: no contiene un RFC válido. Use el .cer de la e.firma "
            "que entregó el SAT.",
            subject=parsed.subject.human_friendly,
        )
    unit = _text(subject, "organizational_unit_name")
    return CertificateIdentity(
        name=_text(subject, "common_name") or _text(subject, "name") or rfc,
        rfc=rfc,
        curp=curp,
        representative_rfc=representative_rfc,
        representative_curp=representative_curp,
        certificate_number=certificate_number(certificate.serial_number),
        not_before=certificate.not_before,
        not_after=certificate.not_after,
        issuer=_text(issuer, "common_name") or parsed.issuer.human_friendly,
        kind="fisica" if len(rfc) == _RFC_LENGTH_PERSON else "moral",
        is_csd=unit is not None,
        organizational_unit=unit,
    )


def certificate_number(serial: int) -> str:
    """SAT's certificate number: the serial's bytes are ASCII digits (``3030...`` -> ``00...``)."""
    raw = serial.to_bytes((serial.bit_length() + 7) // 8 or 1, "big")
    text = raw.decode("ascii", errors="replace")
    # Certificates from other CAs have binary serials; show those in hex rather than mojibake.
    return text if text.isdigit() else format(serial, "x")


def _text(name: dict[str, Any], field: str) -> str | None:
    value = name.get(field)
    if isinstance(value, list):  # asn1crypto lists an attribute that appears more than once
        value = value[0] if value else None
    # Without the workaround 2.5.4.45 would be a BIT STRING, which asn1crypto gives as bytes.
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    if not isinstance(value, str):
        return None
    return undo_double_encoding(value).strip() or None


def undo_double_encoding(text: str) -> str:
    """``AdministraciÃ³n`` -> ``Administración``: text whose UTF-8 bytes were decoded as Latin-1
    once too often, as in AC6's own name (its CN is UTF-8 of UTF-8). Other text comes back
    unchanged: ASCII is the same either way, and correctly accented Spanish is not valid UTF-8
    once written as Latin-1 (an accented letter would have to be followed by a symbol such as
    «°» or «¿»)."""
    try:
        repaired = text.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return text
    return repaired


def _split_pair(value: str | None) -> tuple[str | None, str | None]:
    """``"A / B"`` -> ``("A", "B")``; ``" / B"`` -> ``(None, "B")``; ``"A"`` -> ``("A", None)``."""
    if value is None:
        return None, None
    holder, _, representative = value.partition("/")
    return holder.strip() or None, representative.strip() or None
