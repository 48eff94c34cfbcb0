"""Pages as images: drawing, making them look scanned, and the JPEG-only PDF a scanner writes."""

from __future__ import annotations

import io
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageChops, ImageDraw, ImageFilter

from mailroom.samples.layout import PAGE_HEIGHT_PT, PAGE_WIDTH_PT, font, layout_page, make_page
from mailroom.samples.model import Line, Page, PageStyle

# Scan look: toner is never pure black, paper never pure white, and the scanner lid shows
# around a skewed sheet.
_INK, _PAPER, _SCANNER_LID = 28, 238, 196


def draw_page(page: Page, style: PageStyle, dpi: int) -> Image.Image:
    """A clean letter-size grayscale image of page at dpi: black ink on white paper."""
    scale = dpi / 72
    image = Image.new("L", (round(PAGE_WIDTH_PT * scale), round(PAGE_HEIGHT_PT * scale)), 255)
    draw = ImageDraw.Draw(image)
    texts, rules = layout_page(page, style)
    for text in texts:
        face = font(style.family, text.bold, round(text.size * scale))
        draw.text(
            (text.x * scale, text.baseline * scale), text.text, font=face, fill=0, anchor="ls"
        )
    for rule in rules:
        draw.line([coordinate * scale for coordinate in rule], fill=0, width=max(1, round(scale)))
    return image


def render_page_image(
    lines: Sequence[str | Line],
    *,
    dpi: int = 300,
    skew_degrees: float = 0.0,
    noise: float = 0.0,
    seed: int = 0,
    table: Sequence[Sequence[str]] | None = None,
    table_at: int | None = None,
    footer: str | None = None,
    style: PageStyle | None = None,
) -> Image.Image:
    """A letter-size grayscale page at dpi; scan-degraded when skew_degrees or noise is set."""
    image = draw_page(make_page(lines, table, table_at, footer), style or PageStyle(), dpi)
    if skew_degrees or noise:
        image = degrade(image, skew_degrees=skew_degrees, noise=noise, seed=seed)
    return image


def degrade(image: Image.Image, *, skew_degrees: float, noise: float, seed: int) -> Image.Image:
    """Make a clean page look scanned: dull contrast, skew, optics blur, dust and grain.

    noise is the grain's standard deviation as a fraction of full scale (0.04 is a tired office
    scanner); dust specks grow with it.
    """
    rng = random.Random(seed)
    scale = image.width / PAGE_WIDTH_PT * 72 / 300  # 1.0 at 300 dpi
    page = image.convert("L").point([_INK + v * (_PAPER - _INK) // 255 for v in range(256)])
    if skew_degrees:
        page = page.rotate(skew_degrees, resample=Image.Resampling.BILINEAR, fillcolor=_SCANNER_LID)
    page = page.filter(ImageFilter.GaussianBlur(0.6 * scale))
    if noise <= 0:
        return page
    draw = ImageDraw.Draw(page)
    for _ in range(int(400 * noise * page.width * page.height / 8.4e6)):
        x, y, r = rng.randrange(page.width), rng.randrange(page.height), rng.uniform(0.8, 2.5)
        draw.ellipse(
            (x - r * scale, y - r * scale, x + r * scale, y + r * scale),
            fill=rng.randrange(40, 150),
        )
    return ImageChops.add(page, _grain(page.size, noise, rng), offset=-128)


def _grain(size: tuple[int, int], noise: float, rng: random.Random) -> Image.Image:
    """Noise centred on 128 with standard deviation noise * 255.

    It is drawn at half resolution and enlarged, so it clumps like paper texture and toner
    instead of per-pixel static (which also keeps the JPEGs about a quarter smaller).
    """
    small = ((size[0] + 1) // 2, (size[1] + 1) // 2)
    pixels = small[0] * small[1]
    # The mean of two uniform byte planes is a triangular grain centred on 127.5 (sd ~52).
    first, second = (Image.frombytes("L", small, rng.randbytes(pixels)) for _ in range(2))
    gain = noise * 255 / 52
    lut = [max(0, min(255, round(128 + (v - 127.5) * gain))) for v in range(256)]
    grain = ImageChops.add(first, second, scale=2.0).point(lut)
    return grain.resize(size, Image.Resampling.BILINEAR)


@dataclass(frozen=True)
class Jpeg:
    data: bytes
    width: int
    height: int
    colors: str  # the PDF colour space


def encode_jpeg(image: Image.Image, *, dpi: int, quality: int) -> Jpeg:
    mode = image.mode if image.mode in ("L", "RGB") else "L"
    buffer = io.BytesIO()
    image.convert(mode).save(buffer, "JPEG", quality=quality, dpi=(dpi, dpi))
    colors = "DeviceRGB" if mode == "RGB" else "DeviceGray"
    return Jpeg(buffer.getvalue(), image.width, image.height, colors)


def write_scanned_pdf(
    images: Sequence[Image.Image], path: Path, *, dpi: int = 300, quality: int = 75
) -> None:
    """A PDF with one JPEG (DCTDecode) per page and no text, the way scanners write them."""
    pages = [encode_jpeg(image, dpi=dpi, quality=quality) for image in images]
    Path(path).write_bytes(scanned_pdf(pages, dpi=dpi))


def scanned_pdf(pages: Sequence[Jpeg], *, dpi: int) -> bytes:
    """The bytes of a PDF with one already-encoded JPEG per page."""
    kids = " ".join(f"{3 + 3 * i} 0 R" for i in range(len(pages)))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>".encode(),
    ]
    for i, jpeg in enumerate(pages):
        objects += _scanned_page_objects(jpeg, 3 + 3 * i, dpi=dpi)
    return _pdf_bytes(objects)


def _stream(entries: str, data: bytes) -> bytes:
    return f"<< {entries} /Length {len(data)} >>\nstream\n".encode() + data + b"\nendstream"


def _scanned_page_objects(jpeg: Jpeg, number: int, *, dpi: int) -> list[bytes]:
    """The page (object number), its content stream and its image, in that order."""
    width, height = jpeg.width * 72 / dpi, jpeg.height * 72 / dpi
    page = (
        f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {width:.2f} {height:.2f}] "
        f"/Resources << /XObject << /Im0 {number + 2} 0 R >> >> /Contents {number + 1} 0 R >>"
    )
    image = (
        f"/Type /XObject /Subtype /Image /Width {jpeg.width} /Height {jpeg.height} "
        f"/ColorSpace /{jpeg.colors} /BitsPerComponent 8 /Filter /DCTDecode"
    )
    return [
        page.encode(),
        _stream("", f"q {width:.2f} 0 0 {height:.2f} 0 0 cm /Im0 Do Q".encode()),
        _stream(image, jpeg.data),
    ]


def _pdf_bytes(objects: Sequence[bytes]) -> bytes:
    """A PDF file of objects numbered from 1, the first being the catalog."""
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\n".encode()
    out += f"startxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)
