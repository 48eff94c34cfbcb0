"""A small ESC/POS receipt printer on 127.0.0.1, for the tests and the kiosk demo (it ships: the
demo prints its tickets here and keeps them as PNG files).

It behaves like an Epson TM where the kiosk can tell: ``DLE EOT n`` is answered in real time
(status bytes with the fixed bits 0x12), also while out of paper or with the cover open, also
between the commands of a job on the same connection; ``GS r 1`` is answered in order, only once
what came before it has printed, so never while the printer is stopped. The byte stream is parsed
command by command (a status query inside image data is image data), unknown commands are
skipped by their length, and nothing a client sends can stop it serving: a fault in one
connection is recorded in :attr:`FakeReceiptPrinter.faults` and that connection goes on.

Printed: raster images (``GS v 0``, ``GS ( L``/``GS 8 L`` graphics, ``ESC *`` columns), stacked
on a roll that ``GS V`` cuts into receipts. Text is not drawn: the kiosk sends none, precisely
because a printer's code pages cannot be trusted with accents (see :mod:`kiosk.printer`).
"""

from __future__ import annotations

import dataclasses
import io
import logging
import re
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from kiosk.printer import PrinterState
from kiosk.ticket import RECEIPT_WIDTH_PX
from mailroom.errors import OficialiaError, StorageError
from mailroom.fsutil import write_bytes_atomically

log = logging.getLogger(__name__)

DLE, ESC, FS, GS = 0x10, 0x1B, 0x1C, 0x1D
POLL_SECONDS = 0.1  # how soon the server threads notice stop()
# DLE EOT answers per state: 1 printer (0x08 offline), 2 offline cause (0x04 cover open, 0x20
# stopped at paper end), 3 error cause, 4 roll sensor (0x0C near end, 0x60 paper end). A real
# TM goes offline when its cover opens or its paper ends, and its near-end sensor is also
# uncovered when the roll is gone.
ANSWERS = {
    PrinterState.LISTA: (0x12, 0x12, 0x12, 0x12),
    PrinterState.POCO_PAPEL: (0x12, 0x12, 0x12, 0x1E),
    PrinterState.SIN_PAPEL: (0x1A, 0x32, 0x12, 0x7E),
    PrinterState.TAPA_ABIERTA: (0x1A, 0x16, 0x12, 0x12),
    PrinterState.FUERA_DE_LINEA: (0x1A, 0x12, 0x12, 0x12),
}
_PRINTING = (PrinterState.LISTA, PrinterState.POCO_PAPEL)
_INVERT = bytes(255 - value for value in range(256))  # ESC/POS: 1 is black; PIL "1": white
_ESC_LENGTHS = {**dict.fromkeys(b"@2<imLSF", 2), **dict.fromkeys(b"$\\", 4), ord("p"): 5}
_ESC_LENGTHS |= {ord("c"): 4, ord("W"): 10}
_FS_LENGTHS = {**dict.fromkeys(b"!C-W", 3), **dict.fromkeys(b"pS", 4)}
_GS_LENGTHS = {**dict.fromkeys(b":", 2), **dict.fromkeys(b"LW$\\P", 4), ord("^"): 5}


@dataclass(frozen=True)
class _Command:
    kind: str  # status, sensor, raster, columns, graphics, cut, other
    length: int
    number: int = 0  # DLE EOT n, GS r n, ESC * m
    width: int = 0  # raster: bytes per row; columns: dots
    height: int = 0
    data: bytes = b""


class FakeReceiptPrinter:
    def __init__(
        self, *, keep_dir: Path | None = None, state: PrinterState = PrinterState.LISTA
    ) -> None:
        self.keep_dir = keep_dir
        self.faults: list[str] = []
        self._check(state)
        self._state = state
        self._paper_left: int | None = None
        self._received = bytearray()
        self._roll: list[Image.Image] = []  # printed since the last cut
        self._graphics: Image.Image | None = None  # GS ( L's buffer, printed by its fn 50
        self._receipts: list[Image.Image] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: socket.socket | None = None
        self._port: int | None = None
        self._threads: list[threading.Thread] = []

    def start(self) -> int:
        if self.keep_dir is not None:
            self.keep_dir.mkdir(parents=True, exist_ok=True)
        server = socket.create_server(("127.0.0.1", 0))
        server.settimeout(POLL_SECONDS)
        self._server = server
        self._port = int(server.getsockname()[1])
        self._spawn(self._accept, name="impresora-falsa")
        return self._port

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("the fake printer is not started")
        return self._port

    @property
    def spec(self) -> str:
        return f"tcp:127.0.0.1:{self.port}"

    def stop(self) -> None:
        self._stopping.set()
        for thread in list(self._threads):
            thread.join(timeout=2)
        if self._server is not None:
            self._server.close()

    def __enter__(self) -> FakeReceiptPrinter:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def set_state(self, state: PrinterState) -> None:
        self._check(state)
        with self._lock:
            self._state = state

    def run_out_of_paper_after(self, nbytes: int) -> None:
        with self._lock:
            self._paper_left = nbytes

    @property
    def received(self) -> bytes:
        with self._lock:
            return bytes(self._received)

    def receipts(self) -> list[Image.Image]:
        """The receipts cut so far (a receipt the paper ran out on was never cut: not here)."""
        with self._lock:
            return [receipt.copy() for receipt in self._receipts]

    @staticmethod
    def _check(state: PrinterState) -> None:
        if state is PrinterState.SIN_IMPRESORA:
            raise ValueError("a fake printer cannot be 'no printer'; use no spec instead")

    def _spawn(self, target: Callable[..., None], *args: object, name: str) -> None:
        thread = threading.Thread(target=target, args=args, name=name, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _accept(self) -> None:
        assert self._server is not None
        while not self._stopping.is_set():
            try:
                connection, _ = self._server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self._spawn(self._serve, connection, name="impresora-falsa-conexion")

    def _serve(self, connection: socket.socket) -> None:
        pending = b""  # received, not yet a whole command
        with connection:
            connection.settimeout(POLL_SECONDS)
            while not self._stopping.is_set():
                try:
                    data = connection.recv(65536)
                except TimeoutError:
                    continue
                except OSError:
                    return
                if not data:
                    return
                with self._lock:
                    self._received += data
                pending, replies = self._consume(pending + data)
                try:
                    connection.sendall(replies)
                except OSError:
                    return

    def _consume(self, pending: bytes) -> tuple[bytes, bytes]:
        """Carry out every whole command in ``pending``: what is left, and the answers."""
        replies = bytearray()
        offset = 0
        try:
            for command in _commands(pending):
                offset += command.length
                with self._lock:
                    replies += self._perform(command)
        except Exception as error:  # a bug must not end the printer: note it, start afresh
            log.exception("impresora falsa")
            self.faults.append(repr(error))
            offset = len(pending)
        return pending[offset:], bytes(replies)

    def _perform(self, command: _Command) -> bytes:
        state = self._state
        if state is PrinterState.SIN_RESPUESTA:
            return b""
        if command.kind == "status":
            answers = ANSWERS[state]
            return bytes([answers[command.number - 1]]) if 1 <= command.number <= 4 else b""
        if state not in _PRINTING:
            return b""  # a stopped printer holds its buffer: nothing printed, nothing answered
        if command.kind == "sensor":
            near_end = 0x03 if state is PrinterState.POCO_PAPEL else 0
            return bytes([near_end if command.number in (1, 49) else 0])
        if self._paper_runs_out(command.length):
            return b""
        if command.kind == "cut":
            self._cut()
        elif command.kind == "graphics":
            self._graphics_command(command.data)
        else:
            strip = _strip(command)
            if strip is not None:
                self._roll.append(strip)
        return b""

    def _paper_runs_out(self, length: int) -> bool:
        if self._paper_left is None:
            return False
        self._paper_left -= length
        if self._paper_left >= 0:
            return False
        # Out of paper in the middle of this command: the printer stops, and the half
        # receipt is torn off by whoever reloads the paper (never cut: not a receipt).
        self._paper_left = None
        self._state = PrinterState.SIN_PAPEL
        self._roll = []
        return True

    def _graphics_command(self, payload: bytes) -> None:
        """GS ( L: function 112 stores a raster image (m fn a bx by c xL xH yL yH data),
        function 50 prints what is stored."""
        if len(payload) >= 10 and payload[1] == 0x70:
            width, height = payload[6] | payload[7] << 8, payload[8] | payload[9] << 8
            raster = _Command("raster", 0, width=(width + 7) // 8, height=height)
            self._graphics = _strip(dataclasses.replace(raster, data=payload[10:]))
        elif len(payload) >= 2 and payload[1] == 0x32 and self._graphics is not None:
            self._roll.append(self._graphics)

    def _cut(self) -> None:
        if not self._roll:
            return
        receipt = Image.new("1", (RECEIPT_WIDTH_PX, sum(s.height for s in self._roll)), 255)
        y = 0
        for strip in self._roll:
            receipt.paste(
                strip.crop((0, 0, min(strip.width, RECEIPT_WIDTH_PX), strip.height)), (0, y)
            )
            y += strip.height
        self._roll = []
        self._receipts.append(receipt)
        if self.keep_dir is not None:
            self._keep(receipt)

    def _keep(self, receipt: Image.Image) -> None:
        assert self.keep_dir is not None
        taken = [
            int(m[1]) for p in self.keep_dir.glob("recibo-*.png") if (m := _KEPT.match(p.name))
        ]
        path = self.keep_dir / f"recibo-{max(taken, default=0) + 1:04d}.png"
        output = io.BytesIO()
        receipt.save(output, format="PNG")
        try:
            write_bytes_atomically(path, output.getvalue(), failed=_not_kept)
        except OficialiaError as error:
            log.warning("%s", error)
            self.faults.append(str(error))


_KEPT = re.compile(r"recibo-(\d{4,})\.png")


def _not_kept(path: Path, error: OSError) -> OficialiaError:
    return StorageError(f"No se pudo guardar el recibo {path.name} en {path.parent}: {error}")


def _strip(command: _Command) -> Image.Image | None:
    """What a raster or column image command puts on the paper, as a PIL "1" image."""
    if command.kind == "raster" and command.width and command.height:
        size = command.width * command.height
        data = command.data[:size].ljust(size, b"\0").translate(_INVERT)
        return Image.frombytes("1", (command.width * 8, command.height), data)
    if command.kind == "columns" and command.width:
        dots = 24 if command.number in (32, 33) else 8
        size = dots // 8 * command.width
        data = command.data[:size].ljust(size, b"\0").translate(_INVERT)
        # each column is one row of this image, its top dot first: turned, it is the strip
        return Image.frombytes("1", (dots, command.width), data).transpose(
            Image.Transpose.TRANSPOSE
        )
    return None


def _commands(buffer: bytes) -> Iterator[_Command]:
    """The whole commands at the start of ``buffer``, in order; stops at an incomplete one."""
    offset = 0
    while offset < len(buffer):
        command = _parse(memoryview(buffer)[offset:])
        if command is None:
            return
        offset += command.length
        yield command


def _parse(view: memoryview) -> _Command | None:
    first = view[0]
    if first in (DLE, ESC, GS, FS) and len(view) < 2:
        return None
    if first == DLE:
        return _parse_dle(view)
    if first == ESC:
        return _parse_esc(view)
    if first == GS:
        return _parse_gs(view)
    if first == FS:
        if view[1] == ord("("):  # FS ( X pL pH, then that many bytes
            return _sized(view, 5, 3, 4, "other")
        return _fixed(view, _FS_LENGTHS.get(view[1], 2), "other")
    return _Command("other", 1)  # text and control characters


def _parse_dle(view: memoryview) -> _Command | None:
    if view[1] == 0x04:  # DLE EOT n (n 7 and 8 take one more byte)
        if len(view) < 3:
            return None
        length = 4 if view[2] in (7, 8) else 3
        return _fixed(view, length, "status", number=view[2])
    if view[1] in (0x05, 0x14):  # DLE ENQ n, DLE DC4 fn m t
        return _fixed(view, 3 if view[1] == 0x05 else 5, "other")
    return _Command("other", 1)  # a lone DLE is just a byte


def _parse_esc(view: memoryview) -> _Command | None:
    code = view[1]
    if code == ord("*"):  # ESC * m nL nH, then nL+nH*256 columns of 1 or 3 bytes
        if len(view) < 5:
            return None
        columns = view[3] | view[4] << 8
        size = columns * (3 if view[2] in (32, 33) else 1)
        command = _fixed(view, 5 + size, "columns", number=view[2], width=columns)
        return None if command is None else _with_data(command, view, 5)
    if code == ord("("):  # ESC ( X pL pH, then that many bytes
        return _sized(view, 5, 3, 4, "other")
    if code == ord("D"):  # tab positions, up to 32, ended by NUL
        return _until_nul(view, 2, 34)
    return _fixed(view, _ESC_LENGTHS.get(code, 3), "other")


def _parse_gs(view: memoryview) -> _Command | None:
    code = view[1]
    if code == ord("v"):  # GS v 0 m xL xH yL yH data
        if len(view) < 8:
            return None
        width, height = view[4] | view[5] << 8, view[6] | view[7] << 8
        command = _fixed(view, 8 + width * height, "raster", width=width, height=height)
        return None if command is None else _with_data(command, view, 8)
    if code == ord("("):  # GS ( X pL pH, then that many bytes
        kind = "graphics" if len(view) > 2 and view[2] == ord("L") else "other"
        return _sized(view, 5, 3, 4, kind)
    if code == ord("8"):  # GS 8 X p1 p2 p3 p4, then that many bytes
        kind = "graphics" if len(view) > 2 and view[2] == ord("L") else "other"
        return _sized(view, 7, 3, 6, kind)
    if len(view) < 3:
        return None
    if code == ord("V"):
        return _fixed(view, 4 if view[2] in (65, 66, 97, 98, 103, 104) else 3, "cut")
    if code == ord("r"):
        return _fixed(view, 3, "sensor", number=view[2])
    if code == ord("k"):  # barcode: m 0-6 ends with NUL, m 65-79 says its length
        return _until_nul(view, 3, 259) if view[2] <= 6 else _fixed(view, 4 + _at(view, 3), "other")
    if code == ord("*"):  # downloaded bit image: x*y*8 bytes
        return _fixed(view, 4 + view[2] * _at(view, 3) * 8, "other") if len(view) > 3 else None
    return _fixed(view, _GS_LENGTHS.get(code, 3), "other")


def _at(view: memoryview, index: int) -> int:
    return view[index] if index < len(view) else 0


def _fixed(
    view: memoryview, length: int, kind: str, *, number: int = 0, width: int = 0, height: int = 0
) -> _Command | None:
    if len(view) < length:
        return None
    return _Command(kind, length, number=number, width=width, height=height)


def _with_data(command: _Command, view: memoryview, start: int) -> _Command:
    return dataclasses.replace(command, data=bytes(view[start : command.length]))


def _sized(view: memoryview, header: int, low: int, high: int, kind: str) -> _Command | None:
    """A command whose header says, little-endian from ``low`` to ``high``, how much follows."""
    if len(view) < header:
        return None
    size = int.from_bytes(view[low : high + 1], "little")
    command = _fixed(view, header + size, kind)
    return None if command is None else _with_data(command, view, header)


def _until_nul(view: memoryview, start: int, limit: int) -> _Command | None:
    end = bytes(view[start:limit]).find(b"\0")
    if end >= 0:
        return _Command("other", start + end + 1)
    return None if len(view) < limit else _Command("other", start)  # no NUL: skip the head
