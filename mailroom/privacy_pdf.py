"""The privacy notice on paper (fpdf2): what the counter hands a citizen who asks for it.

The full notice (the short one is what the kiosk shows first; the full one holds everything the
law asks for). Each page's foot names the notice's version, the same SHA-256 a filing stores, so
a printed copy can be matched to the filings made under it.
"""

from __future__ import annotations

import unicodedata
from io import BytesIO

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from mailroom.privacy import PrivacyNotice
from mailroom.resources import font_file

MARGIN = 54.0  # points
FONT = "DejaVu"


class _NoticePdf(FPDF):
    def __init__(self, version: str) -> None:
        super().__init__(orientation="P", unit="pt", format="letter")
        self.version = version

    def footer(self) -> None:
        self.set_y(-36)
        self.set_font(FONT, "", 7)
        self.cell(
            0,
            9,
            f"Aviso de privacidad · versión {self.version[:16]} · Página {self.page_no()} de "
            "{nb}",
            align="C",
        )


def render_notice(notice: PrivacyNotice, office_name: str) -> bytes:
    """The full notice as a PDF: the office as the heading, its first line as the title, short
    lines without a final period as section headings, everything else as paragraphs."""
    pdf = _NoticePdf(notice.version)
    pdf.set_title(f"Aviso de privacidad — {office_name}")
    pdf.set_author(office_name)
    pdf.add_font(FONT, "", str(font_file("DejaVuSans.ttf")))
    pdf.add_font(FONT, "B", str(font_file("DejaVuSans-Bold.ttf")))
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.set_auto_page_break(True, margin=MARGIN)
    pdf.add_page()
    pdf.set_font(FONT, "", 9)
    _line(pdf, _printable(office_name), size=9)
    lines = _printable(notice.full).split("\n")
    title, body = lines[0], lines[1:]
    pdf.ln(6)
    _line(pdf, title, size=15, bold=True)
    pdf.ln(8)
    for line in body:
        text = line.strip()
        if not text:
            pdf.ln(5)
        elif _heading(text):
            pdf.ln(4)
            _line(pdf, text, size=11, bold=True)
        else:
            _line(pdf, text, size=10)
    output = BytesIO()
    pdf.output(output)
    return output.getvalue()


def _heading(text: str) -> bool:
    return len(text) <= 70 and not text.endswith((".", ":", ";", ","))


def _line(pdf: FPDF, text: str, *, size: float, bold: bool = False) -> None:
    pdf.set_font(FONT, "B" if bold else "", size)
    pdf.multi_cell(0, size * 1.35, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _printable(text: str) -> str:
    """Without control characters a PDF cannot show; line breaks kept."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return "".join(c for c in text if c == "\n" or unicodedata.category(c) != "Cc")
