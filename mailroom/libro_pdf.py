"""The *libro de registro* as a printable PDF: landscape letter, one row per filing in folio order.

Every page has the office, the period, «Página X de Y» and when it was printed, and repeats the
column headings. Cells wrap (long words break by character), so no text is ever cut; a row taller
than a whole page continues on the next one. After the last row come the totals (filings, pages,
fojas, filings per status) and the lines where the clerk who received and the supervisor sign.

Rows stream from the database; the layout wraps text itself from the font's glyph widths, because
``multi_cell`` dry runs and even ``get_string_width`` (which copies the graphics state and splits
the text for bidi on every call) took most of the time. fpdf2 keeps the pages' content until the
end, when it writes «de Y». Measured for 10,000 filings (607 pages, 2.7 MB): 6-7 s on one core,
16-32 MB more resident memory; the CSV of the same range takes 0.2 s.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, cast

import sqlite_utils
from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import TTFFont

from mailroom import libro
from mailroom.config import Settings
from mailroom.libro import COLUMNS, STATUS_NAMES, LibroTotals, Period, TotalsCounter
from mailroom.receipt import fonts
from mailroom.receipt.layout import printable
from mailroom.receipt.spanish import CHANNELS, SYNC_STATES, utc_offset

PAGE_WIDTH, PAGE_HEIGHT = 792.0, 612.0  # US letter, landscape, in points
MARGIN = 24.0
BOTTOM = 30.0
FONT = "DejaVu"
SIZE = 6.5
LINE = 8.0
PADDING = 2.0
EMPTY_MESSAGE = "Sin escritos registrados en este periodo."
# How much room each column gets beyond its widest heading word (folio and subject the most).
WEIGHTS = {
    "folio": 0.0,
    "received_at": 0.0,
    "channel": 0.0,
    "sender_name": 2.4,
    "sender_organization": 2.0,
    "sender_identifiers": 1.6,
    "subject": 4.0,
    "document_number": 1.2,
    "areas": 1.8,
    "fojas_declared": 0.0,
    "pages_scanned": 0.0,
    "annexes": 1.8,
    "status": 0.0,
    "sync_status": 0.0,
    "institutional_folio": 0.0,
    "clerk": 0.0,
}
# The PDF's headings: the number columns are narrow, so their headings are abbreviated (the totals
# below the table spell them out).
LABELS = tuple(
    {"fojas_declared": "Fojas decl.", "pages_scanned": "Págs. digit."}.get(key, label)
    for key, label in COLUMNS
)
VOCABULARIES = {
    "channel": tuple(CHANNELS.values()),
    "status": tuple(STATUS_NAMES.values()),
    "sync_status": tuple(SYNC_STATES.values()),
}
BREAK_AFTER = ("/", "-", ".", "_")
NUMERIC = frozenset({"fojas_declared", "pages_scanned"})
SIGNATURE_BLOCK = 110.0  # totals and signature lines, kept together on one page
ProgressCallback = Callable[[int, "int | None"], None]


@dataclass(frozen=True)
class LibroPdf:
    data: bytes
    totals: LibroTotals
    pages: int


class _Document(FPDF):
    def __init__(self, settings: Settings, period: Period, printed_at: datetime) -> None:
        super().__init__(orientation="L", unit="pt", format="letter")
        self.settings = settings
        self.period = period
        self.printed_at = printed_at
        self.widths: list[float] = []
        self.in_table = False

    def header(self) -> None:
        self.set_xy(MARGIN, MARGIN)
        right = 190.0
        self.set_font(FONT, "B", 11)
        self.multi_cell(PAGE_WIDTH - 2 * MARGIN - right, 13, printable(self.settings.office_name))
        self.set_font(FONT, "", 9.5)
        self.set_x(MARGIN)
        self.multi_cell(
            PAGE_WIDTH - 2 * MARGIN - right, 12, f"Libro de registro {self.period.label}"
        )
        bottom = self.get_y()
        self.set_font(FONT, "", 7.5)
        self.set_xy(PAGE_WIDTH - MARGIN - right, MARGIN)
        self.cell(right, 10, f"Página {self.page_no()} de {{nb}}", align="R")
        self.set_xy(PAGE_WIDTH - MARGIN - right, MARGIN + 11)
        printed = f"{self.printed_at:%d/%m/%Y %H:%M} ({utc_offset(self.printed_at)})"
        self.cell(right, 10, f"Impreso el {printed}", align="R")
        self.set_xy(MARGIN, max(bottom, MARGIN + 22) + 6)
        if self.in_table:
            _heading_row(self)


def render(
    db: sqlite_utils.Database,
    period: Period,
    settings: Settings,
    printed_at: datetime,
    *,
    progress: ProgressCallback | None = None,
) -> LibroPdf:
    """The period's libro as PDF bytes, with the totals it printed. ``progress(done, total)`` is
    called as rows are laid out; it may raise to stop (the desktop's cancel)."""
    pdf, counter = _laid_out(db, period, settings, printed_at, progress, full=False)
    if fonts.lacks_glyphs(pdf):  # a rare script in some name: lay it out with the full fonts
        pdf, counter = _laid_out(db, period, settings, printed_at, progress, full=True)
    return LibroPdf(bytes(pdf.output()), counter.totals(), pdf.pages_count)


def export_pdf(
    db: sqlite_utils.Database,
    period: Period,
    path: Path,
    settings: Settings,
    printed_at: datetime,
    *,
    progress: ProgressCallback | None = None,
) -> LibroPdf:
    """Write the libro to ``path`` atomically (the old file stays if anything fails)."""
    document = render(db, period, settings, printed_at, progress=progress)

    def write(handle: IO[bytes]) -> LibroPdf:
        handle.write(document.data)
        return document

    return libro.write_atomically(Path(path), write)


def _laid_out(
    db: sqlite_utils.Database,
    period: Period,
    settings: Settings,
    printed_at: datetime,
    progress: ProgressCallback | None,
    *,
    full: bool,
) -> tuple[_Document, TotalsCounter]:
    pdf = _new_document(settings, period, printed_at, full=full)
    pdf.widths = _column_widths(pdf, db, period)
    total = libro.totals(db, period).filings
    counter = TotalsCounter()
    pdf.in_table = total > 0  # an empty period gets its message, not an empty table
    pdf.add_page()
    for row in libro.rows(db, period):
        _row(pdf, libro.display_values(row))
        counter.add(row)
        if progress is not None and counter.filings % 100 == 0:
            progress(counter.filings, total)
    pdf.in_table = False
    if counter.filings == 0:
        pdf.set_font(FONT, "B", 11)
        pdf.cell(0, 30, EMPTY_MESSAGE, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    _closing(pdf, counter.totals())
    if progress is not None:
        progress(counter.filings, total)
    return pdf, counter


def _new_document(
    settings: Settings, period: Period, printed_at: datetime, *, full: bool
) -> _Document:
    pdf = _Document(settings, period, printed_at)
    fonts.add_fonts(pdf, full=full)
    pdf.set_creation_date(printed_at)
    pdf.set_title(f"Libro de registro {period.label}")
    pdf.set_author(settings.office_name)
    pdf.set_creator("Oficialía")
    pdf.set_lang("es-MX")
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.set_auto_page_break(False)  # rows break pages themselves, see _row
    pdf.set_line_width(0.4)
    return pdf


def _column_widths(pdf: FPDF, db: sqlite_utils.Database, period: Period) -> list[float]:
    """Each column gets at least its widest heading word and its widest word of data that never
    should break (a folio, a state, a channel); the free-text columns share the rest by weight."""
    pdf.set_font(FONT, "B", SIZE)
    minimum = [max(_width(pdf, word) for word in label.split()) for label in LABELS]
    pdf.set_font(FONT, "", SIZE)
    for index, (key, _) in enumerate(COLUMNS):
        words = _unbreakable(db, period, key)
        minimum[index] = max([minimum[index], *(_width(pdf, w) for w in words)])
    minimum = [width + 2 * PADDING + 1 for width in minimum]
    spare = max(0.0, PAGE_WIDTH - 2 * MARGIN - sum(minimum))
    weight = sum(WEIGHTS[key] for key, _ in COLUMNS)
    widths = [
        low + spare * WEIGHTS[key] / weight for low, (key, _) in zip(minimum, COLUMNS, strict=True)
    ]
    scale = min(1.0, (PAGE_WIDTH - 2 * MARGIN) / sum(widths))  # a very long folio pattern
    return [width * scale for width in widths]


def _unbreakable(db: sqlite_utils.Database, period: Period, key: str) -> list[str]:
    """The pieces of a column's data that should each fit on one line."""
    if key == "received_at":
        return ["00/00/0000 00:00", "(UTC-00:00)"]
    if key in VOCABULARIES:
        return [word for text in VOCABULARIES[key] for word in text.split()]
    if key in ("folio", "institutional_folio", "clerk"):
        longest = db.execute(
            f"SELECT {key} FROM filings WHERE received_date BETWEEN ? AND ? "
            f"ORDER BY length({key}) DESC LIMIT 3",
            [period.first.isoformat(), period.last.isoformat()],
        ).fetchall()
        return [str(value) for (value,) in longest if value]
    return []


def wrap(pdf: FPDF, text: str, width: float) -> list[str]:
    """``text`` in lines no wider than ``width`` in the current font: at spaces, and inside a
    word only when the word alone is wider than the column."""
    lines: list[str] = []
    for paragraph in printable(text).split("\n"):
        line = ""
        for word in paragraph.split():
            candidate = f"{line} {word}" if line else word
            if _width(pdf, candidate) <= width:
                line = candidate
                continue
            if line:
                lines.append(line)
            line = ""
            for piece in _broken(pdf, word, width):
                if line:
                    lines.append(line)
                line = piece
        lines.append(line)
    return lines


def _broken(pdf: FPDF, word: str, width: float) -> list[str]:
    """A word wider than the column, in pieces: after a ``/``, ``-``, ``.`` or ``_`` where one
    fits (``CEAS/DG/0457/`` + ``2025``), else at the last character that fits."""
    pieces: list[str] = []
    while _width(pdf, word) > width:
        fits = 1
        while fits < len(word) and _width(pdf, word[: fits + 1]) <= width:
            fits += 1
        cut = max((word.rfind(mark, 0, fits) + 1 for mark in BREAK_AFTER), default=0)
        cut = cut if cut > fits // 2 else fits
        pieces.append(word[:cut])
        word = word[cut:]
    return [*pieces, word]


def _width(pdf: FPDF, text: str) -> float:
    """``text``'s width in the current font, from the glyph widths alone: what
    ``get_string_width`` returns for plain text without shaping, at a tenth of its cost (it
    copies the graphics state and splits the text for bidi on every call)."""
    widths = cast(TTFFont, pdf.current_font).cw  # the libro's fonts are all TrueType
    return sum(widths[ord(char)] for char in text) * pdf.font_size_pt * 0.001


def _heading_row(pdf: _Document) -> None:
    pdf.set_font(FONT, "B", SIZE)
    pdf.set_fill_color(225, 225, 225)
    _cells(pdf, LABELS, fill=True)
    pdf.set_font(FONT, "", SIZE)


def _row(pdf: _Document, values: Sequence[str]) -> None:
    pdf.set_font(FONT, "", SIZE)
    _cells(pdf, values, fill=False)


def _cells(pdf: _Document, values: Sequence[str], *, fill: bool) -> None:
    """One table row; a row taller than a fresh page goes on over as many pages as it needs."""
    cells = [
        wrap(pdf, value, width - 2 * PADDING)
        for value, width in zip(values, pdf.widths, strict=True)
    ]
    needed = max(len(lines) for lines in cells)
    start = 0
    while start < needed:
        room = int((PAGE_HEIGHT - BOTTOM - pdf.get_y() - 2 * PADDING) // LINE)
        if room < needed - start and (room < 3 or needed - start <= _fresh_page_room(pdf)):
            pdf.add_page()  # the header repeats the column headings
            continue
        chunk = min(room, needed - start)
        _draw(pdf, values, cells, start, chunk, fill=fill)
        start += chunk


def _fresh_page_room(pdf: _Document) -> int:
    heading = 4 * LINE + 2 * PADDING  # the tallest heading row (four lines)
    return int((PAGE_HEIGHT - BOTTOM - MARGIN - 40 - heading - 2 * PADDING) // LINE)


def _draw(
    pdf: _Document,
    values: Sequence[str],
    cells: list[list[str]],
    start: int,
    chunk: int,
    *,
    fill: bool,
) -> None:
    top, x = pdf.get_y(), MARGIN
    height = chunk * LINE + 2 * PADDING
    for (key, _), lines, width in zip(COLUMNS, cells, pdf.widths, strict=True):
        pdf.rect(x, top, width, height, style="DF" if fill else "D")
        for number, line in enumerate(lines[start : start + chunk]):
            baseline = top + PADDING + number * LINE + LINE / 2 + SIZE * 0.35
            left = x + PADDING
            if key in NUMERIC and not fill:
                left = x + width - PADDING - _width(pdf, line)
            pdf.text(left, baseline, line)
        x += width
    pdf.set_y(top + height)


def _closing(pdf: _Document, totals: LibroTotals) -> None:
    if pdf.get_y() + SIGNATURE_BLOCK > PAGE_HEIGHT - BOTTOM:
        pdf.add_page()
    pdf.set_x(MARGIN)
    pdf.ln(8)
    pdf.set_font(FONT, "B", 9)
    pdf.cell(0, 12, "Totales", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, "", 8.5)
    pdf.multi_cell(
        0,
        11,
        f"Escritos: {totals.filings} · Páginas digitalizadas: {totals.pages_scanned} · "
        f"Fojas declaradas: {totals.fojas_declared}",
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    if totals.by_status:
        pdf.multi_cell(
            0, 11, f"Por estado: {totals.status_summary}", new_x=XPos.LMARGIN, new_y=YPos.NEXT
        )
    _signature_lines(pdf, pdf.get_y() + 44)


def _signature_lines(pdf: _Document, y: float) -> None:
    width = 240.0
    pdf.set_font(FONT, "", 8)
    for x, label in (
        (MARGIN + 30, "Recibió (nombre y firma)"),
        (PAGE_WIDTH / 2 + 30, "Supervisor(a) (nombre y firma)"),
    ):
        pdf.line(x, y, x + width, y)
        pdf.set_xy(x, y + 3)
        pdf.cell(width, 10, label, align="C")
    pdf.set_y(y + 16)
