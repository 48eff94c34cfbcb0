"""The access report as a PDF a person can read: the data the office holds about them, filing by
filing (their data as corrected, the documents with their hashes and sizes, the acuse, the
corrections, the restrictions and the history's dates), the ARCO requests about them, and who
produced the report and when. Portrait letter, the acuse's DejaVu faces (mailroom.receipt.fonts),
«Página X de Y» on every page.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from mailroom.arco import REQUEST_KINDS
from mailroom.receipt import fonts
from mailroom.receipt.layout import printable
from mailroom.receipt.spanish import CHANNELS, utc_offset
from mailroom.routing import status_label

if TYPE_CHECKING:
    from mailroom.arco import ArcoReport, ArcoRequest, HeldFiling, PersonData
    from mailroom.config import Settings

MARGIN = 48.0
FONT = "DejaVu"
MONO = "DejaVuMono"
TITLE = "Informe de datos personales (derecho de acceso)"


class _Report(FPDF):
    def __init__(self, office: str, stamp: str) -> None:
        super().__init__(orientation="P", unit="pt", format="letter")
        self.office = office
        self.stamp = stamp

    def header(self) -> None:
        self.set_font(FONT, "", 7.5)
        self.set_text_color(90, 90, 90)
        self.cell(0, 10, printable(f"{self.office} · {TITLE}"), new_x=XPos.LMARGIN)
        self.cell(0, 10, f"Página {self.page_no()} de {{nb}}", align="R")
        self.set_text_color(0, 0, 0)
        self.ln(18)

    def footer(self) -> None:
        self.set_y(-32)
        self.set_font(FONT, "", 7)
        self.cell(0, 10, self.stamp, align="C")


def render(data: PersonData, report: ArcoReport, settings: Settings) -> bytes:
    pdf = _laid_out(data, report, full=False)
    if fonts.lacks_glyphs(pdf):  # a name in a rare script: lay it out with the full faces
        pdf = _laid_out(data, report, full=True)
    return bytes(pdf.output())


def _laid_out(data: PersonData, report: ArcoReport, *, full: bool) -> _Report:
    produced = f"{report.produced_at:%d/%m/%Y %H:%M} ({utc_offset(report.produced_at)})"
    pdf = _Report(report.office_name, f"Generado el {produced} por {report.produced_by}")
    fonts.add_fonts(pdf, full=full)
    pdf.set_title(TITLE)
    pdf.set_author(report.office_name)
    pdf.set_creator("Oficialía")
    pdf.set_lang("es-MX")
    pdf.set_creation_date(report.produced_at)
    pdf.set_margins(MARGIN, 36, MARGIN)
    pdf.set_auto_page_break(True, 48)
    pdf.add_page()
    _opening(pdf, data, report, produced)
    for number, filing in enumerate(data.filings, start=1):
        _filing(pdf, number, filing)
    _requests(pdf, data.requests)
    return pdf


def _heading(pdf: FPDF, text: str, size: float = 11) -> None:
    pdf.set_font(FONT, "B", size)
    pdf.multi_cell(0, size + 3, printable(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, "", 9)


def _line(pdf: FPDF, label: str, value: object) -> None:
    if value in (None, ""):
        return
    pdf.set_font(FONT, "B", 9)
    pdf.write(12, f"{label}: ")
    pdf.set_font(FONT, "", 9)
    pdf.write(12, printable(str(value)))
    pdf.ln(12)


def _opening(pdf: FPDF, data: PersonData, report: ArcoReport, produced: str) -> None:
    _heading(pdf, report.office_name, 13)
    _heading(pdf, TITLE, 12)
    pdf.ln(4)
    _line(pdf, "Búsqueda", data.key.label)
    if report.request is not None:
        request = report.request
        _line(
            pdf,
            "Solicitud",
            f"núm. {request.id}, de {request.kind_label}, recibida el "
            f"{request.received_on:%d/%m/%Y}, de {request.requester}",
        )
    _line(pdf, "Generado el", produced)
    _line(pdf, "Generado por", report.produced_by)
    _line(
        pdf,
        "Resultado",
        f"{len(data.filings)} escrito(s), {data.documents} documento(s), "
        f"{len(data.requests)} solicitud(es) ARCO",
    )
    pdf.set_font(FONT, "", 8.5)
    for note in data.notes:
        pdf.multi_cell(0, 11, printable(note), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    if not data.filings:
        pdf.ln(6)
        _heading(pdf, "No se encontraron escritos con esos datos.", 10)


def _filing(pdf: FPDF, number: int, filing: HeldFiling) -> None:
    pdf.ln(8)
    _heading(pdf, f"{number}. Escrito {filing.folio}")
    current, sender = filing.current, filing.current.sender
    received = f"{filing.received_at:%d/%m/%Y %H:%M} ({utc_offset(filing.received_at)})"
    _line(pdf, "Recibido", f"{received}, {CHANNELS.get(filing.channel, filing.channel)}")
    _line(pdf, "Estado", status_label(filing.status))
    _line(pdf, "Folio institucional", filing.institutional_folio)
    _line(pdf, "Recibió", filing.clerk)
    for label, value in (
        ("Remitente", sender.name),
        ("CURP", sender.curp),
        ("RFC", sender.rfc),
        ("Correo electrónico", sender.email),
        ("Teléfono", sender.phone),
        ("Organización", sender.organization),
        ("Cargo", sender.position),
        ("Asunto", current.subject),
        ("Trámite", filing.procedure_type),
        ("Número de oficio", current.document_number),
        (
            "Fecha del oficio",
            f"{current.document_date:%d/%m/%Y}" if current.document_date else None,
        ),
    ):
        _line(pdf, label, value)
    _documents(pdf, filing)
    if filing.acuse is not None:
        sealed = "sellado con la e.firma" if filing.acuse.seal_state == "sellado" else "sin sello"
        _line(pdf, "Acuse", f"{sealed}; SHA-256 {filing.acuse.sha256}")
    if filing.corrections:
        _heading(pdf, "Correcciones", 9.5)
        for c in filing.corrections:
            text = (
                f"{c.at:%d/%m/%Y}: {c.label}: «{c.before or '(vacío)'}» → "
                f"«{c.after or '(vacío)'}». Motivo: {c.reason}"
            )
            pdf.multi_cell(0, 11, printable(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    for r in filing.restrictions:
        _line(
            pdf,
            "Uso restringido",
            f"desde el {r.at:%d/%m/%Y} por la solicitud {r.request_id} "
            f"({REQUEST_KINDS.get(r.kind, r.kind)}); se conserva "
            f"hasta el {r.keep_until:%d/%m/%Y}",
        )
    if filing.events:
        _heading(pdf, "Historial (fechas y actos)", 9.5)
        pdf.set_font(FONT, "", 8.5)
        for event in filing.events:
            pdf.multi_cell(
                0, 10.5, f"{event.at:%d/%m/%Y %H:%M} — {event.label}",
                new_x=XPos.LMARGIN, new_y=YPos.NEXT,
            )  # fmt: skip


def _documents(pdf: FPDF, filing: HeldFiling) -> None:
    if not filing.documents:
        return
    _heading(pdf, "Documentos", 9.5)
    for d in filing.documents:
        kept = "" if d.held_locally else " — copia local ya retirada (se conserva su huella)"
        pdf.set_font(FONT, "", 8.5)
        pdf.multi_cell(
            0,
            10.5,
            printable(
                f"{d.ordinal}. {d.filename} ({d.mime}), {d.pages} página(s), {d.size} bytes{kept}"
            ),
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
        pdf.set_font(MONO, "", 7.5)
        pdf.cell(0, 10, f"    SHA-256 {d.sha256}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, "", 9)


def _requests(pdf: FPDF, requests: tuple[ArcoRequest, ...]) -> None:
    pdf.ln(8)
    _heading(pdf, "Solicitudes de derechos ARCO")
    if not requests:
        pdf.multi_cell(0, 12, "Ninguna.", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        return
    for request in requests:
        state = "pendiente" if request.status == "pendiente" else "resuelta"
        text = (
            f"Núm. {request.id}, de {request.kind_label}, recibida el "
            f"{request.received_on:%d/%m/%Y}, de {request.requester}: {state}."
        )
        if request.resolution:
            text += f" Resolución: {request.resolution}"
        pdf.multi_cell(0, 11, printable(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
