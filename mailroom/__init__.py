"""Oficialía's headless core: filings, folios, the local store, intake, OCR and search.

Nothing here imports Qt; the clerk's desktop lives in ``mailroom.ui``.
"""

from __future__ import annotations

__version__ = "0.1.0"
