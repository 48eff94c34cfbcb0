from __future__ import annotations

import socket
from pathlib import Path

import pdfplumber
import pytest
from fpdf import FPDF

from mailroom import audit, search
from mailroom.clock import FixedClock
from mailroom.config import Settings
from mailroom.errors import OcrFailed, ToolMissing
from mailroom.filings import get_filing, ocr_progress
from mailroom.intake import IntakeService
from mailroom.models import NewFiling, OcrStatus, PageSource, Sender
from mailroom.ocr.worker import OcrWorker, TesseractEngine
from mailroom.samples import render_page_image
from mailroom.store import Store

LETTER = [
    "C. PRESIDENTE MUNICIPAL",
    "PRESENTE",
    "",
    "Por medio del presente escrito solicito la revisión",
    "de la petición de alumbrado público en la calle Niños Héroes.",
]
DEJAVU = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


def scanned_jpeg(path: Path) -> Path:
    render_page_image(LETTER, dpi=300, skew_degrees=0.6, noise=0.02, seed=3).save(
        path, "JPEG", dpi=(300, 300), quality=80
    )
    return path


def digital_pdf(path: Path) -> Path:
    pdf = FPDF(format="letter")
    pdf.add_font("DejaVu", fname=DEJAVU)
    pdf.set_font("DejaVu", size=12)
    for text in (
        "Oficio de la Tesorería sobre el predio catastral 12-034.",
        "Segunda hoja del oficio: año fiscal 2026.",
    ):
        pdf.add_page()
        pdf.multi_cell(0, 8, text)
    pdf.output(str(path))
    return path


def register(store: Store, settings: Settings, clock: FixedClock, *files: Path):
    new = NewFiling(sender=Sender("Juan Gómez Núñez"), subject="Alumbrado público")
    return IntakeService(store, settings, clock=clock).register(new, list(files)).filing


def test_scanned_and_digital_pages_become_searchable(
    store: Store, settings: Settings, clock: FixedClock, tmp_path: Path
) -> None:
    filing = register(
        store,
        settings,
        clock,
        scanned_jpeg(tmp_path / "escrito.jpg"),
        digital_pdf(tmp_path / "oficio.pdf"),
    )
    seen = []
    progress = OcrWorker(store, settings, on_progress=seen.append).run_until_idle()
    assert (progress.pages_total, progress.pages_done, progress.pages_pending) == (3, 3, 0)
    assert seen[-1].finished

    filing = get_filing(store.reader(), filing.folio, with_text=True)
    scanned, digital = filing.documents
    assert scanned.pages[0].source is PageSource.IMAGEN
    assert "petición" in scanned.pages[0].text and scanned.pages[0].confidence > 70
    assert [p.source for p in digital.pages] == [PageSource.TEXTO, PageSource.TEXTO]
    assert "predio catastral" in digital.pages[0].text and digital.pages[0].confidence is None

    for document, pages in ((scanned, 1), (digital, 2)):
        assert store.blobs.verify(document.searchable_pdf_sha256)
        with pdfplumber.open(store.blobs.path(document.searchable_pdf_sha256)) as pdf:
            assert len(pdf.pages) == pages
            assert round(pdf.pages[0].width) == 612  # letter at its real size, not 36 inches
    hits = search.search(store.reader(), "peticion alumbrado").hits  # typed without accents
    assert [h.folio for h in hits] == [filing.folio]
    assert search.search(store.reader(), "catastral").hits[0].folio == filing.folio
    assert audit.verify_chain(store.reader()).ok
    kinds = [r["kind"] for r in store.reader().query("SELECT kind FROM events ORDER BY seq")]
    assert kinds == ["escrito_registrado", "ocr_terminado", "ocr_terminado"]


def test_pages_left_by_a_dead_process_are_resumed(
    store: Store, settings: Settings, clock: FixedClock, tmp_path: Path
) -> None:
    filing = register(store, settings, clock, scanned_jpeg(tmp_path / "e.jpg"))
    dead_owner = f"{socket.gethostname()}:999999999:abcd"
    store.write(
        lambda db: db.execute(
            "UPDATE pages SET ocr_status = 'procesando', lease_owner = ?, "
            "lease_expires = '2999-01-01T00:00:00+00:00'",
            [dead_owner],
        )
    )
    progress = OcrWorker(store, settings).run_until_idle()
    assert progress.pages_done == 1
    page = get_filing(store.reader(), filing.folio).documents[0].pages[0]
    assert page.ocr_status is OcrStatus.HECHA


class FlakyEngine(TesseractEngine):
    """Real tesseract, except that one page always fails (a unit test of the retry policy)."""

    def __init__(self, data_dir: Path, failing_image: str) -> None:
        super().__init__(data_dir)
        self.failing_image = failing_image
        self.calls = 0

    def ocr_page(self, image: Path, *, dpi: int, languages: str):
        if image.name == self.failing_image:
            self.calls += 1
            raise OcrFailed("tesseract no pudo leer la página (imagen dañada)")
        return super().ocr_page(image, dpi=dpi, languages=languages)


def test_a_failing_page_is_retried_then_marked_and_the_document_still_completes(
    store: Store, settings: Settings, clock: FixedClock, tmp_path: Path
) -> None:
    good = scanned_jpeg(tmp_path / "bueno.jpg")
    bad = tmp_path / "malo.jpg"
    render_page_image(["Hoja que falla"], dpi=150).save(bad, "JPEG", dpi=(150, 150))
    filing = register(store, settings, clock, good, bad)
    bad_sha = get_filing(store.reader(), filing.folio).documents[1].sha256
    engine = FlakyEngine(settings.data_dir, bad_sha)
    progress = OcrWorker(store, settings, engine=engine).run_until_idle()
    assert engine.calls == 3
    assert (progress.pages_done, progress.pages_failed, progress.pages_pending) == (1, 1, 0)
    failed = get_filing(store.reader(), filing.folio).documents[1]
    assert failed.pages[0].ocr_status is OcrStatus.FALLIDA
    assert "imagen dañada" in failed.pages[0].error
    assert failed.searchable_pdf_sha256 is not None  # assembled with the page image, no text


class NoTesseract(TesseractEngine):
    def check(self, languages: str) -> None:
        raise ToolMissing(
            "No se encontró tesseract. Instálelo: sudo apt-get install "
            "tesseract-ocr tesseract-ocr-spa"
        )


def test_missing_tesseract_keeps_pages_queued(
    store: Store, settings: Settings, clock: FixedClock, tmp_path: Path
) -> None:
    register(store, settings, clock, scanned_jpeg(tmp_path / "e.jpg"))
    with pytest.raises(ToolMissing, match="tesseract-ocr-spa"):
        OcrWorker(store, settings, engine=NoTesseract(settings.data_dir)).run_until_idle()
    progress = ocr_progress(store.reader())
    assert (progress.pages_pending, progress.pages_failed) == (1, 0)


def test_background_worker_picks_up_new_registrations(
    store: Store, settings: Settings, clock: FixedClock, tmp_path: Path
) -> None:
    import threading

    finished = threading.Event()
    worker = OcrWorker(
        store, settings, on_progress=lambda p: finished.set() if p.finished else None
    )
    worker.start()
    try:
        service = IntakeService(store, settings, clock=clock, on_registered=worker.notify)
        service.register(
            NewFiling(sender=Sender("Ana"), subject="Poda de árbol"),
            [scanned_jpeg(tmp_path / "e.jpg")],
        )
        assert finished.wait(timeout=120)
    finally:
        worker.stop()
    assert ocr_progress(store.reader()).pages_done == 1


def test_an_upside_down_scan_is_turned_upright_before_it_is_indexed(
    store: Store, settings: Settings, clock: FixedClock, tmp_path: Path
) -> None:
    page = render_page_image(LETTER * 3, dpi=300, noise=0.02, seed=5)
    upside_down = tmp_path / "al-reves.jpg"
    page.rotate(180).save(upside_down, "JPEG", dpi=(300, 300), quality=85)
    filing = register(store, settings, clock, upside_down)
    OcrWorker(store, settings).run_until_idle()

    document = get_filing(store.reader(), filing.folio, with_text=True).documents[0]
    turned = document.pages[0]
    assert turned.rotation == 180
    assert "petición" in turned.text and turned.confidence > 80
    assert document.sha256 == filing.documents[0].sha256  # the evidence itself is untouched
    assert store.blobs.verify(document.sha256)
    with pdfplumber.open(store.blobs.path(document.searchable_pdf_sha256)) as pdf:
        assert "PRESIDENTE" in pdf.pages[0].extract_text()
    assert search.search(store.reader(), "ninos heroes").hits[0].folio == filing.folio


def test_an_upright_page_is_not_sent_to_orientation_detection(
    store: Store, settings: Settings, clock: FixedClock, tmp_path: Path
) -> None:
    class CountingEngine(TesseractEngine):
        detections = 0

        def detect_rotation(self, image: Path, *, dpi: int) -> int | None:
            CountingEngine.detections += 1
            return super().detect_rotation(image, dpi=dpi)

    register(store, settings, clock, scanned_jpeg(tmp_path / "derecho.jpg"))
    OcrWorker(store, settings, engine=CountingEngine(settings.data_dir)).run_until_idle()
    assert CountingEngine.detections == 0


def test_repeated_runs_reuse_threads_and_connections(
    store: Store, settings: Settings, clock: FixedClock, tmp_path: Path
) -> None:
    worker = OcrWorker(store, settings)
    register(store, settings, clock, scanned_jpeg(tmp_path / "e.jpg"))
    worker.run_until_idle()
    for n in range(3):  # the background loop wakes like this for every filing of a shift
        page = tmp_path / f"otro-{n}.jpg"
        render_page_image([f"Escrito número {n}"], dpi=150).save(page, "JPEG", dpi=(150, 150))
        register(store, settings, clock, page)
        worker.run_until_idle()
    # This thread's connection plus one per pool thread, however many runs there were.
    assert len(store._readers) <= 1 + settings.effective_ocr_workers
    worker.stop()
