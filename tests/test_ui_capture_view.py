"""The capture view, driven as a clerk would: real files, SANE's test scanner, the real task helper
on a thread pool, and what the clerk sees (thumbnails, their numbers and tooltips, the lines under
them, the buttons' states) — then the files it hands to registration, registered."""

from __future__ import annotations

import gc
import os
from collections.abc import Iterator
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QImage
from PySide6.QtWidgets import QApplication

from mailroom import tmpfiles
from mailroom.capture.pages import CaptureReport
from mailroom.capture.session import register_handoff
from mailroom.clock import FixedClock
from mailroom.config import Settings, load_settings
from mailroom.drafts import DraftKind, DraftService, DraftState, NewDraft
from mailroom.errors import InvalidInput
from mailroom.intake import IntakeService
from mailroom.models import NewFiling, Sender
from mailroom.store import Store
from mailroom.ui.capture_view import CaptureView
from mailroom.ui.tasks import StallProbe, TaskRunner
from tests.sane_env import use_sane_test_backend
from tests.scanned_pages import blank_page_with_show_through, signature_only_page, text_page
from tests.ui_fixtures import waited_runner

SAMPLES = Path(__file__).resolve().parents[1] / "resources" / "samples"
ESCRITO = SAMPLES / "escrito-10-fojas.pdf"
JPEG = SAMPLES / "solicitud.jpg"
TIFF = SAMPLES / "anexos.tif"
READ_TIMEOUT = 60_000
DISPLAY = Qt.ItemDataRole.DisplayRole
TOOLTIP = Qt.ItemDataRole.ToolTipRole
DECORATION = Qt.ItemDataRole.DecorationRole


@pytest.fixture(autouse=True)
def _sane_test_backend(tmp_path_factory: pytest.TempPathFactory) -> None:
    use_sane_test_backend(tmp_path_factory)


@pytest.fixture
def runner(qapp, store) -> Iterator[TaskRunner]:  # type: ignore[no-untyped-def]
    with waited_runner() as tasks:
        yield tasks


@pytest.fixture
def view(qtbot, runner: TaskRunner, settings: Settings, store: Store) -> Iterator[CaptureView]:  # type: ignore[no-untyped-def]
    widget = CaptureView(runner, settings, store)
    qtbot.addWidget(widget)
    widget.resize(680, 720)
    widget.show()
    assert runner.wait_all(5000)  # the drafts list
    yield widget
    widget.clear()


@pytest.fixture(scope="module")
def mixed_scan(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three sides at 200 dpi: text, a blank back, a page with only a signature."""
    pages = [text_page(7, dpi=200), blank_page_with_show_through(8, dpi=200)]
    pages.append(signature_only_page(9, dpi=200))
    path = tmp_path_factory.mktemp("escaneos") / "lote.tif"
    pages[0].save(path, save_all=True, append_images=pages[1:], dpi=(200, 200))
    return path


def add(qtbot, view: CaptureView, *paths: Path, at: int | None = None) -> None:  # type: ignore[no-untyped-def]
    with qtbot.waitSignal(view.busy_changed, check_params_cb=_idle, timeout=READ_TIMEOUT):
        view.add_files([str(path) for path in paths], at)


def _idle(busy: bool) -> bool:
    return not busy


def shown(view: CaptureView, role: int = DISPLAY) -> list[object]:
    model = view.model
    return [model.data(model.index(row), role) for row in range(model.rowCount())]


def names(view: CaptureView) -> list[str]:
    """Each thumbnail's tooltip reduced to the file and page it came from."""
    return [str(tip).split("(")[1].split(")")[0].rsplit("/", 1)[1] for tip in shown(view, TOOLTIP)]


def select(view: CaptureView, row: int) -> None:
    view.strip.select_row(row)
    assert view.strip.current_row() == row


def trigger(view: CaptureView, name: str) -> None:
    action = view.strip.actions_by_name[name]
    assert action.isEnabled(), f"«{action.text()}» está deshabilitado"
    action.trigger()


def handoff_files(qtbot, view: CaptureView, runner: TaskRunner) -> tuple[Path, ...]:  # type: ignore[no-untyped-def]
    """``take_for_registration`` on a worker thread, as the intake screen calls it."""
    handle = runner.run(view.take_for_registration)
    assert handle.wait(READ_TIMEOUT) and handle.error is None, handle.error
    files, report = handle.result  # type: ignore[misc]
    return tuple(files)


def pdf_sizes(path: Path) -> list[tuple[float, float]]:
    document = pdfium.PdfDocument(path)
    try:
        return [document[n].get_size() for n in range(len(document))]
    finally:
        document.close()


def drop_event(kind: str, widget, point: QPoint, data: QMimeData):  # type: ignore[no-untyped-def]
    actions = Qt.DropAction.CopyAction | Qt.DropAction.MoveAction
    args = (actions, data, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    if kind == "enter":
        return QDragEnterEvent(point, *args)
    return QDropEvent(QPointF(point), *args)


def drop(widget, point: QPoint, data: QMimeData) -> bool:  # type: ignore[no-untyped-def]
    QApplication.sendEvent(widget, drop_event("enter", widget, point, data))
    event = drop_event("drop", widget, point, data)
    QApplication.sendEvent(widget, event)
    return event.isAccepted()


def file_data(*paths: Path) -> QMimeData:
    data = QMimeData()
    data.setUrls([QUrl.fromLocalFile(str(path)) for path in paths])
    return data


# ---- pages arriving -----------------------------------------------------------------------------


def test_the_escrito_arrives_page_by_page_without_stalling_the_gui(
    qtbot, view: CaptureView, frozen_heap: None
) -> None:  # type: ignore[no-untyped-def]
    inserted: list[int] = []
    view.model.rowsInserted.connect(lambda parent, first, last: inserted.append(first))
    # As the app does at start-up (mailroom/ui/app.py): a full collection walking the test
    # process's whole heap paused every thread, the GUI's included, for some 100 ms.
    gc.collect()
    gc.freeze()
    probe = StallProbe()
    probe.start()
    try:
        add(qtbot, view, ESCRITO)
    finally:
        longest = probe.stop()
        gc.unfreeze()
    print(f"pausa más larga del hilo de la interfaz: {longest:.1f} ms")
    assert longest <= 50, f"el hilo de la interfaz se detuvo {longest:.1f} ms"
    assert probe.ticks > 50
    assert inserted == list(range(10))  # one thumbnail at a time, in order
    add(qtbot, view, JPEG)
    assert shown(view) == [str(n) for n in range(1, 12)]
    assert names(view) == [f"escrito-10-fojas.pdf, p. {n}" for n in range(1, 11)] + [
        "solicitud.jpg, p. 1"
    ]
    image = shown(view, DECORATION)[0]
    assert isinstance(image, QImage) and image.height() == 160 and image.width() < 160
    assert view.count_label.text() == "11 páginas"
    assert view.blank_label.text() == "" and view.error_label.text() == ""
    assert view.page_count() == 11


def test_page_operations_change_the_strip_and_the_scan_pdf(
    qtbot,
    view: CaptureView,
    runner: TaskRunner,  # type: ignore[no-untyped-def]
) -> None:
    add(qtbot, view, TIFF, JPEG)
    assert names(view) == ["anexos.tif, p. 1", "anexos.tif, p. 2", "anexos.tif, p. 3",
                           "solicitud.jpg, p. 1"]  # fmt: skip
    assert view.strip.current_row() == 3  # the last file's first page is selected
    assert not view.strip.actions_by_name["later"].isEnabled()  # nowhere later to go

    trigger(view, "rotate_right")
    turned = shown(view, DECORATION)[3]
    assert isinstance(turned, QImage) and turned.width() > turned.height()
    assert "girada 90°" in str(shown(view, TOOLTIP)[3])
    trigger(view, "earlier")
    trigger(view, "earlier")
    assert names(view)[1] == "solicitud.jpg, p. 1" and view.strip.current_row() == 1
    select(view, 0)
    assert not view.strip.actions_by_name["earlier"].isEnabled()
    trigger(view, "delete")
    assert names(view) == ["solicitud.jpg, p. 1", "anexos.tif, p. 2", "anexos.tif, p. 3"]
    assert view.count_label.text() == "3 páginas"

    [scan] = handoff_files(qtbot, view, runner)
    sizes = pdf_sizes(scan)
    assert len(sizes) == 3 and sizes[0][0] > sizes[0][1]  # the turned letter page lies wide
    assert all(width < height for width, height in sizes[1:])

    for _ in range(4):  # the deletion, both moves, the turn
        trigger(view, "undo")
    assert names(view)[3] == "solicitud.jpg, p. 1" and view.count_label.text() == "4 páginas"
    files = handoff_files(qtbot, view, runner)
    assert [f.name for f in files] == ["anexos.tif", "solicitud.jpg"]  # untouched: as they came


def test_the_test_scanner_gives_thumbnails(qtbot, view: CaptureView) -> None:  # type: ignore[no-untyped-def]
    view.find_button.click()
    qtbot.waitUntil(lambda: view.scanner.findData("sane:test:0") >= 0, timeout=10_000)
    view.scanner.setCurrentIndex(view.scanner.findData("sane:test:0"))
    assert "test:0" in view.scanner.currentText()
    with qtbot.waitSignal(view.busy_changed, check_params_cb=_idle, timeout=READ_TIMEOUT):
        view.scan_button.click()
    assert shown(view) == ["1"]
    assert str(shown(view, TOOLTIP)[0]).startswith("Página 1 (sane:test:0, hoja 1)")
    assert view.count_label.text() == "1 página"


def test_cancelling_a_scan_adds_nothing_and_keeps_the_earlier_pages(
    qtbot,
    view: CaptureView,
    runner: TaskRunner,  # type: ignore[no-untyped-def]
) -> None:
    add(qtbot, view, JPEG)
    view.scan_source.setCurrentIndex(view.scan_source.findData("adf"))  # ten sheets
    view.scanner.setItemData(0, "sane:test:0")
    seen: list[int] = []
    refusals: list[str] = []

    def first_sheet(parent, first, last) -> None:  # type: ignore[no-untyped-def]
        seen.append(first)
        if len(seen) == 1:
            try:  # registering while pages still arrive
                view.take_for_registration()
            except InvalidInput as error:
                refusals.append(str(error))
            assert view.cancel_button.isVisible()
            view.cancel_button.click()

    view.model.rowsInserted.connect(first_sheet)
    with qtbot.waitSignal(view.busy_changed, check_params_cb=_idle, timeout=READ_TIMEOUT):
        view.scan_button.click()
    assert refusals == [
        "Espere a que terminen de llegar las páginas (o cancele) antes de registrar."
    ]
    assert 1 <= len(seen) < 10
    assert names(view) == ["solicitud.jpg, p. 1"]
    assert view.error_label.text() == "Se canceló; no se agregó ninguna página."
    assert not view.cancel_button.isVisible() and view.scan_button.isEnabled()
    view.strip.select_row(0)
    trigger(view, "undo")  # undoes the JPEG: the cancelled scan left no step behind
    assert view.page_count() == 0


def test_a_corrupt_file_shows_the_spanish_message_and_keeps_the_pages(
    qtbot,
    view: CaptureView,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    add(qtbot, view, JPEG)
    damaged = tmp_path / "escrito dañado.pdf"
    damaged.write_bytes(ESCRITO.read_bytes()[:4000])  # cut short in the copy
    failures: list[str] = []
    view.capture_failed.connect(failures.append)
    add(qtbot, view, damaged)
    assert "escrito dañado.pdf" in view.error_label.text()
    assert "incompleto" in view.error_label.text() or "dañado" in view.error_label.text()
    assert failures == [view.error_label.text()]
    assert view.error_label.isVisible()
    assert names(view) == ["solicitud.jpg, p. 1"] and view.count_label.text() == "1 página"


def test_files_dropped_on_the_view_or_between_thumbnails_are_added_there(
    qtbot,
    view: CaptureView,  # type: ignore[no-untyped-def]
) -> None:
    with qtbot.waitSignal(view.busy_changed, check_params_cb=_idle, timeout=READ_TIMEOUT):
        assert drop(view, QPoint(10, 10), file_data(TIFF))
    assert view.page_count() == 3
    viewport = view.strip.viewport()
    second = view.strip.visualRect(view.model.index(1))
    with qtbot.waitSignal(view.busy_changed, check_params_cb=_idle, timeout=READ_TIMEOUT):
        assert drop(viewport, second.topLeft() + QPoint(4, 20), file_data(JPEG))  # left half
    assert names(view) == ["anexos.tif, p. 1", "solicitud.jpg, p. 1", "anexos.tif, p. 2",
                           "anexos.tif, p. 3"]  # fmt: skip

    # A thumbnail dragged onto the right half of the last one goes to the end.
    dragged = view.model.mimeData([view.model.index(0)])
    last = view.strip.visualRect(view.model.index(3))
    assert drop(viewport, last.topRight() + QPoint(-4, 20), dragged)
    assert names(view) == ["solicitud.jpg, p. 1", "anexos.tif, p. 2", "anexos.tif, p. 3",
                           "anexos.tif, p. 1"]  # fmt: skip
    assert view.strip.current_row() == 3


def test_the_file_dialog_does_not_block_and_inserts_before_the_selected_page(
    qtbot,
    view: CaptureView,  # type: ignore[no-untyped-def]
) -> None:
    add(qtbot, view, TIFF)
    select(view, 1)
    view.insert_box.setChecked(True)
    view.file_button.click()
    dialog = view._file_dialog
    assert dialog is not None and dialog.isVisible()  # open(), not exec(): we got here
    with qtbot.waitSignal(view.busy_changed, check_params_cb=_idle, timeout=READ_TIMEOUT):
        dialog.filesSelected.emit([str(JPEG)])  # what choosing a file and "Abrir" emit
    assert names(view)[1] == "solicitud.jpg, p. 1" and view.page_count() == 4
    dialog.close()


def test_blank_and_review_lines_and_fojas_then_registration(
    qtbot, view: CaptureView, runner: TaskRunner, store: Store, settings: Settings,  # type: ignore[no-untyped-def]
    clock: FixedClock, mixed_scan: Path,
) -> None:  # fmt: skip
    add(qtbot, view, mixed_scan, JPEG)
    assert view.blank_label.text() == "1 página en blanco retirada"
    assert view.review_label.text() == (
        "Revise la página 2: tiene muy poco contenido (¿solo una firma o una palabra?)."
    )
    assert shown(view) == ["1", "2 · revisar", "3"]
    assert "Revisar: tiene muy poco contenido" in str(shown(view, TOOLTIP)[1])
    view.set_declared_fojas(4)
    assert view.fojas_label.text() == (
        "Se declararon 4 fojas y se digitalizaron 3 páginas (1 en blanco retirada): falta 1."
    )

    handle = runner.run(view.take_for_registration)
    assert handle.wait(READ_TIMEOUT) and handle.error is None
    files, report = handle.result  # type: ignore[misc]
    assert [f.name for f in files] == ["digitalizacion.pdf", "solicitud.jpg"]
    assert report == CaptureReport(f"file:{mixed_scan} + file:{JPEG}", 4, (2,), (2,))
    new = NewFiling(Sender("José Ángel Muñoz Córdova"), "Solicitud de regularización de predios")
    filing = IntakeService(store, settings, clock=clock).register(new, files, capture=report).filing
    assert filing.pages_scanned == 3 and filing.blank_pages_removed == 1
    assert [d.filename for d in filing.documents] == ["digitalizacion.pdf", "solicitud.jpg"]
    assert [d.page_count for d in filing.documents] == [2, 1]
    assert [p.needs_review for d in filing.documents for p in d.pages] == [False, True, False]

    view.clear()
    assert view.page_count() == 0
    qtbot.waitUntil(lambda: not files[0].exists(), timeout=5000)  # deleted off the GUI thread
    assert view.count_label.text() == "0 páginas" and view.blank_label.text() == ""
    assert tmpfiles.work_left(settings.data_dir) == []


def test_a_pending_draft_is_listed_opened_and_marked_when_registered(
    qtbot,
    runner: TaskRunner,
    store: Store,
    settings: Settings,
    clock: FixedClock,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    pdf = tmp_path / "grupo.pdf"
    text_page(21, dpi=150, noise=False).save(pdf, "PDF", resolution=150)
    report = CaptureReport("folder:/srv/escaner", 2, blank_removed=(2,))
    drafts = DraftService(store, settings, clock=clock)
    [draft] = drafts.create(
        [
            NewDraft(
                "folder:/srv/escaner",
                "escaneo-0815.pdf, grupo 1 de 1",
                DraftKind.NUEVO,
                pdf,
                1,
                report,
            )
        ]  # fmt: skip
    )
    view = CaptureView(runner, settings, store)
    qtbot.addWidget(view)
    qtbot.waitUntil(lambda: view.drafts.currentData() == draft.id, timeout=5000)
    assert view.drafts.currentText() == f"{draft.id} · escaneo-0815.pdf, grupo 1 de 1 · 1 pág."
    with qtbot.waitSignal(view.busy_changed, check_params_cb=_idle, timeout=READ_TIMEOUT):
        view.draft_button.click()
    assert view.blank_label.text() == "1 página en blanco retirada"
    handle = runner.run(view.take_handoff)
    assert handle.wait(READ_TIMEOUT) and handle.result is not None
    intake = IntakeService(store, settings, clock=clock)
    new = NewFiling(Sender("Juan Carlos Ibarra Soto"), "Solicitud de alumbrado público")
    registration = register_handoff(intake, new, handle.result)
    assert drafts.get(draft.id).state is DraftState.REGISTRADO
    assert registration.filing.capture_source == "folder:/srv/escaner"
    view.clear()
    qtbot.waitUntil(lambda: view.drafts.currentData() is None, timeout=5000)
    assert view.drafts.currentText() == "Sin borradores pendientes"
    assert not view.draft_button.isEnabled()


def test_the_scanner_setting_may_name_the_folder_a_network_scanner_saves_to(
    qtbot,
    runner: TaskRunner,
    store: Store,
    data_dir: Path,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    folder = tmp_path / "escaner"
    folder.mkdir()
    saved = folder / "escaneo-0001.jpg"
    saved.write_bytes(JPEG.read_bytes())
    os.utime(saved, (1_700_000_000, 1_700_000_000))  # complete: written long ago
    settings = load_settings(data_dir, scanner=f"folder:{folder}")
    view = CaptureView(runner, settings, store)
    qtbot.addWidget(view)
    assert view.scanner.currentText() == f"Carpeta {folder}"
    with qtbot.waitSignal(view.busy_changed, check_params_cb=_idle, timeout=READ_TIMEOUT):
        view.scan_button.click()
    assert names(view) == ["escaneo-0001.jpg, p. 1"]
    assert view.session.state.report().source == f"folder:{folder}"
    view.clear()
