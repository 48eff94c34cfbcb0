"""PDFium for the whole core: the one lock around it, and what a page's objects say.

PDFium keeps process-wide state (its last error code, font caches) and is not thread-safe, even
across different documents; pypdfium2's documentation says so. Registration (``mailroom.capture``)
and the OCR worker's pool (``mailroom.ocr``) call it from different threads of one process, so a
lock per package would still let two calls overlap: every pypdfium2 call in ``mailroom`` holds
:data:`pdfium_lock`, the only one. It is re-entrant so that capture, which holds it for a whole
document, can call helpers that take it themselves. Work that needs no PDFium (tesseract,
pdfplumber) runs outside it.

The page-object helpers use the raw API, because wrapping every object costs more than the whole
inspection; they descend into Form XObjects, where "print to PDF" and imposition tools put a
page's scan.
"""

from __future__ import annotations

import ctypes
import threading
from collections.abc import Iterator

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

pdfium_lock = threading.RLock()

# Clipping modes draw nothing either; OCR layers use 3 (invisible), some tools 7 (clip only).
INVISIBLE_TEXT_MODES = frozenset(
    {pdfium_c.FPDF_TEXTRENDERMODE_INVISIBLE, pdfium_c.FPDF_TEXTRENDERMODE_CLIP}
)
_COVERAGE_GRID = 32
_MAX_FORM_DEPTH = 8

_Matrix = tuple[float, float, float, float, float, float]
_IDENTITY: _Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)


def is_invisible_text(obj: object) -> bool:
    """Whether a page object is text drawn invisibly (as OCR layers are)."""
    return (
        pdfium_c.FPDFPageObj_GetType(obj) == pdfium_c.FPDF_PAGEOBJ_TEXT
        and pdfium_c.FPDFTextObj_GetTextRenderMode(obj) in INVISIBLE_TEXT_MODES
    )


def text_by_visibility(page: pdfium.PdfPage, text_page: pdfium.PdfTextPage) -> tuple[int, int]:
    """Characters of the page's text drawn visibly and invisibly, in forms too."""
    visible = invisible = 0
    for obj, _ in _walk_objects(page.raw, pdfium_c.FPDF_PAGEOBJ_TEXT):
        # With no buffer, PDFium returns the UTF-16 byte length including the terminator.
        length = max(0, (pdfium_c.FPDFTextObj_GetText(obj, text_page.raw, None, 0) - 2) // 2)
        if pdfium_c.FPDFTextObj_GetTextRenderMode(obj) in INVISIBLE_TEXT_MODES:
            invisible += length
        else:
            visible += length
    return visible, invisible


def image_coverage(page: pdfium.PdfPage) -> float:
    """The share of the page's crop box that images cover (0–1), images in forms included."""
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


def _walk_objects(
    page_raw: object,
    wanted_type: int,
    *,
    parent: object = None,
    matrix: _Matrix = _IDENTITY,
    depth: int = 0,
) -> Iterator[tuple[object, _Matrix]]:
    """Page objects of one type, descending into Form XObjects, each with its form's matrix."""
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
