"""The document's searchable PDF, put together page by page with pypdfium2.

Pages come from three places: tesseract's one-page PDFs, pages of an original PDF (born-digital
pages, which keep their own text, or scanned pages whose OCR failed) and page images whose OCR
failed, placed at their real size. Nothing is re-rendered or re-compressed, except images that
are neither JPEG nor in a PDF, which PDFium stores losslessly (Flate).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pypdfium2 as pdfium
from PIL import Image, UnidentifiedImageError

from mailroom.errors import UnreadableFile
from mailroom.pdfium import pdfium_lock

_DEFAULT_DPI = 300
_POINTS_PER_INCH = 72.0


@dataclass(frozen=True)
class PagePdf:
    """One page of the output document; set exactly one of ``pdf``, ``source_pdf`` or
    ``image_path``."""

    pdf: bytes | None = None
    """A one-page PDF, as :func:`mailroom.ocr.engine.ocr_page` returns it."""
    source_pdf: Path | None = None
    """An original PDF whose page ``source_index`` (zero-based) is copied as it is."""
    source_index: int | None = None
    image_path: Path | None = None
    """An image without text, placed at its real size: ``dpi``, else the file's own, else 300."""
    dpi: int | None = None

    def __post_init__(self) -> None:
        kinds = [self.pdf is not None, self.source_pdf is not None, self.image_path is not None]
        if sum(kinds) != 1:
            raise ValueError("PagePdf needs exactly one of pdf, source_pdf or image_path")
        if self.source_pdf is not None and (self.source_index is None or self.source_index < 0):
            raise ValueError("PagePdf with source_pdf needs a source_index >= 0")
        if self.dpi is not None and self.dpi <= 0:
            raise ValueError("PagePdf dpi must be positive")


def assemble_pdf(pages: Sequence[PagePdf]) -> bytes:
    """Join the pages, in order, into one PDF and return its bytes.

    Raises :class:`UnreadableFile` (naming the page) when a page's PDF or image cannot be read.
    """
    if not pages:
        raise ValueError("assemble_pdf needs at least one page")
    with pdfium_lock, ExitStack() as cleanup:
        output = pdfium.PdfDocument.new()
        # Sources stay open until the output is saved: imported pages may still refer to them.
        cleanup.callback(output.close)
        opened: dict[Path, pdfium.PdfDocument] = {}
        for number, page in enumerate(pages, start=1):
            if page.pdf is not None:
                source = _open_pdf(page.pdf, number)
                cleanup.callback(source.close)
                _import_page(output, source, 0, number)
            elif page.source_pdf is not None:
                source = opened.get(Path(page.source_pdf))
                if source is None:
                    source = _open_pdf(Path(page.source_pdf), number)
                    cleanup.callback(source.close)
                    opened[Path(page.source_pdf)] = source
                _import_page(output, source, page.source_index or 0, number)
            else:
                _add_image_page(output, Path(page.image_path or ""), page.dpi, number, cleanup)
        buffer = io.BytesIO()
        output.save(buffer)
        return buffer.getvalue()


def _open_pdf(source: bytes | Path, number: int) -> pdfium.PdfDocument:
    try:
        return pdfium.PdfDocument(source)
    except (pdfium.PdfiumError, FileNotFoundError) as exc:
        raise UnreadableFile(
            f"No se pudo leer el PDF de la página {number} para armar el "
            "documento: falta o está dañado.",
            page=number,
            cause=str(exc),
        ) from exc


def _import_page(
    output: pdfium.PdfDocument, source: pdfium.PdfDocument, index: int, number: int
) -> None:
    if not 0 <= index < len(source):
        raise UnreadableFile(
            f"La página {number} no existe en su PDF de origen "
            f"(se pidió la {index + 1} de {len(source)}).",
            page=number,
        )
    try:
        output.import_pages(source, [index])
    except pdfium.PdfiumError as exc:
        raise UnreadableFile(
            f"No se pudo copiar la página {number} al documento.", page=number, cause=str(exc)
        ) from exc


def _add_image_page(
    output: pdfium.PdfDocument, image_path: Path, dpi: int | None, number: int, cleanup: ExitStack
) -> None:
    try:
        with Image.open(image_path) as image:
            image_format = image.format
            width_px, height_px = image.size
            dpi = dpi or _file_dpi(image)
            bitmap = None if image_format == "JPEG" else _bitmap(image)
    except (OSError, UnidentifiedImageError) as exc:
        raise UnreadableFile(
            f"No se pudo leer la imagen de la página {number} "
            f"({image_path.name}): falta o está dañada.",
            page=number,
            path=image_path,
            cause=str(exc),
        ) from exc
    width, height = (px * _POINTS_PER_INCH / dpi for px in (width_px, height_px))
    page = output.new_page(width, height)
    picture = pdfium.PdfImage.new(output)
    if bitmap is None:
        # The JPEG goes in as it is, like tesseract's own pages: no re-compression loss.
        stream = cleanup.enter_context(image_path.open("rb"))
        picture.load_jpeg(stream, inline=False, autoclose=False)
    else:
        picture.set_bitmap(bitmap)
        bitmap.close()
    picture.set_matrix(pdfium.PdfMatrix().scale(width, height))
    page.insert_obj(picture)
    page.gen_content()
    page.close()


def _file_dpi(image: Image.Image) -> int:
    dpi = image.info.get("dpi")
    try:
        value = round(float(dpi[0])) if dpi else 0
    except (TypeError, ValueError, IndexError):
        value = 0
    # Files often claim 72 or 96 dpi by default; no scan of a document is that coarse.
    return value if value >= 100 else _DEFAULT_DPI


def _bitmap(image: Image.Image) -> pdfium.PdfBitmap:
    image.seek(0)
    if image.mode not in ("1", "L", "RGB"):
        image = image.convert("RGB")
    elif image.mode == "1":
        image = image.convert("L")
    return pdfium.PdfBitmap.from_pil(image)
