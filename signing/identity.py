"""Who a SAT certificate belongs to: name, RFC, CURP, certificate number, validity, issuer.

SAT puts the RFC in x500UniqueIdentifier (2.5.4.45) and the CURP in serialNumber (2.5.4.5). A
company's certificate carries its representative too: ``RFC / RFC-representante`` and
`` / CURP-representante`` (a company has no CURP of its own, hence the empty left side).

Names are read with asn1crypto, not ``cryptography``: real SAT certificates write accented names
as TeletexString in Latin-1 (``COMPAÑIA`` in 00001000000413053762.cer), which ``cryptography``
refuses to parse, and asn1crypto reads them once ``signing.asn1_workaround`` is applied (importing
``signing`` does it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization

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


def parse_certificate(data: bytes) -> x509.Certificate:
    """Parse a DER (SAT's ``.cer``) or PEM certificate, or raise ``NotACertificate``."""
    try:
        if data.lstrip().startswith(b"-----BEGIN"):
            return x509.load_pem_x509_certificate(data)
        return x509.load_der_x509_certificate(data)
    except ValueError as error:
        raise NotACertificate(
            "El archivo no es un certificado (.cer) válido. Elija el archivo .cer de la e.firma "
            "que entregó el SAT, no el .key ni otro documento.",
            reason=str(error),
        ) from error


def read_identity(certificate_der: bytes) -> CertificateIdentity:
    """Read the holder's identity from a SAT certificate; raises ``NotACertificate``."""
    certificate = parse_certificate(certificate_der)
    der = certificate.public_bytes(serialization.Encoding.DER)
    try:
        parsed = asn1_x509.Certificate.load(der)
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
        not_before=certificate.not_valid_before_utc,
        not_after=certificate.not_valid_after_utc,
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
    return value.strip() or None


def _split_pair(value: str | None) -> tuple[str | None, str | None]:
    """``"A / B"`` -> ``("A", "B")``; ``" / B"`` -> ``(None, "B")``; ``"A"`` -> ``("A", None)``."""
    if value is None:
        return None, None
    holder, _, representative = value.partition("/")
    return holder.strip() or None, representative.strip() or None
