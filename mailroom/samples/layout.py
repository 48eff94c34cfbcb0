"""Where text and table rules go on a letter-size page, and the text a page shows.

Everything is in points from the top left; drawing (on an image or into a PDF) only scales.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

from PIL import ImageFont

from mailroom.errors import ToolMissing
from mailroom.resources import font_file
from mailroom.samples.model import Line, Page, PageStyle

PAGE_WIDTH_PT, PAGE_HEIGHT_PT = 612.0, 792.0  # US letter, what Mexican offices print on
MARGIN_PT = 72.0
BODY_BOTTOM_PT = PAGE_HEIGHT_PT - 72.0
FOOTER_BASELINE_PT = PAGE_HEIGHT_PT - 40.0
TEXT_WIDTH_PT = PAGE_WIDTH_PT - 2 * MARGIN_PT

_FONT_DIRS = (
    "/usr/share/fonts/truetype/dejavu",  # Debian, Ubuntu (fonts-dejavu-core)
    "/usr/share/fonts/dejavu",  # Fedora
    "/usr/share/fonts/TTF",  # Arch
    "/usr/local/share/fonts",
)
_FONT_FILES = {
    ("serif", False): "DejaVuSerif.ttf",
    ("serif", True): "DejaVuSerif-Bold.ttf",
    ("sans", False): "DejaVuSans.ttf",
    ("sans", True): "DejaVuSans-Bold.ttf",
}
_NUMERIC = re.compile(r"-?[$\d.,%]+")
_MEASURE_PX = 200  # widths are measured once at this size and scaled to points

Rule = tuple[float, float, float, float]  # a table rule from (x1, y1) to (x2, y2), in points


@dataclass(frozen=True)
class PlacedText:
    x: float
    baseline: float
    text: str
    bold: bool
    size: float


@cache
def font_path(family: str, bold: bool) -> Path:
    name = _FONT_FILES[(family, bold)]
    for candidate in (font_file(name), *(Path(folder) / name for folder in _FONT_DIRS)):
        if candidate.is_file():
            return candidate
    raise ToolMissing(
        f"No se encontró la fuente {name}. Instale las fuentes DejaVu (paquete fonts-dejavu-core).",
        font=name,
    )


@lru_cache(maxsize=64)
def font(family: str, bold: bool, size_px: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(font_path(family, bold)), size_px)


def text_width(text: str, family: str, bold: bool, size: float) -> float:
    """Width of text in points at size points."""
    return font(family, bold, _MEASURE_PX).getlength(text) * size / _MEASURE_PX


def wrap(text: str, style: PageStyle, *, bold: bool = False) -> list[str]:
    """Greedy word wrap to the text width of a page."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}" if current else word
        if current and text_width(candidate, style.family, bold, style.size) > TEXT_WIDTH_PT:
            lines.append(current)
            candidate = word
        current = candidate
    if current:
        lines.append(current)
    return lines


def make_page(
    lines: Sequence[str | Line],
    table: Sequence[Sequence[str]] | None,
    table_at: int | None,
    footer: str | None,
) -> Page:
    rows = tuple(tuple(row) for row in table) if table else None
    as_lines = tuple(line if isinstance(line, Line) else Line(line) for line in lines)
    return Page(as_lines, rows, table_at, footer)


def page_ground_truth(
    lines: Sequence[str | Line],
    *,
    table: Sequence[Sequence[str]] | None = None,
    table_at: int | None = None,
    footer: str | None = None,
) -> str:
    """The exact text a page rendered from these arguments shows, in reading order."""
    return page_text(make_page(lines, table, table_at, footer))


def page_text(page: Page) -> str:
    at = len(page.lines) if page.table_at is None else page.table_at
    texts = [line.text for line in page.lines[:at]]
    texts += [" ".join(cell for cell in row if cell) for row in page.table or ()]
    texts += [line.text for line in page.lines[at:]]
    texts.append(page.footer or "")
    return "\n".join(text for text in texts if text)


def table_height(rows: Sequence[Sequence[str]], style: PageStyle) -> float:
    # Half a line of air above and below keeps the rules clear of the text around them.
    return len(rows) * style.row_height + style.line_height


def column_widths(rows: Sequence[Sequence[str]], style: PageStyle) -> list[float]:
    """Each column as wide as its widest cell plus padding; the spare width shared evenly."""
    widths = [
        max(text_width(row[col], style.family, i == 0, style.size) for i, row in enumerate(rows))
        + style.size
        for col in range(len(rows[0]))
    ]
    spare = TEXT_WIDTH_PT - sum(widths)
    if spare < 0:
        raise ValueError(f"La tabla no cabe en la página (sobran {-spare:.0f} pt): {rows[0]}")
    return [width + spare / len(widths) for width in widths]


def _layout_table(
    rows: Sequence[Sequence[str]], top: float, style: PageStyle
) -> tuple[list[PlacedText], list[Rule], float]:
    pad = style.size * 0.5
    widths = column_widths(rows, style)
    lefts = [MARGIN_PT + sum(widths[:col]) for col in range(len(widths))]
    y = top + style.line_height / 2
    texts: list[PlacedText] = []
    for i, row in enumerate(rows):
        baseline = y + i * style.row_height + style.row_height / 2 + style.size * 0.35
        for col, cell in enumerate(row):
            x = lefts[col] + pad
            if i > 0 and _NUMERIC.fullmatch(cell):  # amounts line up on the right
                width = text_width(cell, style.family, False, style.size)
                x = lefts[col] + widths[col] - pad - width
            texts.append(PlacedText(x, baseline, cell, i == 0, style.size))
    bottom = y + len(rows) * style.row_height
    right = MARGIN_PT + TEXT_WIDTH_PT
    rules = [
        (MARGIN_PT, y + i * style.row_height, right, y + i * style.row_height)
        for i in range(len(rows) + 1)
    ]
    rules += [(x, y, x, bottom) for x in [*lefts, right]]
    return texts, rules, top + table_height(rows, style)


def _line_text(line: Line, y: float, style: PageStyle) -> PlacedText:
    width = text_width(line.text, style.family, line.bold, style.size)
    x = {
        "left": MARGIN_PT,
        "center": (PAGE_WIDTH_PT - width) / 2,
        "right": MARGIN_PT + TEXT_WIDTH_PT - width,
    }[line.align]
    return PlacedText(x, y + style.size, line.text, line.bold, style.size)


def layout_page(page: Page, style: PageStyle) -> tuple[list[PlacedText], list[Rule]]:
    """Where every piece of text and every table rule goes, in points from the top left."""
    texts: list[PlacedText] = []
    rules: list[Rule] = []
    at = len(page.lines) if page.table_at is None else page.table_at
    y = MARGIN_PT
    for i, line in enumerate([*page.lines, None]):
        if i == at and page.table:
            table_texts, table_rules, y = _layout_table(page.table, y, style)
            texts += table_texts
            rules += table_rules
        if line is not None:
            if line.text:
                texts.append(_line_text(line, y, style))
            y += style.line_height
    if page.footer:
        size = style.size - 2
        width = text_width(page.footer, style.family, False, size)
        x = (PAGE_WIDTH_PT - width) / 2
        texts.append(PlacedText(x, FOOTER_BASELINE_PT, page.footer, False, size))
    return texts, rules
