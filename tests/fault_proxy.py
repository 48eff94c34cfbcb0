"""A TCP proxy that breaks connections on purpose, for the sync fault proofs (toxiproxy is not
available here). It sits between the client and the backend on 127.0.0.1, reads the HTTP/1.1
requests going through (headers and ``Content-Length`` body: what ``requests`` sends) and, for
each request, does one of:

* ``pass`` -- forward it and its response untouched;
* ``throttle`` -- forward it, and its response, at ``rate`` bytes per second (a poor rural link);
* ``stall`` -- forward its first ``after`` bytes, then hold the connection open without
  forwarding anything for ``seconds`` and reset it (a link that dies silently: the client's
  read timeout must fire);
* ``cut`` -- forward its first ``after`` bytes, then reset the connection (a link that drops
  mid-upload);
* ``reset`` -- reset the connection before forwarding any of it;
* ``drop_response`` -- forward all of it, let the backend process it, then reset the client's
  connection as soon as the response starts (the commit happened; the client never knows).

Every fault but ``pass`` and ``throttle`` ends the connection, as it would on a real link, so a
keep-alive client opens a new one: each connection ends in a fault or when the client is done.
Which fault a request gets is decided by a callable given the request's number, so a test can
script a sequence or draw at random with a seed. :attr:`FaultProxy.stats` counts connections,
requests and each fault, and bytes: ``request_bytes`` (every request whole, head and body, counted
as soon as the proxy has read it and before its fault is chosen, so a chooser can tell how big the
request it decides on is) and ``response_bytes`` (what reached the client).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import socket
import struct
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

CHUNK = 64 * 1024
BREAKING = ("stall", "cut", "reset", "drop_response")


@dataclass(frozen=True)
class Fault:
    kind: str = "pass"  # pass | throttle | stall | cut | reset | drop_response
    after: int = 0  # bytes of the request forwarded before a stall or a cut
    rate: int = 256 * 1024  # bytes per second, for throttle
    seconds: float = 30.0  # how long a stall lasts


PASS = Fault()


def random_faults(
    share: float, seed: int, *, stall_seconds: float = 30.0
) -> Callable[[int], Fault]:
    """A chooser that faults about ``share`` of the requests, every kind in turn at random."""
    chooser = random.Random(seed)

    def choose(_: int) -> Fault:
        if chooser.random() >= share:
            return PASS
        kind = chooser.choice(["throttle", "stall", "cut", "reset", "drop_response"])
        return Fault(kind=kind, after=chooser.randrange(0, 600_000), seconds=stall_seconds)

    return choose


class FaultProxy:
    """``with FaultProxy(upstream_port, choose) as proxy: ... proxy.url ...``"""

    def __init__(self, upstream_port: int, choose: Callable[[int], Fault] = lambda _: PASS) -> None:
        self.upstream_port = upstream_port
        self.choose = choose
        self.stats: Counter[str] = Counter()
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="fault-proxy", daemon=True)
        self._requests_seen = 0
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def faulted_connections(self) -> int:
        return sum(self.stats[kind] for kind in BREAKING)

    def __enter__(self) -> FaultProxy:
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the fault proxy did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(asyncio.start_server(self._handle, "127.0.0.1", 0))
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        try:
            self._loop.run_forever()
        finally:
            server.close()
            for task in asyncio.all_tasks(self._loop):
                task.cancel()
            with contextlib.suppress(Exception):
                self._loop.run_until_complete(asyncio.sleep(0))
            self._loop.close()

    def _next_fault(self) -> Fault:
        # Only the loop thread calls this: no lock needed.
        self._requests_seen += 1
        fault = self.choose(self._requests_seen)
        self.stats[fault.kind] += 1
        self.stats["requests"] += 1
        return fault

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.stats["connections"] += 1
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        except OSError:
            _reset(writer)
            return
        current = [PASS]  # the fault of the request whose response is coming back
        try:
            await asyncio.gather(
                self._requests(reader, up_writer, writer, current),
                self._responses(up_reader, writer, current),
            )
        except (OSError, asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            for stream in (writer, up_writer):
                with contextlib.suppress(Exception):
                    stream.close()

    async def _requests(
        self,
        client: asyncio.StreamReader,
        upstream: asyncio.StreamWriter,
        client_writer: asyncio.StreamWriter,
        current: list[Fault],
    ) -> None:
        pending = b""
        while True:
            request, pending = await _read_request(client, pending)
            if request is None:
                with contextlib.suppress(OSError):
                    upstream.write_eof()
                return
            self.stats["request_bytes"] += len(request)
            fault = self._next_fault()
            current[0] = fault
            if fault.kind == "reset":
                _reset(client_writer)
                upstream.close()
                return
            if fault.kind in ("stall", "cut"):
                upstream.write(request[: fault.after % len(request)])
                with contextlib.suppress(OSError):
                    await upstream.drain()
                if fault.kind == "stall":
                    await asyncio.sleep(fault.seconds)
                _reset(client_writer)
                upstream.close()
                return
            await _forward(upstream, request, fault)

    async def _responses(
        self,
        upstream: asyncio.StreamReader,
        client: asyncio.StreamWriter,
        current: list[Fault],
    ) -> None:
        while data := await upstream.read(CHUNK):
            if current[0].kind == "drop_response":
                _reset(client)  # the backend did the work; the client hears nothing
                return
            await _forward(client, data, current[0])
            self.stats["response_bytes"] += len(data)
        with contextlib.suppress(OSError):
            client.write_eof()


async def _read_request(client: asyncio.StreamReader, pending: bytes) -> tuple[bytes | None, bytes]:
    """One whole HTTP/1.1 request (head and ``Content-Length`` body) and what followed it."""
    while b"\r\n\r\n" not in pending:
        data = await client.read(CHUNK)
        if not data:
            return None, b""
        pending += data
    head_end = pending.index(b"\r\n\r\n") + 4
    total = head_end + _content_length(pending[:head_end])
    while len(pending) < total:
        data = await client.read(CHUNK)
        if not data:
            return None, b""
        pending += data
    return pending[:total], pending[total:]


def _content_length(head: bytes) -> int:
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value.strip())
    return 0


async def _forward(writer: asyncio.StreamWriter, data: bytes, fault: Fault) -> None:
    if fault.kind != "throttle":
        writer.write(data)
        await writer.drain()
        return
    step = max(1024, fault.rate // 20)
    for start in range(0, len(data), step):
        piece = data[start : start + step]
        writer.write(piece)
        await writer.drain()
        await asyncio.sleep(len(piece) / fault.rate)


def _reset(writer: asyncio.StreamWriter) -> None:
    """Close with a TCP RST rather than a FIN: what a middlebox that gives up looks like."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    with contextlib.suppress(Exception):
        writer.transport.abort()
