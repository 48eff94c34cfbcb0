"""The sample filings: the files a demo, a test or a benchmark expects, and honest ground truth."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pdfplumber
import pypdfium2
import pytest
from PIL import Image

from mailroom.samples import (
    MANIFEST,
    Line,
    Sample,
    degrade,
    generate_samples,
    load_manifest,
    main,
    page_ground_truth,
    render_page_image,
    write_scanned_pdf,
)

EXPECTED_PAGES = {
    "escrito-10-fojas.pdf": 10,
    "solicitud.jpg": 1,
    "comprobante.png": 1,
    "anexos.tif": 3,
    "oficio-digital.pdf": 10,
    **{f"escrito-10-fojas/pagina-{number:02d}.jpg": 1 for number in range(1, 11)},
}
LETTER_AT_300_DPI = (2550, 3300)


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Sample]]:
    out = tmp_path_factory.mktemp("muestras")
    return out, generate_samples(out)


def _by_name(samples: list[Sample]) -> dict[str, Sample]:
    return {sample.filename: sample for sample in samples}


def _page_count(path: Path) -> int:
    if path.suffix == ".pdf":
        document = pypdfium2.PdfDocument(path)
        try:
            return len(document)
        finally:
            document.close()
    with Image.open(path) as image:
        return getattr(image, "n_frames", 1)


def test_every_sample_file_is_written_with_its_page_count(generated) -> None:
    out, samples = generated
    assert {sample.filename: sample.pages for sample in samples} == EXPECTED_PAGES
    for sample in samples:
        assert _page_count(out / sample.filename) == sample.pages, sample.filename
        assert len(sample.ground_truth) == sample.pages
        assert all(page.strip() for page in sample.ground_truth)
    assert (out / MANIFEST).is_file()


def test_the_manifest_holds_what_generation_returned(generated) -> None:
    out, samples = generated
    assert load_manifest(out) == samples
    escrito = _by_name(samples)["escrito-10-fojas.pdf"]
    assert escrito.kind == "escaneado" and escrito.sender == "José Ángel Muñoz Córdova"
    assert "Página 10 de 10" in escrito.ground_truth[-1]
    assert _by_name(samples)["oficio-digital.pdf"].kind == "digital"


def test_jpeg_scans_declare_300_dpi(generated) -> None:
    out, _ = generated
    for name in ("solicitud.jpg", "escrito-10-fojas/pagina-01.jpg"):
        with Image.open(out / name) as image:
            assert image.format == "JPEG" and image.mode == "L"
            assert image.info["dpi"] == (300, 300)
            assert image.size == LETTER_AT_300_DPI


def test_png_scan_declares_no_resolution(generated) -> None:
    out, _ = generated
    with Image.open(out / "comprobante.png") as image:
        assert image.format == "PNG"
        assert "dpi" not in image.info


def test_tiff_annexes_are_bitonal_g4_at_300_dpi(generated) -> None:
    out, _ = generated
    with Image.open(out / "anexos.tif") as image:
        assert image.n_frames == 3
        assert image.mode == "1"
        assert image.info["compression"] == "group4"
        assert tuple(image.info["dpi"]) == (300, 300)


def test_scanned_pdf_is_jpeg_images_without_text(generated) -> None:
    out, samples = generated
    path = out / "escrito-10-fojas.pdf"
    with pdfplumber.open(path) as pdf:
        for page in pdf.pages:
            assert (page.width, page.height) == (612, 792)
            assert (page.extract_text() or "").strip() == ""
            assert [image["stream"]["Filter"].name for image in page.images] == ["DCTDecode"]
    # The page files are the very JPEGs inside the PDF.
    first_page = (out / "escrito-10-fojas/pagina-01.jpg").read_bytes()
    assert first_page in path.read_bytes()
    headers = ("Clave catastral Poseedor", "Concepto Unidad Cantidad Importe")
    pages = _by_name(samples)[path.name].ground_truth
    assert all(any(header in page for page in pages) for header in headers)


def test_digital_pdf_has_a_text_layer_matching_the_ground_truth(generated) -> None:
    out, samples = generated
    oficio = _by_name(samples)["oficio-digital.pdf"]
    phrase = "COMISIÓN ESTATAL DEL AGUA Y SANEAMIENTO"
    assert phrase in oficio.ground_truth[0]
    with pdfplumber.open(out / oficio.filename) as pdf:
        assert len(pdf.pages) == 10
        first = pdf.pages[0].extract_text()
        annex = pdf.pages[6].extract_text()
    assert phrase in first
    assert "Oficio número: CEAS/DG/0457/2025" in first
    table_row = oficio.ground_truth[6].splitlines()[3]  # heading, locality, header, first row
    assert table_row.startswith("T-01 ") and table_row in annex


def test_generation_is_deterministic(generated, tmp_path: Path) -> None:
    out, _ = generated
    generate_samples(tmp_path)
    # The manifest carries every file's SHA-256, so equal manifests mean equal files.
    assert (tmp_path / MANIFEST).read_bytes() == (out / MANIFEST).read_bytes()


def test_current_samples_are_not_regenerated(generated, capsys: pytest.CaptureFixture) -> None:
    out, samples = generated
    before = {path: path.stat().st_mtime_ns for path in out.rglob("*")}
    assert generate_samples(out) == samples
    assert main(["--out", str(out)]) == 0
    assert "ya están al día" in capsys.readouterr().out
    assert {path: path.stat().st_mtime_ns for path in out.rglob("*")} == before


def test_the_package_runs_as_a_command(generated) -> None:
    out, _ = generated
    command = [sys.executable, "-m", "mailroom.samples", "--out", str(out)]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert "ya están al día" in result.stdout
    assert result.stderr == ""


def test_tesseract_reads_a_scanned_page_almost_exactly(generated) -> None:
    # make test installs tesseract, DejaVu and rapidfuzz: a missing one fails here, loudly.
    from rapidfuzz import distance

    out, samples = generated
    sample = _by_name(samples)["escrito-10-fojas/pagina-04.jpg"]
    result = subprocess.run(
        ["tesseract", str(out / sample.filename), "-", "-l", "spa", "--dpi", "300"],
        capture_output=True, text=True, check=True, env={**os.environ, "OMP_THREAD_LIMIT": "1"},
    )  # fmt: skip
    # Line breaks and blank lines are layout, not characters: compare the words.
    expected = " ".join(sample.ground_truth[0].split())
    read = " ".join(result.stdout.split())
    assert distance.Levenshtein.distance(expected, read) / len(expected) < 0.05


def test_rendered_page_is_a_letter_sized_grayscale_page() -> None:
    page = render_page_image(["Oficialía de Partes"], dpi=150)
    assert page.mode == "L" and page.size == (1275, 1650)
    assert page.getextrema() == (0, 255)  # black ink on white paper until degraded
    scanned = render_page_image(["Oficialía de Partes"], dpi=150, skew_degrees=1.0, noise=0.03)
    low, high = scanned.getextrema()
    assert low > 0 or high < 255


def test_degradation_depends_only_on_its_seed() -> None:
    clean = render_page_image(["¿Dónde está el acuse?"], dpi=100)
    first = degrade(clean, skew_degrees=0.7, noise=0.04, seed=7)
    assert first.tobytes() == degrade(clean, skew_degrees=0.7, noise=0.04, seed=7).tobytes()
    assert first.tobytes() != degrade(clean, skew_degrees=0.7, noise=0.04, seed=8).tobytes()


def test_ground_truth_follows_reading_order() -> None:
    text = page_ground_truth(
        ["Antes de la tabla", "", Line("Después", align="right", bold=True)],
        table=[("Clave", "Monto"), ("132-001-002", ""), ("Total", "$1,200.00")],
        table_at=2,
        footer="Página 1 de 1",
    )
    assert text == (
        "Antes de la tabla\nClave Monto\n132-001-002\nTotal $1,200.00\nDespués\nPágina 1 de 1"
    )


def test_a_table_wider_than_the_page_is_refused() -> None:
    with pytest.raises(ValueError, match="no cabe"):
        render_page_image(["x"], table=[("Concepto " * 12, "Importe")])


def test_scanned_pdf_page_size_follows_the_resolution(tmp_path: Path) -> None:
    path = tmp_path / "escaneo.pdf"
    write_scanned_pdf([Image.new("L", (850, 1100), 240)] * 2, path, dpi=100)
    document = pypdfium2.PdfDocument(path)
    try:
        assert len(document) == 2
        assert document[0].get_size() == pytest.approx((612, 792))
    finally:
        document.close()
