"""Small certification authorities made on the spot for the trust administration tests: an EC
key each (fast), built with ``cryptography``'s builder (only its parser is kept off SAT's
certificates)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from asn1crypto import pem
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


@dataclass(frozen=True)
class MadeCertificate:
    der: bytes
    key: ec.EllipticCurvePrivateKey
    name: x509.Name

    @property
    def pem(self) -> bytes:
        return pem.armor("CERTIFICATE", self.der)


def make_certificate(
    common_name: str,
    *,
    ca: bool = True,
    issuer: MadeCertificate | None = None,
    expired: bool = False,
) -> MadeCertificate:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Gobierno de Prueba"),
        ]
    )
    now = datetime.now(UTC)
    start, end = (
        (now - timedelta(days=800), now - timedelta(days=30))
        if expired
        else (
            now - timedelta(days=1),
            now + timedelta(days=3650),
        )
    )
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer.name if issuer else name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    signer = issuer.key if issuer else key
    certificate = builder.sign(signer, hashes.SHA256())
    return MadeCertificate(certificate.public_bytes(serialization.Encoding.DER), key, name)
