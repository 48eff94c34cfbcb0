"""The fault proxy itself does what the sync proofs rely on: each fault, seen from a real HTTP
client, against a real (tiny) HTTP server behind it on 127.0.0.1."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from tests.fault_proxy import PASS, Fault, FaultProxy, random_faults

BODY = b"x" * 50_000


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        """A client cut off by the proxy mid-answer is the point of these tests, not news."""


class _Upstream:
    def __init__(self) -> None:
        self.received: list[int] = []  # sizes of request bodies that arrived whole
        upstream = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                self._answer(BODY)

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers["Content-Length"])
                data = self.rfile.read(length)
                if len(data) == length:
                    upstream.received.append(length)
                self._answer(b"ok")

            def _answer(self, body: bytes) -> None:
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                return

        self.server = _QuietServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_port
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def upstream() -> Iterator[_Upstream]:
    server = _Upstream()
    yield server
    server.server.shutdown()
    server.server.server_close()


def _proxy(upstream: _Upstream, fault: Fault) -> FaultProxy:
    return FaultProxy(upstream.port, lambda _: fault)


def test_pass_forwards_both_ways(upstream: _Upstream) -> None:
    with _proxy(upstream, PASS) as proxy:
        assert requests.get(proxy.url, timeout=5).content == BODY
        assert requests.post(proxy.url, data=b"a" * 1000, timeout=5).content == b"ok"
    assert upstream.received == [1000]
    assert proxy.stats["pass"] == 2


def test_throttle_slows_the_link(upstream: _Upstream) -> None:
    with _proxy(upstream, Fault("throttle", rate=100_000)) as proxy:
        started = time.monotonic()
        assert requests.get(proxy.url, timeout=10).content == BODY
        assert time.monotonic() - started >= 0.4  # 50 kB at 100 kB/s


def test_stall_makes_the_client_time_out(upstream: _Upstream) -> None:
    with (
        _proxy(upstream, Fault("stall", after=100, seconds=5)) as proxy,
        pytest.raises((requests.Timeout, requests.ConnectionError)),
    ):
        requests.post(proxy.url, data=b"a" * 10_000, timeout=(2, 1))
    assert upstream.received == []


def test_cut_drops_the_upload_midway(upstream: _Upstream) -> None:
    with (
        _proxy(upstream, Fault("cut", after=3000)) as proxy,
        pytest.raises(requests.ConnectionError),
    ):
        requests.post(proxy.url, data=b"a" * 200_000, timeout=5)
    assert upstream.received == []


def test_reset_refuses_at_once(upstream: _Upstream) -> None:
    with _proxy(upstream, Fault("reset")) as proxy, pytest.raises(requests.ConnectionError):
        requests.get(proxy.url, timeout=5)


def test_drop_response_lets_the_server_act_but_the_client_never_hears(
    upstream: _Upstream,
) -> None:
    with _proxy(upstream, Fault("drop_response")) as proxy, pytest.raises(requests.ConnectionError):
        requests.post(proxy.url, data=b"a" * 5000, timeout=5)
    deadline = time.monotonic() + 5
    while not upstream.received and time.monotonic() < deadline:
        time.sleep(0.05)
    assert upstream.received == [5000]


def test_random_faults_hit_about_the_share_asked(upstream: _Upstream) -> None:
    with FaultProxy(upstream.port, random_faults(0.4, seed=7, stall_seconds=1)) as proxy:
        for _ in range(40):
            with contextlib.suppress(requests.RequestException):
                requests.get(proxy.url, timeout=(2, 0.5), headers={"Connection": "close"})
    faulted = proxy.stats["requests"] - proxy.stats["pass"]
    assert proxy.stats["requests"] == 40
    assert 8 <= faulted <= 26


def test_a_fault_strikes_a_later_request_on_a_keep_alive_connection(upstream: _Upstream) -> None:
    script = {1: PASS, 2: PASS, 3: Fault("cut", after=500)}
    with (
        FaultProxy(upstream.port, lambda n: script.get(n, PASS)) as proxy,
        requests.Session() as session,
    ):
        for _ in range(2):
            assert session.post(proxy.url, data=b"a" * 2000, timeout=5).content == b"ok"
        with pytest.raises(requests.ConnectionError):
            session.post(proxy.url, data=b"b" * 2000, timeout=5)
        assert session.post(proxy.url, data=b"c" * 2000, timeout=5).content == b"ok"
    assert upstream.received == [2000, 2000, 2000]
    assert proxy.stats["connections"] == 2 and proxy.faulted_connections == 1
