"""Load a SAT e.firma (``.cer`` + ``.key`` + password) and check it can sign documents.

pyHanko's ``SimpleSigner.load`` is not used for user input: it returns ``None`` on a wrong
password and never checks that the key belongs to the certificate. Here each way of failing gets
its own error, checked in this order: certificate -> key -> match -> CSD -> validity -> trust.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from asn1crypto import keys
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes

from signing.certificate import Certificate, parse_certificate, signed_by_der
from signing.errors import (
    CertificateExpired,
    CertificateNotYetValid,
    CorruptKey,
    CredentialFileMissing,
    KeyMismatch,
    NotAnEfirma,
    UntrustedIssuer,
    WrongPassword,
)
from signing.identity import CertificateIdentity, read_identity


@dataclass(frozen=True)
class Credentials:
    identity: CertificateIdentity
    certificate_der: bytes
    # Kept in memory for the shift so each signature does not re-derive the key; never written.
    private_key: object = field(repr=False)


def load_certificate(path: Path) -> tuple[bytes, CertificateIdentity]:
    """Read a ``.cer`` file: its DER bytes and the holder's identity."""
    certificate = parse_certificate(_read(path, "del certificado (.cer)"))
    return certificate.der, read_identity(certificate.der)


def load_credentials(
    cer: Path,
    key: Path,
    password: str,
    *,
    purpose: str = "documento",
    now: datetime | None = None,
    trusted_issuers: Sequence[bytes] | None = None,
) -> Credentials:
    """Open the e.firma and check it may sign a ``purpose`` now; raise a ``SigningError`` if not.

    ``now`` defaults to the current UTC time. ``trusted_issuers`` (DER issuer certificates) turns
    on the issuer check; without it any issuer is accepted.
    """
    certificate_der, identity = load_certificate(cer)
    certificate = parse_certificate(certificate_der)
    private_key = _decrypt_key(_read(key, "de la llave privada (.key)"), password)
    _check_key_matches(certificate, private_key)
    if identity.is_csd:
        raise NotAnEfirma(
            f"El certificado es un sello digital (CSD, «{identity.organizational_unit}»), que "
            f"sirve para facturar, no para firmar un {purpose}. Use el .cer y el .key de la "
            "e.firma (FIEL) de la misma persona.",
            certificate_number=identity.certificate_number,
        )
    _check_validity(identity, now or datetime.now(UTC))
    if trusted_issuers is not None:
        check_trusted_issuer(certificate_der, trusted_issuers)
    return Credentials(identity=identity, certificate_der=certificate_der, private_key=private_key)


def _read(path: Path, what: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except FileNotFoundError as error:
        raise CredentialFileMissing(
            f"No se encontró el archivo {what}: {path}. Revise la ruta o la memoria USB.",
            path=path,
        ) from error
    except OSError as error:
        raise CredentialFileMissing(
            f"No se pudo leer el archivo {what}: {path} ({error.strerror}). Revise que exista "
            "y que tenga permiso de lectura.",
            path=path,
        ) from error


def _decrypt_key(data: bytes, password: str) -> PrivateKeyTypes:
    try:
        # RSA key validation (primality of p and q) costs 35-70 ms holding the GIL, which freezes
        # the desktop app while an e.firma opens; _check_key_matches proves the key instead by a
        # signature the certificate's public key verifies.
        return serialization.load_der_private_key(
            data, password.encode("utf-8"), unsafe_skip_rsa_key_validation=True
        )
    except (ValueError, TypeError, UnsupportedAlgorithm) as error:
        # cryptography raises ValueError for a bad password and for damaged data alike; tell them
        # apart by whether the encrypted container itself is well formed.
        if isinstance(error, ValueError) and _is_encrypted_key_container(data):
            raise WrongPassword(
                "La contraseña de la llave privada (.key) es incorrecta. Escríbala de nuevo "
                "(distingue mayúsculas y minúsculas); es la que se eligió al tramitar la e.firma.",
            ) from error
        raise CorruptKey(
            "El archivo .key está dañado, incompleto o no es una llave privada del SAT. Vuelva a "
            "copiarlo desde el respaldo original de la e.firma.",
            reason=str(error),
        ) from error


def _is_encrypted_key_container(data: bytes) -> bool:
    try:
        # asn1crypto parses lazily; .native forces the whole structure to be read.
        structure = keys.EncryptedPrivateKeyInfo.load(data, strict=True).native
    except (ValueError, TypeError):
        return False
    return structure is not None


def _check_key_matches(certificate: Certificate, private_key: PrivateKeyTypes) -> None:
    public_format = serialization.PublicFormat.SubjectPublicKeyInfo
    from_key = private_key.public_key().public_bytes(serialization.Encoding.DER, public_format)
    from_certificate = certificate.public_key().public_bytes(
        serialization.Encoding.DER, public_format
    )
    if from_key != from_certificate:
        raise KeyMismatch(
            "La llave privada (.key) no corresponde a este certificado (.cer). Elija el .key que "
            "se generó junto con este .cer; suelen estar en la misma carpeta.",
        )
    if isinstance(private_key, rsa.RSAPrivateKey) and not _signs_verifiably(
        private_key, certificate
    ):
        raise CorruptKey(
            "El archivo .key está dañado: su llave privada no produce firmas que el certificado "
            "pueda comprobar. Vuelva a copiarlo desde el respaldo original de la e.firma.",
            reason="firma de prueba no verificable",
        )


def _signs_verifiably(private_key: rsa.RSAPrivateKey, certificate: Certificate) -> bool:
    """A test signature the certificate verifies: what the skipped RSA validation would have
    protected (a damaged private exponent or CRT value signs garbage)."""
    probe = b"oficialia: prueba de la llave privada"
    signature = private_key.sign(probe, padding.PKCS1v15(), hashes.SHA256())
    public_key = certificate.public_key()
    assert isinstance(public_key, rsa.RSAPublicKey)  # the same key, checked just above
    try:
        public_key.verify(signature, probe, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        return False
    return True


def _check_validity(identity: CertificateIdentity, now: datetime) -> None:
    if now < identity.not_before:
        raise CertificateNotYetValid(
            f"El certificado aún no es vigente: lo será a partir del "
            f"{identity.not_before:%Y-%m-%d %H:%M} UTC. Revise la fecha y hora del equipo o "
            "espere a esa fecha.",
            not_before=identity.not_before.isoformat(),
        )
    if now > identity.not_after:
        raise CertificateExpired(
            f"El certificado venció el {identity.not_after:%Y-%m-%d} "
            f"({identity.not_after:%H:%M} UTC). Renueve la e.firma en el SAT y cargue el "
            "certificado nuevo.",
            not_after=identity.not_after.isoformat(),
        )


def check_trusted_issuer(certificate_der: bytes, trusted_issuers: Sequence[bytes]) -> None:
    """Raise ``UntrustedIssuer`` unless one of the DER issuer certificates signed this one."""
    certificate = parse_certificate(certificate_der)
    if not any(signed_by_der(certificate, issuer_der) for issuer_der in trusted_issuers):
        issuer = read_identity(certificate_der).issuer
        raise UntrustedIssuer(
            f"El emisor del certificado («{issuer}») no es una autoridad certificadora "
            "reconocida por esta oficina. Use una e.firma emitida por el SAT o pida al "
            "administrador que agregue el certificado de esa autoridad.",
            issuer=issuer,
        )
