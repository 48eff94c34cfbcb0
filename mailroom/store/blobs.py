"""Content-addressed files beside the database.

Every blob is written to a temporary file, fsynced, renamed to ``ab/cd/<sha256>`` and the folder is
fsynced — only then may the row that points to it be committed. A crash before the commit leaves an
orphan, which :meth:`BlobStore.sweep_orphans` removes later; a committed row never points to a
missing or partial file.

Temp files are written in this process's own folder under ``tmp/`` here, beside the blobs: a
rename is atomic only within one file system, and the blob folder may be a mount of its own.
:mod:`mailroom.tmpfiles` sweeps what a killed process left.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path

from mailroom import tmpfiles
from mailroom.errors import IntegrityProblem, StorageError
from mailroom.fsutil import fsync_dir, group_shared, shared_mode
from mailroom.models import Sha256

CHUNK = 1 << 20


class BlobStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.tmp = root / "tmp"

    def ensure(self) -> None:
        self.tmp.mkdir(parents=True, exist_ok=True)

    def path(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def exists(self, sha256: str) -> bool:
        return self.path(sha256).is_file()

    def put_bytes(self, data: bytes) -> tuple[Sha256, int]:
        return self._put(lambda write: write(data))

    def put_file(self, source: Path) -> tuple[Sha256, int]:
        def copy(write):  # type: ignore[no-untyped-def]
            with source.open("rb") as handle:
                while chunk := handle.read(CHUNK):
                    write(chunk)

        return self._put(copy)

    def _put(self, produce) -> tuple[Sha256, int]:  # type: ignore[no-untyped-def]
        self.ensure()
        digest = hashlib.sha256()
        size = 0
        fd, temp_name = tempfile.mkstemp(dir=tmpfiles.private_folder(self.tmp), prefix="blob-")
        temp = Path(temp_name)
        try:
            with os.fdopen(fd, "wb") as out:

                def write(chunk: bytes) -> None:
                    nonlocal size
                    digest.update(chunk)
                    size += len(chunk)
                    out.write(chunk)

                produce(write)
                out.flush()
                os.fsync(out.fileno())
            if group_shared():
                os.chmod(temp, shared_mode())
            sha = Sha256(digest.hexdigest())
            final = self.path(sha)
            if final.is_file() and final.stat().st_size == size:
                temp.unlink()
                return sha, size
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(temp, final)
            fsync_dir(final.parent)
            return sha, size
        except OSError as error:
            temp.unlink(missing_ok=True)
            raise StorageError(
                f"No se pudo guardar un archivo en {self.root}: {error.strerror}. "
                "Revise el espacio libre y los permisos del disco.",
                path=self.root,
            ) from error

    def read_bytes(self, sha256: str) -> bytes:
        try:
            return self.path(sha256).read_bytes()
        except OSError as error:
            raise IntegrityProblem(
                f"Falta el archivo {sha256} en el almacén de documentos.", sha256=sha256
            ) from error

    def verify(self, sha256: str) -> bool:
        """Whether the stored file exists and still hashes to its name."""
        digest = hashlib.sha256()
        try:
            with self.path(sha256).open("rb") as handle:
                while chunk := handle.read(CHUNK):
                    digest.update(chunk)
        except OSError:
            return False
        return digest.hexdigest() == sha256

    def stored(self) -> Iterable[str]:
        if not self.root.is_dir():
            return
        for first in self.root.iterdir():
            if len(first.name) != 2 or not first.is_dir():
                continue
            for second in first.iterdir():
                for item in second.iterdir():
                    yield item.name

    def sweep_orphans(self, referenced: set[str], *, older_than_seconds: float = 3600) -> list[str]:
        """Remove files no committed row names, and what dead processes left in ``tmp/``; young
        files are spared because another process may be about to commit the row that references
        them, and a live process's temp folder is never touched."""
        cutoff = time.time() - older_than_seconds
        removed: list[str] = []
        for name in list(self.stored()):
            path = self.path(name)
            if name not in referenced and path.stat().st_mtime < cutoff:
                path.unlink(missing_ok=True)
                removed.append(name)
        tmpfiles.sweep_root(self.tmp, loose_older_than=older_than_seconds)
        return removed
