"""Explicit OCSP revocation checks against the SAT-shaped test PKI (certomancer on 127.0.0.1),
and against responders that are down or lie."""

from __future__ import annotations

import threading
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from mailroom.config import load_settings
from mailroom.store import Store
from signing.revocation import (
    MemoryOcspCache,
    RevocationChecker,
    RevocationStatus,
    StoreOcspCache,
    checker_from_settings,
)
from tests.sat_pki import SatPki, offline_url


def _pair(pki: SatPki, label: str) -> tuple[bytes, bytes]:
    return pki.cer(label).read_bytes(), pki.ac_der


@contextmanager
def _responder(body: bytes, status: int = 200, content_type: str = "application/ocsp-response"):
    """A responder on 127.0.0.1 that answers every request with the same bytes."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/ocsp"
    finally:
        server.shutdown()
        server.server_close()


def test_a_valid_certificate_is_reported_vigente_with_the_checked_response(
    sat_pki: SatPki,
) -> None:
    check = RevocationChecker(sat_pki.ocsp_url, timeout=5).check(*_pair(sat_pki, "fisica"))
    assert check.status is RevocationStatus.VIGENTE
    assert check.message.startswith("Certificado vigente")
    assert check.response_der is not None and check.checked_at is not None
    assert abs(check.checked_at - datetime.now(UTC)) < timedelta(minutes=5)


def test_a_revoked_certificate_without_aia_is_caught(sat_pki: SatPki) -> None:
    check = RevocationChecker(sat_pki.ocsp_url, timeout=5).check(*_pair(sat_pki, "revocada"))
    assert check.status is RevocationStatus.REVOCADO
    assert "REVOCADO" in check.message
    assert check.revoked_at is not None
    assert abs(check.revoked_at - sat_pki.revoked_at) < timedelta(seconds=2)
    assert check.reason == "key_compromise"
    assert f"{sat_pki.revoked_at:%Y-%m-%d}" in check.message


def test_offline_check_says_revocation_not_verified(sat_pki: SatPki) -> None:
    check = RevocationChecker(offline_url(), timeout=2).check(*_pair(sat_pki, "fisica"))
    assert check.status is RevocationStatus.NO_VERIFICADO
    assert check.message.startswith("Revocación no verificada")
    assert "en cuanto haya conexión" in check.message
    assert check.response_der is None


def test_a_captive_portal_page_is_not_an_answer(sat_pki: SatPki) -> None:
    portal = b"<html><body>Inicie sesion en la red WiFi</body></html>"
    with _responder(portal, content_type="text/html") as url:
        check = RevocationChecker(url, timeout=5).check(*_pair(sat_pki, "fisica"))
    assert check.status is RevocationStatus.DESCONOCIDO
    assert "no se pudo confirmar la vigencia" in check.message


def test_a_server_error_is_treated_as_offline(sat_pki: SatPki) -> None:
    with _responder(b"", status=503) as url:
        check = RevocationChecker(url, timeout=5).check(*_pair(sat_pki, "fisica"))
    assert check.status is RevocationStatus.NO_VERIFICADO


def test_a_replayed_answer_for_another_certificate_is_not_believed(sat_pki: SatPki) -> None:
    """A responder that lies: it replays the genuine "good" answer about another certificate."""
    genuine = RevocationChecker(sat_pki.ocsp_url, timeout=5).check(*_pair(sat_pki, "fisica"))
    assert genuine.response_der is not None
    with _responder(genuine.response_der) as url:
        check = RevocationChecker(url, timeout=5).check(*_pair(sat_pki, "revocada"))
    assert check.status is RevocationStatus.DESCONOCIDO
    assert "contesta por otro certificado" in check.message


def test_an_answer_with_a_broken_signature_is_not_believed(sat_pki: SatPki) -> None:
    genuine = RevocationChecker(sat_pki.ocsp_url, timeout=5).check(*_pair(sat_pki, "fisica"))
    assert genuine.response_der is not None
    tampered = bytearray(genuine.response_der)
    tampered[-10] ^= 0xFF  # inside the signature value, at the end of the structure
    with _responder(bytes(tampered)) as url:
        check = RevocationChecker(url, timeout=5).check(*_pair(sat_pki, "fisica"))
    assert check.status is RevocationStatus.DESCONOCIDO
    assert "no es confiable" in check.message or "dañada" in check.message


def test_cache_answers_while_offline_and_revocation_is_final(sat_pki: SatPki) -> None:
    cache = MemoryOcspCache()
    online = RevocationChecker(sat_pki.ocsp_url, timeout=5, cache=cache)
    assert online.check(*_pair(sat_pki, "fisica")).status is RevocationStatus.VIGENTE
    assert online.check(*_pair(sat_pki, "revocada")).status is RevocationStatus.REVOCADO

    # Minutes later, offline: the fresh cached answer stands (no network needed).
    soon = datetime.now(UTC) + timedelta(minutes=1)
    offline = RevocationChecker(offline_url(), timeout=2, cache=cache, clock=lambda: soon)
    assert offline.check(*_pair(sat_pki, "fisica")).status is RevocationStatus.VIGENTE

    # Hours later, still offline: the old answer is reported, but as not verified today.
    later = datetime.now(UTC) + timedelta(hours=3)
    offline = RevocationChecker(offline_url(), timeout=2, cache=cache, clock=lambda: later)
    stale = offline.check(*_pair(sat_pki, "fisica"))
    assert stale.status is RevocationStatus.NO_VERIFICADO
    assert "última consulta" in stale.message and "decía vigente" in stale.message
    # A revocation is final, however old the answer.
    assert offline.check(*_pair(sat_pki, "revocada")).status is RevocationStatus.REVOCADO


def test_store_cache_survives_a_restart(sat_pki: SatPki, tmp_path) -> None:
    settings = load_settings(tmp_path / "datos", ocsp_url=sat_pki.ocsp_url)
    with Store(settings.data_dir) as store:
        checker = checker_from_settings(settings, cache=StoreOcspCache(store))
        assert checker is not None
        assert checker.check(*_pair(sat_pki, "fisica")).status is RevocationStatus.VIGENTE
    with Store(settings.data_dir) as store:
        offline = RevocationChecker(offline_url(), timeout=2, cache=StoreOcspCache(store))
        assert offline.check(*_pair(sat_pki, "fisica")).status is RevocationStatus.VIGENTE
        rows = list(store.reader().query("SELECT status FROM ocsp_responses"))
        assert [row["status"] for row in rows] == ["vigente"]


def test_no_responder_configured_means_no_checker(tmp_path) -> None:
    assert checker_from_settings(load_settings(tmp_path / "d", ocsp_url="")) is None
    with pytest.raises(ValueError):
        RevocationChecker("")
