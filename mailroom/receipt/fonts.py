"""The acuse's fonts, parsed once per process and handed to every acuse.

``FPDF.add_font`` builds an ``fpdf.fonts.TTFFont``: it opens the TTF with fontTools and walks the
whole cmap and hmtx (some 6,000 glyphs per DejaVu face) to learn each character's glyph and width.
For the three faces of an acuse that was a sixth of the time to generate one, and the same work
every time. Here each face is parsed once; each document gets a copy that shares the read-only
tables (cmap, glyph ids, descriptor) and owns what fpdf2 changes while it writes one document:
the widths dict (a ``defaultdict`` that grows on unknown characters), the font descriptor (which
becomes a PDF object numbered per document), the subset map, the missing-glyph list, and a fresh
fontTools ``TTFont`` opened from bytes held in memory — fpdf2
subsets that object *in place* when it writes the PDF (``output.py``, fpdf2 2.8), so it can never
be shared between documents.

Subsetting stays per document, and it re-reads the font it subsets: cmap, post (glyph names),
glyf, hmtx, and GSUB/GPOS, which fontTools 4.68 decompiles before fpdf2's ``drop_tables`` removes
them. Measured on DejaVuSans: 21 ms per face per document. So the per-document font is a
*reduced face* prepared once per process: the glyphs of the scripts and symbols an acuse can
plausibly carry (:data:`COMMON_RANGES`: Latin with every accent, Greek, Cyrillic, punctuation,
currency, arrows, maths, shapes; 1,639 glyphs) without the layout tables fpdf2 drops anyway:
6 ms per face. A document that uses a character outside that set (a name in Armenian, say) is
laid out again with the full faces (:func:`lacks_glyphs`), so nothing the full font could show
is lost; the PDF then costs what it used to.

Thread safety: the cache is filled under a lock; the shared parts are only read after that; every
mutable part is per document. (fpdf2's own ``SubsetMap.pick`` cache is a process-wide
``functools.cache`` keyed by the map; clearing it after each document, as fpdf2 does, only makes
other documents recompute their entries.)
"""

from __future__ import annotations

import copy
import threading
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

from fontTools import subset as font_subset
from fontTools import ttLib
from fpdf import FPDF
from fpdf.fonts import SubsetMap, TTFFont

from mailroom.errors import ToolMissing
from mailroom.resources import resource_dir

FONT_DIR = resource_dir("fonts")  # shipped with the app: see resources/fonts/SOURCES.md
FONTS = {
    ("DejaVu", ""): "DejaVuSans.ttf",
    ("DejaVu", "B"): "DejaVuSans-Bold.ttf",
    ("DejaVuMono", ""): "DejaVuSansMono.ttf",
}
# Unicode blocks of the reduced faces: Basic Latin to Latin Extended-B, IPA, spacing modifiers,
# combining marks, Greek, Cyrillic, Latin Extended Additional, general punctuation, super- and
# subscripts, currency, letterlike symbols, number forms, arrows, mathematical operators, boxes
# and geometric shapes.
COMMON_RANGES = (
    (0x0000, 0x036F),
    (0x0370, 0x03FF),
    (0x0400, 0x04FF),
    (0x1E00, 0x1EFF),
    (0x2000, 0x20CF),
    (0x2100, 0x21FF),
    (0x2200, 0x22FF),
    (0x2500, 0x25FF),
)
# The tables fpdf2 drops when it subsets (``output.py``): dropped here once instead.
_DROPPED_TABLES = ["FFTM", "GDEF", "GPOS", "GSUB", "MATH", "hdmx", "meta", "kern"]


@dataclass(frozen=True)
class _ParsedFace:
    template: TTFFont  # parsed once; never written to a document itself
    data: bytes  # the face's TTF bytes, for the fontTools object fpdf2 subsets in place


_lock = threading.Lock()
_parsed: dict[tuple[str, str, bool], _ParsedFace] = {}


def add_fonts(pdf: FPDF, *, full: bool = False) -> None:
    """Make the acuse's faces available to ``pdf`` (what ``add_font`` does, minus the parsing):
    the reduced faces, or with ``full=True`` the whole font files."""
    for (family, style), name in FONTS.items():
        face = _face(family, style, name, full=full)
        font = _copy_for_document(face, index=len(pdf.fonts) + 1)
        pdf.fonts[font.fontkey] = font


def lacks_glyphs(pdf: FPDF) -> bool:
    """Whether ``pdf`` used a character its reduced faces lack but the full font files have."""
    for (family, style), name in FONTS.items():
        font = pdf.fonts.get(f"{family.lower()}{style}")
        if isinstance(font, TTFFont) and font.missing_glyphs:
            full = _face(family, style, name, full=True).template
            if any(code in full.cmap for code in font.missing_glyphs):
                return True
    return False


def _face(family: str, style: str, name: str, *, full: bool) -> _ParsedFace:
    key = (family, style, full)
    with _lock:
        face = _parsed.get(key)
        if face is None:
            data = _read(FONT_DIR / name)
            face = _parse(family, style, data if full else _reduced(data))
            _parsed[key] = face
        return face


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise ToolMissing(
            f"Falta la fuente {path.name} en {path.parent}: la instalación está incompleta. "
            "Reinstale Oficialía para poder emitir acuses.",
            path=path,
        ) from error


def _reduced(data: bytes) -> bytes:
    font = ttLib.TTFont(BytesIO(data), recalcTimestamp=False)
    options = font_subset.Options(
        notdef_outline=True,
        recommended_glyphs=True,
        glyph_names=True,  # fpdf2 finds glyphs by name after it subsets
        name_IDs=["*"],
        name_languages=["*"],
        layout_features=[],
    )
    options.drop_tables += _DROPPED_TABLES
    subsetter = font_subset.Subsetter(options)
    subsetter.populate(
        unicodes=[code for low, high in COMMON_RANGES for code in range(low, high + 1)]
    )
    subsetter.subset(font)
    output = BytesIO()
    font.save(output)
    return output.getvalue()


def _parse(family: str, style: str, data: bytes) -> _ParsedFace:
    # A throwaway FPDF only supplies what TTFFont reads from it (the font count, whether to
    # render colour fonts); the template is never attached to a document.
    template = TTFFont(FPDF(), BytesIO(data), f"{family.lower()}{style}", style)  # type: ignore[arg-type]
    # A colour font's glyph objects point back at the FPDF that built them; DejaVu has none.
    assert template.color_font is None
    return _ParsedFace(template=template, data=data)


def _copy_for_document(face: _ParsedFace, *, index: int) -> TTFFont:
    # ``TTFFont.__deepcopy__`` (fpdf2) lists the attributes and which of them are immutable;
    # this follows it, except that the fontTools object is a fresh one, not shared.
    template = face.template
    font = TTFFont.__new__(TTFFont)
    for name in (
        "type",
        "ttffile",
        "fontkey",
        "scale",
        "name",
        "up",
        "ut",
        "sp",
        "ss",
        "emphasis",
        "is_compressed",
        "is_cff",
        "is_cid_keyed",
        "is_symbol",
        "cff_ros",
        "collection_font_number",
        "cmap",
        "glyph_ids",
        "palette_index",
    ):
        setattr(font, name, getattr(template, name))
    font.i = index
    font.color_font = None  # checked in _parse: these faces have no colour glyphs
    font.cw = copy.copy(template.cw)
    # fpdf2 writes the descriptor into the PDF as an object and stamps its object number on it.
    font.desc = copy.copy(template.desc)
    font.missing_glyphs = []
    font.biggest_size_pt = 0
    font._hbfont = None
    # recalcBBoxes=False: the subset's glyphs are copied as stored instead of being decoded and
    # re-encoded to recompute bounding boxes nobody reads (the PDF takes FontBBox from ``desc``).
    font.ttfont = ttLib.TTFont(
        BytesIO(face.data), recalcTimestamp=False, recalcBBoxes=False, lazy=True
    )
    font.subset = SubsetMap(font)
    return font
