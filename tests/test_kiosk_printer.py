"""The kiosk's receipt printer against the fake ESC/POS printer on 127.0.0.1: real TCP, real
python-escpos, no mocks. What a citizen or the staff would see: the state and its messages, the
printed receipt read back by a QR reader and by OCR, the errors when the paper runs out."""

from __future__ import annotations

import os
import random
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytesseract
import pytest
import zxingcpp
from PIL import Image, ImageDraw

from kiosk.fake_printer import FakeReceiptPrinter
from kiosk.printer import (
    PrinterError,
    PrinterState,
    PrinterStatus,
    ReceiptPrinter,
    _escpos_printer_module,
    describe,
    open_printer,
    status_of,
)
from kiosk.ticket import RECEIPT_WIDTH_PX, TicketContent, render_ticket

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT = 1.0
STATUS_URL = "https://tramites.example.gob.mx/consulta/OP-2026-K01-000123"
FOLIO = "OP-2026-K01-000123"
GS_V_0 = b"\x1dv0"


@pytest.fixture
def fake(tmp_path: Path) -> Iterator[FakeReceiptPrinter]:
    with FakeReceiptPrinter(keep_dir=tmp_path) as printer:
        yield printer


@pytest.fixture
def ticket() -> Image.Image:
    return render_ticket(
        TicketContent(
            office_name="Oficialía de Partes de Peñón",
            folio=FOLIO,
            received_at=datetime(2026, 12, 6, 14, 5, tzinfo=ZoneInfo("America/Mexico_City")),
            pages=3,
            document_sha256="9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
            check_code="7KQ2-M9XA",
            status_url=STATUS_URL,
            device="K01",
            sealed=True,
        )
    )


@pytest.fixture(autouse=True)
def _one_tesseract_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    # Tesseract's OpenMP threads make a small image slower, not faster (mailroom/ocr/engine.py).
    monkeypatch.setenv("OMP_THREAD_LIMIT", "1")


def _ocr(image: Image.Image) -> str:
    grey = image.convert("L")
    return pytesseract.image_to_string(grey.resize((grey.width * 2, grey.height * 2)), lang="spa")


@pytest.mark.parametrize(
    ("state", "can_print", "citizen_words"),
    [
        (PrinterState.LISTA, True, ""),
        (PrinterState.POCO_PAPEL, True, ""),
        (PrinterState.SIN_PAPEL, False, "no tiene papel"),
        (PrinterState.TAPA_ABIERTA, False, "tapa abierta"),
        (PrinterState.FUERA_DE_LINEA, False, "no está disponible"),
    ],
)
def test_status_reports_each_state_of_the_printer(
    fake: FakeReceiptPrinter, state: PrinterState, can_print: bool, citizen_words: str
) -> None:
    fake.set_state(state)
    status = ReceiptPrinter(fake.spec, timeout=TIMEOUT).status()
    assert status.state is state
    assert status.can_print is can_print
    assert citizen_words in status.citizen_message
    assert (status.citizen_message == "") is can_print
    if not can_print:
        assert "folio" in status.citizen_message  # what to do instead of the ticket


def test_staff_messages_say_what_to_do(fake: FakeReceiptPrinter) -> None:
    printer = ReceiptPrinter(fake.spec, timeout=TIMEOUT)
    fake.set_state(PrinterState.SIN_PAPEL)
    assert "Cargue un rollo de papel térmico de 80 mm" in printer.status().staff_message
    fake.set_state(PrinterState.TAPA_ABIERTA)
    assert "Cierre la tapa" in printer.status().staff_message
    fake.set_state(PrinterState.POCO_PAPEL)
    assert "poco papel" in printer.status().staff_message


def test_citizen_messages_are_short() -> None:
    for state in PrinterState:
        status = describe(state, "tcp:192.0.2.1:9100")
        assert len(status.citizen_message.split()) <= 25, state
        assert status.staff_message, state


def test_a_printer_that_never_answers_is_not_ready(fake: FakeReceiptPrinter) -> None:
    fake.set_state(PrinterState.SIN_RESPUESTA)
    started = time.monotonic()
    status = ReceiptPrinter(fake.spec, timeout=TIMEOUT).status()
    assert time.monotonic() - started < TIMEOUT + 1
    assert status.state is PrinterState.SIN_RESPUESTA
    assert not status.can_print
    assert f"no contesta en {fake.spec}" in status.staff_message
    assert "no responde" in status.citizen_message


def test_nothing_listening_is_no_answer() -> None:
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
    started = time.monotonic()
    status = ReceiptPrinter(f"tcp:127.0.0.1:{port}", timeout=TIMEOUT).status()
    assert time.monotonic() - started < TIMEOUT + 1
    assert status.state is PrinterState.SIN_RESPUESTA
    assert not status.can_print
    assert "rechaza la conexión" in status.staff_message


def test_bytes_that_are_not_status_answers_are_no_answer() -> None:
    """A web server at the printer's address says something, but nothing a printer says."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        printer = ReceiptPrinter(f"tcp:127.0.0.1:{server.getsockname()[1]}", timeout=TIMEOUT)
        server.settimeout(5)
        status = _status_while_answering(printer, server, b"HTTP/1.0 400 \r\n\r\n")
    assert status.state is PrinterState.SIN_RESPUESTA
    assert "no es una impresora ESC/POS" in status.staff_message


def _status_while_answering(
    printer: ReceiptPrinter, server: socket.socket, reply: bytes
) -> PrinterStatus:
    def answer() -> None:
        connection, _ = server.accept()
        with connection:
            connection.recv(16)
            connection.sendall(reply)
            connection.recv(64)

    thread = threading.Thread(target=answer, daemon=True)
    thread.start()
    status = printer.status()
    thread.join(timeout=5)
    return status


def test_a_printed_ticket_reads_back(fake: FakeReceiptPrinter, ticket: Image.Image) -> None:
    ReceiptPrinter(fake.spec, timeout=TIMEOUT).print_image(ticket)
    receipts = fake.receipts()
    assert len(receipts) == 1
    receipt = receipts[0]
    assert receipt.width == RECEIPT_WIDTH_PX
    assert receipt.tobytes() == ticket.tobytes()
    assert [code.text for code in zxingcpp.read_barcodes(receipt)] == [STATUS_URL]
    text = _ocr(receipt)
    assert FOLIO in text
    assert "Peñón" in text or "Oficialía" in text


def test_the_ticket_travels_as_a_raster_image_not_as_text(
    fake: FakeReceiptPrinter, ticket: Image.Image
) -> None:
    ReceiptPrinter(fake.spec, timeout=TIMEOUT).print_image(ticket)
    sent = fake.received
    assert GS_V_0 in sent
    assert b"\x1dV" in sent  # cut
    assert b"Oficial" not in sent and FOLIO.encode() not in sent


def test_kept_receipts_are_numbered_files(
    fake: FakeReceiptPrinter, ticket: Image.Image, tmp_path: Path
) -> None:
    printer = ReceiptPrinter(fake.spec, timeout=TIMEOUT)
    printer.print_image(ticket)
    printer.print_image(ticket)
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "recibo-0001.png",
        "recibo-0002.png",
    ]
    with Image.open(tmp_path / "recibo-0001.png") as kept:
        assert kept.size == ticket.size


def test_kept_receipts_continue_the_numbering_of_an_earlier_run(tmp_path: Path) -> None:
    kept = tmp_path / "recibos"
    kept.mkdir()
    (kept / "recibo-0007.png").write_bytes(b"")
    with FakeReceiptPrinter(keep_dir=kept) as fake:
        ReceiptPrinter(fake.spec, timeout=TIMEOUT).print_image(Image.new("1", (576, 40), 0))
    assert sorted(path.name for path in kept.iterdir()) == ["recibo-0007.png", "recibo-0008.png"]


def test_a_narrower_image_is_printed_at_the_left_on_white_paper(fake: FakeReceiptPrinter) -> None:
    narrow = Image.new("1", (384, 50), 255)
    ImageDraw.Draw(narrow).rectangle((0, 0, 383, 10), fill=0)
    ReceiptPrinter(fake.spec, timeout=TIMEOUT).print_image(narrow)
    receipt = fake.receipts()[0]
    assert receipt.size == (RECEIPT_WIDTH_PX, 50)
    assert receipt.crop((0, 0, 384, 50)).tobytes() == narrow.tobytes()
    assert receipt.crop((384, 0, RECEIPT_WIDTH_PX, 50)).getextrema() == (255, 255)


def test_an_image_wider_than_the_paper_is_a_mistake(fake: FakeReceiptPrinter) -> None:
    with pytest.raises(ValueError, match="wide"):
        ReceiptPrinter(fake.spec, timeout=TIMEOUT).print_image(Image.new("1", (640, 10), 255))
    assert fake.received == b""


def test_paper_out_in_the_middle_of_the_receipt(
    fake: FakeReceiptPrinter, ticket: Image.Image
) -> None:
    printer = ReceiptPrinter(fake.spec, timeout=TIMEOUT)
    fake.run_out_of_paper_after(30_000)  # the ticket is over 70 000 bytes of raster
    started = time.monotonic()
    with pytest.raises(PrinterError) as raised:
        printer.print_image(ticket)
    assert time.monotonic() - started < TIMEOUT + 2
    assert raised.value.state is PrinterState.SIN_PAPEL
    assert "papel" in str(raised.value) and "incompleto" in str(raised.value)
    assert fake.receipts() == []
    assert printer.status().state is PrinterState.SIN_PAPEL
    fake.set_state(PrinterState.LISTA)  # a new roll
    printer.print_image(ticket)
    assert len(fake.receipts()) == 1


def test_printing_is_refused_without_paper(fake: FakeReceiptPrinter, ticket: Image.Image) -> None:
    fake.set_state(PrinterState.SIN_PAPEL)
    with pytest.raises(PrinterError) as raised:
        ReceiptPrinter(fake.spec, timeout=TIMEOUT).print_image(ticket)
    assert raised.value.state is PrinterState.SIN_PAPEL
    assert "No se imprimió el ticket" in str(raised.value)
    assert "papel" in raised.value.status.citizen_message
    assert GS_V_0 not in fake.received


def test_printing_is_refused_when_the_printer_is_silent(
    fake: FakeReceiptPrinter, ticket: Image.Image
) -> None:
    fake.set_state(PrinterState.SIN_RESPUESTA)
    started = time.monotonic()
    with pytest.raises(PrinterError) as raised:
        ReceiptPrinter(fake.spec, timeout=TIMEOUT).print_image(ticket)
    assert time.monotonic() - started < TIMEOUT + 1
    assert raised.value.state is PrinterState.SIN_RESPUESTA
    assert GS_V_0 not in fake.received


def test_garbage_does_not_stop_the_fake_printer(
    fake: FakeReceiptPrinter, ticket: Image.Image
) -> None:
    junk = random.Random(20261206).randbytes(50_000)
    with socket.create_connection(("127.0.0.1", fake.port), timeout=5) as connection:
        connection.sendall(junk)
    # Unknown ESC, GS and FS commands, a lone DLE, text: skipped, then a status query answered.
    malformed = b"\x1b\xff\x1d\xfe\x1c\x99\x10\x99abc\x00\xff\x7f\n"
    with socket.create_connection(("127.0.0.1", fake.port), timeout=5) as connection:
        connection.sendall(malformed + b"\x10\x04\x01")
        assert connection.recv(1) == b"\x12"
    printer = ReceiptPrinter(fake.spec, timeout=TIMEOUT)
    assert printer.status().state is PrinterState.LISTA
    printer.print_image(ticket)
    # The junk's own connection may still be parsed (on its own thread) while the ticket prints,
    # and the junk holds raster commands too: the ticket is among the receipts, whole.
    assert ticket.tobytes() in [receipt.tobytes() for receipt in fake.receipts()]
    assert fake.faults == []


@pytest.mark.parametrize("impl", ["bitImageColumn", "graphics"])
def test_the_fake_printer_decodes_the_other_image_commands(
    fake: FakeReceiptPrinter, impl: str
) -> None:
    pattern = Image.new("1", (RECEIPT_WIDTH_PX, 96), 255)
    draw = ImageDraw.Draw(pattern)
    draw.rectangle((10, 5, 200, 40), fill=0)
    draw.ellipse((300, 20, 560, 90), outline=0, width=3)
    network = _escpos_printer_module().Network("127.0.0.1", fake.port, timeout=5)
    network.image(pattern, impl=impl)
    network.cut()
    network._raw(b"\x1dr\x01")  # answered once everything before it has printed
    assert network.device.recv(1) == b"\x00"
    network.close()
    assert fake.receipts()[0].tobytes() == pattern.tobytes()


def test_no_printer_configured() -> None:
    assert open_printer("") is None
    assert open_printer("   ") is None
    status = status_of(None)
    assert status.state is PrinterState.SIN_IMPRESORA
    assert not status.can_print
    assert "kiosk_printer" in status.staff_message


@pytest.mark.parametrize("spec", ["tcp:", "tcp:host:puerto", "usb:04b8", "usb:zz:01", "lpt:1"])
def test_a_spec_that_cannot_be_understood_is_refused(spec: str) -> None:
    with pytest.raises(PrinterError, match="no es válido"):
        open_printer(spec)


def test_specs_are_understood() -> None:
    assert open_printer("tcp:192.0.2.7")._make().port == 9100  # type: ignore[union-attr]
    assert open_printer("tcp:192.0.2.7:9101")._make().port == 9101  # type: ignore[union-attr]
    assert open_printer("usb:04b8:0e15")._make().usb_args == {  # type: ignore[union-attr]
        "idVendor": 0x04B8,
        "idProduct": 0x0E15,
    }
    serial = open_printer("serial:/dev/ttyUSB0:38400")._make()  # type: ignore[union-attr]
    assert (serial.devfile, serial.baudrate) == ("/dev/ttyUSB0", 38400)


def test_importing_escpos_leaves_no_folder_and_no_log_handler(tmp_path: Path) -> None:
    """python-escpos makes a cache folder in the system temp folder and configures logging when
    imported (escpos.capabilities); kiosk.printer undoes both."""
    temp = tmp_path / "temp"
    temp.mkdir()
    code = (
        "import logging, kiosk.printer as p; p.ReceiptPrinter('tcp:192.0.2.7');"
        "print(len(logging.getLogger().handlers))"
    )
    environment = {**os.environ, "TMPDIR": str(temp), "PYTHONPATH": str(ROOT)}
    environment.pop("ESCPOS_CAPABILITIES_PICKLE_DIR", None)
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env=environment,
    )
    assert out.stdout.strip() == "0"
    assert list(temp.iterdir()) == []
