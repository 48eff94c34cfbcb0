"""Errors of the signing package.

Every failure to load an e.firma gets its own kind, because the clerk's next step differs for
each: retype the password, ask for the right ``.key``, renew the certificate at SAT... Messages are
in Spanish and say what to do; ``cryptography``/``asn1crypto`` exceptions never leave the package.
"""

from __future__ import annotations

from mailroom.errors import OficialiaError


class SigningError(OficialiaError):
    """Root of every error raised by ``signing``."""

    code = "firma"
    exit_code = 65


class CredentialFileMissing(SigningError):
    """The ``.cer`` or ``.key`` path does not exist or cannot be read."""

    code = "archivo_de_firma_no_encontrado"
    exit_code = 66


class NotACertificate(SigningError):
    """The ``.cer`` file is not an X.509 certificate (a PDF, an image, a ``.key``...)."""

    code = "no_es_certificado"


class CorruptKey(SigningError):
    """The ``.key`` file is truncated, damaged or not a SAT private key at all."""

    code = "llave_danada"


class WrongPassword(SigningError):
    """The ``.key`` is well formed but the password does not open it."""

    code = "contrasena_incorrecta"
    exit_code = 77


class KeyMismatch(SigningError):
    """The ``.key`` opens but belongs to another certificate."""

    code = "llave_no_corresponde"


class NotAnEfirma(SigningError):
    """A CSD (certificado de sello digital) was offered where an e.firma is required."""

    code = "no_es_efirma"


class CertificateExpired(SigningError):
    code = "certificado_vencido"


class CertificateNotYetValid(SigningError):
    code = "certificado_aun_no_vigente"


class UntrustedIssuer(SigningError):
    """No trusted issuer certificate verifies the certificate's signature."""

    code = "emisor_no_reconocido"


class UnsignablePdf(SigningError):
    """The PDF to sign is damaged, encrypted or otherwise cannot take an incremental signature."""

    code = "pdf_no_firmable"


class SignatureFailed(SigningError):
    """pyHanko could not produce the signature for a reason other than the input PDF."""

    code = "firma_fallida"


class StampFontMissing(SigningError):
    """The font that renders the visible stamp (with its accents) is not installed."""

    code = "fuente_de_sello_faltante"
    exit_code = 69


class CertificateRevoked(SigningError):
    """The office's own e.firma was found revoked (explicit OCSP check): it must not seal."""

    code = "certificado_revocado"
