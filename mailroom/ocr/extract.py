"""Reading a born-digital page's text layer in reading order, so it is never OCRed.

PDFium reads a page's text in about a millisecond, but in the order it was drawn; pdfplumber
clusters characters into lines (tables come out row by row) at about 40 ms a page. So PDFium reads
every page, a cheap check of its text rectangles says whether that order is reading order, and
only the pages drawn out of order (a table drawn column by column) go to pdfplumber.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium

from mailroom.errors import UnreadableFile
from mailroom.ocr.textlayer import PDFIUM_HYPHENS, check_page_index, damaged_page, open_pdf
from mailroom.pdfium import pdfium_lock

Box = tuple[float, float, float, float]
"""A piece of a line of text: left, bottom, right, top in points, y upwards (PDFium's rects)."""

# A run of pieces that goes back to lines already read is another column of prose when its pieces
# are long (in widths of their own height), and a table's column when they are short.
PROSE_LINE_EMS = 12.0
# Some text drawn out of order is normal: a second or third column, a header or footer drawn
# last. More backward steps than this share of the pieces is a page drawn in no useful order.
MAX_BACKWARD_SHARE = 0.1
_FREE_BACKWARD_STEPS = 3


def extract_page_text(pdf_path: Path, page_index: int, *, password: str | None = None) -> str:
    """The text layer of one page, in reading order, each table row on its own line."""
    return extract_document_text(pdf_path, [page_index], password=password)[0]


def extract_document_text(
    pdf_path: Path, page_indexes: Sequence[int], *, password: str | None = None
) -> list[str]:
    """The text layers of several pages, in the order asked, opening the file once."""
    indexes = list(page_indexes)
    with pdfium_lock:
        document = open_pdf(pdf_path, password)
        try:
            for index in indexes:
                check_page_index(document, pdf_path, index)
            texts = [_pdfium_text(document, index) for index in indexes]
        finally:
            document.close()
    pairs = list(zip(indexes, texts, strict=True))
    doubtful = sorted({index for index, text in pairs if text is None})
    read = _plumber_texts(Path(pdf_path), doubtful, password) if doubtful else {}
    return [read[index] if text is None else text for index, text in pairs]


def in_reading_order(boxes: Sequence[Box]) -> bool:
    """Whether text pieces, in the order drawn, read top to bottom and left to right.

    Normal layouts pass: columns of prose (a few steps back up, landing on long lines) and a header
    or page number drawn last (one step back). A table drawn column by column, or a line drawn
    right to left, fails: its steps back land on lines already read, in short pieces.
    """
    pieces = [box for box in boxes if box[2] > box[0] and box[3] > box[1]]
    backward = split_rows = 0
    earlier_rows: set[int] = set()  # lines read before the current run
    run_rows: set[int] = set()
    revisits: list[float] = []  # widths in ems of the run's pieces that land on earlier lines
    previous: Box | None = None
    for box in pieces:
        if previous is not None and _steps_back(previous, box):
            backward += 1
            split_rows += _table_cells(revisits)
            earlier_rows |= run_rows
            run_rows, revisits = set(), []
        if backward and _lands_on(box, earlier_rows):
            revisits.append((box[2] - box[0]) / (box[3] - box[1]))
        run_rows.add(round((box[1] + box[3]) / 2))
        previous = box
    split_rows += _table_cells(revisits)
    allowed = max(_FREE_BACKWARD_STEPS, MAX_BACKWARD_SHARE * len(pieces))
    return split_rows < 2 and backward <= allowed


def _steps_back(previous: Box, box: Box) -> bool:
    overlap = min(previous[3], box[3]) - max(previous[1], box[1])
    if overlap >= 0.5 * min(previous[3] - previous[1], box[3] - box[1]):  # the same line
        return (box[0] + box[2]) / 2 < previous[0]
    return (box[1] + box[3]) / 2 > previous[3]


def _lands_on(box: Box, rows: set[int]) -> bool:
    """Whether the piece sits on one of the lines (rounded vertical centres) in ``rows``."""
    centre, reach = (box[1] + box[3]) / 2, min(10.0, (box[3] - box[1]) / 3)
    return any(row in rows for row in range(math.floor(centre - reach), math.ceil(centre + reach)))


def _table_cells(revisits: list[float]) -> int:
    if revisits and sum(revisits) / len(revisits) < PROSE_LINE_EMS:
        return len(revisits)
    return 0


def _pdfium_text(document: pdfium.PdfDocument, page_index: int) -> str | None:
    """The page's text from PDFium, or None when its order is not reading order."""
    try:
        page = document[page_index]
        try:
            rotation = page.get_rotation()
            text_page = page.get_textpage()
            try:
                count = text_page.count_rects()
                boxes = [_upright(text_page.get_rect(index), rotation) for index in range(count)]
                if not in_reading_order(boxes):
                    return None
                return _tidy(text_page.get_text_range())
            finally:
                text_page.close()
        finally:
            page.close()
    except pdfium.PdfiumError as exc:
        raise damaged_page(page_index, exc) from exc


def _upright(box: Box, rotation: int) -> Box:
    """The box as the page is shown: PDFium orders a turned page's text as shown, but gives its
    rects unturned. Only relative positions matter, so the page's size is left out."""
    left, bottom, right, top = box
    if rotation == 90:  # turned clockwise: the left edge is now the top
        return bottom, -right, top, -left
    if rotation == 180:
        return -right, -top, -left, -bottom
    if rotation == 270:
        return -top, left, -bottom, right
    return box


def _tidy(text: str) -> str:
    # Put back the line break PDFium removed after a hyphen, as printed (and as pdfplumber reads
    # it): "entrega-" + "recepción" must not become one word.
    for mark in PDFIUM_HYPHENS:
        text = text.replace(mark, "-\n")
    lines = (line.strip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"))
    return "\n".join(line for line in lines if line)


def _plumber_texts(pdf_path: Path, page_indexes: list[int], password: str | None) -> dict[int, str]:
    import pdfplumber  # slow to import; only pages drawn out of order need it

    try:
        numbers = [index + 1 for index in page_indexes]
        with pdfplumber.open(pdf_path, pages=numbers, password=password or "") as pdf:
            return {
                page.page_number - 1: (page.filter(_first_copy_only()).extract_text() or "").strip()
                for page in pdf.pages
            }
    except Exception as exc:
        # pdfminer raises anything from PSSyntaxError to KeyError on malformed files.
        raise UnreadableFile(
            f"No se pudo leer el texto de {pdf_path.name}: el PDF está dañado o protegido.",
            path=pdf_path,
            cause=repr(exc),
        ) from exc


def _first_copy_only() -> Callable[[dict[str, Any]], bool]:
    """A filter that drops a character drawn again within a point of itself.

    Some generators fake bold by drawing text twice, a fraction of a point apart, which would read
    as "EESSCCRRIITTOO". pdfplumber's ``dedupe_chars`` fixes that but doubles the page's cost; a
    half-point grid with its neighbours catches the same copies for almost nothing. (PDFium drops
    such copies itself.)
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


# -- opening -----------------------------------------------------------------------------------
