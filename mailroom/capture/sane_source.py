"""SANE scanners (Linux, macOS): list them, and scan a page or a whole feeder batch as pages.

``sane`` (python-sane) is imported on first use, so the rest of the app runs where SANE is absent
(Windows) and says so in Spanish only when a scanner is asked for. SANE is initialised once per
process and every call into it goes through one lock: backends are not required to be
re-entrant, and SANE reads its configuration (``SANE_CONFIG_DIR``) only at the first
``sane_init`` — a later ``sane_exit``/``sane_init`` keeps the first folders.

A SANE scan is a bare bitmap: ``dev.scan()`` returns a PIL image with no resolution in it, so
the resolution the device actually accepted travels in :attr:`ScannedPage.dpi`.

Device options are matched by meaning, not by spelling: backends name the same source "ADF",
"Automatic Document Feeder", "ADF Front" or "Automatic Document Feeder(left aligned)", and the
same mode "Gray", "Grayscale" or "True Gray" (see :mod:`mailroom.capture.sane_options`).
"""

from __future__ import annotations

import atexit
import contextlib
import sys
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from PIL import Image

from mailroom.capture.pages import CaptureCancelled, Progress, ScannedPage
from mailroom.capture.sane_errors import (
    NoScanner,
    SaneUnavailable,
    ScannerOptionUnavailable,
    ScannerRefused,
    UnknownScanner,
    translate,
)
from mailroom.capture.sane_options import AppliedSettings, ScanSettings, apply_settings

DEFAULT_RESOLUTION = 300
SCHEME = "sane"
# Said by sane_strstatus(SANE_STATUS_NO_DOCS); libsane does not translate these strings.
_NO_DOCS = "Document feeder out of documents"

_lock = threading.RLock()
_module: ModuleType | None = None


@dataclass(frozen=True)
class Scanner:
    """A device SANE found: ``name`` is what ``sane:<name>`` and ``--scanner`` take."""

    name: str
    vendor: str
    model: str
    type: str


def list_scanners() -> list[Scanner]:
    """Every scanner SANE finds now (USB and network); an empty list when there is none."""
    sane = _sane()
    with _lock:
        try:
            found = sane.get_devices()
        except sane._sane.error as error:
            raise translate(str(error), device="", sheet=0) from error
    return [Scanner(str(n), str(v), str(m), str(t)) for n, v, m, t in found]


class SaneSource:
    """Pages from one SANE scanner: one page from the glass, or every sheet in the feeder.

    ``device`` ``None`` means the first scanner found. ``device_options`` sets backend-specific
    options by their SANE names (``{"swdeskew": 1}`` on a Fujitsu) after ours.
    """

    def __init__(
        self,
        device: str | None = None,
        settings: ScanSettings | None = None,
        *,
        device_options: Mapping[str, object] | None = None,
    ) -> None:
        self.device = device or None
        self.settings = settings or ScanSettings()
        self.device_options = dict(device_options or {})
        self.name = f"{SCHEME}:{self.device or ''}"

    def pages(
        self, *, progress: Progress | None = None, cancel: threading.Event | None = None
    ) -> Iterator[ScannedPage]:
        """Scan until the glass page is done or the feeder is empty. The device is opened on the
        first ``next()`` and always cancelled and closed, however the iteration ends."""
        _check_cancel(cancel, 0)
        device_name = self.device or first_scanner()
        self.name = f"{SCHEME}:{device_name}"
        device = _open(device_name)
        try:
            plan = self._configure(device, device_name)
            yield from _scan(device, device_name, plan, progress, cancel)
        finally:
            _close(device)

    def _configure(self, device: Any, device_name: str) -> AppliedSettings:
        sane = _sane()
        with _lock:
            try:
                applied = apply_settings(device, self.settings, device_name)
                for option, value in self.device_options.items():
                    name = option.replace("-", "_")
                    if name not in device.opt:  # python-sane would keep it as a plain attribute
                        raise AttributeError(f"no tiene la opción {option!r}")
                    setattr(device, name, value)
            except sane._sane.error as error:
                failure = translate(str(error), device=device_name, sheet=0)
                if not isinstance(failure, ScannerRefused):
                    raise failure from error
                raise self._refused(device_name, str(error)) from error
            except (AttributeError, TypeError) as error:  # python-sane: inactive or wrong type
                raise self._refused(device_name, str(error)) from error
        return applied

    def _refused(self, device_name: str, why: str) -> ScannerOptionUnavailable:
        wanted = self.settings
        return ScannerOptionUnavailable(
            f'El escáner "{device_name}" no aceptó la configuración pedida (origen '
            f"{wanted.source}, modo {wanted.mode}, {wanted.resolution} ppp): {why}.",
            device=device_name,
        )


def _scan(
    device: Any,
    device_name: str,
    plan: AppliedSettings,
    progress: Progress | None,
    cancel: threading.Event | None,
) -> Iterator[ScannedPage]:
    sane = _sane()
    side = 0
    while True:
        _check_cancel(cancel, side)
        try:
            # No progress callback into snap(): python-sane decrefs the callback's result
            # without a NULL check, so a Ctrl-C landing inside it would crash the process.
            # A feeder batch must not be cancelled between sheets (no_cancel), or many
            # backends stop feeding after the first one.
            with _lock:
                try:
                    device.start()
                    image = device.snap(plan.feeder)
                finally:
                    ignore_sigpipe()
        except sane._sane.error as error:
            if plan.feeder and side > 0 and str(error) == _NO_DOCS:
                return  # the feeder ran out: the batch is complete
            raise translate(str(error), device=device_name, sheet=_sheet(side + 1, plan)) from error
        side += 1
        yield ScannedPage(_with_dpi(image, plan.dpi), plan.dpi, _origin(device_name, side, plan))
        if progress is not None:
            progress(side, None)
        if not plan.feeder:
            return


def _origin(device_name: str, side: int, plan: AppliedSettings) -> str:
    where = f"{SCHEME}:{device_name}, hoja {_sheet(side, plan)}"
    if plan.duplex:
        where += " (anverso)" if side % 2 else " (reverso)"
    return where


def _sheet(side: int, plan: AppliedSettings) -> int:
    return (side + 1) // 2 if plan.duplex else side


def _with_dpi(image: Image.Image, dpi: int) -> Image.Image:
    # ScannedPage.dpi is what counts; the copy in info only helps whoever saves the image.
    image.info["dpi"] = (dpi, dpi)
    return image


def _check_cancel(cancel: threading.Event | None, sides: int) -> None:
    if cancel is not None and cancel.is_set():
        raise CaptureCancelled(
            f"Se canceló la digitalización después de {sides} página(s).",
            pages=sides,
        )


def first_scanner() -> str:
    scanners = list_scanners()
    if not scanners:
        raise NoScanner(no_scanner_message())
    return scanners[0].name


def _open(device_name: str) -> Any:
    sane = _sane()
    with _lock:
        try:
            return sane.open(device_name)
        except sane._sane.error as error:
            failure = translate(str(error), device=device_name, sheet=0)
    # "Invalid argument" from sane_open is how SANE says "no such device"; tell the clerk which
    # devices there are instead.
    if isinstance(failure, ScannerRefused):
        names = [scanner.name for scanner in list_scanners()]
        if not names:
            raise NoScanner(no_scanner_message(), device=device_name)
        if device_name in names:
            raise failure
        raise UnknownScanner(
            f'No se encontró el escáner "{device_name}". Escáneres disponibles: '
            f"{', '.join(names)} (véalos con «oficialia scanners»).",
            device=device_name,
        )
    raise failure


def _close(device: Any) -> None:
    # cancel ends a feeder batch cleanly, so the next scan starts afresh; the device is closed
    # whatever cancel says, and nothing a clerk could do follows from a failed close.
    with _lock:
        with contextlib.suppress(Exception):
            device.cancel()
        with contextlib.suppress(Exception):
            device.close()
        ignore_sigpipe()


def ignore_sigpipe() -> int | None:
    """Put SIGPIPE back to "ignore"; returns the disposition found (0 default, 1 ignore).

    libsane's reader thread (sanei_thread) sets SIGPIPE to its default action while scanning.
    Python ignores it and reports a closed socket as an exception; left at default, the next
    write to a connection the server closed (sync, OCSP) kills the whole process silently.
    Done through libc because Python's signal.signal() only works on the main thread, and
    scans run on worker threads."""
    if sys.platform.startswith("win"):
        return None
    import ctypes
    import signal

    libc = ctypes.CDLL(None)
    libc.signal.restype = ctypes.c_void_p
    libc.signal.argtypes = [ctypes.c_int, ctypes.c_void_p]
    previous = libc.signal(int(signal.SIGPIPE), ctypes.c_void_p(1))  # 1 is SIG_IGN
    return int(previous or 0)


def no_scanner_message() -> str:
    return (
        "No se encontró ningún escáner. Revise que esté encendido y conectado (cable USB o "
        "red), que el usuario tenga permiso de usarlo (grupo «scanner» en Linux) y que "
        "«scanimage -L» lo vea; un escáner de red puede necesitar el paquete sane-airscan."
    )


def _sane() -> ModuleType:
    """The python-sane module, initialised once per process."""
    global _module
    with _lock:
        if _module is not None:
            return _module
        try:
            import sane
        except ImportError as error:
            raise SaneUnavailable(_unavailable_message()) from error
        try:
            sane.init()
        except sane._sane.error as error:
            raise SaneUnavailable(
                f"No se pudo iniciar SANE (el sistema de escáneres): {error}. Revise la "
                "instalación de libsane."
            ) from error
        atexit.register(sane.exit)
        _module = sane
        return sane


def _unavailable_message() -> str:
    if sys.platform.startswith("win"):
        return (
            "En Windows no hay SANE: digitalice a una carpeta (folder:CARPETA) o importe los "
            "archivos (file:ARCHIVO)."
        )
    from mailroom.resources import frozen

    if frozen():  # the bundle carries python-sane; the system's libsane1 is missing
        return (
            "No se encontró SANE en este equipo (la biblioteca libsane). Instálela con «sudo "
            "apt-get install libsane1 sane-utils» o digitalice a una carpeta."
        )
    return (
        "Falta el módulo python-sane para usar escáneres. Instálelo con «make setup» (necesita "
        "los paquetes libsane-dev, gcc y python3-dev) o digitalice a una carpeta."
    )
