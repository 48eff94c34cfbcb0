"""«Aviso de privacidad»: the office's short and full notices, edited and saved
(``mailroom.privacy.save_notice``, an administrator's action), and the full one printed for a
citizen who asks for it (``mailroom.privacy_pdf``, painted by ``PdfPrintJob``)."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from mailroom.config import Settings
from mailroom.errors import OficialiaError
from mailroom.privacy import PrivacyNotice, notice_in_force, save_notice
from mailroom.privacy_pdf import render_notice
from mailroom.store import Store
from mailroom.ui.messages import DONE_STYLE, ERROR_STYLE, show_message
from mailroom.ui.pdf_print import PdfPrintJob
from mailroom.ui.tasks import TaskContext, TaskRunner


class NoticePrinter(QObject):
    """Prints the full notice in force for a citizen who asks for it: the system print dialog
    (non-blocking), then the PDF rendered off the GUI thread and painted by ``PdfPrintJob``.
    At the counter anyone signed in may; the notice is public."""

    started = Signal()
    printed = Signal(str)  # the printer's name or output file
    failed = Signal(str)

    def __init__(self, settings: Settings, runner: TaskRunner, parent: QObject) -> None:
        super().__init__(parent)
        self.settings = settings
        self.runner = runner
        self.printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        self.print_dialog: QPrintDialog | None = None
        self._job: PdfPrintJob | None = None

    def ask(self, parent: QWidget) -> None:
        if self._job is not None:
            return
        if self.print_dialog is None:
            self.print_dialog = QPrintDialog(self.printer, parent)
            self.print_dialog.setWindowTitle(self.tr("Imprimir el aviso de privacidad"))
            self.print_dialog.accepted.connect(lambda: self.print_to(self.printer))
        QDialog.open(self.print_dialog)  # QPrintDialog.open() only binds the (receiver, slot) form

    def print_to(self, printer: QPrinter) -> None:
        if self._job is not None:
            return
        settings = self.settings
        self.started.emit()

        def op(context: TaskContext) -> bytes:
            return render_notice(notice_in_force(settings), settings.office_name)

        def rendered(pdf: bytes) -> None:
            self._job = PdfPrintJob(self.runner, printer, pdf, self)
            self._job.finished.connect(self._finished)
            self._job.failed.connect(self._failed)
            self._job.start()

        self.runner.run(
            op,
            name="preparar_aviso",
            on_success=rendered,
            on_failure=lambda error: self._failed(error.message),
            owner=self,
        )

    @Slot(str)
    def _finished(self, target: str) -> None:
        self._job = None
        self.printed.emit(target)

    @Slot(str)
    def _failed(self, message: str) -> None:
        self._job = None
        self.failed.emit(message)


class PrivacyTab(QWidget):
    loaded = Signal(object)  # PrivacyNotice in force
    saved = Signal(object)  # PrivacyNotice saved
    printed = Signal(str)  # the printer's name or output file
    failed = Signal(str)

    def __init__(
        self, store: Store, settings: Settings, runner: TaskRunner, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.store = store
        self.settings = settings
        self.runner = runner
        self.notice: PrivacyNotice | None = None
        self.notice_printer = NoticePrinter(settings, runner, self)
        self.notice_printer.started.connect(self._printing)
        self.notice_printer.printed.connect(self._printed)
        self.notice_printer.failed.connect(self._print_failed)
        hint = QLabel(
            self.tr(
                "El simplificado se muestra en el quiosco antes de pedir cualquier dato; el "
                "integral debe decir el domicilio de la oficina y de su Unidad de Transparencia. "
                "Cada escrito guarda la versión del aviso en vigor."
            ),
            self,
        )
        hint.setWordWrap(True)
        self.short = QPlainTextEdit(self)
        self.short.setAccessibleName(self.tr("Aviso simplificado"))
        self.full = QPlainTextEdit(self)
        self.full.setAccessibleName(self.tr("Aviso integral"))
        self.version = QLabel(self)
        self.save_button = QPushButton(self.tr("&Guardar el aviso"), self)
        self.save_button.clicked.connect(self.save)
        self.print_button = QPushButton(self.tr("&Imprimir el aviso integral…"), self)
        self.print_button.clicked.connect(self.print_notice)
        self.message = QLabel(self)
        self.message.setWordWrap(True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.version, 1)
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.print_button)
        layout = QVBoxLayout(self)
        layout.addWidget(hint)
        for text, edit, stretch in (
            (self.tr("Aviso &simplificado"), self.short, 1),
            (self.tr("Aviso &integral"), self.full, 2),
        ):
            label = QLabel(text, self)
            label.setBuddy(edit)
            layout.addWidget(label)
            layout.addWidget(edit, stretch)
        layout.addLayout(buttons)
        layout.addWidget(self.message)
        self._enable(False)
        self.reload()

    @Slot()
    def reload(self) -> None:
        settings = self.settings

        def op(context: TaskContext) -> PrivacyNotice:
            return notice_in_force(settings)

        self.runner.run(
            op, name="leer_aviso", on_success=self._show, on_failure=self._failed, owner=self
        )

    def _show(self, notice: PrivacyNotice) -> None:
        self.notice = notice
        self.short.setPlainText(notice.short)
        self.full.setPlainText(notice.full)
        self.version.setText(self.tr("Versión en vigor: {0}").format(notice.version[:16]))
        self._enable(True)
        self.loaded.emit(notice)

    @Slot()
    def save(self) -> None:
        store, settings = self.store, self.settings
        short, full = self.short.toPlainText(), self.full.toPlainText()
        self._enable(False)

        def op(context: TaskContext) -> PrivacyNotice:
            return save_notice(store, settings, short, full)

        self.runner.run(
            op, name="guardar_aviso", on_success=self._saved, on_failure=self._failed, owner=self
        )

    def _saved(self, notice: PrivacyNotice) -> None:
        self._show(notice)
        self._say(self.tr("Aviso guardado: los escritos nuevos guardan esta versión."), DONE_STYLE)
        self.saved.emit(notice)

    # -- printing ----------------------------------------------------------------------------

    @Slot()
    def print_notice(self) -> None:
        """The system print dialog (non-blocking); printing starts when it is accepted."""
        self.notice_printer.ask(self)

    def print_to(self, printer: QPrinter) -> None:
        """Print the notice in force (what was saved, not unsaved edits) on ``printer``."""
        self.notice_printer.print_to(printer)

    @Slot()
    def _printing(self) -> None:
        self._enable(False)
        self._say(self.tr("Imprimiendo…"), DONE_STYLE)

    @Slot(str)
    def _printed(self, target: str) -> None:
        self._enable(True)
        self._say(self.tr("Aviso enviado a {0}.").format(target), DONE_STYLE)
        self.printed.emit(target)

    @Slot(str)
    def _print_failed(self, message: str) -> None:
        self._enable(True)
        self._say(message, ERROR_STYLE)
        self.failed.emit(message)

    # -- state -------------------------------------------------------------------------------

    def _failed(self, error: OficialiaError) -> None:
        self._enable(self.notice is not None)
        self._say(error.message, ERROR_STYLE)
        self.failed.emit(error.message)

    def _enable(self, enabled: bool) -> None:
        for widget in (self.save_button, self.print_button):
            widget.setEnabled(enabled)

    def _say(self, text: str, style: str) -> None:
        show_message(self.message, text, style)
