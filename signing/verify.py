"""Check every signature and document timestamp of a signed PDF, as a clerk needs to hear it.

Citizens bring PDFs signed anywhere, so nothing about the file is assumed: each signature gets the
signer's identity, integrity, coverage (what changed after signing), trust path, validity at
signing time, revocation and timestamps, and a one-line Spanish verdict. pyHanko does the
cryptography; this module decides what it means for an Oficialía.

Revocation: SAT's certificates carry no AIA, so pyhanko-certvalidator never checks them on its own.
OCSP answers embedded in the PDF (DSS, or the signed ``adbe-revocationInfoArchival`` attribute)
are checked first, offline, with pyhanko-certvalidator requiring OCSP for the signer; when there
are none, the explicit :class:`signing.revocation.RevocationChecker` asks SAT's responder.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import UTC, datetime
from io import BytesIO
from typing import TYPE_CHECKING, Any

from asn1crypto import cms
from asn1crypto import ocsp as asn1_ocsp
from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.general import find_unique_cms_attribute
from pyhanko.sign.validation import validate_pdf_signature, validate_pdf_timestamp
from pyhanko.sign.validation.generic_cms import extract_tst_data_iter
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature
from pyhanko.sign.validation.status import SignatureCoverageLevel

from signing.errors import NotACertificate, SigningError
from signing.identity import CertificateIdentity, read_identity
from signing.trust import TrustStore

if TYPE_CHECKING:
    from signing.revocation import RevocationChecker

DEFAULT_MAX_BYTES = 512 * 1024 * 1024


class UnreadableSignedPdf(SigningError):
    """The file to verify is not a readable PDF: damaged, truncated, encrypted, too large."""

    code = "pdf_firmado_ilegible"
    exit_code = 65


@dataclass(frozen=True)
class Revocation:
    status: str  # the values of signing.revocation.RevocationStatus
    message: str
    revoked_at: datetime | None = None
    source: str | None = None  # "documento" (embedded OCSP) | "consulta" (asked now) | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "estado": self.status,
            "mensaje": self.message,
            "revocado_desde": self.revoked_at.isoformat() if self.revoked_at else None,
            "origen": self.source,
        }


@dataclass(frozen=True)
class SignatureReport:
    field_name: str
    kind: str  # "firma" | "sello_de_tiempo" (a document timestamp)
    signer: str  # the holder's name (or the TSA's, for a document timestamp)
    rfc: str | None
    curp: str | None
    certificate_number: str | None
    certificate_type: str | None  # "efirma" | "csd" | None (not a SAT certificate)
    issuer: str
    intact: bool
    coverage: str  # "documento_completo" | "revision_completa" | "parcial"
    modified_after_signing: bool
    trusted: bool
    trust_problem: str | None
    test_root: bool
    signing_time: datetime | None
    signing_time_source: str  # "sello_de_tiempo" | "declarada" | "ninguna"
    valid_at_signing_time: bool | None
    revocation: Revocation
    timestamp_time: datetime | None
    timestamp_authority: str | None
    timestamp_ok: bool | None
    level: str | None  # PAdES guess: B-B, B-T, B-LT, B-LTA (None for document timestamps)
    ok: bool
    verdict: str

    def to_dict(self) -> dict[str, Any]:
        def iso(moment: datetime | None) -> str | None:
            return moment.isoformat() if moment else None

        return {
            "campo": self.field_name,
            "tipo": self.kind,
            "firmante": self.signer,
            "rfc": self.rfc,
            "curp": self.curp,
            "numero_certificado": self.certificate_number,
            "tipo_certificado": self.certificate_type,
            "emisor": self.issuer,
            "integra": self.intact,
            "cobertura": self.coverage,
            "modificado_despues_de_firmar": self.modified_after_signing,
            "de_confianza": self.trusted,
            "problema_de_confianza": self.trust_problem,
            "raiz_de_prueba": self.test_root,
            "hora_de_firma": iso(self.signing_time),
            "origen_hora_de_firma": self.signing_time_source,
            "vigente_al_firmar": self.valid_at_signing_time,
            "revocacion": self.revocation.to_dict(),
            "sello_de_tiempo": iso(self.timestamp_time),
            "autoridad_sello_de_tiempo": self.timestamp_authority,
            "sello_de_tiempo_valido": self.timestamp_ok,
            "nivel_pades": self.level,
            "valida": self.ok,
            "veredicto": self.verdict,
        }


@dataclass(frozen=True)
class VerificationReport:
    signatures: tuple[SignatureReport, ...]
    ok: bool
    verdict: str
    warnings: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "valido": self.ok,
            "veredicto": self.verdict,
            "firmas": [signature.to_dict() for signature in self.signatures],
            "avisos": list(self.warnings),
        }


def verify_pdf(
    data: bytes,
    *,
    trust: TrustStore,
    revocation: RevocationChecker | None = None,
    now: datetime | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> VerificationReport:
    """Verify every signature and document timestamp of ``data``.

    Raises :class:`UnreadableSignedPdf` for input that is not a readable PDF; anything about the
    signatures themselves goes into the report.
    """
    moment = now or datetime.now(UTC)
    reader = _open(data, max_bytes)
    embedded = _embedded_signatures(reader)
    document = _Document.read(reader, embedded)
    reports = []
    for signature in embedded:
        if signature.sig_object_type == "/DocTimeStamp":
            reports.append(_document_timestamp(signature, trust))
        else:
            reports.append(_signature(signature, trust, revocation, moment, document))
    return _overall(tuple(reports), trust)


def _open(data: bytes, max_bytes: int) -> PdfFileReader:
    if len(data) > max_bytes:
        raise UnreadableSignedPdf(
            f"El archivo mide {len(data) / 1048576:.0f} MB, más que el máximo de "
            f"{max_bytes / 1048576:.0f} MB para verificar firmas.",
            size=len(data),
        )
    if not data.lstrip()[:1024].startswith(b"%PDF") and b"%PDF-" not in data[:1024]:
        raise UnreadableSignedPdf(
            "El archivo no es un PDF. Pida el documento firmado en formato PDF.",
        )
    try:
        reader = PdfFileReader(BytesIO(data), strict=False)
        if reader.encrypted:
            # Some signers encrypt with an empty user password; anything else cannot be read.
            result = reader.decrypt("")
            if not getattr(result, "status", None) or result.status.name == "FAILED":
                raise UnreadableSignedPdf(
                    "El PDF está protegido con contraseña y no se pueden revisar sus firmas. "
                    "Pida el documento sin protección."
                )
        reader.root  # noqa: B018 - forces the trailer and catalogue to be read now
    except UnreadableSignedPdf:
        raise
    except (PdfError, ValueError, KeyError, TypeError, IndexError, AttributeError) as error:
        raise _damaged(error) from error
    return reader


def _embedded_signatures(reader: PdfFileReader) -> list[EmbeddedPdfSignature]:
    try:
        return list(reader.embedded_signatures)
    except (PdfError, ValueError, KeyError, TypeError, IndexError, AttributeError) as error:
        raise _damaged(error) from error


def _damaged(error: Exception) -> UnreadableSignedPdf:
    return UnreadableSignedPdf(
        "El PDF está dañado o incompleto y no se pueden revisar sus firmas. Pida de nuevo el "
        "archivo original (completo, sin convertirlo ni imprimirlo a PDF).",
        reason=f"{type(error).__name__}: {error}",
    )


def _signature(
    signature: EmbeddedPdfSignature,
    trust: TrustStore,
    revocation: RevocationChecker | None,
    now: datetime,
    document: _Document,
) -> SignatureReport:
    signer = _Signer.read(signature.signer_cert.dump())
    timestamp = _claimed_timestamp(signature.signer_info)
    claimed = signature.self_reported_timestamp
    moment = timestamp or claimed or now
    try:
        status = _validate(signature, trust, moment)
        if timestamp is not None and not _timestamp_trusted(status):
            # An untrusted timestamp proves nothing: fall back to the time the signer declared.
            moment = claimed or now
            status = _validate(signature, trust, moment)
    except Exception as error:  # noqa: BLE001 - any pyHanko failure means "cannot be checked"
        return _broken(signature, signer, error)
    timestamp_ok = _timestamp_trusted(status) if timestamp is not None else None
    source = "sello_de_tiempo" if timestamp_ok else ("declarada" if claimed else "ninguna")
    intact = bool(status.intact and status.valid)
    valid_then = signer.not_before <= moment <= signer.not_after
    trusted = status.validation_path is not None and status.trust_problem_indic is None
    issuer_der = trust.issuer_of(signer.der) or _path_issuer(status)
    if issuer_der is None:
        revoked = Revocation("no_verificado", "Revocación no verificada: emisor no reconocido.")
    else:
        embedded = _revocation(signer.der, issuer_der, signature, document, trust, moment)
        revoked = embedded or _ask(revocation, signer.der, issuer_der)
    coverage, modified, coverage_note = _coverage(status)
    problem = None if trusted else _trust_problem(status, signer)
    revoked_before = revoked.status == "revocado" and (
        not timestamp_ok or revoked.revoked_at is None or revoked.revoked_at <= moment
    )
    ok = intact and not modified and trusted and valid_then and not revoked_before
    if timestamp is not None and not timestamp_ok:
        ok = False
    parts = [_main_verdict(signer, intact, modified, trusted, problem, valid_then, moment)]
    if intact and coverage_note:
        parts.append(coverage_note)
    if revoked.status != "vigente" or revoked_before:
        parts.append(revoked.message)
    if timestamp is not None and not timestamp_ok:
        parts.append(
            "El sello de tiempo de la firma no es válido o su autoridad no es de confianza."
        )
    tsa = status.timestamp_validity
    return SignatureReport(
        field_name=signature.field_name,
        kind="firma",
        signer=signer.name,
        rfc=signer.identity.rfc if signer.identity else None,
        curp=signer.identity.curp if signer.identity else None,
        certificate_number=signer.identity.certificate_number if signer.identity else None,
        certificate_type=signer.kind,
        issuer=signer.issuer,
        intact=intact,
        coverage=coverage,
        modified_after_signing=modified,
        trusted=trusted,
        trust_problem=problem,
        test_root=_anchor_is_test_root(status, trust),
        signing_time=moment if source != "ninguna" else None,
        signing_time_source=source,
        valid_at_signing_time=valid_then,
        revocation=revoked,
        timestamp_time=tsa.timestamp if tsa is not None else None,
        timestamp_authority=_common_name(tsa.signing_cert) if tsa is not None else None,
        timestamp_ok=timestamp_ok,
        level=document.level_of(signature, timestamp is not None),
        ok=ok,
        verdict=" ".join(parts),
    )


def _validate(signature: EmbeddedPdfSignature, trust: TrustStore, moment: datetime) -> Any:
    return validate_pdf_signature(
        signature,
        signer_validation_context=trust.validation_context(moment=moment),
        ts_validation_context=trust.validation_context(),
    )


def _main_verdict(
    signer: _Signer,
    intact: bool,
    modified: bool,
    trusted: bool,
    problem: str | None,
    valid_then: bool,
    moment: datetime,
) -> str:
    who = signer.describe()
    if not intact:
        return f"Firma de {who} ALTERADA: el documento fue modificado después de firmarse."
    if modified:
        return f"Firma de {who}: el documento fue modificado después de firmarse."
    if not trusted:
        return f"Firma de {who}: {problem}"
    if not valid_then:
        return (
            f"Firma de {who} hecha el {moment:%Y-%m-%d %H:%M} UTC, fuera de la vigencia del "
            f"certificado (del {signer.not_before:%Y-%m-%d} al {signer.not_after:%Y-%m-%d})."
        )
    kind = "e.firma" if signer.kind == "efirma" else "sello digital (CSD)"
    if signer.kind is None:
        kind = "certificado"
    return f"Firma válida de {who} con {kind} vigente al firmar ({moment:%Y-%m-%d %H:%M} UTC)."


def _coverage(status: Any) -> tuple[str, bool, str | None]:
    """(coverage, modified after signing in a way that is not allowed, note for the clerk)."""
    if status.coverage == SignatureCoverageLevel.ENTIRE_FILE:
        return "documento_completo", False, None
    if status.coverage != SignatureCoverageLevel.ENTIRE_REVISION:
        return "parcial", True, None
    level = status.modification_level
    if level is None or level == ModificationLevel.OTHER or not status.docmdp_ok:
        return "revision_completa", True, None
    notes = {
        ModificationLevel.NONE: None,
        ModificationLevel.LTA_UPDATES: "Después se agregaron datos de validación (permitido).",
        ModificationLevel.FORM_FILLING: "Después se agregaron firmas o se llenaron campos "
        "(permitido).",
        ModificationLevel.ANNOTATIONS: "Después de firmar se agregaron anotaciones o "
        "comentarios (permitido; no cambian el contenido firmado).",
    }
    return "revision_completa", False, notes.get(level)


def _trust_problem(status: Any, signer: _Signer) -> str:
    indication = status.trust_problem_indic
    name = getattr(indication, "name", "")
    if status.validation_path is None or name == "NO_CERTIFICATE_CHAIN_FOUND":
        return (
            f"Firmante no reconocido: la autoridad «{signer.issuer}» no es de confianza para "
            "esta oficina."
        )
    if name in ("REVOKED", "REVOKED_NO_POE", "REVOKED_CA_NO_POE"):
        return "el certificado o su autoridad fue revocado."
    if name in ("EXPIRED", "OUT_OF_BOUNDS_NO_POE", "OUT_OF_BOUNDS_NOT_REVOKED", "NOT_YET_VALID"):
        return "el certificado no estaba vigente a la hora de la firma."
    if name == "CRYPTO_CONSTRAINTS_FAILURE":
        return "la firma o su cadena usan algoritmos que ya no se aceptan (MD5/SHA-1)."
    return f"no se pudo confirmar la cadena de confianza ({name or 'desconocido'})."


def _revocation(
    signer_der: bytes,
    issuer_der: bytes,
    signature: EmbeddedPdfSignature,
    document: _Document,
    trust: TrustStore,
    moment: datetime,
) -> Revocation | None:
    """What the OCSP answers inside the PDF say about the signer, checked offline; ``None``
    when the PDF holds no usable answer for it.

    Checked by ``signing.revocation.evaluate_response`` (issuer and responder authorisation,
    signature), not by pyhanko-certvalidator, which skips OCSP for any certificate whose AIA
    names no responder -- every SAT certificate."""
    from signing.revocation import RevocationStatus, evaluate_response

    responses = [*document.ocsps, *_signed_ocsps(signature)]
    responders = [*trust.ocsp_responders, *document.certificates]
    checks = [
        evaluate_response(
            r.dump(), signer_der, issuer_der, now=moment, responder_certificates=responders
        )
        for r in responses
        if _answers_for(r, signer_der, issuer_der)
    ]
    revoked = [c for c in checks if c.status is RevocationStatus.REVOCADO]
    if revoked:
        revoked_at = revoked[0].revoked_at
        when = f" el {revoked_at:%Y-%m-%d %H:%M} UTC" if revoked_at else ""
        return Revocation(
            "revocado", f"Certificado revocado{when} (respuesta OCSP incluida en el documento).",
            revoked_at=revoked_at, source="documento",
        )  # fmt: skip
    good = [c for c in checks if c.status is RevocationStatus.VIGENTE and c.checked_at]
    if not good:
        return None
    answered = max(c.checked_at for c in good if c.checked_at is not None)
    return Revocation(
        "vigente",
        f"Certificado no revocado según la respuesta OCSP incluida en el documento "
        f"({answered:%Y-%m-%d %H:%M} UTC).",
        source="documento",
    )


def _ask(checker: RevocationChecker | None, signer_der: bytes, issuer_der: bytes) -> Revocation:
    if checker is None:
        return Revocation(
            "no_verificado", "Revocación no verificada (sin conexión o sin servicio OCSP)."
        )
    check = checker.check(signer_der, issuer_der)
    return Revocation(
        str(check.status), check.message, revoked_at=check.revoked_at, source="consulta"
    )


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


class _Document:
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
    def read(cls, reader: PdfFileReader, embedded: list[EmbeddedPdfSignature]) -> _Document:
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


class _Signer:
    def __init__(self, der: bytes) -> None:
        self.der = der
        self.identity: CertificateIdentity | None = None
        certificate = asn1_x509.Certificate.load(der)
        # Not a SAT certificate: still verifiable, only without RFC and CURP.
        with contextlib.suppress(NotACertificate):
            self.identity = read_identity(der)
        self.name = self.identity.name if self.identity else _common_name(certificate)
        self.issuer = self.identity.issuer if self.identity else _common_name(certificate, True)
        validity = certificate["tbs_certificate"]["validity"]
        self.not_before: datetime = validity["not_before"].native
        self.not_after: datetime = validity["not_after"].native
        self.kind = None if self.identity is None else "csd" if self.identity.is_csd else "efirma"

    @classmethod
    def read(cls, der: bytes) -> _Signer:
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


def _claimed_timestamp(signer_info: cms.SignerInfo) -> datetime | None:
    """The time in the signature timestamp token, before it is verified."""
    try:
        for token in extract_tst_data_iter(signer_info, signed=False):
            info = token["encap_content_info"]["content"].parsed
            moment = info["gen_time"].native
            return moment if isinstance(moment, datetime) else None
    except Exception:  # noqa: BLE001 - a garbled token counts as no token; pyHanko reports it
        return None
    return None


def _timestamp_trusted(status: Any) -> bool:
    token = status.timestamp_validity
    return bool(token is not None and token.intact and token.valid and token.trusted)


def _path_issuer(status: Any) -> bytes | None:
    path = status.validation_path
    if path is None:
        return None
    certificates = list(path.iter_certs(include_root=True))
    return certificates[-2].dump() if len(certificates) >= 2 else None


def _anchor_is_test_root(status: Any, trust: TrustStore) -> bool:
    path = status.validation_path
    if path is None:
        return False
    certificates = list(path.iter_certs(include_root=True))
    return bool(certificates) and trust.is_test_root(certificates[0].dump())


def _common_name(certificate: asn1_x509.Certificate, issuer: bool = False) -> str:
    name = certificate.issuer if issuer else certificate.subject
    try:
        native = name.native
        value = native.get("common_name") or native.get("organization_name")
        if isinstance(value, list):
            value = value[0]
        return str(value) if value else name.human_friendly
    except (ValueError, TypeError):
        return "(nombre ilegible)"


def _document_timestamp(signature: EmbeddedPdfSignature, trust: TrustStore) -> SignatureReport:
    try:
        status = validate_pdf_timestamp(signature, validation_context=trust.validation_context())
        authority = _common_name(signature.signer_cert)
    except Exception as error:  # noqa: BLE001 - any pyHanko failure means "cannot be checked"
        return _broken(signature, None, error)
    intact = bool(status.intact and status.valid)
    coverage, modified, note = _coverage(status)
    trusted = bool(status.trusted)
    ok = intact and trusted and not modified
    if ok:
        verdict = (
            f"Sello de tiempo válido de «{authority}» ({status.timestamp:%Y-%m-%d %H:%M} UTC)."
        )
    elif not intact or modified:
        verdict = "Sello de tiempo del documento ALTERADO: el documento fue modificado después."
    else:
        verdict = f"Sello de tiempo de una autoridad que no es de confianza («{authority}»)."
    return SignatureReport(
        field_name=signature.field_name, kind="sello_de_tiempo", signer=authority, rfc=None,
        curp=None, certificate_number=None, certificate_type=None,
        issuer=_common_name(signature.signer_cert, True), intact=intact, coverage=coverage,
        modified_after_signing=modified, trusted=trusted,
        trust_problem=None if trusted else verdict,
        test_root=_anchor_is_test_root(status, trust), signing_time=status.timestamp,
        signing_time_source="sello_de_tiempo", valid_at_signing_time=None,
        revocation=Revocation("no_verificado", "No aplica a sellos de tiempo."),
        timestamp_time=status.timestamp, timestamp_authority=authority, timestamp_ok=ok,
        level=None, ok=ok, verdict=verdict + (f" {note}" if note and ok else ""),
    )  # fmt: skip


def _broken(
    signature: EmbeddedPdfSignature, signer: _Signer | None, error: Exception
) -> SignatureReport:
    name = signer.name if signer else "(desconocido)"
    return SignatureReport(
        field_name=signature.field_name, kind="firma" if signer else "sello_de_tiempo",
        signer=name, rfc=signer.identity.rfc if signer and signer.identity else None,
        curp=None, certificate_number=None, certificate_type=signer.kind if signer else None,
        issuer=signer.issuer if signer else "", intact=False, coverage="parcial",
        modified_after_signing=True, trusted=False, trust_problem=f"{type(error).__name__}",
        test_root=False, signing_time=None, signing_time_source="ninguna",
        valid_at_signing_time=None,
        revocation=Revocation("no_verificado", "Revocación no verificada."),
        timestamp_time=None, timestamp_authority=None, timestamp_ok=None, level=None, ok=False,
        verdict=f"La firma de {name} está dañada y no se puede comprobar: el documento pudo "
        "ser modificado después de firmarse.",
    )  # fmt: skip


def _overall(reports: tuple[SignatureReport, ...], trust: TrustStore) -> VerificationReport:
    signatures = [report for report in reports if report.kind == "firma"]
    if not signatures:
        extra = " (solo sellos de tiempo)" if reports else ""
        return VerificationReport(
            reports, ok=False, verdict=f"El documento no tiene firmas{extra}.",
            warnings=trust.warnings,
        )  # fmt: skip
    ok = all(report.ok for report in reports)
    if ok:
        count = len(signatures)
        verdict = "La firma es válida." if count == 1 else f"Las {count} firmas son válidas."
        if any(report.revocation.status != "vigente" for report in signatures):
            verdict += " Atención: no se pudo verificar la revocación de todas las firmas."
    else:
        bad = sum(1 for report in reports if not report.ok)
        verdict = (
            f"El documento NO es confiable: {bad} de {len(reports)} "
            f"{'firma tiene' if bad == 1 else 'firmas tienen'} problemas."
        )
    return VerificationReport(reports, ok=ok, verdict=verdict, warnings=trust.warnings)
