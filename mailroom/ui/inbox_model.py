"""The inbox as a Qt table model that loads bounded pages lazily, off the GUI thread.

The view asks ``canFetchMore``/``fetchMore`` when the clerk scrolls near the end; each page comes
from ``mailroom.inbox_query`` through the task helper, so neither a page nor a search ever runs on
the GUI thread. Rows already loaded stay; with 100,000 filings the model holds only what the
clerk scrolled past.

Rows are kept as plain tuples of strings, made in the worker: the garbage collector stops
tracking such tuples, whereas 100,000 dataclass rows made every full collection walk them all on
whichever thread triggered it (measured 33–118 ms pauses of the GUI thread while scrolling).

A new query (search text or filters) bumps a generation number: pages of an older query that
arrive late are dropped, so results of a search typed over never mix with the current ones.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import IntEnum
from typing import Any

import sqlite_utils
from PySide6.QtCore import (
    QAbstractTableModel,
    QCoreApplication,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)

from mailroom.errors import OficialiaError
from mailroom.inbox_query import (
    PAGE_SIZE,
    InboxFilters,
    InboxPage,
    InboxRow,
    browse,
    count,
    search_page,
)
from mailroom.models import STATUS_LABELS, SyncStatus
from mailroom.ui.tasks import TaskContext, TaskHandle, TaskRunner

Index = QModelIndex | QPersistentModelIndex
FILING_ID_ROLE = Qt.ItemDataRole.UserRole + 1


class Column(IntEnum):
    FOLIO = 0
    RECEIVED = 1
    SENDER = 2
    SUBJECT = 3
    DEPARTMENT = 4
    STATUS = 5
    SYNC = 6
    MATCH = 7  # the search snippet; empty when browsing


def _translate(text: str) -> str:
    return QCoreApplication.translate("InboxModel", text)


_HEADERS = {
    Column.FOLIO: "Folio",
    Column.RECEIVED: "Recibido",
    Column.SENDER: "Remitente",
    Column.SUBJECT: "Asunto",
    Column.DEPARTMENT: "Área",
    Column.STATUS: "Estado",
    Column.SYNC: "Sincronización",
    Column.MATCH: "Coincidencia",
}

SYNC_LABELS = {
    SyncStatus.PENDIENTE: "pendiente",
    SyncStatus.ENVIANDO: "enviando",
    SyncStatus.SINCRONIZADA: "sincronizada",
    SyncStatus.REQUIERE_ATENCION: "requiere atención",
}


class InboxModel(QAbstractTableModel):
    """Filings of the current query, newest (or best-matching) first, loaded page by page."""

    page_loaded = Signal(int)  # rows added
    total_counted = Signal(int)  # filings the filters let through (browsing only)
    query_failed = Signal(str)  # the clerk's message

    def __init__(
        self,
        runner: TaskRunner,
        reader: Callable[[], sqlite_utils.Database],
        *,
        page_size: int = PAGE_SIZE,
        parent: Any = None,
    ) -> None:
        super().__init__(parent)
        self.runner = runner
        self.reader = reader
        self.page_size = page_size
        self.text = ""
        self.filters = InboxFilters()
        self._rows: list[tuple[str, ...]] = []
        self._next_key: int | None = None
        self._exhausted = True
        self._loading: TaskHandle[tuple[list[tuple[str, ...]], int | None]] | None = None
        self._generation = 0

    # -- the query -------------------------------------------------------------------------

    def set_query(self, text: str, filters: InboxFilters) -> None:
        """Start over with new search text and filters; the first page loads in the background."""
        if self._loading is not None:
            self._loading.cancel()
            self._loading = None
        self.beginResetModel()
        self.text, self.filters = text.strip(), filters
        self._rows, self._next_key, self._exhausted = [], None, False
        self._generation += 1
        self.endResetModel()
        self._fetch()
        if not self.text:
            generation = self._generation
            self.runner.run(
                lambda context: count(self.reader(), filters),
                name="contar bandeja",
                on_success=lambda total: self._counted(generation, total),
                owner=self,
            )

    @property
    def loading(self) -> bool:
        return self._loading is not None

    def filing_id(self, number: int) -> str:
        return self._rows[number][_FILING_ID]

    # -- lazy loading ----------------------------------------------------------------------

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008, N802
        return not parent.isValid() and not self._exhausted and self._loading is None

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: B008, N802
        if self.canFetchMore(parent):
            self._fetch()

    def _fetch(self) -> None:
        generation, key, text, filters = self._generation, self._next_key, self.text, self.filters
        size = self.page_size

        def op(context: TaskContext) -> tuple[list[tuple[str, ...]], int | None]:
            page: InboxPage
            if text:
                page = search_page(self.reader(), text, filters, key=key, limit=size)
            else:
                page = browse(self.reader(), filters, key=key, limit=size)
            return [_display_row(row) for row in page.rows], page.next_key

        handle = self.runner.run(
            op,
            name="buscar" if text else "hojear bandeja",
            on_success=lambda page: self._append(generation, page),
            on_failure=lambda error: self._failed(generation, error),
            owner=self,
        )
        if not handle.done:  # a synchronous runner has delivered already
            self._loading = handle

    def _append(self, generation: int, page: tuple[list[tuple[str, ...]], int | None]) -> None:
        if generation != self._generation:
            return
        rows, self._next_key = page
        self._loading = None
        self._exhausted = self._next_key is None
        if rows:
            first = len(self._rows)
            self.beginInsertRows(QModelIndex(), first, first + len(rows) - 1)
            self._rows.extend(rows)
            self.endInsertRows()
        self.page_loaded.emit(len(rows))

    def _failed(self, generation: int, error: OficialiaError) -> None:
        if generation != self._generation:
            return
        self._loading = None
        self._exhausted = True
        self.query_failed.emit(str(error))

    def _counted(self, generation: int, total: int) -> None:
        if generation == self._generation:
            self.total_counted.emit(total)

    # -- the table -------------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(Column)

    def headerData(  # noqa: N802
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return _translate(_HEADERS[Column(section)])
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        row = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return row[index.column()]
        if role == Qt.ItemDataRole.ToolTipRole:
            return row[Column.MATCH] or row[Column.SUBJECT]
        if role == FILING_ID_ROLE:
            return row[_FILING_ID]
        return None


_FILING_ID = len(Column)


def _display_row(row: InboxRow) -> tuple[str, ...]:
    """The row as the table shows it, one string per ``Column``, then the filing id."""
    sync = _translate(SYNC_LABELS[row.sync_status])
    return (
        row.folio,
        row.received_at[:16].replace("T", " "),
        row.sender,
        row.subject,
        ", ".join(row.departments),
        _translate(STATUS_LABELS[row.status]),
        f"{sync} · {row.institutional_folio}" if row.institutional_folio else sync,
        row.snippet,
        row.filing_id,
    )
