"""What pyHanko's validation status of one signature means for a clerk, for :mod:`signing.verify`:
coverage (what changed after signing), the trust problem, the trust path and the main verdict.

Private to ``signing.verify``; the Spanish here is what the clerk reads.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature
from pyhanko.sign.validation.status import SignatureCoverageLevel

from signing.trust import TrustStore
from signing.verify_contents import SignerCertificate


def validate(signature: EmbeddedPdfSignature, trust: TrustStore, moment: datetime) -> Any:
    return validate_pdf_signature(
        signature,
        signer_validation_context=trust.validation_context(moment=moment),
        ts_validation_context=trust.validation_context(),
    )


def timestamp_trusted(status: Any) -> bool:
    token = status.timestamp_validity
    return bool(token is not None and token.intact and token.valid and token.trusted)


def path_issuer(status: Any) -> bytes | None:
    path = status.validation_path
    if path is None:
        return None
    certificates = list(path.iter_certs(include_root=True))
    return certificates[-2].dump() if len(certificates) >= 2 else None


def anchor_is_test_root(status: Any, trust: TrustStore) -> bool:
    path = status.validation_path
    if path is None:
        return False
    certificates = list(path.iter_certs(include_root=True))
    return bool(certificates) and trust.is_test_root(certificates[0].dump())


def coverage_of(status: Any) -> tuple[str, bool, str | None]:
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


def trust_problem(status: Any, signer: SignerCertificate) -> str:
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


def main_verdict(
    signer: SignerCertificate,
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


def document_timestamp_verdict(
    authority: str, moment: datetime, intact: bool, modified: bool, trusted: bool
) -> str:
    if intact and trusted and not modified:
        return f"Sello de tiempo válido de «{authority}» ({moment:%Y-%m-%d %H:%M} UTC)."
    if not intact or modified:
        return "Sello de tiempo del documento ALTERADO: el documento fue modificado después."
    return f"Sello de tiempo de una autoridad que no es de confianza («{authority}»)."


def signature_verdict(
    main: str, coverage_note: str | None, revocation_note: str | None, timestamp_failed: bool
) -> str:
    """The main verdict, then whatever else the clerk must hear about the signature."""
    parts = [main]
    if coverage_note:
        parts.append(coverage_note)
    if revocation_note is not None:
        parts.append(revocation_note)
    if timestamp_failed:
        parts.append(
            "El sello de tiempo de la firma no es válido o su autoridad no es de confianza."
        )
    return " ".join(parts)
