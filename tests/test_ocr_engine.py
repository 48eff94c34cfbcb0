"""The OCR engine against the real tesseract: text, confidence, the PDF page, failures in Spanish.

Test pages are drawn here with PIL at 300 dpi; the PDFs are made with PIL (scans) and fpdf2
(born-digital), so nothing depends on files outside the test.
"""

from __future__ import annotations

import io
import os
import stat
import sys
import textwrap
import threading
from pathlib import Path

import pdfplumber
import pytest
from fpdf import FPDF
from fpdf.enums import TextMode
from PIL import Image, ImageDraw, ImageFont

from mailroom.errors import OcrFailed, ToolMissing, UnreadableFile
from mailroom.ocr import (
    PageOcr,
    PagePdf,
    assemble_pdf,
    check_tesseract,
    classify_pdf_pages,
    engine,
    extract_page_text,
    inspect_text_layer,
    ocr_page,
)

FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf")
LETTER_PX = (2550, 3300)  # US letter at 300 dpi
LINES = (
    "Oficialía de Partes Municipal",
    "El señor José Muñoz Peña presentó su escrito",
    "el miércoles para solicitar información pública.",
    "Atentamente, la Dirección de Obras Públicas.",
)
WORDS = ("Oficialía", "señor", "Muñoz", "Peña", "presentó", "miércoles", "información", "Públicas")

pytestmark = pytest.mark.skipif(
    not FONT.exists(), reason="falta la fuente DejaVu (fonts-dejavu-core)"
)


def draw_page(lines: tuple[str, ...], size: tuple[int, int] = LETTER_PX) -> Image.Image:
    image = Image.new("L", size, 255)
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(str(FONT), 50)  # 12 pt at 300 dpi
    for number, line in enumerate(lines):
        draw.text((300, 300 + number * 90), line, font=font, fill=0)
    return image


@pytest.fixture(scope="module")
def pages_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("paginas")
    page = draw_page(LINES)
    page.save(folder / "carta.jpg", quality=85, dpi=(300, 300))
    page.save(folder / "carta-sin-dpi.png")  # many scanners write no resolution
    Image.new("L", LETTER_PX, 255).save(folder / "blanca.png")
    noise = Image.effect_noise((1275, 1650), 120).convert("L")
    noise.save(folder / "ruido.png")
    (folder / "danada.jpg").write_bytes(b"\xff\xd8\xff\xe0" + bytes(range(256)) * 8)
    return folder


@pytest.fixture(scope="module")
def letter_ocr(pages_dir: Path) -> PageOcr:
    return ocr_page(pages_dir / "carta.jpg", dpi=300)


def pdf_pages(data: bytes) -> list[tuple[float, float, str]]:
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        return [(page.width, page.height, page.extract_text() or "") for page in pdf.pages]


# -- tesseract ---------------------------------------------------------------------------------


def test_check_tesseract_returns_the_version() -> None:
    version = check_tesseract("spa")
    assert version.split(".")[0].isdigit() and int(version.split(".")[0]) >= 4


def test_ocr_reads_spanish_words_with_accents(letter_ocr: PageOcr) -> None:
    for word in WORDS:
        assert word in letter_ocr.text
    assert letter_ocr.confidence > 50
    assert letter_ocr.seconds > 0


def test_ocr_pdf_is_the_page_at_its_real_size_with_a_text_layer(letter_ocr: PageOcr) -> None:
    ((width, height, text),) = pdf_pages(letter_ocr.pdf)
    # At tesseract's guessed resolution this page came out 36×47 in; it must be letter.
    assert (round(width), round(height)) == (612, 792)
    assert "Muñoz" in text and "Oficialía" in text


def test_ocr_uses_the_given_dpi_when_the_file_has_none(pages_dir: Path) -> None:
    result = ocr_page(pages_dir / "carta-sin-dpi.png", dpi=300)
    ((width, height, _),) = pdf_pages(result.pdf)
    assert (round(width), round(height)) == (612, 792)
    assert "miércoles" in result.text


@pytest.mark.parametrize("name", ["blanca.png", "ruido.png"])
def test_blank_or_noise_page_gives_no_text_and_no_error(pages_dir: Path, name: str) -> None:
    result = ocr_page(pages_dir / name, dpi=300 if name == "blanca.png" else 150)
    assert result.text.strip() == ""
    assert result.confidence == 0.0
    assert result.pdf.startswith(b"%PDF")


def test_corrupt_image_raises_ocr_failed_in_spanish(pages_dir: Path) -> None:
    with pytest.raises(OcrFailed) as caught:
        ocr_page(pages_dir / "danada.jpg", dpi=300)
    assert "No se pudo hacer el OCR de la página" in str(caught.value)
    assert "tesseract" in str(caught.value)  # its stderr tail tells IT what went wrong


def test_missing_image_raises_ocr_failed(tmp_path: Path) -> None:
    with pytest.raises(OcrFailed, match="No se encontró la imagen"):
        ocr_page(tmp_path / "no-existe.jpg", dpi=300)


def test_timeout_kills_tesseract_and_says_so(pages_dir: Path) -> None:
    with pytest.raises(OcrFailed, match="tardó más de"):
        ocr_page(pages_dir / "carta.jpg", dpi=300, timeout=0.01)


def test_dpi_outside_what_tesseract_accepts_is_refused(pages_dir: Path) -> None:
    with pytest.raises(ValueError, match="dpi"):
        ocr_page(pages_dir / "carta.jpg", dpi=50)


def test_missing_tesseract_says_how_to_install(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, pages_dir: Path
) -> None:
    monkeypatch.setattr(engine, "TESSERACT_COMMAND", str(tmp_path / "tesseract"))
    with pytest.raises(ToolMissing) as caught:
        check_tesseract("spa")
    assert "tesseract-ocr-spa" in str(caught.value)
    with pytest.raises(ToolMissing):
        ocr_page(pages_dir / "carta.jpg", dpi=300)


def test_tesseract_not_on_path_is_tool_missing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ToolMissing, match="tesseract-ocr-spa"):
        check_tesseract("spa")


def test_missing_language_is_tool_missing(pages_dir: Path) -> None:
    with pytest.raises(ToolMissing) as caught:
        ocr_page(pages_dir / "carta.jpg", dpi=300, languages="spa+zzz")
    assert "zzz" in str(caught.value) and "tesseract-ocr-zzz" in str(caught.value)


FAKE_TSV_HEADER = (
    "level page_num block_num par_num line_num word_num left top width height conf text"
)


@pytest.mark.skipif(sys.platform == "win32", reason="la herramienta falsa es un script POSIX")
def test_child_runs_single_threaded_with_dpi_and_one_run(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, pages_dir: Path
) -> None:
    # A stand-in tesseract records what it was given, the way Vorta's tests record borg.
    fake = tmp_path / "tesseract"
    rows = [
        "5 1 1 1 1 1 0 0 9 9 80 hilos=$OMP_THREAD_LIMIT",
        "4 1 1 1 1 0 0 0 9 9 -1 ",
        "5 1 1 1 1 2 0 0 9 9 90 |Tomás",
        "5 1 1 1 1 3 0 0 9 9 10 |",
        "5 1 1 1 2 1 0 0 9 9 70 Muñoz",
        "5 1 2 1 1 1 0 0 9 9 -1 Peña",
    ]
    tsv = "\\n".join(row.replace(" ", "\\t") for row in [FAKE_TSV_HEADER, *rows])
    fake.write_text(
        textwrap.dedent(f"""\
        #!/bin/sh
        case "$1" in
          --version) echo "tesseract 5.9.9"; exit 0 ;;
          --list-langs) printf 'List of available languages in "x" (1):\\nspa\\n'; exit 0 ;;
        esac
        echo "$@" >> "$(dirname "$0")/calls"
        printf '%%PDF-1.5 falso' > "$2.pdf"
        printf "{tsv}\\n" > "$2.tsv"
        """)
    )
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setattr(engine, "TESSERACT_COMMAND", str(fake))
    monkeypatch.setenv("OMP_THREAD_LIMIT", "8")
    result = ocr_page(pages_dir / "carta.jpg", dpi=240)
    # Table rules read as "|" are dropped from the text and from the confidence.
    assert result.text == "hilos=1 Tomás\nMuñoz\n\nPeña"
    assert result.confidence == pytest.approx(80.0)
    assert result.pdf == b"%PDF-1.5 falso"
    (call,) = (tmp_path / "calls").read_text().splitlines()
    assert "--dpi 240" in call and "-l spa" in call and call.endswith("pdf tsv")


# -- text layers -------------------------------------------------------------------------------


def born_digital_pdf(path: Path) -> Path:
    pdf = FPDF(format="letter")
    pdf.add_font("DejaVu", fname=str(FONT))
    pdf.set_font("DejaVu", size=12)
    for number in (1, 2):
        pdf.add_page()
        pdf.multi_cell(
            0,
            7,
            f"Oficio {number}. La Tesorería Municipal informa al señor Muñoz "
            "que su solicitud de información pública fue atendida. " * 3,
        )
        with pdf.table(first_row_as_headings=False) as table:
            for cells in (("Concepto", "Importe"), ("Pavimentación", "$1,500.00")):
                row = table.row()
                for cell in cells:
                    row.cell(cell)
    pdf.output(str(path))
    return path


def image_with_text_pdf(path: Path, text: str, mode: TextMode) -> Path:
    """A full-page scan with a text layer on top: an old OCR layer or a stamp."""
    image_path = path.with_suffix(".png")
    Image.new("L", (850, 1100), 230).save(image_path)
    pdf = FPDF(format="letter", unit="pt")
    pdf.add_font("DejaVu", fname=str(FONT))
    pdf.set_font("DejaVu", size=10)
    pdf.add_page()
    pdf.image(str(image_path), x=0, y=0, w=612, h=792)
    pdf.text_mode = mode
    pdf.set_xy(40, 40)
    pdf.multi_cell(530, 12, text)
    pdf.output(str(path))
    return path


def test_born_digital_pdf_has_text_and_keeps_table_rows(tmp_path: Path) -> None:
    path = born_digital_pdf(tmp_path / "oficio.pdf")
    infos = classify_pdf_pages(path)
    assert [info.has_text for info in infos] == [True, True]
    assert infos[0].char_count > 200 and infos[0].legible_share > 0.95
    assert infos[0].image_coverage == 0.0
    text = extract_page_text(path, 1)
    assert "Oficio 2." in text and "Tesorería" in text and "Muñoz" in text
    assert "Pavimentación $1,500.00" in text


def test_text_drawn_twice_for_fake_bold_is_read_once(tmp_path: Path) -> None:
    pdf = FPDF(format="letter", unit="pt")
    pdf.add_font("DejaVu", fname=str(FONT))
    pdf.set_font("DejaVu", size=14)
    pdf.add_page()
    for offset in (0.0, 0.4):  # how some generators fake bold
        pdf.text(72 + offset, 100, "ESCRITO DE PETICIÓN")
    pdf.text(72, 130, "calle Allende 11")
    pdf.output(str(tmp_path / "negritas.pdf"))
    text = extract_page_text(tmp_path / "negritas.pdf", 0)
    assert text.splitlines() == ["ESCRITO DE PETICIÓN", "calle Allende 11"]


def test_scanned_pdf_has_no_text(tmp_path: Path) -> None:
    path = tmp_path / "escaneo.pdf"
    draw_page(LINES).save(path, "PDF", resolution=300)
    info = inspect_text_layer(path, 0)
    assert not info.has_text
    assert info.char_count == 0 and info.image_coverage > 0.95


def test_earlier_ocr_layer_counts_as_text(tmp_path: Path, letter_ocr: PageOcr) -> None:
    path = tmp_path / "ocr-anterior.pdf"
    path.write_bytes(letter_ocr.pdf)
    info = inspect_text_layer(path, 0)
    assert info.has_text and info.invisible_share == 1.0 and info.image_coverage > 0.95
    assert "Muñoz" in extract_page_text(path, 0)


def test_garbage_ocr_layer_is_ocred_again(tmp_path: Path) -> None:
    path = image_with_text_pdf(
        tmp_path / "basura.pdf", "|~^_ {}<> \\|| ~~=^ " * 20, TextMode.INVISIBLE
    )
    info = inspect_text_layer(path, 0)
    assert not info.has_text and info.legible_share < 0.5


def test_a_stamp_over_a_scan_is_not_the_pages_text(tmp_path: Path) -> None:
    path = image_with_text_pdf(
        tmp_path / "sello.pdf", "Recibido 12/03/2025 folio 000123", TextMode.FILL
    )
    info = inspect_text_layer(path, 0)
    assert not info.has_text and info.char_count > 0 and info.image_coverage > 0.95


def test_unreadable_pdfs_raise_unreadable_file_in_spanish(tmp_path: Path) -> None:
    corrupt = tmp_path / "danado.pdf"
    corrupt.write_bytes(b"%PDF-1.7\nesto no es un PDF")
    with pytest.raises(UnreadableFile, match="dañado"):
        classify_pdf_pages(corrupt)
    with pytest.raises(UnreadableFile, match="dañado"):
        extract_page_text(corrupt, 0)
    locked = FPDF()
    locked.add_page()
    locked.set_encryption(owner_password="dueño", user_password="secreto")
    locked.output(str(tmp_path / "cerrado.pdf"))
    with pytest.raises(UnreadableFile, match="contraseña"):
        inspect_text_layer(tmp_path / "cerrado.pdf", 0)
    with pytest.raises(UnreadableFile, match="no tiene página 3"):
        inspect_text_layer(born_digital_pdf(tmp_path / "dos.pdf"), 2)


# -- assembling --------------------------------------------------------------------------------


def test_assemble_joins_ocr_imported_and_image_pages(
    tmp_path: Path, letter_ocr: PageOcr, pages_dir: Path
) -> None:
    digital = born_digital_pdf(tmp_path / "oficio.pdf")
    small = tmp_path / "media-carta.png"
    Image.new("L", (1100, 1700), 255).save(small)  # 5.5 × 8.5 in at 200 dpi
    data = assemble_pdf(
        [
            PagePdf(pdf=letter_ocr.pdf),
            PagePdf(source_pdf=digital, source_index=1),
            PagePdf(image_path=small, dpi=200),
        ]
    )
    pages = pdf_pages(data)
    assert [(round(w), round(h)) for w, h, _ in pages] == [(612, 792), (612, 792), (396, 612)]
    assert "Muñoz" in pages[0][2] and "Oficialía" in pages[0][2]
    assert "Oficio 2." in pages[1][2] and "Pavimentación" in pages[1][2]
    assert pages[2][2] == ""


def test_assemble_names_the_page_it_cannot_read(tmp_path: Path, pages_dir: Path) -> None:
    with pytest.raises(UnreadableFile, match="página 2"):
        assemble_pdf(
            [
                PagePdf(image_path=pages_dir / "carta.jpg", dpi=300),
                PagePdf(image_path=tmp_path / "no-existe.png", dpi=300),
            ]
        )
    with pytest.raises(ValueError):
        PagePdf(pdf=b"%PDF", image_path=tmp_path / "x.png")


def test_pdf_work_from_many_threads_at_once(tmp_path: Path, letter_ocr: PageOcr) -> None:
    # PDFium is not thread-safe; the OCR worker calls these from its pool all the same.
    digital = born_digital_pdf(tmp_path / "oficio.pdf")
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(5):
                assert classify_pdf_pages(digital)[0].has_text
                assert (
                    len(
                        pdf_pages(
                            assemble_pdf(
                                [
                                    PagePdf(pdf=letter_ocr.pdf),
                                    PagePdf(source_pdf=digital, source_index=0),
                                ]
                            )
                        )
                    )
                    == 2
                )
        except BaseException as error:  # noqa: BLE001 - reported by the main thread
            errors.append(error)

    threads = [threading.Thread(target=work) for _ in range(max(4, os.cpu_count() or 1))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
