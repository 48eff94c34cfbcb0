"""A TCP proxy that breaks connections on purpose, for the sync fault proofs (toxiproxy is not
available here). It sits between the client and the backend on 127.0.0.1 and, per connection,
does one of:

* ``pass`` -- forward both ways untouched;
* ``throttle`` -- forward at ``rate`` bytes per second both ways (a poor rural link);
* ``stall`` -- forward the first ``after`` bytes of the request, then hold the connection open
  without forwarding anything for ``seconds`` (a link that dies silently: the client's read
  timeout must fire);
* ``cut`` -- forward the first ``after`` bytes of the request, then close both sides (a link that
  drops mid-upload);
* ``reset`` -- answer the client with a TCP reset straight away (``SO_LINGER`` 0);
* ``drop_response`` -- forward the whole request to the backend, let it process it, then close
  the client side as soon as the response starts (the commit happened; the client never knows).

Which fault a connection gets is decided by a callable given the connection's number, so a test
can script a sequence or draw at random with a seed. Every decision is counted in
:attr:`FaultProxy.stats`.
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


@dataclass(frozen=True)
class Fault:
    kind: str = "pass"  # pass | throttle | stall | cut | reset | drop_response
    after: int = 0  # request bytes forwarded before a stall or a cut
    rate: int = 256 * 1024  # bytes per second, for throttle
    seconds: float = 30.0  # how long a stall lasts


PASS = Fault()


def random_faults(
    share: float, seed: int, *, stall_seconds: float = 30.0
) -> Callable[[int], Fault]:
    """A chooser that faults about ``share`` of the connections, every kind in turn at random."""
    chooser = random.Random(seed)

    def choose(_: int) -> Fault:
        if chooser.random() >= share:
            return PASS
        kind = chooser.choice(["throttle", "stall", "cut", "reset", "drop_response"])
        after = chooser.randrange(0, 600_000)
        return Fault(kind=kind, after=after, rate=512 * 1024, seconds=stall_seconds)

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
        self._server: asyncio.base_events.Server | None = None
        self._connections = 0
        self._lock = threading.Lock()
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

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
        self._server = self._loop.run_until_complete(
            asyncio.start_server(self._handle, "127.0.0.1", 0)
        )
        self.port = self._server.sockets[0].getsockname()[1]
        self._ready.set()
        try:
            self._loop.run_forever()
        finally:
            self._server.close()
            for task in asyncio.all_tasks(self._loop):
                task.cancel()
            with contextlib.suppress(Exception):
                self._loop.run_until_complete(asyncio.sleep(0))
            self._loop.close()

    def _next_fault(self) -> Fault:
        with self._lock:
            self._connections += 1
            number = self._connections
        fault = self.choose(number)
        self.stats[fault.kind] += 1
        self.stats["connections"] += 1
        return fault

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        fault = self._next_fault()
        if fault.kind == "reset":
            _reset(writer)
            return
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        except OSError:
            _reset(writer)
            return
        try:
            await asyncio.gather(
                self._requests(reader, up_writer, writer, fault),
                self._responses(up_reader, writer, fault),
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
        fault: Fault,
    ) -> None:
        sent = 0
        while data := await client.read(CHUNK):
            if fault.kind in ("stall", "cut") and sent + len(data) > fault.after:
                upstream.write(data[: max(0, fault.after - sent)])
                with contextlib.suppress(OSError):
                    await upstream.drain()
                if fault.kind == "stall":
                    await asyncio.sleep(fault.seconds)
                _reset(client_writer)
                upstream.close()
                return
            sent += len(data)
            await self._forward(upstream, data, fault)
        with contextlib.suppress(OSError):
            upstream.write_eof()

    async def _responses(
        self, upstream: asyncio.StreamReader, client: asyncio.StreamWriter, fault: Fault
    ) -> None:
        while data := await upstream.read(CHUNK):
            if fault.kind == "drop_response":
                _reset(client)  # the backend did the work; the client hears nothing
                return
            await self._forward(client, data, fault)
        with contextlib.suppress(OSError):
            client.write_eof()

    async def _forward(self, writer: asyncio.StreamWriter, data: bytes, fault: Fault) -> None:
        if fault.kind != "throttle":
            writer.write(data)
            await writer.drain()
            return
        step = max(1024, fault.rate // 20)
        for start in range(0, len(data), step):
            writer.write(data[start : start + step])
            await writer.drain()
            await asyncio.sleep(len(data[start : start + step]) / fault.rate)


def _reset(writer: asyncio.StreamWriter) -> None:
    """Close with a TCP RST rather than a FIN: what a middlebox that gives up looks like."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    with contextlib.suppress(Exception):
        writer.transport.abort()
