"""The reference backend of the sync protocol (FastAPI under uvicorn, SQLite and a blob folder).

Start it with ``oficialia serve-backend --data-dir D``; tests use ``tests/backend_server.py``.
Importing this package needs the ``server`` extra (fastapi, uvicorn) only for :mod:`.app` and
:mod:`.serve`; the storage modules need neither.
"""

from __future__ import annotations

from sync.server.backend import Backend, BackendConfig

__all__ = ["Backend", "BackendConfig"]
