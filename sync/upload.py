"""Resumable blob upload in chunks whose size follows the link.

The server's ``Upload-Offset`` is the only truth about how much it holds: we resume from it after a
409 or a cut, and progress counts only bytes it acknowledged. Chunks grow while they go fast and
shrink after a timeout, between ``protocol.MIN_CHUNK`` and ``protocol.MAX_CHUNK``.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from pathlib import Path

from sync import protocol
from sync.errors import Rejected, SyncError
from sync.manifest import BlobRef
from sync.transport import OfflineTimeout, Transport, error_for

FAST_SECONDS = 1.0  # a chunk this quick: double the next one
SLOW_SECONDS = 8.0  # a chunk this slow: halve the next one
MAX_TIMEOUTS = 3  # per blob and attempt; then the item waits for its backoff
MAX_BAD_DIGESTS = 3


class ChunkSizer:
    """The link's chunk size, adapted to how long chunks take. One per worker, shared by its
    threads: the link is the same for all of them, and a lost update between two threads only
    delays the adaptation by a chunk (the size is always clamped to the protocol's range)."""

    def __init__(self, size: int = protocol.DEFAULT_CHUNK) -> None:
        self.size = _clamp(size)

    def went(self, seconds: float) -> None:
        if seconds < FAST_SECONDS:
            self.size = _clamp(self.size * 2)
        elif seconds > SLOW_SECONDS:
            self.size = _clamp(self.size // 2)

    def cut(self) -> None:
        self.size = _clamp(self.size // 2)


def _clamp(size: int) -> int:
    return max(protocol.MIN_CHUNK, min(protocol.MAX_CHUNK, size))


class BlobUploader:
    def __init__(
        self,
        transport: Transport,
        sizer: ChunkSizer | None = None,
        on_acknowledged: Callable[[str, int], None] | None = None,
    ) -> None:
        self.transport = transport
        self.sizer = sizer or ChunkSizer()
        # Called with (sha256, bytes of it the server says it holds) after every answer.
        self._on_acknowledged = on_acknowledged or (lambda _sha, _held: None)

    def offset(self, sha256: str) -> int | None:
        """Bytes the server holds; None when it already has the whole blob."""
        response = self.transport.request("HEAD", f"{protocol.API_PREFIX}/blobs/{sha256}")
        if response.status_code == 200:
            return None
        if response.status_code == 204:
            return int(response.headers.get(protocol.HEADER_UPLOAD_OFFSET, "0"))
        if response.status_code == 404:
            return 0
        raise error_for(response, "consultar un archivo")

    def upload(self, blob: BlobRef, path: Path, *, known_missing: bool = False) -> None:
        """Send ``blob`` from where the server has it. ``known_missing``: the server just said
        it lacks the blob, so start at 0 without a HEAD (a 409 corrects the offset)."""
        offset = 0 if known_missing else self.offset(blob.sha256)
        if offset is None:
            self._on_acknowledged(blob.sha256, blob.size)
            return
        if offset:
            self._on_acknowledged(blob.sha256, offset)
        timeouts = bad_digests = 0
        with path.open("rb") as handle:
            while True:
                handle.seek(offset)
                chunk = handle.read(self.sizer.size)
                if not chunk:
                    raise SyncError(
                        f"El archivo {blob.sha256[:12]}… es más corto de lo registrado "
                        f"({offset} de {blob.size} bytes)."
                    )
                started = time.monotonic()
                try:
                    response = self._put(blob, offset, chunk)
                except OfflineTimeout:
                    timeouts += 1
                    self.sizer.cut()
                    if timeouts >= MAX_TIMEOUTS:
                        raise
                    resumed = self.offset(blob.sha256)
                    if resumed is None:
                        self._on_acknowledged(blob.sha256, blob.size)
                        return
                    self._on_acknowledged(blob.sha256, resumed)
                    offset = resumed
                    continue
                status = response.status_code
                if status == 201:
                    self._on_acknowledged(blob.sha256, blob.size)
                    return
                if status in (202, 409):
                    if status == 202:
                        self.sizer.went(time.monotonic() - started)
                    resumed = int(response.headers.get(protocol.HEADER_UPLOAD_OFFSET, offset))
                    self._on_acknowledged(blob.sha256, resumed)
                    offset = resumed
                    continue
                if status == 413:
                    self.sizer.cut()
                    continue
                if status == 422:
                    bad_digests += 1
                    if bad_digests >= MAX_BAD_DIGESTS:
                        raise Rejected(
                            f"El servidor rechaza el archivo {blob.sha256[:12]}… una y otra vez "
                            "porque su contenido no coincide con su hash: revise el almacén "
                            "(oficialia store check).",
                            server_code="archivo_distinto",
                            status=422,
                        )
                    continue
                raise error_for(response, "enviar un archivo")

    def _put(self, blob: BlobRef, offset: int, chunk: bytes):  # type: ignore[no-untyped-def]
        end = offset + len(chunk)
        return self.transport.request(
            "PUT",
            f"{protocol.API_PREFIX}/blobs/{blob.sha256}",
            headers={
                protocol.HEADER_CONTENT_RANGE: protocol.content_range(offset, end, blob.size),
                protocol.HEADER_CHUNK_DIGEST: hashlib.sha256(chunk).hexdigest(),
                "Content-Type": "application/octet-stream",
            },
            data=chunk,
        )
