"""Ask the OCSP responder whether a certificate has been revoked -- explicitly.

SAT's end-entity certificates carry no AIA and no CRL distribution point, so a validator that
only follows the pointers inside a certificate (pyhanko-certvalidator does) never checks them: a
revoked SAT-style certificate validates as trusted even in hard-fail mode. So the configured
responder (SAT's ``edofiel`` in production, certomancer's in the tests) is asked here, with the
issuer certificate, and the answer is checked (``signing.ocsp_answer``) before it is believed:

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
from threading import Lock
from typing import Protocol
from urllib.parse import urlsplit

import requests
import sqlite_utils
from asn1crypto import algos, core
from asn1crypto import ocsp as asn1_ocsp

from mailroom.config import Settings
from mailroom.store import Store
from signing.certificate import Certificate, parsed
from signing.ocsp_answer import (
    RevocationCheck,
    RevocationStatus,
    evaluate_response,
    interpret,
    next_update_of,
    not_verified,
    unknown,
)

__all__ = [
    "CachedResponse",
    "MemoryOcspCache",
    "OcspCache",
    "RevocationCheck",
    "RevocationChecker",
    "RevocationStatus",
    "StoreOcspCache",
    "checker_from_settings",
    "evaluate_response",
]
# A cached "vigente" answer is reused this long before the responder is asked again. SAT's
# responder answers in real time (no nextUpdate); an hour keeps a busy counter from asking for
# the same office certificate on every acuse.
DEFAULT_MAX_AGE = timedelta(hours=1)
_MAX_RESPONSE_BYTES = 1024 * 1024


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
        self._responder_certificates = [parsed(der) for der in responder_certificates]
        self._host = urlsplit(responder_url).netloc or responder_url

    def _interpret(
        self,
        body: bytes,
        certificate: Certificate,
        issuer: Certificate,
        now: datetime,
        *,
        stale_ok: bool = False,
    ) -> RevocationCheck:
        return interpret(
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
        certificate = parsed(certificate_der)
        issuer = parsed(issuer_der)
        key = certificate.sha256
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
            self._cache.put(key, issuer.sha256, result, now, next_update)
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
        self, certificate: Certificate, issuer: Certificate, now: datetime
    ) -> tuple[RevocationCheck, datetime | None]:
        request = ocsp_request(certificate, issuer)
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
            return not_verified(host, f"{type(error).__name__}: {error}"), None
        if response.status_code >= 500 or response.status_code in (408, 429):
            return not_verified(host, f"HTTP {response.status_code}"), None
        if response.status_code != 200 or len(body) > _MAX_RESPONSE_BYTES:
            return unknown(
                f"El servicio OCSP ({host}) respondió algo que no es una respuesta OCSP "
                f"(HTTP {response.status_code}).",
                f"HTTP {response.status_code}, {len(body)} bytes",
            ), None
        result = self._interpret(body, certificate, issuer, now)
        next_update = next_update_of(body) if result.verified else None
        return result, next_update


def ocsp_request(certificate: Certificate, issuer: Certificate) -> bytes:
    """The DER OCSP request for ``certificate``: one CertID with SHA-1 hashes of the issuer's
    name (as encoded) and key, no nonce, unsigned.

    Built with asn1crypto because ``cryptography``'s builder wants its own certificate objects,
    which it cannot make of AC6 or anything AC6 issued. The bytes are the ones its builder wrote
    before (SHA-1 with explicit NULL parameters), which SAT's responder is known to accept.
    """
    cert_id = asn1_ocsp.CertId(
        {
            "hash_algorithm": algos.DigestAlgorithm(
                {"algorithm": "sha1", "parameters": core.Null()}
            ),
            "issuer_name_hash": hashlib.sha1(issuer.subject_der).digest(),
            "issuer_key_hash": hashlib.sha1(issuer.public_key_bits).digest(),
            "serial_number": certificate.serial_number,
        }
    )
    request = asn1_ocsp.TBSRequest({"request_list": [{"req_cert": cert_id}]})
    return asn1_ocsp.OCSPRequest({"tbs_request": request}).dump()


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
