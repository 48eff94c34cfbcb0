"""``--blob-url``: which object store the backend keeps its files in (see :mod:`.objects`)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

from sync.server.errors import BackendError
from sync.server.objects import FolderStore, ObjectStore


def open_store(url: str | None, default_folder: Path) -> ObjectStore:
    """The store a ``--blob-url`` names; the data folder's ``blobs/`` when there is none."""
    if not url:
        return FolderStore(default_folder)
    parts = urlsplit(url)
    if parts.scheme in ("s3", "s3+http", "s3+https"):
        from sync.server.s3 import S3Settings, S3Store

        return S3Store(S3Settings.from_url(url))
    if parts.scheme == "file":
        return FolderStore(Path(unquote(parts.path)))
    if parts.scheme == "" or len(parts.scheme) == 1:  # a bare path (or a Windows drive)
        return FolderStore(Path(url))
    raise BackendError(
        f"No se reconoce la dirección de almacenamiento «{parts.scheme}://…»; use una carpeta, "
        "file:///…, s3://… o s3+http://…",
        code="almacen_invalido",
    )
