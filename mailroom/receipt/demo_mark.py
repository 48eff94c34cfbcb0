"""The demo profile's mark on every acuse page (``demo_mode``): a banner and a pale diagonal.

The banner is ordinary text at the top of the page, so text extraction, search and copy find
"DEMOSTRACIÓN — SIN VALIDEZ OFICIAL". The diagonal is drawn as the glyphs' outlines (vector
paths), not as text: rotated characters are read back by text extractors one letter per line,
spliced into the acuse's own lines ("Canal Ventanilla F", measured with pdfplumber), which would
garble the text a reader or an indexer takes from the acuse. It is painted before the page's
content, so every field stays legible on top of it, and it stays clear of the stamp box.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Sequence
from functools import lru_cache

from fontTools import ttLib
from fontTools.pens.basePen import BasePen
from fpdf import FPDF
from fpdf.drawing import DeviceRGB, GraphicsContext, PaintedPath, PathPaintRule

from mailroom.receipt import fonts

DEMO_MARK = "DEMOSTRACIÓN — SIN VALIDEZ OFICIAL"
DEMO_BANNER = f"{DEMO_MARK} · acuse de prueba: oficina, folio y e.firma son de demostración"
BANNER_COLOR = (190, 20, 20)
DIAGONAL_COLOR = DeviceRGB(0.93, 0.72, 0.72)
DIAGONAL_WIDTH = 540.0  # points along the text; its bounding box stays above the stamp box
DIAGONAL_ANGLE = 40.0  # degrees, counter-clockwise
_BOLD_FACE = "DejaVuSans-Bold.ttf"
_lock = threading.Lock()

Operation = tuple[str, tuple[float, ...]]


class _Outline(BasePen):  # type: ignore[misc] # fontTools is untyped
    """Records a run of glyphs as move/line/curve/close operations in font units."""

    def __init__(self, glyph_set: object) -> None:
        super().__init__(glyph_set)
        self.operations: list[Operation] = []
        self.advance = 0.0

    def _moveTo(self, point: tuple[float, float]) -> None:  # noqa: N802 - fontTools' names
        self.operations.append(("m", self._shifted(point)))

    def _lineTo(self, point: tuple[float, float]) -> None:  # noqa: N802
        self.operations.append(("l", self._shifted(point)))

    def _curveToOne(  # noqa: N802
        self, first: tuple[float, float], second: tuple[float, float], end: tuple[float, float]
    ) -> None:
        self.operations.append(("c", self._shifted(first, second, end)))

    def _closePath(self) -> None:  # noqa: N802
        self.operations.append(("h", ()))

    def _shifted(self, *points: tuple[float, float]) -> tuple[float, ...]:
        return tuple(v for x, y in points for v in (x + self.advance, y))


@lru_cache(maxsize=1)
def _mark_outline() -> tuple[tuple[Operation, ...], float, float]:
    """The mark's outline in font units, its advance width and its cap height (parsed once)."""
    with _lock:
        font = ttLib.TTFont(str(fonts.FONT_DIR / _BOLD_FACE), lazy=True)
        glyphs = font.getGlyphSet()
        characters = font.getBestCmap()
        pen = _Outline(glyphs)
        for character in DEMO_MARK:
            name = characters[ord(character)]
            glyphs[name].draw(pen)
            pen.advance += glyphs[name].width
        cap_height = float(getattr(font["OS/2"], "sCapHeight", 0) or font["head"].unitsPerEm * 0.7)
        return tuple(pen.operations), pen.advance, cap_height


def draw_demo_mark(pdf: FPDF, page_width: float, page_height: float, margin: float) -> None:
    """Paint the diagonal and the banner on the page just started; the cursor is left as it was."""
    x, y = pdf.get_x(), pdf.get_y()
    _diagonal(pdf, page_width / 2, page_height / 2)
    with pdf.local_context(text_color=BANNER_COLOR):
        pdf.set_font("DejaVu", "B", 8)
        pdf.set_xy(margin, margin / 2)
        pdf.cell(page_width - 2 * margin, 12, DEMO_BANNER, border="B", align="C")
    pdf.set_xy(x, y)


def _diagonal(pdf: FPDF, centre_x: float, centre_y: float) -> None:
    # The path is built once and drawn without fpdf2's defensive deep copy (23 ms a page, most
    # of the mark's cost): rendering only reads it, so documents and threads can share it.
    pdf.draw_path(_diagonal_path(centre_x, centre_y), copy=False)


@lru_cache(maxsize=4)
def _diagonal_path(centre_x: float, centre_y: float) -> GraphicsContext:
    operations, advance, cap_height = _mark_outline()
    scale = DIAGONAL_WIDTH / advance
    angle = math.radians(DIAGONAL_ANGLE)
    cos, sin = math.cos(angle), math.sin(angle)

    def placed(values: Sequence[float]) -> list[float]:
        out: list[float] = []
        for index in range(0, len(values), 2):
            u = values[index] * scale - DIAGONAL_WIDTH / 2
            v = values[index + 1] * scale - cap_height * scale / 2
            # Rotate in y-up space, then flip to the page's y-down coordinates.
            out += [centre_x + u * cos - v * sin, centre_y - (u * sin + v * cos)]
        return out

    path = PaintedPath()
    path.style.paint_rule = PathPaintRule.FILL_NONZERO
    path.style.fill_color = DIAGONAL_COLOR
    path.style.stroke_color = None
    for kind, values in operations:
        if kind == "m":
            path.move_to(*placed(values))
        elif kind == "l":
            path.line_to(*placed(values))
        elif kind == "c":
            path.curve_to(*placed(values))
        else:
            path.close()
    drawing = GraphicsContext()
    drawing.add_item(path, clone=False)
    return drawing
