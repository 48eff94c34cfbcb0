"""Capture: turning what a clerk brings (files, scanners, folders, cameras) into a validated
document whose pages are ready for storage and OCR.

The names below load on first use (:mod:`mailroom.lazy`): importing a light submodule (the
scanner's option names, its errors) must not load the image and PDF stacks ``capture_file``
needs; a command that only builds its parser would pay ~70 ms for them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mailroom.lazy import lazy_exports

if TYPE_CHECKING:
    from mailroom.capture.files import capture_file
    from mailroom.capture.results import CapturedDocument, CapturedPage, CaptureLimits
    from mailroom.capture.sniff import ACCEPTED_MIMES, sniff_mime

_HOMES = {
    "ACCEPTED_MIMES": "mailroom.capture.sniff",
    "CaptureLimits": "mailroom.capture.results",
    "CapturedDocument": "mailroom.capture.results",
    "CapturedPage": "mailroom.capture.results",
    "capture_file": "mailroom.capture.files",
    "sniff_mime": "mailroom.capture.sniff",
}
__all__ = [
    "ACCEPTED_MIMES",
    "CaptureLimits",
    "CapturedDocument",
    "CapturedPage",
    "capture_file",
    "sniff_mime",
]
__getattr__ = lazy_exports(__name__, _HOMES)
