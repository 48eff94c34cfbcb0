"""The full sealed acuse on an ordinary printer, where the kiosk has one (``kiosk_system_printer``):
sent straight to the named printer, with no dialog (a kiosk shows none), through the PDF print
job both apps share. The citizen's thermal receipt does not wait for it and does not depend on
it; a failure is logged and shown on the admin screen, never to the citizen."""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, Signal
from PySide6.QtPrintSupport import QPrinter, QPrinterInfo

from mailroom.ui.pdf_print import PdfPrintJob
from mailroom.ui.tasks import TaskRunner

log = logging.getLogger(__name__)


class SystemPrinter(QObject):
    printed = Signal(str)
    failed = Signal(str)

    def __init__(
        self,
        runner: TaskRunner,
        printer_name: str,
        parent: QObject | None = None,
        *,
        output_file: str = "",
    ) -> None:
        """``output_file``: print to a PDF file instead (tests)."""
        super().__init__(parent)
        self.runner = runner
        self.printer_name = printer_name
        self.output_file = output_file
        self.last_problem = ""
        self._jobs: set[PdfPrintJob] = set()

    def print_pdf(self, pdf: bytes) -> bool:
        """Start printing; False (and ``failed``) when the printer does not exist."""
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        if self.output_file:
            printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
            printer.setOutputFileName(self.output_file)
        else:
            names = QPrinterInfo.availablePrinterNames()
            if self.printer_name not in names:
                self._failed(
                    f"No se encontró la impresora «{self.printer_name}» "
                    f"(impresoras del sistema: {', '.join(names) or 'ninguna'})."
                )
                return False
            printer.setPrinterName(self.printer_name)
        job = PdfPrintJob(self.runner, printer, pdf, self)
        self._jobs.add(job)
        job.finished.connect(lambda target: self._done(job, target))
        job.failed.connect(lambda message: self._done(job, "", message))
        job.start()
        return True

    def _done(self, job: PdfPrintJob, target: str, problem: str = "") -> None:
        self._jobs.discard(job)
        job.deleteLater()
        if problem:
            self._failed(problem)
        else:
            self.last_problem = ""
            self.printed.emit(target)

    def _failed(self, message: str) -> None:
        log.warning("full acuse not printed: %s", message)
        self.last_problem = message
        self.failed.emit(message)
