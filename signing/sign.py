"""Sign a PDF with the office's e.firma: PAdES with a visible stamp, offline first.

The level depends on what is reachable at that moment, and never blocks the counter:

* nothing (offline): **B-B** -- no timestamp, no revocation data;
* a TSA: **B-T** -- a signature timestamp proves when it was signed;
* a TSA and the OCSP responder: **B-LT** -- plus a DSS with the chain and the checked OCSP answer.

Whatever could not be added now is added later by ``signing.upgrade``. If the OCSP responder says
the office's own certificate is revoked, nothing is signed (``CertificateRevoked``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
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
from pyhanko.sign.timestamps import TimeStamper
from pyhanko_certvalidator.registry import SimpleCertificateStore
from pyhanko_certvalidator.util import get_pyca_cryptography_hash

from signing.credentials import Credentials, _check_validity
from signing.errors import CertificateRevoked, SignatureFailed, UnsignablePdf
from signing.identity import CertificateIdentity
from signing.longterm import TIMESTAMP_ERRORS, add_validation_data, chain_of, find_issuer
from signing.revocation import RevocationCheck, RevocationChecker, RevocationStatus
from signing.stamp import DEFAULT_STAMP_BOX, OFFICE_ZONE, stamp_content, stamp_style

_DIGEST = "sha256"
OFFLINE_BACKOFF = timedelta(minutes=5)
# Room for the CMS in the /Contents hex string, in hex digits (two per byte).
CMS_BASE_RESERVE = 8192  # signed attributes and signature value: 4 KiB
TIMESTAMP_RESERVE = 32768  # a TSA's token carries its own certificate chain: 16 KiB more


@dataclass(frozen=True)
class SignedPdf:
    pdf: bytes
    level: str  # "B-B", "B-T" or "B-LT"
    revocation: RevocationCheck | None  # the check of the signer's certificate, if one was made
    notes: tuple[str, ...] = ()  # Spanish: why the level is lower than it could be


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
        timestamper: TimeStamper | None = None,
        revocation: RevocationChecker | None = None,
        chain: Sequence[bytes] = (),
    ) -> None:
        """``chain``: CA certificates (DER) to find the signer's issuer and embed with the
        signature; ``timestamper``/``revocation``: the TSA and OCSP to reach for B-T/B-LT."""
        self._identity = credentials.identity
        self._certificate = credentials.certificate_der
        self._clock = clock or (lambda: datetime.now(UTC))
        self._zone = zone
        self._style = stamp_style(font_file)
        self._chain = chain_of(credentials.certificate_der, chain)
        self._issuer = find_issuer(credentials.certificate_der, chain)
        self._signer = _CachedKeySigner(credentials, self._chain[1:])
        self._timestamper = timestamper
        self._revocation = revocation
        self._offline_until = 0.0  # time.monotonic() until which the network is not tried
        # Room for the CMS, known up front: without it pyHanko signs a dummy first to measure
        # it, which doubled the cost of every seal. The certificates dominate its size.
        # (Hex digits: the certificates' bytes twice over, with a margin of two.)
        self._reserve = CMS_BASE_RESERVE + sum(len(der) for der in self._chain) * 4

    @property
    def identity(self) -> CertificateIdentity:
        return self._identity

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
        """Return ``pdf`` signed (see :meth:`sign_document` for the level)."""
        return self.sign_document(
            pdf,
            reason=reason,
            location=location,
            field_name=field_name,
            stamp_box=stamp_box,
            page=page,
        ).pdf

    def sign_document(
        self,
        pdf: bytes,
        *,
        reason: str = "Acuse de recibo",
        location: str | None = None,
        field_name: str = "SelloOficialia",
        stamp_box: tuple[float, float, float, float] | None = None,
        page: int = -1,
    ) -> SignedPdf:
        """Sign ``pdf`` at the highest level reachable now (B-B, B-T or B-LT).

        After the TSA or the OCSP responder fails to answer, the next seals skip the network for
        :data:`OFFLINE_BACKOFF` (a dead link can take the whole timeout to fail; the counter must
        not wait for it on every acuse). The background upgrade adds what was skipped."""
        # A shift can outlast the certificate: check it on every seal, not only at unlock.
        _check_validity(self._identity, self._clock())
        notes: list[str] = []
        online = time.monotonic() >= self._offline_until
        if not online:
            notes.append(
                "Sellado sin conexión (sin sello de tiempo ni consulta OCSP); se completará en "
                "segundo plano."
            )
        check = self._check_revocation(notes) if online else None
        timestamper = self._timestamper if online else None
        signed, level = self._sign_once(
            pdf, reason, location, field_name, stamp_box, page, timestamper, notes
        )
        if level == "B-T" and check is not None and check.status is RevocationStatus.VIGENTE:
            assert check.response_der is not None
            signed = add_validation_data(signed, self._chain, [check.response_der])
            level = "B-LT"
        went_offline = (timestamper is not None and level == "B-B") or (
            check is not None and check.status is RevocationStatus.NO_VERIFICADO
        )
        if online and went_offline:
            self._offline_until = time.monotonic() + OFFLINE_BACKOFF.total_seconds()
        return SignedPdf(pdf=signed, level=level, revocation=check, notes=tuple(notes))

    def _check_revocation(self, notes: list[str]) -> RevocationCheck | None:
        if self._revocation is None:
            return None
        if self._issuer is None:
            notes.append(
                "Revocación no verificada: falta el certificado de la autoridad que emitió la "
                "e.firma."
            )
            return None
        check = self._revocation.check(self._certificate, self._issuer)
        if check.status is RevocationStatus.REVOCADO:
            raise CertificateRevoked(
                f"La e.firma de la oficina está REVOCADA ({check.message}). No se selló nada: "
                "avise de inmediato al administrador para tramitar una nueva.",
                certificate_number=self._identity.certificate_number,
            )
        if check.status is not RevocationStatus.VIGENTE:
            notes.append(check.message)
        return check

    def _sign_once(
        self,
        pdf: bytes,
        reason: str,
        location: str | None,
        field_name: str,
        stamp_box: tuple[float, float, float, float] | None,
        page: int,
        timestamper: TimeStamper | None,
        notes: list[str],
    ) -> tuple[bytes, str]:
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
            timestamper=timestamper,
        )
        text_params = stamp_content(self._identity, signed_at, self._zone).as_text_params()
        try:
            reserve = self._reserve + (TIMESTAMP_RESERVE if timestamper else 0)
            return _run(pdf_signer, pdf, text_params, reserve), "B-T" if timestamper else "B-B"
        except TIMESTAMP_ERRORS as error:
            if timestamper is None:
                raise
            # The TSA is down: seal now without it (the counter must not wait); the upgrade
            # adds a document timestamp later.
            notes.append(
                f"Sin sello de tiempo: la autoridad no respondió ({type(error).__name__})."
            )
            return self._sign_once(pdf, reason, location, field_name, stamp_box, page, None, notes)


def _run(
    pdf_signer: signers.PdfSigner, pdf: bytes, text_params: dict[str, str], reserve: int
) -> bytes:
    try:
        return _sign_into(pdf_signer, pdf, text_params, reserve)
    except PyHankoSigningError as error:
        if "allocated" not in str(error):
            raise _failed(error) from error
    # An unusually large CMS (a TSA with a long chain): let pyHanko measure it, at twice the cost.
    try:
        return _sign_into(pdf_signer, pdf, text_params, None)
    except PyHankoSigningError as error:
        raise _failed(error) from error


def _sign_into(
    pdf_signer: signers.PdfSigner, pdf: bytes, text_params: dict[str, str], reserve: int | None
) -> bytes:
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
        output = pdf_signer.sign_pdf(
            writer, bytes_reserved=reserve, appearance_text_params=text_params
        )
    except PdfError as error:
        raise _unsignable(error) from error
    except (ValueError, KeyError, TypeError) as error:
        raise _failed(error) from error
    return bytes(output.getvalue())


def _failed(error: Exception) -> SignatureFailed:
    return SignatureFailed(
        "No se pudo firmar el documento con la e.firma. Intente de nuevo; si vuelve a "
        "ocurrir, avise al administrador con este mensaje.",
        reason=f"{type(error).__name__}: {error}",
    )


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

    def __init__(self, credentials: Credentials, chain: Sequence[bytes] = ()) -> None:
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
            cert_registry=SimpleCertificateStore.from_certs(
                [asn1_x509.Certificate.load(der) for der in chain]
            ),
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
