"""The receipt ticket as drawn, read back the way a citizen's phone and eyes would: a QR reader
and OCR (Spanish). No printer here: tests/test_kiosk_printer.py prints it."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytesseract
import pytest
import segno
import zxingcpp
from PIL import Image, ImageOps

from kiosk.ticket import (
    NOT_SEALED,
    RECEIPT_WIDTH_PX,
    TicketContent,
    format_moment,
    render_test_ticket,
    render_ticket,
    short_fingerprint,
)
from mailroom.errors import InvalidInput

MEXICO_CITY = ZoneInfo("America/Mexico_City")
CONTENT = TicketContent(
    office_name="Oficialía de Partes de Peñón",
    folio="OP-2026-K01-000123",
    received_at=datetime(2026, 12, 6, 14, 5, tzinfo=MEXICO_CITY),
    pages=12,
    document_sha256="9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    check_code="7KQ2-M9XA",
    status_url="https://tramites.example.gob.mx/consulta/OP-2026-K01-000123?c=7KQ2M9XA",
    device="K01",
    sealed=True,
)


@pytest.fixture(autouse=True)
def _one_tesseract_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    # Tesseract's OpenMP threads make a small image slower, not faster (mailroom/ocr/engine.py).
    monkeypatch.setenv("OMP_THREAD_LIMIT", "1")


def _ocr(image: Image.Image) -> str:
    return pytesseract.image_to_string(image.convert("L"), lang="spa")


def _ink_box(image: Image.Image) -> tuple[int, int, int, int]:
    box = ImageOps.invert(image.convert("L")).getbbox()
    assert box is not None
    return box


def test_the_ticket_is_one_black_and_white_image_as_wide_as_the_paper() -> None:
    ticket = render_ticket(CONTENT)
    assert ticket.mode == "1"
    assert ticket.width == RECEIPT_WIDTH_PX == 576
    assert 600 < ticket.height < 2000


def test_the_ticket_reads_back() -> None:
    text = _ocr(render_ticket(CONTENT))
    for expected in (
        "Acuse de recibo",
        "Oficialía de Partes de Peñón",
        "OP-2026-K01-000123",
        "06/12/2026 14:05 (UTC-06:00)",
        "Fojas: 12",
        "9f86 d081 884c 7d65",
        "Código de consulta",
        "7KQ2-M9XA",
        "Quiosco K01",
        "Conserve este ticket",
    ):
        assert expected in text, expected
    assert "sellará" not in text


def test_the_folio_is_printed_large() -> None:
    ticket = render_ticket(CONTENT)
    data = pytesseract.image_to_data(
        ticket.convert("L"), lang="spa", output_type=pytesseract.Output.DICT
    )
    heights = [
        height
        for word, height in zip(data["text"], data["height"], strict=True)
        if "000123" in word
    ]
    assert heights and max(heights) >= 40 * 0.7  # cap height of a 40 px font is about 29 px


def test_the_qr_code_holds_the_status_address_with_whole_dots_per_module() -> None:
    ticket = render_ticket(CONTENT)
    codes = zxingcpp.read_barcodes(ticket)
    assert [code.text for code in codes] == [CONTENT.status_url]
    left, top = codes[0].position.top_left.x, codes[0].position.top_left.y
    # The top edge of the top-left finder pattern is a black run 7 modules long.
    run = 0
    while ticket.getpixel((left + run, top + 1)) == 0:
        run += 1
    assert run % 7 == 0
    scale = run // 7
    assert scale >= 4
    modules = segno.make(CONTENT.status_url, error="m", micro=False).symbol_size(border=0)[0]
    right = codes[0].position.top_right.x
    assert abs((right - left) - modules * scale) <= 2
    quiet = ticket.crop((left - 4 * scale, top - 4 * scale, left, top + modules * scale))
    assert quiet.getextrema() == (255, 255)  # four white modules to its left


def test_an_unsealed_acuse_says_so() -> None:
    text = _ocr(render_ticket(dataclasses.replace(CONTENT, sealed=False)))
    assert "Acuse sin sello electrónico" in text
    assert "se sellará más" in text
    assert NOT_SEALED.startswith("Acuse sin sello electrónico")


def test_a_long_subject_takes_two_lines_at_most() -> None:
    two_lines = render_ticket(dataclasses.replace(CONTENT, subject="palabra " * 12))
    very_long = render_ticket(dataclasses.replace(CONTENT, subject="palabra " * 80))
    assert very_long.height == two_lines.height
    text = _ocr(very_long)
    assert "Asunto: palabra" in text
    assert "…" in text or "..." in text


def test_nothing_reaches_the_edges_of_the_paper() -> None:
    crowded = dataclasses.replace(
        CONTENT,
        office_name="Oficialía de Partes Común del Honorable Ayuntamiento Constitucional de "
        "San Juan Bautista Tuxtepec, Oaxaca, Dirección de Desarrollo Urbano y Obras Públicas",
        folio="OFICIALIA-DE-PARTES-2026-KIOSCO01-000000123456",
        subject="x" * 300,
        status_url="https://tramites.example.gob.mx/" + "consulta" * 12,
        sealed=False,
    )
    ticket = render_ticket(crowded)
    left, _, right, _ = _ink_box(ticket)
    assert left >= 8 and right <= RECEIPT_WIDTH_PX - 8
    assert "000000123456" in _ocr(ticket).replace(" ", "").replace("\n", "")


def test_the_time_is_printed_with_its_offset() -> None:
    assert format_moment(datetime(2026, 12, 6, 14, 5, tzinfo=MEXICO_CITY)) == (
        "06/12/2026 14:05 (UTC-06:00)"
    )
    india = timezone(timedelta(hours=5, minutes=30))
    assert format_moment(datetime(2026, 1, 2, 3, 4, tzinfo=india)) == "02/01/2026 03:04 (UTC+05:30)"
    with pytest.raises(ValueError, match="offset"):
        render_ticket(dataclasses.replace(CONTENT, received_at=datetime(2026, 12, 6, 14, 5)))


def test_the_fingerprint_is_short_and_grouped() -> None:
    assert short_fingerprint(CONTENT.document_sha256) == "9f86 d081 884c 7d65"
    assert short_fingerprint("ABCDEF0123456789FFFF") == "abcd ef01 2345 6789"


def test_an_address_too_long_for_a_readable_qr_code_is_refused() -> None:
    with pytest.raises(InvalidInput, match="demasiado larga"):
        render_ticket(dataclasses.replace(CONTENT, status_url="https://x.mx/" + "a" * 1500))


def test_the_test_ticket_shows_accents_a_qr_code_and_the_edges() -> None:
    page = render_test_ticket(
        "Oficialía de Partes de Peñón", "tcp:192.0.2.7:9100", CONTENT.received_at
    )
    assert page.width == RECEIPT_WIDTH_PX
    text = _ocr(page)
    assert "Prueba de impresión" in text
    assert "tcp:192.0.2.7:9100" in text
    assert "Peñón" in text or "Oficialía" in text
    assert len(zxingcpp.read_barcodes(page)) == 1
    grey = page.convert("L")
    for edge in ((0, 0, 2, page.height), (page.width - 2, 0, page.width, page.height)):
        assert grey.crop(edge).getextrema() == (0, 0)  # the frame, whole along both sides
