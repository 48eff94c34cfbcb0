"""Signing with SAT's e.firma: credentials, identity (and later PAdES, revocation, validation).

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
    CorruptKey,
    CredentialFileMissing,
    KeyMismatch,
    NotACertificate,
    NotAnEfirma,
    SigningError,
    UntrustedIssuer,
    WrongPassword,
)
from signing.identity import CertificateIdentity, read_identity  # noqa: E402

__all__ = [
    "CertificateExpired",
    "CertificateIdentity",
    "CertificateNotYetValid",
    "CorruptKey",
    "CredentialFileMissing",
    "Credentials",
    "KeyMismatch",
    "NotACertificate",
    "NotAnEfirma",
    "SigningError",
    "UntrustedIssuer",
    "WrongPassword",
    "check_trusted_issuer",
    "load_certificate",
    "load_credentials",
    "read_identity",
]
