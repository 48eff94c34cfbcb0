"""Separator sheets and carátulas: the PDFs we print, and reading them back off bad scans.

The sheets are the real PDFs, rendered by pdfium at scanner resolutions and degraded the way a
tired office scanner degrades paper (tests/noisy_sheets.py); the pages that must not count are
real generated scans (tests/scanned_pages.py) with and without someone else's QR code.
"""

from __future__ import annotations

import io
import os
import stat
from pathlib import Path

import pypdfium2 as pdfium
import pytest
import segno
import zxingcpp
from PIL import Image

from mailroom.capture.separator import (
    COVER_PREFIX,
    SEPARATOR_PAYLOAD,
    SheetMark,
    UnknownSheet,
    parse_payload,
    read_mark,
    write_cover_sheet_pdf,
    write_separator_pdf,
)
from mailroom.cli import main
from mailroom.errors import InvalidInput, StorageError
from mailroom.pdfium import pdfium_lock
from mailroom.store import Store
from tests.noisy_sheets import (
    Degradation,
    cover_image,
    degraded,
    foreign_qr_page,
    measure_marks,
    separator_image,
)
from tests.scanned_pages import blank_page_with_show_through, text_page

LETTER_POINTS = (612, 792)
FOLIO = "OPM-2026-C01-000123"
CLEAN = Degradation(0.0, 0, 0.0, 0.0, 0, 255, 95)


def _pdf_pages(path: Path) -> list[tuple[tuple[int, int], str]]:
    with pdfium_lock:
        document = pdfium.PdfDocument(path)
        try:
            return [
                (tuple(round(v) for v in page.get_size()), page.get_textpage().get_text_range())
                for page in document
            ]
        finally:
            document.close()


# --- The PDFs -------------------------------------------------------------------------------


def test_separator_pdf_is_letter_size_with_its_warning_on_every_copy(tmp_path: Path) -> None:
    path = write_separator_pdf(tmp_path / "separadores.pdf", copies=3)
    pages = _pdf_pages(path)
    assert len(pages) == 3
    for size, text in pages:
        assert size == LETTER_POINTS
        assert "HOJA SEPARADORA — no se registra" in text
        assert "ENCIMA de cada escrito" in text
    assert [p.name for p in tmp_path.iterdir()] == ["separadores.pdf"]  # no temporary left


def test_cover_sheet_pdf_names_the_folio_sender_and_subject(tmp_path: Path) -> None:
    path = write_cover_sheet_pdf(
        tmp_path / "caratula.pdf",
        FOLIO,
        subject="Solicitud de\nlicencia de funcionamiento",
        sender="María José Núñez Ávila",
    )
    [(size, text)] = _pdf_pages(path)
    assert size == LETTER_POINTS
    assert f"Anexo al folio {FOLIO}" in text
    assert "María José Núñez Ávila" in text
    assert "Solicitud de licencia de funcionamiento" in text  # one line on the sheet
    assert read_mark(cover_image(FOLIO, 200)) == SheetMark("caratula", FOLIO)


def test_a_rare_script_in_the_sender_still_prints(tmp_path: Path) -> None:
    path = write_cover_sheet_pdf(tmp_path / "c.pdf", FOLIO, sender="Անի Պետրոսյան")
    [(_, text)] = _pdf_pages(path)
    assert "Անի Պետրոսյան" in text


@pytest.mark.parametrize("copies", [0, -1, 501])
def test_copies_out_of_range_are_refused_and_nothing_is_written(
    tmp_path: Path, copies: int
) -> None:
    with pytest.raises(InvalidInput, match="copias debe estar entre 1 y 500"):
        write_separator_pdf(tmp_path / "s.pdf", copies=copies)
    with pytest.raises(InvalidInput, match="copias debe estar entre 1 y 500"):
        write_cover_sheet_pdf(tmp_path / "c.pdf", FOLIO, copies=copies)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("folio", ["", " OPM-1", "OPM\n1", "X" * 65])
def test_a_folio_a_carátula_cannot_carry_is_refused(tmp_path: Path, folio: str) -> None:
    with pytest.raises(InvalidInput, match="no sirve para una carátula"):
        write_cover_sheet_pdf(tmp_path / "c.pdf", folio)
    assert list(tmp_path.iterdir()) == []


def test_an_unwritable_destination_says_why_and_leaves_the_old_file(tmp_path: Path) -> None:
    with pytest.raises(StorageError, match="la carpeta .* no existe"):
        write_separator_pdf(tmp_path / "falta" / "s.pdf")
    with pytest.raises(StorageError, match="es una carpeta"):
        write_separator_pdf(tmp_path)
    existing = tmp_path / "s.pdf"
    existing.write_bytes(b"anterior")
    locked = tmp_path / "solo-lectura"
    locked.mkdir()
    locked.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        if os.access(locked, os.W_OK):  # root ignores the permission bits
            pytest.skip("el usuario de las pruebas puede escribir en cualquier carpeta")
        with pytest.raises(StorageError, match="no hay permiso"):
            write_separator_pdf(locked / "s.pdf")
    finally:
        locked.chmod(stat.S_IRWXU)
        assert existing.read_bytes() == b"anterior"
        assert sorted(p.name for p in tmp_path.iterdir()) == ["s.pdf", "solo-lectura"]


def test_rewriting_replaces_the_whole_file(tmp_path: Path) -> None:
    target = tmp_path / "s.pdf"
    target.write_bytes(b"x" * 10_000_000)
    write_separator_pdf(target)
    assert target.stat().st_size < 100_000
    assert len(_pdf_pages(target)) == 1


# --- Reading marks --------------------------------------------------------------------------


DEGRADATIONS = {
    "limpia": CLEAN,
    "inclinada +3°": Degradation(3.0, 0, 0.03, 0.6, 30, 240, 85),
    "inclinada -3°": Degradation(-3.0, 0, 0.03, 0.6, 30, 240, 85),
    "ruido gaussiano": Degradation(0.5, 0, 0.12, 0.6, 30, 240, 90),
    "desenfocada": Degradation(0.5, 0, 0.03, 2.5, 30, 240, 90),
    "poco contraste": Degradation(0.5, 0, 0.03, 0.6, 125, 185, 90),
    "de cabeza": Degradation(1.0, 2, 0.04, 0.8, 40, 230, 75),
    "de lado": Degradation(-1.0, 1, 0.04, 0.8, 40, 230, 75),
    "artefactos JPEG": Degradation(0.5, 0, 0.04, 0.8, 40, 230, 12),
    "todo junto": Degradation(-2.7, 2, 0.08, 1.6, 100, 190, 20),
}


@pytest.mark.parametrize("dpi", [200, 300])
@pytest.mark.parametrize("name", list(DEGRADATIONS))
def test_the_printed_separator_is_read_off_a_bad_scan(name: str, dpi: int) -> None:
    sheet = degraded(separator_image(dpi), DEGRADATIONS[name], seed=dpi)
    assert read_mark(sheet) == SheetMark("separador", None)


@pytest.mark.parametrize("dpi", [200, 300])
def test_a_carátula_is_read_upside_down_with_its_folio(dpi: int) -> None:
    sheet = degraded(cover_image(FOLIO, dpi), DEGRADATIONS["todo junto"], seed=dpi)
    assert read_mark(sheet) == SheetMark("caratula", FOLIO)


@pytest.mark.parametrize("mode", ["1", "RGB", "I;16"])
def test_any_image_mode_a_scanner_returns_is_read(mode: str) -> None:
    gray = separator_image(200)
    if mode == "I;16":  # 16-bit grey, as SANE gives at depth 16
        image = gray.point(lambda v: v * 257, "I").convert("I;16")
    else:
        image = gray.convert(mode)
    assert read_mark(image) == SheetMark("separador", None)


def test_a_foreign_qr_code_does_not_split_the_batch() -> None:
    for dpi in (200, 300):
        page = foreign_qr_page(seed=dpi, dpi=dpi)
        # The foreign code is there and readable: only its payload keeps it from counting.
        texts = [code.text for code in zxingcpp.read_barcodes(page)]
        assert any(text.startswith("https://verificacfdi") for text in texts)
        assert read_mark(page) is None


def test_an_ordinary_text_page_and_a_blank_back_are_not_marks() -> None:
    for dpi in (200, 300):
        assert read_mark(text_page(seed=dpi, dpi=dpi, skew=1.2, turned=180)) is None
        assert read_mark(blank_page_with_show_through(seed=dpi, dpi=dpi)) is None


def test_our_payloads_and_nothing_else() -> None:
    assert parse_payload(SEPARATOR_PAYLOAD) == SheetMark("separador", None)
    assert parse_payload(COVER_PREFIX + FOLIO) == SheetMark("caratula", FOLIO)
    for foreign in ("https://oficialia.example/SEPARADOR", "oficialia/separador/1", "OFICIALIA"):
        assert parse_payload(foreign) is None
    with pytest.raises(UnknownSheet):  # ours, but not a payload this version writes
        parse_payload(SEPARATOR_PAYLOAD + " ")


@pytest.mark.parametrize("payload", ["OFICIALIA/SEPARADOR/2", "OFICIALIA/CARATULA/9/X"])
def test_a_sheet_of_a_newer_version_is_refused_not_registered(payload: str) -> None:
    with pytest.raises(UnknownSheet, match="no reconoce.*oficialia separador"):
        parse_payload(payload)
    page = Image.new("L", (1700, 2200), 255)
    buffer = io.BytesIO()
    segno.make(payload, error="q").save(buffer, kind="png", scale=20, border=4)
    page.paste(Image.open(buffer).convert("L"), (400, 600))
    with pytest.raises(UnknownSheet):
        read_mark(page)


def test_detection_rate_and_cost_on_100_noisy_sheets() -> None:
    figures = measure_marks(100, others=4)
    print(
        f"\nmarcas: {figures.detected}/{figures.sheets}; read_mark {figures.mark_ms:.1f} ms en "
        f"una hoja marcada, {figures.plain_ms:.1f} ms en una página de texto, "
        f"{figures.foreign_ms:.1f} ms con un QR ajeno"
    )
    assert figures.detected == figures.sheets
    assert figures.false_marks == 0
    # Generous bounds (CI shares two cores): an ordinary page must stay far under the ~30 ms
    # a full-size decode of a 300-dpi page costs, which is what the reduced copy saves.
    assert figures.plain_ms < 20


# --- oficialia separador --------------------------------------------------------------------


def _run(data_dir: Path, capsys: pytest.CaptureFixture, *args: str) -> tuple[int, str, str]:
    code = main(["--data-dir", str(data_dir), *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _register(tmp_path: Path, data_dir: Path, capsys: pytest.CaptureFixture) -> str:
    letter = tmp_path / "escrito.png"
    text_page(3, 150).save(letter, dpi=(150, 150))
    code, out, _ = _run(data_dir, capsys, "intake", str(letter), "--remitente", "Ana Ruiz",
                        "--asunto", "Licencia de obra", "--sin-esperar-ocr")  # fmt: skip
    assert code == 0
    return out.strip()


def _rendered_marks(path: Path) -> list[SheetMark | None]:
    with pdfium_lock:
        document = pdfium.PdfDocument(path)
        try:
            images = [page.render(scale=150 / 72, grayscale=True).to_pil() for page in document]
        finally:
            document.close()
    return [read_mark(image) for image in images]


def test_the_command_prints_separators_without_a_data_folder(
    tmp_path: Path, data_dir: Path, capsys: pytest.CaptureFixture
) -> None:
    target = tmp_path / "separadores.pdf"
    code, out, _ = _run(data_dir, capsys, "separador", "-o", str(target), "--copias", "2")
    assert code == 0
    assert out.strip() == f"{target} (2 hojas separadoras)"
    assert _rendered_marks(target) == [SheetMark("separador", None)] * 2
    assert not data_dir.exists()


def test_the_command_prints_a_carátula_for_a_registered_folio(
    tmp_path: Path, data_dir: Path, capsys: pytest.CaptureFixture
) -> None:
    folio = _register(tmp_path, data_dir, capsys)
    target = tmp_path / "caratula.pdf"
    code, out, _ = _run(data_dir, capsys, "separador", "-o", str(target), "--folio", folio)
    assert code == 0
    assert out.strip() == f"{target} (carátula del folio {folio}, 1 hoja)"
    [(_, text)] = _pdf_pages(target)
    assert "Ana Ruiz" in text and "Licencia de obra" in text
    assert _rendered_marks(target) == [SheetMark("caratula", folio)]


def test_the_command_refuses_an_unknown_or_cancelled_folio_and_bad_copies(
    tmp_path: Path, data_dir: Path, capsys: pytest.CaptureFixture
) -> None:
    target = tmp_path / "caratula.pdf"
    code, _, err = _run(data_dir, capsys, "separador", "-o", str(target), "--folio", "OPM-X")
    assert code == 4
    assert "No existe un escrito con folio 'OPM-X'" in err
    assert not data_dir.exists()  # looking a folio up creates no data folder

    folio = _register(tmp_path, data_dir, capsys)
    code, _, err = _run(data_dir, capsys, "separador", "-o", str(target), "--folio", "OPM-X")
    assert code == 4 and "la carátula solo se imprime para un escrito ya registrado" in err
    with Store(data_dir) as store:
        store.write(lambda db: db.execute(
            "UPDATE filings SET status = 'cancelada' WHERE folio = ?", [folio]))  # fmt: skip
    code, _, err = _run(data_dir, capsys, "separador", "-o", str(target), "--folio", folio)
    assert code == 65 and f"El escrito {folio} está cancelado" in err

    code, _, err = _run(data_dir, capsys, "separador", "-o", str(target), "--copias", "0")
    assert code == 65 and "copias debe estar entre 1 y 500" in err
    code, _, err = _run(data_dir, capsys, "separador", "-o", str(tmp_path / "s.png"))
    assert code == 65 and "debe terminar en .pdf" in err
    assert not target.exists() and not (tmp_path / "s.png").exists()
