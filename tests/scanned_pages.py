"""Realistic scanned pages for the capture tests: what a tired office scanner hands over.

Every page is letter size, grayscale, drawn from a seed (the same seed gives the same page), in
the DejaVu fonts the samples use, and then made to look scanned: dull toner on off-white paper,
optics blur, grain and dust (``mailroom.samples.degrade``), a slight skew that shows the scanner
lid in the corners, and the shadow the lid casts along the sheet's edges. Sheets can lie turned
on the glass (``turned``), as they do when a clerk feeds a pile by hand.

The pages other helpers import:

- :func:`text_page` and :func:`text_truth` — a page of a citizen's escrito and its exact text;
- :func:`blank_page_with_show_through` — the back of a single-sided sheet, where the front's
  text shows through the paper, mirrored and faint;
- :func:`signature_only_page` — a sheet with nothing but a handwritten signature;
- :func:`one_word_page` — a sheet with a single short word (a stamp-like "ANEXO").
"""

from __future__ import annotations

import math
import random

from PIL import Image, ImageChops, ImageDraw, ImageFilter

from mailroom.samples import Line, degrade, page_ground_truth, wrap
from mailroom.samples.layout import PAGE_HEIGHT_PT, PAGE_WIDTH_PT, font
from mailroom.samples.model import PageStyle
from mailroom.samples.render import draw_page
from mailroom.samples.texts import CITIZEN_SENTENCES, GIVEN_NAMES, MONTHS, PLACE, STREETS, SURNAMES

STYLE = PageStyle()
NOISE = 0.04  # grain as a fraction of full scale: a tired office scanner
BODY_LINES = 24  # enough text for orientation and OCR figures, few enough to OCR quickly
_TURNS = {
    0: None,
    90: Image.Transpose.ROTATE_270,  # PIL turns anticlockwise; ``turned`` is clockwise
    180: Image.Transpose.ROTATE_180,
    270: Image.Transpose.ROTATE_90,
}


def text_lines(seed: int, body_lines: int = BODY_LINES) -> list[str | Line]:
    """A page of an escrito: place and date, the addressee, then wrapped paragraphs."""
    rng = random.Random(seed)
    date = f"{rng.randint(1, 28)} de {rng.choice(MONTHS.split('|'))} de 2025"
    lines: list[str | Line] = [
        Line(f"{PLACE}, a {date}.", "right"),
        "",
        Line("C. PRESIDENTE MUNICIPAL CONSTITUCIONAL", bold=True),
        "P R E S E N T E",
        "",
    ]
    body: list[str] = []
    while len(body) < body_lines:
        sentences = rng.sample(CITIZEN_SENTENCES, 3)
        paragraph = " ".join(s.format(**_slot_values(rng)) for s in sentences)
        body += [*wrap(paragraph, STYLE), ""]
    return lines + body[:body_lines]


def text_truth(seed: int, body_lines: int = BODY_LINES) -> str:
    """The exact text :func:`text_page` draws for ``seed``, one line per line."""
    return page_ground_truth(text_lines(seed, body_lines))


def text_page(
    seed: int,
    dpi: int = 300,
    skew: float = 0.0,
    turned: int = 0,
    noise: bool = True,
    body_lines: int = BODY_LINES,
) -> Image.Image:
    """A scanned text page, skewed ``skew`` degrees (anticlockwise) and lying turned
    ``turned`` degrees clockwise (0, 90, 180, 270) on the glass."""
    from mailroom.samples import render_page_image

    clean = render_page_image(text_lines(seed, body_lines), dpi=dpi, style=STYLE)
    return _scanned(clean, seed, skew=skew, turned=turned, noise=noise)


def blank_page_with_show_through(
    seed: int, dpi: int = 300, skew: float = 0.3, shadow_mm: float | None = None
) -> Image.Image:
    """The blank back of a printed sheet: the front's text mirrored and faint (thin paper, a
    strong lamp), grain, dust and the lid's shadow along the edges (``shadow_mm`` wide; by
    default 3 to 6 mm)."""
    from mailroom.samples.layout import make_page

    front = draw_page(make_page(text_lines(seed + 1), None, None, None), STYLE, dpi)
    mirrored = front.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    diffuse = mirrored.filter(ImageFilter.GaussianBlur(1.6 * dpi / 300))
    # Seen through the paper, black toner is a pale grey: about 30 levels below the paper.
    faint = diffuse.point(lambda v: 255 - round((255 - v) * 0.16))
    return _scanned(faint, seed, skew=skew, turned=0, noise=True, shadow_mm=shadow_mm)


def signature_only_page(seed: int, dpi: int = 300) -> Image.Image:
    """A sheet with only a handwritten signature in the lower half (ballpoint, about 0.5 mm)."""
    rng = random.Random(seed)
    page = _white_page(dpi)
    draw = ImageDraw.Draw(page)
    scale = dpi / 25.4  # pixels per millimetre
    left = rng.uniform(60, 110) * scale
    top = rng.uniform(170, 200) * scale
    points = _scrawl(rng, left, top, width=rng.uniform(45, 60) * scale, height=14 * scale)
    draw.line(points, fill=rng.randrange(20, 60), width=max(2, round(0.5 * scale)), joint="curve")
    return _scanned(page, seed, skew=rng.uniform(-0.6, 0.6), turned=0, noise=True)


def one_word_page(seed: int, dpi: int = 300, word: str = "ANEXO") -> Image.Image:
    """A sheet with a single short word at the top, as a bare cover sheet has."""
    page = _white_page(dpi)
    scale = dpi / 72
    face = font(STYLE.family, True, round(STYLE.size * scale))
    ImageDraw.Draw(page).text((72 * scale, 90 * scale), word, font=face, fill=0, anchor="ls")
    return _scanned(page, seed, skew=0.2, turned=0, noise=True)


def _white_page(dpi: int) -> Image.Image:
    size = (round(PAGE_WIDTH_PT * dpi / 72), round(PAGE_HEIGHT_PT * dpi / 72))
    return Image.new("L", size, 255)


def _scanned(
    clean: Image.Image,
    seed: int,
    *,
    skew: float,
    turned: int,
    noise: bool,
    shadow_mm: float | None = None,
) -> Image.Image:
    page = degrade(clean, skew_degrees=skew, noise=NOISE if noise else 0.0, seed=seed)
    page = _lid_shadow(page, random.Random(seed * 7 + 1), shadow_mm)
    transpose = _TURNS[turned]
    return page.transpose(transpose) if transpose is not None else page


def _lid_shadow(page: Image.Image, rng: random.Random, width_mm: float | None) -> Image.Image:
    """Darken one long edge and the top edge the way a lifted scanner lid does: a dark rim
    fading into the paper over ``width_mm`` (by default 3 to 6 mm)."""
    width, height = page.size
    per_mm = width / (PAGE_WIDTH_PT / 72 * 25.4)
    shade = Image.new("L", page.size, 255)
    draw = ImageDraw.Draw(shade)
    usual_mm = rng.uniform(3, 6)
    band = round((width_mm if width_mm is not None else usual_mm) * per_mm)
    left_side = rng.random() < 0.5
    for step in range(band):
        level = round(80 + 175 * (step / band) ** 0.7)
        x = step if left_side else width - 1 - step
        draw.line([(x, 0), (x, height)], fill=level)
    top_band = round(rng.uniform(1, 3) * per_mm)
    for step in range(top_band):
        level = round(110 + 145 * (step / top_band) ** 0.7)
        draw.line([(0, step), (width, step)], fill=min(255, level))
    return ImageChops.multiply(page, shade)


def _scrawl(
    rng: random.Random, left: float, top: float, *, width: float, height: float
) -> list[tuple[float, float]]:
    """A signature-like pen path: loops drifting rightwards, then a flourish underneath."""
    loops = rng.randint(5, 8)
    phase = rng.uniform(0, math.tau)
    points = []
    for i in range(400):
        t = i / 399
        x = left + width * t + height * 0.35 * math.cos(loops * math.tau * t + phase)
        y = top + height * (0.5 + 0.45 * math.sin(loops * math.tau * t) * math.sin(math.pi * t))
        points.append((x, y))
    for i in range(120):  # the underline flourish, back to the left
        t = i / 119
        points.append((left + width * (1 - t), top + height * (1.05 + 0.08 * math.sin(3 * t))))
    return points


def _slot_values(rng: random.Random) -> dict[str, str]:
    street, street2 = rng.sample(STREETS.split("|"), 2)
    month = rng.choice(MONTHS.split("|"))
    name = f"{rng.choice(GIVEN_NAMES.split('|'))} {rng.choice(SURNAMES.split('|'))}"
    return {
        "calle": street,
        "calle2": street2,
        "fecha": f"{rng.randint(1, 28)} de {month} de {rng.choice((2023, 2024))}",
        "anio": str(rng.choice((2019, 2020, 2021))),
        "folio": f"DOP/{rng.randint(100, 999)}/2024",
        "oficio": f"CEAS/DT/{rng.randint(100, 999)}/2024",
        "n": str(rng.randint(120, 480)),
        "metros": f"{rng.randint(3, 18) * 50:,}",
        "anos": str(rng.randint(12, 30)),
        "nombre": name,
    }
