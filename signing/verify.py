"""Check every signature and document timestamp of a signed PDF, as a clerk needs to hear it.

Citizens bring PDFs signed anywhere, so nothing about the file is assumed: each signature gets the
signer's identity, integrity, coverage (what changed after signing), trust path, validity at
signing time, revocation and timestamps, and a one-line Spanish verdict. pyHanko does the
cryptography; this module decides what it means for an Oficialía. What the PDF holds is read in
:mod:`signing.verify_contents`; what pyHanko's status means, in :mod:`signing.verify_status`.

Revocation: SAT's certificates carry no AIA, so pyhanko-certvalidator never checks them on its own.
OCSP answers embedded in the PDF (DSS, or the signed ``adbe-revocationInfoArchival`` attribute)
are checked first, offline, with pyhanko-certvalidator requiring OCSP for the signer; when there
are none, the explicit :class:`signing.revocation.RevocationChecker` asks SAT's responder.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from io import BytesIO
from typing import TYPE_CHECKING, Any

from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_timestamp
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature

from signing.errors import SigningError
from signing.trust import TrustStore
from signing.verify_contents import (
    SignedDocument,
    SignerCertificate,
    claimed_timestamp,
    common_name,
    embedded_ocsp_checks,
)
from signing.verify_status import (
    anchor_is_test_root,
    coverage_of,
    document_timestamp_verdict,
    main_verdict,
    path_issuer,
    signature_verdict,
    timestamp_trusted,
    trust_problem,
    validate,
)

if TYPE_CHECKING:
    from signing.revocation import RevocationCheck, RevocationChecker

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
    document = SignedDocument.read(reader, embedded)
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
    document: SignedDocument,
) -> SignatureReport:
    signer = SignerCertificate.read(signature.signer_cert.dump())
    timestamp = claimed_timestamp(signature.signer_info)
    claimed = signature.self_reported_timestamp
    moment = timestamp or claimed or now
    try:
        status = validate(signature, trust, moment)
        if timestamp is not None and not timestamp_trusted(status):
            # An untrusted timestamp proves nothing: fall back to the time the signer declared.
            moment = claimed or now
            status = validate(signature, trust, moment)
    except Exception as error:  # noqa: BLE001 - any pyHanko failure means "cannot be checked"
        return _broken(signature, signer, error)
    timestamp_ok = timestamp_trusted(status) if timestamp is not None else None
    source = "sello_de_tiempo" if timestamp_ok else ("declarada" if claimed else "ninguna")
    issuer_der = trust.issuer_of(signer.der) or path_issuer(status)
    if issuer_der is None:
        revoked = Revocation("no_verificado", "Revocación no verificada: emisor no reconocido.")
    else:
        checks = embedded_ocsp_checks(signer.der, issuer_der, signature, document, trust, moment)
        revoked = _embedded_revocation(checks) or _ask(revocation, signer.der, issuer_der)
    return _signature_report(
        signature, signer, status, trust, document,
        moment=moment, source=source, timestamp_ok=timestamp_ok, revoked=revoked,
    )  # fmt: skip


def _signature_report(
    signature: EmbeddedPdfSignature,
    signer: SignerCertificate,
    status: Any,
    trust: TrustStore,
    document: SignedDocument,
    *,
    moment: datetime,
    source: str,
    timestamp_ok: bool | None,
    revoked: Revocation,
) -> SignatureReport:
    """The report of a signature pyHanko could check (``timestamp_ok`` None: no timestamp)."""
    has_timestamp = timestamp_ok is not None
    timestamp_failed = has_timestamp and not timestamp_ok
    intact = bool(status.intact and status.valid)
    valid_then = signer.not_before <= moment <= signer.not_after
    trusted = status.validation_path is not None and status.trust_problem_indic is None
    coverage, modified, coverage_note = coverage_of(status)
    problem = None if trusted else trust_problem(status, signer)
    revoked_before = revoked.status == "revocado" and (
        not timestamp_ok or revoked.revoked_at is None or revoked.revoked_at <= moment
    )
    verdict = signature_verdict(
        main_verdict(signer, intact, modified, trusted, problem, valid_then, moment),
        coverage_note if intact else None,
        revoked.message if revoked.status != "vigente" or revoked_before else None,
        timestamp_failed,
    )
    ok = intact and not modified and trusted and valid_then and not revoked_before
    tsa = status.timestamp_validity
    identity = signer.identity
    return SignatureReport(
        field_name=signature.field_name, kind="firma", signer=signer.name,
        rfc=identity.rfc if identity else None, curp=identity.curp if identity else None,
        certificate_number=identity.certificate_number if identity else None,
        certificate_type=signer.kind, issuer=signer.issuer, intact=intact, coverage=coverage,
        modified_after_signing=modified, trusted=trusted, trust_problem=problem,
        test_root=anchor_is_test_root(status, trust),
        signing_time=moment if source != "ninguna" else None, signing_time_source=source,
        valid_at_signing_time=valid_then, revocation=revoked,
        timestamp_time=tsa.timestamp if tsa is not None else None,
        timestamp_authority=common_name(tsa.signing_cert) if tsa is not None else None,
        timestamp_ok=timestamp_ok, level=document.level_of(signature, has_timestamp),
        ok=ok and not timestamp_failed, verdict=verdict,
    )  # fmt: skip


def _embedded_revocation(checks: list[RevocationCheck]) -> Revocation | None:
    """What the OCSP answers inside the PDF say about the signer; ``None`` when the PDF holds
    no usable answer for it (see :func:`signing.verify_contents.embedded_ocsp_checks`)."""
    from signing.revocation import RevocationStatus

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


def _document_timestamp(signature: EmbeddedPdfSignature, trust: TrustStore) -> SignatureReport:
    try:
        status = validate_pdf_timestamp(signature, validation_context=trust.validation_context())
        authority = common_name(signature.signer_cert)
    except Exception as error:  # noqa: BLE001 - any pyHanko failure means "cannot be checked"
        return _broken(signature, None, error)
    intact = bool(status.intact and status.valid)
    coverage, modified, note = coverage_of(status)
    trusted = bool(status.trusted)
    ok = intact and trusted and not modified
    verdict = document_timestamp_verdict(authority, status.timestamp, intact, modified, trusted)
    return SignatureReport(
        field_name=signature.field_name, kind="sello_de_tiempo", signer=authority, rfc=None,
        curp=None, certificate_number=None, certificate_type=None,
        issuer=common_name(signature.signer_cert, True), intact=intact, coverage=coverage,
        modified_after_signing=modified, trusted=trusted,
        trust_problem=None if trusted else verdict,
        test_root=anchor_is_test_root(status, trust), signing_time=status.timestamp,
        signing_time_source="sello_de_tiempo", valid_at_signing_time=None,
        revocation=Revocation("no_verificado", "No aplica a sellos de tiempo."),
        timestamp_time=status.timestamp, timestamp_authority=authority, timestamp_ok=ok,
        level=None, ok=ok, verdict=verdict + (f" {note}" if note and ok else ""),
    )  # fmt: skip


def _broken(
    signature: EmbeddedPdfSignature, signer: SignerCertificate | None, error: Exception
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
