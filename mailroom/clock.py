"""Time, behind an interface: the acuse's time decides legal deadlines, so tests must control it."""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """An aware datetime in the office's zone."""
        ...


class SystemClock:
    def __init__(self, zone: tzinfo) -> None:
        self._zone = zone

    def now(self) -> datetime:
        return datetime.now(self._zone).replace(microsecond=0)


class FixedClock:
    """For tests: always the same instant (or advance it by hand)."""

    def __init__(self, instant: datetime) -> None:
        if instant.tzinfo is None:
            raise ValueError("FixedClock needs an aware datetime")
        self.instant = instant

    def now(self) -> datetime:
        return self.instant
