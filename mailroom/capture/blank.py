"""Is this page blank? Scanners feed the back of single-sided sheets; the clerk should know.

A blank page is only flagged (and said on registration), never dropped: the register keeps every
sheet the citizen handed in. The check works on a reduced copy with specks filtered out, so
scanner noise and dust do not count as ink, while a single line of text does.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageFilter

WORKING_WIDTH = 600
# Reduced to this width, thin strokes turn grey rather than black: count grey as ink too.
INK_LEVEL = 160
# Measured on 300-dpi pages: one signature-sized word is about 0.018% ink at this scale, one line
# of text 0.04%, and a blank page with heavy scanner noise 0.0000% after the median filter.
MAX_BLANK_INK_SHARE = 0.00005
MARGIN_SHARE = 0.03  # scanner edges and punch holes


def looks_blank(image_path: Path) -> bool:
    with Image.open(image_path) as image:
        image.draft("L", (WORKING_WIDTH, WORKING_WIDTH * 2))  # JPEG: decode at reduced size
        gray = image.convert("L")
    if gray.width > WORKING_WIDTH:
        gray = gray.reduce(gray.width // WORKING_WIDTH)
    margin_x, margin_y = int(gray.width * MARGIN_SHARE), int(gray.height * MARGIN_SHARE)
    inner = gray.crop((margin_x, margin_y, gray.width - margin_x, gray.height - margin_y))
    cleaned = inner.filter(ImageFilter.MedianFilter(3))
    histogram = cleaned.histogram()
    ink = sum(histogram[:INK_LEVEL])
    return ink <= MAX_BLANK_INK_SHARE * cleaned.width * cleaned.height
