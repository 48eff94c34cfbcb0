"""Page sources named by a string: ``file:`` and ``folder:`` on real files give pages with the
resolution each file declares; a bad file, folder or spec is refused in Spanish and leaves
nothing in the work folder."""

from __future__ import annotations

import io
import os
import threading
import time
from pathlib import Path

import pytest
from fpdf import FPDF
from PIL import Image, ImageDraw

from mailroom import tmpfiles
from mailroom.capture.pages import CaptureCancelled, ScannedPage
from mailroom.capture.sane_source import SaneSource
from mailroom.capture.sources import FileSource, FolderSource, open_source
from mailroom.config import Settings, load_settings
from mailroom.errors import ConfigError, UnreadableFile

LETTER_POINTS = (612, 792)
HOUR = 3600


# ---- inputs ------------------------------------------------------------------------------------


def sheet(size: tuple[int, int], label: str = "Oficio 123/2026") -> Image.Image:
    image = Image.new("L", size, "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle((20, 20, size[0] // 2, 40), fill="black")
    draw.text((20, 60), label, fill="black")
    return image


def write_png(path: Path, size: tuple[int, int], dpi: int | None = None) -> Path:
    sheet(size).save(path, "PNG", **({"dpi": (dpi, dpi)} if dpi else {}))
    return path


def write_tiff(path: Path, frames: int, dpi: int) -> Path:
    images = [sheet((400, 500), f"hoja {n}") for n in range(1, frames + 1)]
    images[0].save(path, "TIFF", save_all=True, append_images=images[1:], dpi=(dpi, dpi))
    return path


def scanned_pdf(path: Path, pages: int, dpi: int) -> Path:
    """A scanner's PDF: each page one JPEG covering a letter sheet at ``dpi``."""
    pixels = (LETTER_POINTS[0] * dpi // 72, LETTER_POINTS[1] * dpi // 72)
    pdf = FPDF(unit="pt", format=LETTER_POINTS)
    for n in range(pages):
        buffer = io.BytesIO()
        sheet(pixels, f"pagina {n + 1}").save(buffer, "JPEG", quality=80)
        pdf.add_page()
        pdf.image(buffer, x=0, y=0, w=LETTER_POINTS[0], h=LETTER_POINTS[1])
    pdf.output(str(path))
    return path


def text_pdf(path: Path) -> Path:
    pdf = FPDF(unit="pt", format=LETTER_POINTS)
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    for line in range(30):
        pdf.cell(500, 16, f"Renglon {line}: solicitud de informacion publica al municipio.")
        pdf.ln()
    pdf.output(str(path))
    return path


def aged(path: Path, hours_ago: float) -> Path:
    moment = time.time() - hours_ago * HOUR
    os.utime(path, (moment, moment))
    return path


def leftovers(settings: Settings) -> list[Path]:
    return tmpfiles.work_left(settings.data_dir)


# ---- file: -------------------------------------------------------------------------------------


def test_a_scanned_pdf_keeps_its_scan_resolution(tmp_path: Path, settings: Settings) -> None:
    path = scanned_pdf(tmp_path / "escaneo.pdf", pages=2, dpi=150)
    seen: list[tuple[int, int | None]] = []
    pages = list(open_source(f"file:{path}", settings).pages(progress=lambda *a: seen.append(a)))
    assert [page.dpi for page in pages] == [150, 150]
    assert pages[0].image.size == (1275, 1650)  # letter at 150 dpi, the JPEG itself
    assert [page.origin for page in pages] == [f"{path}, p. 1", f"{path}, p. 2"]
    assert seen == [(1, 2), (2, 2)]
    assert leftovers(settings) == []


def test_an_image_declares_its_resolution_or_gets_default_dpi(
    tmp_path: Path, data_dir: Path
) -> None:
    declared = write_png(tmp_path / "declara.png", (500, 600), dpi=200)
    silent = write_png(tmp_path / "calla.png", (500, 600))
    settings = load_settings(data_dir, default_dpi=240)
    [page] = list(FileSource(declared, settings).pages())
    assert page.dpi == 200 and page.image.size == (500, 600) and page.image.mode == "L"
    [page] = list(FileSource(silent, settings).pages())
    assert page.dpi == 240
    assert page.image.info["dpi"] == (240, 240)


def test_every_tiff_frame_is_a_page(tmp_path: Path, settings: Settings) -> None:
    path = write_tiff(tmp_path / "lote.tif", frames=3, dpi=100)
    pages = list(FileSource(path, settings).pages())
    assert [page.dpi for page in pages] == [100, 100, 100]
    assert [page.origin for page in pages][-1] == f"{path}, p. 3"
    # Each frame is its own picture, detached from the work folder that is gone now.
    assert pages[0].image.tobytes() != pages[2].image.tobytes()
    assert leftovers(settings) == []


def test_a_pdf_page_with_a_text_layer_is_rendered_at_default_dpi(
    tmp_path: Path, data_dir: Path
) -> None:
    settings = load_settings(data_dir, default_dpi=100)
    [page] = list(FileSource(text_pdf(tmp_path / "texto.pdf"), settings).pages())
    assert page.dpi == 100
    assert page.image.size == (850, 1100)  # letter at 100 dpi
    assert page.image.getextrema() == (0, 255)  # the text is there


def test_a_truncated_pdf_is_refused_and_leaves_nothing(tmp_path: Path, settings: Settings) -> None:
    whole = scanned_pdf(tmp_path / "entero.pdf", pages=1, dpi=100).read_bytes()
    cut = tmp_path / "cortado.pdf"
    cut.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(UnreadableFile) as caught:
        list(open_source(f"file:{cut}", settings).pages())
    assert caught.value.message.startswith('El PDF "cortado.pdf" está incompleto')
    assert leftovers(settings) == []


def test_a_file_that_is_not_a_document(tmp_path: Path, settings: Settings) -> None:
    notes = tmp_path / "notas.pdf"
    notes.write_text("esto no es un PDF", encoding="utf-8")
    with pytest.raises(UnreadableFile, match="no se puede registrar|dice ser"):
        list(FileSource(notes, settings).pages())
    missing = tmp_path / "no-existe.pdf"
    with pytest.raises(UnreadableFile, match='No se encontró el archivo "no-existe.pdf"'):
        list(FileSource(missing, settings).pages())
    assert leftovers(settings) == []


def test_cancelling_a_file_between_pages(tmp_path: Path, settings: Settings) -> None:
    path = write_tiff(tmp_path / "lote.tif", frames=3, dpi=100)
    cancel = threading.Event()
    kept: list[ScannedPage] = []
    with pytest.raises(CaptureCancelled, match="después de 1 página"):
        for page in FileSource(path, settings).pages(cancel=cancel):
            kept.append(page)
            cancel.set()
    assert len(kept) == 1
    assert leftovers(settings) == []


# ---- folder: -----------------------------------------------------------------------------------


def test_a_folder_pass_reads_complete_documents_oldest_first(
    tmp_path: Path, settings: Settings
) -> None:
    inbox = tmp_path / "escaner"
    inbox.mkdir()
    newer = aged(write_png(inbox / "a-nuevo.png", (300, 400), dpi=100), hours_ago=1)
    older = aged(write_tiff(inbox / "z-viejo.tif", frames=2, dpi=200), hours_ago=2)
    aged(write_png(inbox / ".oculto.png", (300, 400)), hours_ago=3)
    aged(write_png(inbox / "subiendo.png.part", (300, 400)), hours_ago=3)
    (inbox / "leeme.txt").write_text("no es un documento", encoding="utf-8")
    (inbox / "vacio.pdf").touch()  # a scanner's placeholder before the upload
    for name in ("leeme.txt", "vacio.pdf"):
        aged(inbox / name, hours_ago=3)
    write_png(inbox / "recien-llegado.png", (300, 400))  # still being written, maybe
    (inbox / "sub.pdf").mkdir()

    source = open_source(f"folder:{inbox}", settings)
    assert isinstance(source, FolderSource)
    assert source.files() == [older, newer]
    seen: list[tuple[int, int | None]] = []
    pages = list(source.pages(progress=lambda *a: seen.append(a)))
    assert [page.dpi for page in pages] == [200, 200, 100]
    assert [page.origin for page in pages] == [
        f"{older}, p. 1",
        f"{older}, p. 2",
        f"{newer}, p. 1",
    ]
    assert seen == [(1, None), (2, None), (3, None)]
    assert sorted(p.name for p in inbox.iterdir())[0] == ".oculto.png"  # nothing moved
    assert (inbox / "recien-llegado.png").exists()
    fresh = inbox / "recien-llegado.png"
    assert FolderSource(inbox, settings, settle_seconds=0).files() == [older, newer, fresh]
    assert leftovers(settings) == []


def test_a_corrupt_file_in_a_folder_stops_the_pass_with_its_name(
    tmp_path: Path, settings: Settings
) -> None:
    inbox = tmp_path / "escaner"
    inbox.mkdir()
    aged(write_png(inbox / "bueno.png", (300, 400), dpi=100), hours_ago=2)
    broken = inbox / "roto.png"
    broken.write_bytes(write_png(tmp_path / "x.png", (300, 400)).read_bytes()[:120])
    aged(broken, hours_ago=1)
    kept: list[ScannedPage] = []
    with pytest.raises(UnreadableFile, match='"roto.png" está dañado o incompleto'):
        kept.extend(FolderSource(inbox, settings).pages())
    assert [page.origin for page in kept] == [f"{inbox / 'bueno.png'}, p. 1"]
    assert leftovers(settings) == []


def test_a_missing_folder(tmp_path: Path, settings: Settings) -> None:
    with pytest.raises(ConfigError, match="no existe. Revise la ruta"):
        list(open_source(f"folder:{tmp_path / 'no-hay'}", settings).pages())


# ---- specs -------------------------------------------------------------------------------------


@pytest.mark.parametrize("spec", ["escaner", "twain:1", "folder:", "file:  ", "/srv/a.pdf"])
def test_an_unknown_spec_lists_the_accepted_forms(spec: str, settings: Settings) -> None:
    with pytest.raises(ConfigError) as caught:
        open_source(spec, settings)
    assert caught.value.message == (
        f"Origen de páginas desconocido: {spec!r}. Use sane:DISPOSITIVO (p. ej. sane:test:0; "
        "«sane:» solo usa el primer escáner), folder:CARPETA o file:ARCHIVO."
    )
    assert caught.value.exit_code == 78


def test_sane_specs_name_the_device(settings: Settings) -> None:
    source = open_source("sane:test:1", settings)
    assert isinstance(source, SaneSource)
    assert source.device == "test:1" and source.name == "sane:test:1"
    assert open_source("sane:", settings).device is None  # type: ignore[attr-defined]
