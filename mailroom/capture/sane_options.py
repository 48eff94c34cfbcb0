"""Setting a SANE device's source, mode and resolution by meaning, whatever the backend calls them.

Backends spell the same thing many ways: the feeder is "ADF", "ADF Front", "Automatic Document
Feeder" or "Automatic Document Feeder(left aligned)"; duplex is a source of its own ("ADF
Duplex", "Duplex") or a second option (epson2's ``adf-mode``); lineart is a mode ("Lineart",
"Binary", "Black & White") or, on some devices (SANE's ``test``), gray at 1 bit. The values are
matched by key words, never by exact spelling, and an absent capability is said in Spanish with
what the device does offer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from mailroom.capture.sane_errors import ScannerOptionUnavailable
from mailroom.errors import InvalidInput
from mailroom.ocr.engine import MIN_DPI

MODES = ("gris", "color", "lineal")
SOURCES = ("plano", "adf", "duplex")
MAX_SCAN_DPI = 1200
# SANE_Value_Type numbers, fixed by the SANE standard.
_TYPE_BOOL, _TYPE_INT, _TYPE_FIXED = 0, 1, 2

_FEEDER_WORDS = ("adf", "feeder", "automatic document", "alimentador", "sheetfed", "sheet feed")
_FLATBED_WORDS = ("flatbed", "platen", "glass", "document table", "cristal")
_MODE_WORDS = {
    "gris": ("gray", "grey", "gris"),
    "color": ("color", "colour"),
    "lineal": ("lineart", "line art", "binary", "black & white", "black and white", "monochrome"),
}


@dataclass(frozen=True)
class ScanSettings:
    """What the clerk asks for; :func:`apply_settings` finds the device's words for it."""

    resolution: int = 300
    mode: str = "gris"
    source: str = "plano"

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise InvalidInput(
                f"Modo de digitalización desconocido: {self.mode!r}; use {', '.join(MODES)}.",
                field="modo",
            )
        if self.source not in SOURCES:
            raise InvalidInput(
                f"Origen desconocido: {self.source!r}; use {', '.join(SOURCES)}.", field="origen"
            )
        if not MIN_DPI <= self.resolution <= MAX_SCAN_DPI:
            raise InvalidInput(
                f"La resolución debe estar entre {MIN_DPI} y {MAX_SCAN_DPI} ppp (se pidió "
                f"{self.resolution}); 300 ppp bastan para un documento.",
                field="resolucion",
            )


@dataclass(frozen=True)
class AppliedSettings:
    dpi: int
    """The resolution the device accepted (it may round what was asked)."""
    feeder: bool
    """Sheets come from a feeder: scan until it is empty."""
    duplex: bool


def apply_settings(device: Any, wanted: ScanSettings, device_name: str) -> AppliedSettings:
    """Set source, then mode and depth, then resolution (a source or mode can change which
    resolutions are allowed). Raises :class:`ScannerOptionUnavailable`."""
    feeder, duplex = _apply_source(device, wanted.source, device_name)
    _apply_mode(device, wanted.mode, device_name)
    dpi = _apply_resolution(device, wanted.resolution, device_name)
    return AppliedSettings(dpi=dpi, feeder=feeder, duplex=duplex)


def describe_sources(device: Any) -> str:
    values = _choices(device, "source")
    return ", ".join(values) if values else "solo el cristal"


def _apply_source(device: Any, source: str, device_name: str) -> tuple[bool, bool]:
    values = _choices(device, "source")
    if not values:
        if source == "plano":
            return False, False  # no source option: a plain flatbed
        raise _unavailable(device_name, f"no tiene alimentador automático{_offers(device)}")
    feeders = [v for v in values if _has(v, _FEEDER_WORDS) and not _is_back_or_duplex(v)]
    flatbeds = [v for v in values if _has(v, _FLATBED_WORDS)]
    if source == "plano":
        if flatbeds:
            _set(device, "source", flatbeds[0])
            return False, False
        # A sheet-fed scanner has no glass: its feeder is the only way in.
        source = "adf" if feeders else source
    if source == "adf":
        if not feeders:
            raise _unavailable(device_name, f"no tiene alimentador automático{_offers(device)}")
        front = [v for v in feeders if "front" in v.lower()] or feeders
        _set(device, "source", front[0])
        return True, False
    duplexes = [v for v in values if "duplex" in v.lower()]
    if duplexes:
        _set(device, "source", duplexes[0])
        return True, True
    # epson2 and a few others: the feeder source plus a separate simplex/duplex switch.
    if feeders and _set_duplex_switch(device, feeders[0]):
        return True, True
    raise _unavailable(device_name, f"no digitaliza por ambos lados{_offers(device)}")


def _set_duplex_switch(device: Any, feeder: str) -> bool:
    for name in ("adf_mode", "duplex"):
        option = _option(device, name)
        if option is None:
            continue
        if option.type == _TYPE_BOOL:
            _set(device, "source", feeder)
            _set(device, name, 1)
            return True
        duplex = [v for v in _choices(device, name) if "duplex" in v.lower()]
        if duplex:
            _set(device, "source", feeder)
            _set(device, name, duplex[0])
            return True
    return False


def _apply_mode(device: Any, mode: str, device_name: str) -> None:
    values = _choices(device, "mode")
    if not values:
        return  # a device with a single mode
    matches = [v for v in values if _has(v, _MODE_WORDS[mode]) and "16" not in v]
    if mode == "gris":  # "Gray" before "Gray (halftone)"-like variants
        matches.sort(key=lambda v: v.lower().strip() not in ("gray", "grey", "grayscale"))
    if matches:
        _set(device, "mode", matches[0])
        _set_depth(device, 1 if mode == "lineal" else 8)
        return
    grays = [v for v in values if _has(v, _MODE_WORDS["gris"])]
    # SANE's own convention (and the test backend's): lineart is gray at one bit per sample.
    if mode == "lineal" and grays and 1 in _choices(device, "depth"):
        _set(device, "mode", grays[0])
        _set_depth(device, 1)
        return
    raise _unavailable(
        device_name, f"no digitaliza en modo {mode}; modos que ofrece: {', '.join(values)}"
    )


def _set_depth(device: Any, depth: int) -> None:
    if depth in _choices(device, "depth"):
        _set(device, "depth", depth)


def _apply_resolution(device: Any, wanted: int, device_name: str) -> int:
    names = ["resolution"] if _option(device, "resolution") else ["x_resolution", "y_resolution"]
    chosen = wanted
    for name in names:
        option = _option(device, name)
        if option is None:
            continue  # the device scans at one fixed resolution we cannot know: trust the ask
        chosen = _nearest(option.constraint, wanted)
        _set(device, name, float(chosen) if option.type == _TYPE_FIXED else int(chosen))
        chosen = _read_back(device, name, option.constraint, chosen)
    if chosen < MIN_DPI:
        raise _unavailable(
            device_name,
            f"no digitaliza a {wanted} ppp (lo más cercano que ofrece es {chosen} ppp, poco "
            f"para leer el texto; se necesitan al menos {MIN_DPI})",
        )
    return chosen


def _nearest(constraint: Any, wanted: int) -> int:
    if isinstance(constraint, tuple) and len(constraint) == 3:
        low, high, step = constraint
        value = min(max(wanted, low), high)
        if step:
            value = low + round((value - low) / step) * step
        return round(min(value, high))
    if isinstance(constraint, list) and constraint:
        numbers = [n for n in constraint if isinstance(n, int | float)]
        if numbers:
            return round(min(numbers, key=lambda n: (abs(n - wanted), -n)))
    return wanted


def _read_back(device: Any, name: str, constraint: Any, chosen: int) -> int:
    """What the device says it will use; some backends round a value they accept."""
    try:
        actual = float(getattr(device, name))
    except (AttributeError, TypeError, ValueError):
        return chosen
    if _nearest(constraint, round(actual)) != round(actual) or actual < 1:
        return chosen  # a nonsense answer (the test backend reports 0.0008 before a set)
    return round(actual)


def _option(device: Any, name: str) -> Any:
    option = device.opt.get(name)
    if option is None or not option.is_active() or not option.is_settable():
        return None
    return option


def _choices(device: Any, name: str) -> Sequence[Any]:
    option = _option(device, name)
    if option is None or not isinstance(option.constraint, list):
        return []
    return list(option.constraint)


def _set(device: Any, name: str, value: Any) -> None:
    if getattr(device, name, None) != value:
        setattr(device, name, value)


def _has(value: str, words: Sequence[str]) -> bool:
    lowered = value.lower()
    return any(word in lowered for word in words)


def _is_back_or_duplex(value: str) -> bool:
    lowered = value.lower()
    return "duplex" in lowered or "back" in lowered or "rear" in lowered


def _offers(device: Any) -> str:
    return f"; orígenes que ofrece: {describe_sources(device)}"


def _unavailable(device_name: str, what: str) -> ScannerOptionUnavailable:
    return ScannerOptionUnavailable(f'El escáner "{device_name}" {what}.', device=device_name)
