"""The OCR engine against the real tesseract: text, confidence, the PDF page, failures in Spanish.

Test pages are drawn here with PIL at 300 dpi; the PDFs are made with PIL (scans) and fpdf2
(born-digital), so nothing depends on files outside the test.
"""

from __future__ import annotations

import io
import os
import random
import stat
import sys
import textwrap
import threading
from pathlib import Path

import pdfplumber
import pypdfium2 as pdfium
import pytest
from fpdf import FPDF
from fpdf.enums import TextMode
from PIL import Image, ImageDraw, ImageFont

import mailroom
from mailroom.capture import CaptureLimits, capture_file
from mailroom.errors import OcrFailed, ToolMissing, UnreadableFile
from mailroom.ocr import (
    PageOcr,
    PagePdf,
    TextLayer,
    assemble_pdf,
    check_tesseract,
    classify_pdf_pages,
    engine,
    extract,
    extract_document_text,
    extract_page_text,
    inspect_text_layer,
    judge_text,
    ocr_page,
)
from mailroom.ocr.extract import Box, in_reading_order

FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf")
LETTER_PX = (2550, 3300)  # US letter at 300 dpi
LINES = (
    "Oficialía de Partes Municipal",
    "El señor José Muñoz Peña presentó su escrito",
    "el miércoles para solicitar información pública.",
    "Atentamente, la Dirección de Obras Públicas.",
)
WORDS = ("Oficialía", "señor", "Muñoz", "Peña", "presentó", "miércoles", "información", "Públicas")


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
    # Seeded: Image.effect_noise draws from C's rand(), and one noise image in some dozens
    # happened to read as a few letters (a flaky test, not a bug).
    noise = Image.frombytes("L", (1275, 1650), random.Random(7).randbytes(1275 * 1650))
    noise.save(folder / "ruido.png")
    (folder / "danada.jpg").write_bytes(b"\xff\xd8\xff\xe0" + bytes(range(256)) * 8)
    return folder


@pytest.fixture(scope="module")
def letter_ocr(pages_dir: Path) -> PageOcr:
    return ocr_page(pages_dir / "carta.jpg", dpi=300, work_dir=pages_dir)


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
    result = ocr_page(pages_dir / "carta-sin-dpi.png", dpi=300, work_dir=pages_dir)
    ((width, height, _),) = pdf_pages(result.pdf)
    assert (round(width), round(height)) == (612, 792)
    assert "miércoles" in result.text


@pytest.mark.parametrize("name", ["blanca.png", "ruido.png"])
def test_blank_or_noise_page_gives_no_text_and_no_error(pages_dir: Path, name: str) -> None:
    dpi = 300 if name == "blanca.png" else 150
    result = ocr_page(pages_dir / name, dpi=dpi, work_dir=pages_dir)
    assert result.text.strip() == ""
    assert result.confidence == 0.0
    assert result.pdf.startswith(b"%PDF")


def test_corrupt_image_raises_ocr_failed_in_spanish(pages_dir: Path) -> None:
    with pytest.raises(OcrFailed) as caught:
        ocr_page(pages_dir / "danada.jpg", dpi=300, work_dir=pages_dir)
    assert "No se pudo hacer el OCR de la página" in str(caught.value)
    assert "tesseract" in str(caught.value)  # its stderr tail tells IT what went wrong


def test_missing_image_raises_ocr_failed(tmp_path: Path) -> None:
    with pytest.raises(OcrFailed, match="No se encontró la imagen"):
        ocr_page(tmp_path / "no-existe.jpg", dpi=300, work_dir=tmp_path)


def test_timeout_kills_tesseract_and_says_so(pages_dir: Path) -> None:
    with pytest.raises(OcrFailed, match="tardó más de"):
        ocr_page(pages_dir / "carta.jpg", dpi=300, work_dir=pages_dir, timeout=0.01)


def test_dpi_outside_what_tesseract_accepts_is_refused(pages_dir: Path) -> None:
    with pytest.raises(ValueError, match="dpi"):
        ocr_page(pages_dir / "carta.jpg", dpi=50, work_dir=pages_dir)


def test_missing_tesseract_says_how_to_install(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, pages_dir: Path
) -> None:
    monkeypatch.setattr(engine, "TESSERACT_COMMAND", str(tmp_path / "tesseract"))
    with pytest.raises(ToolMissing) as caught:
        check_tesseract("spa")
    assert "tesseract-ocr-spa" in str(caught.value)
    with pytest.raises(ToolMissing):
        ocr_page(pages_dir / "carta.jpg", dpi=300, work_dir=tmp_path)


def test_tesseract_not_on_path_is_tool_missing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ToolMissing, match="tesseract-ocr-spa"):
        check_tesseract("spa")


def test_missing_language_is_tool_missing(pages_dir: Path) -> None:
    with pytest.raises(ToolMissing) as caught:
        ocr_page(pages_dir / "carta.jpg", dpi=300, work_dir=pages_dir, languages="spa+zzz")
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
    result = ocr_page(pages_dir / "carta.jpg", dpi=240, work_dir=tmp_path)
    # Table rules read as "|" are dropped from the text and from the confidence.
    assert result.text == "hilos=1 Tomás\nMuñoz\n\nPeña"
    assert result.confidence == pytest.approx(80.0)
    assert result.pdf == b"%PDF-1.5 falso"
    (call,) = (tmp_path / "calls").read_text().splitlines()
    assert "--dpi 240" in call and "-l spa" in call and call.endswith("pdf tsv")


# -- text layers: judging ----------------------------------------------------------------------

SPANISH = (
    "Por medio del presente escrito, el que suscribe solicita respetuosamente a esta "
    "Oficialía de Partes se sirva dar trámite a la petición de información pública, "
    "conforme a lo dispuesto por la ley de transparencia del estado. "
)


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


@pytest.mark.parametrize(
    ("text", "verdict"),
    [
        (SPANISH * 2, TextLayer.STRONG),
        ("Anexo 1: copia de la identificación oficial.", TextLayer.WEAK),
        ("Página 1", TextLayer.NONE),
        ("\ue000\ue001\ue002\ue003 " * 20, TextLayer.NONE),  # private use: no Unicode map
        ("\x01\x02\x03\x04\x05 " * 20, TextLayer.NONE),
        ("Nrw tlq ;:, zkxp brq mmn " * 12, TextLayer.NONE),  # an old OCR's consonant soup
        ("~—‘ |! ,. ;: " * 20, TextLayer.NONE),
        ("丂丄丅丆丏 乀乁乂乃 " * 10, TextLayer.NONE),  # glyph numbers read as random letters
        # PDFium's marks for words hyphenated across lines are layout, not illegible characters.
        (SPANISH.replace("ción ", "ci\ufffe") * 2, TextLayer.STRONG),
        # Blanks to fill in are layout too, not symbol soup.
        (
            "Nombre: ____________________ Domicilio: ____________________ Firma: .........",
            TextLayer.WEAK,
        ),
    ],
)
def test_text_layer_judgement(text: str, verdict: TextLayer) -> None:
    assert judge_text(text) is verdict


def test_born_digital_pdf_has_text_and_keeps_table_rows(tmp_path: Path) -> None:
    path = born_digital_pdf(tmp_path / "oficio.pdf")
    infos = classify_pdf_pages(path)
    assert [info.has_text for info in infos] == [True, True]
    assert infos[0].char_count > 200 and infos[0].legible_share > 0.95
    assert infos[0].image_coverage == 0.0 and infos[0].level is TextLayer.STRONG
    text = extract_page_text(path, 1)
    assert "Oficio 2." in text and "Tesorería" in text and "Muñoz" in text
    assert "Pavimentación $1,500.00" in text


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


def test_a_short_earlier_ocr_layer_counts_as_text_too(tmp_path: Path) -> None:
    # Invisible text is meant to stand for the page, unlike a stamp; a page with little on it
    # has a short OCR layer.
    path = image_with_text_pdf(
        tmp_path / "firma.pdf", "Atentamente, el Director de Obras Públicas", TextMode.INVISIBLE
    )
    info = inspect_text_layer(path, 0)
    assert info.has_text and info.level is TextLayer.WEAK and info.invisible_share == 1.0


def test_garbage_ocr_layer_is_ocred_again(tmp_path: Path) -> None:
    path = image_with_text_pdf(
        tmp_path / "basura.pdf", "|~^_ {}<> \\|| ~~=^ " * 20, TextMode.INVISIBLE
    )
    info = inspect_text_layer(path, 0)
    # Symbols are legible characters; what gives the layer away is that almost none are letters.
    assert not info.has_text and info.level is TextLayer.NONE and info.alphanumeric_share < 0.5


def test_a_stamp_over_a_scan_is_not_the_pages_text(tmp_path: Path) -> None:
    path = image_with_text_pdf(
        tmp_path / "sello.pdf", "Recibido 12/03/2025 folio 000123", TextMode.FILL
    )
    info = inspect_text_layer(path, 0)
    assert not info.has_text and info.char_count > 0 and info.image_coverage > 0.95
    assert info.level is TextLayer.WEAK  # legible, but a stamp


def test_a_scan_inside_a_form_xobject_is_still_a_scan(tmp_path: Path) -> None:
    # "Print to PDF" and imposition tools wrap the whole page, scan and stamp, in a form.
    source = image_with_text_pdf(
        tmp_path / "sello.pdf", "Recibido 12/03/2025 folio 000123", TextMode.FILL
    )
    original = pdfium.PdfDocument(source)
    wrapped = pdfium.PdfDocument.new()
    page = wrapped.new_page(612, 792)
    page.insert_obj(original.page_as_xobject(0, wrapped).as_pageobject())
    page.gen_content()
    page.close()
    wrapped.save(str(tmp_path / "envuelto.pdf"))
    wrapped.close()
    original.close()
    info = inspect_text_layer(tmp_path / "envuelto.pdf", 0)
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
    with pytest.raises(UnreadableFile, match="contraseña"):
        extract_page_text(tmp_path / "cerrado.pdf", 0)
    two_pages = born_digital_pdf(tmp_path / "dos.pdf")
    with pytest.raises(UnreadableFile, match="no tiene página 3"):
        inspect_text_layer(two_pages, 2)
    with pytest.raises(UnreadableFile, match="no tiene página 3"):
        extract_document_text(two_pages, [0, 2])


# -- text layers: reading ----------------------------------------------------------------------

ROWS = (
    ("Localidad", "Acción", "Inversión"),
    ("San Baltazar", "Tanque elevado", "$1,699,000.00"),
    ("Santa María", "Colector", "$2,968,000.00"),
    ("Álvaro Obregón", "Drenaje", "$785,000.00"),
)


def add_table_page(pdf: FPDF, *, column_first: bool) -> None:
    pdf.add_page()
    pdf.set_xy(72, 72)
    pdf.multi_cell(468, 14, "Las obras programadas por localidad son las siguientes:")
    cells = [(row, column) for row in range(len(ROWS)) for column in range(3)]
    if column_first:  # as some report generators draw tables
        cells.sort(key=lambda cell: (cell[1], cell[0]))
    for row, column in cells:
        pdf.set_xy(72 + column * 150, 110 + row * 20)
        pdf.cell(150, 20, ROWS[row][column], border=1)
    pdf.set_xy(72, 210)
    pdf.multi_cell(468, 14, "Atentamente, el Director General de la Comisión Estatal del Agua.")


def new_pdf() -> FPDF:
    pdf = FPDF(format="letter", unit="pt")
    pdf.add_font("DejaVu", fname=str(FONT))
    pdf.set_font("DejaVu", size=11)
    return pdf


@pytest.fixture
def pdfplumber_reads(monkeypatch: pytest.MonkeyPatch) -> list[list[int]]:
    """The pages each call read with pdfplumber, the fallback for pages drawn out of order."""
    calls: list[list[int]] = []
    real = extract._plumber_texts

    def spy(pdf_path: Path, page_indexes: list[int], password: str | None) -> dict[int, str]:
        calls.append(list(page_indexes))
        return real(pdf_path, page_indexes, password)

    monkeypatch.setattr(extract, "_plumber_texts", spy)
    return calls


TABLE_TEXT = [
    "Las obras programadas por localidad son las siguientes:",
    "Localidad Acción Inversión",
    "San Baltazar Tanque elevado $1,699,000.00",
    "Santa María Colector $2,968,000.00",
    "Álvaro Obregón Drenaje $785,000.00",
    "Atentamente, el Director General de la Comisión Estatal del Agua.",
]


def test_a_table_drawn_row_by_row_is_read_by_pdfium(
    tmp_path: Path, pdfplumber_reads: list[list[int]]
) -> None:
    pdf = new_pdf()
    add_table_page(pdf, column_first=False)
    pdf.output(str(tmp_path / "filas.pdf"))
    assert extract_page_text(tmp_path / "filas.pdf", 0).splitlines() == TABLE_TEXT
    assert pdfplumber_reads == []


def test_a_table_drawn_column_by_column_is_read_by_rows(
    tmp_path: Path, pdfplumber_reads: list[list[int]]
) -> None:
    pdf = new_pdf()
    add_table_page(pdf, column_first=True)
    pdf.output(str(tmp_path / "columnas.pdf"))
    # PDFium alone would give "Localidad\nSan Baltazar\nSanta María\n…": pdfplumber rebuilds rows.
    assert extract_page_text(tmp_path / "columnas.pdf", 0).splitlines() == TABLE_TEXT
    assert pdfplumber_reads == [[0]]


def turned(path: Path) -> Path:
    """The page stored sideways and turned back with /Rotate 90, as some scanners and
    imposition tools store landscape or portrait pages."""
    source = pdfium.PdfDocument(path)
    width, height = source[0].get_size()
    output = pdfium.PdfDocument.new()
    page = output.new_page(height, width)
    drawing = source.page_as_xobject(0, output).as_pageobject()
    drawing.set_matrix(pdfium.PdfMatrix().rotate(-90).translate(height, 0))
    page.insert_obj(drawing)
    page.gen_content()
    page.set_rotation(90)
    page.close()
    output.save(str(path.with_name(f"girada-{path.name}")))
    output.close()
    source.close()
    return path.with_name(f"girada-{path.name}")


@pytest.mark.parametrize("column_first", [False, True])
def test_a_turned_page_is_judged_as_it_is_shown(
    tmp_path: Path, pdfplumber_reads: list[list[int]], column_first: bool
) -> None:
    pdf = new_pdf()
    add_table_page(pdf, column_first=column_first)
    pdf.output(str(tmp_path / "tabla.pdf"))
    path = turned(tmp_path / "tabla.pdf")
    assert extract_page_text(path, 0).splitlines() == TABLE_TEXT
    assert pdfplumber_reads == ([[0]] if column_first else [])


def test_two_columns_of_prose_are_read_column_by_column(
    tmp_path: Path, pdfplumber_reads: list[list[int]]
) -> None:
    pdf = new_pdf()
    pdf.add_page()
    for left, name in ((72, "PRIMERA"), (320, "SEGUNDA")):
        pdf.set_xy(left, 72)
        pdf.multi_cell(220, 13, f"{name} COLUMNA. " + SPANISH * 3)
    pdf.output(str(tmp_path / "columnas.pdf"))
    text = extract_page_text(tmp_path / "columnas.pdf", 0)
    # Rebuilding lines across the page would interleave the columns' lines.
    assert text.startswith("PRIMERA COLUMNA.") and text.count("SEGUNDA") == 1
    assert text.index("SEGUNDA") > text.rindex("PRIMERA") and text.endswith("estado.")
    assert pdfplumber_reads == []


@pytest.mark.parametrize("reader", ["pdfium", "pdfplumber"])
def test_text_drawn_twice_for_fake_bold_is_read_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reader: str
) -> None:
    if reader == "pdfplumber":
        monkeypatch.setattr(extract, "in_reading_order", lambda boxes: False)
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


def test_extract_document_text_keeps_the_order_asked(
    tmp_path: Path, pdfplumber_reads: list[list[int]]
) -> None:
    pdf = new_pdf()
    add_table_page(pdf, column_first=True)
    pdf.add_page()
    pdf.text(72, 100, "la solicitud de informa-")  # hyphenated across lines, as printed
    pdf.text(72, 114, "ción pública fue entrega-")
    pdf.text(72, 128, "da al señor Muñoz.")
    pdf.output(str(tmp_path / "dos.pdf"))
    prose, table = extract_document_text(tmp_path / "dos.pdf", [1, 0])
    assert prose.splitlines() == [
        "la solicitud de informa-",
        "ción pública fue entrega-",
        "da al señor Muñoz.",
    ]
    assert table.splitlines() == TABLE_TEXT
    assert pdfplumber_reads == [[0]]  # only the page PDFium could not read in order


def line(top: float, left: float = 72, right: float = 540, height: float = 10) -> Box:
    """A piece of a line of text in PDF points (y upwards), as PDFium reports it."""
    return (left, top - height, right, top)


def two_columns(lines: int) -> list[Box]:
    return [line(700 - 14 * n, 72, 290) for n in range(lines)] + [
        line(700 - 14 * n, 320, 540) for n in range(lines)
    ]


def table_by_columns(rows: int, columns: int) -> list[Box]:
    return [
        line(600 - 20 * row, 72 + 150 * column, 130 + 150 * column)
        for column in range(columns)
        for row in range(rows)
    ]


@pytest.mark.parametrize(
    ("boxes", "in_order"),
    [
        ([line(700 - 14 * n) for n in range(30)], True),  # one column of prose
        # Table rows: pieces left to right along a line, then the next line.
        (
            [line(600 - 20 * r, 72 + 150 * c, 130 + 150 * c) for r in range(5) for c in range(3)],
            True,
        ),
        (two_columns(30), True),
        ([line(700 - 14 * n) for n in range(30)] + [line(760, 500, 540)], True),  # page number
        ([line(700, 400, 460), line(700, 72, 130)], True),  # one piece back is not a table
        (table_by_columns(2, 2), False),
        (table_by_columns(20, 3), False),
        ([line(600, 400, 460), line(600, 250, 310), line(600, 72, 130)], False),  # right to left
        ([line(100 + 14 * n) for n in range(30)], False),  # bottom to top
    ],
    ids=[
        "prose",
        "table-by-rows",
        "two-columns",
        "page-number-last",
        "one-piece-back",
        "table-2x2-by-columns",
        "table-20x3-by-columns",
        "right-to-left",
        "bottom-to-top",
    ],
)
def test_reading_order_check(boxes: list[Box], in_order: bool) -> None:
    assert in_reading_order(boxes) is in_order


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


def test_every_module_that_calls_pdfium_takes_the_one_lock() -> None:
    package = Path(mailroom.__file__).parent
    users = [
        path
        for path in sorted(package.rglob("*.py"))
        if "import pypdfium2" in path.read_text("utf-8") and path.name != "pdfium.py"
    ]
    assert users, "no module uses pypdfium2: this test looks in the wrong place"
    for path in users:
        source = path.read_text("utf-8")
        assert "from mailroom.pdfium import" in source and "pdfium_lock" in source, path
        assert "threading.Lock(" not in source and "threading.RLock(" not in source, path


def test_pdf_work_from_many_threads_at_once(tmp_path: Path, letter_ocr: PageOcr) -> None:
    # PDFium is not thread-safe; the OCR worker calls these from its pool, and registration
    # captures PDFs in another thread, all the same: one lock must guard them all.
    digital = born_digital_pdf(tmp_path / "oficio.pdf")
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(5):
                assert classify_pdf_pages(digital)[0].has_text
                assert "Pavimentación $1,500.00" in extract_page_text(digital, 0)
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

    def register(number: int) -> None:
        try:
            for attempt in range(5):
                work_dir = tmp_path / f"registro-{number}-{attempt}"
                pages = capture_file(digital, work_dir, CaptureLimits()).pages
                assert [page.source for page in pages] == ["texto", "texto"]
        except BaseException as error:  # noqa: BLE001 - reported by the main thread
            errors.append(error)

    threads = [threading.Thread(target=work) for _ in range(max(4, os.cpu_count() or 1))]
    threads += [threading.Thread(target=register, args=(number,)) for number in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
