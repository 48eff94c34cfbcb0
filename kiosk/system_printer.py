"""The full sealed acuse on an ordinary printer, where the kiosk has one (``kiosk_system_printer``):
sent straight to the named printer, with no dialog (a kiosk shows none), through the PDF print
job both apps share. The citizen's thermal receipt does not wait for it and does not depend on
it; a failure is logged and shown on the admin screen, never to the citizen."""

from __future__ import annotations

import logging
from collections import deque

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
        self._job: PdfPrintJob | None = None
        self._waiting: deque[bytes] = deque()  # one job at a time: a printer takes them in turn

    def print_pdf(self, pdf: bytes) -> bool:
        """Queue ``pdf``; False (and ``failed``) when the printer does not exist."""
        if not self.output_file and self.printer_name not in QPrinterInfo.availablePrinterNames():
            names = ", ".join(QPrinterInfo.availablePrinterNames()) or "ninguna"
            self._say(
                f"No se encontró la impresora «{self.printer_name}» (impresoras del sistema: "
                f"{names})."
            )
            return False
        self._waiting.append(pdf)
        self._next()
        return True

    def _next(self) -> None:
        if self._job is not None or not self._waiting:
            return
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        if self.output_file:
            printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
            printer.setOutputFileName(self.output_file)
        else:
            printer.setPrinterName(self.printer_name)
        self._job = PdfPrintJob(self.runner, printer, self._waiting.popleft(), self)
        self._job.finished.connect(self._printed)
        self._job.failed.connect(self._failed)
        self._job.start()

    def _printed(self, target: str) -> None:
        self._job = None
        self.last_problem = ""
        self.printed.emit(target)
        self._next()

    def _failed(self, message: str) -> None:
        self._job = None
        self._say(message)
        self._next()

    def _say(self, message: str) -> None:
        log.warning("full acuse not printed: %s", message)
        self.last_problem = message
        self.failed.emit(message)
