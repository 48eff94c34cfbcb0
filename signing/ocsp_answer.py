"""What an OCSP answer proves, checked before it is believed (no network here).

Shared by the live query (``signing.revocation``) and by validation of the answers a PDF carries
(``signing.verify``). An answer counts only if it is ``successful``, answers for *this*
certificate (issuer name and key hashes, serial number), is signed by the issuer or by a
responder certificate the issuer signed for OCSP signing, and is current (``thisUpdate`` not in
the future, ``nextUpdate`` not past -- unless judging old evidence). Parsed with asn1crypto,
which accepts the fractional seconds some responders (certomancer among them) write in
GeneralizedTime, where ``cryptography``'s OCSP parser refuses them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from asn1crypto import algos
from asn1crypto import ocsp as asn1_ocsp

from signing.certificate import (
    OCSP_SIGNING,
    Certificate,
    parse_certificate,
    parsed,
    signature_verifies,
)
from signing.errors import NotACertificate

CLOCK_SKEW = timedelta(minutes=5)
_CERT_ID_HASHES = ("sha1", "sha224", "sha256", "sha384", "sha512")


class RevocationStatus(StrEnum):
    VIGENTE = "vigente"
    REVOCADO = "revocado"
    DESCONOCIDO = "desconocido"  # the responder answered, but nothing trustworthy about it
    NO_VERIFICADO = "no_verificado"  # no answer at all (offline, timeout): check again later


@dataclass(frozen=True)
class RevocationCheck:
    status: RevocationStatus
    message: str  # Spanish, one line, for the clerk
    checked_at: datetime | None = None  # when the responder produced the answer
    revoked_at: datetime | None = None
    reason: str | None = None  # revocation reason, or why the check failed
    response_der: bytes | None = None  # the checked OCSPResponse, for validation and the DSS

    @property
    def verified(self) -> bool:
        return self.status in (RevocationStatus.VIGENTE, RevocationStatus.REVOCADO)

    def to_dict(self) -> dict[str, object]:
        return {
            "estado": self.status.value,
            "mensaje": self.message,
            "consultado": self.checked_at.isoformat() if self.checked_at else None,
            "revocado_desde": self.revoked_at.isoformat() if self.revoked_at else None,
            "motivo": self.reason,
        }


def evaluate_response(
    response_der: bytes,
    certificate_der: bytes,
    issuer_der: bytes,
    *,
    now: datetime | None = None,
    responder_certificates: Sequence[bytes] = (),
) -> RevocationCheck:
    """What an OCSP answer already in hand (e.g. inside a PDF's DSS) proves about a certificate.

    The same checks as a live query -- it must answer for this certificate and be signed by the
    issuer or a responder the issuer authorised -- except freshness: an embedded answer is
    evidence of the status at the time it was produced, however old it is now. (pyhanko-
    certvalidator cannot do this for SAT certificates: it skips OCSP entirely for a certificate
    whose AIA names no responder, even when the answer is supplied.)"""
    return interpret(
        response_der,
        parsed(certificate_der),
        parsed(issuer_der),
        now or datetime.now(UTC),
        responder_certificates=[parsed(der) for der in responder_certificates],
        host="documento",
        stale_ok=True,
    )


def interpret(
    body: bytes,
    certificate: Certificate,
    issuer: Certificate,
    now: datetime,
    *,
    responder_certificates: Sequence[Certificate] = (),
    host: str = "",
    stale_ok: bool = False,
) -> RevocationCheck:
    try:
        answer = _Answer.parse(body)
    except (ValueError, TypeError, KeyError, IndexError, NotACertificate) as error:
        return unknown(
            "La respuesta del servicio OCSP está dañada o no es OCSP; no se pudo confirmar "
            "la vigencia del certificado.",
            str(error),
        )
    if answer.status == "try_later":
        return not_verified(host, "tryLater")
    if answer.status != "successful":
        return unknown(
            f"El servicio OCSP rechazó la consulta ({answer.status}); no se pudo confirmar "
            "la vigencia del certificado.",
            answer.status,
        )
    problem = _authenticate(
        answer, certificate, issuer, now, responder_certificates, stale_ok=stale_ok
    )
    if problem is not None:
        return unknown(
            "La respuesta del servicio OCSP no es confiable "
            f"({problem}); no se pudo confirmar la vigencia del certificado.",
            problem,
        )
    if answer.cert_status == "revoked":
        when = f" el {answer.revoked_at:%Y-%m-%d %H:%M} UTC" if answer.revoked_at else ""
        return RevocationCheck(
            RevocationStatus.REVOCADO,
            f"Certificado REVOCADO{when}: no debe aceptarse lo firmado con él después de "
            "esa fecha.",
            checked_at=answer.produced_at,
            revoked_at=answer.revoked_at,
            reason=answer.revocation_reason,
            response_der=body,
        )
    if answer.cert_status != "good":
        return unknown(
            "El servicio OCSP no conoce este certificado (¿lo emitió otra autoridad?).",
            answer.cert_status,
        )
    return RevocationCheck(
        RevocationStatus.VIGENTE,
        "Certificado vigente, no revocado (consulta OCSP del "
        f"{answer.produced_at:%Y-%m-%d %H:%M} UTC).",
        checked_at=answer.produced_at,
        response_der=body,
    )


def _authenticate(
    answer: _Answer,
    certificate: Certificate,
    issuer: Certificate,
    now: datetime,
    responder_certificates: Sequence[Certificate],
    *,
    stale_ok: bool = False,
) -> str | None:
    """Why the response cannot be believed, or ``None`` when it can."""
    if answer.serial_number != certificate.serial_number or not answer.names_issuer(issuer):
        return "contesta por otro certificado"
    signer = _response_signer(answer, issuer, responder_certificates)
    if signer is None:
        return "firmada por un respondedor que la autoridad no autorizó"
    if not answer.signed_by(signer):
        return "la firma de la respuesta no corresponde"
    if answer.this_update > now + CLOCK_SKEW:
        return "fechada en el futuro"
    stale = answer.next_update is not None and answer.next_update < now - CLOCK_SKEW
    if stale and not stale_ok:
        # A cached answer past its nextUpdate: stale, not evidence.
        return "caducada"
    return None


def _response_signer(
    answer: _Answer, issuer: Certificate, responder_certificates: Sequence[Certificate]
) -> Certificate | None:
    for candidate in [issuer, *answer.certificates, *responder_certificates]:
        if not answer.names_responder(candidate):
            continue
        if candidate.der == issuer.der or _is_delegated_responder(candidate, issuer):
            return candidate
    return None


@dataclass(frozen=True)
class _Answer:
    """The parts of an OCSP response that matter here.

    Parsed with asn1crypto, which is lenient where it may be: certomancer (and other responders)
    write fractional seconds in GeneralizedTime, which ``cryptography``'s OCSP parser refuses.
    """

    status: str
    cert_status: str = ""
    serial_number: int = 0
    hash_algorithm: str = ""
    issuer_name_hash: bytes = b""
    issuer_key_hash: bytes = b""
    produced_at: datetime = datetime.min.replace(tzinfo=UTC)
    this_update: datetime = datetime.min.replace(tzinfo=UTC)
    next_update: datetime | None = None
    revoked_at: datetime | None = None
    revocation_reason: str | None = None
    responder_kind: str = ""
    responder_value: bytes = b""
    certificates: tuple[Certificate, ...] = ()
    tbs: bytes = b""
    signature: bytes = b""
    signature_algorithm_der: bytes = b""

    @classmethod
    def parse(cls, body: bytes) -> _Answer:
        response = asn1_ocsp.OCSPResponse.load(body, strict=True)
        status = str(response["response_status"].native)
        if status != "successful":
            return cls(status=status)
        basic = response["response_bytes"]["response"].parsed
        data = basic["tbs_response_data"]
        singles = data["responses"]
        if len(singles) != 1:
            raise ValueError("la respuesta no contesta por un solo certificado")
        single = singles[0]
        cert_id = single["cert_id"]
        cert_status = single["cert_status"]
        revoked_at = reason = None
        if cert_status.name == "revoked":
            revoked_at = cert_status.chosen["revocation_time"].native
            reason = cert_status.chosen["revocation_reason"].native
        responder = data["responder_id"]
        algorithm = basic["signature_algorithm"]
        embedded = basic["certs"].native and [c.dump() for c in basic["certs"]] or []
        return cls(
            status=status,
            cert_status=str(cert_status.name),
            serial_number=int(cert_id["serial_number"].native),
            hash_algorithm=str(cert_id["hash_algorithm"]["algorithm"].native),
            issuer_name_hash=bytes(cert_id["issuer_name_hash"].native),
            issuer_key_hash=bytes(cert_id["issuer_key_hash"].native),
            produced_at=data["produced_at"].native,
            this_update=single["this_update"].native,
            next_update=single["next_update"].native,
            revoked_at=revoked_at,
            revocation_reason=reason,
            responder_kind=str(responder.name),
            responder_value=(
                bytes(responder.chosen.native)
                if responder.name == "by_key"
                else responder.chosen.dump()
            ),
            certificates=tuple(parse_certificate(der) for der in embedded),
            tbs=data.dump(),
            signature=bytes(basic["signature"].native),
            signature_algorithm_der=algorithm.dump(),
        )

    def names_issuer(self, issuer: Certificate) -> bool:
        """Whether the answer's CertID names ``issuer``: the hashes are over the issuer's name
        exactly as encoded (AC6's, malformed strings and all) and over its key."""
        if self.hash_algorithm not in _CERT_ID_HASHES:
            return False
        return (
            _digest(self.hash_algorithm, issuer.subject_der) == self.issuer_name_hash
            and _digest(self.hash_algorithm, issuer.public_key_bits) == self.issuer_key_hash
        )

    def names_responder(self, candidate: Certificate) -> bool:
        if self.responder_kind == "by_key":
            return _digest("sha1", candidate.public_key_bits) == self.responder_value
        return candidate.subject_der == self.responder_value

    def signed_by(self, signer: Certificate) -> bool:
        try:
            key = signer.public_key()
        except NotACertificate:
            return False
        algorithm = algos.SignedDigestAlgorithm.load(self.signature_algorithm_der)
        return signature_verifies(key, algorithm, self.tbs, self.signature)


def _digest(algorithm: str, data: bytes) -> bytes:
    return hashlib.new(algorithm, data).digest()


def _is_delegated_responder(candidate: Certificate, issuer: Certificate) -> bool:
    return OCSP_SIGNING in candidate.extended_key_usages and candidate.is_signed_by(issuer)


def not_verified(host: str, reason: str) -> RevocationCheck:
    return RevocationCheck(
        RevocationStatus.NO_VERIFICADO,
        f"Revocación no verificada: no hubo respuesta del servicio OCSP ({host}); se "
        "verificará en cuanto haya conexión.",
        reason=reason,
    )


def unknown(message: str, reason: str) -> RevocationCheck:
    return RevocationCheck(RevocationStatus.DESCONOCIDO, message, reason=reason)


def next_update_of(response_der: bytes) -> datetime | None:
    """The ``nextUpdate`` of an answer already judged usable (``None``: none was given)."""
    return _Answer.parse(response_der).next_update
