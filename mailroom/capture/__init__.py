"""Capture: turning what a clerk brings (files today; scanners, folders and cameras next) into a
validated document whose pages are ready for storage and OCR."""

from __future__ import annotations

from mailroom.capture.files import capture_file
from mailroom.capture.results import CapturedDocument, CapturedPage, CaptureLimits
from mailroom.capture.sniff import ACCEPTED_MIMES, sniff_mime

__all__ = [
    "ACCEPTED_MIMES",
    "CaptureLimits",
    "CapturedDocument",
    "CapturedPage",
    "capture_file",
    "sniff_mime",
]
