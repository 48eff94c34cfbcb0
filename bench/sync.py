"""Sync upload speed on loopback against a plain PUT of the same bytes:
``.venv/bin/python bench/sync.py [--filings 500]``.

In one run, with the reference backend (``sync/server``, uvicorn in a thread of this process, as
``tests/backend_server.py`` runs it) on 127.0.0.1 and nothing else between client and backend but
a counting proxy (``tests/fault_proxy.py``, every request passed):

(a) ours: N filings of 3 pages, each page a JPEG of random colour noise (letter at 36 dpi,
    quality 95: about 300 KB, incompressible, every page different so duplicate detection lets
    them all in; few pixels, so intake's blank-page check stays cheap), registered through
    :class:`mailroom.intake.IntakeService` before the clock starts (no OCR worker); then the
    device enrols and :meth:`sync.worker.SyncWorker.run_once` is timed, pass after pass, until
    every filing is ``sincronizada``. Printed: MB/s of payload (document bytes), requests per
    filing, and bytes on the wire (HTTP heads and bodies both ways, as the proxy counts them;
    TCP/IP headers are the same for any client and left out) per payload byte;
(b) the limit: the same blobs, same order, read from the same store, each sent as one plain
    ``requests`` PUT (one ``Session``, keep-alive) to the backend's own blob endpoint
    (``PUT /v1/blobs/{sha256}``, the whole blob as one chunk with its ``Content-Range``,
    ``Chunk-SHA256`` and bearer credential), so the backend does the same work per byte (auth,
    chunk hash, fsync, whole-blob hash, rename). A fresh backend in the same process takes them
    (the first one already holds every blob), through the same kind of counting proxy: the same
    loopback path, the same bytes, the same threads. Also timed without the proxy, to show what
    the proxy itself costs;
(c) a cut mid-blob: one filing with a single 20 MB page (noise, letter at 300 dpi) delivered
    through the proxy, which resets the connection of the request that carries the blob's 60 %
    mark (counted in request bytes since the pass began), at that mark. The worker then runs
    again and resumes. Printed: bytes re-sent after the cut (every request byte that crossed the
    link, the cut request only up to the cut, minus the blob size), next to the size of the
    chunk the cut hit.

Prints PASS/FAIL per target (>= 0.8x the plain-PUT throughput; wire bytes <= 1.05x payload; a cut
re-sends at most one chunk). The exit status is always 0: this is a measurement, not a test.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import logging
import os
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402
from PIL import Image  # noqa: E402

from mailroom.config import Settings, load_settings  # noqa: E402
from mailroom.intake import IntakeService  # noqa: E402
from mailroom.models import NewFiling, Sender  # noqa: E402
from mailroom.store import Store  # noqa: E402
from sync import enrolment, protocol  # noqa: E402
from sync.transport import Transport  # noqa: E402
from sync.worker import SyncWorker  # noqa: E402
from tests.backend_server import BackendServer, running_backend  # noqa: E402
from tests.fault_proxy import PASS, Fault, FaultProxy  # noqa: E402

TARGET_RATIO = 0.8
TARGET_OVERHEAD = 0.05
LETTER_INCHES = (8.5, 11.0)
PAGE_DPI = 36  # 306 x 396 pixels of colour noise: about 300 KB of JPEG at quality 95
CUT_DPI = 300  # 2550 x 3300: about 20 MB
CUT_AT = 0.6
MAX_PASSES = 1000


@dataclass(frozen=True)
class Run:
    seconds: float
    payload: int
    requests: int
    wire: int

    @property
    def megabytes_per_second(self) -> float:
        return self.payload / self.seconds / 1e6


def noise_page(path: Path, dpi: int) -> None:
    """A page of random gray noise: JPEG cannot compress it, and no two pages are the same."""
    size = (round(LETTER_INCHES[0] * dpi), round(LETTER_INCHES[1] * dpi))
    image = Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=95, subsampling=0, dpi=(dpi, dpi))
    path.write_bytes(buffer.getvalue())


def make_pages(folder: Path, filings: int, pages: int) -> list[list[Path]]:
    folder.mkdir(parents=True, exist_ok=True)
    sets = []
    for number in range(filings):
        paths = [folder / f"{number:04d}-{page}.jpg" for page in range(pages)]
        for path in paths:
            noise_page(path, PAGE_DPI)
        sets.append(paths)
    return sets


def register(store: Store, settings: Settings, page_sets: list[list[Path]]) -> list[str]:
    intake = IntakeService(store, settings)
    uuids = []
    for number, pages in enumerate(page_sets):
        new = NewFiling(Sender(f"Remitente {number}"), f"Solicitud de servicio {number}")
        uuids.append(str(intake.register(new, pages).filing.id))
    return uuids


def pending(store: Store) -> int:
    return (
        store.reader()
        .execute("SELECT count(*) FROM outbox WHERE state != 'sincronizada'")
        .fetchone()[0]
    )


def sync_all(store: Store, worker: SyncWorker, advance: Callable[[], None] = lambda: None) -> int:
    """run_once until nothing is left to send; the number of passes."""
    for passes in range(1, MAX_PASSES + 1):
        worker.run_once()
        if pending(store) == 0:
            return passes
        advance()
    raise RuntimeError(f"{pending(store)} filings still unsent after {MAX_PASSES} passes")


def document_blobs(store: Store, uuids: Sequence[str] | None = None) -> list[tuple[str, int]]:
    rows = store.reader().execute(
        "SELECT filing_uuid, sha256, size FROM documents ORDER BY filing_uuid, ordinal"
    )
    wanted = set(uuids) if uuids is not None else None
    return [(sha, size) for uuid, sha, size in rows if wanted is None or uuid in wanted]


def wire_bytes(proxy: FaultProxy) -> int:
    return proxy.stats["request_bytes"] + proxy.stats["response_bytes"]


def time_ours(store: Store, settings: Settings, backend: BackendServer, filings: int) -> Run:
    with FaultProxy(port_of(backend.url)) as proxy:
        worker = SyncWorker(store, settings, backend_url=proxy.url)
        started = time.perf_counter()
        passes = sync_all(store, worker)
        seconds = time.perf_counter() - started
        payload = sum(size for _, size in document_blobs(store))
        print(f"    {passes} passes of run_once, {proxy.stats['connections']} connections")
        return Run(seconds, payload, proxy.stats["requests"], wire_bytes(proxy))


def port_of(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


def device_credential(backend: BackendServer, office: str) -> str:
    response = requests.post(
        f"{backend.url}{protocol.API_PREFIX}/devices/enroll",
        json={"token": backend.enrolment_token(office), "device_code": "BENCH"},
        timeout=10,
    )
    response.raise_for_status()
    return str(response.json()["credential"])


def plain_puts(url: str, credential: str, blobs: list[tuple[str, Path]]) -> float:
    """Seconds to PUT every blob whole, one request each, over one keep-alive session."""
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {credential}"
    started = time.perf_counter()
    for sha, path in blobs:
        data = path.read_bytes()
        response = session.put(
            f"{url}{protocol.API_PREFIX}/blobs/{sha}",
            data=data,
            headers={
                protocol.HEADER_CONTENT_RANGE: protocol.content_range(0, len(data), len(data)),
                protocol.HEADER_CHUNK_DIGEST: hashlib.sha256(data).hexdigest(),
                "Content-Type": "application/octet-stream",
            },
            timeout=(5, 30),
        )
        if response.status_code != 201:
            raise RuntimeError(f"plain PUT of {sha[:12]} answered {response.status_code}")
    seconds = time.perf_counter() - started
    session.close()
    return seconds


def time_plain(store: Store, office: str, data: Path, through_proxy: bool) -> Run:
    blobs = [(sha, store.blobs.path(sha)) for sha, _ in document_blobs(store)]
    payload = sum(size for _, size in document_blobs(store))
    with running_backend(data) as backend:
        credential = device_credential(backend, office)
        if not through_proxy:
            return Run(plain_puts(backend.url, credential, blobs), payload, len(blobs), 0)
        with FaultProxy(port_of(backend.url)) as proxy:
            seconds = plain_puts(proxy.url, credential, blobs)
            return Run(seconds, payload, proxy.stats["requests"], wire_bytes(proxy))


class CutAt:
    """A chooser that resets the request carrying the ``mark``-th byte sent, at that byte."""

    def __init__(self, mark: int) -> None:
        self.mark = mark
        self.proxy: FaultProxy | None = None
        self.before = 0  # request bytes of the requests already decided
        self.cut: tuple[int, int] | None = None  # (size of the cut request, bytes let through)

    def __call__(self, _: int) -> Fault:
        assert self.proxy is not None
        seen = self.proxy.stats["request_bytes"]  # includes the request being decided
        size, before = seen - self.before, self.before
        self.before = seen
        if self.cut is None and before < self.mark <= seen:
            self.cut = (size, self.mark - before)
            return Fault("cut", after=self.mark - before)
        return PASS


class _Clock:
    def __init__(self) -> None:
        self.instant = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.instant

    def advance(self) -> None:
        self.instant += timedelta(hours=1)  # every backoff has elapsed


@dataclass(frozen=True)
class CutResult:
    blob_size: int
    request_size: int  # the cut request, head and chunk
    let_through: int  # its bytes that crossed before the reset
    sent: int  # every request byte that crossed, the cut request only up to the cut
    passes: int
    intact: bool

    @property
    def resent(self) -> int:
        return self.sent - self.blob_size


def cut_and_resume(
    store: Store, settings: Settings, backend: BackendServer, folder: Path
) -> CutResult | None:
    page = folder / "grande.jpg"
    noise_page(page, CUT_DPI)
    uuid = register(store, settings, [[page]])[0]
    ((sha, size),) = document_blobs(store, [uuid])
    chooser = CutAt(round(size * CUT_AT))
    with FaultProxy(port_of(backend.url), chooser) as proxy:
        chooser.proxy = proxy
        clock = _Clock()
        worker = SyncWorker(store, settings, backend_url=proxy.url, now=clock)
        passes = sync_all(store, worker, clock.advance)
        sent = proxy.stats["request_bytes"]
    if chooser.cut is None:
        return None
    request_size, let_through = chooser.cut
    held = backend.backend.blobs.final_path(sha)
    intact = held.exists() and hashlib.sha256(held.read_bytes()).hexdigest() == sha
    # The link carried nothing of the cut request after the reset.
    sent -= request_size - let_through
    return CutResult(size, request_size, let_through, sent, passes, intact)


def report_cut(cut: CutResult | None) -> None:
    if cut is None:
        print("(c) the blob went through without being cut: nothing measured")
        return
    print(
        f"(c) one blob of {cut.blob_size / 1e6:.1f} MB, cut {cut.let_through:,} bytes into a "
        f"request of {cut.request_size:,} bytes (at {CUT_AT:.0%} of the blob); delivered after "
        f"{cut.passes} passes, blob on the backend {'intact' if cut.intact else 'MISSING/DAMAGED'}"
    )
    print(
        f"    sent {cut.sent:,} bytes in all; re-sent after the cut {cut.resent:,} bytes "
        f"= {cut.resent / cut.request_size:.2f} of the chunk the cut hit (protocol chunks "
        f"{protocol.MIN_CHUNK // 1024} KiB .. {protocol.MAX_CHUNK // 1024} KiB)"
    )


def _disconnect(record: logging.LogRecord) -> bool:
    error = record.exc_info[1] if record.exc_info else None
    return type(error).__name__ == "ClientDisconnect"


def verdict(passed: bool) -> str:
    return "PASS" if passed else "FAIL"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--filings", type=int, default=500, help="filings synced in (a)")
    parser.add_argument("--pages", type=int, default=3, help="pages (documents) per filing")
    options = parser.parse_args(argv)
    # The cut makes the backend log a ClientDisconnect, and a proxy stopped with a connection
    # still open logs its cancelled task: both expected, neither news. (uvicorn resets its
    # loggers' levels when it starts, not their filters.)
    logging.getLogger("uvicorn.error").addFilter(lambda record: not _disconnect(record))
    logging.getLogger("asyncio").setLevel(logging.CRITICAL)
    with tempfile.TemporaryDirectory(prefix="bench-sync-") as temporary:
        folder = Path(temporary)
        settings = load_settings(folder / "equipo", clerk="ventanilla1")
        started = time.perf_counter()
        page_sets = make_pages(folder / "hojas", options.filings, options.pages)
        print(
            f"{options.filings * options.pages} noise pages written in "
            f"{time.perf_counter() - started:.1f} s"
        )
        with (
            running_backend(folder / "servidor") as backend,
            Store(settings.data_dir) as store,
        ):
            enrolment.enroll(
                store,
                Transport(backend.url),
                backend.enrolment_token(settings.office),
                settings.device,
                datetime.now(UTC),
            )
            started = time.perf_counter()
            register(store, settings, page_sets)
            registering = time.perf_counter() - started
            print(
                f"{options.filings} filings registered in {registering:.1f} s "
                f"({registering / options.filings * 1000:.0f} ms each; not timed below)"
            )
            ours = time_ours(store, settings, backend, options.filings)
            report_ours(ours, options.filings)
            plain = time_plain(store, settings.office, folder / "servidor-put", True)
            direct = time_plain(store, settings.office, folder / "servidor-put-directo", False)
            report_plain(plain, direct)
            cut = cut_and_resume(store, settings, backend, folder)
            report_cut(cut)
    report_targets(ours, plain, cut)
    return 0


def report_ours(ours: Run, filings: int) -> None:
    print(f"(a) ours, SyncWorker.run_once through the counting proxy, {filings} filings:")
    print(
        f"    {ours.payload / 1e6:,.1f} MB of documents in {ours.seconds:.1f} s: "
        f"{ours.megabytes_per_second:.1f} MB/s; {ours.requests / filings:.2f} requests per "
        f"filing; wire / payload {ours.wire / ours.payload:.4f}"
    )


def report_plain(plain: Run, direct: Run) -> None:
    print("(b) plain requests PUT, one per blob, one keep-alive session:")
    print(
        f"    through the counting proxy: {plain.seconds:.1f} s, "
        f"{plain.megabytes_per_second:.1f} MB/s; wire / payload {plain.wire / plain.payload:.4f}"
    )
    print(
        f"    straight to the backend:    {direct.seconds:.1f} s, "
        f"{direct.megabytes_per_second:.1f} MB/s (what the proxy costs)"
    )


def report_targets(ours: Run, plain: Run, cut: CutResult | None) -> None:
    ratio = ours.megabytes_per_second / plain.megabytes_per_second
    overhead = ours.wire / ours.payload - 1
    print("targets:")
    print(
        f"    >= {TARGET_RATIO}x the plain-PUT throughput: {ratio:.2f}x"
        f"  {verdict(ratio >= TARGET_RATIO)}"
    )
    print(
        f"    wire overhead <= {TARGET_OVERHEAD:.0%}: {overhead:.2%}"
        f"  {verdict(overhead <= TARGET_OVERHEAD)}"
    )
    if cut is None:
        print("    a cut re-sends at most one chunk: no cut happened  FAIL")
        return
    print(
        f"    a cut re-sends at most one chunk: {cut.resent:,} <= {cut.request_size:,} bytes"
        f"  {verdict(cut.intact and cut.resent <= cut.request_size)}"
    )


if __name__ == "__main__":
    sys.exit(main())
