"""Package exports that load on first use.

A package's ``__init__`` that imports its heavy modules makes every import of any of its
submodules pay for them (Python runs the parent's ``__init__`` first). The packages that curate
their exports this way resolve each name the first time it is asked for instead.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(package: str, homes: Mapping[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` for ``package`` that finds each exported name in its home module
    (``homes`` maps name → module)."""

    def resolve(name: str) -> Any:
        home = homes.get(name)
        if home is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(home), name)

    return resolve
