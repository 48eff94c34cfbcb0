from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest

from sync import protocol
from sync.manifest import BlobRef
from sync.transport import OfflineTimeout
from sync.upload import BlobUploader, ChunkSizer
from tests.sync_fakes import ScriptedTransport, answer


class FakeBlobServer:
    """Holds one blob's received prefix; scripted to misbehave once."""

    def __init__(self, data: bytes, *, held: int = 0, misbehave: str = "") -> None:
        self.data = data
        self.held = held
        self.misbehave = misbehave
        self.ranges: list[str] = []

    def reply(self, method: str, path: str, kwargs: dict[str, Any]):  # type: ignore[no-untyped-def]
        if method == "HEAD":
            return answer(204 if self.held else 404, headers={"Upload-Offset": str(self.held)})
        header = kwargs["headers"]
        start, end, total = protocol.parse_content_range(header[protocol.HEADER_CONTENT_RANGE])
        self.ranges.append(header[protocol.HEADER_CONTENT_RANGE])
        assert header[protocol.HEADER_CHUNK_DIGEST] == hashlib.sha256(kwargs["data"]).hexdigest()
        if self.misbehave == "timeout":
            self.misbehave = ""
            self.held += 1000  # the server got part of it before the link died
            raise OfflineTimeout("El servidor no respondió a tiempo.")
        if self.misbehave == "conflict" and start > 0:
            self.misbehave = ""
            self.held = start - 100
            return answer(409, {"error": "desfase"}, headers={"Upload-Offset": str(self.held)})
        if start != self.held:
            return answer(409, {"error": "desfase"}, headers={"Upload-Offset": str(self.held)})
        self.held = end
        status = 201 if end == total else 202
        return answer(status, {"offset": end}, headers={"Upload-Offset": str(end)})


def upload(tmp_path: Path, server: FakeBlobServer, size: int) -> list[int]:
    path = tmp_path / "blob"
    path.write_bytes(server.data)
    progress: list[int] = []

    def acknowledged(sha256: str, held: int) -> None:
        progress.append(held)

    sizer = ChunkSizer(protocol.MIN_CHUNK)
    uploader = BlobUploader(ScriptedTransport(server.reply), sizer, acknowledged)
    uploader.upload(BlobRef(hashlib.sha256(server.data).hexdigest(), size), path)
    return progress


@pytest.fixture
def data() -> bytes:
    return bytes(range(256)) * 4000  # about 1 MB


def test_chunks_grow_when_fast_and_shrink_after_a_timeout() -> None:
    sizer = ChunkSizer()
    sizer.went(0.1)
    assert sizer.size == 2 * protocol.DEFAULT_CHUNK
    for _ in range(5):
        sizer.went(0.1)
    assert sizer.size == protocol.MAX_CHUNK
    sizer.went(20)
    sizer.cut()
    assert sizer.size == protocol.MAX_CHUNK // 4
    for _ in range(10):
        sizer.cut()
    assert sizer.size == protocol.MIN_CHUNK


def test_upload_resumes_from_what_the_server_holds(tmp_path: Path, data: bytes) -> None:
    server = FakeBlobServer(data, held=300_000)
    progress = upload(tmp_path, server, len(data))
    assert server.ranges[0].startswith("bytes 300000-")
    assert server.held == len(data) and progress[0] == 300_000 and progress[-1] == len(data)


def test_a_409_resumes_from_upload_offset(tmp_path: Path, data: bytes) -> None:
    server = FakeBlobServer(data, misbehave="conflict")
    progress = upload(tmp_path, server, len(data))
    assert server.held == len(data) and progress[-1] == len(data)
    # Progress follows what the server says it holds, even when that goes back.
    resumed = protocol.MIN_CHUNK - 100
    assert resumed in progress and server.ranges[2].startswith(f"bytes {resumed}-")


def test_a_timeout_shrinks_and_resumes_from_head(tmp_path: Path, data: bytes) -> None:
    server = FakeBlobServer(data, misbehave="timeout")
    progress = upload(tmp_path, server, len(data))
    assert server.held == len(data) and progress[-1] == len(data)
    assert server.ranges[1].startswith("bytes 1000-")  # from HEAD's offset, not from zero
