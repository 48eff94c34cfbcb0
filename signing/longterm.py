"""Long-term validation material for signed PDFs: the DSS and document timestamps.

A PAdES signature made offline (B-B) proves nothing about *when* it was made or whether the
certificate was revoked at the time. Both are added later, as incremental updates that leave the
signed bytes untouched:

* the Document Security Store (DSS) with the chain and the OCSP answer that
  ``signing.revocation`` checked (SAT certificates have no pointers a validator could follow, so
  the evidence must travel inside the PDF);
* a document timestamp (RFC 3161) over the whole file, which turns B-B + DSS into B-LTA and
  protects the DSS itself.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Sequence
from io import BytesIO
from typing import Any, TypeVar

import requests
from asn1crypto import ocsp as asn1_ocsp
from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.general import SigningError as PyHankoSigningError
from pyhanko.sign.signers.pdf_signer import PdfTimeStamper
from pyhanko.sign.timestamps import HTTPTimeStamper, TimeStamper
from pyhanko.sign.timestamps.common_utils import TimestampRequestError
from pyhanko.sign.validation.dss import DocumentSecurityStore

from signing.certificate import parsed, signed_by_der
from signing.errors import SignatureFailed, UnsignablePdf

T = TypeVar("T")

# What a TSA that cannot be reached looks like from here.
TIMESTAMP_ERRORS: tuple[type[BaseException], ...] = (
    TimestampRequestError,
    requests.RequestException,
    OSError,
)


def make_timestamper(url: str, timeout: float) -> TimeStamper | None:
    """An RFC 3161 client for ``url`` (``None`` when no TSA is configured)."""
    if not url:
        return None
    return HTTPTimeStamper(url, timeout=max(1, round(timeout)))


def find_issuer(certificate_der: bytes, candidates: Sequence[bytes]) -> bytes | None:
    """The candidate whose key signed ``certificate_der`` (names are not trusted for this)."""
    certificate = parsed(certificate_der)
    for candidate in candidates:
        if candidate != certificate_der and signed_by_der(certificate, candidate):
            return candidate
    return None


def chain_of(certificate_der: bytes, candidates: Sequence[bytes]) -> list[bytes]:
    """``certificate_der`` and its issuers up to a self-signed root, as far as candidates go."""
    chain = [certificate_der]
    while len(chain) < 8:
        issuer = find_issuer(chain[-1], candidates)
        if issuer is None or issuer in chain:
            break
        chain.append(issuer)
    return chain


def add_validation_data(
    pdf: bytes, certificates: Sequence[bytes], ocsp_responses: Sequence[bytes]
) -> bytes:
    """Append a DSS holding ``certificates`` and ``ocsp_responses`` (DER) as an incremental
    update; the existing signatures are not touched."""
    stream = BytesIO(pdf)
    try:
        DocumentSecurityStore.add_dss(
            stream,
            None,
            certs=[asn1_x509.Certificate.load(der) for der in certificates],
            ocsps=[asn1_ocsp.OCSPResponse.load(der) for der in ocsp_responses],
            force_write=True,
            strict=False,
        )
    except (PdfError, ValueError, KeyError, TypeError) as error:
        raise UnsignablePdf(
            "No se pudo agregar la información de validación al PDF firmado: el archivo está "
            "dañado.",
            reason=f"{type(error).__name__}: {error}",
        ) from error
    return stream.getvalue()


def add_document_timestamp(pdf: bytes, timestamper: TimeStamper) -> bytes:
    """Append a document timestamp (PAdES B-LTA). Raises one of :data:`TIMESTAMP_ERRORS` when
    the TSA cannot be reached, so the caller can retry later."""
    try:
        writer = IncrementalPdfFileWriter(BytesIO(pdf), strict=False)
    except (PdfError, ValueError, KeyError, TypeError) as error:
        raise UnsignablePdf(
            "El PDF firmado está dañado y no se le puede agregar un sello de tiempo.",
            reason=f"{type(error).__name__}: {error}",
        ) from error
    output = BytesIO()
    try:
        run_async(PdfTimeStamper(timestamper).async_timestamp_pdf(writer, "sha256", output=output))
    except PyHankoSigningError as error:
        raise SignatureFailed(
            "La autoridad de sello de tiempo respondió algo que no es un sello válido.",
            reason=f"{type(error).__name__}: {error}",
        ) from error
    return output.getvalue()


def signature_certificates(pdf: bytes) -> tuple[bytes, list[bytes]]:
    """The last signature's signer certificate and the other certificates its CMS carries."""
    try:
        reader = PdfFileReader(BytesIO(pdf), strict=False)
        signatures = [s for s in reader.embedded_signatures if s.sig_object_type == "/Sig"]
    except (PdfError, ValueError, KeyError, TypeError) as error:
        raise UnsignablePdf(
            "El PDF firmado está dañado.", reason=f"{type(error).__name__}: {error}"
        ) from error
    if not signatures:
        raise UnsignablePdf("El PDF no tiene ninguna firma que actualizar.")
    embedded = signatures[-1]
    signer = embedded.signer_cert.dump()
    others = [c.dump() for c in embedded.other_embedded_certs]
    return signer, others


def run_async(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run one of pyHanko's coroutines from synchronous code (a worker thread, never a loop)."""
    return asyncio.run(coroutine)
