"""The capture session without Qt: real files and SANE's test scanner in, page operations with undo,
and the file(s) + capture report registration takes — checked by registering them."""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

import pypdfium2 as pdfium
import pytest

from mailroom.capture.blank import BlankVerdict
from mailroom.capture.pages import CaptureCancelled, CaptureReport
from mailroom.capture.session import THUMBNAIL_SIZE, CaptureSession, register_handoff
from mailroom.clock import FixedClock
from mailroom.config import Settings, load_settings
from mailroom.drafts import DraftKind, DraftService, DraftState, NewDraft
from mailroom.errors import InvalidInput, StorageError, UnreadableFile
from mailroom.filings import get_filing
from mailroom.intake import IntakeService
from mailroom.models import NewFiling, Sender
from mailroom.store import Store
from tests.sane_env import use_sane_test_backend
from tests.scanned_pages import blank_page_with_show_through, signature_only_page, text_page

SAMPLES = Path(__file__).resolve().parents[1] / "resources" / "samples"
JPEG = SAMPLES / "solicitud.jpg"
TIFF = SAMPLES / "anexos.tif"  # three black-and-white pages (G4)
DIGITAL = SAMPLES / "oficio-digital.pdf"


@pytest.fixture(scope="module")
def mixed_scan(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 200 dpi scan of three sides: text, a blank back, a page with only a signature."""
    pages = [text_page(7, dpi=200), blank_page_with_show_through(8, dpi=200)]
    pages.append(signature_only_page(9, dpi=200))
    path = tmp_path_factory.mktemp("escaneos") / "lote.tif"
    pages[0].save(path, save_all=True, append_images=pages[1:], dpi=(200, 200))
    return path


@pytest.fixture
def session(settings: Settings, store: Store) -> CaptureSession:
    return CaptureSession(settings, store)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def pdf_pages(path: Path) -> list[tuple[float, float]]:
    document = pdfium.PdfDocument(path)
    try:
        return [document[n].get_size() for n in range(len(document))]
    finally:
        document.close()


def new_filing() -> NewFiling:
    return NewFiling(Sender("María Fernanda Peña Ortiz"), "Solicitud de constancia de residencia")


def test_a_file_arrives_cleaned_with_a_thumbnail_and_goes_to_registration_as_it_came(
    session: CaptureSession,
) -> None:
    heard: list[int] = []
    arrival = session.read(f"file:{JPEG}", on_page=lambda page: heard.append(page.key))
    assert session.pages == ()  # reading changes nothing until the screen adds it
    session.add(arrival)
    [page] = session.pages
    assert heard == [page.key]
    assert page.origin == f"{JPEG}, p. 1" and page.dpi == 300
    assert page.blank is BlankVerdict.CONTENIDO
    assert max(page.thumbnail.size) == THUMBNAIL_SIZE and page.thumbnail.mode == "L"
    assert page.encoded.startswith(b"\xff\xd8")  # encoded once, as the scan PDF would hold it

    handoff = session.handoff()
    [file] = handoff.files
    assert file.name == "solicitud.jpg" and sha256(file) == sha256(JPEG)
    assert handoff.report == CaptureReport(f"file:{JPEG}", 1, (), ())
    assert handoff.drafts == ()
    handoff.discard()
    assert not handoff.folder.exists()


def test_turning_moving_deleting_and_undoing_change_the_scan_pdf(session: CaptureSession) -> None:
    session.add(session.read(f"file:{TIFF}"))
    session.add(session.read(f"file:{JPEG}"), at=1)  # between the first and second annex
    origins = [page.origin.rsplit("/", 1)[1] for page in session.pages]
    assert origins == ["anexos.tif, p. 1", "solicitud.jpg, p. 1", "anexos.tif, p. 2",
                       "anexos.tif, p. 3"]  # fmt: skip
    session.rotate(1, 90)
    session.move(3, 0)
    session.delete(3)
    names = [page.origin.rsplit("/", 1)[1] for page in session.pages]
    assert names == ["anexos.tif, p. 3", "anexos.tif, p. 1", "solicitud.jpg, p. 1"]
    assert session.pages[2].turn == 90

    [scan] = session.handoff().files  # the annexes no longer untouched: one scan PDF
    assert scan.name == "digitalizacion.pdf"
    widths_heights = pdf_pages(scan)
    assert len(widths_heights) == 3
    width, height = widths_heights[2]
    assert width > height  # the letter page turned a quarter lies on its side
    assert all(w < h for w, h in widths_heights[:2])

    session.undo()  # the deletion
    session.undo()  # the move
    session.undo()  # the turn
    assert [page.turn for page in session.pages] == [0, 0, 0, 0]
    files = session.handoff().files
    # The annexes are split around the JPEG, so they are no longer one untouched file.
    assert [f.name for f in files] == ["digitalizacion-1.pdf", "solicitud.jpg",
                                       "digitalizacion-2.pdf"]  # fmt: skip
    assert [len(pdf_pages(f)) for f in (files[0], files[2])] == [1, 2]
    session.undo()  # the JPEG's arrival
    [annexes] = session.handoff().files
    assert sha256(annexes) == sha256(TIFF)


def test_bad_positions_and_turns_are_refused_in_spanish(session: CaptureSession) -> None:
    session.add(session.read(f"file:{JPEG}"))
    with pytest.raises(InvalidInput, match="No existe la página 3: el documento tiene 1 página"):
        session.rotate(2, 90)
    with pytest.raises(InvalidInput, match="de 90 en 90 grados, no 45"):
        session.rotate(0, 45)
    assert session.pages[0].turn == 0


def test_blank_backs_are_removed_and_near_blank_pages_flagged_then_registered(
    session: CaptureSession, store: Store, settings: Settings, clock: FixedClock, mixed_scan: Path
) -> None:
    session.add(session.read(f"file:{mixed_scan}"))
    assert [page.blank for page in session.pages] == [BlankVerdict.CONTENIDO, BlankVerdict.REVISAR]
    report = session.state.report()
    assert report == CaptureReport(f"file:{mixed_scan}", 3, (2,), (2,))
    assert session.fojas(3).message() == (
        "Se declararon 3 fojas y se digitalizaron 2 páginas (1 en blanco retirada): falta 1."
    )
    handoff = session.handoff()
    [scan] = handoff.files  # a blank side was removed: the cleaned pages, not the file
    assert scan.name == "digitalizacion.pdf" and len(pdf_pages(scan)) == 2

    intake = IntakeService(store, settings, clock=clock)
    registration = register_handoff(intake, new_filing(), handoff)
    filing = get_filing(store.reader(), registration.filing.id)
    assert filing.pages_scanned == 2 and filing.blank_pages_removed == 1
    assert [p.needs_review for p in filing.documents[0].pages] == [False, True]
    assert filing.capture_source == f"file:{mixed_scan}"
    handoff.discard()


def test_a_born_digital_pdf_is_registered_as_itself_with_its_text(
    session: CaptureSession, store: Store, settings: Settings, clock: FixedClock
) -> None:
    session.add(session.read(f"file:{DIGITAL}"))
    assert len(session.pages) == 10
    handoff = session.handoff()
    assert [sha256(f) for f in handoff.files] == [sha256(DIGITAL)]
    registration = register_handoff(IntakeService(store, settings, clock=clock), new_filing(),
                                    handoff)  # fmt: skip
    [document] = registration.filing.documents
    assert document.filename == "oficio-digital.pdf" and document.sha256 == sha256(DIGITAL)
    assert {page.source for page in document.pages} == {"texto"}  # its text layer, not OCR


def test_a_corrupt_or_unsupported_file_is_refused_and_the_pages_stay(
    session: CaptureSession, settings: Settings, tmp_path: Path
) -> None:
    session.add(session.read(f"file:{JPEG}"))
    before = session.state
    damaged = tmp_path / "dañado.pdf"
    damaged.write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer\n%%EOF\n")
    with pytest.raises(UnreadableFile, match='El PDF "dañado.pdf" está dañado'):
        session.read(f"file:{damaged}")
    notes = tmp_path / "notas.txt"
    notes.write_text("no es un documento", encoding="utf-8")
    with pytest.raises(UnreadableFile, match="es texto simple y no se puede registrar"):
        session.read(f"file:{notes}")
    assert session.state is before
    kept = list((settings.data_dir / "tmp").glob("*/captura-*/*"))
    assert [path.name for path in kept] == [str(before.segments[0].id)]  # only the JPEG's copy


def test_a_huge_image_is_refused_with_its_setting(data_dir: Path) -> None:
    settings = load_settings(data_dir, max_image_megapixels=5)
    with pytest.raises(Exception, match="megapíxeles") as refused:
        CaptureSession(settings).read(f"file:{JPEG}")  # 2550 × 3300: 8.4 megapixels
    assert "max_image_megapixels" in str(refused.value)


def test_cancelling_keeps_nothing(session: CaptureSession, settings: Settings) -> None:
    cancel = threading.Event()
    heard: list[int] = []

    def first_page(page: object) -> None:
        heard.append(1)
        cancel.set()

    with pytest.raises(CaptureCancelled):
        session.read(f"file:{DIGITAL}", cancel=cancel, on_page=first_page)
    assert 1 <= len(heard) < 10
    assert session.pages == ()
    assert list((settings.data_dir / "tmp").glob("*/captura-*/*")) == []  # the copy went too


def test_sane_test_scanner_pages_go_into_a_scan_pdf(
    session: CaptureSession, tmp_path_factory: pytest.TempPathFactory
) -> None:
    use_sane_test_backend(tmp_path_factory)
    arrival = session.read("sane:test:0")
    session.add(arrival)
    assert len(session.pages) == 1 and session.pages[0].origin == "sane:test:0, hoja 1"
    handoff = session.handoff()
    assert handoff.report.source == "sane:test:0"
    [scan] = handoff.files
    assert scan.name == "digitalizacion.pdf" and len(pdf_pages(scan)) == 1


def test_a_draft_is_registered_once_and_marked_even_when_its_pages_changed(
    session: CaptureSession, store: Store, settings: Settings, clock: FixedClock, tmp_path: Path
) -> None:
    drafts = DraftService(store, settings, clock=clock)
    pdf = tmp_path / "grupo.pdf"
    pages = [text_page(11, dpi=150, noise=False), text_page(12, dpi=150, noise=False)]
    pages[0].save(pdf, "PDF", resolution=150, save_all=True, append_images=pages[1:])
    report = CaptureReport("folder:/srv/escaner", 3, blank_removed=(3,))
    [first, second] = drafts.create(
        [
            NewDraft("folder:/srv/escaner", f"lote, grupo {n}", DraftKind.NUEVO, pdf, 2, report)
            for n in (1, 2)
        ]  # fmt: skip
    )
    assert [d.id for d in session.pending_drafts()] == [first.id, second.id]

    session.add(session.read(f"borrador:{first.id}"))
    untouched = session.handoff()
    assert [sha256(f) for f in untouched.files] == [first.pdf_sha256]
    assert untouched.report == report and untouched.drafts == (first.id,)
    session.rotate(0, 180)
    changed = session.handoff()
    assert [f.name for f in changed.files] == ["digitalizacion.pdf"]
    intake = IntakeService(store, settings, clock=clock)
    registration = register_handoff(intake, new_filing(), changed)
    assert registration.filing.blank_pages_removed == 1
    assert drafts.get(first.id).state is DraftState.REGISTRADO
    assert drafts.get(first.id).filing_id == registration.filing.id
    assert [d.id for d in session.pending_drafts()] == [second.id]


def test_clear_forgets_pages_and_history_and_removes_the_copies(
    session: CaptureSession, settings: Settings
) -> None:
    session.add(session.read(f"file:{JPEG}"))
    assert list((settings.data_dir / "tmp").glob("*/captura-*"))
    session.clear()
    assert session.pages == () and not session.can_undo
    assert list((settings.data_dir / "tmp").glob("*/captura-*")) == []
    with pytest.raises(InvalidInput, match="No hay páginas que registrar"):
        session.handoff()


def test_a_handoff_that_cannot_be_written_leaves_nothing_behind(
    session: CaptureSession, settings: Settings
) -> None:
    session.add(session.read(f"file:{JPEG}"))
    session.add(session.read(f"file:{TIFF}"))
    session.rotate(1, 90)  # the annexes become a scan PDF, the JPEG stays a file
    original = session.state.segments[0].original
    assert original is not None
    original.unlink()  # its kept copy is gone (a clean-up of DATA/tmp, a full disk)
    with pytest.raises(StorageError, match="No se pudieron preparar los archivos para registrar"):
        session.handoff()
    assert list((settings.data_dir / "tmp").glob("*/registro-*")) == []
