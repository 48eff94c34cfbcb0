"""What a signed PDF holds, read for :mod:`signing.verify`: the document's DSS and document
timestamps, each signer's certificate, the signature's claimed timestamp and the OCSP answers
embedded in the file.

Nothing here decides whether a signature is good; it only reads. Private to ``signing.verify``.
"""

from __future__ import annotations

import contextlib
from datetime import datetime
from typing import TYPE_CHECKING

from asn1crypto import cms
from asn1crypto import ocsp as asn1_ocsp
from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.general import find_unique_cms_attribute
from pyhanko.sign.validation.generic_cms import extract_tst_data_iter
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature

from signing.errors import NotACertificate
from signing.identity import CertificateIdentity, read_identity, undo_double_encoding
from signing.trust import TrustStore

if TYPE_CHECKING:
    from signing.revocation import RevocationCheck


class SignedDocument:
    """What the whole PDF says beyond each signature: its DSS and document timestamps."""

    def __init__(
        self,
        ocsps: list[asn1_ocsp.OCSPResponse],
        certificates: list[bytes],
        timestamp_revisions: list[int],
    ) -> None:
        self.ocsps = ocsps
        self.certificates = certificates
        self.timestamp_revisions = timestamp_revisions

    @classmethod
    def read(cls, reader: PdfFileReader, embedded: list[EmbeddedPdfSignature]) -> SignedDocument:
        ocsps, certificates = [], []
        try:
            dss = reader.root.get("/DSS")
            dss = dss.get_object() if dss is not None else None
            for ref in dss.get("/OCSPs", []) if dss is not None else []:
                ocsps.append(asn1_ocsp.OCSPResponse.load(ref.get_object().data))
            for ref in dss.get("/Certs", []) if dss is not None else []:
                certificates.append(ref.get_object().data)
        except Exception:  # noqa: BLE001 - a damaged DSS is reported as "no embedded data"
            ocsps, certificates = [], []
        revisions = [
            item.signed_revision for item in embedded if item.sig_object_type == "/DocTimeStamp"
        ]
        return cls(ocsps, certificates, revisions)

    def level_of(self, signature: EmbeddedPdfSignature, has_timestamp: bool) -> str:
        """A guess from what is present; it does not check that each piece is valid."""
        has_revinfo = bool(self.ocsps or _signed_ocsps(signature))
        later = any(revision > signature.signed_revision for revision in self.timestamp_revisions)
        if not has_timestamp:
            # An offline B-B upgraded afterwards: validation data plus a document timestamp
            # over it is B-LTA; without the document timestamp it stays B-B.
            return "B-LTA" if has_revinfo and later else "B-B"
        if not has_revinfo:
            return "B-T"
        return "B-LTA" if later else "B-LT"


class SignerCertificate:
    """The signer's certificate, with the SAT identity when it is a SAT certificate."""

    def __init__(self, der: bytes) -> None:
        self.der = der
        self.identity: CertificateIdentity | None = None
        certificate = asn1_x509.Certificate.load(der)
        # Not a SAT certificate: still verifiable, only without RFC and CURP.
        with contextlib.suppress(NotACertificate):
            self.identity = read_identity(der)
        self.name = self.identity.name if self.identity else common_name(certificate)
        self.issuer = self.identity.issuer if self.identity else common_name(certificate, True)
        validity = certificate["tbs_certificate"]["validity"]
        self.not_before: datetime = validity["not_before"].native
        self.not_after: datetime = validity["not_after"].native
        self.kind = None if self.identity is None else "csd" if self.identity.is_csd else "efirma"

    @classmethod
    def read(cls, der: bytes) -> SignerCertificate:
        return cls(der)

    def describe(self) -> str:
        if self.identity is None:
            return self.name
        if self.identity.representative_rfc:
            return (
                f"{self.name} (RFC {self.identity.rfc}, representante RFC "
                f"{self.identity.representative_rfc})"
            )
        return f"{self.name} (RFC {self.identity.rfc})"


def common_name(certificate: asn1_x509.Certificate, issuer: bool = False) -> str:
    name = certificate.issuer if issuer else certificate.subject
    try:
        native = name.native
        value = native.get("common_name") or native.get("organization_name")
        if isinstance(value, list):
            value = value[0]
        return undo_double_encoding(str(value)) if value else name.human_friendly
    except (ValueError, TypeError):
        return "(nombre ilegible)"


def claimed_timestamp(signer_info: cms.SignerInfo) -> datetime | None:
    """The time in the signature timestamp token, before it is verified."""
    try:
        for token in extract_tst_data_iter(signer_info, signed=False):
            info = token["encap_content_info"]["content"].parsed
            moment = info["gen_time"].native
            return moment if isinstance(moment, datetime) else None
    except Exception:  # noqa: BLE001 - a garbled token counts as no token; pyHanko reports it
        return None
    return None


def embedded_ocsp_checks(
    signer_der: bytes,
    issuer_der: bytes,
    signature: EmbeddedPdfSignature,
    document: SignedDocument,
    trust: TrustStore,
    moment: datetime,
) -> list[RevocationCheck]:
    """The OCSP answers inside the PDF (DSS and signed attribute) about the signer, checked
    offline.

    Checked by ``signing.revocation.evaluate_response`` (issuer and responder authorisation,
    signature), not by pyhanko-certvalidator, which skips OCSP for any certificate whose AIA
    names no responder -- every SAT certificate."""
    from signing.revocation import evaluate_response

    responses = [*document.ocsps, *_signed_ocsps(signature)]
    responders = [*trust.ocsp_responders, *document.certificates]
    return [
        evaluate_response(
            r.dump(), signer_der, issuer_der, now=moment, responder_certificates=responders
        )
        for r in responses
        if _answers_for(r, signer_der, issuer_der)
    ]


def _answers_for(response: asn1_ocsp.OCSPResponse, signer_der: bytes, issuer_der: bytes) -> bool:
    try:
        if response["response_status"].native != "successful":
            return False
        data = response["response_bytes"]["response"].parsed["tbs_response_data"]
        serial = asn1_x509.Certificate.load(signer_der).serial_number
        issuer_key = asn1_x509.Certificate.load(issuer_der).public_key.sha1
        return any(
            single["cert_id"]["serial_number"].native == serial
            and single["cert_id"]["hash_algorithm"]["algorithm"].native == "sha1"
            and single["cert_id"]["issuer_key_hash"].native == issuer_key
            or single["cert_id"]["serial_number"].native == serial
            and single["cert_id"]["hash_algorithm"]["algorithm"].native != "sha1"
            for single in data["responses"]
        )
    except (ValueError, TypeError, KeyError):
        return False


def _signed_ocsps(signature: EmbeddedPdfSignature) -> list[asn1_ocsp.OCSPResponse]:
    """OCSP answers in the signed ``adbe-revocationInfoArchival`` attribute (Adobe-style LTV)."""
    try:
        archive = find_unique_cms_attribute(
            signature.signer_info["signed_attrs"], "adobe_revocation_info_archival"
        )
        return list(archive["ocsp"]) if archive["ocsp"] else []
    except Exception:  # noqa: BLE001 - absent, repeated or malformed: no usable answers
        return []
