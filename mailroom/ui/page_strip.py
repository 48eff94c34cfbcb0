"""The capture's pages as thumbnails: a list model over the ``CaptureSession`` and its icon view.

The model is the only way the screen changes pages, so every change is announced to the view
the finest way Qt allows (a moved row moves, keeping the selection on the page; a turned page
repaints) and the session's undo history stays in step. Pages still arriving from a source are
shown at their insertion point but are not part of the session until the whole source has
arrived: a cancelled scan takes them away again.

Thumbnails arrive as ``QImage``s made in the reading thread (a 300 dpi page reduced to 160 px
costs some 10-30 ms, not to be paid on the GUI thread); a page the clerk turns shows its
thumbnail turned, a transform of a 20 KB image.

Dragging a page onto another position reorders it; files dragged in from outside are announced
with ``files_dropped`` and the position they were dropped at.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QByteArray,
    QCoreApplication,
    QMimeData,
    QModelIndex,
    QPersistentModelIndex,
    QPoint,
    QSize,
    Qt,
    Signal,
    Slot,
)
from PySide6.QtGui import (
    QAction,
    QBrush,
    QColor,
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QImage,
    QKeySequence,
    QTransform,
)
from PySide6.QtWidgets import QAbstractItemView, QListView, QToolButton, QWidget

from mailroom.capture.session import THUMBNAIL_SIZE, CaptureSession, SessionPage
from mailroom.errors import InvalidInput

Index = QModelIndex | QPersistentModelIndex
PAGE_KEY_ROLE = Qt.ItemDataRole.UserRole + 1
PAGE_MIME = "application/x-oficialia-pagina"
REVIEW_COLOR = QColor("#8a4b00")


def _translate(text: str) -> str:
    return QCoreApplication.translate("PageStripModel", text)


def thumbnail_image(page: SessionPage) -> QImage:
    """The page's thumbnail as a ``QImage`` (any thread: a ``QImage`` is not a ``QPixmap``)."""
    gray = page.thumbnail if page.thumbnail.mode == "L" else page.thumbnail.convert("L")
    data = gray.tobytes()
    image = QImage(data, gray.width, gray.height, gray.width, QImage.Format.Format_Grayscale8)
    return image.copy()  # detached from ``data``, which Python frees


class PageStripModel(QAbstractListModel):
    pages_changed = Signal(int)  # pages in the capture after a change (arriving ones excluded)
    files_dropped = Signal(list, int)  # local paths, the row they were dropped before

    def __init__(self, session: CaptureSession, parent: Any = None) -> None:
        super().__init__(parent)
        self.session = session
        self._images: dict[int, QImage] = {}  # by page key, without the clerk's turn
        self._pages: tuple[SessionPage, ...] = session.pages
        self._arriving: list[SessionPage] = []
        self._arrival_at = 0
        self.arriving = False

    # -- what the view reads ---------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._pages) + len(self._arriving)

    def page_at(self, row: int) -> SessionPage:
        at = self._arrival_at
        if row < at:
            return self._pages[row]
        if row < at + len(self._arriving):
            return self._arriving[row - at]
        return self._pages[row - len(self._arriving)]

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < self.rowCount():
            return None
        page = self.page_at(index.row())
        number = index.row() + 1
        if role == Qt.ItemDataRole.DisplayRole:
            return (
                _translate("%1 · revisar").replace("%1", str(number))
                if (page.needs_review)
                else str(number)
            )
        if role == Qt.ItemDataRole.DecorationRole:
            return self.image(page)
        if role in (Qt.ItemDataRole.ToolTipRole, Qt.ItemDataRole.AccessibleTextRole):
            return self._describe(page, number)
        if role == Qt.ItemDataRole.ForegroundRole and page.needs_review:
            return QBrush(REVIEW_COLOR)
        if role == PAGE_KEY_ROLE:
            return page.key
        return None

    def _describe(self, page: SessionPage, number: int) -> str:
        text = _translate("Página %1 (%2)").replace("%1", str(number)).replace("%2", page.origin)
        if page.turn:
            text += _translate(", girada %1°").replace("%1", str(page.turn))
        if page.needs_review:
            text += _translate(
                ". Revisar: tiene muy poco contenido (¿solo una firma o una palabra?)"
            )
        return text

    def image(self, page: SessionPage) -> QImage:
        base = self._images.get(page.key)
        if base is None:  # a page the model never saw arrive; small, so made here
            base = self._images[page.key] = thumbnail_image(page)
        if not page.turn:
            return base
        return base.transformed(QTransform().rotate(page.turn))

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        flags = Qt.ItemFlag.ItemIsEnabled
        if not self.arriving:
            flags |= Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsDragEnabled
        return flags

    # -- pages arriving from a source ------------------------------------------------------

    def begin_arrival(self, at: int | None) -> None:
        self._arriving = []
        self._arrival_at = len(self._pages) if at is None else max(0, min(at, len(self._pages)))
        self.arriving = True
        self.layoutChanged.emit()  # flags changed: arriving pages are not dragged about

    def page_arrived(self, page: SessionPage, image: QImage) -> None:
        self._images[page.key] = image
        row = self._arrival_at + len(self._arriving)
        self.beginInsertRows(QModelIndex(), row, row)
        self._arriving.append(page)
        self.endInsertRows()

    def end_arrival(self) -> None:
        """The source finished, failed or was cancelled: show what the session holds."""
        self.arriving = False
        self._arriving = []
        self._reset()

    # -- the clerk's operations ------------------------------------------------------------

    def rotate(self, row: int, degrees: int) -> None:
        self.session.rotate(row, degrees)
        self._pages = self.session.pages
        self.dataChanged.emit(self.index(row), self.index(row))
        self._announce()

    def move(self, source: int, destination: int) -> bool:
        """Move the page at ``source`` to ``destination`` (its position afterwards)."""
        if source == destination:
            return False
        self.session.move(source, destination)  # refuses bad positions before the view hears
        below = destination + 1 if destination > source else destination
        self.beginMoveRows(QModelIndex(), source, source, QModelIndex(), below)
        self._pages = self.session.pages
        self.endMoveRows()
        self._announce()
        return True

    def delete(self, row: int) -> None:
        self.session.delete(row)
        self.beginRemoveRows(QModelIndex(), row, row)
        self._pages = self.session.pages
        self.endRemoveRows()
        self._announce()

    def undo(self) -> None:
        self.session.undo()
        self._reset()

    def clear(self) -> None:
        self.session.clear()
        self._images.clear()
        self._reset()

    def refresh(self) -> None:
        """After the session changed outside the model (pages added)."""
        self._reset()

    def _reset(self) -> None:
        self.beginResetModel()
        self._pages = self.session.pages
        self.endResetModel()
        self._announce()

    def _announce(self) -> None:
        self.pages_changed.emit(len(self._pages))

    # -- drag and drop ---------------------------------------------------------------------

    def mimeTypes(self) -> list[str]:
        return [PAGE_MIME]

    def mimeData(self, indexes: Sequence[QModelIndex]) -> QMimeData:
        """The dragged page: this model's identity and the row (no other strip takes it)."""
        data = QMimeData()
        rows = [index.row() for index in indexes if index.isValid()]
        data.setData(PAGE_MIME, QByteArray(f"{id(self)}:{rows[0] if rows else -1}".encode()))
        return data

    def dragged_row(self, data: QMimeData) -> int | None:
        owner, _, row = bytes(data.data(PAGE_MIME).data()).decode().partition(":")
        if owner != str(id(self)) or self.arriving or not row.lstrip("-").isdigit():
            return None
        return int(row) if 0 <= int(row) < len(self._pages) else None


class PageStrip(QListView):
    """Thumbnails left to right, wrapping; drag a page to reorder, or drop files to add them.
    ``actions_by_name`` turn, move, delete the selected page and undo (``tool_buttons`` shows
    them); a refused operation is told by ``operation_failed``."""

    operation_failed = Signal(str)

    def __init__(self, model: PageStripModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._model = model
        self.locked = False
        self.setModel(model)
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setFlow(QListView.Flow.LeftToRight)
        self.setWrapping(True)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setMovement(QListView.Movement.Static)
        self.setIconSize(QSize(THUMBNAIL_SIZE, THUMBNAIL_SIZE))
        self.setGridSize(QSize(THUMBNAIL_SIZE + 24, THUMBNAIL_SIZE + 40))
        self.setSpacing(4)
        self.setUniformItemSizes(True)
        self.setWordWrap(True)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        # After setMovement: Static turns dragging and the viewport's drops off.
        self.setDragEnabled(True)
        self.setAcceptDrops(True)
        self.viewport().setAcceptDrops(True)
        self.setAccessibleName(self.tr("Páginas digitalizadas"))
        self.actions_by_name = self._make_actions()
        self.selectionModel().selectionChanged.connect(self.update_actions)
        model.pages_changed.connect(self.update_actions)

    def _make_actions(self) -> dict[str, QAction]:
        actions = {}
        for name, text, tip, keys, slot in (
            ("rotate_left", self.tr("Girar ⟲"), self.tr("Girar la página a la izquierda"),
             "Ctrl+Shift+Left", self.rotate_left),
            ("rotate_right", self.tr("Girar ⟳"), self.tr("Girar la página a la derecha"),
             "Ctrl+Shift+Right", self.rotate_right),
            ("earlier", self.tr("◀ Antes"), self.tr("Mover la página un lugar antes"),
             "Alt+Left", self.move_earlier),
            ("later", self.tr("Después ▶"), self.tr("Mover la página un lugar después"),
             "Alt+Right", self.move_later),
            ("delete", self.tr("Quitar"), self.tr("Quitar la página seleccionada"),
             "Delete", self.delete_selected),
            ("undo", self.tr("Deshacer"), self.tr("Deshacer el último cambio a las páginas"),
             "Ctrl+Z", self.undo),
        ):  # fmt: skip
            action = QAction(text, self)
            action.setShortcut(QKeySequence(keys))
            native = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
            action.setToolTip(f"{tip} ({native})")
            action.setStatusTip(tip)
            action.triggered.connect(slot)
            actions[name] = action
        return actions

    def tool_buttons(self, parent: QWidget) -> list[QToolButton]:
        """One button per action; the shortcuts work anywhere inside ``parent``."""
        buttons = []
        for action in self.actions_by_name.values():
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            parent.addAction(action)
            button = QToolButton(parent)
            button.setDefaultAction(action)
            button.setAccessibleName(action.statusTip())
            buttons.append(button)
        return buttons

    # -- the clerk's operations on the selected page ---------------------------------------

    @Slot()
    def rotate_left(self) -> None:
        self._on_selected(partial(self._model.rotate, degrees=-90))

    @Slot()
    def rotate_right(self) -> None:
        self._on_selected(partial(self._model.rotate, degrees=90))

    @Slot()
    def move_earlier(self) -> None:
        self._on_selected(partial(self._move_by, -1))

    @Slot()
    def move_later(self) -> None:
        self._on_selected(partial(self._move_by, 1))

    @Slot()
    def delete_selected(self) -> None:
        self._on_selected(self._delete)

    @Slot()
    def undo(self) -> None:
        if not self.locked and self._model.session.can_undo:
            self._model.undo()

    def _move_by(self, step: int, row: int) -> None:
        if self._model.move(row, row + step):
            self.select_row(row + step)

    def _delete(self, row: int) -> None:
        self._model.delete(row)
        self.select_row(min(row, self._model.rowCount() - 1))

    def _on_selected(self, operation: Callable[[int], None]) -> None:
        row = self.current_row()
        if row is None or self.locked:
            return
        try:
            operation(row)
        except InvalidInput as error:
            self.operation_failed.emit(str(error))

    def set_locked(self, locked: bool) -> None:
        """While pages arrive the page order is fixed: nothing is turned, moved or undone."""
        self.locked = locked
        self.update_actions()

    @Slot()
    def update_actions(self) -> None:
        row = None if self.locked else self.current_row()
        last = self._model.rowCount() - 1
        for name, enabled in (
            ("rotate_left", row is not None),
            ("rotate_right", row is not None),
            ("earlier", row is not None and row > 0),
            ("later", row is not None and row < last),
            ("delete", row is not None),
            ("undo", not self.locked and self._model.session.can_undo),
        ):
            self.actions_by_name[name].setEnabled(enabled)

    # QListView's own drops in icon mode move the icons about the canvas without telling the
    # model; these handlers turn a drop into a position in the page order instead.
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        self._consider(event)

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        self._consider(event)

    def _consider(self, event: QDragMoveEvent) -> None:
        data = event.mimeData()
        if data.hasUrls() or self._model.dragged_row(data) is not None:
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        data = event.mimeData()
        before = self.row_at(event.position().toPoint())
        dragged = self._model.dragged_row(data)
        if data.hasUrls():
            paths = [url.toLocalFile() for url in data.urls() if url.isLocalFile()]
            self._model.files_dropped.emit(paths, before)
        elif dragged is not None:
            destination = before - 1 if before > dragged else before
            if not self.locked and self._model.move(dragged, destination):
                self.select_row(destination)
        else:
            event.ignore()
            return
        # Copy, not move: a move would make the drag's source delete the "moved" rows.
        event.setDropAction(Qt.DropAction.CopyAction)
        event.accept()

    def row_at(self, point: QPoint) -> int:
        """The row a drop at ``point`` goes before (the page's right half: after it)."""
        index = self.indexAt(point)
        if not index.isValid():
            return self._model.rowCount()
        return index.row() + (1 if point.x() > self.visualRect(index).center().x() else 0)

    def current_row(self) -> int | None:
        index = self.currentIndex()
        selected = self.selectionModel().isSelected(index) if index.isValid() else False
        return index.row() if selected else None

    def select_row(self, row: int) -> None:
        model = self.model()
        if 0 <= row < model.rowCount():
            index = model.index(row, 0)
            self.setCurrentIndex(index)
            self.scrollTo(index)
