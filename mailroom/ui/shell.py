"""What both desktop apps (the clerk's and the kiosk) need before any screen: the one
``QApplication`` with the Spanish translations, and whether there is a display at all.

Shared Qt building blocks live beside it (``tasks``, ``pdf_view``, ``i18n``); the kiosk imports
those and never the clerk's screens (``tests/test_architecture.py``).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from PySide6.QtWidgets import QApplication

from mailroom.ui.i18n import install_translations


def has_display() -> bool:
    """False on a Linux machine with no X or Wayland session (and no platform chosen)."""
    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def platform_plugin_problem() -> str | None:
    """Why Qt could not open a window here, in Spanish, or None. Without its platform plugin
    Qt prints an English line and aborts the process; a damaged or half-copied installation
    should say instead what is wrong and what to do."""
    from PySide6.QtCore import QLibraryInfo

    wanted = [
        name.split(":")[0].strip()
        for name in os.environ.get("QT_QPA_PLATFORM", "").split(";")
        if name.split(":")[0].strip()
    ]
    if not wanted:
        if sys.platform == "win32":
            wanted = ["windows"]
        elif sys.platform == "darwin":
            wanted = ["cocoa"]
        else:
            wanted = ["xcb", "wayland"]
    folders = [Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.PluginsPath)) / "platforms"]
    folders += [
        Path(p) for p in os.environ.get("QT_QPA_PLATFORM_PLUGIN_PATH", "").split(os.pathsep) if p
    ]
    if any(platform_plugin(folder, name) for folder in folders for name in wanted):
        return None
    return (
        f"No se encontró el complemento de Qt para la pantalla ({', '.join(wanted)}) en "
        f"{folders[0]}. La instalación de Oficialía está incompleta o dañada: reinstálela."
    )


def platform_plugin(folder: Path, name: str) -> Path | None:
    """Qt's platform plugin ``name`` (xcb, wayland, windows, offscreen) in ``folder``."""
    for file_name in (f"libq{name}.so", f"q{name}.dll", f"libq{name}.dylib"):
        if (folder / file_name).is_file():
            return folder / file_name
    return None


def application() -> QApplication:
    app = QApplication.instance()
    if app is None:
        app = QApplication(sys.argv[:1])
        app.setApplicationName("Oficialía")
        app.setOrganizationName("Oficialía")
        install_translations(app)
    assert isinstance(app, QApplication)
    return app
