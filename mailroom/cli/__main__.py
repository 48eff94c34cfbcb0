"""``python -m mailroom.cli …``: the same as the ``oficialia`` command (the same entry point, so
the same start-up: warnings filtered, temporary files swept)."""

from __future__ import annotations

import sys

from mailroom.entry import main

sys.exit(main())
