"""Which PDF pages already carry their text, and extracting it instead of OCRing it.

Deciding costs a millisecond or two per page with pypdfium2 (no rendering): how many characters
the page has, how many of them are legible, how much of the page images cover and whether the
text is invisible. An invisible layer over a scan is an earlier OCR: it counts as text unless it
is garbage. Visible text over a full-page scan counts only when there is enough of it, because a
scanner's stamp or a page number over a scan is not the page's text.

PDFium is not thread-safe, even across documents, and the OCR worker calls in from a thread pool:
every use of pypdfium2 in the OCR package holds :data:`pdfium_lock`.
"""

from __future__ import annotations

import ctypes
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from mailroom.errors import UnreadableFile

pdfium_lock = threading.RLock()

# Below this share of legible characters a text layer is garbage (a font without a Unicode map,
# or a bad OCR) and the page is OCRed again.
MIN_LEGIBLE_SHARE = 0.8
# Over a page mostly covered by images, visible text must be at least this long to be the page's
# text rather than a stamp, a Bates number or a header added to a scan.
MIN_CHARS_OVER_IMAGES = 200
IMAGE_DOMINATED_COVERAGE = 0.5

_INVISIBLE_MODES = (pdfium_c.FPDF_TEXTRENDERMODE_INVISIBLE, pdfium_c.FPDF_TEXTRENDERMODE_CLIP)
_LEGIBLE_PUNCTUATION = frozenset(".,;:¿?¡!()\"'«»“”‘’-–—/%$°ºª&@#·•…€")
_COVERAGE_GRID = 32
_MAX_FORM_DEPTH = 8


@dataclass(frozen=True)
class TextLayerInfo:
    has_text: bool
    """True when the page's text layer is trustworthy: extract it, do not OCR the page."""
    char_count: int
    """Characters in the text layer, whitespace not counted."""
    legible_share: float
    """Share of those characters that are letters, digits or common punctuation (0–1)."""
    image_coverage: float
    """Share of the page's area covered by images (0–1)."""
    invisible_share: float = 0.0
    """Share of the text drawn invisibly, as OCR layers are (0–1)."""


def inspect_text_layer(
    pdf_path: Path, page_index: int, *, password: str | None = None
) -> TextLayerInfo:
    """Classify one page of a PDF; raises :class:`UnreadableFile` if the PDF cannot be opened."""
    with pdfium_lock:
        document = _open(pdf_path, password)
        try:
            if not 0 <= page_index < len(document):
                raise UnreadableFile(
                    f"El PDF {Path(pdf_path).name} no tiene página {page_index + 1} "
                    f"(tiene {len(document)}).",
                    path=pdf_path,
                    page_index=page_index,
                )
            return _inspect_page(document, page_index)
        finally:
            document.close()


def classify_pdf_pages(pdf_path: Path, *, password: str | None = None) -> list[TextLayerInfo]:
    """Classify every page of a PDF, opening it once."""
    with pdfium_lock:
        document = _open(pdf_path, password)
        try:
            return [_inspect_page(document, index) for index in range(len(document))]
        finally:
            document.close()


def extract_page_text(pdf_path: Path, page_index: int, *, password: str | None = None) -> str:
    """The text layer of one page, in reading order, table cells included (pdfplumber)."""
    import pdfplumber  # slow to import; only pages with a text layer need it

    try:
        with pdfplumber.open(pdf_path, pages=[page_index + 1], password=password or "") as pdf:
            if not pdf.pages:
                raise UnreadableFile(
                    f"El PDF {Path(pdf_path).name} no tiene página {page_index + 1}.",
                    path=pdf_path,
                    page_index=page_index,
                )
            text = pdf.pages[0].filter(_first_copy_only()).extract_text() or ""
    except UnreadableFile:
        raise
    except Exception as exc:
        # pdfminer raises anything from PSSyntaxError to KeyError on malformed files.
        raise UnreadableFile(
            f"No se pudo leer el texto de la página {page_index + 1} de {Path(pdf_path).name}: "
            "el PDF está dañado o protegido.",
            path=pdf_path,
            page_index=page_index,
            cause=repr(exc),
        ) from exc
    return text.strip()


def _first_copy_only() -> Callable[[dict[str, Any]], bool]:
    """A filter that drops a character drawn again within a point of itself.

    Some generators fake bold by drawing text twice, a fraction of a point apart, which would read
    as "EESSCCRRIITTOO". pdfplumber's ``dedupe_chars`` fixes that but doubles the page's cost; a
    half-point grid with its neighbours catches the same copies for almost nothing.
    """
    seen: set[tuple[str, int, int]] = set()

    def keep(obj: dict[str, Any]) -> bool:
        if obj.get("object_type") != "char":
            return True
        text, x, y = obj["text"], round(obj["x0"] * 2), round(obj["top"] * 2)
        if any((text, x + dx, y + dy) in seen for dx in (-1, 0, 1) for dy in (-1, 0, 1)):
            return False
        seen.add((text, x, y))
        return True

    return keep


def _open(pdf_path: Path, password: str | None) -> pdfium.PdfDocument:
    name = Path(pdf_path).name
    try:
        return pdfium.PdfDocument(Path(pdf_path), password=password)
    except FileNotFoundError as exc:
        raise UnreadableFile(f"No se encontró el PDF {name}.", path=pdf_path) from exc
    except pdfium.PdfiumError as exc:
        if exc.err_code == pdfium_c.FPDF_ERR_PASSWORD:
            message = f"El PDF {name} está protegido con contraseña; pida una copia sin ella."
        else:
            message = f"El PDF {name} está dañado o no es un PDF; no se puede leer."
        raise UnreadableFile(message, path=pdf_path, cause=str(exc)) from exc


def _inspect_page(document: pdfium.PdfDocument, page_index: int) -> TextLayerInfo:
    try:
        page = document[page_index]
        text_page = page.get_textpage()
    except pdfium.PdfiumError as exc:
        raise UnreadableFile(
            f"La página {page_index + 1} del PDF está dañada y no se puede leer.",
            page_index=page_index,
            cause=str(exc),
        ) from exc
    try:
        text = text_page.get_text_range()
        visible, invisible = _text_by_visibility(page, text_page)
        coverage = _image_coverage(page)
    finally:
        text_page.close()
        page.close()
    char_count, legible = _count_legible(text)
    legible_share = legible / char_count if char_count else 0.0
    drawn = visible + invisible
    invisible_share = invisible / drawn if drawn else 0.0
    return TextLayerInfo(
        has_text=_decide(char_count, legible_share, coverage, invisible_share),
        char_count=char_count,
        legible_share=legible_share,
        image_coverage=coverage,
        invisible_share=invisible_share,
    )


def _decide(char_count: int, legible_share: float, coverage: float, invisible_share: float) -> bool:
    if char_count == 0 or legible_share < MIN_LEGIBLE_SHARE:
        return False
    if invisible_share >= 0.5:
        return True
    return coverage < IMAGE_DOMINATED_COVERAGE or char_count >= MIN_CHARS_OVER_IMAGES


def _count_legible(text: str) -> tuple[int, int]:
    total = legible = 0
    for char in text:
        # PDFium marks a hyphen that ends a line with U+0002; it is layout, not content.
        if char.isspace() or char == "\x02":
            continue
        total += 1
        if (char.isalnum() and ord(char) < 0x250) or char in _LEGIBLE_PUNCTUATION:
            legible += 1
    return total, legible


def _text_by_visibility(page: pdfium.PdfPage, text_page: pdfium.PdfTextPage) -> tuple[int, int]:
    visible = invisible = 0
    for obj, _ in _walk_objects(page.raw, pdfium_c.FPDF_PAGEOBJ_TEXT):
        # With no buffer, PDFium returns the UTF-16 byte length including the terminator.
        length = max(0, (pdfium_c.FPDFTextObj_GetText(obj, text_page.raw, None, 0) - 2) // 2)
        if pdfium_c.FPDFTextObj_GetTextRenderMode(obj) in _INVISIBLE_MODES:
            invisible += length
        else:
            visible += length
    return visible, invisible


def _image_coverage(page: pdfium.PdfPage) -> float:
    left, bottom, right, top = page.get_cropbox()
    width, height = right - left, top - bottom
    if width <= 0 or height <= 0:
        return 0.0
    # A coarse grid measures the union, so overlapping layers (as in MRC scans) count once.
    covered = bytearray(_COVERAGE_GRID * _COVERAGE_GRID)
    for obj, matrix in _walk_objects(page.raw, pdfium_c.FPDF_PAGEOBJ_IMAGE):
        x0, y0, x1, y1 = _page_bounds(obj, matrix)
        columns = _cells(x0 - left, x1 - left, width)
        for row in _cells(y0 - bottom, y1 - bottom, height):
            for column in columns:
                covered[row * _COVERAGE_GRID + column] = 1
    return sum(covered) / len(covered)


def _cells(start: float, end: float, extent: float) -> range:
    cell = extent / _COVERAGE_GRID
    first = max(0, int(start / cell + 0.5))
    last = min(_COVERAGE_GRID, int(end / cell + 0.5))
    return range(first, last)


_Matrix = tuple[float, float, float, float, float, float]
_IDENTITY: _Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)


def _walk_objects(
    page_raw: object,
    wanted_type: int,
    *,
    parent: object = None,
    matrix: _Matrix = _IDENTITY,
    depth: int = 0,
) -> Iterator[tuple[object, _Matrix]]:
    """Page objects of one type, descending into Form XObjects, each with its form's matrix.

    The raw API is used because wrapping every object costs more than the whole inspection.
    """
    if parent is None:
        count = pdfium_c.FPDFPage_CountObjects(page_raw)
    else:
        count = pdfium_c.FPDFFormObj_CountObjects(parent)
    for index in range(count):
        if parent is None:
            obj = pdfium_c.FPDFPage_GetObject(page_raw, index)
        else:
            obj = pdfium_c.FPDFFormObj_GetObject(parent, index)
        kind = pdfium_c.FPDFPageObj_GetType(obj)
        if kind == wanted_type:
            yield obj, matrix
        elif kind == pdfium_c.FPDF_PAGEOBJ_FORM and depth < _MAX_FORM_DEPTH:
            inner = _multiply(_object_matrix(obj), matrix)
            yield from _walk_objects(
                page_raw, wanted_type, parent=obj, matrix=inner, depth=depth + 1
            )


def _object_matrix(obj: object) -> _Matrix:
    raw = pdfium_c.FS_MATRIX()
    if not pdfium_c.FPDFPageObj_GetMatrix(obj, ctypes.byref(raw)):
        return _IDENTITY
    return (raw.a, raw.b, raw.c, raw.d, raw.e, raw.f)


def _multiply(first: _Matrix, then: _Matrix) -> _Matrix:
    a, b, c, d, e, f = first
    a2, b2, c2, d2, e2, f2 = then
    return (
        a * a2 + b * c2,
        a * b2 + b * d2,
        c * a2 + d * c2,
        c * b2 + d * d2,
        e * a2 + f * c2 + e2,
        e * b2 + f * d2 + f2,
    )


def _page_bounds(obj: object, matrix: _Matrix) -> tuple[float, float, float, float]:
    left, bottom, right, top = (ctypes.c_float() for _ in range(4))
    if not pdfium_c.FPDFPageObj_GetBounds(obj, left, bottom, right, top):
        return 0.0, 0.0, 0.0, 0.0
    a, b, c, d, e, f = matrix
    corners = [
        (x * a + y * c + e, x * b + y * d + f)
        for x in (left.value, right.value)
        for y in (bottom.value, top.value)
    ]
    xs = [x for x, _ in corners]
    ys = [y for _, y in corners]
    return min(xs), min(ys), max(xs), max(ys)
