"""Printing a PDF on a ``QPrinter`` without blocking the GUI thread (the clerk's acuse and the
kiosk's full acuse on its system printer).

Each page is rasterised at the printer's resolution (capped at ``MAX_PRINT_DPI``) in the task
helper, and the GUI thread paints it onto the ``QPrinter`` a band of ``BAND_ROWS`` rows per
event-loop turn: one whole 300 dpi page drawn at once took ~250 ms of the GUI thread (Qt
compresses the image into the print stream as it draws), a band ~5-8 ms. Page N+1 is rendered
while page N is painted.
"""

from __future__ import annotations

import functools

from PySide6.QtCore import QObject, QRect, QTimer, Signal, Slot
from PySide6.QtGui import QImage, QPainter
from PySide6.QtPrintSupport import QPrinter

from mailroom.errors import OficialiaError
from mailroom.filing_detail import PageSpec, measure_pdf
from mailroom.ui.pdf_view import render_page
from mailroom.ui.tasks import TaskContext, TaskRunner

MAX_PRINT_DPI = 300  # QPrinter's "high resolution" is 1200 dpi: 119 Mpx per page, 4 s to render
BAND_ROWS = 64


class PdfPrintJob(QObject):
    """One PDF on one printer: render page N+1 while page N is painted, band by band."""

    finished = Signal(str)
    failed = Signal(str)

    def __init__(
        self, runner: TaskRunner, printer: QPrinter, pdf: bytes, parent: QObject | None = None
    ) -> None:
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
