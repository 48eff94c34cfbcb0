"""The version this build reports (``oficialia --version``).

A packaged build reads ``resources/VERSION``, which the bundle's build writes and a package's
build may stamp again (the .deb's version is the one an admin sees in apt). A run from source or
from a wheel reads the installed distribution's metadata, else ``pyproject.toml``.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from mailroom.resources import frozen, resource_dir

DISTRIBUTION = "oficialia"


@cache
def version() -> str:
    if frozen():
        try:
            return (resource_dir("VERSION")).read_text(encoding="utf-8").strip() or "desconocida"
        except OSError:
            return "desconocida"
    from importlib import metadata

    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        pass
    pyproject = Path(__file__).resolve().parents[1] / "pyproject.toml"
    try:
        found = re.search(r'^version\s*=\s*"([^"]+)"', pyproject.read_text("utf-8"), re.M)
    except OSError:
        found = None
    return found.group(1) if found else "desconocida"
