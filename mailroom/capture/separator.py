"""Separator sheets and carátulas: printed sheets that tell a scanned batch where filings begin.

A clerk scans a stack of several filings at once, putting our *hoja separadora* on top of each
one, or a *carátula* (cover sheet) on top of pages that belong to a filing already registered.
Each sheet carries a big QR code with a versioned payload of ours; only those payloads count, so
a QR printed on a citizen's document (a CFDI, another office's acuse, a URL) never splits a batch.

The QR is big (a few modules per millimetre of paper, not per dot): it survives skew, noise, blur,
low contrast and JPEG artifacts, reads at any rotation, and reads on a copy reduced to about
100 dpi — which makes the check cheap on the ordinary pages that make up almost all of a batch.
The full-size image is decoded only when the reduced copy showed a QR code that was not ours
(maybe a small foreign QR hiding a damaged one of ours); see :func:`read_mark`.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import segno
import zxingcpp
from fpdf import FPDF
from fpdf.enums import Align, XPos, YPos
from PIL import Image

from mailroom.capture.images import upright_and_plain
from mailroom.errors import InvalidInput, StorageError
from mailroom.fsutil import write_bytes_atomically
from mailroom.receipt import fonts

MarkKind = Literal["separador", "caratula"]

SEPARATOR_PAYLOAD = "OFICIALIA/SEPARADOR/1"
COVER_PREFIX = "OFICIALIA/CARATULA/1/"
# Any payload under these is one of our sheets; a version we do not know is refused rather than
# registered as a page (an older installation reading a newer office's sheets).
_OUR_PREFIXES = ("OFICIALIA/SEPARADOR/", "OFICIALIA/CARATULA/")

MAX_COPIES = 500
MAX_FOLIO_LENGTH = 64
# The reduced copies: about 100 and 50 dpi for a letter page (its long side is 11 inches). Our QR's
# modules are over 2 mm wide: 9 and 4 pixels at those sizes. Averaging pixels also smooths
# scanner grain. Measured on 300-dpi pages: decoding the 100-dpi copy takes 2-3 ms where the full
# page takes 20-35 ms, and reads as many degraded sheets.
_REDUCED_LONG_SIDE = 1100

_QR_ONLY = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)

_PAGE_WIDTH, _PAGE_HEIGHT = 215.9, 279.4  # US letter, in millimetres
_MARGIN = 18.0
_QR_SIDE = 85.0  # quiet zone included
_QR_BORDER = 4  # modules of quiet zone, as the QR standard asks


@dataclass(frozen=True)
class SheetMark:
    kind: MarkKind
    folio: str | None
    """For a carátula: the already-assigned local folio it carries. ``None`` for a separator."""


class UnknownSheet(InvalidInput):
    """A sheet carries an Oficialía QR this version does not understand."""

    code = "hoja_desconocida"


def read_mark(image: Image.Image) -> SheetMark | None:
    """Our separator or carátula mark on a scanned page, or ``None`` for any other page.

    Tries reduced copies first: about 100 dpi, then (when that showed no QR code at all) about
    50 dpi, where heavy grain averages out. The full-size image is decoded only when a reduced copy
    showed some QR code that was not ours or could not be read: ordinary pages, which carry no
    QR, never pay for it. Raises :class:`UnknownSheet` for an Oficialía payload of a version this
    code does not know.
    """
    plain = upright_and_plain(image, 1)  # 16-bit, CMYK or transparent scans: 8-bit, opaque
    if plain.mode not in ("L", "RGB"):
        plain = plain.convert("L")
    full_factor = max(plain.size) // _REDUCED_LONG_SIDE
    reduced = plain.reduce(full_factor) if full_factor >= 2 else plain
    mark, seen_a_code = _read(reduced)
    if mark is None and not seen_a_code:
        # Half again, from the reduced copy (a fraction of a millisecond).
        mark, seen_a_code = _read(reduced.reduce(2))
    if mark is None and seen_a_code and full_factor >= 2:
        mark, _ = _read(plain)
    return mark


def parse_payload(text: str) -> SheetMark | None:
    """The mark a QR payload stands for, ``None`` when it is not ours."""
    if text == SEPARATOR_PAYLOAD:
        return SheetMark("separador", None)
    if text.startswith(COVER_PREFIX):
        folio = text.removeprefix(COVER_PREFIX)
        if _valid_folio(folio):
            return SheetMark("caratula", folio)
    if text.startswith(_OUR_PREFIXES):
        raise UnknownSheet(
            "Una hoja del lote lleva un código de Oficialía que esta versión no reconoce "
            f"({text[:60]!r}). Imprima las hojas separadoras y carátulas con esta instalación "
            "(oficialia separador) o actualice el programa, y vuelva a digitalizar el lote.",
            payload=text[:200],
        )
    return None


def cover_payload(folio: str) -> str:
    return COVER_PREFIX + _checked_folio(folio)


def write_separator_pdf(path: Path, *, copies: int = 1) -> Path:
    """A letter-size PDF of ``copies`` identical separator sheets, written whole or not at all."""
    _check_copies(copies)
    pdf = _new_pdf("Hoja separadora")
    for _ in range(copies):
        _separator_page(pdf)
    return write_bytes_atomically(Path(path), bytes(pdf.output()), failed=_write_error)


def write_cover_sheet_pdf(
    path: Path, folio: str, *, subject: str = "", sender: str = "", copies: int = 1
) -> Path:
    """A carátula for pages to attach to ``folio``, written whole or not at all."""
    payload = cover_payload(folio)
    _check_copies(copies)
    pdf = _new_pdf(f"Carátula del folio {folio}")
    for _ in range(copies):
        _cover_page(pdf, folio, payload, subject=subject, sender=sender)
    if fonts.lacks_glyphs(pdf):  # a name in a rare script: lay it out with the full faces
        pdf = _new_pdf(f"Carátula del folio {folio}", full=True)
        for _ in range(copies):
            _cover_page(pdf, folio, payload, subject=subject, sender=sender)
    return write_bytes_atomically(Path(path), bytes(pdf.output()), failed=_write_error)


def _read(image: Image.Image) -> tuple[SheetMark | None, bool]:
    """Our mark among the QR codes zxing finds, and whether it found any code at all (one it
    could not decode included)."""
    gray = image if image.mode == "L" else image.convert("L")
    # No rotation or inversion passes: a QR code is found at any angle by its finder patterns
    # (try_rotate is for linear codes), and our sheets are never printed light on dark.
    found = zxingcpp.read_barcodes(
        gray,
        formats=_QR_ONLY,
        try_rotate=False,
        try_invert=False,
        return_errors=True,
    )
    return _our_mark([code.text for code in found if code.valid]), bool(found)


def _our_mark(texts: Sequence[str]) -> SheetMark | None:
    marks = [mark for mark in map(parse_payload, texts) if mark is not None]
    if not marks:
        return None
    # One sheet carries one code; should a page somehow show two, a carátula (it names where
    # the pages go) outranks a separator, and the order is fixed so a rescan reads the same.
    return min(marks, key=lambda mark: (mark.kind != "caratula", mark.folio or ""))


def _valid_folio(folio: str) -> bool:
    return (
        0 < len(folio) <= MAX_FOLIO_LENGTH
        and folio == folio.strip()
        and all(unicodedata.category(c)[0] not in "CZ" or c == " " for c in folio)
    )


def _checked_folio(folio: str) -> str:
    if not _valid_folio(folio):
        raise InvalidInput(
            f"El folio {folio!r} no sirve para una carátula: debe tener entre 1 y "
            f"{MAX_FOLIO_LENGTH} caracteres, sin espacios al principio o al final ni "
            "caracteres de control.",
            folio=folio,
        )
    return folio


def _check_copies(copies: int) -> None:
    if not 1 <= copies <= MAX_COPIES:
        raise InvalidInput(
            f"El número de copias debe estar entre 1 y {MAX_COPIES} (se pidió {copies}).",
            copies=copies,
        )


def _new_pdf(title: str, *, full: bool = False) -> FPDF:
    pdf = FPDF(orientation="P", unit="mm", format="letter")
    pdf.set_auto_page_break(False)
    pdf.set_margins(_MARGIN, _MARGIN, _MARGIN)
    fonts.add_fonts(pdf, full=full)
    pdf.set_title(title)
    pdf.set_creator("Oficialía")
    return pdf


def _separator_page(pdf: FPDF) -> None:
    pdf.add_page()
    _title(pdf, "HOJA SEPARADORA — no se registra", "")
    qr_bottom = _qr(pdf, SEPARATOR_PAYLOAD)
    _instructions(
        pdf,
        qr_bottom,
        [
            "Ponga esta hoja ENCIMA de cada escrito al digitalizar varios escritos en un solo "
            "lote. La hoja que la sigue empieza un escrito nuevo.",
            "Esta hoja no se guarda ni cuenta en las fojas. Se puede usar muchas veces: no la "
            "doble, no la raye ni la engrape sobre el código.",
            "Si el escáner digitaliza por ambos lados, el reverso en blanco se retira solo.",
        ],
    )
    _payload_line(pdf, SEPARATOR_PAYLOAD)


def _cover_page(pdf: FPDF, folio: str, payload: str, *, subject: str, sender: str) -> None:
    pdf.add_page()
    _title(pdf, "CARÁTULA — no se registra", f"Anexo al folio {folio}")
    details = [(label, _one_line(value)) for label, value in (("Remitente", sender),) if value]
    details += [("Asunto", _one_line(subject))] if subject else []
    pdf.set_font("DejaVu", "", 11)
    for label, value in details:
        pdf.set_x(_MARGIN)
        pdf.multi_cell(
            _PAGE_WIDTH - 2 * _MARGIN,
            5.5,
            f"{label}: {value}",
            max_line_height=5.5,
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
    qr_bottom = _qr(pdf, payload)
    _instructions(
        pdf,
        qr_bottom,
        [
            f"Ponga esta hoja ENCIMA de los documentos que se agregan al folio {folio} y "
            "digitalícelos juntos: las hojas que la siguen, hasta la siguiente hoja separadora "
            "o carátula, se agregan a ese escrito.",
            "Esta carátula no se guarda ni cuenta en las fojas.",
        ],
    )
    _payload_line(pdf, payload)


def _title(pdf: FPDF, title: str, subtitle: str) -> None:
    width = _PAGE_WIDTH - 2 * _MARGIN
    size = 30.0
    pdf.set_font("DejaVu", "B", size)
    while pdf.get_string_width(title) > width and size > 12:
        size -= 1
        pdf.set_font("DejaVu", "B", size)
    pdf.set_xy(_MARGIN, _MARGIN)
    pdf.cell(width, size * 0.5, title, align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    if subtitle:
        pdf.ln(4)
        pdf.set_font("DejaVu", "B", 20)
        pdf.cell(width, 10, subtitle, align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(6)


def _qr(pdf: FPDF, payload: str) -> float:
    """Draw the QR centred on the page, as vector squares (sharp on any printer); returns its
    bottom edge. Centred so that it sits in the same place whichever way up the sheet is fed."""
    code = segno.make(payload, error="q", micro=False)
    matrix = code.matrix
    modules = len(matrix) + 2 * _QR_BORDER
    module = _QR_SIDE / modules
    left = (_PAGE_WIDTH - _QR_SIDE) / 2 + _QR_BORDER * module
    top = (_PAGE_HEIGHT - _QR_SIDE) / 2 + _QR_BORDER * module
    pdf.set_fill_color(0, 0, 0)
    for row_index, row in enumerate(matrix):
        column = 0
        while column < len(row):
            if not row[column]:
                column += 1
                continue
            start = column
            while column < len(row) and row[column]:
                column += 1
            # Runs of dark modules as one rectangle: fewer PDF operators and no hairline seams.
            pdf.rect(
                left + start * module,
                top + row_index * module,
                (column - start) * module,
                module,
                style="F",
            )
    return (_PAGE_HEIGHT + _QR_SIDE) / 2


def _instructions(pdf: FPDF, top: float, paragraphs: Sequence[str]) -> None:
    pdf.set_font("DejaVu", "", 12)
    pdf.set_xy(_MARGIN, top + 6)
    for paragraph in paragraphs:
        pdf.multi_cell(_PAGE_WIDTH - 2 * _MARGIN, 6, paragraph, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(2)


def _payload_line(pdf: FPDF, payload: str) -> None:
    pdf.set_font("DejaVuMono", "", 8)
    pdf.set_xy(_MARGIN, _PAGE_HEIGHT - _MARGIN)
    pdf.cell(_PAGE_WIDTH - 2 * _MARGIN, 4, payload, align=Align.C)


def _one_line(text: str, limit: int = 160) -> str:
    """A sender or subject as one short line: the sheet is a pointer, not the record."""
    flat = " ".join("".join(c if unicodedata.category(c)[0] != "C" else " " for c in text).split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def _write_error(path: Path, error: OSError) -> StorageError:
    if isinstance(error, FileNotFoundError):
        reason = f"la carpeta {path.parent} no existe"
    elif isinstance(error, PermissionError):
        reason = f"no hay permiso para escribir en {path.parent}"
    elif isinstance(error, IsADirectoryError):
        reason = "esa ruta es una carpeta"
    else:
        reason = error.strerror or str(error)
    return StorageError(
        f"No se pudo escribir el PDF {path}: {reason}. Elija otra ruta o revise el espacio "
        "libre en disco.",
        path=path,
    )
