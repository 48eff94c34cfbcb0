"""The kiosk's receipt ticket, drawn as one black-and-white image 576 dots wide (80 mm paper,
72 mm printable at 203 dpi), without Qt.

Drawn, not sent as text: the printer's built-in fonts and code pages cannot be trusted with «ñ»,
accents, «¿» or «¡» (which code page has them, under which number, changes from model to model),
and a citizen's ticket must read exactly what the office registered. The image is thresholded
here (no dithering) so that letters keep clean edges on thermal paper, and the QR code is drawn
with whole dots per module, at least 4, with its quiet zone, so a phone or a webcam reads it.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime

import segno
from PIL import Image, ImageDraw, ImageFont

from mailroom.errors import InvalidInput, ToolMissing
from mailroom.receipt.fonts import FONT_DIR

RECEIPT_WIDTH_PX = 576
MARGIN_PX = 16  # some printers lose a few dots at either edge
TEXT_WIDTH_PX = RECEIPT_WIDTH_PX - 2 * MARGIN_PX
QR_MIN_SCALE = 4  # dots per module: smaller and cheap webcams stop reading it
QR_MAX_SCALE = 8
QR_TARGET_PX = 330  # about 41 mm: comfortable for a phone held at arm's length
QR_QUIET_MODULES = 4
FOLIO_SIZES = (60, 56, 52, 48, 44, 40)  # the folio in the largest that fits one line
REGULAR, BOLD = "DejaVuSans.ttf", "DejaVuSans-Bold.ttf"
KEEP_IT = "Conserve este ticket: con el folio y el código puede consultar su trámite."
NOT_SEALED = "Acuse sin sello electrónico: se sellará más tarde; consulte con su folio."


@dataclass(frozen=True)
class TicketContent:
    office_name: str
    folio: str
    received_at: datetime
    """Aware; printed with its UTC offset."""
    pages: int
    document_sha256: str
    check_code: str
    status_url: str
    """What the QR code holds."""
    device: str
    sealed: bool
    subject: str = ""
    title: str = "Acuse de recibo"


def render_ticket(content: TicketContent) -> Image.Image:
    """The ticket for one registered escrito: mode "1", 576 px wide, as tall as it needs."""
    blocks = [
        _text(content.title, _font(BOLD, 36), center=True),
        _text(content.office_name, _font(REGULAR, 26), center=True),
        _rule(),
        _text("Folio", _font(REGULAR, 24)),
        _folio(content.folio),
        _text(f"Recibido: {format_moment(content.received_at)}", _font(REGULAR, 24)),
        _text(f"Fojas: {content.pages}", _font(REGULAR, 24)),
    ]
    if content.subject.strip():
        blocks.append(_text(f"Asunto: {content.subject}", _font(REGULAR, 24), max_lines=2))
    blocks += [
        _text("Huella del documento:", _font(REGULAR, 24)),
        _text(short_fingerprint(content.document_sha256), _font(REGULAR, 28)),
        _rule(),
        _text("Código de consulta", _font(REGULAR, 24), center=True),
        _text(content.check_code, _font(BOLD, 48), center=True),
        _qr(content.status_url),
        _text(content.status_url, _font(REGULAR, 18), center=True),
    ]
    if not content.sealed:
        blocks.append(_text(NOT_SEALED, _font(BOLD, 22)))
    blocks += [
        _rule(),
        _text(f"Quiosco {content.device}", _font(REGULAR, 22)),
        _text(KEEP_IT, _font(REGULAR, 22)),
    ]
    return _stack(blocks)


def render_test_ticket(office_name: str, printer_spec: str, now: datetime) -> Image.Image:
    """A test page for the admin screen: accents and ñ, a QR code, and a frame along the four
    edges, which shows whether the paper is loaded straight and nothing is lost at the sides."""
    blocks = [
        _text("Prueba de impresión", _font(BOLD, 36), center=True),
        _text(office_name, _font(REGULAR, 26), center=True),
        _rule(),
        _text(f"Impresora: {printer_spec}", _font(REGULAR, 24)),
        _text(f"Fecha: {format_moment(now)}", _font(REGULAR, 24)),
        _text("Acentos: á é í ó ú ü ñ Á É Í Ó Ú Ü Ñ ¿? ¡!", _font(REGULAR, 24)),
        _qr(f"Prueba de impresión - {office_name}"),
        _text(
            "Si ve completo el marco negro y lee bien los acentos, la impresora está lista.",
            _font(REGULAR, 22),
        ),
    ]
    image = _stack(blocks, bottom=32).convert("L")
    ImageDraw.Draw(image).rectangle((0, 0, image.width - 1, image.height - 1), outline=0, width=4)
    return image.convert("1", dither=Image.Dither.NONE)


def format_moment(moment: datetime) -> str:
    """``06/12/2026 14:05 (UTC-06:00)``: the local time the office keeps, with its offset."""
    offset = moment.utcoffset()
    if offset is None:
        raise ValueError("the ticket's time must carry its UTC offset (an aware datetime)")
    minutes = int(offset.total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    hours, minutes = divmod(abs(minutes), 60)
    return f"{moment:%d/%m/%Y %H:%M} (UTC{sign}{hours:02d}:{minutes:02d})"


def short_fingerprint(sha256: str) -> str:
    """The first 16 hex digits of the document's SHA-256, in groups of four."""
    digits = sha256.strip().lower()[:16]
    return " ".join(digits[i : i + 4] for i in range(0, len(digits), 4))


@functools.cache
def _font(name: str, size: int) -> ImageFont.FreeTypeFont:
    path = FONT_DIR / name
    try:
        return ImageFont.truetype(str(path), size)
    except OSError as error:
        raise ToolMissing(
            f"Falta la fuente {name} en {FONT_DIR}: la instalación está incompleta. Reinstale "
            "Oficialía para poder imprimir tickets.",
            path=path,
        ) from error


def _text(
    text: str, font: ImageFont.FreeTypeFont, *, center: bool = False, max_lines: int = 0
) -> Image.Image:
    """``text`` wrapped to the paper's width, one line under another."""
    lines = _wrap(text, font, TEXT_WIDTH_PX)
    if max_lines and len(lines) > max_lines:
        lines = [*lines[: max_lines - 1], _ellipsized(lines[max_lines - 1], font)]
    ascent, descent = font.getmetrics()
    line_height = ascent + descent + 2
    block = Image.new("L", (RECEIPT_WIDTH_PX, max(1, line_height * len(lines))), 255)
    draw = ImageDraw.Draw(block)
    for index, line in enumerate(lines):
        x = MARGIN_PX
        if center:
            x = MARGIN_PX + (TEXT_WIDTH_PX - round(font.getlength(line))) // 2
        draw.text((x, index * line_height), line, font=font, fill=0)
    return block


def _wrap(text: str, font: ImageFont.FreeTypeFont, width: int) -> list[str]:
    """Greedy word wrap; a word wider than the paper (a long URL) is cut where it must be."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}" if current else word
        if font.getlength(candidate) <= width:
            current = candidate
            continue
        if current:
            lines.append(current)
        current = word
        while font.getlength(current) > width:
            cut = _fitting_prefix(current, font, width)
            lines.append(current[:cut])
            current = current[cut:]
    if current:
        lines.append(current)
    return lines


def _fitting_prefix(word: str, font: ImageFont.FreeTypeFont, width: int) -> int:
    length = 1
    while length < len(word) and font.getlength(word[: length + 1]) <= width:
        length += 1
    return length


def _ellipsized(line: str, font: ImageFont.FreeTypeFont) -> str:
    while line and font.getlength(f"{line}…") > TEXT_WIDTH_PX:
        line = line[:-1]
    return f"{line.rstrip()}…"


def _folio(folio: str) -> Image.Image:
    for size in FOLIO_SIZES:
        font = _font(BOLD, size)
        if font.getlength(folio) <= TEXT_WIDTH_PX:
            return _text(folio, font, center=True)
    return _text(folio, _font(BOLD, FOLIO_SIZES[-1]), center=True)  # wrapped, never cut off


def _qr(data: str) -> Image.Image:
    code = segno.make(data, error="m", micro=False)
    modules = int(code.symbol_size(scale=1, border=QR_QUIET_MODULES)[0])
    scale = max(QR_MIN_SCALE, min(QR_MAX_SCALE, QR_TARGET_PX // modules))
    if modules * scale > RECEIPT_WIDTH_PX:
        raise InvalidInput(
            f"La dirección del código QR es demasiado larga para el ticket ({len(data)} "
            "caracteres): use una más corta.",
            length=len(data),
        )
    pixels = bytes(
        0 if dark else 255
        for row in code.matrix_iter(scale=1, border=QR_QUIET_MODULES)
        for dark in row
    )
    small = Image.frombytes("L", (modules, modules), pixels)
    symbol = small.resize((modules * scale, modules * scale), Image.Resampling.NEAREST)
    block = Image.new("L", (RECEIPT_WIDTH_PX, symbol.height), 255)
    block.paste(symbol, ((RECEIPT_WIDTH_PX - symbol.width) // 2, 0))
    return block


def _rule() -> Image.Image:
    block = Image.new("L", (RECEIPT_WIDTH_PX, 14), 255)
    ImageDraw.Draw(block).line((MARGIN_PX, 7, RECEIPT_WIDTH_PX - MARGIN_PX, 7), fill=0, width=2)
    return block


def _stack(
    blocks: list[Image.Image], *, gap: int = 8, top: int = 24, bottom: int = 24
) -> Image.Image:
    height = top + sum(block.height for block in blocks) + gap * (len(blocks) - 1) + bottom
    ticket = Image.new("L", (RECEIPT_WIDTH_PX, height), 255)
    y = top
    for block in blocks:
        ticket.paste(block, (0, y))
        y += block.height + gap
    # A plain threshold, not dithering: grey antialiasing turned into scattered dots makes
    # letters fuzzy on thermal paper.
    return ticket.convert("1", dither=Image.Dither.NONE)
