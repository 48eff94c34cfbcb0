"""File capture: every accepted type yields OCR-ready pages; every bad file is refused in Spanish
and leaves nothing in the work folder."""

from __future__ import annotations

import hashlib
import io
import os
import struct
import zlib
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from fpdf import FPDF
from fpdf.enums import TextMode
from PIL import Image, ImageDraw

from mailroom.capture import CaptureLimits, capture_file, sniff_mime
from mailroom.config import Settings
from mailroom.errors import StorageError, UnreadableFile

LIMITS = CaptureLimits()
LETTER_POINTS = (612, 792)
SPANISH = (
    "Por medio del presente escrito, el que suscribe solicita respetuosamente a esta "
    "Oficialía de Partes se sirva dar trámite a la petición de información pública, "
    "conforme a lo dispuesto por la ley de transparencia del estado. "
)


# ---- inputs ------------------------------------------------------------------------------------


def page_image(size: tuple[int, int] = (850, 1100), mode: str = "L") -> Image.Image:
    image = Image.new(mode, size, "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle((40, 40, size[0] // 2, 80), fill="black")
    draw.text((40, 120), "Oficio 123/2026", fill="black")
    return image


def jpeg_bytes(size: tuple[int, int] = (850, 1100), **params: object) -> bytes:
    buffer = io.BytesIO()
    page_image(size).save(buffer, "JPEG", quality=80, **params)
    return buffer.getvalue()


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def scanned_pdf(path: Path, jpegs: list[bytes]) -> Path:
    pdf = FPDF(unit="pt", format=LETTER_POINTS)
    for data in jpegs:
        pdf.add_page()
        pdf.image(io.BytesIO(data), x=0, y=0, w=LETTER_POINTS[0], h=LETTER_POINTS[1])
    pdf.output(str(path))
    return path


def text_pdf(path: Path, pages: int = 2) -> Path:
    pdf = FPDF(unit="pt", format=LETTER_POINTS)
    pdf.set_font("Helvetica", size=11)
    for number in range(pages):
        pdf.add_page()
        pdf.multi_cell(0, 14, f"Página {number + 1}. " + SPANISH * 3)
    pdf.output(str(path))
    return path


def png_header_only(path: Path, width: int, height: int) -> Path:
    """A valid-looking 1-bit PNG of any size in a few bytes: one real row, then nothing."""

    def chunk(kind: bytes, payload: bytes) -> bytes:
        crc = zlib.crc32(kind + payload) & 0xFFFFFFFF
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    row = zlib.compress(b"\0" + b"\0" * (width // 8))
    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", row)
    return write(path, data + chunk(b"IEND", b""))


def tiff_header_only(path: Path, width: int, height: int) -> Path:
    """An uncompressed 1-bit TIFF that claims ``width × height`` but holds no pixels."""
    entries = [
        (256, 4, width),
        (257, 4, height),
        (258, 3, 1),
        (259, 3, 1),
        (262, 3, 0),
        (273, 4, 8),
        (278, 4, height),
        (279, 4, (width + 7) // 8 * height),
    ]
    ifd = struct.pack("<H", len(entries))
    for tag, kind, value in entries:
        ifd += (
            struct.pack("<HHII", tag, kind, 1, value)
            if kind == 4
            else struct.pack("<HHIHH", tag, kind, 1, value, 0)
        )
    return write(path, b"II*\0" + struct.pack("<I", 8) + ifd + struct.pack("<I", 0))


def pdf_with_pages(path: Path, count: int, size: float = 72) -> Path:
    document = pdfium.PdfDocument.new()
    for _ in range(count):
        document.new_page(size, size)
    document.save(str(path))
    document.close()
    return path


# ---- helpers -----------------------------------------------------------------------------------


def files_in(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*")) if folder.exists() else []


def refused(
    path: Path, work_dir: Path, reason: str, *phrases: str, limits: CaptureLimits = LIMITS
) -> UnreadableFile:
    with pytest.raises(UnreadableFile) as caught:
        capture_file(path, work_dir, limits)
    error = caught.value
    assert error.details["reason"] == reason, str(error)
    for phrase in phrases:
        assert phrase in str(error)
    # The caller wipes work_dir anyway, but a refusal must leave nothing that looks like a page.
    assert files_in(work_dir) == []
    return error


@pytest.fixture
def work_dir(tmp_path: Path) -> Path:
    return tmp_path / "trabajo"


# ---- accepted files ----------------------------------------------------------------------------


def test_jpeg_with_dpi_is_its_own_page_image(tmp_path: Path, work_dir: Path) -> None:
    data = jpeg_bytes(dpi=(200, 200))
    path = write(tmp_path / "oficio.jpg", data)
    document = capture_file(path, work_dir, LIMITS)
    assert (document.mime, document.filename, document.size) == (
        "image/jpeg",
        "oficio.jpg",
        len(data),
    )
    assert document.sha256 == hashlib.sha256(data).hexdigest()
    assert [(p.index, p.source, p.image_path, p.dpi) for p in document.pages] == [
        (0, "imagen", path, 200)
    ]
    assert files_in(work_dir) == []


def test_png_without_dpi_gets_the_default(tmp_path: Path, work_dir: Path) -> None:
    path = tmp_path / "escrito.png"
    page_image().save(path, "PNG")
    assert capture_file(path, work_dir, LIMITS).pages[0].dpi == 300
    page = capture_file(path, work_dir, CaptureLimits(default_dpi=240)).pages[0]
    assert (page.image_path, page.dpi) == (path, 240)


def test_limits_come_from_settings(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path,
        max_pdf_pages=7,
        max_image_megapixels=9,
        max_file_megabytes=11,
        default_dpi=150,
    )
    assert CaptureLimits.from_settings(settings) == CaptureLimits(7, 9, 11, 150)


def test_exif_rotated_jpeg_gets_an_upright_copy(tmp_path: Path, work_dir: Path) -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # stored sideways: turn 90° clockwise to read
    path = write(tmp_path / "foto.jpg", jpeg_bytes((400, 300), exif=exif, dpi=(150, 150)))
    page = capture_file(path, work_dir, LIMITS).pages[0]
    assert page.image_path != path and page.image_path.parent.parent == work_dir
    with Image.open(page.image_path) as upright:
        assert (upright.format, upright.size) == ("JPEG", (300, 400))
        # The bar stored along the top-left edge reads along the right edge once turned.
        assert upright.getpixel((240, 120)) < 60 and upright.getpixel((60, 120)) > 200
    assert page.dpi == 150


@pytest.mark.parametrize("mode", ["I;16", "LA", "RGBA", "CMYK"])
def test_images_tesseract_reads_badly_get_a_plain_copy(
    tmp_path: Path, work_dir: Path, mode: str
) -> None:
    image = page_image((200, 100), "L")
    if mode == "I;16":
        image = image.convert("I").point(lambda value: value * 256).convert("I;16")
    elif mode in ("LA", "RGBA"):
        image = image.convert(mode)
        image.putalpha(image.getchannel(0).point(lambda value: 255 - value))  # ink only
    else:
        image = image.convert("CMYK")
    path = tmp_path / ("pagina.jpg" if mode == "CMYK" else "pagina.png")
    image.save(path)
    page = capture_file(path, work_dir, LIMITS).pages[0]
    assert page.image_path != path
    with Image.open(page.image_path) as plain:
        assert plain.mode in ("L", "RGB")
        # The black bar stays black and the paper white: not clipped, not turned black.
        assert plain.convert("L").getpixel((50, 60)) < 60
        assert plain.convert("L").getpixel((190, 95)) > 200


def test_tiff_frames_become_one_file_each(tmp_path: Path, work_dir: Path) -> None:
    path = tmp_path / "expediente.tif"
    frames = [page_image().convert("1"), page_image(), page_image(mode="RGB")]
    frames[0].save(
        path, save_all=True, append_images=frames[1:], compression="tiff_lzw", dpi=(200, 200)
    )
    document = capture_file(path, work_dir, LIMITS)
    assert document.mime == "image/tiff"
    assert [(p.index, p.source, p.dpi) for p in document.pages] == [
        (0, "imagen", 200),
        (1, "imagen", 200),
        (2, "imagen", 200),
    ]
    assert len({p.image_path for p in document.pages}) == 3
    for page, original in zip(document.pages, frames, strict=True):
        with Image.open(page.image_path) as frame:
            assert frame.n_frames == 1 and frame.mode == original.mode
            assert frame.tobytes() == original.tobytes()
    with Image.open(document.pages[0].image_path) as bilevel:
        assert bilevel.info["compression"] == "group4"


def test_scanned_pdf_hands_over_the_embedded_jpegs(tmp_path: Path, work_dir: Path) -> None:
    jpegs = [jpeg_bytes((2550, 3300)), jpeg_bytes((1275, 1650))]
    document = capture_file(scanned_pdf(tmp_path / "escaneo.pdf", jpegs), work_dir, LIMITS)
    assert document.mime == "application/pdf"
    assert [(p.source, p.dpi) for p in document.pages] == [("imagen", 300), ("imagen", 150)]
    for page, data in zip(document.pages, jpegs, strict=True):
        assert page.image_path.suffix == ".jpg"
        assert page.image_path.read_bytes() == data


def test_born_digital_pdf_pages_are_text(tmp_path: Path, work_dir: Path) -> None:
    document = capture_file(text_pdf(tmp_path / "oficio.pdf"), work_dir, LIMITS)
    assert [(p.index, p.source, p.image_path, p.dpi) for p in document.pages] == [
        (0, "texto", None, None),
        (1, "texto", None, None),
    ]
    assert files_in(work_dir) == []


def test_mixed_pdf(tmp_path: Path, work_dir: Path) -> None:
    pdf = FPDF(unit="pt", format=LETTER_POINTS)
    pdf.set_font("Helvetica", size=11)
    pdf.add_page()
    pdf.multi_cell(0, 14, SPANISH * 2)
    pdf.add_page()
    pdf.image(io.BytesIO(jpeg_bytes((1275, 1650))), x=0, y=0, w=612, h=792)
    pdf.add_page()
    pdf.set_fill_color(0)
    pdf.rect(72, 72, 300, 20, style="F")  # a drawing, no text: rendered for OCR
    pdf.add_page()
    pdf.image(io.BytesIO(jpeg_bytes((1275, 1650))), x=0, y=0, w=612, h=792)
    pdf.text(400, 40, "RECIBIDO 09/03/2026")  # a digital stamp over a scan: render, keep both
    path = tmp_path / "mixto.pdf"
    pdf.output(str(path))
    pages = capture_file(path, work_dir, LIMITS).pages
    assert [p.source for p in pages] == ["texto", "imagen", "imagen", "imagen"]
    assert [p.image_path.suffix if p.image_path else None for p in pages] == [
        None,
        ".jpg",
        ".png",
        ".png",
    ]
    with Image.open(pages[2].image_path) as rendered:
        assert rendered.mode == "L" and abs(rendered.width - 2550) <= 1 and pages[2].dpi == 300


def test_scan_with_invisible_ocr_layer(tmp_path: Path, work_dir: Path) -> None:
    def scan_with_layer(text: str) -> Path:
        pdf = FPDF(unit="pt", format=LETTER_POINTS)
        pdf.add_page()
        pdf.image(io.BytesIO(jpeg_bytes((1275, 1650))), x=0, y=0, w=612, h=792)
        pdf.set_font("Helvetica", size=11)
        pdf.text_mode = TextMode.INVISIBLE
        pdf.multi_cell(0, 14, text)
        path = tmp_path / f"capa-{len(text)}.pdf"
        pdf.output(str(path))
        return path

    good = capture_file(scan_with_layer(SPANISH * 2), work_dir, LIMITS).pages[0]
    assert (good.source, good.image_path) == ("texto", None)
    garbage = capture_file(scan_with_layer("Nrw tlq ;:, zkxp brq mmn " * 12), work_dir, LIMITS)
    assert garbage.pages[0].source == "imagen"
    assert garbage.pages[0].image_path.suffix == ".jpg"  # the invisible layer hides nothing


def test_rotated_scan_page_is_rendered_upright(tmp_path: Path, work_dir: Path) -> None:
    source = scanned_pdf(tmp_path / "origen.pdf", [jpeg_bytes((1275, 1650))])
    document = pdfium.PdfDocument(str(source))
    document[0].set_rotation(90)
    document.save(str(tmp_path / "girado.pdf"))
    document.close()
    page = capture_file(tmp_path / "girado.pdf", work_dir, LIMITS).pages[0]
    with Image.open(page.image_path) as rendered:
        assert rendered.width > rendered.height


def test_owner_password_only_pdf_is_readable(tmp_path: Path, work_dir: Path) -> None:
    pdf = FPDF()
    pdf.set_encryption(owner_password="dueño")
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    pdf.multi_cell(0, 6, SPANISH * 2)
    pdf.output(str(tmp_path / "permisos.pdf"))
    assert capture_file(tmp_path / "permisos.pdf", work_dir, LIMITS).pages[0].source == "texto"


def test_page_limit_can_be_raised(tmp_path: Path, work_dir: Path) -> None:
    path = pdf_with_pages(tmp_path / "enorme.pdf", 5000)
    refused(path, work_dir, "demasiadas_paginas", "5000 páginas", "2000", "max_pdf_pages")
    raised = CaptureLimits(max_pdf_pages=5000, default_dpi=72)
    document = capture_file(path, work_dir, raised)
    assert len(document.pages) == 5000
    assert {p.source for p in document.pages} == {"imagen"}


def test_a_name_without_a_known_extension_goes_by_content(tmp_path: Path, work_dir: Path) -> None:
    # Scan-to-folder devices name files "SCAN0001" or "doc.dat"; there is no claim to contradict.
    path = text_pdf(tmp_path / "SCAN0001")
    assert capture_file(path, work_dir, LIMITS).mime == "application/pdf"


# ---- refused files -----------------------------------------------------------------------------


def test_missing_file(tmp_path: Path, work_dir: Path) -> None:
    refused(tmp_path / "no-existe.pdf", work_dir, "no_existe", "No se encontró", "no-existe.pdf")


def test_directory(tmp_path: Path, work_dir: Path) -> None:
    (tmp_path / "escaneos").mkdir()
    refused(tmp_path / "escaneos", work_dir, "es_carpeta", '"escaneos" es una carpeta')


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes on this system")
def test_named_pipe_is_not_read(tmp_path: Path, work_dir: Path) -> None:
    os.mkfifo(tmp_path / "tuberia.pdf")
    refused(tmp_path / "tuberia.pdf", work_dir, "no_es_archivo", "no es un archivo común")


def test_zero_bytes(tmp_path: Path, work_dir: Path) -> None:
    refused(write(tmp_path / "vacio.pdf", b""), work_dir, "vacio", '"vacio.pdf" está vacío')


def test_unreadable_file(tmp_path: Path, work_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path / "ajeno.jpg", jpeg_bytes())
    path.chmod(0)
    if os.name != "posix" or os.geteuid() == 0:
        # Root reads a mode-000 file anyway (CI runs as root): make opening it fail as it would
        # for a clerk.
        real_open = Path.open

        def open_denied(self: Path, *args: object, **kwargs: object):  # type: ignore[no-untyped-def]
            if self == path:
                raise PermissionError(13, "Permission denied", str(self))
            return real_open(self, *args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(Path, "open", open_denied)
    refused(path, work_dir, "sin_permiso", 'No hay permiso para leer el archivo "ajeno.jpg"')


def test_file_above_the_size_limit(tmp_path: Path, work_dir: Path) -> None:
    path = tmp_path / "gigante.pdf"
    with path.open("wb") as handle:
        handle.truncate(3 * 1024 * 1024)  # sparse: no time spent writing
    refused(
        path,
        work_dir,
        "demasiado_grande",
        "3.0 MB",
        "1 MB",
        "max_file_megabytes",
        limits=CaptureLimits(max_file_megabytes=1),
    )


@pytest.mark.parametrize(
    ("name", "data", "phrases"),
    [
        ("escrito.pdf", b"\x89PNG\r\n\x1a\n" + b"\0" * 64, ("dice ser un PDF", "una imagen PNG")),
        ("foto.jpg", b"Hola, esto es texto.\n" * 5, ("una imagen JPEG", "texto simple")),
        ("oficio.docx", b"%PDF-1.7\n" + b"\0" * 64, ("documento de Word", "contenido es un PDF")),
    ],
)
def test_extension_that_lies(
    tmp_path: Path, work_dir: Path, name: str, data: bytes, phrases: tuple[str, ...]
) -> None:
    refused(write(tmp_path / name, data), work_dir, "extension_enganosa", name, *phrases)


@pytest.mark.parametrize(
    ("name", "data", "phrase"),
    [
        ("animacion.gif", b"GIF89a" + b"\0" * 64, "una imagen GIF"),
        ("carta.docx", b"PK\x03\x04" + b"\0" * 26 + b"word/document.xml", "documento de Word"),
        ("datos.bin", bytes(range(256)) * 4, "no se reconoce"),
    ],
)
def test_unsupported_types_name_the_accepted_ones(
    tmp_path: Path, work_dir: Path, name: str, data: bytes, phrase: str
) -> None:
    refused(
        write(tmp_path / name, data),
        work_dir,
        "tipo_no_aceptado",
        phrase,
        "Se aceptan archivos PDF, JPEG, PNG o TIFF",
    )


def test_corrupt_pdf(tmp_path: Path, work_dir: Path) -> None:
    data = b"%PDF-1.7\n" + os.urandom(20_000) + b"\n%%EOF\n"
    refused(write(tmp_path / "roto.pdf", data), work_dir, "pdf_danado", '"roto.pdf" está dañado')


def test_truncated_pdf(tmp_path: Path, work_dir: Path) -> None:
    whole = scanned_pdf(tmp_path / "completo.pdf", [jpeg_bytes(), jpeg_bytes()]).read_bytes()
    path = write(tmp_path / "cortado.pdf", whole[: len(whole) // 2])
    refused(path, work_dir, "pdf_incompleto", '"cortado.pdf" está incompleto')


def test_password_protected_pdf(tmp_path: Path, work_dir: Path) -> None:
    pdf = FPDF()
    pdf.set_encryption(owner_password="dueño", user_password="secreto")
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    pdf.cell(text="Confidencial")
    pdf.output(str(tmp_path / "protegido.pdf"))
    refused(
        tmp_path / "protegido.pdf", work_dir, "pdf_protegido", "contraseña", "copia sin protección"
    )


def test_pdf_without_pages(tmp_path: Path, work_dir: Path) -> None:
    path = pdf_with_pages(tmp_path / "sin-paginas.pdf", 0)
    refused(path, work_dir, "pdf_sin_paginas", "no tiene ninguna página")


def test_truncated_tiff(tmp_path: Path, work_dir: Path) -> None:
    path = tmp_path / "cortado.tif"
    frames = [page_image(), page_image(), page_image()]
    frames[0].save(path, save_all=True, append_images=frames[1:], dpi=(200, 200))
    data = path.read_bytes()
    for cut in (len(data) // 3, len(data) - 100):
        write(path, data[:cut])
        refused(path, work_dir, "imagen_danada", '"cortado.tif" está dañado o incompleto')


def test_truncated_jpeg(tmp_path: Path, work_dir: Path) -> None:
    data = jpeg_bytes()
    path = write(tmp_path / "cortada.jpg", data[: len(data) // 2])
    refused(path, work_dir, "imagen_danada", "no se pudo leer como una imagen JPEG")


def test_decompression_bomb_is_refused_before_decoding(tmp_path: Path, work_dir: Path) -> None:
    path = png_header_only(tmp_path / "bomba.png", 30_000, 30_000)
    assert path.stat().st_size < 200
    refused(
        path,
        work_dir,
        "imagen_demasiado_grande",
        "30000 × 30000",
        "900.0 megapíxeles",
        "max_image_megapixels",
    )


def test_pillow_own_bomb_limit_is_converted(tmp_path: Path, work_dir: Path) -> None:
    # An admin may allow more megapixels than Pillow's hard limit (179); Pillow's error must
    # still come out as a clear refusal, not a traceback.
    path = tiff_header_only(tmp_path / "plano.tif", 20_000, 10_000)
    refused(
        path,
        work_dir,
        "imagen_demasiado_grande",
        "límite de seguridad",
        limits=CaptureLimits(max_image_megapixels=1000),
    )


def test_oversized_pdf_page_leaves_no_earlier_pages(tmp_path: Path, work_dir: Path) -> None:
    pdf = FPDF(unit="pt", format=LETTER_POINTS)
    pdf.add_page()  # blank: rendered to a file before the next page is refused
    pdf.add_page(format=(14_400, 14_400))  # 200 × 200 in, the largest page PDF allows
    pdf.output(str(tmp_path / "plano.pdf"))
    refused(
        tmp_path / "plano.pdf",
        work_dir,
        "imagen_demasiado_grande",
        "508 × 508 cm",
        "max_image_megapixels",
    )


def test_unwritable_work_folder_is_a_storage_error(tmp_path: Path) -> None:
    path = tmp_path / "expediente.tif"
    page_image().save(path)
    blocked = write(tmp_path / "no-es-carpeta", b"x")
    with pytest.raises(StorageError, match="carpeta de trabajo"):
        capture_file(path, blocked / "trabajo", LIMITS)


# ---- pieces ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "mime"),
    [
        (b"%PDF-1.4\n", "application/pdf"),
        (b"\xef\xbb\xbf junk\n%PDF-1.7\n", "application/pdf"),
        (b"\xff\xd8\xff\xe0\0\x10JFIF", "image/jpeg"),
        (b"\x89PNG\r\n\x1a\n\0\0", "image/png"),
        (b"II*\0\x08\0\0\0", "image/tiff"),
        (b"MM\0*\0\0\0\x08", "image/tiff"),
        (b"\0\0\0\x18ftypheic", "image/heic"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "application/x-ole-storage"),
        ("Señor presidente municipal:\n".encode("cp1252"), "text/plain"),
        (b"<!DOCTYPE html><html>", "text/html"),
        (b"\0\x01\x02\x03", None),
    ],
)
def test_sniff_mime_reads_content_not_names(tmp_path: Path, data: bytes, mime: str | None) -> None:
    assert sniff_mime(write(tmp_path / "archivo.pdf", data)) == mime


def test_pdfium_stale_error_code_is_not_trusted(tmp_path: Path, work_dir: Path) -> None:
    # PDFium keeps the last failure's code; a later, different failure must not repeat it.
    test_password_protected_pdf(tmp_path, work_dir)
    test_pdf_without_pages(tmp_path, work_dir)
    test_corrupt_pdf(tmp_path, work_dir)


def test_file_changed_while_captured(
    tmp_path: Path, work_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mailroom.capture import files

    path = tmp_path / "expediente.tif"
    page_image().save(path)
    real_capture = files.capture_tiff

    def capture_while_scanner_appends(*args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        pages = real_capture(*args, **kwargs)  # type: ignore[arg-type]
        with path.open("ab") as handle:
            handle.write(b"more bytes from the scanner")
        return pages

    monkeypatch.setattr(files, "capture_tiff", capture_while_scanner_appends)
    refused(path, work_dir, "cambio_durante_lectura", "cambió o desapareció mientras se leía")
