"""The visible stamp of a signature: who signed, their RFC, when (with UTC offset) and with which
certificate, as a clerk or a judge reads it on the printed page.

The text is rendered with an embedded DejaVu Sans through pyHanko's OpenType support
(``GlyphAccumulator``, which needs ``uharfbuzz``): pyHanko's default font is the standard Type1
Courier with no embedded glyphs, and "electrónicamente" or a name with Ñ must print right.

pyHanko subsets the font on every signature, and subsetting all of DejaVu Sans (its large GSUB/GPOS
tables) cost ~100 ms of a ~150 ms signature. So the font is cut down once per process to the
Latin characters a Mexican name, RFC or date can contain, and pyHanko subsets that small font.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from functools import cache
from io import BytesIO
from pathlib import Path
from zoneinfo import ZoneInfo

from fontTools import subset
from fontTools.ttLib import TTFont
from fontTools.ttLib.scaleUpem import scale_upem
from pyhanko.pdf_utils.font.api import FontEngineFactory
from pyhanko.pdf_utils.font.opentype import GlyphAccumulator
from pyhanko.pdf_utils.text import TextBoxStyle
from pyhanko.pdf_utils.writer import BasePdfFileWriter
from pyhanko.stamp import TextStampStyle

from signing.errors import StampFontMissing
from signing.identity import CertificateIdentity

OFFICE_ZONE = ZoneInfo("America/Mexico_City")
# (x1, y1, x2, y2) in points from the bottom left: bottom right corner of a letter-size page,
# inside the usual 0.5 in margin, clear of most letterheads' footers.
DEFAULT_STAMP_BOX: tuple[float, float, float, float] = (360.0, 36.0, 576.0, 126.0)

_FONT_FILE = "DejaVuSans.ttf"
_FONT_DIRS = (
    "/usr/share/fonts/truetype/dejavu",  # Debian, Ubuntu (fonts-dejavu-core)
    "/usr/share/fonts/dejavu",  # Fedora
    "/usr/share/fonts/TTF",  # Arch
    "/usr/local/share/fonts",
)
_FONT_SIZE = 8
# Basic Latin, Latin-1 and Latin Extended-A, plus the typographic punctuation of pasted names.
_STAMP_CHARACTERS = [*range(0x20, 0x7F), *range(0xA0, 0x180), *range(0x2010, 0x2027)]
# Every value comes in through text parameters, never through the template itself, so that a
# "%" in a holder's name cannot break pyHanko's %-interpolation.
_STAMP_TEXT = (
    "Firmado electrónicamente por\n"
    "%(signer)s\n"
    "%(rfc)s\n"
    "Fecha: %(fecha)s\n"
    "No. de certificado: %(certificado)s"
)


@dataclass(frozen=True)
class StampContent:
    """The values the stamp shows, already formatted for print."""

    signer: str
    rfc: str
    signed_at: str
    certificate_number: str

    def as_text_params(self) -> dict[str, str]:
        return {
            "signer": self.signer,
            "rfc": self.rfc,
            "fecha": self.signed_at,
            "certificado": self.certificate_number,
        }

    def as_text(self) -> str:
        return _STAMP_TEXT % self.as_text_params()


def stamp_content(
    identity: CertificateIdentity, signed_at: datetime, zone: tzinfo = OFFICE_ZONE
) -> StampContent:
    return StampContent(
        signer=identity.name,
        rfc=_rfc_lines(identity),
        signed_at=format_signing_time(signed_at, zone),
        certificate_number=identity.certificate_number,
    )


def format_signing_time(instant: datetime, zone: tzinfo = OFFICE_ZONE) -> str:
    """``2020-06-01 10:30:00 -05:00``: local time of the office with its offset, so the printed
    time is unambiguous across DST changes and readable without converting from UTC."""
    if instant.tzinfo is None:
        raise ValueError("format_signing_time needs an aware datetime")
    local = instant.astimezone(zone)
    offset = local.strftime("%z")  # "-0600"; Python 3.11 has no "%:z"
    return f"{local:%Y-%m-%d %H:%M:%S} {offset[:3]}:{offset[3:]}"


def _rfc_lines(identity: CertificateIdentity) -> str:
    if identity.representative_rfc is None:
        return f"RFC: {identity.rfc}"
    return f"RFC: {identity.rfc}\nRFC del representante: {identity.representative_rfc}"


@cache
def stamp_style(font_file: Path | None = None) -> TextStampStyle:
    """The stamp's look; built once per font, since the style is immutable."""
    font = _PreparedFontFactory(_latin_subset(font_file or find_stamp_font()), _FONT_SIZE)
    return TextStampStyle(
        stamp_text=_STAMP_TEXT,
        text_box_style=TextBoxStyle(font=font, font_size=_FONT_SIZE),
        border_width=1,
    )


@cache
def find_stamp_font() -> Path:
    """The shipped DejaVu Sans (the same seal on every system), else the system's."""
    from mailroom.resources import font_file

    for candidate in (font_file(_FONT_FILE), *(Path(f) / _FONT_FILE for f in _FONT_DIRS)):
        if candidate.is_file():
            return candidate
    raise StampFontMissing(
        f"No se encontró la fuente {_FONT_FILE} para el sello de la firma. Instale las fuentes "
        "DejaVu (paquete fonts-dejavu-core) o avise al administrador.",
        font=_FONT_FILE,
    )


@dataclass(frozen=True)
class _PreparedFontFactory(FontEngineFactory):
    """Like pyHanko's ``GlyphAccumulatorFactory``, but from font bytes held in memory (which
    also avoids the file handle that factory opens on each signature and never closes)."""

    font_bytes: bytes = field(repr=False)
    font_size: int

    def create_font_engine(
        self, writer: BasePdfFileWriter, obj_stream: object = None
    ) -> GlyphAccumulator:
        if obj_stream is None and writer.stream_xrefs:
            obj_stream = writer.prepare_object_stream()
        return GlyphAccumulator(
            writer=writer,
            font_handle=BytesIO(self.font_bytes),
            font_size=self.font_size,
            obj_stream=obj_stream,
        )


def _latin_subset(font_file: Path) -> bytes:
    options = subset.Options()
    # FFTM is FontForge's timestamp table; fontTools cannot subset it and warns on each signature.
    options.drop_tables = [*options.drop_tables, "FFTM"]
    # Kerning and ligatures are not worth their cost in a stamp: with them, pyHanko still spent
    # ~25 ms per signature decoding the kept GPOS table.
    options.layout_features = []
    subsetter = subset.Subsetter(options)
    font = TTFont(str(font_file))
    subsetter.populate(unicodes=_STAMP_CHARACTERS)
    subsetter.subset(font)
    # pyHanko 0.38 writes the CID font's /W widths in the font's own units, where PDF wants
    # thousandths of an em: with DejaVu's 2048 units per em every glyph advanced about twice its
    # width, so the stamp came out letter-spaced and ran past its box. A font scaled to 1000
    # units per em makes the two the same.
    scale_upem(font, 1000)
    buffer = BytesIO()
    font.save(buffer)
    return buffer.getvalue()
