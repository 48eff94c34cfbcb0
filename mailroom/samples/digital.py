"""The born-digital sample: a PDF with a real text layer, drawn from the same layout as scans."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from mailroom.samples.layout import font_path, layout_page
from mailroom.samples.model import Document


def write_digital_pdf(document: Document, path: Path) -> None:
    from fpdf import FPDF  # only the born-digital sample needs it

    style = document.style
    pdf = FPDF(orientation="P", unit="pt", format="letter")
    pdf.set_auto_page_break(False)
    # A fixed date keeps the bytes (and the manifest's digest) the same on every run.
    pdf.set_creation_date(datetime(2025, 3, 3, 10, 0, tzinfo=UTC))
    pdf.set_title(document.subject)
    pdf.set_author(document.sender)
    pdf.set_creator("Oficialía, generador de muestras")
    for bold in (False, True):
        pdf.add_font("DejaVu", "B" if bold else "", str(font_path(style.family, bold)))
    pdf.set_line_width(0.8)
    for page in document.pages:
        pdf.add_page()
        texts, rules = layout_page(page, style)
        for text in texts:
            pdf.set_font("DejaVu", "B" if text.bold else "", text.size)
            pdf.text(text.x, text.baseline, text.text)
        for x1, y1, x2, y2 in rules:
            pdf.line(x1, y1, x2, y2)
    pdf.output(str(path))
