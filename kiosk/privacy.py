"""The privacy notice the kiosk shows before it takes any personal data: the Qt-free core now
lives in :mod:`mailroom.privacy` (the counter prints it and the admin edits it too); these names
stay for the kiosk's tools."""

from __future__ import annotations

from mailroom.privacy import (
    FULL_FILE,
    MAX_NOTICE_BYTES,
    OFFICE_FOLDER,
    SHORT_FILE,
    PrivacyNotice,
    load_notice,
    shipped_dir,
)

__all__ = [
    "FULL_FILE",
    "MAX_NOTICE_BYTES",
    "OFFICE_FOLDER",
    "SHORT_FILE",
    "PrivacyNotice",
    "load_notice",
    "shipped_dir",
]
