"""Photos of a sheet of paper as the kiosk's document camera takes them, for the crop and camera
tests: a dark wooden desk with grain and noise, a white sheet with lines of text lying on it
(turned a little, off-centre), a pen beside it, light that falls off towards one side, and a
touch of blur. Drawn from a seed, so the same arguments give the same photo; each photo comes
with where its sheet truly is.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
BOLD_FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
DESK = (74, 56, 44)
PAPER = (244, 243, 238)
INK = (30, 30, 34)
_TEXT = (
    "Por medio del presente escrito solicito a usted de la manera más atenta se sirva "
    "expedir copia certificada del acta de cabildo de la sesión ordinaria celebrada en el mes "
    "de marzo así como informar el estado que guarda mi trámite de licencia de funcionamiento"
)
WORDS = _TEXT.split()


@dataclass(frozen=True)
class DeskPhoto:
    image: Image.Image
    page_box: tuple[int, int, int, int]
    """The sheet's bounding box in the photo (left, top, right, bottom)."""
    page_size: tuple[int, int]
    """The sheet's own width and height before it was turned."""
    tilt: float
    """How far the sheet is turned on the desk, anticlockwise, in degrees."""


def text_sheet(size: tuple[int, int], seed: int = 1, word: str = "") -> Image.Image:
    """A white sheet with a heading (``word`` in big bold letters, when given) and lines of
    text in DejaVu Sans."""
    rng = random.Random(seed)
    sheet = Image.new("RGB", size, PAPER)
    draw = ImageDraw.Draw(sheet)
    margin = size[0] // 10
    top = size[1] // 12
    if word:
        big = ImageFont.truetype(BOLD_FONT, size[0] // 8)
        draw.text((margin, top), word, font=big, fill=INK)
        top += size[0] // 5
    small = ImageFont.truetype(FONT, max(10, size[0] // 36))
    line_height = small.size * 2
    while top < size[1] - size[1] // 10:
        line = ""
        while small.getlength(f"{line} x") < size[0] - 2 * margin - small.size * 8:
            line = f"{line} {rng.choice(WORDS)}".strip()
        draw.text((margin, top), line, font=small, fill=INK)
        top += line_height
    return sheet


def desk_photo(
    *,
    size: tuple[int, int] = (1920, 1080),
    page_size: tuple[int, int] = (700, 905),
    tilt: float = 0.0,
    centre: tuple[float, float] = (0.44, 0.52),
    seed: int = 1,
    word: str = "",
    with_sheet: bool = True,
) -> DeskPhoto:
    """A camera photo of a sheet (``page_size``) turned by ``tilt`` degrees, its centre at
    ``centre`` (shares of the photo's width and height); the desk alone without ``with_sheet``
    (``page_box`` is then empty)."""
    photo = _desk(size, seed)
    if not with_sheet:
        return DeskPhoto(_light_and_lens(photo), (0, 0, 0, 0), (0, 0), 0.0)
    sheet = text_sheet(page_size, seed, word)
    shape = Image.new("L", page_size, 255)
    if tilt:
        sheet = sheet.rotate(tilt, resample=Image.Resampling.BICUBIC, expand=True)
        shape = shape.rotate(tilt, resample=Image.Resampling.BILINEAR, expand=True)
    left = round(size[0] * centre[0] - sheet.width / 2)
    top = round(size[1] * centre[1] - sheet.height / 2)
    photo.paste(sheet, (left, top), shape)
    bounds = shape.point(lambda value: 255 if value >= 128 else 0).getbbox()
    assert bounds is not None
    page_box = (left + bounds[0], top + bounds[1], left + bounds[2], top + bounds[3])
    photo = _light_and_lens(photo)
    return DeskPhoto(photo, page_box, page_size, tilt)


def _desk(size: tuple[int, int], seed: int) -> Image.Image:
    """Dark wood: grain along the boards, sensor noise, and a pen lying on it."""
    rng = random.Random(seed)
    desk = Image.new("RGB", size, DESK)
    draw = ImageDraw.Draw(desk)
    for _ in range(size[1] // 6):
        y = rng.randrange(size[1])
        shade = rng.randint(-14, 14)
        colour = tuple(max(0, channel + shade) for channel in DESK)
        draw.line(
            [(0, y), (size[0], y + rng.randint(-30, 30))], fill=colour, width=rng.randint(1, 4)
        )
    # Sensor noise from the seed (Pillow's effect_noise draws from C's rand(), which anything in
    # the process may have moved: the same photo must come out the same in every test run).
    # Uniform, with the standard deviation of a Gaussian of 18 levels: ±31 around 128.
    spread = rng.randbytes(size[0] * size[1])
    noise = Image.frombytes("L", size, spread).point(lambda v: 128 + (v - 128) * 31 // 128)
    noise = noise.convert("RGB")
    desk = ImageChops.add(desk, noise, scale=1.0, offset=-128)
    pen_x, pen_y = int(size[0] * 0.85), int(size[1] * 0.2)
    ImageDraw.Draw(desk).rounded_rectangle(
        [pen_x, pen_y, pen_x + size[0] // 60, pen_y + size[1] // 4], radius=6, fill=(225, 225, 230)
    )
    return desk


def _light_and_lens(photo: Image.Image) -> Image.Image:
    """Light falling off to the right (a lamp on the left) and a slightly soft lens."""
    ramp = Image.linear_gradient("L").rotate(90).resize(photo.size)  # 255 left → 0 right
    light = ramp.point(lambda value: 200 + value * 55 // 255)
    lit = ImageChops.multiply(photo, Image.merge("RGB", (light, light, light)))
    return lit.filter(ImageFilter.GaussianBlur(0.8))


def lean_of(page: Image.Image) -> float:
    """How far the text lines of ``page`` lean, in degrees: the turn that makes its rows' ink
    profile sharpest (Postl's measure, as ``mailroom.capture.deskew`` uses), searched from -6°
    to 6° in quarter degrees."""
    gray = page.convert("L")
    histogram = gray.histogram()
    paper = next(
        level for level in range(256) if sum(histogram[: level + 1]) * 2 >= gray.width * gray.height
    )
    ink = gray.point(lambda value: 255 if value < paper - 60 else 0).reduce(2)
    # Inside the margins, where the text is and the edges are not.
    ink = ink.crop((ink.width // 20, ink.height // 20, ink.width * 19 // 20, ink.height * 19 // 20))

    def sharpness(angle: float) -> float:
        rows = ink.rotate(angle, resample=Image.Resampling.BILINEAR)
        profile = rows.resize((1, rows.height), Image.Resampling.BOX).tobytes()
        return float(sum((b - a) ** 2 for a, b in zip(profile, profile[1:], strict=False)))

    return max((sharpness(step / 4), -abs(step), step / 4) for step in range(-24, 25))[2]
