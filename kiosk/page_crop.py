"""A photo of a sheet of paper on a darker desk → the sheet alone, cropped to its edges and level.

The kiosk's document camera looks down at the desk from above; the citizen lays the sheet under
it, rarely straight. The sheet is the largest bright region of the photo, so it is found on a
copy reduced to about ``WORKING_SIDE`` pixels: grey, softened (the desk's grain and the page's
text both vanish into their surroundings), split into bright and dark at Otsu's threshold,
cleaned with a closing (text holes filled) and an opening (specks on the desk gone), and then
the largest bright region wins over anything else bright (a pen, a sticky note).

Its tilt comes from its outline, not from its text: the turn whose upright bounding box is the
smallest around the region's convex hull is the one that stands the sheet's edges upright (the
box area grows in proportion to the error, so the minimum is sharp: on generated photos the
angle came out within 0.1°). A sheet without text is straightened just as well.
``mailroom.capture.deskew`` is not used here: it levels a scanned page's text lines, and on a
whole photo the desk's grain and the sheet's edges would sway it; the capture's cleanup runs it
afterwards on the cropped sheet, which takes out what lean the text has on the paper.

The result is applied to the full photo: only the sheet's neighbourhood is cut out, turned and
cropped, so a 1920×1080 photo takes 65-100 ms (measured on the development machine, 2 cores).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from PIL import Image, ImageFilter, ImageStat

from kiosk.wording import QT_TRANSLATE_NOOP
from mailroom.errors import OficialiaError

WORKING_SIDE = 480
"""The long side, in pixels, of the copy the sheet is looked for on."""
MIN_PAGE_SHARE = 0.2
"""A sheet covering less of the photo than this is too far away to read."""
MIN_SHEET_SHARE = 0.03
"""A bright region smaller than this is not taken for a sheet at all (a pen, a coin, a glare)."""
MAX_BORDERS_TOUCHED = 2
"""A sheet running off more sides of the photo than this is not all in view."""
MIN_CONTRAST = 50
"""Grey levels between the desk and the sheet below which there is no sheet to tell apart."""
MIN_FILL = 0.75
"""The share of its own straightened box a sheet fills (a torn corner, a thumb on the edge); a
bright region filling less is not a sheet."""
MAX_TURN = 45.0
"""Turns searched either way: any lie of a rectangle, so a sheet turned further comes out
lying sideways, which the capture's orientation check puts upright."""

NO_PAGE = QT_TRANSLATE_NOOP(
    "PageCrop",
    "No se ve una hoja completa en la foto. Coloque la hoja dentro del recuadro y "
    "vuelva a tomarla.",
)
PAGE_CUT_OFF = QT_TRANSLATE_NOOP(
    "PageCrop",
    "La hoja se sale de la foto. Colóquela completa dentro del recuadro y vuelva a tomarla.",
)
PAGE_TOO_SMALL = QT_TRANSLATE_NOOP(
    "PageCrop",
    "La hoja se ve muy pequeña en la foto. Colóquela dentro del recuadro, debajo de la cámara, "
    "y vuelva a tomarla.",
)
PHOTO_TOO_LARGE = QT_TRANSLATE_NOOP(
    "PageCrop",
    "La foto es muy grande: tiene %1 megapíxeles y el máximo es %2. Pida ayuda en la ventanilla.",
)
NOT_A_PHOTO = QT_TRANSLATE_NOOP("PageCrop", "No se pudo leer la foto. Vuelva a tomarla.")

_BRIGHT_RUN = re.compile(rb"\xff+")
_SOFTEN = 1.5  # working pixels: wider than the grain and the text strokes, narrower than a margin
_CLEAN = 5  # working pixels: the closing and opening filters' size


class PhotoError(OficialiaError):
    """The photo shows no sheet that can be read. Taking the same photo again will not help
    (``retryable`` is false); the citizen moves the sheet and takes another."""

    code = "foto_invalida"


@dataclass(frozen=True)
class CroppedPage:
    image: Image.Image
    """The sheet, level and cropped to its edges (RGB, or L for a grey photo)."""
    angle: float
    """The anticlockwise turn, in degrees, that levelled the sheet (``Image.rotate``'s angle,
    as in ``mailroom.capture.deskew``): minus how far the sheet was turned on the desk."""
    box: tuple[int, int, int, int]
    """Where the sheet is in the photo as given: its bounding box (left, top, right, bottom)."""


@dataclass(frozen=True)
class _Region:
    """The sheet on the working copy: each of its rows' leftmost and rightmost pixel edges."""

    rows: dict[int, tuple[int, int]]
    area: int

    def bounds(self) -> tuple[int, int, int, int]:
        spans = self.rows.values()
        left = min(start for start, _ in spans)
        right = max(end for _, end in spans)
        return left, min(self.rows), right, max(self.rows) + 1


def crop_page(photo: Image.Image, *, max_megapixels: int = 40) -> CroppedPage:
    """The sheet in ``photo``, level and cropped; :class:`PhotoError` when there is none whole.

    The size is checked before the pixels are decoded, so a lazily opened file
    (``Image.open``) that is too large is refused without using the memory."""
    photo = _decoded(photo, max_megapixels)
    factor = max(1, math.ceil(max(photo.size) / WORKING_SIDE))
    small = photo.reduce(factor) if factor > 1 else photo
    mask = _bright_mask(small.convert("L"))
    region = _largest_region(mask)
    if region is None:
        raise PhotoError(str(NO_PAGE), wording=NO_PAGE, reason="sin_hoja")
    _check_in_view(region, mask.size)
    hull = _convex_hull(_outline(region, factor))
    angle = _levelling_turn(hull)
    if region.area * factor * factor / _box_area(hull, angle) < MIN_FILL:
        raise PhotoError(str(NO_PAGE), wording=NO_PAGE, reason="sin_forma_de_hoja")
    background = _desk_colour(small, mask)
    left, top, right, bottom = (edge * factor for edge in region.bounds())
    box = (left, top, min(right, photo.width), min(bottom, photo.height))
    page = _straightened(photo, box, hull, angle, background, factor)
    return CroppedPage(page, angle, box)


def _decoded(photo: Image.Image, max_megapixels: int) -> Image.Image:
    if not isinstance(photo, Image.Image):
        raise PhotoError(
            str(NOT_A_PHOTO), wording=NOT_A_PHOTO, reason="no_es_imagen", kind=type(photo).__name__
        )
    megapixels = photo.width * photo.height / 1_000_000
    if megapixels > max_megapixels:
        wording = PHOTO_TOO_LARGE.filled(round(megapixels), max_megapixels)
        raise PhotoError(str(wording), wording=wording, reason="demasiado_grande", size=photo.size)
    try:
        photo.load()
    except (OSError, SyntaxError, ValueError, EOFError) as error:
        # Pillow reports a truncated or damaged file with whichever exception its decoder hit.
        raise PhotoError(
            str(NOT_A_PHOTO), wording=NOT_A_PHOTO, reason="no_se_pudo_leer", error=error
        ) from error
    if photo.width < _CLEAN * 4 or photo.height < _CLEAN * 4:
        raise PhotoError(str(NO_PAGE), wording=NO_PAGE, reason="sin_hoja", size=photo.size)
    return photo if photo.mode in ("RGB", "L") else photo.convert("RGB")


def _bright_mask(gray: Image.Image) -> Image.Image:
    """255 where the working copy is sheet-bright, 0 elsewhere, cleaned of holes and specks."""
    soft = gray.filter(ImageFilter.GaussianBlur(_SOFTEN))
    threshold, contrast = _otsu(soft.histogram())
    if contrast < MIN_CONTRAST:
        raise PhotoError(
            str(NO_PAGE), wording=NO_PAGE, reason="sin_contraste", contrast=round(contrast)
        )
    mask = soft.point(lambda value: 255 if value > threshold else 0)
    closed = _erode(_dilate(mask))  # text holes filled
    return _dilate(_erode(closed))  # specks on the desk gone


# Morphology by box averages: a square window holds some bright pixel where its average is not
# 0, and only bright ones where it is 255. Linear in the window, where Pillow's Min/MaxFilter
# sort every window (four times slower here).
def _dilate(mask: Image.Image) -> Image.Image:
    return mask.filter(ImageFilter.BoxBlur(_CLEAN // 2)).point(lambda v: 255 if v > 0 else 0)


def _erode(mask: Image.Image) -> Image.Image:
    return mask.filter(ImageFilter.BoxBlur(_CLEAN // 2)).point(lambda v: 255 if v == 255 else 0)


def _otsu(histogram: list[int]) -> tuple[int, float]:
    """Otsu's threshold of a grey histogram, and how far apart the two classes' means are."""
    total = sum(histogram)
    weighted_total = sum(level * count for level, count in enumerate(histogram))
    best = (-1.0, 0, 0.0)
    below = weighted_below = 0
    for level, count in enumerate(histogram[:-1]):
        below += count
        weighted_below += level * count
        above = total - below
        if below == 0 or above == 0:
            continue
        mean_below = weighted_below / below
        mean_above = (weighted_total - weighted_below) / above
        spread = below * above * (mean_above - mean_below) ** 2
        if spread > best[0]:
            best = (spread, level, mean_above - mean_below)
    return best[1], best[2]


def _largest_region(mask: Image.Image) -> _Region | None:
    """The largest 4-connected bright region, by runs of bright pixels merged row to row."""
    width = mask.width
    data = mask.tobytes()
    runs: list[tuple[int, int, int]] = []
    parent: list[int] = []
    previous: list[int] = []
    for row in range(mask.height):
        current = []
        for match in _BRIGHT_RUN.finditer(data, row * width, (row + 1) * width):
            index = len(runs)
            start, end = match.start() - row * width, match.end() - row * width
            runs.append((row, start, end))
            parent.append(index)
            for other in previous:
                if runs[other][1] < end and start < runs[other][2]:
                    _union(parent, index, other)
            current.append(index)
        previous = current
    if not runs:
        return None
    return _biggest(runs, [_root(parent, index) for index in range(len(runs))])


def _root(parent: list[int], index: int) -> int:
    while parent[index] != index:
        parent[index] = parent[parent[index]]
        index = parent[index]
    return index


def _union(parent: list[int], first: int, second: int) -> None:
    parent[_root(parent, first)] = _root(parent, second)


def _biggest(runs: list[tuple[int, int, int]], roots: list[int]) -> _Region:
    areas: dict[int, int] = {}
    for (_, start, end), root in zip(runs, roots, strict=True):
        areas[root] = areas.get(root, 0) + end - start
    winner = max(areas, key=areas.__getitem__)
    rows: dict[int, tuple[int, int]] = {}
    for (row, start, end), root in zip(runs, roots, strict=True):
        if root == winner:
            known = rows.get(row, (start, end))
            rows[row] = (min(known[0], start), max(known[1], end))
    return _Region(rows, areas[winner])


def _check_in_view(region: _Region, size: tuple[int, int]) -> None:
    left, top, right, bottom = region.bounds()
    touched = (left == 0) + (top == 0) + (right == size[0]) + (bottom == size[1])
    if touched > MAX_BORDERS_TOUCHED:
        raise PhotoError(
            str(PAGE_CUT_OFF), wording=PAGE_CUT_OFF, reason="hoja_cortada", borders=touched
        )
    share = region.area / (size[0] * size[1])
    if share < MIN_SHEET_SHARE:
        raise PhotoError(str(NO_PAGE), wording=NO_PAGE, reason="sin_hoja", share=round(share, 3))
    if share < MIN_PAGE_SHARE:
        raise PhotoError(
            str(PAGE_TOO_SMALL),
            wording=PAGE_TOO_SMALL,
            reason="hoja_pequena",
            share=round(share, 3),
        )


def _outline(region: _Region, factor: int) -> list[tuple[float, float]]:
    """The corners of each row's end pixels, in the full photo's pixels: the region's extreme
    points in any direction are among them."""
    points: list[tuple[float, float]] = []
    for row, (start, end) in region.rows.items():
        for x in (start, end):
            points += [(x * factor, row * factor), (x * factor, (row + 1) * factor)]
    return points


def _convex_hull(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Andrew's monotone chain."""
    ordered = sorted(set(points))

    def half(sequence: list[tuple[float, float]]) -> list[tuple[float, float]]:
        chain: list[tuple[float, float]] = []
        for point in sequence:
            while len(chain) >= 2 and _cross(chain[-2], chain[-1], point) <= 0:
                chain.pop()
            chain.append(point)
        return chain[:-1]

    return half(ordered) + half(ordered[::-1])


def _cross(origin: tuple[float, float], a: tuple[float, float], b: tuple[float, float]) -> float:
    return (a[0] - origin[0]) * (b[1] - origin[1]) - (a[1] - origin[1]) * (b[0] - origin[0])


def _levelling_turn(hull: list[tuple[float, float]]) -> float:
    """The turn, coarse then finer, that gives the hull the smallest upright box."""
    best = 0.0
    for step, reach in ((1.0, MAX_TURN), (0.1, 1.0), (0.02, 0.1)):
        count = round(reach / step)
        candidates = [best + index * step for index in range(-count, count + 1)]
        # On a tie the smaller turn wins: no reason to turn a sheet that gives none.
        best = min(candidates, key=lambda angle: (round(_box_area(hull, angle), 3), abs(angle)))
    return round(best, 2)


def _turned_bounds(
    points: list[tuple[float, float]], angle: float
) -> tuple[float, float, float, float]:
    """The upright box of ``points`` turned anticlockwise by ``angle`` about the origin, as
    ``Image.rotate`` turns an image (y grows downwards)."""
    cos, sin = math.cos(math.radians(angle)), math.sin(math.radians(angle))
    xs = [x * cos + y * sin for x, y in points]
    ys = [y * cos - x * sin for x, y in points]
    return min(xs), min(ys), max(xs), max(ys)


def _box_area(points: list[tuple[float, float]], angle: float) -> float:
    left, top, right, bottom = _turned_bounds(points, angle)
    return (right - left) * (bottom - top)


def _desk_colour(small: Image.Image, mask: Image.Image) -> tuple[int, ...] | int:
    """The desk's median colour, to fill what turning brings in from outside the photo."""
    desk = mask.point(lambda value: 255 - value)
    median = ImageStat.Stat(small, mask=desk).median
    return median[0] if small.mode == "L" else tuple(median)


def _straightened(
    photo: Image.Image,
    box: tuple[int, int, int, int],
    hull: list[tuple[float, float]],
    angle: float,
    background: tuple[int, ...] | int,
    factor: int,
) -> Image.Image:
    """Cut the sheet's neighbourhood out of the full photo, turn it level and crop the sheet.

    The crop comes in by one working pixel (``factor``) on every side, two when the sheet was
    turned: the reduced copy's pixels on the sheet's edge are part desk, and a dark line along
    a page's edge is what OCR reads as a stray "l" or "|"; a few millimetres of blank margin
    are no loss."""
    if not angle:
        inner = (box[0] + factor, box[1] + factor, box[2] - factor, box[3] - factor)
        return photo.crop(inner)
    margin = 2 * factor  # the sheet's edges may lie a pixel or two outside the reduced box
    around = (
        max(0, box[0] - margin),
        max(0, box[1] - margin),
        min(photo.width, box[2] + margin),
        min(photo.height, box[3] + margin),
    )
    centre = ((around[0] + around[2]) / 2, (around[1] + around[3]) / 2)
    centred = [(x - centre[0], y - centre[1]) for x, y in hull]
    left, top, right, bottom = _turned_bounds(centred, angle)
    turned = photo.crop(around).rotate(
        angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=background
    )
    # Image.rotate with expand keeps the centre in the centre of the larger image.
    middle_x, middle_y = turned.width / 2, turned.height / 2
    inset = 2 * factor  # turned: the hull's corners are a working pixel less sure
    edges = (left + inset, top + inset, right - inset, bottom - inset)
    crop = (middle_x + edges[0], middle_y + edges[1], middle_x + edges[2], middle_y + edges[3])
    return turned.crop((round(crop[0]), round(crop[1]), round(crop[2]), round(crop[3])))
