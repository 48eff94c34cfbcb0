"""The inbox screen: a search box, filters and the lazily loaded table of filings.

Typing waits ``SEARCH_DELAY_MS`` after the last key before searching, so a query is not started per
keystroke; filters apply at once. A date range that runs backwards is refused with the service's
Spanish message and the table keeps the last good query.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import sqlite_utils
from PySide6.QtCore import QDate, QModelIndex, QTimer, Signal, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from mailroom.errors import InvalidInput
from mailroom.inbox_query import PAGE_SIZE, InboxFilters, departments
from mailroom.models import FilingStatus, SyncStatus
from mailroom.ui.inbox_model import STATUS_LABELS, SYNC_LABELS, Column, InboxModel
from mailroom.ui.tasks import TaskRunner

SEARCH_DELAY_MS = 250


class InboxWidget(QWidget):
    filing_opened = Signal(str)  # the filing's id: double click or Enter on its row

    def __init__(
        self,
        runner: TaskRunner,
        reader: Callable[[], sqlite_utils.Database],
        *,
        page_size: int = PAGE_SIZE,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.runner = runner
        self.reader = reader
        self.model = InboxModel(runner, reader, page_size=page_size, parent=self)
        self._build()
        self.model.total_counted.connect(self._show_total)
        self.model.query_failed.connect(self.message.setText)
        self.model.page_loaded.connect(self._page_loaded)
        runner.run(
            lambda context: departments(self.reader()),
            name="áreas",
            on_success=self._fill_departments,
            owner=self,
        )
        self.apply()

    def _build(self) -> None:
        self.search = QLineEdit(self)
        self.search.setPlaceholderText(self.tr("Buscar por folio, remitente, asunto o texto…"))
        self.search.setClearButtonEnabled(True)
        self.status = self._combo(self.tr("Todos los estados"), STATUS_LABELS)
        self.sync = self._combo(self.tr("Toda sincronización"), SYNC_LABELS)
        self.department = QComboBox(self)
        self.department.addItem(self.tr("Todas las áreas"), None)
        self.since_enabled = QCheckBox(self.tr("Desde"), self)
        self.until_enabled = QCheckBox(self.tr("Hasta"), self)
        self.since = self._date_edit()
        self.until = self._date_edit()
        self.message = QLabel(self)
        self.table = QTableView(self)
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        # Uniform rows: the view never measures 100,000 rows to place the scroll bar.
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.horizontalHeader().setStretchLastSection(True)
        self._size_columns()

        filters = QHBoxLayout()
        for widget in (self.status, self.sync, self.department, self.since_enabled, self.since):
            filters.addWidget(widget)
        filters.addWidget(self.until_enabled)
        filters.addWidget(self.until)
        filters.addStretch(1)  # the date boxes beside their check boxes, not pushed apart
        layout = QVBoxLayout(self)
        layout.addWidget(self.search)
        layout.addLayout(filters)
        layout.addWidget(self.message)
        layout.addWidget(self.table)

        self._typing = QTimer(self)
        self._typing.setSingleShot(True)
        self._typing.setInterval(SEARCH_DELAY_MS)
        self._typing.timeout.connect(self.apply)
        self.search.textChanged.connect(self._typing.start)
        self.search.returnPressed.connect(self.apply)
        self.table.activated.connect(self._open_row)
        for combo in (self.status, self.sync, self.department):
            combo.currentIndexChanged.connect(self.apply)
        for box in (self.since_enabled, self.until_enabled):
            box.toggled.connect(self.apply)
        for edit in (self.since, self.until):
            edit.dateChanged.connect(self.apply)

    def _size_columns(self) -> None:
        """Widths from the font, not from the rows (measuring 100,000 rows would stall): the
        folio and the time on one line, the rest in two lines, the snippet on screen at 1366 px."""
        metrics, pad = self.table.fontMetrics(), 24
        samples = {
            Column.FOLIO: "DEMO-2026-C01-000000",
            Column.RECEIVED: "2026-12-31 23:59",
            Column.SENDER: "María Cárdenas",
            Column.SUBJECT: "Solicitud de licencia",
            Column.DEPARTMENT: "Secretaría del",
            Column.STATUS: "registrada",
            Column.SYNC: "sincronizada ·",
        }
        for column, sample in samples.items():
            self.table.setColumnWidth(column, metrics.horizontalAdvance(sample) + pad)

    @Slot(QModelIndex)
    def _open_row(self, index: QModelIndex) -> None:
        filing_id = self.model.filing_id(index.row())
        if filing_id:
            self.filing_opened.emit(filing_id)

    def _combo(self, everything: str, labels: dict[Any, str]) -> QComboBox:
        combo = QComboBox(self)
        combo.addItem(everything, None)
        for value, label in labels.items():
            combo.addItem(self.tr(label), value.value)
        return combo

    def _date_edit(self) -> QDateEdit:
        edit = QDateEdit(QDate.currentDate(), self)
        edit.setCalendarPopup(True)
        edit.setDisplayFormat("yyyy-MM-dd")
        return edit

    def filters(self) -> InboxFilters:
        """The filters as chosen; raises ``InvalidInput`` for a backwards date range."""
        status, sync = self.status.currentData(), self.sync.currentData()
        return InboxFilters(
            status=None if status is None else FilingStatus(status),
            sync_status=None if sync is None else SyncStatus(sync),
            department=self.department.currentData(),
            since=_day(self.since) if self.since_enabled.isChecked() else None,
            until=_day(self.until) if self.until_enabled.isChecked() else None,
        )

    def apply(self) -> None:
        """Run the query the search box and filters describe (off the GUI thread)."""
        self._typing.stop()
        try:
            filters = self.filters()
        except InvalidInput as error:
            self.message.setText(str(error))
            return
        self.message.setText(self.tr("Buscando…") if self.search.text().strip() else "")
        self.model.set_query(self.search.text(), filters)
        self.table.setColumnHidden(Column.MATCH, not self.model.text)

    def _fill_departments(self, names: list[str]) -> None:
        current = self.department.currentData()
        self.department.blockSignals(True)
        for name in names:
            self.department.addItem(name, name)
        self.department.setCurrentIndex(max(self.department.findData(current), 0))
        self.department.blockSignals(False)

    def _show_total(self, total: int) -> None:
        self.message.setText(self.tr("%n escrito(s)", "", total))

    def _page_loaded(self, added: int) -> None:
        if self.model.text and not self.model.loading:
            rows = self.model.rowCount()
            if rows == 0:
                self.message.setText(self.tr("Sin coincidencias."))
            else:
                self.message.setText(self.tr("%n coincidencia(s) mostradas", "", rows))


def _day(edit: QDateEdit) -> date:
    picked = edit.date()
    return date(picked.year(), picked.month(), picked.day())
