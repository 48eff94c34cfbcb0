from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from sync.errors import DeviceRevoked, Rejected, SyncError, Transient
from sync.transport import Transport, error_for, retry_after_seconds
from tests.sync_fakes import answer


def test_urls_keep_the_proxy_path_prefix() -> None:
    transport = Transport("https://proxy.example.gob.mx/oficialia/")
    assert transport.url("/v1/ping") == "https://proxy.example.gob.mx/oficialia/v1/ping"
    assert transport.url("v1/blobs:missing") == (
        "https://proxy.example.gob.mx/oficialia/v1/blobs:missing"
    )


def test_plain_http_is_refused_except_on_this_machine() -> None:
    with pytest.raises(SyncError, match="https://"):
        Transport("http://backend.example.gob.mx")
    Transport("http://127.0.0.1:8000")


def test_tls_is_always_verified() -> None:
    assert Transport("https://b.example").session().verify is True
    assert Transport("https://b.example", ca_bundle="/etc/ca.pem").session().verify == "/etc/ca.pem"


def test_sessions_are_per_thread() -> None:
    import threading

    transport = Transport("https://b.example")
    sessions = [transport.session()]
    thread = threading.Thread(target=lambda: sessions.append(transport.session()))
    thread.start()
    thread.join()
    assert sessions[0] is transport.session() and sessions[1] is not sessions[0]


def test_error_answers_are_classified() -> None:
    revoked = error_for(
        answer(403, {"error": "dispositivo_revocado", "message": "Equipo dado de baja."}), "x"
    )
    assert isinstance(revoked, DeviceRevoked) and "Equipo dado de baja." in revoked.message
    busy = error_for(
        answer(503, {"error": "ocupado", "message": "m"}, headers={"Retry-After": "7"}), "x"
    )
    assert isinstance(busy, Transient) and busy.retry_after == 7
    rejected = error_for(
        answer(422, {"error": "manifiesto_distinto", "message": "Ya existe otro contenido."}), "x"
    )
    assert isinstance(rejected, Rejected)
    assert rejected.server_code == "manifiesto_distinto"
    assert rejected.message == "Ya existe otro contenido."


def test_retry_after_as_seconds_or_date() -> None:
    assert retry_after_seconds("120") == 120
    later = datetime.now(UTC) + timedelta(seconds=90)
    assert 80 < (retry_after_seconds(format_datetime(later, usegmt=True)) or 0) <= 90
    assert retry_after_seconds("mañana") is None
    # A server asking for a week away gets an hour: the office must not go silent for days.
    assert retry_after_seconds("604800") == 3600
