"""The scan PDF writer: true page sizes, bytes registration reuses as they are, atomic writes."""

from __future__ import annotations

import errno
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pikepdf
import pypdfium2 as pdfium
import pytest
from PIL import Image
from rapidfuzz.distance import Levenshtein

from mailroom import fsutil
from mailroom.capture import scan_pdf
from mailroom.capture.cleanup import CleanPage, clean_page
from mailroom.capture.pages import ScannedPage
from mailroom.capture.scan_pdf import write_scan_pdf
from mailroom.clock import FixedClock
from mailroom.config import Settings
from mailroom.errors import InvalidInput, StorageError
from mailroom.intake import IntakeService
from mailroom.models import Addressee, NewFiling, Sender
from mailroom.ocr.engine import ocr_page
from mailroom.pdfium import pdfium_lock
from mailroom.store import Store
from tests.scanned_pages import text_page, text_truth


def cer(hypothesis: str, reference: str) -> float:
    hypothesis, reference = " ".join(hypothesis.split()), " ".join(reference.split())
    return Levenshtein.distance(hypothesis, reference) / max(1, len(reference))


def cleaned(seed: int, dpi: int, **options: object) -> CleanPage:
    scan = text_page(seed, dpi, skew=0.9, body_lines=16)
    return clean_page(ScannedPage(scan, dpi, f"hoja {seed}"), **options)  # type: ignore[arg-type]


def embedded_images(path: Path) -> list[tuple[str, bytes]]:
    """Each page's image: its filter and its stream bytes exactly as stored in the file."""
    with pikepdf.open(path) as pdf:
        found = []
        for page in pdf.pages:
            [image] = page.Resources.XObject.values()
            filters = image.Filter
            names = [str(f) for f in filters] if isinstance(filters, pikepdf.Array) else [filters]
            found.append(("+".join(str(name) for name in names), image.read_raw_bytes()))
        return found


def page_sizes(path: Path) -> list[tuple[float, float]]:
    with pdfium_lock:
        document = pdfium.PdfDocument(path)
        try:
            return [document[n].get_size() for n in range(len(document))]
        finally:
            document.close()


def test_registering_the_pdf_keeps_each_page_its_dpi_and_its_jpeg_bytes(
    store: Store, settings: Settings, clock: FixedClock, tmp_path: Path
) -> None:
    pages = [cleaned(101, 300), cleaned(102, 200)]
    path = write_scan_pdf(pages, tmp_path / "escaneo.pdf")
    assert path == tmp_path / "escaneo.pdf"
    assert page_sizes(path) == [(612.0, 792.0), (612.0, 792.0)]  # letter: pixels ÷ dpi
    stored = embedded_images(path)
    assert [name for name, _ in stored] == ["/DCTDecode", "/DCTDecode"]
    size = path.stat().st_size
    print(f"PDF de escaneo: {size / len(pages) / 1024:.0f} KB por página (300 y 200 ppp, gris)")

    service = IntakeService(store, settings, clock=clock)
    new = NewFiling(
        sender=Sender("María Peña Ávalos"),
        subject="Solicitud de licencia de construcción",
        addressees=(Addressee("Desarrollo Urbano"),),
        fojas_declared=2,
    )
    registered = service.register(new, [path]).filing
    [document] = registered.documents
    assert registered.pages_scanned == 2 and registered.fojas_match is True
    assert [page.dpi for page in document.pages] == [300, 200]
    for page, (_, jpeg) in zip(document.pages, stored, strict=True):
        [(image_sha256,)] = store.reader().execute(
            "SELECT image_sha256 FROM pages WHERE id = ?", [page.id]
        )
        assert store.blobs.read_bytes(image_sha256) == jpeg  # handed to OCR, not re-encoded


def test_ocr_of_the_pdf_page_is_as_good_as_of_the_lossless_page(
    store: Store, settings: Settings, clock: FixedClock, tmp_path: Path
) -> None:
    seed = 103
    page = cleaned(seed, 300)
    lossless = tmp_path / "pagina.png"
    page.image.save(lossless, dpi=(300, 300))
    path = write_scan_pdf([page], tmp_path / "escaneo.pdf")
    [(_, jpeg)] = embedded_images(path)
    from_pdf = tmp_path / "pagina.jpg"
    from_pdf.write_bytes(jpeg)
    with ThreadPoolExecutor(2) as pool:
        png_text, pdf_text = pool.map(
            lambda p: ocr_page(p, dpi=300, work_dir=tmp_path).text, [lossless, from_pdf]
        )
    truth = text_truth(seed, 16)
    png_rate, pdf_rate = cer(png_text, truth), cer(pdf_text, truth)
    print(
        f"CER sin pérdida {png_rate:.2%}, desde el PDF {pdf_rate:.2%}; página de "
        f"{len(jpeg) / 1024:.0f} KB (JPEG calidad {scan_pdf.JPEG_QUALITY}) contra "
        f"{lossless.stat().st_size / 1024:.0f} KB en PNG"
    )
    assert png_rate < 0.02
    assert pdf_rate <= png_rate + 0.01


def test_black_and_white_pages_are_group_4_at_their_true_size(tmp_path: Path) -> None:
    pages = [cleaned(104, 200, bitonal=True), cleaned(105, 300)]
    path = write_scan_pdf(pages, tmp_path / "bn.pdf")
    stored = embedded_images(path)
    assert [name for name, _ in stored] == ["/CCITTFaxDecode", "/DCTDecode"]
    assert page_sizes(path) == [(612.0, 792.0), (612.0, 792.0)]
    print(f"página en blanco y negro (G4, 200 ppp): {len(stored[0][1]) / 1024:.0f} KB")
    assert len(stored[0][1]) < len(stored[1][1]) / 5


def test_a_black_and_white_page_is_registered_at_its_own_resolution_still_1_bit(
    store: Store, settings: Settings, clock: FixedClock, tmp_path: Path
) -> None:
    page = cleaned(106, 200, bitonal=True)
    path = write_scan_pdf([page], tmp_path / "bn.pdf")

    registered = IntakeService(store, settings, clock=clock).register(
        NewFiling(Sender("Rosa Díaz"), "Escrito en blanco y negro"), [path]
    )

    [[stored_page]] = [document.pages for document in registered.filing.documents]
    assert stored_page.dpi == 200  # not resampled to default_dpi (300)
    [(image_sha256,)] = store.reader().execute(
        "SELECT image_sha256 FROM pages WHERE id = ?", [stored_page.id]
    )
    with Image.open(store.blobs.path(image_sha256)) as image:
        assert image.mode == "1" and image.size == page.image.size
        assert image.tobytes() == page.image.tobytes()  # pixel for pixel


def test_page_size_follows_pixels_and_dpi(tmp_path: Path) -> None:
    odd = CleanPage(Image.new("L", (300, 150), 255), 150, "x", 0, 0.0, *_content())
    path = write_scan_pdf([odd], tmp_path / "chico.pdf")
    assert page_sizes(path) == [(144.0, 72.0)]  # 2 × 1 inches


def test_no_pages_is_refused_and_nothing_is_written(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="No hay páginas para guardar en el PDF"):
        write_scan_pdf([], tmp_path / "vacio.pdf")
    assert list(tmp_path.iterdir()) == []


def test_a_missing_folder_gets_a_clear_message(tmp_path: Path) -> None:
    page = CleanPage(Image.new("L", (100, 100), 255), 100, "x", 0, 0.0, *_content())
    with pytest.raises(StorageError, match="Revise que la carpeta exista"):
        write_scan_pdf([page], tmp_path / "no-existe" / "escaneo.pdf")


def test_a_failed_write_leaves_the_previous_file_whole_and_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "escaneo.pdf"
    target.write_bytes(b"%PDF-1.4 anterior")
    page = CleanPage(Image.new("L", (100, 100), 255), 100, "x", 0, 0.0, *_content())

    def full_disk(_fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(fsutil.os, "fsync", full_disk)  # the write goes through fsutil
    with pytest.raises(StorageError, match="espacio libre en disco"):
        write_scan_pdf([page], target)
    assert target.read_bytes() == b"%PDF-1.4 anterior"
    assert [p.name for p in tmp_path.iterdir()] == ["escaneo.pdf"]


def _content() -> tuple[object, float]:
    from mailroom.capture.blank import BlankVerdict

    return BlankVerdict.CONTENIDO, 0.05
