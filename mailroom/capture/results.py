"""What capturing a file yields, and the limits a capture is held to."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from mailroom.models import PageSource
from mailroom.ocr.engine import MAX_DPI, MIN_DPI

if TYPE_CHECKING:
    from mailroom.config import Settings

IMAGE_PAGE = PageSource.IMAGEN.value
TEXT_PAGE = PageSource.TEXTO.value

_MEGABYTE = 1024 * 1024
_MEGAPIXEL = 1_000_000


@dataclass(frozen=True)
class CaptureLimits:
    """How big a file, a page image and a document may be; each refusal names its setting."""

    max_pdf_pages: int = 2000
    max_image_megapixels: int = 120
    max_file_megabytes: int = 512
    default_dpi: int = 300

    @classmethod
    def from_settings(cls, settings: Settings) -> CaptureLimits:
        return cls(
            max_pdf_pages=settings.max_pdf_pages,
            max_image_megapixels=settings.max_image_megapixels,
            max_file_megabytes=settings.max_file_megabytes,
            default_dpi=settings.default_dpi,
        )

    @property
    def max_image_pixels(self) -> int:
        return self.max_image_megapixels * _MEGAPIXEL

    @property
    def max_file_bytes(self) -> int:
        return self.max_file_megabytes * _MEGABYTE

    @property
    def fallback_dpi(self) -> int:
        """``default_dpi``, kept inside the range tesseract honours."""
        return clamp_dpi(self.default_dpi)


@dataclass(frozen=True)
class CapturedPage:
    index: int
    """0-based page number in the document."""
    source: str
    """``"imagen"`` (goes through OCR) or ``"texto"`` (a PDF page with a real text layer)."""
    image_path: Path | None
    """For ``"imagen"``: a JPEG, PNG or TIFF tesseract reads as is — a file inside the work
    folder, or the original file itself for an upright single-page JPEG or PNG."""
    dpi: int | None
    """Resolution of ``image_path``, always within what tesseract accepts."""


@dataclass(frozen=True)
class CapturedDocument:
    path: Path
    """The original file, exactly as the caller named it."""
    filename: str
    mime: str
    size: int
    sha256: str
    """Of the original bytes."""
    pages: tuple[CapturedPage, ...]


def clamp_dpi(dpi: float) -> int:
    """A resolution tesseract will honour; outside its range it silently picks another."""
    return max(MIN_DPI, min(MAX_DPI, round(dpi)))


def megabytes(size: int) -> str:
    """A byte count as people read it in messages ("3.2 MB")."""
    return f"{size / _MEGABYTE:.1f} MB"


def megapixels(pixels: int) -> str:
    return f"{pixels / _MEGAPIXEL:.1f} megapíxeles"
