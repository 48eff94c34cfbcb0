"""The acuse on screen, on paper and on disk: preview, "Imprimir" (Ctrl+P) and "Guardar PDF…".

Printing never blocks the window. The system print dialog opens with ``open()`` and printing starts
from its ``accepted`` signal; each page is rasterised at the printer's resolution (capped at
``MAX_PRINT_DPI``) in the task helper, and the GUI thread paints it onto the ``QPrinter`` a band
of ``BAND_ROWS`` rows per event-loop turn: one whole 300 dpi page drawn at once took ~250 ms of
the GUI thread (Qt compresses the image into the print stream as it draws), a band ~5-8 ms.
"""

from __future__ import annotations

import functools
from pathlib import Path

from PySide6.QtCore import QObject, QRect, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QAction, QImage, QKeySequence, QPainter, QShowEvent
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from mailroom.acuses import StoredAcuse
from mailroom.errors import OficialiaError
from mailroom.filing_detail import PageSpec, SignatureSummary, export_pdf, measure_pdf
from mailroom.ui.pdf_view import PdfView, render_page
from mailroom.ui.tasks import TaskContext, TaskRunner

MAX_PRINT_DPI = 300  # QPrinter's "high resolution" is 1200 dpi: 119 Mpx per page, 4 s to render
BAND_ROWS = 64
SEALED_STYLE = "color: #1b5e20; font-weight: bold;"
PENDING_STYLE = "color: #8a4b00; font-weight: bold;"
INVALID_STYLE = "color: #b71c1c; font-weight: bold;"
PRINT_SHORTCUT = QKeySequence.StandardKey.Print


class AcusePreview(QWidget):
    """Shows one acuse (``show_acuse``); prints it and saves it as a PDF."""

    printed = Signal(str)  # the output file, or the printer's name
    print_failed = Signal(str)  # the Spanish message
    saved = Signal(str)  # the path written

    def __init__(self, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self.acuse: StoredAcuse | None = None
        self.printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        self.print_dialog: QPrintDialog | None = None
        self.save_dialog: QFileDialog | None = None
        self._job: _PrintJob | None = None
        self._build()

    def _build(self) -> None:
        self.state_label = QLabel(self)
        self.state_label.setObjectName("estadoSello")
        self.state_label.setWordWrap(True)
        self.message_label = QLabel(self)
        self.message_label.setWordWrap(True)
        self.view = PdfView(self.runner, self)
        self.print_button = QPushButton(self.tr("&Imprimir"), self)
        self.print_button.setToolTip(self.tr("Imprimir el acuse (Ctrl+P)"))
        self.print_button.setAccessibleName(self.tr("Imprimir el acuse"))
        self.print_button.clicked.connect(self.print_acuse)
        self.save_button = QPushButton(self.tr("&Guardar PDF…"), self)
        self.save_button.setToolTip(self.tr("Guardar una copia del acuse en PDF"))
        self.save_button.setAccessibleName(self.tr("Guardar el acuse en PDF"))
        self.save_button.clicked.connect(self.save_pdf)
        # The widget's own Ctrl+P, for when no window-wide "print" action handles it.
        self.print_action = QAction(self.tr("Imprimir el acuse"), self)
        self.print_action.setShortcut(QKeySequence(PRINT_SHORTCUT))
        self.print_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.print_action.triggered.connect(self.print_acuse)
        self.addAction(self.print_action)
        buttons = QHBoxLayout()
        buttons.addWidget(self.state_label, 1)
        buttons.addWidget(self.print_button)
        buttons.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(buttons)
        layout.addWidget(self.message_label)
        layout.addWidget(self.view, 1)
        self._say("")
        self._enable(False)

    def _say(self, text: str) -> None:
        """The line under the buttons: printing, saved, or what went wrong; hidden when empty."""
        self.message_label.setText(text)
        self.message_label.setVisible(bool(text))

    def _enable(self, enabled: bool) -> None:
        for widget in (self.print_button, self.save_button, self.print_action):
            widget.setEnabled(enabled)

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        # Two active Ctrl+P shortcuts make Qt call neither ("ambiguous shortcut"): inside a
        # window that has its own print action, that action decides which acuse to print.
        self.print_action.setShortcut(
            QKeySequence() if self._window_prints() else QKeySequence(PRINT_SHORTCUT)
        )

    def _window_prints(self) -> bool:
        keys = QKeySequence(PRINT_SHORTCUT)
        window_wide = (Qt.ShortcutContext.WindowShortcut, Qt.ShortcutContext.ApplicationShortcut)
        return any(
            action.shortcut() == keys and action.shortcutContext() in window_wide
            for action in self.window().findChildren(QAction)
        )

    # -- what is shown ----------------------------------------------------------------------

    def show_acuse(self, acuse: StoredAcuse) -> None:
        self.acuse = acuse
        self._say("")
        if acuse.sealed:
            when = acuse.sealed_at.strftime("%Y-%m-%d %H:%M") if acuse.sealed_at else ""
            text = self.tr("Acuse sellado con la e.firma ({0}) el {1}; RFC {2}.").format(
                acuse.signature_level or "", when, acuse.signer_rfc or ""
            )
            self.state_label.setStyleSheet(SEALED_STYLE)
        else:
            text = self.tr(
                "Pendiente de sello: se sellará cuando se abra la e.firma de la oficina."
            )
            self.state_label.setStyleSheet(PENDING_STYLE)
        self.state_label.setText(self.tr("Folio {0}. {1}").format(acuse.folio, text))
        self.view.set_pdf(acuse.pdf)
        self._enable(True)

    def clear(self, message: str = "") -> None:
        self.acuse = None
        self.state_label.setText(message)
        self.state_label.setStyleSheet("")
        self.view.clear()
        self._enable(False)

    # -- printing ---------------------------------------------------------------------------

    @Slot()
    def print_acuse(self) -> None:
        """Open the system print dialog (non-blocking); printing starts when it is accepted."""
        if self.acuse is None or self._job is not None:
            return
        if self.print_dialog is None:
            self.print_dialog = QPrintDialog(self.printer, self)
            self.print_dialog.setWindowTitle(self.tr("Imprimir acuse"))
            self.print_dialog.accepted.connect(self._print_accepted)
        QDialog.open(self.print_dialog)  # QPrintDialog.open() only binds the (receiver, slot) form

    @Slot()
    def _print_accepted(self) -> None:
        self.print_to(self.printer)

    def print_to(self, printer: QPrinter) -> None:
        """Print the acuse on ``printer`` as configured (a PDF file in tests)."""
        if self.acuse is None or self._job is not None:
            return
        self._enable(False)
        self._say(self.tr("Imprimiendo…"))
        self._job = _PrintJob(self.runner, printer, self.acuse.pdf, self)
        self._job.finished.connect(self._printed)
        self._job.failed.connect(self._print_failed)
        self._job.start()

    @Slot(str)
    def _printed(self, target: str) -> None:
        self._job = None
        self._enable(self.acuse is not None)
        self._say(self.tr("Acuse enviado a {0}.").format(target))
        self.printed.emit(target)

    @Slot(str)
    def _print_failed(self, message: str) -> None:
        self._job = None
        self._enable(self.acuse is not None)
        self._say(message)
        self.print_failed.emit(message)

    # -- saving -----------------------------------------------------------------------------

    @Slot()
    def save_pdf(self) -> None:
        """Ask where (non-blocking file dialog), then write the PDF off the GUI thread."""
        if self.acuse is None:
            return
        if self.save_dialog is None:
            self.save_dialog = QFileDialog(self, self.tr("Guardar acuse en PDF"))
            self.save_dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
            self.save_dialog.setNameFilter(self.tr("Documentos PDF (*.pdf)"))
            self.save_dialog.setDefaultSuffix("pdf")
            self.save_dialog.fileSelected.connect(self.save_to)
        self.save_dialog.selectFile(f"acuse-{self.acuse.folio}.pdf")
        self.save_dialog.open()

    @Slot(str)
    def save_to(self, path: str) -> None:
        if self.acuse is None or not path:
            return
        self.runner.run(
            functools.partial(_save_op, self.acuse.pdf, Path(path)),
            name="guardar_acuse",
            on_success=self._saved,
            on_failure=self._save_failed,
            owner=self,
        )

    def _saved(self, path: Path) -> None:
        self._say(self.tr("Acuse guardado en {0}.").format(path))
        self.saved.emit(str(path))

    def _save_failed(self, error: OficialiaError) -> None:
        self._say(error.message)


class SealCheckPanel(QWidget):
    """The check of an acuse's seal (``mailroom.filing_detail.SignatureSummary``): the verdict,
    who sealed, when, at what level, and a loud DEMO line for a seal made under a test root."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.headline = QLabel(self)
        self.headline.setWordWrap(True)
        self.values = {key: QLabel(self) for key in ("signer", "rfc", "number", "time", "level")}
        self.demo = QLabel(self)
        self.verdict = QLabel(self)
        self.verdict.setWordWrap(True)
        form = QFormLayout()
        for key, title in (
            ("signer", self.tr("Firmante:")),
            ("rfc", self.tr("RFC:")),
            ("number", self.tr("Certificado:")),
            ("time", self.tr("Sellado el:")),
            ("level", self.tr("Nivel PAdES:")),
        ):
            self.values[key].setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            form.addRow(title, self.values[key])
        layout = QVBoxLayout(self)
        layout.addWidget(self.headline)
        layout.addWidget(self.demo)
        layout.addLayout(form)
        layout.addWidget(self.verdict)
        layout.addStretch(1)

    def show_checking(self) -> None:
        self.headline.setText(self.tr("Comprobando el sello del acuse…"))
        self.headline.setStyleSheet("")

    def show_summary(self, summary: SignatureSummary) -> None:
        style = {"valida": SEALED_STYLE, "invalida": INVALID_STYLE}.get(summary.state)
        self.headline.setText(summary.headline)
        self.headline.setStyleSheet(style or PENDING_STYLE)
        when = summary.signed_at.strftime("%Y-%m-%d %H:%M:%S %z") if summary.signed_at else ""
        values = (summary.signer, summary.rfc, summary.certificate_number, when, summary.level)
        for label, value in zip(self.values.values(), values, strict=True):
            label.setText(value or "—")
        self.demo.setText(
            self.tr("DEMO: sellado con un certificado de prueba; no vale como acuse oficial.")
            if summary.demo
            else ""
        )
        self.demo.setStyleSheet(INVALID_STYLE if summary.demo else "")
        revocation = "" if summary.revocation in summary.verdict else summary.revocation
        details = [summary.verdict, revocation, *summary.warnings]
        self.verdict.setText("\n".join(d for d in details if d))


class _PrintJob(QObject):
    """One acuse on one printer: render page N+1 while page N is painted, band by band."""

    finished = Signal(str)
    failed = Signal(str)

    def __init__(self, runner: TaskRunner, printer: QPrinter, pdf: bytes, parent: QWidget) -> None:
        super().__init__(parent)
        self.runner = runner
        self.printer = printer
        self.pdf = pdf
        self.painter = QPainter()
        self.specs: list[PageSpec] = []
        self.page: QImage | None = None
        self.page_index = 0
        self.band_top = 0
        self.scale = 1.0
        self.next_page: QImage | None = None
        self._band_timer = QTimer(self)
        self._band_timer.setInterval(0)
        self._band_timer.timeout.connect(self._paint_band)

    def start(self) -> None:
        self.runner.run(
            functools.partial(_measure_op, self.pdf),
            name="medir_acuse",
            on_success=self._measured,
            on_failure=self._op_failed,
            owner=self,
        )

    def _target(self) -> str:
        return self.printer.outputFileName() or self.printer.printerName() or "la impresora"

    def _measured(self, specs: list[PageSpec]) -> None:
        self.specs = specs
        resolution = self.printer.resolution()
        self.scale = resolution / min(resolution, MAX_PRINT_DPI)  # device pixels per image pixel
        if not specs or not self.painter.begin(self.printer):
            self._fail(
                self.tr("No se pudo iniciar la impresión en {0}. Revise que la impresora esté "
                        "encendida y conectada.").format(self._target())
            )  # fmt: skip
            return
        self._render(0)

    def _render(self, index: int) -> None:
        area = self.printer.pageLayout().paintRectPixels(self.printer.resolution())
        width = int(area.width() / self.scale)
        height = int(area.height() / self.scale)
        self.runner.run(
            functools.partial(_render_op, self.specs[index], width, height),
            name="imprimir_pagina",
            on_success=self._page_rendered,
            on_failure=self._op_failed,
            owner=self,
        )

    def _page_rendered(self, image: QImage) -> None:
        if self.page is None:
            self.page, self.band_top = image, 0
            if self.page_index + 1 < len(self.specs):
                self._render(self.page_index + 1)  # rendered while this one is painted
            self._band_timer.start()
        else:
            self.next_page = image

    @Slot()
    def _paint_band(self) -> None:
        page = self.page
        if page is None:
            self._band_timer.stop()
            return
        rows = min(BAND_ROWS, page.height() - self.band_top)
        band = page.copy(0, self.band_top, page.width(), rows)
        scale = self.scale
        target = QRect(0, round(self.band_top * scale), round(page.width() * scale), 0)
        target.setBottom(round((self.band_top + rows) * scale) - 1)
        self.painter.drawImage(target, band)
        self.band_top += rows
        if self.band_top < page.height():
            return
        self._band_timer.stop()
        self._page_done()

    def _page_done(self) -> None:
        self.page = None
        self.page_index += 1
        if self.page_index >= len(self.specs):
            self.painter.end()
            self.finished.emit(self._target())
            return
        if not self.printer.newPage():
            self._fail(self.tr("La impresora no aceptó una página nueva."))
            return
        if self.next_page is not None:
            image, self.next_page = self.next_page, None
            self._page_rendered(image)

    def _op_failed(self, error: OficialiaError) -> None:
        self._fail(error.message)

    def _fail(self, message: str) -> None:
        self._band_timer.stop()
        if self.painter.isActive():
            self.printer.abort()
            self.painter.end()
        self.failed.emit(message)


def _measure_op(pdf: bytes, context: TaskContext) -> list[PageSpec]:
    return measure_pdf(pdf)


def _render_op(spec: PageSpec, width: int, height: int, context: TaskContext) -> QImage:
    return render_page(spec, width, height)


def _save_op(pdf: bytes, path: Path, context: TaskContext) -> Path:
    return export_pdf(pdf, path)
