"""The one shape every capture source yields: a page image with its resolution and origin.

Scanners (SANE), the watched folder and plain files all produce ``ScannedPage``s through a
``PageSource``; clean-up, separator detection and batch splitting work on them without knowing
where they came from, so the clerk app and the kiosk share the same pipeline.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Protocol

from PIL import Image

from mailroom.errors import OficialiaError

Progress = Callable[[int, int | None], None]
"""Called after each page: (pages so far, total when the source knows it, else None)."""


@dataclass(frozen=True)
class ScannedPage:
    image: Image.Image
    dpi: int
    """The resolution the page was captured at. A SANE scan carries none in the image itself:
    the source must set it, or OCR silently degrades."""
    origin: str
    """Where the page came from, for people: "sane:test:0, hoja 3", "/srv/escaner/a.pdf, p. 2"."""


class CaptureCancelled(OficialiaError):
    """The clerk cancelled a capture; pages already yielded stay with the caller."""

    code = "captura_cancelada"
    exit_code = 130


class PageSource(Protocol):
    """A named place pages come from (``sane:test:0``, ``folder:/srv/escaner``, ``file:/x.pdf``)."""

    name: str

    def pages(
        self, *, progress: Progress | None = None, cancel: threading.Event | None = None
    ) -> Iterator[ScannedPage]:
        """Yield pages as they arrive. Checks ``cancel`` between pages and raises
        ``CaptureCancelled`` when it is set; reports each page to ``progress``."""
        ...


@dataclass(frozen=True)
class CaptureReport:
    """What the capture did to a scanned batch before registration, kept with the filing (the
    fojas check and the audit event say it): the source, the pages removed as blank, and the
    pages a person should look at (a near-blank page: one word or only a signature)."""

    source: str
    scanned_pages: int
    """Sheets' sides that came out of the source for this filing, separator sheets excluded."""
    blank_removed: tuple[int, ...] = ()
    """1-based positions (in the scanned order) of the pages removed as blank."""
    review_pages: tuple[int, ...] = ()
    """1-based positions, in the registered document, of near-blank pages kept for review."""
