"""Where pages come from, named in one string: ``sane:test:0``, ``folder:/srv/escaner``,
``file:/tmp/oficio.pdf``.

Every source yields :class:`~mailroom.capture.pages.ScannedPage`s with their resolution, so
clean-up, separator sheets and batch splitting never ask where a page came from. Files (alone or
from a folder) go through :func:`mailroom.capture.capture_file` first: the same checks and the
same Spanish refusals as importing the file, and the resolution each page declares (or
``default_dpi``). A folder source makes one pass over the files that are complete now; watching
the folder is :mod:`mailroom.capture.watch`'s job.
"""

from __future__ import annotations

import math
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pypdfium2 as pdfium
from PIL import Image

from mailroom.capture import CapturedDocument, CapturedPage, CaptureLimits, capture_file
from mailroom.capture.images import pillow_errors
from mailroom.capture.pages import CaptureCancelled, PageSource, Progress, ScannedPage
from mailroom.capture.sane_options import ScanSettings
from mailroom.capture.sane_source import SaneSource
from mailroom.config import Settings
from mailroom.errors import ConfigError, UnreadableFile
from mailroom.ocr.engine import MIN_DPI
from mailroom.pdfium import pdfium_lock
from mailroom.tmpfiles import work_folder

SUFFIXES = frozenset({".pdf", ".jpg", ".jpeg", ".png", ".tif", ".tiff"})
# Names scanners and copy tools give files they are still writing.
_PARTIAL_SUFFIXES = (".part", ".tmp", ".crdownload", ".partial", ".filepart")
_POINTS_PER_INCH = 72
_PLAIN_MODES = ("1", "L", "RGB")
_SPEC_HELP = (
    "Use sane:DISPOSITIVO (p. ej. sane:test:0; «sane:» solo usa el primer escáner), "
    "folder:CARPETA o file:ARCHIVO."
)


def open_source(spec: str, settings: Settings, scan: ScanSettings | None = None) -> PageSource:
    """The source a spec names; ``scan`` (resolution, mode, feeder) applies to scanners only."""
    scheme, separator, rest = spec.partition(":")
    if separator and scheme == "sane":
        return SaneSource(rest.strip() or None, scan)
    if separator and scheme in ("folder", "file") and rest.strip():
        path = Path(rest.strip()).expanduser()
        if scheme == "folder":
            return FolderSource(path, settings)
        return FileSource(path, settings)
    raise ConfigError(f"Origen de páginas desconocido: {spec!r}. {_SPEC_HELP}", spec=spec)


class FileSource:
    """The pages of one PDF, JPEG, PNG or TIFF, each with the resolution it declares."""

    def __init__(self, path: Path, settings: Settings) -> None:
        self.path = Path(path)
        self.settings = settings
        self.name = f"file:{self.path}"

    def pages(
        self, *, progress: Progress | None = None, cancel: threading.Event | None = None
    ) -> Iterator[ScannedPage]:
        return _file_pages(self.path, self.settings, progress, cancel, start=0, known_total=True)


class FolderSource:
    """One pass over the complete, supported files in a folder, oldest first. Files are read,
    never moved or deleted.

    A file modified less than ``settle_seconds`` ago (``watch_interval_seconds`` unless given,
    the watcher's own wait) may still be arriving from a scanner: it waits for the next pass.
    """

    def __init__(
        self, folder: Path, settings: Settings, *, settle_seconds: float | None = None
    ) -> None:
        self.folder = Path(folder)
        self.settings = settings
        self.settle_seconds = (
            settings.watch_interval_seconds if settle_seconds is None else settle_seconds
        )
        self.name = f"folder:{self.folder}"

    def files(self) -> list[Path]:
        """The files this pass will read: supported, not hidden, not being written."""
        try:
            entries = list(self.folder.iterdir())
        except FileNotFoundError as error:
            raise ConfigError(
                f"La carpeta {self.folder} no existe. Revise la ruta o que la unidad de red esté "
                "conectada.",
                path=self.folder,
            ) from error
        except NotADirectoryError as error:
            raise ConfigError(f"{self.folder} no es una carpeta.", path=self.folder) from error
        except OSError as error:
            raise ConfigError(
                f"No se pudo leer la carpeta {self.folder}: {error.strerror or error}.",
                path=self.folder,
            ) from error
        newest = time.time() - self.settle_seconds
        ready: list[tuple[int, str, Path]] = []
        for entry in entries:
            if not _looks_like_document(entry):
                continue
            try:
                status = entry.stat()
            except OSError:
                continue  # gone between listing and looking: not ours to report
            if status.st_size > 0 and status.st_mtime <= newest:
                ready.append((status.st_mtime_ns, entry.name, entry))
        return [path for _, _, path in sorted(ready)]

    def pages(
        self, *, progress: Progress | None = None, cancel: threading.Event | None = None
    ) -> Iterator[ScannedPage]:
        done = 0
        for path in self.files():
            for page in _file_pages(
                path, self.settings, progress, cancel, start=done, known_total=False
            ):
                done += 1
                yield page


def _looks_like_document(path: Path) -> bool:
    name = path.name
    if name.startswith((".", "~")) or name.lower().endswith(_PARTIAL_SUFFIXES):
        return False
    return path.suffix.lower() in SUFFIXES and path.is_file()


def _file_pages(
    path: Path,
    settings: Settings,
    progress: Progress | None,
    cancel: threading.Event | None,
    *,
    start: int,
    known_total: bool,
) -> Iterator[ScannedPage]:
    limits = CaptureLimits.from_settings(settings)
    _check_cancel(cancel, start)
    work_dir = work_folder(settings.data_dir, "fuente-")
    try:
        document = capture_file(path, work_dir, limits)
        total = start + len(document.pages) if known_total else None
        for number, page in enumerate(document.pages, start + 1):
            _check_cancel(cancel, number - 1)
            image, dpi = _page_image(document, page, limits)
            yield ScannedPage(image, dpi, f"{path}, p. {page.index + 1}")
            if progress is not None:
                progress(number, total)
    finally:
        shutil.rmtree(work_dir, ignore_errors=True)


def _page_image(
    document: CapturedDocument, page: CapturedPage, limits: CaptureLimits
) -> tuple[Image.Image, int]:
    if page.image_path is None:  # a PDF page with a real text layer: capture made no image
        return _render_text_page(document.path, page.index, limits)
    # A copy (or a conversion) detaches the pixels from the file, which is about to go.
    with (
        pillow_errors(document.path, "una imagen", page=page.index),
        Image.open(page.image_path) as opened,
    ):
        opened.load()
        image = opened.copy() if opened.mode in _PLAIN_MODES else opened.convert("RGB")
    dpi = page.dpi or limits.fallback_dpi
    image.info["dpi"] = (dpi, dpi)
    return image, dpi


def _render_text_page(path: Path, index: int, limits: CaptureLimits) -> tuple[Image.Image, int]:
    try:
        with pdfium_lock:
            document = pdfium.PdfDocument(path)
            try:
                image, dpi = _render(document[index], limits)
            finally:
                document.close()
    except pdfium.PdfiumError as error:
        raise UnreadableFile(
            f'No se pudo convertir en imagen la página {index + 1} del PDF "{path.name}". '
            "Pida al ciudadano otra copia del archivo.",
            path=path,
            reason="pdf_danado",
        ) from error
    image.info["dpi"] = (dpi, dpi)
    return image, dpi


def _render(page: pdfium.PdfPage, limits: CaptureLimits) -> tuple[Image.Image, int]:
    """At ``default_dpi``, lowered for an oversized page (a plan) to stay within the limit."""
    try:
        width, height = page.get_size()
        dpi = limits.fallback_dpi
        pixels = (width * dpi / _POINTS_PER_INCH) * (height * dpi / _POINTS_PER_INCH)
        if pixels > limits.max_image_pixels:
            shrunk = math.floor(dpi * math.sqrt(limits.max_image_pixels / pixels))
            dpi = max(MIN_DPI, shrunk)
        bitmap = page.render(scale=dpi / _POINTS_PER_INCH, grayscale=True)
        try:
            return bitmap.to_pil().copy(), dpi  # to_pil shares the bitmap's memory
        finally:
            bitmap.close()
    finally:
        page.close()


def _check_cancel(cancel: threading.Event | None, pages: int) -> None:
    if cancel is not None and cancel.is_set():
        raise CaptureCancelled(
            f"Se canceló la lectura de páginas después de {pages} página(s).", pages=pages
        )
