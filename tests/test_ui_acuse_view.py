"""The acuse preview on real widgets (offscreen): a real sample registered, its acuse sealed with an
e.firma of the SAT-shaped test PKI, shown on white, printed through the print dialog to a PDF
file (non-blocking), saved as PDF; bad printers and folders get a Spanish message."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pypdfium2
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import QApplication, QMainWindow

from mailroom.acuses import AcuseService, StoredAcuse
from mailroom.clock import FixedClock
from mailroom.config import Settings, load_settings
from mailroom.intake import IntakeService
from mailroom.models import NewFiling, Sender
from mailroom.store import Store
from mailroom.ui.acuse_view import AcusePreview
from mailroom.ui.tasks import StallProbe, TaskRunner
from signing import load_credentials
from signing.sign import PdfSigner
from tests.sat_pki import SatPki
from tests.ui_fixtures import waited_runner

SAMPLES = Path(__file__).resolve().parents[1] / "resources" / "samples"
WHITE = 0xFFFFFFFF


@pytest.fixture
def pki_settings(data_dir: Path, sat_pki: SatPki) -> Settings:
    """The office trusts the test PKI's root (as a demo install would): seals verify, marked
    as made under a test root."""
    return load_settings(data_dir, clerk="ventanilla1", trust_test_roots=str(sat_pki.root_path))


@pytest.fixture
def pki_store(pki_settings: Settings) -> Iterator[Store]:
    with Store(pki_settings.data_dir) as opened:
        yield opened


@pytest.fixture
def runner(qapp, store) -> Iterator[TaskRunner]:  # type: ignore[no-untyped-def]
    with waited_runner() as tasks:
        yield tasks


def office_signer(pki: SatPki) -> PdfSigner:
    credentials = load_credentials(pki.cer("fisica"), pki.key("fisica"), pki.password)
    return PdfSigner(credentials, chain=[pki.ac_der, pki.root_der])


def register_sample(
    store: Store, settings: Settings, clock: FixedClock, sample: str = "solicitud.jpg"
) -> str:
    new = NewFiling(Sender("Rubén Darío Núñez Álvarez"), "Solicitud de licencia de funcionamiento")
    registration = IntakeService(store, settings, clock=clock).register(new, [SAMPLES / sample])
    return registration.filing.folio


def sealed_acuse(store: Store, settings: Settings, clock: FixedClock, pki: SatPki) -> StoredAcuse:
    folio = register_sample(store, settings, clock)
    return AcuseService(store, settings, clock).seal(folio, office_signer(pki))


def shown_preview(qtbot, runner: TaskRunner, acuse: StoredAcuse) -> AcusePreview:  # type: ignore[no-untyped-def]
    preview = AcusePreview(runner)
    qtbot.addWidget(preview)
    preview.resize(900, 700)
    preview.show()
    with qtbot.waitSignal(preview.view.page_rendered, timeout=10_000):
        preview.show_acuse(acuse)
    return preview


def pdf_page_count(path: Path) -> int:
    document = pypdfium2.PdfDocument(str(path))
    try:
        return len(document)
    finally:
        document.close()


def test_the_sealed_acuse_is_shown_on_white_with_its_seal(
    qtbot, runner, pki_store, pki_settings, clock, sat_pki
) -> None:  # type: ignore[no-untyped-def]
    acuse = sealed_acuse(pki_store, pki_settings, clock, sat_pki)
    preview = shown_preview(qtbot, runner, acuse)

    assert preview.state_label.text().startswith(
        f"Folio {acuse.folio}. Acuse sellado con la e.firma"
    )
    assert "RFC PELG800101QX7" in preview.state_label.text()
    assert preview.view.count_label.text() == "1 página(s)"
    image = preview.view.page_image(0)
    assert image is not None and not image.hasAlphaChannel()
    assert image.pixel(2, 2) == WHITE  # the margin of a PDF page with no background of its own
    # What the clerk sees: the page drawn white on the viewer, not the window's colour.
    canvas = preview.view.canvas
    corner = canvas.page_rect(0).topLeft()
    assert canvas.grab().toImage().pixel(corner.x() + 3, corner.y() + 3) == WHITE
    assert preview.print_button.isEnabled() and preview.save_button.isEnabled()


def test_an_unsealed_acuse_says_it_waits_for_the_seal(
    qtbot, runner, pki_store, pki_settings, clock
) -> None:  # type: ignore[no-untyped-def]
    folio = register_sample(pki_store, pki_settings, clock)
    acuse = AcuseService(pki_store, pki_settings, clock).current(folio)
    preview = shown_preview(qtbot, runner, acuse)
    assert preview.state_label.text() == (
        f"Folio {folio}. Pendiente de sello: se sellará cuando se abra la e.firma de la oficina."
    )


def test_ctrl_p_opens_the_dialog_without_blocking_and_prints_every_page(
    qtbot, runner, pki_store, pki_settings, clock, sat_pki, tmp_path, frozen_heap
) -> None:  # type: ignore[no-untyped-def]
    acuse = sealed_acuse(pki_store, pki_settings, clock, sat_pki)
    preview = shown_preview(qtbot, runner, acuse)
    output = tmp_path / "impreso.pdf"
    preview.printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    preview.printer.setOutputFileName(str(output))
    preview.activateWindow()
    preview.setFocus()

    qtbot.keyClick(preview, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier)
    dialog = preview.print_dialog
    assert dialog is not None
    qtbot.waitUntil(dialog.isVisible, timeout=5000)  # open(), not exec(): the test goes on
    # A person clicks «Imprimir» on a dialog already drawn: let its first layout and paint
    # finish (40-60 ms of Qt's own on the GUI thread) before measuring what printing costs.
    qtbot.waitExposed(dialog)
    QApplication.processEvents()

    probe = StallProbe()
    probe.start()
    with qtbot.waitSignal(preview.printed, timeout=30_000) as printed:
        dialog.accept()
    longest_stall_ms = probe.stop()

    assert printed.args == [str(output)]
    assert pdf_page_count(output) == pdf_page_count_of(acuse.pdf)
    assert preview.message_label.text() == f"Acuse enviado a {output}."
    assert preview.print_button.isEnabled()
    # Pages were rendered off the GUI thread and painted a band at a time.
    assert longest_stall_ms <= 50, f"la ventana se detuvo {longest_stall_ms:.0f} ms al imprimir"


def pdf_page_count_of(pdf: bytes) -> int:
    document = pypdfium2.PdfDocument(pdf)
    try:
        return len(document)
    finally:
        document.close()


def test_a_printer_that_cannot_start_is_reported_in_spanish(
    qtbot, runner, pki_store, pki_settings, clock, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    folio = register_sample(pki_store, pki_settings, clock)
    preview = shown_preview(
        qtbot, runner, AcuseService(pki_store, pki_settings, clock).current(folio)
    )
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(tmp_path / "no-existe" / "acuse.pdf"))

    with qtbot.waitSignal(preview.print_failed, timeout=10_000) as failed:
        preview.print_to(printer)

    assert failed.args[0].startswith("No se pudo iniciar la impresión en")
    assert preview.message_label.text() == failed.args[0]
    assert preview.print_button.isEnabled()


def test_save_pdf_writes_the_stored_acuse_and_explains_a_bad_folder(
    qtbot, runner, pki_store, pki_settings, clock, sat_pki, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    acuse = sealed_acuse(pki_store, pki_settings, clock, sat_pki)
    preview = shown_preview(qtbot, runner, acuse)
    target = tmp_path / "copias" / "acuse.pdf"

    with qtbot.waitSignal(preview.saved, timeout=10_000):
        preview.save_to(str(target))
    assert target.read_bytes() == acuse.pdf
    assert preview.message_label.text() == f"Acuse guardado en {target}."

    blocker = tmp_path / "archivo.txt"
    blocker.write_text("no es carpeta")
    preview.save_to(str(blocker / "acuse.pdf"))
    assert runner.wait_all(10_000)
    message = preview.message_label.text()
    assert message.startswith(f"No se pudo guardar el PDF en {blocker / 'acuse.pdf'}")
    assert message.endswith("Elija otra carpeta o revise el espacio libre.")


def test_inside_a_window_with_its_own_print_action_ctrl_p_is_not_ambiguous(
    qtbot, runner, pki_store, pki_settings, clock
) -> None:  # type: ignore[no-untyped-def]
    """Two live Ctrl+P shortcuts make Qt run neither; the window's action must win."""
    folio = register_sample(pki_store, pki_settings, clock)
    window = QMainWindow()
    qtbot.addWidget(window)
    preview = AcusePreview(runner)
    window.setCentralWidget(preview)
    action = QAction("Imprimir acuse", window)
    action.setShortcut(QKeySequence(QKeySequence.StandardKey.Print))
    action.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
    action.triggered.connect(preview.print_acuse)
    window.addAction(action)
    window.show()
    qtbot.waitExposed(window)
    with qtbot.waitSignal(preview.view.page_rendered, timeout=10_000):
        preview.show_acuse(AcuseService(pki_store, pki_settings, clock).current(folio))
    preview.print_button.setFocus()

    with qtbot.waitSignal(action.triggered, timeout=5000):
        qtbot.keyClick(preview.print_button, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier)
    assert preview.print_dialog is not None and preview.print_dialog.isVisible()
    preview.print_dialog.reject()
