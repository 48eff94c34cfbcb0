"""The kiosk's 80 mm thermal receipt printer (ESC/POS over TCP, USB or serial), without Qt.

Two rules shape this module:

* The receipt goes to the printer as one raster image (``GS v 0``), never as text. Text goes
  through the printer's own code pages, and which of them has «ñ», «á» or «¿», under which
  number, differs from model to model: an office called «Oficialía de Partes de Peñón» would
  come out as «Oficial?a de Partes de Pe?on». An image prints the same on every printer.
* No answer never means "fine". python-escpos 3.1 reports plenty of paper when the printer
  answers nothing (``Escpos.paper_status`` returns 2 for an empty read), so its helpers are not
  used for the verdict: silence, a refused connection or bytes that are not a status answer all
  give ``SIN_RESPUESTA``, which cannot print. Better a citizen told before starting that no
  ticket will come out than one who finds out at the end.

The status is what a real printer says in real time, whatever is waiting in its buffer:
``DLE EOT 1`` (printer: offline bit), ``2`` (offline cause: cover open, paper end, error),
``4`` (roll sensor: near end, end) and ``3`` (error cause) when ``2`` reports an error. Every
answer has the fixed bits 0x12, which is how an answer is told from stray bytes. After a print,
``GS r 1`` (the paper sensor again, but *not* real time) is only answered once everything sent
before it has printed: waiting for it is waiting for the printout, and a printer that stopped
half way (paper out, cover opened) never answers it; the real-time status then says why.
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from PIL import Image

from kiosk.ticket import RECEIPT_WIDTH_PX
from kiosk.wording import QT_TRANSLATE_NOOP
from mailroom.errors import OficialiaError

log = logging.getLogger(__name__)

DEFAULT_TCP_PORT = 9100
DEFAULT_BAUD = 9600  # python-escpos's default too; most serial receipt printers ship at 9600
# The printer model python-escpos is told: any Epson-compatible 80 mm one, 576 dots wide. Only
# its width matters here (python-escpos refuses wider images; an unknown width makes it print a
# warning to stdout on every image).
ESCPOS_PROFILE = "TM-T20II"
# To bound the wait for a printout: 203 dots per inch, and no receipt printer slower than this.
DOTS_PER_MM = 8
SLOWEST_MM_PER_SECOND = 50
POLL_SECONDS = 0.25  # while a receipt prints, how often the real-time status is asked
MAX_PENDING_BYTES = 1024  # a peer that chatters is not kept in memory

DLE_EOT = b"\x10\x04"
PAPER_SENSOR_IN_ORDER = b"\x1dr\x01"  # GS r 1


class PrinterState(StrEnum):
    LISTA = "lista"
    POCO_PAPEL = "poco_papel"
    SIN_PAPEL = "sin_papel"
    TAPA_ABIERTA = "tapa_abierta"
    FUERA_DE_LINEA = "fuera_de_linea"
    SIN_RESPUESTA = "sin_respuesta"
    SIN_IMPRESORA = "sin_impresora"


_CITIZEN_MESSAGES = {  # the Spanish source of each; a screen translates it (context below)
    PrinterState.LISTA: "",
    PrinterState.POCO_PAPEL: "",  # it still prints: nothing for the citizen to do
    PrinterState.SIN_PAPEL: QT_TRANSLATE_NOOP("TicketPrinter",
        "La impresora de tickets no tiene papel. Puede entregar su escrito; al final anote o "
        "fotografíe su folio.").source,
    PrinterState.TAPA_ABIERTA: QT_TRANSLATE_NOOP("TicketPrinter",
        "La impresora de tickets tiene la tapa abierta. Puede entregar su escrito; al final "
        "anote o fotografíe su folio.").source,
    PrinterState.FUERA_DE_LINEA: QT_TRANSLATE_NOOP("TicketPrinter",
        "La impresora de tickets no está disponible. Puede entregar su escrito; al final anote "
        "o fotografíe su folio.").source,
    PrinterState.SIN_RESPUESTA: QT_TRANSLATE_NOOP("TicketPrinter",
        "La impresora de tickets no responde. Puede entregar su escrito; al final anote o "
        "fotografíe su folio.").source,
    PrinterState.SIN_IMPRESORA: QT_TRANSLATE_NOOP("TicketPrinter",
        "Este quiosco no imprime tickets. Al final anote o fotografíe su folio.").source,
}  # fmt: skip
CITIZEN_CONTEXT = "TicketPrinter"
"""The catalogue context of ``PrinterStatus.citizen_message`` (and of ``NO_PRINTER``'s)."""
_STAFF_MESSAGES = {
    PrinterState.LISTA: "La impresora de tickets está lista ({where}).",
    PrinterState.POCO_PAPEL: "Queda poco papel en la impresora de tickets ({where}): tenga a "
    "mano un rollo de papel térmico de 80 mm y cámbielo pronto.",
    PrinterState.SIN_PAPEL: "Cargue un rollo de papel térmico de 80 mm en la impresora de "
    "tickets ({where}) y cierre la tapa.",
    PrinterState.TAPA_ABIERTA: "Cierre la tapa de la impresora de tickets ({where}) hasta que "
    "haga clic.",
    PrinterState.FUERA_DE_LINEA: "La impresora de tickets ({where}) está fuera de línea: "
    "revise que no haya papel atorado en la cuchilla, o apáguela y enciéndala.",
    PrinterState.SIN_RESPUESTA: "Revise el cable o la red y que esté encendida: la impresora "
    "no contesta en {where}.",
    PrinterState.SIN_IMPRESORA: "No hay impresora de tickets configurada (ajuste kiosk_printer).",
}
# DLE EOT 3 (error cause) bits, when DLE EOT 2 says an error occurred.
_ERROR_CAUSES = (
    (0x08, "la cuchilla se atascó: abra la tapa, retire el papel atorado y ciérrela"),
    (0x20, "error grave: apáguela y enciéndala; si sigue, llame a soporte técnico"),
    (0x40, "la cabeza de impresión se calentó: espere unos minutos"),
)


@dataclass(frozen=True)
class PrinterStatus:
    state: PrinterState
    citizen_message: str
    """Spanish, for the citizen: what happens and what to do; empty when there is nothing."""
    staff_message: str
    """Spanish, for the admin screen: what staff must do."""

    @property
    def can_print(self) -> bool:
        return self.state in (PrinterState.LISTA, PrinterState.POCO_PAPEL)


def describe(state: PrinterState, where: str = "", *, detail: str = "") -> PrinterStatus:
    """The status for ``state`` with its messages; ``where`` is the printer's spec, ``detail``
    is added to the staff message (why it did not answer, which error)."""
    staff = _STAFF_MESSAGES[state].format(where=where or "sin dirección")
    if detail:
        staff = f"{staff[:-1]} ({detail})."
    return PrinterStatus(state, _CITIZEN_MESSAGES[state], staff)


def status_of(printer: ReceiptPrinter | None) -> PrinterStatus:
    """What the kiosk shows for the printer :func:`open_printer` gave (``None``: none set)."""
    return describe(PrinterState.SIN_IMPRESORA) if printer is None else printer.status()


class PrinterError(OficialiaError):
    """The ticket was not printed, or may have come out incomplete; ``state`` says why."""

    code = "impresora"

    def __init__(self, message: str, *, status: PrinterStatus) -> None:
        super().__init__(message, state=status.state)
        self.status = status
        self.state = status.state
        self.retryable = status.state is not PrinterState.SIN_IMPRESORA


def open_printer(spec: str, *, timeout: float = 2.0) -> ReceiptPrinter | None:
    """The receipt printer the ``kiosk_printer`` setting names, or ``None`` when it is empty.
    Nothing is contacted yet; a spec that cannot be understood raises :class:`PrinterError`."""
    spec = spec.strip()
    return ReceiptPrinter(spec, timeout=timeout) if spec else None


class ReceiptPrinter:
    def __init__(self, spec: str, *, timeout: float = 2.0) -> None:
        self.spec = spec
        self.timeout = timeout
        self._make = _factory(spec, timeout)  # parsed now: a bad spec fails at start-up
        _escpos_printer_module()  # imported now: not inside the first status check's time

    def status(self) -> PrinterStatus:
        """Ask the printer how it is; never raises, and returns within about ``timeout``."""
        deadline = time.monotonic() + self.timeout
        try:
            link = self._connect()
        except PrinterError as error:
            return error.status
        try:
            return self._ask_status(link, deadline)
        except Exception:  # the kiosk asks before every citizen: a bug here must not stop it
            log.exception("%s: estado de la impresora", self.spec)
            return describe(PrinterState.SIN_RESPUESTA, self.spec, detail="error inesperado")
        finally:
            link.close()

    def print_image(self, image: Image.Image) -> None:
        """Print ``image`` (576 px wide), feed and cut. Refuses with :class:`PrinterError` when
        the printer cannot print, and raises it too when it stopped during the printout."""
        if image.width > RECEIPT_WIDTH_PX:
            raise ValueError(f"the image is {image.width} px wide, the paper {RECEIPT_WIDTH_PX}")
        link = self._connect()
        try:
            before = self._ask_status(link, time.monotonic() + self.timeout)
            if not before.can_print:
                message = f"No se imprimió el ticket. {before.staff_message}"
                raise PrinterError(message, status=before)
            printing = self.timeout + image.height / DOTS_PER_MM / SLOWEST_MM_PER_SECOND
            self._send_receipt(link, image, within=printing)
            after = self._await_printout(link, time.monotonic() + printing)
            if not after.can_print:
                raise PrinterError(_stopped_message(after), status=after)
        finally:
            link.close()

    def _await_printout(self, link: _Link, deadline: float) -> PrinterStatus:
        """Wait until the printer answers GS r 1 (it has printed everything before it), asking
        the real-time status meanwhile: paper out or a cover opened stops the wait at once."""
        try:
            link.send(PAPER_SENSOR_IN_ORDER)
        except (OSError, _escpos_errors()) as error:
            log.info("%s: %s", self.spec, error)
        while True:
            status = self._ask_status(link, time.monotonic() + self.timeout)
            if not status.can_print:
                return status
            poll = min(deadline, time.monotonic() + POLL_SECONDS)
            if link.take(_is_sensor_answer, poll) is not None:
                return self._ask_status(link, time.monotonic() + self.timeout)
            if time.monotonic() >= deadline:
                log.info("%s no confirmó el fin de la impresión (GS r 1)", self.spec)
                return status

    def _connect(self) -> _Link:
        try:
            return _Link(self._make())
        # pyusb without libusb raises a ValueError, python-escpos without pyusb a RuntimeError
        except (OSError, ValueError, RuntimeError, _escpos_errors()) as error:
            log.info("%s: %s", self.spec, error)
            status = describe(PrinterState.SIN_RESPUESTA, self.spec, detail=_why_not(error))
            message = f"No se imprimió el ticket. {status.staff_message}"
            raise PrinterError(message, status=status) from error

    def _ask_status(self, link: _Link, deadline: float) -> PrinterStatus:
        try:
            printer, offline, paper = (
                link.ask(DLE_EOT + bytes([n]), deadline, _is_status_answer) for n in (1, 2, 4)
            )
            if printer is None or offline is None or paper is None:
                why = "contesta algo que no es una impresora ESC/POS" if link.pending else ""
                return describe(PrinterState.SIN_RESPUESTA, self.spec, detail=why)
            cause = ""
            if offline & 0x40:  # an error occurred: DLE EOT 3 says which
                cause = _error_cause(link.ask(DLE_EOT + b"\x03", deadline, _is_status_answer))
            return describe(_state_from(printer, offline, paper), self.spec, detail=cause)
        except (OSError, _escpos_errors()) as error:
            log.info("%s: %s", self.spec, error)
            return describe(PrinterState.SIN_RESPUESTA, self.spec, detail="se cortó la conexión")

    def _send_receipt(self, link: _Link, image: Image.Image, *, within: float) -> None:
        try:
            link.allow_sending(within)
            link.device.hw("INIT")  # ESC @: forget what an interrupted job left half set
            link.device.image(image, impl="bitImageRaster")
            link.device.cut()
        except (OSError, ValueError, _escpos_errors()) as error:
            status = describe(PrinterState.SIN_RESPUESTA, self.spec, detail="se cortó al enviar")
            raise PrinterError(
                "Se cortó la comunicación mientras se enviaba el ticket; puede haber salido "
                f"incompleto. {status.staff_message}",
                status=status,
            ) from error


def _stopped_message(status: PrinterStatus) -> str:
    if status.state is PrinterState.SIN_PAPEL:
        return (
            "Se acabó el papel mientras se imprimía el ticket; puede haber salido incompleto. "
            "Cargue un rollo de papel térmico de 80 mm y vuelva a imprimirlo."
        )
    return (
        "La impresora se detuvo mientras se imprimía el ticket; puede haber salido incompleto. "
        f"{status.staff_message}"
    )


def _state_from(printer: int, offline: int, paper: int) -> PrinterState:
    if offline & 0x04:
        return PrinterState.TAPA_ABIERTA
    if paper & 0x60 or offline & 0x20:
        return PrinterState.SIN_PAPEL
    if printer & 0x08 or offline & 0x40:
        return PrinterState.FUERA_DE_LINEA
    if paper & 0x0C:
        return PrinterState.POCO_PAPEL
    return PrinterState.LISTA


def _error_cause(errors: int | None) -> str:
    if errors is None:
        return ""
    return "; ".join(text for bit, text in _ERROR_CAUSES if errors & bit)


def _is_status_answer(byte: int) -> bool:
    return byte & 0x93 == 0x12  # DLE EOT: bits 1 and 4 set, 0 and 7 clear


def _is_sensor_answer(byte: int) -> bool:
    return byte & 0x90 == 0  # GS r 1: bits 4 and 7 clear, never a DLE EOT answer


class _Link:
    """One open connection, through a python-escpos printer object, whose reads end at a
    deadline (python-escpos reads once, with whatever timeout the connection has). Answers to
    different questions are told apart by their fixed bits, so a late one is kept, not lost."""

    def __init__(self, device: Any) -> None:
        self.device = device
        device.open()
        if hasattr(device, "in_ep"):
            _use_bulk_endpoints(device)
        self.pending = bytearray()  # received, not yet taken as an answer

    def ask(self, query: bytes, deadline: float, fits: Callable[[int], bool]) -> int | None:
        self.send(query)
        return self.take(fits, deadline)

    def send(self, data: bytes) -> None:
        self.device._raw(data)  # python-escpos has no public "send these bytes"

    def take(self, fits: Callable[[int], bool], deadline: float) -> int | None:
        """The first byte received that ``fits``, waiting for it until ``deadline``."""
        while True:
            for index, byte in enumerate(self.pending):
                if fits(byte):
                    del self.pending[index]
                    return byte
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            self.pending += self._receive(remaining)
            del self.pending[:-MAX_PENDING_BYTES]

    def allow_sending(self, seconds: float) -> None:
        connection = self.device.device
        if hasattr(connection, "settimeout"):  # a socket
            connection.settimeout(seconds)
        elif hasattr(connection, "write_timeout"):  # pyserial
            connection.write_timeout = seconds
        else:  # pyusb, through python-escpos's Usb.timeout, in milliseconds
            self.device.timeout = max(1, int(seconds * 1000))

    def _receive(self, seconds: float) -> bytes:
        connection = self.device.device
        try:
            if hasattr(connection, "settimeout"):
                connection.settimeout(seconds)
                data = connection.recv(64)
                if not data:
                    raise ConnectionResetError("la impresora cerró la conexión")
                return data
            if hasattr(connection, "write_timeout"):
                connection.timeout = seconds
                return bytes(connection.read(1))
            return bytes(connection.read(self.device.in_ep, 64, max(1, int(seconds * 1000))))
        except TimeoutError:
            return b""
        except OSError as error:
            if "timeout" in type(error).__name__.lower():  # pyusb's USBTimeoutError
                return b""
            raise

    def close(self) -> None:
        try:
            self.device.close()
        except (OSError, _escpos_errors()) as error:
            log.info("al cerrar la impresora: %s", error)


def _why_not(error: Exception) -> str:
    cause = error.__cause__ or error.__context__ or error
    if isinstance(cause, ConnectionRefusedError):
        return "rechaza la conexión: ¿son correctos la dirección y el puerto?"
    if isinstance(cause, TimeoutError):
        return "no contestó a tiempo"
    return "no se pudo abrir la conexión"


def _use_bulk_endpoints(printer: Any) -> None:
    """Point python-escpos's Usb at the endpoints the printer has. Its defaults (in 0x82, out
    0x01) are an Epson TM's; many other receipt printers use 0x81 and 0x03, and with the wrong
    ones every write fails."""
    import usb.util

    try:
        interface = printer.device.get_active_configuration()[(0, 0)]
        for endpoint in interface:
            if usb.util.endpoint_type(endpoint.bmAttributes) != usb.util.ENDPOINT_TYPE_BULK:
                continue
            if usb.util.endpoint_direction(endpoint.bEndpointAddress) == usb.util.ENDPOINT_IN:
                printer.in_ep = endpoint.bEndpointAddress
            else:
                printer.out_ep = endpoint.bEndpointAddress
    except (OSError, LookupError, NotImplementedError) as error:
        log.info("no se pudieron leer los extremos USB; se usan los de Epson: %s", error)


def _factory(spec: str, timeout: float) -> Callable[[], Any]:
    """A function that makes a (not yet open) python-escpos printer for ``spec``."""
    kind, _, rest = spec.partition(":")
    printers = _escpos_printer_module()
    try:
        if kind == "tcp":
            host, port = _host_and_port(rest)
            return lambda: printers.Network(host, port, timeout=timeout, profile=ESCPOS_PROFILE)
        if kind == "usb":
            vendor, product = (int(part, 16) for part in rest.split(":"))
            return lambda: printers.Usb(
                vendor, product, timeout=int(timeout * 1000), profile=ESCPOS_PROFILE
            )
        if kind == "serial" and rest:
            device, _, baud = rest.rpartition(":")
            if not (device and baud.isdigit()):
                device, baud = rest, str(DEFAULT_BAUD)
            return lambda: printers.Serial(
                device, baudrate=int(baud), timeout=timeout, profile=ESCPOS_PROFILE
            )
    except ValueError:
        pass
    status = describe(PrinterState.SIN_IMPRESORA)
    raise PrinterError(
        f"El ajuste kiosk_printer {spec!r} no es válido: use tcp:DIRECCIÓN[:PUERTO], "
        "usb:VID:PID (hexadecimal) o serial:DISPOSITIVO[:BAUDIOS].",
        status=status,
    )


def _host_and_port(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    if not host:
        host, port = text, str(DEFAULT_TCP_PORT)
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(text)
    return host, int(port)


_import_lock = threading.Lock()


def _escpos_printer_module() -> Any:
    """``escpos.printer``, imported on first use, with two import side effects undone. In
    python-escpos 3.1, ``escpos/capabilities.py`` line 19 runs ``mkdtemp()`` on import for its
    cache (even when ``ESCPOS_CAPABILITIES_PICKLE_DIR`` names another folder: the default is
    evaluated first), never removed: one more folder in the system temp folder per process, on a
    kiosk that restarts daily. The cache is only read during the import, so the folder goes right
    after it. And it calls ``logging.basicConfig()``, which would put a handler of its own on
    the application's root logger."""
    with _import_lock:
        already = sys.modules.get("escpos.printer")
        if already is not None:
            return already
        root = logging.getLogger()
        handlers = list(root.handlers)
        import escpos.capabilities
        import escpos.printer

        if "ESCPOS_CAPABILITIES_PICKLE_DIR" not in os.environ:
            shutil.rmtree(escpos.capabilities.pickle_dir, ignore_errors=True)
        for handler in root.handlers:
            if handler not in handlers:
                root.removeHandler(handler)
        return escpos.printer


def _escpos_errors() -> type[Exception]:
    import escpos.exceptions

    return escpos.exceptions.Error
