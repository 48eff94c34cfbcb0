"""Separator sheets and carátulas as a tired office scanner returns them, and the pages that must
not be taken for one (an ordinary text page, a page with a foreign QR code).

The sheets start from the real PDFs ``mailroom.capture.separator`` writes, rendered by pdfium
(what printing then scanning does, minus the paper), then degraded: skew, grain and dust, optics
blur, dull contrast, any of the four rotations, JPEG artifacts. Everything comes from a seed.

:func:`measure_marks` is what ``bench/capture.py`` calls for the detection rate and the cost of
reading marks.
"""

from __future__ import annotations

import io
import os
import random
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pypdfium2 as pdfium
import segno
from PIL import Image, ImageChops, ImageFilter

from mailroom.capture.separator import read_mark, write_cover_sheet_pdf, write_separator_pdf
from mailroom.pdfium import pdfium_lock
from tests.scanned_pages import text_page

FOREIGN_QR = (
    "https://verificacfdi.facturaelectronica.sat.gob.mx/default.aspx?"
    "id=5FB2822E-396D-4725-8521-CDC4BDD20CCF&re=AAA010101AAA&rr=XAXX010101000&tt=1160.00&fe=8Ow=="
)


@cache
def _rendered(kind: str, folio: str, dpi: int) -> Image.Image:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "hoja.pdf"
        if kind == "separador":
            write_separator_pdf(path)
        else:
            write_cover_sheet_pdf(path, folio, subject="Anexos", sender="Ana Ruiz")
        with pdfium_lock:  # pdfium is not thread-safe
            document = pdfium.PdfDocument(path)
            try:
                return document[0].render(scale=dpi / 72, grayscale=True).to_pil().convert("L")
            finally:
                document.close()


def separator_image(dpi: int = 300) -> Image.Image:
    """Our separator sheet, printed and scanned perfectly."""
    return _rendered("separador", "", dpi).copy()


def cover_image(folio: str, dpi: int = 300) -> Image.Image:
    return _rendered("caratula", folio, dpi).copy()


def foreign_qr_page(seed: int, dpi: int = 300, payload: str = FOREIGN_QR) -> Image.Image:
    """A text page carrying someone else's QR code (a CFDI's, by default) in a corner."""
    page = text_page(seed, dpi, skew=random.Random(seed).uniform(-1.5, 1.5))
    buffer = io.BytesIO()
    segno.make(payload, error="m").save(buffer, kind="png", scale=1, border=4)
    side = round(dpi * 1.1)  # about 28 mm, as printed on an invoice
    qr = Image.open(io.BytesIO(buffer.getvalue())).convert("L")
    corner = (page.width - side - dpi // 2, page.height - side - dpi // 2)
    page.paste(qr.resize((side, side), Image.Resampling.NEAREST), corner)
    return page


@dataclass(frozen=True)
class Degradation:
    skew_degrees: float
    quarter_turns: int  # 0 upright, 2 upside down, 1 or 3 sideways
    noise: float  # grain standard deviation, fraction of full scale
    blur_px: float
    ink: int  # the darkest grey the scanner returns
    paper: int  # the lightest
    jpeg_quality: int

    @classmethod
    def random(cls, rng: random.Random) -> Degradation:
        return cls(
            skew_degrees=rng.uniform(-3.0, 3.0),
            quarter_turns=rng.choice((0, 0, 2, 2, 1, 3)),
            noise=rng.uniform(0.02, 0.10),
            blur_px=rng.uniform(0.3, 1.8),
            ink=rng.randrange(40, 120),
            paper=rng.randrange(165, 240),
            jpeg_quality=rng.randrange(15, 60),
        )


def degraded(image: Image.Image, how: Degradation, seed: int) -> Image.Image:
    """``image`` as a bad scan: every step of ``how``, in the order paper meets scanner."""
    rng = random.Random(seed)
    scale = image.width / 2550  # 1.0 for a letter page at 300 dpi
    page = image.convert("L").point(
        [how.ink + v * (how.paper - how.ink) // 255 for v in range(256)]
    )
    page = page.rotate(
        how.skew_degrees, resample=Image.Resampling.BILINEAR, expand=True, fillcolor=how.paper
    )
    page = page.filter(ImageFilter.GaussianBlur(how.blur_px * scale))
    page = ImageChops.add(page, _grain(page.size, how.noise, rng), offset=-128)
    if how.quarter_turns:
        page = page.rotate(90 * how.quarter_turns, expand=True)
    buffer = io.BytesIO()
    page.save(buffer, "JPEG", quality=how.jpeg_quality)
    return Image.open(io.BytesIO(buffer.getvalue())).convert("L")


def noisy_sheet(seed: int, *, dpi: int = 300, folio: str | None = None) -> Image.Image:
    """A separator (or, with ``folio``, a carátula) through a random bad scan."""
    rng = random.Random(seed)
    clean = separator_image(dpi) if folio is None else cover_image(folio, dpi)
    return degraded(clean, Degradation.random(rng), seed)


def _grain(size: tuple[int, int], noise: float, rng: random.Random) -> Image.Image:
    """Gaussian-looking grain centred on 128 with standard deviation ``noise`` of full scale,
    drawn at half resolution and enlarged (it clumps like paper texture, and costs a quarter)."""
    small = ((size[0] + 1) // 2, (size[1] + 1) // 2)
    pixels = small[0] * small[1]
    first, second = (Image.frombytes("L", small, rng.randbytes(pixels)) for _ in range(2))
    # The mean of two uniform planes is triangular (sd ~52), close enough to gaussian here.
    gain = noise * 255 / 52
    lut = [max(0, min(255, round(128 + (v - 127.5) * gain))) for v in range(256)]
    return Image.blend(first, second, 0.5).point(lut).resize(size, Image.Resampling.NEAREST)


_FOLIOS = ("OPM-2026-C01-000007", "SJR-2025-K02-001234", "opm/2026/ventanilla 3/000042")


@dataclass(frozen=True)
class MarkFigures:
    sheets: int
    detected: int
    mark_ms: float
    """Mean time of read_mark on a degraded separator or carátula."""
    plain_ms: float
    """Mean time of read_mark on an ordinary text page (what most of a batch is)."""
    foreign_ms: float
    """Mean time on a page with a foreign QR (the full-size retry happens there)."""
    false_marks: int
    """Text and foreign-QR pages taken for a mark: must be 0."""

    @property
    def rate(self) -> float:
        return self.detected / self.sheets


def _generated(sheets: int, seed: int) -> Iterator[tuple[Image.Image, str | None]]:
    """The degraded sheets with the folio each carries, made on every core (Pillow releases the
    GIL) ten at a time; the reader times them between chunks, so no generating thread competes
    with read_mark for the CPU (and at most ten pages are held in memory)."""

    def make(number: int) -> tuple[Image.Image, str | None]:
        folio = _FOLIOS[number % len(_FOLIOS)] if number % 4 == 3 else None
        return noisy_sheet(seed + number, dpi=300 if number % 2 else 200, folio=folio), folio

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        for start in range(0, sheets, 10):
            yield from list(pool.map(make, range(start, min(sheets, start + 10))))


def measure_marks(sheets: int = 100, *, seed: int = 0, others: int = 10) -> MarkFigures:
    """Detection rate on ``sheets`` degraded sheets (200 and 300 dpi alternately, one in four a
    carátula) and the cost of :func:`read_mark` per page, marked or not."""
    detected, mark_seconds = 0, 0.0
    for sheet, folio in _generated(sheets, seed):
        started = time.perf_counter()
        mark = read_mark(sheet)
        mark_seconds += time.perf_counter() - started
        detected += mark is not None and mark.folio == folio
    plain_seconds, foreign_seconds, false_marks = 0.0, 0.0, 0
    for number in range(others):
        dpi = 300 if number % 2 else 200
        for page, is_foreign in (
            (text_page(seed + number, dpi), False),
            (foreign_qr_page(seed + number, dpi), True),
        ):
            started = time.perf_counter()
            false_marks += read_mark(page) is not None
            elapsed = time.perf_counter() - started
            if is_foreign:
                foreign_seconds += elapsed
            else:
                plain_seconds += elapsed
    return MarkFigures(
        sheets=sheets,
        detected=detected,
        mark_ms=1000 * mark_seconds / sheets,
        plain_ms=1000 * plain_seconds / max(1, others),
        foreign_ms=1000 * foreign_seconds / max(1, others),
        false_marks=false_marks,
    )
