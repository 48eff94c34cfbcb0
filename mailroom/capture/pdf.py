"""PDF files: opened with pdfium, each page judged text or image, image pages made OCR-ready.

Whether a page's text layer stands for the page is :func:`mailroom.ocr.textlayer.inspect_page`'s
call, the same judgement the OCR side uses, so registration and OCR never disagree about a page.

A scanned page that is one JPEG covering the page is handed to OCR byte for byte (no second lossy
encoding, and no render time); anything else is rendered in grayscale at ``default_dpi`` to PNG,
which is lossless (JPEG ringing around letters costs OCR accuracy) and small for text pages.
"""

from __future__ import annotations

import io
import itertools
import math
import mmap
import re
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_raw
from PIL import JpegImagePlugin

from mailroom.capture.images import DECODE_FAILURES
from mailroom.capture.results import (
    IMAGE_PAGE,
    TEXT_PAGE,
    CapturedPage,
    CaptureLimits,
)
from mailroom.capture.workspace import PageFiles
from mailroom.errors import UnreadableFile
from mailroom.ocr.engine import MAX_DPI, MIN_DPI
from mailroom.ocr.textlayer import inspect_page
from mailroom.pdfium import is_invisible_text, pdfium_lock

# Readers look for the end-of-file marker in the last 1024 bytes; a file cut short lacks it.
_EOF_WINDOW = 1024
# The page tree's root with no pages: pdfium refuses such a file without saying why.
_PAGES_DICTIONARY = re.compile(rb"<<([^<>]*?/Type\s*/Pages\b[^<>]*?)>>")
_ZERO_COUNT = re.compile(rb"/Count\s*0(?![0-9.])")
_POINTS_PER_INCH = 72
# A scan page holds an image and perhaps an invisible OCR layer; more objects means a composed
# page, which is rendered rather than searched object by object.
_MAX_SCAN_OBJECTS = 64
_MIN_PAGE_COVERAGE = 0.9
_MAX_PAGE_OVERHANG = 1.1
_MAX_DPI_SKEW = 0.02
_PLAIN_COLORSPACES = frozenset(
    {
        pdfium_raw.FPDF_COLORSPACE_DEVICEGRAY,
        pdfium_raw.FPDF_COLORSPACE_DEVICERGB,
        pdfium_raw.FPDF_COLORSPACE_CALGRAY,
        pdfium_raw.FPDF_COLORSPACE_CALRGB,
        pdfium_raw.FPDF_COLORSPACE_ICCBASED,
    }
)


def capture_pdf(path: Path, limits: CaptureLimits, files: PageFiles) -> tuple[CapturedPage, ...]:
    complete = _ends_with_eof_marker(path)
    with pdfium_lock:
        document = _open(path, complete)
        try:
            count = len(document)
            if not complete:
                raise _truncated(path)
            _check_page_count(path, count, limits)
            return tuple(
                _capture_page(path, document, index, limits, files) for index in range(count)
            )
        finally:
            document.close()


def _open(path: Path, complete: bool) -> pdfium.PdfDocument:
    try:
        return pdfium.PdfDocument(path)
    except pdfium.PdfiumError as error:
        raise _load_failure(path, error, complete) from error


def _load_failure(path: Path, error: pdfium.PdfiumError, complete: bool) -> UnreadableFile:
    """Say why pdfium refused the file.

    PDFium's error code is process-wide and some failures (a PDF with no pages) leave the
    previous failure's code in place, so each verdict is confirmed in the file itself.
    """
    try:
        with (
            path.open("rb") as handle,
            mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data,
        ):
            encrypted = data.find(b"/Encrypt") >= 0
            pageless = complete and not encrypted and _has_empty_page_tree(data)
    except OSError:
        encrypted = pageless = False  # the generic verdict below is still true
    password_codes = (pdfium_raw.FPDF_ERR_PASSWORD, pdfium_raw.FPDF_ERR_SECURITY)
    if encrypted and error.err_code in password_codes:
        return UnreadableFile(
            f'El PDF "{path.name}" está protegido con contraseña y no se puede leer. Pida al '
            "ciudadano una copia sin protección (por ejemplo, imprimiéndolo a PDF).",
            path=path,
            reason="pdf_protegido",
        )
    if pageless:
        return _pageless(path)
    return _damaged(path) if complete else _truncated(path)


def _has_empty_page_tree(data: mmap.mmap) -> bool:
    return any(_ZERO_COUNT.search(match.group(1)) for match in _PAGES_DICTIONARY.finditer(data))


def _check_page_count(path: Path, count: int, limits: CaptureLimits) -> None:
    if count == 0:
        raise _pageless(path)
    if count > limits.max_pdf_pages:
        raise UnreadableFile(
            f'El PDF "{path.name}" tiene {count} páginas; el máximo por documento es '
            f"{limits.max_pdf_pages} (ajuste max_pdf_pages). Divídalo en varios documentos o "
            "pida al administrador que aumente el límite.",
            path=path,
            reason="demasiadas_paginas",
            pages=count,
        )


def _capture_page(
    path: Path, document: pdfium.PdfDocument, index: int, limits: CaptureLimits, files: PageFiles
) -> CapturedPage:
    try:
        page = document[index]
    except pdfium.PdfiumError as error:
        raise _damaged(path, index) from error
    try:
        if inspect_page(page).has_text:
            return CapturedPage(index, TEXT_PAGE, None, None)
        image = _sole_image(page)
        native = None if image is None else _placed_dpi(image, page.get_cropbox(), limits)
        if image is not None and native is not None:
            data = _plain_jpeg(image)
            if data is not None:
                return CapturedPage(
                    index, IMAGE_PAGE, files.write_bytes(index, ".jpg", data), native
                )
        # A scan stored another way (CCITT G4, Flate) is rendered at its own resolution, pixel
        # for pixel, rather than resampled to default_dpi.
        return _render(path, page, index, limits, files, native, _is_bitonal(image))
    except pdfium.PdfiumError as error:
        raise _damaged(path, index) from error
    finally:
        page.close()


def _sole_image(page: pdfium.PdfPage) -> pdfium.PdfImage | None:
    """The page's only visible content, one upright image (a scan), if that is what it is."""
    if page.get_rotation() != 0:
        return None  # the image would come out sideways
    objects = list(itertools.islice(page.get_objects(max_depth=1), _MAX_SCAN_OBJECTS + 1))
    images = [obj for obj in objects if obj.type == pdfium_raw.FPDF_PAGEOBJ_IMAGE]
    if len(objects) > _MAX_SCAN_OBJECTS or len(images) != 1:
        return None
    # Anything visible besides the image (a stamp, a signature) would be lost to OCR.
    if any(obj is not images[0] and not is_invisible_text(obj) for obj in objects):
        return None
    image: pdfium.PdfImage = images[0]
    return image if _is_upright(image) else None


def _plain_jpeg(image: pdfium.PdfImage) -> bytes | None:
    """The image's JPEG bytes, when they are exactly what the page shows."""
    if image.get_filters(skip_simple=True) != ["DCTDecode"] or not _has_plain_colours(image):
        return None
    data = bytes(image.get_data(decode_simple=True))
    return data if _is_plain_jpeg(data, image.get_px_size()) else None


def _is_bitonal(image: pdfium.PdfImage | None) -> bool:
    return image is not None and image.get_metadata().bits_per_pixel == 1


def _is_upright(image: pdfium.PdfImage) -> bool:
    matrix = image.get_matrix()
    return matrix.a > 0 and matrix.d > 0 and abs(matrix.b) < 1e-6 and abs(matrix.c) < 1e-6


def _placed_dpi(
    image: pdfium.PdfImage, crop: tuple[float, float, float, float], limits: CaptureLimits
) -> int | None:
    """The image's resolution as placed, if it fills the page at one honest resolution."""
    bounds = image.get_bounds()
    page_area, image_area = _area(crop), _area(bounds)
    if page_area <= 0 or image_area <= 0:
        return None
    covered = _area(_intersection(bounds, crop)) / page_area
    if covered < _MIN_PAGE_COVERAGE or image_area / page_area > _MAX_PAGE_OVERHANG:
        return None
    width, height = image.get_px_size()
    if width * height > limits.max_image_pixels:
        return None  # rendering scales it down to the limit
    dpi_x = width * _POINTS_PER_INCH / (bounds[2] - bounds[0])
    dpi_y = height * _POINTS_PER_INCH / (bounds[3] - bounds[1])
    if abs(dpi_x - dpi_y) > _MAX_DPI_SKEW * dpi_x or not MIN_DPI <= dpi_x <= MAX_DPI:
        return None
    return round(dpi_x)


def _has_plain_colours(image: pdfium.PdfImage) -> bool:
    # Separation, DeviceN, Indexed or CMYK colours mean the JPEG's samples are not what the page
    # shows (inverted tints, palette indexes); rendering gets them right.
    metadata = image.get_metadata()
    return metadata.colorspace in _PLAIN_COLORSPACES and metadata.bits_per_pixel in (8, 24)


def _is_plain_jpeg(data: bytes, size: tuple[int, int]) -> bool:
    """A complete gray or RGB JPEG of the announced size (a truncated one is rendered instead)."""
    if not data.startswith(b"\xff\xd8") or not data.rstrip(b"\0\r\n\t ").endswith(b"\xff\xd9"):
        return False
    try:
        header = JpegImagePlugin.JpegImageFile(io.BytesIO(data))
    except DECODE_FAILURES:
        return False
    return header.mode in ("L", "RGB") and header.size == tuple(size)


def _render(
    path: Path,
    page: pdfium.PdfPage,
    index: int,
    limits: CaptureLimits,
    files: PageFiles,
    dpi: int | None = None,
    bitonal: bool = False,
) -> CapturedPage:
    """The page as a grayscale PNG at ``dpi`` (its scan's own resolution) or ``default_dpi``;
    a black-and-white scan stays 1-bit (a fraction of the size, the same pixels)."""
    width, height = page.get_size()  # in points, the page's rotation applied
    dpi = dpi or _render_dpi(path, index, width, height, limits)
    bitmap = page.render(scale=dpi / _POINTS_PER_INCH, grayscale=True)
    try:
        picture = bitmap.to_pil()
        if bitonal:
            picture = picture.point(lambda v: 255 if v >= 128 else 0).convert("1")
        target = files.save_image(picture, index, ".png", format="PNG", dpi=(dpi, dpi))
    finally:
        bitmap.close()
    return CapturedPage(index, IMAGE_PAGE, target, dpi)


def _render_dpi(path: Path, index: int, width: float, height: float, limits: CaptureLimits) -> int:
    """``default_dpi``, lowered for an oversized page (a plan) to stay within the pixel limit."""
    if width <= 0 or height <= 0:
        raise _damaged(path, index)
    dpi = limits.fallback_dpi
    pixels = (width * dpi / _POINTS_PER_INCH) * (height * dpi / _POINTS_PER_INCH)
    if pixels > limits.max_image_pixels:
        dpi = math.floor(dpi * math.sqrt(limits.max_image_pixels / pixels)) - 1
    if dpi < MIN_DPI:
        centimetres = 2.54 / _POINTS_PER_INCH
        raise UnreadableFile(
            f'La página {index + 1} del PDF "{path.name}" mide {width * centimetres:.0f} × '
            f"{height * centimetres:.0f} cm: demasiado grande para convertirla en "
            f"imagen con el máximo de {limits.max_image_megapixels} megapíxeles (ajuste "
            "max_image_megapixels).",
            path=path,
            reason="imagen_demasiado_grande",
            page=index + 1,
        )
    return dpi


def _ends_with_eof_marker(path: Path) -> bool:
    with path.open("rb") as handle:
        handle.seek(0, io.SEEK_END)
        handle.seek(max(0, handle.tell() - _EOF_WINDOW))
        return b"%%EOF" in handle.read()


def _area(box: tuple[float, float, float, float]) -> float:
    left, bottom, right, top = box
    return max(0.0, right - left) * max(0.0, top - bottom)


def _intersection(
    first: tuple[float, float, float, float], second: tuple[float, float, float, float]
) -> tuple[float, float, float, float]:
    return (
        max(first[0], second[0]),
        max(first[1], second[1]),
        min(first[2], second[2]),
        min(first[3], second[3]),
    )


def _damaged(path: Path, index: int | None = None) -> UnreadableFile:
    where = "" if index is None else f" (la página {index + 1} no se puede leer)"
    return UnreadableFile(
        f'El PDF "{path.name}" está dañado{where}. Pida al ciudadano otra copia del archivo.',
        path=path,
        reason="pdf_danado",
    )


def _pageless(path: Path) -> UnreadableFile:
    return UnreadableFile(
        f'El PDF "{path.name}" no tiene ninguna página. Pida al ciudadano el archivo correcto.',
        path=path,
        reason="pdf_sin_paginas",
    )


def _truncated(path: Path) -> UnreadableFile:
    return UnreadableFile(
        f'El PDF "{path.name}" está incompleto: el archivo termina antes de tiempo (quizá se '
        "cortó al descargarlo o copiarlo). Pida al ciudadano el archivo completo.",
        path=path,
        reason="pdf_incompleto",
    )
