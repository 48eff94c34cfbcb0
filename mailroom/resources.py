"""Where the shipped, read-only files are: the trust bundle, the privacy notices, the kiosk's
translations, the fonts the acuse and the seal embed.

Three places, in this order: inside a PyInstaller bundle (``sys._MEIPASS/resources``), the
source tree (``resources/`` beside the packages), or an installed wheel
(``<prefix>/share/oficialia``). The app only reads them; anything it writes goes to the data
folder, because an installed build's folder (``/opt/oficialia``, Program Files) is not writable.
"""

from __future__ import annotations

import sys
from pathlib import Path

_SOURCE_TREE = Path(__file__).resolve().parents[1] / "resources"


def frozen() -> bool:
    """Whether this is a packaged build (PyInstaller), not a run from source or from a wheel."""
    return bool(getattr(sys, "frozen", False)) and hasattr(sys, "_MEIPASS")


def resources_root() -> Path:
    if frozen():
        return Path(sys._MEIPASS) / "resources"  # type: ignore[attr-defined]
    if _SOURCE_TREE.is_dir():
        return _SOURCE_TREE
    return Path(sys.prefix) / "share" / "oficialia"


def resource_dir(name: str) -> Path:
    """``resources/<name>`` wherever this build keeps it."""
    return resources_root() / name


def font_file(name: str) -> Path:
    """One of the DejaVu faces shipped in ``resources/fonts`` (the same bytes on every system,
    so an acuse comes out the same on Linux and Windows)."""
    return resource_dir("fonts") / name
