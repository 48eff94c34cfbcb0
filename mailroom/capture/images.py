"""JPEG, PNG and TIFF files: decoded in full, held to the size limit, turned into OCR-ready pages.

Images are opened with the format's own Pillow class rather than ``Image.open``: the type is
already known from the magic bytes, and ``Image.open`` applies Pillow's global decompression-bomb
limits (a warning above 89 megapixels, an error above 179) before we can apply our own, which is
configurable (``max_image_megapixels``) and comes with a message a clerk can act on.
"""

from __future__ import annotations

import struct
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

from PIL import ExifTags, Image, ImageFile, JpegImagePlugin, PngImagePlugin, TiffImagePlugin

from mailroom.capture.results import (
    IMAGE_PAGE,
    CapturedPage,
    CaptureLimits,
    clamp_dpi,
    megapixels,
)
from mailroom.capture.sniff import JPEG, PNG, TIFF
from mailroom.capture.workspace import PageFiles
from mailroom.errors import UnreadableFile
from mailroom.ocr.engine import MAX_DPI, MIN_DPI

_OPENERS: dict[str, type[ImageFile.ImageFile]] = {
    JPEG: JpegImagePlugin.JpegImageFile,
    PNG: PngImagePlugin.PngImageFile,
    TIFF: TiffImagePlugin.TiffImageFile,
}
_FORMAT_NAMES = {JPEG: "JPEG", PNG: "PNG", TIFF: "TIFF"}

# Pillow reports a damaged file with whichever exception its parser happened to hit.
DECODE_FAILURES = (
    OSError,
    SyntaxError,
    ValueError,
    TypeError,
    EOFError,
    IndexError,
    KeyError,
    ZeroDivisionError,
    struct.error,
)

# Modes leptonica (tesseract's image reader) handles well; anything else gets a plain copy.
_PLAIN_MODES = ("1", "L", "RGB", "P")

# EXIF orientation → the transposition that makes the page upright (as ImageOps.exif_transpose).
_UPRIGHT = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def capture_image(
    path: Path, mime: str, limits: CaptureLimits, files: PageFiles
) -> tuple[CapturedPage, ...]:
    """A single-page JPEG or PNG: the original file itself when tesseract can read it upright."""
    with path.open("rb") as handle, pillow_errors(path, f"una imagen {_FORMAT_NAMES[mime]}"):
        image = _OPENERS[mime](handle)
        check_pixels(path, image.size, limits)
        image.load()
        dpi = metadata_dpi(image.info, limits)
        ready = upright_and_plain(image, _orientation(image))
        if ready is image:
            return (CapturedPage(0, IMAGE_PAGE, path, dpi),)
        # A JPEG's copy stays JPEG (the source is lossy already, and a PNG of a photographed
        # page is several times bigger); a PNG's copy stays lossless.
        if mime == JPEG:
            target = files.save_image(ready, 0, ".jpg", format="JPEG", quality=95, dpi=(dpi, dpi))
        else:
            target = files.save_image(ready, 0, ".png", format="PNG", dpi=(dpi, dpi))
    return (CapturedPage(0, IMAGE_PAGE, target, dpi),)


def capture_tiff(path: Path, limits: CaptureLimits, files: PageFiles) -> tuple[CapturedPage, ...]:
    """Every frame decoded and written as its own single-page TIFF."""
    with path.open("rb") as handle, pillow_errors(path, "una imagen TIFF"):
        image = TiffImagePlugin.TiffImageFile(handle)
        count = image.n_frames
        if count > limits.max_pdf_pages:
            raise UnreadableFile(
                f'El archivo "{path.name}" tiene {count} páginas; el máximo por documento es '
                f"{limits.max_pdf_pages} (ajuste max_pdf_pages). Divídalo en varios documentos.",
                path=path,
                reason="demasiadas_paginas",
                pages=count,
            )
        return tuple(_tiff_frame(path, image, index, limits, files) for index in range(count))


def _tiff_frame(
    path: Path,
    image: TiffImagePlugin.TiffImageFile,
    index: int,
    limits: CaptureLimits,
    files: PageFiles,
) -> CapturedPage:
    with pillow_errors(path, "una imagen TIFF", page=index):
        image.seek(index)
        check_pixels(path, image.size, limits, page=index)
        image.load()
        dpi = metadata_dpi(image.info, limits)
        frame = upright_and_plain(image, _orientation(image))
        # Lossless either way; Group 4 keeps bilevel scans as small as the scanner made them.
        compression = "group4" if frame.mode == "1" else "tiff_adobe_deflate"
        target = files.save_image(
            frame, index, ".tif", format="TIFF", compression=compression, dpi=(dpi, dpi)
        )
    return CapturedPage(index, IMAGE_PAGE, target, dpi)


@contextmanager
def pillow_errors(path: Path, what: str, page: int | None = None) -> Iterator[None]:
    """Turn Pillow's failures into :class:`UnreadableFile` and keep its warnings quiet.

    Its warnings (corrupt EXIF, its own bomb threshold) are not for clerks: a real problem
    surfaces as an exception, and our own size limit has already been applied.
    """
    where = "" if page is None else f" (página {page + 1})"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            yield
        except Image.DecompressionBombError as error:
            limit = (Image.MAX_IMAGE_PIXELS or 0) * 2
            raise UnreadableFile(
                f'La imagen "{path.name}"{where} supera el límite de seguridad de la biblioteca '
                f"de imágenes ({megapixels(limit)}), aunque max_image_megapixels permita más. "
                "Pida una digitalización a menor resolución (300 ppp bastan).",
                path=path,
                reason="imagen_demasiado_grande",
            ) from error
        except DECODE_FAILURES as error:
            raise UnreadableFile(
                f'El archivo "{path.name}" está dañado o incompleto: no se pudo leer como {what}'
                f"{where}. Pida otra copia o vuelva a digitalizar el documento.",
                path=path,
                reason="imagen_danada",
                detail=str(error),
            ) from error


def check_pixels(
    path: Path, size: tuple[int, int], limits: CaptureLimits, page: int | None = None
) -> None:
    """Refuse an image too big to decode safely, before a single pixel is decoded."""
    width, height = size
    if width <= 0 or height <= 0:
        raise UnreadableFile(
            f'La imagen "{path.name}" no tiene tamaño ({width} × {height}).',
            path=path,
            reason="imagen_danada",
        )
    if width * height <= limits.max_image_pixels:
        return
    where = f'La página {page + 1} de "{path.name}"' if page is not None else f'"{path.name}"'
    raise UnreadableFile(
        f"{where} mide {width} × {height} píxeles ({megapixels(width * height)}); el máximo es "
        f"{limits.max_image_megapixels} megapíxeles (ajuste max_image_megapixels). Pida una "
        "digitalización a menor resolución (300 ppp bastan para un documento).",
        path=path,
        reason="imagen_demasiado_grande",
        width=width,
        height=height,
    )


def metadata_dpi(info: Mapping[Any, object], limits: CaptureLimits) -> int:
    """The horizontal resolution the file declares, or ``default_dpi`` when it declares none.

    A value outside what tesseract accepts (0, 1, 72000...) is a broken header, not a scan.
    """
    declared = info.get("dpi")
    try:
        value = float(declared[0])  # type: ignore[index]
    except (TypeError, IndexError, ValueError):
        return limits.fallback_dpi
    if not MIN_DPI <= value <= MAX_DPI:
        return limits.fallback_dpi
    return clamp_dpi(value)


def upright_and_plain(image: Image.Image, orientation: int) -> Image.Image:
    """``image`` itself if tesseract reads it well; else an upright, 8-bit, opaque copy.

    Tesseract ignores EXIF orientation, and reads 16-bit, CMYK and transparent images badly
    (transparent pixels come out black, hiding black text).
    """
    result = image
    if orientation in _UPRIGHT:
        result = result.transpose(_UPRIGHT[orientation])
    if result.mode not in _PLAIN_MODES or "transparency" in result.info:
        result = _eight_bit_opaque(result)
    return result


def _eight_bit_opaque(image: Image.Image) -> Image.Image:
    if image.mode.startswith("I;16"):
        # convert("L") clips 16-bit samples at 255 instead of scaling them: the page turns white.
        return image.convert("I").point(lambda value: value / 256).convert("L")
    if image.mode in ("I", "F"):
        # Single-band images: the extrema are two numbers.
        low, high = cast(tuple[float, float], image.getextrema())
        scale = 255 / (high - low) if high > low else 1
        return image.point(lambda value: value * scale - low * scale).convert("L")
    if "A" in image.mode or "a" in image.mode or "transparency" in image.info:
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", image.size, "white")
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat.convert("L") if image.mode in ("LA", "La", "L") else flat
    return image.convert("RGB")


def _orientation(image: Image.Image) -> int:
    try:
        # A TIFF frame's own tags: getexif() is cached across seek() and would repeat frame 1's.
        if isinstance(image, TiffImagePlugin.TiffImageFile):
            value = image.tag_v2.get(ExifTags.Base.Orientation, 1)
        else:
            value = image.getexif().get(ExifTags.Base.Orientation, 1)
    except DECODE_FAILURES:
        return 1  # a broken EXIF block is no reason to refuse a readable page
    return value if isinstance(value, int) else 1
