"""Flowing a document's blocks onto pages the way a careful typist would."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from mailroom.samples.layout import (
    BODY_BOTTOM_PT,
    MARGIN_PT,
    TEXT_WIDTH_PT,
    column_widths,
    table_height,
    text_width,
    wrap,
)
from mailroom.samples.model import Line, Page, PageStyle, Table

# A block of a document: a Line, a paragraph (str, wrapped), a keep-together group (list of
# Lines), a table (tuple of rows, the first one the header) or None for a page break.
Block = Line | str | list[Line] | Table | None


class _Paginator:
    def __init__(self, style: PageStyle) -> None:
        self.style = style
        self.capacity = BODY_BOTTOM_PT - MARGIN_PT
        self.pages: list[Page] = []
        self._start()

    def _start(self) -> None:
        self.lines: list[Line] = []
        self.table: Table | None = None
        self.table_at: int | None = None
        self.used = 0.0

    def flush(self) -> None:
        if self.lines or self.table:
            self.pages.append(Page(tuple(self.lines), self.table, self.table_at))
        self._start()

    def add_line(self, line: Line) -> None:
        if text_width(line.text, self.style.family, line.bold, self.style.size) > TEXT_WIDTH_PT:
            raise ValueError(f"La línea no cabe en la página: {line.text!r}")
        if self.used + self.style.line_height > self.capacity:
            self.flush()
        if line.text or self.lines or self.table:  # no blank lines at the top of a page
            self.lines.append(line)
            self.used += self.style.line_height

    def add_group(self, lines: Sequence[Line]) -> None:
        if self.used + len(lines) * self.style.line_height > self.capacity:
            self.flush()
        for line in lines:
            self.add_line(line)

    def add_paragraph(self, lines: Sequence[Line]) -> None:
        # No paragraph starts on a page's last line or leaves its last line alone on the next.
        head, body, tail = lines[:2], lines[2:-2], lines[-2:]
        if len(lines) <= 3:
            head, body, tail = lines, [], []
        self.add_group(head)
        for line in body:
            self.add_line(line)
        self.add_group(tail)
        self.add_line(Line(""))

    def add_table(self, rows: Table) -> None:
        column_widths(rows, self.style)  # fail here, before anything is drawn
        height = table_height(rows, self.style)
        if self.table is not None or self.used + height > self.capacity:
            self.flush()
        self.table, self.table_at = rows, len(self.lines)
        self.used += height


def paginate(blocks: Sequence[Block], style: PageStyle, *, numbered: bool = True) -> list[Page]:
    """The blocks on pages; numbered pages get a "Página n de total" footer."""
    paginator = _Paginator(style)
    for block in blocks:
        if block is None:
            paginator.flush()
        elif isinstance(block, Line):
            paginator.add_line(block)
        elif isinstance(block, str):
            paginator.add_paragraph([Line(text) for text in wrap(block, style)])
        elif isinstance(block, list):
            paginator.add_group(block)
        else:
            paginator.add_table(block)
    paginator.flush()
    total = len(paginator.pages)
    if not numbered:
        return paginator.pages
    return [
        Page(page.lines, page.table, page.table_at, f"Página {number} de {total}")
        for number, page in enumerate(paginator.pages, start=1)
    ]


def fit_pages(build: Callable[[int], list[Block]], style: PageStyle, pages: int) -> list[Page]:
    """Paginate build(extra) with the largest extra that still gives exactly pages pages.

    Growing the filler this way keeps the page count fixed even if another DejaVu version
    measures text slightly differently, and it leaves the last text page well filled.
    """
    best: list[Page] | None = None
    for extra in range(40):
        paged = paginate(build(extra), style)
        if len(paged) > pages:
            break
        if len(paged) == pages:
            best = paged
    if best is None:
        raise RuntimeError(f"El contenido de muestra no llena exactamente {pages} páginas.")
    return best
