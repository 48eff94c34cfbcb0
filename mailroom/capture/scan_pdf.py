"""A scan as one PDF: each page its image, at its true size, the way a scanner writes it.

Grey pages are JPEG (DCTDecode) and black-and-white pages CCITT Group 4, each placed at
pixels ÷ dpi, by img2pdf, which puts the encoded bytes into the PDF as they are. Registering the
file (:mod:`mailroom.capture.pdf`) then hands each grey page's JPEG to OCR byte for byte, at the
resolution its placement says, so the page is encoded exactly once. (A black-and-white page is
rendered again at ``default_dpi`` on registration: that module reuses only JPEGs.)

JPEG quality 60: measured on generated text pages after clean-up (paper whitened; three pages
each at 200 and 300 dpi), tesseract's character error rate was the same from quality 40 to 85 and
on the lossless PNG (0.45% at 200 dpi, 0.52-0.54% at 300 dpi), while a 300 dpi page weighs 354 KB
at 40, 424 KB at 60, 507 KB at 75 and 812 KB as PNG. 60 keeps letters clean to the eye, with room
for scans worse than ours. A black-and-white page (Group 4) weighs about 20 KB.

The file is written beside its destination and renamed over it once complete and flushed to
disk: a reader sees the old file or the whole new one, never half a PDF.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

import img2pdf

from mailroom.capture.cleanup import CleanPage
from mailroom.errors import InvalidInput, StorageError
from mailroom.fsutil import write_bytes_atomically

JPEG_QUALITY = 60


def write_scan_pdf(pages: Sequence[CleanPage], path: Path) -> Path:
    """Write ``pages`` as one PDF at ``path`` (replacing it atomically) and return ``path``."""
    path = Path(path)
    if not pages:
        raise InvalidInput(
            "No hay páginas para guardar en el PDF: todas se retiraron o no se digitalizó nada.",
            field="pages",
        )
    encoded = [_encoded(page) for page in pages]
    try:
        pdf = img2pdf.convert(
            encoded,
            rotation=img2pdf.Rotation.ifvalid,
            # The same pages make the same bytes: no dates, and img2pdf's own writer (pikepdf's
            # adds a random /ID), so paper scanned twice is the same document to the duplicate
            # check; the filing keeps when it was received.
            nodate=True,
            engine=img2pdf.Engine.internal,
        )
    except (img2pdf.ImageOpenError, img2pdf.PdfTooLargeError, ValueError) as error:
        raise InvalidInput(
            f"No se pudo armar el PDF de la digitalización: {error}.", field="pages"
        ) from error
    write_bytes_atomically(path, pdf, failed=_write_error)
    return path


def _encoded(page: CleanPage) -> bytes:
    """The page's image as the bytes the PDF will hold, carrying its resolution."""
    out = io.BytesIO()
    dpi = (page.dpi, page.dpi)
    if page.image.mode == "1":
        page.image.save(out, "TIFF", compression="group4", dpi=dpi)
    else:
        gray = page.image if page.image.mode == "L" else page.image.convert("L")
        gray.save(out, "JPEG", quality=JPEG_QUALITY, dpi=dpi)
    return out.getvalue()


def _write_error(path: Path, error: OSError) -> StorageError:
    return StorageError(
        f"No se pudo guardar el PDF {path}: {error.strerror or error}. Revise que la carpeta "
        "exista, el espacio libre en disco y los permisos.",
        path=path,
    )
