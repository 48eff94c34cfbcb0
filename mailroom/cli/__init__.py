"""The ``oficialia`` command line: :func:`main` and :func:`build_parser` (in
:mod:`mailroom.cli.program`), one module per command group.

Both names are resolved on first use: ``oficialia mailroom`` imports ``mailroom.cli.app`` alone
(through ``mailroom.entry``) and must not pay for the parser of every other command.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mailroom.cli.program import build_parser, main

__all__ = ["build_parser", "main"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from mailroom.cli import program

        return getattr(program, name)
    raise AttributeError(f"module 'mailroom.cli' has no attribute {name!r}")
