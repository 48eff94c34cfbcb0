"""Is this page blank? Scanners feed the back of single-sided sheets; the clerk should know.

Three verdicts, because the costly mistake is throwing away a page that says something. A page
is ``en_blanco`` only when almost nothing on it is darker than the paper: scanner grain, dust,
the front's text showing through thin paper and the lid's shadow at the edges do not count. A
page with one word or only a signature is ``revisar``: kept, and a person looks at it. Anything
more is ``contenido``.

Ink is measured on a copy reduced to about 100 dpi (box-averaged, so a thin pen stroke turns
grey rather than vanishing), as the pixels well darker than the paper itself (so coloured or
dull paper and faint show-through are not ink), inside a margin where the lid's shadow and punch
holes live, and without lone pixels (dust). Measured on the generated scans of
``tests/scanned_pages.py`` at 200 and 300 dpi: a blank back with show-through, grain and dust
0.000–0.003%; one bold word 0.04–0.05%; a signature 0.2–0.3%; three lines of text 1.4%; a
full text page 6%. The field figures quoted with the issue agree: text 2–8%, a signature or one
word 0.05–0.25%, a noisy blank 0.002%.

:func:`looks_blank` (registration's flag for a stored page image) says ``en_blanco``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from PIL import Image, ImageChops, ImageFilter

from mailroom.ocr.engine import MAX_DPI, MIN_DPI

WORKING_DPI = 100
# Ink is what is this much darker than the paper: show-through on thin paper stays within about
# 30 levels of it, while toner and pen, even averaged into a grey at 100 dpi, fall 90+ below.
INK_CONTRAST = 60
# Below this the "paper" is not paper (a photo, a dark form): never call such a page blank.
MIN_PAPER_LEVEL = 150
MAX_BLANK_INK_SHARE = 0.0001  # 0.01%: four times under one word, thirty over a noisy blank
MAX_REVIEW_INK_SHARE = 0.005  # 0.5%: over the largest signature, under three lines of text
MARGIN_SHARE = 0.03  # scanner edges, the lid's shadow and punch holes
# A shadow wider than the margin: a run of edge rows (or columns) with ink, whose darkest line is
# at least this much ink; it fades out where the lines drop under _SHADOW_EDGE.
_SHADOW_SHARE = 0.25
_SHADOW_EDGE = 0.01
_SHADOW_REACH = 0.12
_FALLBACK_DPI = 300


class BlankVerdict(StrEnum):
    CONTENIDO = "contenido"
    REVISAR = "revisar"
    EN_BLANCO = "en_blanco"


@dataclass(frozen=True)
class InkMask:
    """The page reduced to about ``WORKING_DPI``: 255 where there is ink, 0 elsewhere."""

    mask: Image.Image
    dpi: float
    """The mask's own resolution."""
    paper: int
    """The paper's grey level on the scan (the median pixel of the page)."""


def ink_mask(image: Image.Image, dpi: int) -> InkMask:
    """Where the ink is, on a reduced copy of ``image`` (any mode) scanned at ``dpi``."""
    gray = image if image.mode == "L" else image.convert("L")
    factor = max(1, round(dpi / WORKING_DPI))
    if factor > 1:
        gray = gray.reduce(factor)
    paper = _median(gray.histogram())
    threshold = paper - INK_CONTRAST
    mask = gray.point(lambda value: 255 if value < threshold else 0)
    return InkMask(mask, dpi / factor, paper)


def ink_share(ink: InkMask) -> float:
    """The share of the page's inner area that is ink, lone specks left out."""
    if ink.paper < MIN_PAPER_LEVEL:
        return 1.0  # not a sheet of paper with marks on it: content by definition
    inner = ink.mask.crop(inner_box(ink.mask))
    if inner.width == 0 or inner.height == 0:
        return 0.0
    # A pixel counts when a neighbour is ink too: dust is single specks, strokes are not.
    neighbours = inner.filter(ImageFilter.Kernel((3, 3), (1, 1, 1, 1, 0, 1, 1, 1, 1), scale=1))
    counted = ImageChops.multiply(inner, neighbours).histogram()[255]
    return counted / (inner.width * inner.height)


def verdict_for(share: float) -> BlankVerdict:
    if share <= MAX_BLANK_INK_SHARE:
        return BlankVerdict.EN_BLANCO
    if share <= MAX_REVIEW_INK_SHARE:
        return BlankVerdict.REVISAR
    return BlankVerdict.CONTENIDO


def judge_page(image: Image.Image, dpi: int) -> tuple[BlankVerdict, float]:
    """The page's verdict and the ink share it rests on."""
    share = ink_share(ink_mask(image, dpi))
    return verdict_for(share), share


def looks_blank(image_path: Path) -> bool:
    """Whether a stored page image is blank (``en_blanco``); a near-blank page is not."""
    with Image.open(image_path) as image:
        dpi = _declared_dpi(image)
        full_width = image.width
        # A JPEG decodes at a reduced size for free; the resolution scales with it.
        image.draft("L", (image.width // 2, image.height // 2))
        gray = image.convert("L")
    return verdict_for(ink_share(ink_mask(gray, round(dpi * gray.width / full_width)))) == (
        BlankVerdict.EN_BLANCO
    )


def _declared_dpi(image: Image.Image) -> float:
    try:
        value = float(image.info["dpi"][0])
    except (KeyError, TypeError, IndexError, ValueError):
        return _FALLBACK_DPI
    return value if MIN_DPI <= value <= MAX_DPI else _FALLBACK_DPI


def _median(histogram: list[int]) -> int:
    half, seen = sum(histogram) / 2, 0
    for level, count in enumerate(histogram):
        seen += count
        if seen >= half:
            return level
    return 255


def inner_box(mask: Image.Image) -> tuple[int, int, int, int]:
    """The page inside its margin and inside any shadow band wider than the margin."""
    rows = mask.resize((1, mask.height), Image.Resampling.BOX).tobytes()
    columns = mask.resize((mask.width, 1), Image.Resampling.BOX).tobytes()
    top, bottom = _shadow_cut(rows), _shadow_cut(rows[::-1])
    left, right = _shadow_cut(columns), _shadow_cut(columns[::-1])
    return left, top, mask.width - right, mask.height - bottom


def _shadow_cut(profile: bytes) -> int:
    """How many lines to cut from the start of ``profile``: the margin, or more when the first
    run of inked lines near the edge holds a shadow's dark core (a text line never does)."""
    margin, reach = round(len(profile) * MARGIN_SHARE), round(len(profile) * _SHADOW_REACH)
    edge = _SHADOW_EDGE * 255
    start = 0
    while start < reach and profile[start] <= edge:  # the lid's grey, or the paper's own margin
        start += 1
    end = start
    while end < reach and profile[end] > edge:
        end += 1
    shadow = max(profile[start:end], default=0) > _SHADOW_SHARE * 255
    return max(margin, end) if shadow else margin
