"""Where the backend keeps blob bytes: a folder (the default) or an S3-compatible object store.

Both stores hold the same keys: a finished blob at ``<sha[:2]>/<sha256>``, staged upload chunks
under ``partial/<sha256>/…``. What counts as *present* is decided by the database
(``blobs.complete``), never by an object existing: :mod:`sync.server.blobs` writes a final object
only after its SHA-256 was checked, and the reconciliation compares both sides.

``--blob-url`` picks the store (see :func:`sync.server.store_url.open_store`):

* a path or ``file:///srv/oficialia/blobs`` — a folder;
* ``s3://ACCESS:SECRET@host:port/bucket[/prefix]`` — S3 over HTTPS;
  ``s3+http://…`` — over plain HTTP (a store on loopback or a private network). Without
  ``ACCESS:SECRET`` the usual ``AWS_ACCESS_KEY_ID`` / ``AWS_SECRET_ACCESS_KEY`` apply. Query
  options: ``region`` (``us-east-1``), ``timeout`` (seconds, 60), ``intentos`` (attempts, 3).
"""

from __future__ import annotations

import contextlib
import os
import uuid
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from mailroom.fsutil import fsync_dir
from sync.server.errors import BackendError

STAGING_PREFIX = "partial/"
# S3 refuses parts under 5 MiB (all but the last); larger parts mean fewer requests.
PART_SIZE = 8 * 1024 * 1024
READ_BLOCK = 1024 * 1024


class ObjectStoreError(BackendError):
    """The object store failed or could not be reached; the device retries later."""

    status = 503
    code = "almacen_no_disponible"


class ObjectMissing(BackendError):
    status = 404
    code = "objeto_inexistente"


@dataclass(frozen=True)
class StoredObject:
    key: str
    size: int
    modified: datetime  # UTC


def blob_key(sha256: str) -> str:
    return f"{sha256[:2]}/{sha256}"


def staging_prefix(sha256: str) -> str:
    return f"{STAGING_PREFIX}{sha256}/"


def chunk_key(sha256: str, start: int, end: int) -> str:
    # The range is in the name: two devices staging different ranges never overwrite each
    # other, and the same range of the same blob is the same bytes.
    return f"{staging_prefix(sha256)}{start:013d}-{end:013d}"


class Assembly(ABC):
    """One object being written in pieces, invisible until :meth:`commit`."""

    @abstractmethod
    def write(self, data: bytes) -> None: ...

    @abstractmethod
    def commit(self) -> None: ...

    @abstractmethod
    def abort(self) -> None: ...


class ObjectStore(ABC):
    """The operations the backend needs; keys are ``/``-separated, relative to the store."""

    @abstractmethod
    def describe(self) -> str:
        """Where the store is, for messages (never with its secret)."""

    @abstractmethod
    def size(self, key: str) -> int | None:
        """Bytes of the object, or None when there is none."""

    @abstractmethod
    def chunks(self, key: str) -> Iterator[bytes]:
        """The object's bytes in blocks; :class:`ObjectMissing` when there is none."""

    @abstractmethod
    def put(self, key: str, data: bytes) -> None:
        """Store a complete object durably (replacing any with that key)."""

    @abstractmethod
    def delete(self, key: str) -> None:
        """Remove the object; nothing happens when there is none."""

    def delete_many(self, keys: list[str]) -> None:
        """Remove several objects (one request per thousand on S3)."""
        for key in keys:
            self.delete(key)

    @abstractmethod
    def list(self, prefix: str = "") -> Iterator[StoredObject]: ...

    @abstractmethod
    def assemble(self, key: str) -> Assembly:
        """Start writing ``key`` in pieces (an S3 multipart upload, a temporary file)."""

    @abstractmethod
    def sweep_assemblies(self, older_than: datetime) -> int:
        """Abort assemblies started before ``older_than`` (a crash left them); how many."""

    def read(self, key: str) -> bytes:
        return b"".join(self.chunks(key))


def query_options(query: str) -> dict[str, str]:
    return {name: values[-1] for name, values in parse_qs(query).items()}


class FolderStore(ObjectStore):
    """Objects as files under ``root`` (today's layout); pieces are assembled in ``root/tmp``."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.tmp = root / "tmp"
        (root / STAGING_PREFIX).mkdir(parents=True, exist_ok=True)
        self.tmp.mkdir(exist_ok=True)

    def describe(self) -> str:
        return str(self.root)

    def path(self, key: str) -> Path:
        return self.root.joinpath(*key.split("/"))

    def size(self, key: str) -> int | None:
        try:
            return self.path(key).stat().st_size
        except FileNotFoundError:
            return None

    def chunks(self, key: str) -> Iterator[bytes]:
        try:
            handle = self.path(key).open("rb")
        except FileNotFoundError as error:
            raise ObjectMissing(f"No existe el objeto {key}.") from error
        with handle:
            while block := handle.read(READ_BLOCK):
                yield block

    def put(self, key: str, data: bytes) -> None:
        assembly = self.assemble(key)
        try:
            assembly.write(data)
        except BaseException:
            assembly.abort()
            raise
        assembly.commit()

    def delete(self, key: str) -> None:
        path = self.path(key)
        path.unlink(missing_ok=True)
        # Staged chunks live one folder per blob; drop the folder with its last chunk.
        if key.startswith(STAGING_PREFIX) and path.parent != self.root / STAGING_PREFIX:
            with contextlib.suppress(OSError):  # not empty: another chunk is still there
                path.parent.rmdir()

    def list(self, prefix: str = "") -> Iterator[StoredObject]:
        # Walk only the folder the prefix names ("ab/" → root/ab), not the whole store.
        start = self.path(prefix.rpartition("/")[0]) if "/" in prefix else self.root
        for folder, subfolders, files in os.walk(start):
            here = Path(folder)
            if here == self.root:
                subfolders[:] = [name for name in subfolders if name != "tmp"]
            subfolders.sort()
            for name in sorted(files):
                path = here / name
                key = path.relative_to(self.root).as_posix()
                if not key.startswith(prefix):
                    continue
                try:
                    stat = path.stat()
                except FileNotFoundError:
                    continue  # removed while we walked
                yield StoredObject(key, stat.st_size, datetime.fromtimestamp(stat.st_mtime, UTC))

    def assemble(self, key: str) -> Assembly:
        return _FileAssembly(self.path(key), self.tmp / f"{uuid.uuid4().hex}.parcial")

    def sweep_assemblies(self, older_than: datetime) -> int:
        removed = 0
        for path in self.tmp.iterdir():
            try:
                if datetime.fromtimestamp(path.stat().st_mtime, UTC) < older_than:
                    path.unlink()
                    removed += 1
            except FileNotFoundError:
                continue
        return removed


class _FileAssembly(Assembly):
    def __init__(self, final: Path, temporary: Path) -> None:
        self.final = final
        self.temporary = temporary
        self.handle = temporary.open("wb")

    def write(self, data: bytes) -> None:
        self.handle.write(data)

    def commit(self) -> None:
        # Write, fsync, rename, fsync the folder: a crash leaves the old state or the new one.
        self.handle.flush()
        os.fsync(self.handle.fileno())
        self.handle.close()
        if self.final.parent.is_file():  # a partial upload in the layout before issue 17
            self.final.parent.unlink()
        self.final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(self.temporary, self.final)
        fsync_dir(self.final.parent)

    def abort(self) -> None:
        self.handle.close()
        self.temporary.unlink(missing_ok=True)


def as_utc(moment: Any) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
