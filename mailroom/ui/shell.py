"""What both desktop apps (the clerk's and the kiosk) need before any screen: the one
``QApplication`` with the Spanish translations, and whether there is a display at all.

Shared Qt building blocks live beside it (``tasks``, ``pdf_view``, ``i18n``); the kiosk imports
those and never the clerk's screens (``tests/test_architecture.py``).
"""

from __future__ import annotations

import os
import sys

from PySide6.QtWidgets import QApplication

from mailroom.ui.i18n import install_translations


def has_display() -> bool:
    """False on a Linux machine with no X or Wayland session (and no platform chosen)."""
    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def application() -> QApplication:
    app = QApplication.instance()
    if app is None:
        app = QApplication(sys.argv[:1])
        app.setApplicationName("Oficialía")
        app.setOrganizationName("Oficialía")
        install_translations(app)
    assert isinstance(app, QApplication)
    return app
