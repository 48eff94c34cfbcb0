"""``python -m mailroom.samples [--out DIR] [--force]``."""

from __future__ import annotations

import sys

from mailroom.samples.generate import main

sys.exit(main())
