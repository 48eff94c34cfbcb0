"""Where one capture writes the page images it produces."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from PIL import Image

from mailroom.errors import StorageError
from mailroom.fsutil import new_folder


class PageFiles:
    """A private folder inside the caller's work folder, made on first use.

    Private so that two captures sharing a work folder never overwrite each other's pages; made
    lazily so that a JPEG used as is leaves no empty folder behind; and removed whole by
    :meth:`discard` when a capture fails, so nothing half-made can be mistaken for a result.
    """

    def __init__(self, work_dir: Path) -> None:
        self._work_dir = Path(work_dir)
        self._folder: Path | None = None

    def path_for(self, index: int, suffix: str) -> Path:
        return self._ensure_folder() / f"pagina-{index + 1:04d}{suffix}"

    def write_bytes(self, index: int, suffix: str, data: bytes) -> Path:
        target = self.path_for(index, suffix)
        try:
            target.write_bytes(data)
        except OSError as error:
            raise self._storage_error(error) from error
        return target

    def save_image(self, image: Image.Image, index: int, suffix: str, **params: Any) -> Path:
        """Save with Pillow; only a failure to write the disk becomes :class:`StorageError`.

        An encoder failure (an ``OSError`` without ``errno``) is left to the caller, which knows
        which file it came from.
        """
        target = self.path_for(index, suffix)
        try:
            image.save(target, **params)
        except OSError as error:
            if error.errno is None:
                raise
            raise self._storage_error(error) from error
        return target

    def discard(self) -> None:
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder = None

    def _ensure_folder(self) -> Path:
        if self._folder is None:
            try:
                self._work_dir.mkdir(parents=True, exist_ok=True)
                self._folder = new_folder(self._work_dir, "captura-")
            except OSError as error:
                raise self._storage_error(error) from error
        return self._folder

    def _storage_error(self, error: OSError) -> StorageError:
        return StorageError(
            f"No se pudo escribir en la carpeta de trabajo {self._work_dir}: "
            f"{error.strerror or error}. Revise el espacio libre en disco y los permisos.",
            path=self._work_dir,
        )
