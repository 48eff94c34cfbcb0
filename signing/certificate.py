"""Read X.509 certificates the way SAT writes them: asn1crypto for structure, never
``cryptography.x509``.

``cryptography``'s parser is strict about every string in a certificate, and SAT's own
authorities break the rules: AC6 (which issues e.firmas since 2023) has a PrintableString holding
UTF-8 bytes in its subject, and older SAT certificates write Latin-1 TeletexStrings. A certificate
carries its issuer's name, so every e.firma AC6 issues is refused too -- an office or a citizen
could not even open theirs. asn1crypto reads names lazily and only when asked (and reads SAT's
2.5.4.45 once ``signing.asn1_workaround`` is applied), so here a certificate is split into the raw
pieces the signing code needs: names as their exact DER bytes (OCSP hashes them as they are), the
validity, the serial, the public key and the signed bytes. ``cryptography`` is used only for keys
and signature arithmetic, on the SubjectPublicKeyInfo, which SAT encodes correctly.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property, lru_cache

from asn1crypto import algos, pem
from asn1crypto import x509 as asn1_x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes

from signing.errors import NotACertificate

OCSP_SIGNING = "1.3.6.1.5.5.7.3.9"
_BASIC_CONSTRAINTS = "2.5.29.19"
_EXTENDED_KEY_USAGE = "2.5.29.37"
# What asn1crypto may raise on a structure that is not what it was told to expect.
_PARSE_ERRORS = (ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError)

# MD5 and SHA-1 stay: Banco de México's first roots (ARC0, ARC1) are signed with them, and the
# bundle must still tell them apart from intermediates by their self-signature.
HASHES: dict[str, Callable[[], hashes.HashAlgorithm]] = {
    "md5": hashes.MD5,
    "sha1": hashes.SHA1,
    "sha224": hashes.SHA224,
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}


@dataclass(frozen=True)
class Certificate:
    """The parts of a certificate that signing, trust and revocation use; ``der`` is the file's
    exact bytes."""

    der: bytes
    serial_number: int
    subject_der: bytes  # the Name exactly as encoded: what OCSP hashes and responders name
    issuer_der: bytes
    not_before: datetime  # aware, UTC
    not_after: datetime  # aware, UTC
    public_key_info: bytes  # SubjectPublicKeyInfo, DER
    public_key_bits: bytes  # the subjectPublicKey BIT STRING's value: what OCSP's key hash hashes
    tbs_der: bytes
    signature_algorithm_der: bytes
    signature: bytes
    is_ca: bool
    extended_key_usages: frozenset[str]  # dotted OIDs

    @cached_property
    def sha256(self) -> str:
        return hashlib.sha256(self.der).hexdigest()

    def public_key(self) -> PublicKeyTypes:
        """The certificate's key; ``NotACertificate`` when it is of a kind that cannot be read."""
        return _public_key(self.public_key_info)

    def as_asn1(self) -> asn1_x509.Certificate:
        """asn1crypto's view (what pyHanko takes); names are decoded only when read."""
        return asn1_x509.Certificate.load(self.der)

    def is_signed_by(self, issuer: Certificate) -> bool:
        """Whether ``issuer``'s key verifies this certificate's signature. Names are not
        compared: SAT reissues authorities under the same name, and only the key decides."""
        try:
            key = issuer.public_key()
        except NotACertificate:
            return False
        algorithm = algos.SignedDigestAlgorithm.load(self.signature_algorithm_der)
        return signature_verifies(key, algorithm, self.tbs_der, self.signature)


def parse_certificate(data: bytes) -> Certificate:
    """One DER (SAT's ``.cer``) or PEM certificate; ``NotACertificate`` for anything else."""
    certificates = read_certificates(data)
    if len(certificates) != 1:
        raise _not_a_certificate(f"{len(certificates)} certificados en el archivo")
    return certificates[0]


def read_certificates(data: bytes) -> list[Certificate]:
    """Every certificate in DER or PEM ``data`` (a PEM may hold several, other blocks ignored)."""
    if not pem.detect(data):
        return [_from_der(data)]
    try:
        blocks = [der for kind, _, der in pem.unarmor(data, multiple=True) if kind == "CERTIFICATE"]
    except _PARSE_ERRORS as error:
        raise _not_a_certificate(str(error)) from error
    return [_from_der(der) for der in blocks]


@lru_cache(maxsize=512)
def parsed(der: bytes) -> Certificate:
    """:func:`parse_certificate` for DER already read once (trust stores ask for the same
    authorities on every signature)."""
    return parse_certificate(der)


def signed_by_der(certificate: Certificate, issuer_der: bytes) -> bool:
    """:meth:`Certificate.is_signed_by` for an issuer given as DER; ``False`` if unreadable."""
    try:
        issuer = parsed(issuer_der)
    except NotACertificate:
        return False
    return certificate.is_signed_by(issuer)


def signature_verifies(
    key: PublicKeyTypes, algorithm: algos.SignedDigestAlgorithm, data: bytes, signature: bytes
) -> bool:
    """Whether ``signature`` over ``data`` verifies with ``key`` under ``algorithm`` (RSA
    PKCS#1 v1.5 or PSS, ECDSA): certificates and OCSP answers alike."""
    try:
        kind = algorithm.signature_algo
        digest = HASHES[algorithm.hash_algo]()
        if kind == "rsassa_pkcs1v15" and isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, data, padding.PKCS1v15(), digest)
        elif kind == "rsassa_pss" and isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, data, _pss(algorithm), digest)
        elif kind == "ecdsa" and isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, data, ec.ECDSA(digest))
        else:
            return False
    except (InvalidSignature, UnsupportedAlgorithm, *_PARSE_ERRORS):
        return False
    return True


def _pss(algorithm: algos.SignedDigestAlgorithm) -> padding.PSS:
    parameters = algorithm["parameters"]
    mask_hash = parameters["mask_gen_algorithm"]["parameters"]["algorithm"].native
    return padding.PSS(padding.MGF1(HASHES[mask_hash]()), parameters["salt_length"].native)


def _from_der(der: bytes) -> Certificate:
    try:
        certificate = asn1_x509.Certificate.load(der, strict=True)
        tbs = certificate["tbs_certificate"]
        validity = tbs["validity"]
        key_info = tbs["subject_public_key_info"]
        is_ca, usages = _extensions(tbs)
        result = Certificate(
            der=bytes(der),
            serial_number=int(tbs["serial_number"].native),
            subject_der=tbs["subject"].dump(),
            issuer_der=tbs["issuer"].dump(),
            not_before=validity["not_before"].native,
            not_after=validity["not_after"].native,
            public_key_info=key_info.dump(),
            public_key_bits=bytes(key_info["public_key"].contents[1:]),
            tbs_der=tbs.dump(),
            signature_algorithm_der=certificate["signature_algorithm"].dump(),
            signature=bytes(certificate["signature_value"].native),
            is_ca=is_ca,
            extended_key_usages=usages,
        )
    except _PARSE_ERRORS as error:
        raise _not_a_certificate(str(error) or type(error).__name__) from error
    if not isinstance(result.not_before, datetime) or not isinstance(result.not_after, datetime):
        raise _not_a_certificate("fechas de vigencia ilegibles")
    return result


def _extensions(tbs: asn1_x509.TbsCertificate) -> tuple[bool, frozenset[str]]:
    """basicConstraints' CA flag and the extended key usages. Only these two are decoded: an
    extension nobody here reads must not make a certificate unreadable."""
    is_ca, usages = False, frozenset[str]()
    for extension in tbs["extensions"] or []:
        oid = extension["extn_id"].dotted
        if oid == _BASIC_CONSTRAINTS:
            is_ca = bool(extension["extn_value"].parsed["ca"].native)
        elif oid == _EXTENDED_KEY_USAGE:
            usages = frozenset(purpose.dotted for purpose in extension["extn_value"].parsed)
    return is_ca, usages


@lru_cache(maxsize=512)
def _public_key(public_key_info: bytes) -> PublicKeyTypes:
    try:
        return serialization.load_der_public_key(public_key_info)
    except (ValueError, UnsupportedAlgorithm) as error:
        raise NotACertificate(
            "El certificado tiene una llave pública que no se puede leer. Use el .cer de la "
            "e.firma que entregó el SAT.",
            reason=str(error),
        ) from error


def _not_a_certificate(reason: str) -> NotACertificate:
    return NotACertificate(
        "El archivo no es un certificado (.cer) válido. Elija el archivo .cer de la e.firma "
        "que entregó el SAT, no el .key ni otro documento.",
        reason=reason,
    )
