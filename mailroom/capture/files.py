"""File import: a PDF, JPEG, PNG or TIFF a clerk picks becomes a validated, hashed document whose
pages are ready for OCR — or is refused with a message that says what is wrong and what to do.

Checks run cheapest first (does it exist, is it a regular file, how big, what type) so that a
wrong file is refused before any decoding. Page images go into a private folder inside the
caller's work folder; when a capture fails that folder is removed, so whatever is left in the work
folder belongs to successful captures only. The caller deletes the work folder when done.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO, TypeVar

from mailroom.capture.images import capture_image, capture_tiff
from mailroom.capture.pdf import capture_pdf
from mailroom.capture.results import (
    CapturedDocument,
    CapturedPage,
    CaptureLimits,
    megabytes,
)
from mailroom.capture.sniff import (
    ACCEPTED_LABEL,
    ACCEPTED_MIMES,
    HEAD_BYTES,
    PDF,
    TIFF,
    describe,
    mime_for_extension,
    sniff_bytes,
)
from mailroom.capture.workspace import PageFiles
from mailroom.errors import UnreadableFile

_HASH_CHUNK = 1024 * 1024
_Result = TypeVar("_Result")


def capture_file(path: Path, work_dir: Path, limits: CaptureLimits) -> CapturedDocument:
    """Validate and split one file; raises :class:`UnreadableFile` (bad file) or
    :class:`~mailroom.errors.StorageError` (the work folder cannot be written)."""
    path = Path(path)
    before = _check_regular_file(path, limits)
    head = _read(path, lambda handle: handle.read(HEAD_BYTES))
    mime = _check_type(path, head)
    sha256 = _read(path, _sha256)
    files = PageFiles(work_dir)
    try:
        pages = _capture_pages(path, mime, limits, files)
        _check_unchanged(path, before)
    except BaseException:
        files.discard()
        raise
    return CapturedDocument(
        path=path, filename=path.name, mime=mime, size=before.st_size, sha256=sha256, pages=pages
    )


def _capture_pages(
    path: Path, mime: str, limits: CaptureLimits, files: PageFiles
) -> tuple[CapturedPage, ...]:
    try:
        if mime == PDF:
            return capture_pdf(path, limits, files)
        if mime == TIFF:
            return capture_tiff(path, limits, files)
        return capture_image(path, mime, limits, files)
    except PermissionError as error:
        raise _no_permission(path) from error
    except (FileNotFoundError, IsADirectoryError) as error:
        raise _changed(path) from error


def _stat(path: Path) -> os.stat_result:
    try:
        return path.stat()
    except FileNotFoundError as error:
        raise UnreadableFile(
            f'No se encontró el archivo "{path.name}" ({path}). Revise que no '
            "se haya movido o borrado.",
            path=path,
            reason="no_existe",
        ) from error
    except PermissionError as error:
        raise _no_permission(path) from error
    except OSError as error:
        raise _unreadable(path, error) from error


def _check_regular_file(path: Path, limits: CaptureLimits) -> os.stat_result:
    status = _stat(path)
    if stat.S_ISDIR(status.st_mode):
        raise UnreadableFile(
            f'"{path.name}" es una carpeta, no un archivo. Elija el archivo del '
            "documento dentro de ella.",
            path=path,
            reason="es_carpeta",
        )
    if not stat.S_ISREG(status.st_mode):
        # A pipe or a device would block or never end; only plain files are documents.
        raise UnreadableFile(
            f'"{path.name}" no es un archivo común (es un dispositivo o una '
            "tubería) y no se puede registrar.",
            path=path,
            reason="no_es_archivo",
        )
    if status.st_size == 0:
        raise UnreadableFile(
            f'El archivo "{path.name}" está vacío (0 bytes). Quizá no se terminó '
            "de copiar o digitalizar; vuelva a generarlo.",
            path=path,
            reason="vacio",
        )
    if status.st_size > limits.max_file_bytes:
        raise UnreadableFile(
            f'El archivo "{path.name}" pesa {megabytes(status.st_size)}; el máximo es '
            f"{limits.max_file_megabytes} MB (ajuste max_file_megabytes). Divídalo o "
            "digitalícelo a menor resolución.",
            path=path,
            reason="demasiado_grande",
            size=status.st_size,
        )
    return status


def _check_type(path: Path, head: bytes) -> str:
    actual = sniff_bytes(head)
    claimed = mime_for_extension(path)
    lies = claimed is not None and claimed != actual
    if lies and (claimed in ACCEPTED_MIMES or actual in ACCEPTED_MIMES):
        raise UnreadableFile(
            f'El archivo "{path.name}" dice ser {describe(claimed)} por su extensión, pero su '
            f"contenido es {describe(actual)}. Por seguridad no se registra un archivo cuyo "
            "nombre no corresponde a su contenido: pida el archivo original.",
            path=path,
            reason="extension_enganosa",
            claimed=claimed,
            actual=actual,
        )
    if actual not in ACCEPTED_MIMES:
        raise UnreadableFile(
            f'El archivo "{path.name}" es {describe(actual)} y no se puede registrar. Se aceptan '
            f"archivos {ACCEPTED_LABEL}.",
            path=path,
            reason="tipo_no_aceptado",
            actual=actual,
        )
    return actual


def _check_unchanged(path: Path, before: os.stat_result) -> None:
    """A file still being written (a scanner's upload) must not be registered half-copied."""
    try:
        after = path.stat()
    except OSError as error:
        raise _changed(path) from error
    if (after.st_size, after.st_mtime_ns) != (before.st_size, before.st_mtime_ns):
        raise _changed(path)


def _read(path: Path, reader: Callable[[BinaryIO], _Result]) -> _Result:
    try:
        with path.open("rb") as handle:
            return reader(handle)
    except PermissionError as error:
        raise _no_permission(path) from error
    except FileNotFoundError as error:
        raise _changed(path) from error
    except OSError as error:
        raise _unreadable(path, error) from error


def _sha256(handle: BinaryIO) -> str:
    digest = hashlib.sha256()
    while chunk := handle.read(_HASH_CHUNK):
        digest.update(chunk)
    return digest.hexdigest()


def _no_permission(path: Path) -> UnreadableFile:
    return UnreadableFile(
        f'No hay permiso para leer el archivo "{path.name}". Cópielo a una '
        "carpeta propia o pida acceso al administrador del equipo.",
        path=path,
        reason="sin_permiso",
    )


def _unreadable(path: Path, error: OSError) -> UnreadableFile:
    return UnreadableFile(
        f'No se pudo leer el archivo "{path.name}": {error.strerror or error}. '
        "Si está en una memoria USB o en la red, cópielo al equipo e intente "
        "de nuevo.",
        path=path,
        reason="no_se_pudo_leer",
    )


def _changed(path: Path) -> UnreadableFile:
    return UnreadableFile(
        f'El archivo "{path.name}" cambió o desapareció mientras se leía (¿aún '
        "se está copiando?). Espere a que termine e intente de nuevo.",
        path=path,
        reason="cambio_durante_lectura",
    )
