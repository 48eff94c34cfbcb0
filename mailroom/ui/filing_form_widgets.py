"""The pieces of the registration form: a date that may stay empty, the "add to a list" editors
(addressees, annexes) and the inline warning for a document already registered.

``mailroom.ui.filing_form`` re-exports ``DuplicateWarning``; import it from there.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from functools import partial
from typing import Any

import sqlite_utils
from PySide6.QtCore import QDate, QEvent, QObject, QStringListModel, Qt, Signal, Slot
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QCompleter,
    QDateEdit,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from mailroom.errors import DuplicateDocument
from mailroom.intake_form import AddresseeInput, AnnexInput
from mailroom.intake_lookups import (
    CatalogItem,
    DuplicateHit,
    canonical,
    find_duplicates,
    short_datetime,
)
from mailroom.models import AreaRole
from mailroom.ui.tasks import TaskContext, TaskRunner

Reader = Callable[[], sqlite_utils.Database]
ERROR_STYLE = "color: #b71c1c;"
EMPTY_DAY = QDate(1900, 1, 1)


def error_label(parent: QWidget, name: str) -> QLabel:
    """A red, wrapping message, hidden while empty."""
    label = QLabel(parent)
    label.setObjectName(name)
    label.setWordWrap(True)
    label.setStyleSheet(ERROR_STYLE)
    label.hide()
    return label


def show_text(label: QLabel, text: str) -> None:
    label.setText(text)
    label.setVisible(bool(text))


def catalog_completer(parent: QWidget) -> QCompleter:
    """Suggests catalog names containing what is typed, whatever the case."""
    completer = QCompleter(parent)
    completer.setModel(QStringListModel(completer))
    completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
    completer.setFilterMode(Qt.MatchFlag.MatchContains)
    return completer


class OptionalDateEdit(QDateEdit):
    """A date that may stay empty: it shows ``empty_text`` until the clerk picks or types one;
    Supr (Delete) empties it again. The calendar opens on today's month, not on 1900."""

    def __init__(self, empty_text: str, today: Callable[[], date], parent: QWidget) -> None:
        super().__init__(parent)
        self._today = today
        self.setCalendarPopup(True)
        self.setDisplayFormat("dd/MM/yyyy")
        self.setMinimumDate(EMPTY_DAY)
        self.setSpecialValueText(empty_text)
        self.setDate(EMPTY_DAY)
        self.setToolTip(self.tr("Escriba DD/MM/AAAA o elija en el calendario; Supr la deja vacía."))
        self.calendarWidget().installEventFilter(self)

    def is_empty(self) -> bool:
        return self.date() == EMPTY_DAY

    def clear(self) -> None:
        self.setDate(EMPTY_DAY)

    def set_day(self, day: date | None) -> None:
        self.setDate(EMPTY_DAY if day is None else QDate(day.year, day.month, day.day))

    def text_value(self) -> str:
        """``AAAA-MM-DD``, or '' while empty."""
        return "" if self.is_empty() else self.date().toString("yyyy-MM-dd")

    def stepBy(self, steps: int) -> None:  # noqa: N802 - Qt's name
        if self.is_empty():
            self.set_day(self._today())  # an arrow key on an empty date means "from today"
        else:
            super().stepBy(steps)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt's name
        if event.key() == Qt.Key.Key_Delete:
            self.clear()
            return
        if self.is_empty() and event.text().isdigit():
            self.set_day(self._today())
            self.setSelectedSection(QDateEdit.Section.DaySection)  # the digit replaces the day
        super().keyPressEvent(event)

    def focusNextPrevChild(self, next: bool) -> bool:  # noqa: N802, A002 - Qt's names
        # QDateTimeEdit spends Tab on moving between day, month and year; in this form Tab goes
        # to the next field, like everywhere else (typing fills the sections one after another).
        return QWidget.focusNextPrevChild(self, next)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if event.type() == QEvent.Type.Show and self.is_empty():
            today = self._today()
            self.calendarWidget().setCurrentPage(today.year, today.month)
        return False


class CountSpinBox(QSpinBox):
    """A count whose minimum reads as words («Sin declarar»): typing a digit there replaces
    the words instead of being refused after them."""

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt's name
        if self.value() == self.minimum() and event.text().isdigit():
            self.lineEdit().selectAll()
        super().keyPressEvent(event)


class ListEditor(QWidget):
    """Inputs on one line with "Agregar", the rows added so far below with "Quitar", and a
    message line. Subclasses read their inputs (``_take``) and word a row (``_cells``)."""

    changed = Signal()  # a row was added or removed

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[Any] = []

    def _lay_out(
        self, inputs: Sequence[QWidget], headers: Sequence[str], tips: tuple[str, str], name: str
    ) -> None:
        self.add_button = self._button(self.tr("Agregar"), tips[0])
        self.add_button.clicked.connect(self.add)
        self.remove_button = self._button(self.tr("Quitar"), tips[1])
        self.remove_button.clicked.connect(self._remove)
        self.table = QTableWidget(0, len(headers), self)
        self.table.setHorizontalHeaderLabels(list(headers))
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.table.setMaximumHeight(self.fontMetrics().lineSpacing() * 6)
        self.message = error_label(self, name)
        line = QHBoxLayout()
        for position, widget in enumerate(inputs):
            line.addWidget(widget, 1 if position == 0 else 0)
        line.addWidget(self.add_button)
        below = QHBoxLayout()
        below.addWidget(self.table, 1)
        below.addWidget(self.remove_button, 0, Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(line)
        layout.addLayout(below)
        layout.addWidget(self.message)

    def _button(self, text: str, tip: str) -> QPushButton:
        button = QPushButton(text, self)
        button.setToolTip(tip)
        button.setAccessibleName(tip)
        return button

    def _take(self) -> Any:
        """The row the inputs describe (and empty them), or None after saying what is missing."""
        raise NotImplementedError

    def _cells(self, row: Any) -> tuple[str, str]:
        raise NotImplementedError

    @Slot()
    def add(self) -> None:
        row = self._take()
        if row is not None:
            self.append(row)

    def append(self, row: Any) -> None:
        self.rows.append(row)
        self._rows_changed()

    def clear_rows(self) -> None:
        self.rows.clear()
        self._rows_changed()

    def _rows_changed(self) -> None:
        self.table.setRowCount(len(self.rows))
        for number, row in enumerate(self.rows):
            for column, text in enumerate(self._cells(row)):
                self.table.setItem(number, column, QTableWidgetItem(text))
        self.changed.emit()

    @Slot()
    def _remove(self) -> None:
        chosen = {index.row() for index in self.table.selectionModel().selectedRows()}
        for number in sorted(chosen, reverse=True):
            del self.rows[number]
        if chosen:
            self._rows_changed()


class AddresseeEditor(ListEditor):
    """The departments the filing is turned to, each directly or as a copy."""

    def __init__(self) -> None:
        super().__init__()
        self.area = QLineEdit(self)
        self.area.setCompleter(catalog_completer(self.area))
        self.role = QComboBox(self)
        self._lay_out(
            [self.area, self.role],
            (self.tr("Área"), self.tr("Turno")),
            (self.tr("Turnar el escrito a esta área"), self.tr("Quitar el área seleccionada")),
            "problema_addressees",
        )
        self.departments: tuple[CatalogItem, ...] = ()
        self.area.setPlaceholderText(self.tr("Escriba o elija un área y pulse Entrar"))
        self.area.returnPressed.connect(self.add)
        self.role.addItem(self.tr("Turno directo"), AreaRole.DIRECTO)
        self.role.addItem(self.tr("Con copia"), AreaRole.COPIA)
        self.role.setAccessibleName(self.tr("Tipo de turno"))

    def set_departments(self, departments: tuple[CatalogItem, ...]) -> None:
        self.departments = departments
        model = self.area.completer().model()
        assert isinstance(model, QStringListModel)
        model.setStringList([item.name for item in departments])

    def _take(self) -> AddresseeInput | None:
        typed = self.area.text().strip()
        if not typed:
            show_text(self.message, self.tr("Escriba o elija un área para agregarla."))
            return None
        self.area.clear()
        # Qt hands the enum back as its plain string value.
        return AddresseeInput(canonical(typed, self.departments), AreaRole(self.role.currentData()))

    def _cells(self, row: AddresseeInput) -> tuple[str, str]:
        return row.area, self.tr("directo") if row.role is AreaRole.DIRECTO else self.tr("copia")


class AnnexEditor(ListEditor):
    """What the sender hands in besides the document: a description and its fojas."""

    def __init__(self) -> None:
        super().__init__()
        self.description = QLineEdit(self)
        self.pages = QSpinBox(self)
        self._lay_out(
            [self.description, self.pages],
            (self.tr("Descripción"), self.tr("Fojas")),
            (self.tr("Agregar el anexo a la lista"), self.tr("Quitar el anexo seleccionado")),
            "problema_annexes",
        )
        self.description.setPlaceholderText(self.tr("Descripción del anexo"))
        self.description.returnPressed.connect(self.add)
        self.pages.setRange(0, 9999)
        self.pages.setSuffix(self.tr(" fojas"))
        self.pages.setAccessibleName(self.tr("Fojas del anexo"))

    def _take(self) -> AnnexInput | None:
        description = " ".join(self.description.text().split())
        if not description:
            show_text(self.message, self.tr("Escriba la descripción del anexo."))
            return None
        pages = str(self.pages.value())
        self.description.clear()
        self.pages.setValue(0)
        return AnnexInput(description, pages)

    def _cells(self, row: AnnexInput) -> tuple[str, str]:
        return row.description, row.pages


class DuplicateWarning(QFrame):
    """Shown inline (never modal) when the document is already registered: the earlier folio and
    when, then "Cancelar" or "Registrar de todos modos", which needs a reason. Given a runner and
    a reader, ``show_duplicate`` also looks up when the earlier filing was received."""

    continued = Signal(str)  # the reason, for NewFiling.duplicate_override_reason
    cancelled = Signal()

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        runner: TaskRunner | None = None,
        reader: Reader | None = None,
    ) -> None:
        super().__init__(parent)
        self.runner = runner
        self.reader = reader
        self.setObjectName("avisoDuplicado")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setStyleSheet("#avisoDuplicado { background: #fff4e5; }")
        self.message = QLabel(self)
        self.message.setWordWrap(True)
        self.message.setStyleSheet("font-weight: bold;")
        self.reason = QLineEdit(self)
        self.reason.setPlaceholderText(self.tr("p. ej., nueva presentación con firma autógrafa"))
        self.reason.setAccessibleName(self.tr("Motivo para registrarlo de nuevo"))
        self.reason.returnPressed.connect(self._continue)
        reason_label = QLabel(self.tr("&Motivo para registrarlo de nuevo:"), self)
        reason_label.setBuddy(self.reason)
        self.problem = error_label(self, "problema_motivo")
        self.cancel_button = QPushButton(self.tr("Cancelar"), self)
        self.cancel_button.setToolTip(self.tr("No registrar; volver al formulario"))
        self.cancel_button.clicked.connect(self._cancel)
        self.continue_button = QPushButton(self.tr("Registrar de todos modos"), self)
        self.continue_button.setToolTip(
            self.tr("Registrar con un folio nuevo; el motivo queda en la bitácora")
        )
        self.continue_button.clicked.connect(self._continue)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.continue_button)
        layout = QVBoxLayout(self)
        for widget in (self.message, reason_label, self.reason, self.problem):
            layout.addWidget(widget)
        layout.addLayout(buttons)
        self.hide()

    def show_duplicate(self, error: DuplicateDocument) -> None:
        """From the registration's refusal (``DuplicateDocument``)."""
        sentence = self.tr("Este documento ya fue registrado con el folio {0}.")
        self._open([sentence.format(folio) for folio in error.folios])
        if self.runner is not None and self.reader is not None:
            self.runner.run(
                partial(_hashes_registered, self.reader, (error.sha256,)),
                name="duplicados",
                on_success=self.show_hits,
                owner=self,
            )

    @Slot(object)
    def show_hits(self, hits: Sequence[DuplicateHit]) -> None:
        """From the pre-check: "Este documento ya fue registrado con el folio X (fecha)"."""
        lines = []
        for hit in hits:
            when = short_datetime(hit.received_at)
            if hit.cancelled:
                when = self.tr("{0}, cancelado").format(when)
            sentence = self.tr("Este documento ya fue registrado con el folio {0} ({1}).")
            lines.append(sentence.format(hit.folio, when))
        if lines:
            self._open(lines)

    def _open(self, lines: list[str]) -> None:
        self.message.setText("\n".join(lines))
        if not self.isVisible():
            self.reason.clear()
            show_text(self.problem, "")
        self.show()
        self.reason.setFocus(Qt.FocusReason.OtherFocusReason)

    @Slot()
    def _continue(self) -> None:
        reason = " ".join(self.reason.text().split())
        if not reason:
            show_text(
                self.problem, self.tr("Para registrar un documento repetido escriba el motivo.")
            )
            self.reason.setFocus(Qt.FocusReason.OtherFocusReason)
            return
        self.hide()
        self.continued.emit(reason)

    @Slot()
    def _cancel(self) -> None:
        self.hide()
        self.cancelled.emit()


def _hashes_registered(
    reader: Reader, sha256s: tuple[str, ...], context: TaskContext
) -> tuple[DuplicateHit, ...]:
    return find_duplicates(reader(), sha256s)
