from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sync import protocol
from sync.connectivity import ping
from sync.errors import Offline
from tests.sync_fakes import ScriptedTransport, answer

NOW = datetime(2026, 3, 9, 16, 30, tzinfo=UTC)


def check(response_or_error):  # type: ignore[no-untyped-def]
    def reply(method, path, kwargs):  # type: ignore[no-untyped-def]
        assert (method, path) == ("GET", "/v1/ping")
        if isinstance(response_or_error, Exception):
            raise response_or_error
        return response_or_error

    return ping(ScriptedTransport(reply), NOW)


def test_a_backend_ping_is_online_and_reports_no_skew() -> None:
    state = check(answer(200, {"service": protocol.SERVICE_NAME, "server_time": NOW.isoformat()}))
    assert state.online and state.clock_skew_seconds == 0 and not state.skewed


def test_a_captive_portal_page_is_offline() -> None:
    state = check(answer(200, text="<html><body>Inicie sesión en la red WiFi</body></html>"))
    assert not state.online and "portal" in state.reason


def test_a_redirect_is_offline_and_says_where() -> None:
    state = check(answer(302, headers={"Location": "http://login.hotel/"}))
    assert not state.online and "login.hotel" in state.reason


def test_json_from_another_service_is_offline() -> None:
    assert not check(answer(200, {"service": "otro", "server_time": NOW.isoformat()})).online


def test_no_connection_is_offline_with_the_reason() -> None:
    state = check(Offline("Sin conexión con el servidor: ConnectionError."))
    assert not state.online and "ConnectionError" in state.reason


def test_a_clock_three_minutes_ahead_is_flagged() -> None:
    server = NOW - timedelta(minutes=3)
    state = check(
        answer(200, {"service": protocol.SERVICE_NAME, "server_time": server.isoformat()})
    )
    assert state.online and state.clock_skew_seconds == 180 and state.skewed
