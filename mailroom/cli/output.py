"""How commands print: JSON for ``--json`` and the OCR progress line on stderr."""

from __future__ import annotations

import dataclasses
import json
import sys
from enum import Enum
from typing import Any


def print_json(value: Any) -> None:
    print(json.dumps(plain(value), ensure_ascii=False, indent=2, default=str))


def plain(value: Any) -> Any:
    """``value`` with dataclasses, tuples and enums turned into what JSON holds."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {k: plain(v) for k, v in dataclasses.asdict(value).items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, Enum):
        return value.value
    return value


def report_ocr_progress(progress: Any) -> None:
    """One line on stderr, rewritten in place, while the OCR queue empties."""
    print(
        f"\rOCR {progress.pages_done + progress.pages_failed}/{progress.pages_total}",
        end="",
        file=sys.stderr,
        flush=True,
    )
    if progress.finished:
        print(file=sys.stderr)
