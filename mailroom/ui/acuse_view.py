"""The acuse on screen, on paper and on disk: preview, "Imprimir" (Ctrl+P) and "Guardar PDF…".

Printing never blocks the window. The system print dialog opens with ``open()`` and printing starts
from its ``accepted`` signal; the pages go out through :class:`mailroom.ui.pdf_print.PdfPrintJob`
(rendered in the task helper, painted band by band), which the kiosk shares.
"""

from __future__ import annotations

import functools
from pathlib import Path

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QAction, QKeySequence, QShowEvent
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
from mailroom.filing_detail import SignatureSummary, export_pdf
from mailroom.ui.pdf_print import PdfPrintJob
from mailroom.ui.pdf_view import PdfView
from mailroom.ui.tasks import TaskContext, TaskRunner

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
        self._job: PdfPrintJob | None = None
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
        self._job = PdfPrintJob(self.runner, printer, self.acuse.pdf, self)
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


def _save_op(pdf: bytes, path: Path, context: TaskContext) -> Path:
    return export_pdf(pdf, path)
