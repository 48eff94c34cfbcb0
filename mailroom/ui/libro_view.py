"""The *libro de registro* screen: a day or a range, a preview of its rows, and the PDF, the CSV
and the printout.

Everything slow runs on the task helper: the preview query, writing the files and printing.
Printing prints *the PDF itself*, rendered page by page with PDFium and painted onto the
``QPrinter`` in the worker — Qt supports a ``QPainter`` on a ``QPrinter`` outside the GUI thread
("Thread-Support in Qt Modules"), so no page is ever drawn on the GUI thread — rather than drawing
the table a second time with ``QPainter``: the paper then says exactly what the exported PDF says
(header, «Página X de Y», wrapped cells, totals, signature lines), and there is one layout to keep
right instead of two. File and print dialogs open with ``open()`` and answer through signals.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pypdfium2 as pdfium
from PySide6.QtCore import (
    QAbstractTableModel,
    QDate,
    QModelIndex,
    QPersistentModelIndex,
    QRect,
    Qt,
    QTimer,
    Signal,
    Slot,
)
from PySide6.QtGui import QImage, QKeySequence, QPageLayout, QPageSize, QPainter, QShortcut
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDateEdit,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from mailroom import libro, libro_pdf
from mailroom.clock import Clock, SystemClock
from mailroom.config import Settings
from mailroom.errors import InvalidInput, OficialiaError, StorageError
from mailroom.libro import COLUMNS, LibroPreview, LibroTotals, Period
from mailroom.pdfium import pdfium_lock
from mailroom.permissions import Action, reader_for
from mailroom.store import Store
from mailroom.ui.tasks import TaskContext, TaskRunner

if TYPE_CHECKING:
    import sqlite_utils

RELOAD_DELAY_MS = 250
PRINT_DPI = 300  # plenty for 6.5 pt text; QPrinter's 1200 dpi would be 135 Mpx per page
MAX_COLUMN_PX = 320
BAND_ROWS = 128

_Index = QModelIndex | QPersistentModelIndex


class LibroModel(QAbstractTableModel):
    """The preview's rows: plain tuples of display text, in folio order."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows: tuple[tuple[str, ...], ...] = ()

    def set_rows(self, rows: tuple[tuple[str, ...], ...]) -> None:
        self.beginResetModel()
        self.rows = rows
        self.endResetModel()

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008, N802 - Qt's API
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(COLUMNS)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return self.rows[index.row()][index.column()]
        return None

    def headerData(  # noqa: N802
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> object:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return COLUMNS[section][1]
        return None


class LibroView(QWidget):
    loaded = Signal(object)  # LibroPreview, once the table shows it
    exported = Signal(str)  # the path of a PDF or CSV just written
    printed = Signal(int)  # pages sent to the printer
    failed = Signal(str)  # the clerk's message for a load, export or print that failed

    def __init__(
        self,
        runner: TaskRunner,
        store: Store,
        settings: Settings,
        parent: QWidget | None = None,
        *,
        clock: Clock | None = None,
    ) -> None:
        super().__init__(parent)
        self.runner = runner
        self.store = store
        self.settings = settings
        self.clock = clock or SystemClock(settings.zone)
        self.preview: LibroPreview | None = None
        self.model = LibroModel(self)
        self.printer = new_printer()  # kept: the dialog remembers the clerk's choices
        self.print_dialog: QPrintDialog | None = None
        self.file_dialog: QFileDialog | None = None
        self._printing = False  # the printer is the worker's until it finishes
        self._build_controls()
        self._build_layout()
        self.reload()

    def _build_controls(self) -> None:
        today = self.clock.now().date()
        self.since = self._date_edit(today, self.tr("Primer día del libro"))
        self.until = self._date_edit(today, self.tr("Último día del libro"))
        tip = self.tr("Volver a leer el libro del periodo (F5)")
        self.refresh_button = self._button(self.tr("Actualizar"), self.reload, tip)
        self.refresh_button.setShortcut(QKeySequence(QKeySequence.StandardKey.Refresh))
        tip = self.tr("Guardar el libro del periodo como PDF imprimible")
        self.pdf_button = self._button(self.tr("Exportar PDF…"), self.choose_pdf_file, tip)
        tip = self.tr("Guardar el libro del periodo como CSV para Excel")
        self.csv_button = self._button(self.tr("Exportar CSV…"), self.choose_csv_file, tip)
        tip = self.tr("Imprimir el libro del periodo (Ctrl+P)")
        self.print_button = self._button(self.tr("Imprimir…"), self.choose_printer, tip)
        shortcut = QShortcut(QKeySequence(QKeySequence.StandardKey.Print), self)
        shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        shortcut.activated.connect(self.choose_printer)
        self.status_line = QLabel(self)
        self.status_line.setObjectName("resumenLibro")
        self.by_status = QLabel(self)
        self.message = QLabel(self)
        self.message.setWordWrap(True)
        self.table = QTableView(self)
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setResizeContentsPrecision(200)
        self.table.horizontalHeader().setStretchLastSection(True)
        self._typing = QTimer(self)
        self._typing.setSingleShot(True)
        self._typing.setInterval(RELOAD_DELAY_MS)
        self._typing.timeout.connect(self.reload)
        self.since.dateChanged.connect(self._typing.start)
        self.until.dateChanged.connect(self._typing.start)

    def _build_layout(self) -> None:
        bar = QHBoxLayout()
        for text, edit in ((self.tr("&Desde"), self.since), (self.tr("&Hasta"), self.until)):
            caption = QLabel(text, self)
            caption.setBuddy(edit)
            bar.addWidget(caption)
            bar.addWidget(edit)
        bar.addWidget(self.refresh_button)
        bar.addStretch(1)
        for button in (self.pdf_button, self.csv_button, self.print_button):
            bar.addWidget(button)
        summary = QHBoxLayout()
        summary.addWidget(self.status_line)
        summary.addWidget(self.by_status, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addLayout(summary)
        layout.addWidget(self.message)
        layout.addWidget(self.table, 1)

    def _date_edit(self, day: date, tip: str) -> QDateEdit:
        edit = QDateEdit(QDate(day.year, day.month, day.day), self)
        edit.setCalendarPopup(True)
        edit.setDisplayFormat("dd/MM/yyyy")
        edit.setToolTip(tip)
        edit.setAccessibleName(tip)
        return edit

    def _button(self, text: str, slot: Callable[[], None], tip: str) -> QPushButton:
        button = QPushButton(text, self)
        button.setAccessibleName(text.rstrip("…"))
        button.setToolTip(tip)
        button.clicked.connect(slot)
        return button

    # -- the period and its preview ----------------------------------------------------------

    def period(self) -> Period:
        """The chosen days; raises ``InvalidInput`` (Spanish) for a backwards range."""
        return Period(_day(self.since), _day(self.until))

    def set_period(self, first: date, last: date) -> None:
        self.since.setDate(QDate(first.year, first.month, first.day))
        self.until.setDate(QDate(last.year, last.month, last.day))
        self.reload()

    @Slot()
    def reload(self) -> None:
        """Load the preview of the chosen period off the GUI thread."""
        self._typing.stop()
        period = self._valid_period()
        if period is None:
            return
        self.message.setText(self.tr("Cargando el libro…"))
        op = self._job(period).preview
        self.runner.run(
            op, name="libro", on_success=self._show, on_failure=self._failed, owner=self
        )

    def _job(self, period: Period) -> _Job:
        return _Job(self.store, self.settings, period, self.clock.now())

    def _valid_period(self) -> Period | None:
        try:
            return self.period()
        except InvalidInput as error:  # a backwards range: say so, offer nothing to export
            self.preview = None
            self.model.set_rows(())
            self.status_line.setText("")
            self.by_status.setText("")
            self.message.setText(error.message)
            self._enable_outputs(False)
            return None

    def _show(self, preview: LibroPreview) -> None:
        if preview.period != self._valid_period():
            return  # the dates changed while it loaded; that load is on its way
        self.preview = preview
        self.model.set_rows(preview.rows)
        self.table.resizeColumnsToContents()
        header = self.table.horizontalHeader()
        for column in range(self.model.columnCount()):
            header.resizeSection(column, min(header.sectionSize(column), MAX_COLUMN_PX))
        self.status_line.setText(self.summary_text(preview.totals))
        by_status = preview.totals.status_summary
        self.by_status.setText(self.tr("Por estado: {0}").format(by_status) if by_status else "")
        if preview.totals.filings == 0:
            self.message.setText(self.tr("Sin escritos registrados en este periodo."))
        elif preview.truncated:
            text = self.tr(
                "Se muestran los primeros {0}; el PDF, el CSV y la impresión los incluyen todos."
            )
            self.message.setText(text.format(len(preview.rows)))
        else:
            self.message.setText("")
        self._enable_outputs(True)
        self.loaded.emit(preview)

    def summary_text(self, totals: LibroTotals) -> str:
        """``23 escritos, 187 páginas``."""
        filings, pages = totals.filings, totals.pages_scanned
        filings_text = self.tr("1 escrito") if filings == 1 else self.tr("{0} escritos")
        pages_text = self.tr("1 página") if pages == 1 else self.tr("{0} páginas")
        return f"{filings_text.format(filings)}, {pages_text.format(pages)}"

    def _enable_outputs(self, enabled: bool) -> None:
        self.pdf_button.setEnabled(enabled)
        self.csv_button.setEnabled(enabled)
        self.print_button.setEnabled(enabled and not self._printing)

    def _failed(self, error: OficialiaError) -> None:
        self.message.setText(error.message)
        self._enable_outputs(self.preview is not None)
        self.failed.emit(error.message)

    # -- exporting ---------------------------------------------------------------------------

    @Slot()
    def choose_pdf_file(self) -> None:
        """Ask where to save the PDF (non-blocking); the dialog's choice goes to ``save_pdf``."""
        self._open_file_dialog(self.tr("Guardar el libro en PDF"), self.tr("PDF (*.pdf)"), "pdf")

    @Slot()
    def choose_csv_file(self) -> None:
        """Ask where to save the CSV (non-blocking); the dialog's choice goes to ``save_csv``."""
        name_filter = self.tr("CSV para Excel (*.csv)")
        self._open_file_dialog(self.tr("Guardar el libro en CSV"), name_filter, "csv")

    def _open_file_dialog(self, title: str, name_filter: str, suffix: str) -> None:
        period = self._valid_period()
        if period is None:
            return
        dialog = QFileDialog(self, title)
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setNameFilter(name_filter)
        dialog.setDefaultSuffix(suffix)
        dialog.selectFile(f"{period.file_stem}.{suffix}")
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.fileSelected.connect(self.save_pdf if suffix == "pdf" else self.save_csv)
        self.file_dialog = dialog
        dialog.open()

    @Slot(str)
    def save_pdf(self, path: str) -> None:
        """Write the period's PDF to ``path`` (what the file dialog calls)."""
        self._export(path, "pdf")

    @Slot(str)
    def save_csv(self, path: str) -> None:
        """Write the period's CSV for Excel to ``path`` (what the file dialog calls)."""
        self._export(path, "csv")

    def _export(self, path: str, kind: str) -> None:
        period = self._valid_period()
        if period is None or not path:
            return
        self._enable_outputs(False)
        self.message.setText(self.tr("Guardando {0}…").format(Path(path).name))
        op = functools.partial(self._job(period).export, Path(path), kind)
        self.runner.run(
            op, name=f"libro_{kind}", on_success=self._saved, on_failure=self._failed, owner=self
        )

    def _saved(self, result: tuple[str, LibroTotals]) -> None:
        path, totals = result
        text = self.tr("Se guardó {0} ({1}).").format(path, self.summary_text(totals))
        self.message.setText(text)
        self._enable_outputs(True)
        self.exported.emit(path)

    # -- printing ----------------------------------------------------------------------------

    @Slot()
    def choose_printer(self) -> None:
        """Open the system print dialog (non-blocking); accepting it prints with ``print_to``."""
        if self._printing or not self.print_button.isEnabled():
            return
        if self.print_dialog is None:
            self.print_dialog = QPrintDialog(self.printer, self)
            self.print_dialog.accepted.connect(self._printer_chosen)
            self.print_dialog.setWindowTitle(self.tr("Imprimir el libro de registro"))
        QDialog.open(self.print_dialog)  # QPrintDialog.open() binds only (receiver, slot)

    @Slot()
    def _printer_chosen(self) -> None:
        self.print_to(self.printer)

    def print_to(self, printer: QPrinter) -> None:
        """Print the period's libro on ``printer`` off the GUI thread (a PDF file in tests). The
        printer belongs to the worker until ``printed`` or ``failed``."""
        period = self._valid_period()
        if period is None or self._printing:
            return
        self._printing = True
        self._enable_outputs(False)
        self.message.setText(self.tr("Preparando la impresión…"))
        op = functools.partial(self._job(period).print, printer)
        self.runner.run(
            op,
            name="imprimir_libro",
            on_success=self._printed,
            on_failure=self._print_failed,
            on_progress=self._print_progress,
            owner=self,
        )

    def _print_progress(self, done: int, total: int | None) -> None:
        self.message.setText(self.tr("Imprimiendo página {0} de {1}…").format(done, total))

    def _printed(self, result: tuple[int, LibroTotals]) -> None:
        pages, totals = result
        self._printing = False
        text = self.tr("Se enviaron {0} página(s) a la impresora ({1}).")
        self.message.setText(text.format(pages, self.summary_text(totals)))
        self._enable_outputs(True)
        self.printed.emit(pages)

    def _print_failed(self, error: OficialiaError) -> None:
        self._printing = False
        self._failed(error)


# -- the ops (worker threads: no widget here) -------------------------------------------------


@dataclass(frozen=True)
class _Job:
    """What an op needs, taken on the GUI thread; its methods run in a worker (no widget)."""

    store: Store
    settings: Settings
    period: Period
    printed_at: datetime

    def _reader(self) -> sqlite_utils.Database:
        return reader_for(self.store, self.settings, Action.LIBRO)

    def preview(self, context: TaskContext) -> LibroPreview:
        return libro.preview(self._reader(), self.period)

    def export(self, path: Path, kind: str, context: TaskContext) -> tuple[str, LibroTotals]:
        db, period = self._reader(), self.period
        if kind == "csv":
            return str(path), libro.export_csv(db, period, path)
        written = libro_pdf.export_pdf(
            db, period, path, self.settings, self.printed_at, progress=context.progress
        )
        return str(path), written.totals

    def print(self, printer: QPrinter, context: TaskContext) -> tuple[int, LibroTotals]:
        document = libro_pdf.render(self._reader(), self.period, self.settings, self.printed_at)
        context.check_cancelled()
        return paint_pdf(document.data, printer, context), document.totals


def new_printer() -> QPrinter:
    """A printer set up for the libro: letter, landscape, the document named."""
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setPageSize(QPageSize(QPageSize.PageSizeId.Letter))
    printer.setPageOrientation(QPageLayout.Orientation.Landscape)
    printer.setDocName("Libro de registro")
    return printer


def paint_pdf(data: bytes, printer: QPrinter, context: TaskContext) -> int:
    """Paint the pages of the PDF ``data`` on ``printer`` (a page range chosen in the print
    dialog is honoured), each scaled to the printable area; returns the pages painted."""
    with pdfium_lock:
        document = pdfium.PdfDocument(data)
        count = len(document)
    first, last = max(1, printer.fromPage()), min(count, printer.toPage() or count)
    painter = QPainter()
    try:
        if not painter.begin(printer):
            raise StorageError(
                "No se pudo iniciar la impresión. Revise que la impresora esté encendida y "
                "conectada, y vuelva a intentar.",
                printer=printer.printerName(),
            )
        for number in range(first, last + 1):
            context.check_cancelled()
            if number > first:
                printer.newPage()
            _draw_in_bands(painter, _page_image(document, number - 1), context)
            context.progress(number - first + 1, last - first + 1)
    finally:
        if painter.isActive():
            painter.end()
        with pdfium_lock:
            document.close()
    return last - first + 1


def _page_image(document: pdfium.PdfDocument, index: int) -> QImage:
    with pdfium_lock:
        page = document[index]
        bitmap = page.render(scale=PRINT_DPI / 72, grayscale=True)
        image = QImage(
            bitmap.buffer,
            bitmap.width,
            bitmap.height,
            bitmap.stride,
            QImage.Format.Format_Grayscale8,
        ).copy()  # own the pixels: the bitmap's buffer goes away with it
        page.close()
    return image


def _draw_in_bands(painter: QPainter, image: QImage, context: TaskContext) -> None:
    """Draw the page scaled to the printable area, ``BAND_ROWS`` rows per call: PySide holds the
    GIL inside ``drawImage``, and a whole 300 dpi page took ~390 ms of it (the window froze that
    long), a band ~15 ms."""
    area = painter.viewport()
    scale = min(area.width() / image.width(), area.height() / image.height())
    left = area.x() + (area.width() - round(image.width() * scale)) // 2
    top = area.y() + (area.height() - round(image.height() * scale)) // 2
    for row in range(0, image.height(), BAND_ROWS):
        context.check_cancelled()
        rows = min(BAND_ROWS, image.height() - row)
        y0, y1 = top + round(row * scale), top + round((row + rows) * scale)
        target = QRect(left, y0, round(image.width() * scale), y1 - y0)
        painter.drawImage(target, image, QRect(0, row, image.width(), rows))


def _day(edit: QDateEdit) -> date:
    picked = edit.date()
    return date(picked.year(), picked.month(), picked.day())
