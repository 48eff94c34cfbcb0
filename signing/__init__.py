"""Signing with SAT's e.firma: credentials, identity, PAdES B-B signing with a visible stamp
(and later revocation, upgrade, validation).

Qt-free. Importing this package applies the asn1crypto workaround for SAT's 2.5.4.45 attribute
(see ``asn1_workaround``): the one thing done at import time, on purpose, so that no process can
parse a SAT certificate with asn1crypto (directly or through pyHanko) before it is in place.
"""

from __future__ import annotations

from signing import asn1_workaround

asn1_workaround.apply()

from signing.credentials import (  # noqa: E402
    Credentials,
    check_trusted_issuer,
    load_certificate,
    load_credentials,
)
from signing.errors import (  # noqa: E402
    CertificateExpired,
    CertificateNotYetValid,
    CertificateRevoked,
    CorruptKey,
    CredentialFileMissing,
    KeyMismatch,
    NotACertificate,
    NotAnEfirma,
    SignatureFailed,
    SigningError,
    StampFontMissing,
    UnsignablePdf,
    UntrustedIssuer,
    WrongPassword,
)
from signing.identity import CertificateIdentity, read_identity  # noqa: E402
from signing.sign import PdfSigner  # noqa: E402
from signing.stamp import DEFAULT_STAMP_BOX, OFFICE_ZONE, format_signing_time  # noqa: E402

__all__ = [
    "CertificateExpired",
    "CertificateIdentity",
    "CertificateNotYetValid",
    "CertificateRevoked",
    "CorruptKey",
    "CredentialFileMissing",
    "Credentials",
    "DEFAULT_STAMP_BOX",
    "KeyMismatch",
    "NotACertificate",
    "NotAnEfirma",
    "OFFICE_ZONE",
    "PdfSigner",
    "SignatureFailed",
    "SigningError",
    "StampFontMissing",
    "UnsignablePdf",
    "UntrustedIssuer",
    "WrongPassword",
    "check_trusted_issuer",
    "format_signing_time",
    "load_certificate",
    "load_credentials",
    "read_identity",
]
