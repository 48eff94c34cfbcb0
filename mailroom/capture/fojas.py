"""Declared fojas against scanned pages: the check the clerk sees before registering.

The citizen declares how many fojas the escrito has; the scan says how many pages it kept. Blank
sides the capture removed are named, because "4 pages for 5 fojas" reads very differently when
one blank back was left out. The comparison counts the pages kept, as registration does
(``Filing.fojas_match``), and both figures go on the acuse.
"""

from __future__ import annotations

from dataclasses import dataclass

from mailroom.capture.pages import CaptureReport
from mailroom.errors import InvalidInput


@dataclass(frozen=True)
class FojasCheck:
    declared: int | None
    scanned: int
    """Pages kept for the document (blank sides removed)."""
    blank_removed: int
    difference: int | None
    """``scanned - declared``: negative when pages are missing; ``None`` when none were declared."""

    @property
    def matches(self) -> bool | None:
        return None if self.difference is None else self.difference == 0

    def message(self) -> str:
        """For the clerk, e.g. "Se declararon 5 fojas y se digitalizaron 4 páginas (1 en blanco
        retirada): falta 1."."""
        scanned = f"{_count(self.scanned, 'página', 'páginas')}{self._removed()}"
        if self.declared is None or self.difference is None:
            return f"No se declararon fojas; se digitalizaron {scanned}."
        declared = _count(self.declared, "foja", "fojas")
        said = f"Se {'declaró' if self.declared == 1 else 'declararon'} {declared} y se "
        said += f"{'digitalizó' if self.scanned == 1 else 'digitalizaron'} {scanned}"
        if self.difference == 0:
            return f"{said}: coinciden."
        gap = abs(self.difference)
        if self.difference < 0:
            return f"{said}: {'falta' if gap == 1 else 'faltan'} {gap}."
        return f"{said}: {'sobra' if gap == 1 else 'sobran'} {gap}."

    def _removed(self) -> str:
        if not self.blank_removed:
            return ""
        plural = "s" if self.blank_removed != 1 else ""
        return f" ({self.blank_removed} en blanco retirada{plural})"


def check_fojas(declared: int | None, report: CaptureReport) -> FojasCheck:
    if declared is not None and (isinstance(declared, bool) or declared < 0):
        raise InvalidInput(
            f"Las fojas declaradas deben ser un número de 0 en adelante, no {declared}.",
            field="fojas_declared",
        )
    removed = len(report.blank_removed)
    if removed > report.scanned_pages:
        raise InvalidInput(
            f"El informe de captura dice {removed} páginas en blanco retiradas de "
            f"{report.scanned_pages} digitalizadas; vuelva a digitalizar el escrito.",
            field="capture",
        )
    scanned = report.scanned_pages - removed
    difference = None if declared is None else scanned - declared
    return FojasCheck(declared, scanned, removed, difference)


def _count(number: int, singular: str, plural: str) -> str:
    return f"{number} {singular if number == 1 else plural}"
