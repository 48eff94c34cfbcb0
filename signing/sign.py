"""Sign a PDF with the office's e.firma: PAdES B-B with a visible stamp, fully offline.

B-B carries no timestamp and no revocation data; upgrading to B-T/B-LT once a TSA and SAT's OCSP
are reachable is ``signing.upgrade``'s job, on the file this module produces.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, tzinfo
from io import BytesIO
from pathlib import Path
from typing import Any

from asn1crypto import keys
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.sign import fields, signers
from pyhanko.sign.general import SigningError as PyHankoSigningError
from pyhanko_certvalidator.registry import SimpleCertificateStore
from pyhanko_certvalidator.util import get_pyca_cryptography_hash

from signing.credentials import Credentials
from signing.errors import SignatureFailed, UnsignablePdf
from signing.stamp import DEFAULT_STAMP_BOX, OFFICE_ZONE, stamp_content, stamp_style

_DIGEST = "sha256"


class PdfSigner:
    """Holds one unlocked e.firma for a shift: builds the pyHanko signer ONCE.

    pyHanko's ``SimpleSigner`` re-parses the key from DER on every signature (and cryptography
    re-checks an RSA key each time it loads one); signing with the key object held here took a
    signature of the SAT test e.firma from ~120 ms to ~47 ms (median, this machine).

    ``sign`` is synchronous and runs pyHanko's async API through ``asyncio.run``: call it from a
    worker thread, never from inside a running event loop.
    """

    def __init__(
        self,
        credentials: Credentials,
        *,
        clock: Callable[[], datetime] | None = None,
        zone: tzinfo = OFFICE_ZONE,
        font_file: Path | None = None,
    ) -> None:
        self._identity = credentials.identity
        self._clock = clock or (lambda: datetime.now(UTC))
        self._zone = zone
        self._style = stamp_style(font_file)
        self._signer = _CachedKeySigner(credentials)

    def sign(
        self,
        pdf: bytes,
        *,
        reason: str = "Acuse de recibo",
        location: str | None = None,
        field_name: str = "SelloOficialia",
        stamp_box: tuple[float, float, float, float] | None = None,
        page: int = -1,
    ) -> bytes:
        """Return ``pdf`` with a PAdES B-B signature appended as an incremental update."""
        signed_at = self._clock()
        if signed_at.tzinfo is None:
            raise ValueError("the signing clock must return aware datetimes")
        metadata = signers.PdfSignatureMetadata(
            field_name=field_name,
            subfilter=fields.SigSeedSubFilter.PADES,
            md_algorithm=_DIGEST,
            reason=reason,
            location=location,
        )
        x1, y1, x2, y2 = (round(value) for value in stamp_box or DEFAULT_STAMP_BOX)
        # pyHanko's field spec takes whole points; a fraction of a point is invisible on paper.
        field_spec = fields.SigFieldSpec(
            sig_field_name=field_name, on_page=page, box=(x1, y1, x2, y2)
        )
        pdf_signer = _TimedPdfSigner(
            metadata,
            signer=self._signer,
            stamp_style=self._style,
            new_field_spec=field_spec,
            signing_time=signed_at.astimezone(self._zone),
        )
        text_params = stamp_content(self._identity, signed_at, self._zone).as_text_params()
        return _run(pdf_signer, pdf, text_params)


def _run(pdf_signer: signers.PdfSigner, pdf: bytes, text_params: dict[str, str]) -> bytes:
    try:
        writer = IncrementalPdfFileWriter(BytesIO(pdf), strict=False)
    except (PdfError, ValueError, KeyError, TypeError, IndexError) as error:
        raise _unsignable(error) from error
    if writer.prev.encrypted:
        raise UnsignablePdf(
            "El PDF está protegido con contraseña y no se puede firmar. Pida el documento sin "
            "protección o imprímalo y digitalícelo de nuevo."
        )
    try:
        output = pdf_signer.sign_pdf(writer, appearance_text_params=text_params)
    except PdfError as error:
        raise _unsignable(error) from error
    except (PyHankoSigningError, ValueError, KeyError, TypeError) as error:
        raise SignatureFailed(
            "No se pudo firmar el documento con la e.firma. Intente de nuevo; si vuelve a "
            "ocurrir, avise al administrador con este mensaje.",
            reason=f"{type(error).__name__}: {error}",
        ) from error
    return bytes(output.getvalue())


def _unsignable(error: Exception) -> UnsignablePdf:
    return UnsignablePdf(
        "El archivo no es un PDF válido o está dañado, y no se puede firmar. Genere o "
        "digitalice el documento de nuevo.",
        reason=f"{type(error).__name__}: {error}",
    )


class _TimedPdfSigner(signers.PdfSigner):
    """pyHanko takes the signing time from the system clock inside the signing session; take it
    from the office clock instead, so the stamp, ``/M`` and tests agree on one instant."""

    def __init__(self, *args: Any, signing_time: datetime, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._signing_time = signing_time

    def init_signing_session(self, *args: Any, **kwargs: Any) -> Any:
        session = super().init_signing_session(*args, **kwargs)
        session.system_time = self._signing_time
        return session


class _CachedKeySigner(signers.SimpleSigner):
    """A ``SimpleSigner`` that signs with the key object loaded once for the shift.

    ``SimpleSigner.sign_raw`` (pyHanko 0.38) calls ``load_der_private_key`` on every signature;
    for RSA that includes cryptography's key consistency check, the bulk of the cost.
    """

    def __init__(self, credentials: Credentials) -> None:
        key = credentials.private_key
        if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
            raise SignatureFailed(
                "El tipo de llave de esta e.firma no se puede usar para firmar. Avise al "
                "administrador.",
                key_type=type(key).__name__,
            )
        key_der = key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        super().__init__(
            signing_cert=asn1_x509.Certificate.load(credentials.certificate_der),
            signing_key=keys.PrivateKeyInfo.load(key_der),
            cert_registry=SimpleCertificateStore(),
        )
        self._key = key

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        mechanism = self.get_signature_mechanism_for_digest(digest_algorithm).signature_algo
        hash_algorithm = get_pyca_cryptography_hash(digest_algorithm)
        if isinstance(self._key, rsa.RSAPrivateKey) and mechanism == "rsassa_pkcs1v15":
            return self._key.sign(data, padding.PKCS1v15(), hash_algorithm)
        if isinstance(self._key, ec.EllipticCurvePrivateKey) and mechanism == "ecdsa":
            return self._key.sign(data, ec.ECDSA(hash_algorithm))
        # PSS and anything rarer: pyHanko's own (slower, re-parsing) path.
        return bytes(super().sign_raw(data, digest_algorithm))
