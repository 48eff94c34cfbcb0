"""Ask the OCSP responder whether a certificate has been revoked -- explicitly.

SAT's end-entity certificates carry no AIA and no CRL distribution point, so a validator that
only follows the pointers inside a certificate (pyhanko-certvalidator does) never checks them: a
revoked SAT-style certificate validates as trusted even in hard-fail mode. So the configured
responder (SAT's ``edofiel`` in production, certomancer's in the tests) is asked here, with the
issuer certificate, and the answer is checked before it is believed:

* the response must be ``successful`` and answer for *this* certificate (issuer name and key
  hashes and serial number);
* it must be signed by the issuer itself or by a responder certificate that the issuer signed
  and marked for OCSP signing;
* it must be current: ``thisUpdate`` not in the future (beyond a little clock skew) and
  ``nextUpdate``, when present, not past.

The raw DER answer is returned so that validation (``ValidationContext(ocsps=...)``) and the
long-term upgrade (the DSS of a B-LT PDF) use the very response that was checked. Answers are
cached with the time they were fetched. Without a network nothing is raised: the result says
"revocación no verificada" and the caller queues the check.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from threading import Lock
from typing import Protocol
from urllib.parse import urlsplit

import requests
import sqlite_utils
from asn1crypto import keys
from asn1crypto import ocsp as asn1_ocsp
from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID

from mailroom.config import Settings
from mailroom.store import Store
from signing.credentials import _is_signed_by
from signing.identity import parse_certificate

CLOCK_SKEW = timedelta(minutes=5)
# A cached "vigente" answer is reused this long before the responder is asked again. SAT's
# responder answers in real time (no nextUpdate); an hour keeps a busy counter from asking for
# the same office certificate on every acuse.
DEFAULT_MAX_AGE = timedelta(hours=1)
_MAX_RESPONSE_BYTES = 1024 * 1024


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


@dataclass(frozen=True)
class CachedResponse:
    response_der: bytes
    fetched_at: datetime


class OcspCache(Protocol):
    def get(self, certificate_sha256: str) -> CachedResponse | None: ...

    def put(
        self,
        certificate_sha256: str,
        issuer_sha256: str,
        check: RevocationCheck,
        fetched_at: datetime,
        next_update: datetime | None,
    ) -> None: ...


class MemoryOcspCache:
    """Per-process cache (the ``verify`` command, tests). The app uses the store's table."""

    def __init__(self) -> None:
        self._entries: dict[str, CachedResponse] = {}
        self._lock = Lock()

    def get(self, certificate_sha256: str) -> CachedResponse | None:
        with self._lock:
            return self._entries.get(certificate_sha256)

    def put(
        self,
        certificate_sha256: str,
        issuer_sha256: str,
        check: RevocationCheck,
        fetched_at: datetime,
        next_update: datetime | None,
    ) -> None:
        if check.response_der is None:
            return
        with self._lock:
            self._entries[certificate_sha256] = CachedResponse(check.response_der, fetched_at)


class RevocationChecker:
    """Checks certificates against one OCSP responder. Thread-safe; one HTTP session per call.

    ``responder_certificates`` are extra DER certificates that may have signed responses without
    embedding themselves (SAT publishes its delegated responders' certificates).
    """

    def __init__(
        self,
        responder_url: str,
        *,
        timeout: float = 10.0,
        cache: OcspCache | None = None,
        clock: Callable[[], datetime] | None = None,
        max_age: timedelta = DEFAULT_MAX_AGE,
        responder_certificates: Sequence[bytes] = (),
    ) -> None:
        if not responder_url:
            raise ValueError("an OCSP responder URL is required")
        self.responder_url = responder_url
        self._timeout = timeout
        self._cache = cache
        self._clock = clock or (lambda: datetime.now(UTC))
        self._max_age = max_age
        self._responder_certificates = [parse_certificate(der) for der in responder_certificates]
        self._host = urlsplit(responder_url).netloc or responder_url

    def _interpret(
        self,
        body: bytes,
        certificate: x509.Certificate,
        issuer: x509.Certificate,
        now: datetime,
        *,
        stale_ok: bool = False,
    ) -> RevocationCheck:
        return _interpret(
            body,
            certificate,
            issuer,
            now,
            responder_certificates=self._responder_certificates,
            host=self._host,
            stale_ok=stale_ok,
        )

    def check(self, certificate_der: bytes, issuer_der: bytes) -> RevocationCheck:
        """Never raises for network or responder trouble: the status says what happened."""
        certificate = parse_certificate(certificate_der)
        issuer = parse_certificate(issuer_der)
        key = _sha256(certificate)
        now = self._clock()
        cached = self._cache.get(key) if self._cache is not None else None
        if cached is not None:
            # A revocation is final, however old the answer; "vigente" is reused while fresh.
            final = self._interpret(cached.response_der, certificate, issuer, now, stale_ok=True)
            if final.status is RevocationStatus.REVOCADO:
                return final
            if now - cached.fetched_at <= self._max_age:
                reused = self._interpret(cached.response_der, certificate, issuer, now)
                if reused.status is RevocationStatus.VIGENTE:
                    return reused
        result, next_update = self._ask(certificate, issuer, now)
        if result.verified and self._cache is not None:
            self._cache.put(key, _sha256(issuer), result, now, next_update)
        if result.status is RevocationStatus.NO_VERIFICADO and cached is not None:
            previous = self._interpret(cached.response_der, certificate, issuer, now, stale_ok=True)
            if previous.status is RevocationStatus.VIGENTE and previous.checked_at is not None:
                # Say what the last answer was, but it is not evidence today: check again later.
                return RevocationCheck(
                    RevocationStatus.NO_VERIFICADO,
                    "Revocación no verificada hoy (sin conexión con el servicio OCSP); la última "
                    f"consulta, del {previous.checked_at:%Y-%m-%d %H:%M} UTC, decía vigente.",
                    checked_at=previous.checked_at,
                    reason=result.reason,
                )
        return result

    def _ask(
        self, certificate: x509.Certificate, issuer: x509.Certificate, now: datetime
    ) -> tuple[RevocationCheck, datetime | None]:
        request = (
            ocsp.OCSPRequestBuilder()
            .add_certificate(certificate, issuer, hashes.SHA1())
            .build()
            .public_bytes(serialization.Encoding.DER)
        )
        host = urlsplit(self.responder_url).netloc or self.responder_url
        try:
            with requests.Session() as session:
                response = session.post(
                    self.responder_url,
                    data=request,
                    headers={"Content-Type": "application/ocsp-request"},
                    timeout=self._timeout,
                    stream=True,
                )
                body = response.raw.read(_MAX_RESPONSE_BYTES + 1, decode_content=True)
        except requests.RequestException as error:
            return _not_verified(host, f"{type(error).__name__}: {error}"), None
        if response.status_code >= 500 or response.status_code in (408, 429):
            return _not_verified(host, f"HTTP {response.status_code}"), None
        if response.status_code != 200 or len(body) > _MAX_RESPONSE_BYTES:
            return _unknown(
                f"El servicio OCSP ({host}) respondió algo que no es una respuesta OCSP "
                f"(HTTP {response.status_code}).",
                f"HTTP {response.status_code}, {len(body)} bytes",
            ), None
        result = self._interpret(body, certificate, issuer, now)
        next_update = _Answer.parse(body).next_update if result.verified else None
        return result, next_update


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
    return _interpret(
        response_der,
        parse_certificate(certificate_der),
        parse_certificate(issuer_der),
        now or datetime.now(UTC),
        responder_certificates=[parse_certificate(der) for der in responder_certificates],
        host="documento",
        stale_ok=True,
    )


def _interpret(
    body: bytes,
    certificate: x509.Certificate,
    issuer: x509.Certificate,
    now: datetime,
    *,
    responder_certificates: Sequence[x509.Certificate] = (),
    host: str = "",
    stale_ok: bool = False,
) -> RevocationCheck:
    try:
        answer = _Answer.parse(body)
    except (ValueError, TypeError, KeyError, IndexError) as error:
        return _unknown(
            "La respuesta del servicio OCSP está dañada o no es OCSP; no se pudo confirmar "
            "la vigencia del certificado.",
            str(error),
        )
    if answer.status == "try_later":
        return _not_verified(host, "tryLater")
    if answer.status != "successful":
        return _unknown(
            f"El servicio OCSP rechazó la consulta ({answer.status}); no se pudo confirmar "
            "la vigencia del certificado.",
            answer.status,
        )
    problem = _authenticate(
        answer, certificate, issuer, now, responder_certificates, stale_ok=stale_ok
    )
    if problem is not None:
        return _unknown(
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
        return _unknown(
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
    certificate: x509.Certificate,
    issuer: x509.Certificate,
    now: datetime,
    responder_certificates: Sequence[x509.Certificate],
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
    answer: _Answer, issuer: x509.Certificate, responder_certificates: Sequence[x509.Certificate]
) -> x509.Certificate | None:
    for candidate in [issuer, *answer.certificates, *responder_certificates]:
        if not answer.names_responder(candidate):
            continue
        if candidate == issuer or _is_delegated_responder(candidate, issuer):
            return candidate
    return None


_HASHES: dict[str, Callable[[], hashes.HashAlgorithm]] = {
    "sha1": hashes.SHA1,
    "sha224": hashes.SHA224,
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}


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
    certificates: tuple[x509.Certificate, ...] = ()
    tbs: bytes = b""
    signature: bytes = b""
    signature_hash: str = ""

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
            signature_hash=str(algorithm.hash_algo),
        )

    def names_issuer(self, issuer: x509.Certificate) -> bool:
        factory = _HASHES.get(self.hash_algorithm)
        if factory is None:
            return False
        return (
            _digest(factory(), issuer.subject.public_bytes()) == self.issuer_name_hash
            and _digest(factory(), _public_key_bits(issuer)) == self.issuer_key_hash
        )

    def names_responder(self, candidate: x509.Certificate) -> bool:
        if self.responder_kind == "by_key":
            return _digest(hashes.SHA1(), _public_key_bits(candidate)) == self.responder_value
        return candidate.subject.public_bytes() == self.responder_value

    def signed_by(self, signer: x509.Certificate) -> bool:
        factory = _HASHES.get(self.signature_hash)
        if factory is None:
            return False
        key = signer.public_key()
        try:
            if isinstance(key, rsa.RSAPublicKey):
                key.verify(self.signature, self.tbs, padding.PKCS1v15(), factory())
            elif isinstance(key, ec.EllipticCurvePublicKey):
                key.verify(self.signature, self.tbs, ec.ECDSA(factory()))
            else:
                return False
        except (InvalidSignature, UnsupportedAlgorithm, ValueError):
            return False
        return True


def _digest(algorithm: hashes.HashAlgorithm, data: bytes) -> bytes:
    digest = hashes.Hash(algorithm)
    digest.update(data)
    return digest.finalize()


def _public_key_bits(certificate: x509.Certificate) -> bytes:
    spki = certificate.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return bytes(keys.PublicKeyInfo.load(spki)["public_key"].contents[1:])


def _is_delegated_responder(candidate: x509.Certificate, issuer: x509.Certificate) -> bool:
    try:
        usage = candidate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        return False
    if ExtendedKeyUsageOID.OCSP_SIGNING not in usage:
        return False
    return _is_signed_by(candidate, issuer.public_bytes(serialization.Encoding.DER))


def _sha256(certificate: x509.Certificate) -> str:
    return hashlib.sha256(certificate.public_bytes(serialization.Encoding.DER)).hexdigest()


def _not_verified(host: str, reason: str) -> RevocationCheck:
    return RevocationCheck(
        RevocationStatus.NO_VERIFICADO,
        f"Revocación no verificada: no hubo respuesta del servicio OCSP ({host}); se "
        "verificará en cuanto haya conexión.",
        reason=reason,
    )


def _unknown(message: str, reason: str) -> RevocationCheck:
    return RevocationCheck(RevocationStatus.DESCONOCIDO, message, reason=reason)


class StoreOcspCache:
    """OCSP answers kept in the store's ``ocsp_responses`` table, so they survive restarts."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def get(self, certificate_sha256: str) -> CachedResponse | None:
        rows = list(
            self._store.reader().query(
                "SELECT response, fetched_at FROM ocsp_responses WHERE certificate_sha256 = ?",
                [certificate_sha256],
            )
        )
        if not rows:
            return None
        return CachedResponse(rows[0]["response"], datetime.fromisoformat(rows[0]["fetched_at"]))

    def put(
        self,
        certificate_sha256: str,
        issuer_sha256: str,
        check: RevocationCheck,
        fetched_at: datetime,
        next_update: datetime | None,
    ) -> None:
        if check.response_der is None:
            return
        row = {
            "certificate_sha256": certificate_sha256,
            "issuer_sha256": issuer_sha256,
            "status": check.status.value,
            "response": check.response_der,
            "this_update": check.checked_at.isoformat() if check.checked_at else None,
            "next_update": next_update.isoformat() if next_update else None,
            "fetched_at": fetched_at.isoformat(),
        }

        def save(db: sqlite_utils.Database) -> None:  # the writer runs it in BEGIN IMMEDIATE
            db.execute(
                "INSERT INTO ocsp_responses (certificate_sha256, issuer_sha256, status, "
                "response, this_update, next_update, fetched_at) VALUES (:certificate_sha256, "
                ":issuer_sha256, :status, :response, :this_update, :next_update, :fetched_at) "
                "ON CONFLICT (certificate_sha256) DO UPDATE SET issuer_sha256 = "
                "excluded.issuer_sha256, status = excluded.status, response = "
                "excluded.response, this_update = excluded.this_update, next_update = "
                "excluded.next_update, fetched_at = excluded.fetched_at",
                row,
            )

        self._store.write(save)


def checker_from_settings(
    settings: Settings,
    *,
    cache: OcspCache | None = None,
    clock: Callable[[], datetime] | None = None,
    responder_certificates: Sequence[bytes] = (),
) -> RevocationChecker | None:
    """The configured checker, or ``None`` when ``ocsp_url`` is empty (revocation not checked)."""
    if not settings.ocsp_url:
        return None
    return RevocationChecker(
        settings.ocsp_url,
        timeout=float(settings.network_timeout_seconds),
        cache=cache if cache is not None else MemoryOcspCache(),
        clock=clock,
        responder_certificates=responder_certificates,
    )
