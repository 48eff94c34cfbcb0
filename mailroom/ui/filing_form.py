"""The registration form of the intake screen.

Every rule lives in the Qt-free ``mailroom.intake_form``; this widget collects what was typed
into ``FormValues`` and shows the problems it gets back. A field's message appears when the clerk
leaves it (not while still typing it for the first time) and goes as soon as the field is right;
an attempt to register shows them all. The catalogs are read through the task helper when the
form is built. ``DuplicateWarning`` (re-exported here) is the inline warning for a document
already registered.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from functools import partial
from pathlib import Path
from typing import TypeVar

from PySide6.QtCore import QEvent, QObject, QStringListModel, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QFocusEvent
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from mailroom.errors import OficialiaError
from mailroom.identifiers import normalize_curp, normalize_rfc
from mailroom.intake_form import (
    FIELD_NAMES,
    AddresseeInput,
    FieldProblem,
    FormValues,
    explain,
    problems,
    to_new_filing,
)
from mailroom.intake_lookups import (
    Catalogs,
    DuplicateHit,
    find,
    find_duplicates_of_files,
    load_catalogs,
)
from mailroom.models import AreaRole, NewFiling, Priority
from mailroom.ui.filing_form_widgets import (
    AddresseeEditor,
    AnnexEditor,
    CountSpinBox,
    DuplicateWarning,
    ListEditor,
    OptionalDateEdit,
    Reader,
    catalog_completer,
    error_label,
    show_text,
)
from mailroom.ui.tasks import TaskContext, TaskRunner

__all__ = ["DuplicateWarning", "FilingForm"]

W = TypeVar("W", bound=QWidget)
_TEXT_FIELDS = (*(f for f in FIELD_NAMES if f.startswith("sender_")), "subject", "procedure")


class FilingForm(QWidget):
    """The registration form. ``validity_changed(ok, explanation)`` follows every edit, with
    the sentence for the register button ("Falta: remitente, asunto…"); ``new_filing()`` gives
    the ``NewFiling`` or ``None`` and then shows every problem by its field."""

    validity_changed = Signal(bool, str)
    fojas_changed = Signal(object)  # int, or None while not declared
    catalogs_loaded = Signal(object)  # Catalogs
    duplicates_checked = Signal(object)  # tuple[DuplicateHit, ...], empty when none

    def __init__(
        self,
        runner: TaskRunner,
        reader: Reader,
        *,
        today: Callable[[], date],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.runner = runner
        self.reader = reader
        self.today = today
        self.catalogs = Catalogs()
        self._override_reason: str | None = None
        self._editors: dict[str, QWidget] = {}
        self._messages: dict[str, QLabel] = {}
        self._shown: set[str] = set()  # fields whose problem shows: left once, or all after a try
        self._clearing = False  # clear() checks the form once, at its end
        self._validity: tuple[bool, str] | None = None
        self._build()
        runner.run(
            partial(_read_catalogs, reader),
            name="catálogos",
            on_success=self.set_catalogs,
            on_failure=self._catalogs_failed,
            owner=self,
        )
        # Queued, so whoever connects right after building the form hears the first state.
        QTimer.singleShot(0, self._changed)

    # -- building ----------------------------------------------------------------------------

    def _build(self) -> None:
        self.notice = error_label(self, "avisoFormulario")  # catalogs or duplicates unreadable
        self.addressees = AddresseeEditor()
        self.annexes = AnnexEditor()
        area, description = self.addressees.area, self.annexes.description
        layout = QVBoxLayout(self)
        layout.addWidget(self.notice)
        layout.addWidget(self._message("form"))
        for group in (
            self._sender_group(),
            self._document_group(),
            self._list_group(
                self.tr("Turnar a"), self.tr("Ár&ea:"), "addressees", self.addressees, area
            ),
            self._list_group(
                self.tr("Anexos"), self.tr("Ane&xo:"), "annexes", self.annexes, description
            ),
        ):
            layout.addWidget(group)
        layout.addStretch(1)

    def _sender_group(self) -> QGroupBox:
        group, form = self._group(self.tr("Remitente"))
        self.sender_name = self._row(form, self.tr("&Nombre:"), "sender_name", QLineEdit())
        self.sender_curp = self._row(form, self.tr("C&URP:"), "sender_curp", QLineEdit())
        self.sender_rfc = self._row(form, self.tr("RF&C:"), "sender_rfc", QLineEdit())
        self.sender_email = self._row(form, self.tr("Co&rreo:"), "sender_email", QLineEdit())
        self.sender_phone = self._row(form, self.tr("&Teléfono:"), "sender_phone", QLineEdit())
        self.sender_organization = self._row(
            form, self.tr("&Organización:"), "sender_organization", QLineEdit()
        )
        self.sender_position = self._row(form, self.tr("Car&go:"), "sender_position", QLineEdit())
        self.sender_name.setPlaceholderText(self.tr("Nombre completo o razón social"))
        self.sender_curp.setPlaceholderText(self.tr("Opcional, 18 caracteres"))
        self.sender_rfc.setPlaceholderText(self.tr("Opcional, 12 o 13 caracteres"))
        return group

    def _document_group(self) -> QGroupBox:
        group, form = self._group(self.tr("Escrito"))
        self.subject = self._row(form, self.tr("&Asunto:"), "subject", QLineEdit())
        self.procedure = self._row(form, self.tr("Trá&mite:"), "procedure", QLineEdit())
        self.procedure.setCompleter(catalog_completer(self))
        self.document_number = self._row(
            form, self.tr("Número de &documento:"), "document_number", QLineEdit()
        )
        self.document_number.setPlaceholderText("S/N")
        self.document_date = self._row(
            form,
            self.tr("Fec&ha del documento:"),
            "document_date",
            self._date(self.tr("Sin fecha")),
        )
        self.fojas = self._row(form, self.tr("&Fojas:"), "fojas", CountSpinBox())
        self.fojas.setRange(0, 9999)
        self.fojas.setSpecialValueText(self.tr("Sin declarar"))  # 0: not counted yet
        self.fojas.setToolTip(self.tr("Fojas que entrega el remitente, contadas en ventanilla"))
        self.fojas.valueChanged.connect(self._fojas_edited)
        self.priority = self._row(form, self.tr("&Prioridad:"), "priority", QComboBox())
        self.priority.addItem(self.tr("Normal"), Priority.NORMAL.value)
        self.priority.addItem(self.tr("Urgente"), Priority.URGENTE.value)
        self.priority.currentIndexChanged.connect(self._changed)
        self.response_due = self._row(
            form, self.tr("Fecha &límite:"), "response_due", self._date(self.tr("Sin fecha límite"))
        )
        self.response_due.setToolTip(self.tr("Fecha límite de respuesta (opcional)"))
        self.observations = self._row(
            form, self.tr("O&bservaciones:"), "observations", QPlainTextEdit()
        )
        self.observations.setTabChangesFocus(True)
        self.observations.setFixedHeight(self.fontMetrics().lineSpacing() * 4)
        self.observations.textChanged.connect(partial(self._left, "observations"))
        self.sensitive = QCheckBox(self.tr("Contiene datos personales &sensibles"))
        self.sensitive.toggled.connect(self._changed)
        form.addRow(self.sensitive)
        return group

    def _list_group(
        self, title: str, label: str, field: str, editor: ListEditor, first: QWidget
    ) -> QGroupBox:
        group, form = self._group(title)
        editor.changed.connect(partial(self._left, field))
        self._list_row(form, label, field, first, editor)
        return group

    def _group(self, title: str) -> tuple[QGroupBox, QFormLayout]:
        group = QGroupBox(title, self)
        form = QFormLayout(group)
        # A narrow window puts labels above their fields instead of cutting them.
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        return group, form

    def _row(self, form: QFormLayout, text: str, field: str, editor: W) -> W:
        """A labelled field (the label's mnemonic focuses it) with its message underneath."""
        box = QWidget()
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        column.addWidget(editor)
        column.addWidget(self._message(field))
        self._list_row(form, text, field, editor, box)
        if isinstance(editor, QLineEdit):
            editor.setObjectName(field)
            editor.installEventFilter(self)
            editor.textChanged.connect(self._changed)
        if isinstance(editor, QLineEdit | QAbstractSpinBox):
            editor.editingFinished.connect(partial(self._left, field))
        if isinstance(editor, OptionalDateEdit):
            # A date picked in the calendar is a finished choice: say at once if it is wrong.
            editor.dateChanged.connect(partial(self._left, field))
        return editor

    def _list_row(
        self, form: QFormLayout, text: str, field: str, editor: QWidget, box: QWidget
    ) -> None:
        label = QLabel(text)
        label.setBuddy(editor)
        editor.setAccessibleName(text.replace("&", "").rstrip(":"))
        form.addRow(label, box)
        self._editors[field] = editor
        if isinstance(box, ListEditor):
            self._messages[field] = box.message

    def _date(self, empty_text: str) -> OptionalDateEdit:
        return OptionalDateEdit(empty_text, self.today, self)

    def _message(self, field: str) -> QLabel:
        self._messages[field] = error_label(self, f"problema_{field}")
        return self._messages[field]

    # -- what the screen calls ---------------------------------------------------------------

    def values(self) -> FormValues:
        """What is typed right now, unchecked."""
        texts = {field: getattr(self, field).text() for field in _TEXT_FIELDS}
        texts["document_number"] = self.document_number.text()
        return FormValues(
            **texts,
            document_date=self.document_date.text_value(),
            addressees=tuple(self.addressees.rows),
            fojas=str(self.fojas.value() or ""),
            annexes=tuple(self.annexes.rows),
            priority=str(self.priority.currentData()),
            response_due=self.response_due.text_value(),
            observations=self.observations.toPlainText(),
            sensitive=self.sensitive.isChecked(),
            duplicate_override_reason=self._override_reason,
        )

    def problems(self) -> tuple[FieldProblem, ...]:
        return problems(self.values(), self.catalogs, self.today())

    def new_filing(self) -> NewFiling | None:
        """The filing to register; ``None`` when something is wrong, and then every problem is
        shown by its field and the first wrong field gets the focus."""
        built = to_new_filing(self.values(), self.catalogs, self.today())
        if isinstance(built, NewFiling):
            return built
        self._shown.update(self._messages)
        self._show(built)
        editor = self._editors.get(built[0].field)
        if editor is not None:
            editor.setFocus(Qt.FocusReason.OtherFocusReason)
        return None

    def set_duplicate_override_reason(self, reason: str | None) -> None:
        """Register although the document is already registered, for this reason."""
        self._override_reason = reason
        self._changed()

    def focus_first(self) -> None:
        self.sender_name.setFocus(Qt.FocusReason.OtherFocusReason)

    def clear(self) -> None:
        """Empty for the next filing; no message shows until the clerk leaves a field. The
        form is checked once at the end, not once per emptied field (twenty checks paused the
        window for 20-30 ms while OCR ran)."""
        self._clearing = True
        try:
            self._empty_fields()
        finally:
            self._clearing = False
        self._changed()

    def _empty_fields(self) -> None:
        self._shown.clear()
        for edit in self.findChildren(QLineEdit):
            edit.clear()
        self.document_date.clear()
        self.response_due.clear()
        self.observations.clear()
        for spin in self.findChildren(QSpinBox):
            spin.setValue(0)
        for combo in self.findChildren(QComboBox):
            combo.setCurrentIndex(0)
        self.sensitive.setChecked(False)
        self.addressees.clear_rows()
        self.annexes.clear_rows()
        self._override_reason = None
        self._shown.clear()  # the dates' and lists' resets above counted as choices
        for label in self._messages.values():
            show_text(label, "")

    @Slot(object)
    def set_catalogs(self, catalogs: Catalogs) -> None:
        self.catalogs = catalogs
        model = self.procedure.completer().model()
        assert isinstance(model, QStringListModel)
        model.setStringList([item.name for item in catalogs.procedures])
        self.addressees.set_departments(catalogs.departments)
        self._changed()
        self.catalogs_loaded.emit(catalogs)

    def check_duplicates(self, files: Sequence[Path]) -> None:
        """Ask, off the GUI thread, which folios already hold these files; the answer comes as
        ``duplicates_checked`` (give it to ``DuplicateWarning.show_hits``)."""
        self.runner.run(
            partial(_files_registered, self.reader, tuple(files)),
            name="duplicados",
            on_success=self.duplicates_checked.emit,
            on_failure=self._notify,
            owner=self,
        )

    @Slot()
    def _procedure_chosen(self) -> None:
        item = find(self.procedure.text(), self.catalogs.procedures)
        if item is None:
            return
        if self.procedure.text() != item.name:
            self.procedure.setText(item.name)
        if item.department and not self.addressees.rows:
            # The catalog says which department handles the procedure: turn it there directly.
            self.addressees.append(AddresseeInput(item.department, AreaRole.DIRECTO))

    # -- messages ----------------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        # Qt 6 emits editingFinished on leaving a line edit only after an edit, and not when
        # the completer's popup was open: leaving is caught here, for a field the clerk typed in.
        if (
            isinstance(event, QFocusEvent)
            and event.type() == QEvent.Type.FocusOut
            and event.reason() != Qt.FocusReason.PopupFocusReason
            and isinstance(watched, QLineEdit)
            and (watched.isModified() or watched.objectName() in self._shown)
        ):
            self._left(watched.objectName())
        return False

    def _left(self, field: str, *args: object) -> None:
        if field == "procedure":
            self._procedure_chosen()
        if field in ("sender_curp", "sender_rfc"):
            edit: QLineEdit = getattr(self, field)
            normalize = normalize_curp if field == "sender_curp" else normalize_rfc
            if edit.text() != normalize(edit.text()):
                edit.setText(normalize(edit.text()))  # as the acuse will print it
        self._shown.add(field)
        self._changed()

    @Slot(int)
    def _fojas_edited(self, value: int) -> None:
        self.fojas_changed.emit(value or None)
        self._changed()

    @Slot()
    def _changed(self) -> None:
        if self._clearing:
            return
        found = self.problems()
        self._show(found)
        state = (not found, explain(found))
        if state != self._validity:
            self._validity = state
            self.validity_changed.emit(*state)

    def _show(self, found: Sequence[FieldProblem]) -> None:
        """A field the clerk left shows its problem; any other only loses a message it had."""
        by_field = {problem.field: problem.message for problem in found}
        general = [p.message for p in found if p.field not in self._messages]
        by_field["form"] = " ".join(general) if self._shown else ""
        for field, label in self._messages.items():
            message = by_field.get(field, "")
            if field in self._shown or not message:
                show_text(label, message)

    def _notify(self, error: OficialiaError) -> None:
        show_text(self.notice, error.message)

    def _catalogs_failed(self, error: OficialiaError) -> None:
        hint = self.tr("{0} Puede escribir el área y el trámite a mano.")
        show_text(self.notice, hint.format(error.message))


def _read_catalogs(reader: Reader, context: TaskContext) -> Catalogs:
    return load_catalogs(reader())


def _files_registered(
    reader: Reader, files: tuple[Path, ...], context: TaskContext
) -> tuple[DuplicateHit, ...]:
    return find_duplicates_of_files(reader(), files)
