"""The acuse as a PDF page (fpdf2): what the citizen takes home and the clerk files."""

from __future__ import annotations

import unicodedata
from io import BytesIO

import segno
from fpdf import FPDF, FontFace
from fpdf.enums import WrapMode, XPos, YPos

from mailroom.config import Settings
from mailroom.masking import shown_sender
from mailroom.models import Filing, Sender
from mailroom.receipt import fonts, spanish
from mailroom.receipt.demo_mark import draw_demo_mark

PAGE_WIDTH, PAGE_HEIGHT = 612.0, 792.0  # US letter, in points
MARGIN = 54.0
# Where the e.firma's visible stamp goes on the last page: (x0, y0, x1, y1) in PDF points from
# the bottom-left corner. Sealing happens after the PDF exists, so the layout must leave the box
# empty or the stamp would cover text.
STAMP_BOX = (360.0, 36.0, 576.0, 126.0)
# Every page stops above the stamp box, not only the last one: the layout cannot know which
# page will be last until it is written, and re-flowing to find out is not worth the space saved.
BOTTOM_MARGIN = STAMP_BOX[3] + 10.0
QR_SIZE = 100.0
LABEL_WIDTH = 150.0
LINE = 13.0

UNSEALED_NOTICE = (
    "ACUSE SIN SELLO ELECTRÓNICO: la e.firma de la oficina no estaba disponible. Este acuse "
    "queda en cola y se sellará en cuanto se desbloquee la e.firma."
)
SENSITIVE_NOTE = (
    "Escrito con datos personales sensibles: la CURP y el RFC del remitente se muestran "
    "ocultos en parte; la oficina conserva los datos completos."
)
SEALED_NOTE = (
    "Sello electrónico (e.firma) de la oficina: en el recuadro inferior derecho "
    "de la última página."
)


class _AcusePdf(FPDF):
    def __init__(self, folio: str, *, demo: bool = False) -> None:
        super().__init__(orientation="P", unit="pt", format="letter")
        self.folio = folio
        self.demo = demo

    def header(self) -> None:
        if self.demo:  # every page, whichever layout step starts it
            draw_demo_mark(self, PAGE_WIDTH, PAGE_HEIGHT, MARGIN)

    def footer(self) -> None:
        # Below the stamp box (y < 36 pt from the bottom) and left of it.
        self.set_y(-28)
        self.set_x(MARGIN)
        self.set_font("DejaVu", "", 7)
        self.cell(
            280, 9, f"Acuse de recibo · Folio {self.folio} · Página {self.page_no()} de {{nb}}"
        )


def printable(text: str) -> str:
    """Drop control characters a PDF cannot show; keep line breaks."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return "".join(c for c in text if c == "\n" or unicodedata.category(c) != "Cc")


def qr_png(url: str) -> bytes:
    """The verification QR as PNG bytes (regular QR, level M: survives a worn thermal print)."""
    buffer = BytesIO()
    segno.make(url, error="m", micro=False).save(buffer, kind="png", scale=4, border=4)
    return buffer.getvalue()


def render(
    filing: Filing, settings: Settings, *, cadena: str, digest: str, url: str, sealed: bool
) -> bytes:
    pdf = _laid_out(filing, settings, cadena=cadena, digest=digest, url=url, sealed=sealed)
    if fonts.lacks_glyphs(pdf):  # a rare script: lay it out again with the whole font files
        pdf = _laid_out(
            filing, settings, cadena=cadena, digest=digest, url=url, sealed=sealed, full=True
        )
    return bytes(pdf.output())


def _laid_out(
    filing: Filing,
    settings: Settings,
    *,
    cadena: str,
    digest: str,
    url: str,
    sealed: bool,
    full: bool = False,
) -> _AcusePdf:
    pdf = _new_pdf(filing, settings, full=full)
    _header(pdf, filing, settings, url)
    if not sealed:
        _notice(pdf, UNSEALED_NOTICE)
    _reception(pdf, filing)
    _sender(pdf, shown_sender(filing.sender, sensitive=filing.sensitive))
    if filing.sensitive:
        _paragraph(pdf, SENSITIVE_NOTE, size=8)
    _addressees(pdf, filing)
    _pages_and_annexes(pdf, filing)
    _documents(pdf, filing)
    _cadena(pdf, cadena, digest)
    if sealed:
        pdf.ln(6)
        _paragraph(pdf, SEALED_NOTE, size=8)
    return pdf


def _new_pdf(filing: Filing, settings: Settings, *, full: bool) -> _AcusePdf:
    pdf = _AcusePdf(filing.folio, demo=settings.demo_mode)
    fonts.add_fonts(pdf, full=full)  # parsed once per process, see fonts.py
    # The creation date is the only varying input fpdf2 writes; pinning it to the reception
    # time makes the same filing always produce the same bytes (reprints match the original).
    pdf.set_creation_date(filing.received_at)
    pdf.set_title(f"Acuse de recibo {filing.folio}")
    pdf.set_author(settings.office_name)
    pdf.set_creator("Oficialía")
    pdf.set_lang("es-MX")
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.set_auto_page_break(True, margin=BOTTOM_MARGIN)
    pdf.add_page()
    return pdf


def _header(pdf: FPDF, filing: Filing, settings: Settings, url: str) -> None:
    qr_x = PAGE_WIDTH - MARGIN - QR_SIZE
    pdf.image(BytesIO(qr_png(url)), x=qr_x, y=MARGIN, w=QR_SIZE, h=QR_SIZE)
    width = qr_x - MARGIN - 10
    pdf.set_font("DejaVu", "B", 18)
    pdf.cell(width, 24, "ACUSE DE RECIBO", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("DejaVu", "", 11)
    pdf.multi_cell(width, 14, printable(settings.office_name), align="L")
    pdf.ln(6)
    pdf.set_font("DejaVu", "", 9)
    pdf.cell(width, 12, "Folio", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("DejaVu", "B", 20)
    pdf.multi_cell(width, 24, printable(filing.folio), align="L")
    pdf.set_y(max(pdf.get_y(), MARGIN + QR_SIZE) + 10)


def _heading(pdf: FPDF, text: str) -> None:
    pdf.ln(6)
    pdf.set_font("DejaVu", "B", 11)
    pdf.cell(0, 16, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.line(MARGIN, pdf.get_y(), PAGE_WIDTH - MARGIN, pdf.get_y())
    pdf.ln(3)


def _row(pdf: FPDF, label: str, value: str, *, bold: bool = False) -> None:
    pdf.set_font("DejaVu", "B", 9)
    pdf.cell(LABEL_WIDTH, LINE, label)
    pdf.set_font("DejaVu", "B" if bold else "", 9)
    pdf.multi_cell(0, LINE, printable(value) or "—", align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _paragraph(pdf: FPDF, text: str, *, size: float = 9, bold: bool = False) -> None:
    pdf.set_font("DejaVu", "B" if bold else "", size)
    pdf.multi_cell(0, size + 3, printable(text), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _notice(pdf: FPDF, text: str) -> None:
    pdf.set_font("DejaVu", "B", 10)
    pdf.multi_cell(0, 13, text, border=1, align="L", padding=6, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(4)


def _reception(pdf: FPDF, filing: Filing) -> None:
    _heading(pdf, "Recepción")
    _row(pdf, "Fecha y hora de recepción", spanish.long_datetime(filing.received_at), bold=True)
    _row(pdf, "Canal", spanish.CHANNELS.get(filing.channel, filing.channel.value))
    _row(pdf, "Asunto", filing.subject)
    _row(pdf, "Número de oficio", filing.document_number)
    _row(pdf, "Recibió", filing.clerk)
    _row(pdf, "Sincronización", spanish.SYNC_STATES.get(filing.sync_status, filing.sync_status))
    _row(pdf, "Folio institucional", filing.institutional_folio or "se asignará al sincronizar")


def _sender(pdf: FPDF, sender: Sender) -> None:
    """The sender as it may be shown (masked for a sensitive filing: see mailroom.masking). The
    acuse never prints the e-mail or the phone: the citizen knows them, and a lost acuse should
    not hand them to whoever finds it."""
    _heading(pdf, "Remitente")
    _row(pdf, "Nombre", sender.name)
    optional = (
        ("Organización", sender.organization),
        ("Cargo", sender.position),
        ("RFC", sender.rfc),
        ("CURP", sender.curp),
    )
    for label, value in optional:
        if value:
            _row(pdf, label, value)


def _addressees(pdf: FPDF, filing: Filing) -> None:
    _heading(pdf, "Área(s) a la(s) que se turna")
    if not filing.addressees:
        _paragraph(pdf, "Sin área asignada.")
    for addressee in filing.addressees:
        _row(pdf, spanish.ROLES[addressee.role].capitalize(), addressee.area)


def _pages_and_annexes(pdf: FPDF, filing: Filing) -> None:
    _heading(pdf, "Fojas y anexos")
    declared = "no se declararon" if filing.fojas_declared is None else str(filing.fojas_declared)
    _row(pdf, "Fojas declaradas", declared)
    _row(pdf, "Páginas digitalizadas", str(filing.pages_scanned))
    if filing.fojas_match is False:
        _paragraph(
            pdf,
            f"Las fojas declaradas ({filing.fojas_declared}) no coinciden con las páginas "
            f"digitalizadas ({filing.pages_scanned}); ambas cifras constan en este acuse.",
            bold=True,
        )
    if not filing.annexes:
        _row(pdf, "Anexos", "sin anexos")
    for number, annex in enumerate(filing.annexes, start=1):
        _row(pdf, f"Anexo {number}", f"{annex.description} ({spanish.pages(annex.pages)})")


def _documents(pdf: FPDF, filing: Filing) -> None:
    _heading(pdf, "Documentos digitalizados")
    pdf.set_font("DejaVu", "", 8)
    mono = FontFace(family="DejaVuMono", size_pt=7)
    with pdf.table(
        col_widths=(150, 46, 308),
        text_align=("LEFT", "RIGHT", "LEFT"),
        headings_style=FontFace(family="DejaVu", emphasis="BOLD", size_pt=8),
        line_height=10,
        padding=3,
        wrapmode=WrapMode.CHAR,
    ) as table:
        table.row(("Archivo", "Páginas", "SHA-256"))
        for document in filing.documents:
            row = table.row()
            row.cell(printable(document.filename))
            row.cell(str(document.page_count))
            row.cell(document.sha256, style=mono)


def _cadena(pdf: FPDF, cadena: str, digest: str) -> None:
    _heading(pdf, "Cadena original")
    pdf.set_font("DejaVuMono", "", 6.5)
    pdf.multi_cell(
        0, 8, cadena, align="L", wrapmode=WrapMode.CHAR, new_x=XPos.LMARGIN, new_y=YPos.NEXT
    )
    pdf.ln(4)
    pdf.set_font("DejaVu", "B", 9)
    pdf.cell(0, LINE, "SHA-256 de la cadena original", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("DejaVuMono", "", 8)
    pdf.multi_cell(
        0, 10, digest, align="L", wrapmode=WrapMode.CHAR, new_x=XPos.LMARGIN, new_y=YPos.NEXT
    )
