"""Turning a sideways or upside-down scan upright.

Orientation detection costs about as much as OCR itself, so it runs only for pages whose OCR came
back doubtful: an upright page (the usual case) pays nothing. The document's original file is
never changed — it is the evidence; the upright copy becomes the page image the searchable PDF
and the clerk see.
"""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image

# Upright pages of the samples score 90+; the same pages turned 90° or 180° score under 45.
DOUBTFUL_CONFIDENCE = 60.0

_TRANSPOSE = {  # tesseract says how far to turn clockwise; PIL's rotations are anticlockwise
    90: Image.Transpose.ROTATE_270,
    180: Image.Transpose.ROTATE_180,
    270: Image.Transpose.ROTATE_90,
}


def upright_copy(image_path: Path, clockwise_degrees: int, dpi: int) -> bytes:
    """The image turned clockwise, in its own format family (JPEG stays JPEG), keeping its dpi."""
    with Image.open(image_path) as image:
        turned = image.transpose(_TRANSPOSE[clockwise_degrees])
        out = io.BytesIO()
        if image.format == "JPEG":
            turned.save(out, "JPEG", quality=92, dpi=(dpi, dpi))
        else:
            turned.save(out, "PNG", dpi=(dpi, dpi))
    return out.getvalue()
