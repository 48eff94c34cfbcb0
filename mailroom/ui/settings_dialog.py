"""The admin's settings dialog: office, device, folio pattern, state server, scanner, OCR languages.

Used without blocking (``open()``). Each field says what is wrong with it in Spanish as the admin
types — the same checks the app runs when it starts (``settings_editor.check``; no file or
database is touched on the GUI thread). «Guardar» checks again off the GUI thread with everything
(the files, the database, tesseract); a warning (a new device code on a device that already
registered filings this year) is shown first and saving then needs a second click. The running
app keeps the settings it started with: the dialog says that changes apply on restart.
"""

from __future__ import annotations

import dataclasses
import functools
from pathlib import Path

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from mailroom import settings_editor
from mailroom.config import Settings
from mailroom.errors import ConfigError, OficialiaError
from mailroom.settings_editor import AdminChoices, CurrentSettings, SettingsPlan
from mailroom.store import Store
from mailroom.ui.tasks import TaskContext, TaskRunner

ERROR_STYLE = "color: #b71c1c;"
WARNING_STYLE = "color: #8a4b00; font-weight: bold;"
TEXT_FIELDS = ("office", "office_name", "device", "folio_pattern", "backend_url")


class SettingsDialog(QDialog):
    settings_saved = Signal(object)  # the Settings as the app will load them next time

    def __init__(
        self,
        settings: Settings,
        runner: TaskRunner,
        parent: QWidget | None = None,
        *,
        store: Store | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Configuración de la oficina y del equipo"))
        self.setMinimumWidth(640)  # room for the hints inside the fields
        self.settings = settings
        self.acting = settings  # its seat says who saves; self.settings is replaced once read
        self.runner = runner
        self.store = store
        self.current: CurrentSettings | None = None
        self._warned_for: AdminChoices | None = None  # the choices whose warnings were shown
        self._saving = False
        self.edits: dict[str, QLineEdit] = {}
        self.errors: dict[str, QLabel] = {}
        self._build()
        self._fill(AdminChoices.of(settings))
        self.runner.run(
            functools.partial(_read_op, settings.data_dir),
            name="leer_configuracion",
            on_success=self._loaded,
            on_failure=self._failed,
            owner=self,
        )

    # -- layout ------------------------------------------------------------------------------

    def _build(self) -> None:
        form = QFormLayout()
        labels = {
            "office": (self.tr("Clave de la &oficina"), self.tr("Primera parte del folio")),
            "office_name": (self.tr("&Nombre de la oficina"), self.tr("Como aparece en el acuse")),
            "device": (self.tr("Clave de este &equipo"), self.tr("Cada equipo numera aparte")),
            "folio_pattern": (
                self.tr("&Patrón de folio"),
                self.tr("Campos: {office} {year} {device} {seq}"),
            ),
            "backend_url": (
                self.tr("&Servidor estatal"),
                self.tr("Vacío: el que se guardó al dar de alta el equipo"),
            ),
        }
        for name in TEXT_FIELDS:
            text, hint = labels[name]
            edit = QLineEdit(self)
            edit.setPlaceholderText(hint)
            edit.setToolTip(hint)
            edit.setAccessibleName(text.replace("&", ""))
            edit.textChanged.connect(self._changed)
            self.edits[name] = edit
            self._add_row(form, text, edit, name)
            if name == "folio_pattern":
                self.example = QLabel(self)
                form.addRow("", self.example)
        self._build_scanner(form)
        self._build_languages(form)
        self.note = QLabel(self)
        self.note.setWordWrap(True)
        self.warning = QLabel(self)
        self.warning.setWordWrap(True)
        self.warning.setStyleSheet(WARNING_STYLE)
        self.buttons = QDialogButtonBox(self)
        self.save_button = self.buttons.addButton(
            self.tr("Guardar"), QDialogButtonBox.ButtonRole.AcceptRole
        )
        cancel = self.buttons.addButton(self.tr("Cancelar"), QDialogButtonBox.ButtonRole.RejectRole)
        self.save_button.setEnabled(False)
        self.save_button.clicked.connect(self.save)
        cancel.clicked.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.note)
        layout.addWidget(self.warning)
        layout.addWidget(self.buttons)

    def _add_row(self, form: QFormLayout, text: str, field: QWidget, name: str) -> None:
        label = QLabel(text, self)
        label.setBuddy(field)
        error = QLabel(self)
        error.setStyleSheet(ERROR_STYLE)
        error.setWordWrap(True)
        error.setVisible(False)
        self.errors[name] = error
        form.addRow(label, field)
        form.addRow("", error)

    def _build_scanner(self, form: QFormLayout) -> None:
        self.scanner = QComboBox(self)
        self.scanner.setEditable(True)
        self.scanner.setAccessibleName(self.tr("Escáner"))
        line = self.scanner.lineEdit()
        assert line is not None  # an editable combo box has one
        line.setPlaceholderText(self.tr("Vacío: el primer escáner que se encuentre"))
        line.textChanged.connect(self._changed)
        self.find_scanners = QPushButton(self.tr("Buscar escáneres"), self)
        self.find_scanners.setToolTip(self.tr("Lista los escáneres que este equipo ve (SANE)"))
        self.find_scanners.clicked.connect(self.list_scanners)
        row = QWidget(self)
        box = QHBoxLayout(row)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.scanner, 1)
        box.addWidget(self.find_scanners)
        self._add_row(form, self.tr("Es&cáner"), row, "scanner")

    def _build_languages(self, form: QFormLayout) -> None:
        self.languages = QListWidget(self)
        self.languages.setAccessibleName(self.tr("Idiomas del OCR"))
        self.languages.setMaximumHeight(110)
        self.languages.itemChanged.connect(self._changed)
        self._add_row(form, self.tr("&Idiomas del OCR"), self.languages, "ocr_languages")

    # -- values ------------------------------------------------------------------------------

    def _fill(self, choices: AdminChoices) -> None:
        for name in TEXT_FIELDS:
            self.edits[name].setText(getattr(choices, name))
        self.scanner.setEditText(choices.scanner)
        self._set_languages(choices.ocr_languages.split("+"), choices.ocr_languages.split("+"))

    def _set_languages(self, available: list[str], checked: list[str]) -> None:
        self.languages.blockSignals(True)
        self.languages.clear()
        for code in dict.fromkeys([*checked, *available]):  # chosen first, in their order
            item = QListWidgetItem(code, self.languages)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            chosen = code in checked
            item.setCheckState(Qt.CheckState.Checked if chosen else Qt.CheckState.Unchecked)
        self.languages.blockSignals(False)

    def choices(self) -> AdminChoices:
        """What the fields say now."""
        checked = [
            self.languages.item(row).text()
            for row in range(self.languages.count())
            if self.languages.item(row).checkState() == Qt.CheckState.Checked
        ]
        return AdminChoices(
            **{name: self.edits[name].text() for name in TEXT_FIELDS},
            scanner=self.scanner.currentText(),
            ocr_languages="+".join(checked),
        )

    def _loaded(self, current: CurrentSettings) -> None:
        self.current = current
        self.settings = current.settings
        typed = self.choices()
        self._set_languages(list(current.ocr_languages_installed), typed.ocr_languages.split("+"))
        note = self.tr("Se guarda en {0}. Los cambios se aplican al volver a abrir Oficialía.")
        lines = [note.format(current.config_path)]
        if current.tesseract_problem:
            lines.append(current.tesseract_problem)
        for name in current.from_environment:
            lines.append(
                self.tr("La variable OFICIALIA_{0} fija «{1}».").format(name.upper(), name)
            )
        self.note.setText("\n".join(lines))
        self._changed()

    # -- checking and saving -----------------------------------------------------------------

    @Slot()
    def _changed(self, *_: object) -> None:
        """Check the fields as typed (no I/O) and show the first problem under its field."""
        self.warning.setText("")
        self._warned_for = None
        self.save_button.setText(self.tr("Guardar"))
        choices = self.choices()
        self._show_example(choices)
        installed = self.current.ocr_languages_installed if self.current else None
        try:
            settings_editor.check(self.settings, choices, installed or None)
        except ConfigError as error:
            self._show_error(error)
            return
        self._show_error(None)

    def _show_example(self, choices: AdminChoices) -> None:
        try:
            example = choices.folio_pattern.strip().format(
                office=choices.office.strip(), year=2026, device=choices.device.strip(), seq=1
            )
        except (KeyError, ValueError, IndexError):
            example = ""
        self.example.setText(self.tr("Ejemplo: {0}").format(example) if example else "")

    def _show_error(self, error: ConfigError | None) -> None:
        field = str(error.details.get("setting", "")) if error else ""
        for name, label in self.errors.items():
            label.setText(error.message if error and name == field else "")
            label.setVisible(bool(error) and name == field)
        if error is not None and field not in self.errors:
            self.warning.setText(error.message)
        self.save_button.setEnabled(error is None and self.current is not None and not self._saving)

    def error_text(self, name: str) -> str:
        """The message shown under a field ("" when it is right)."""
        return self.errors[name].text()

    @Slot()
    def save(self) -> None:
        """Check with everything off the GUI thread; warn once, or save."""
        if not self.save_button.isEnabled():
            return
        choices = self.choices()
        confirmed = self._warned_for == choices
        self._saving = True
        self.save_button.setEnabled(False)
        op = functools.partial(
            _save_op,
            self.settings.data_dir,
            choices,
            self.store,
            confirmed=confirmed,
            acting=self.acting,
        )
        self.runner.run(
            op,
            name="guardar_configuracion",
            on_success=self._checked,
            on_failure=self._failed,
            owner=self,
        )

    def _checked(self, result: tuple[SettingsPlan, bool]) -> None:
        plan, written = result
        self._saving = False
        if not written:  # warnings to read first
            self._warned_for = self.choices()
            self.warning.setText("\n".join(plan.warnings))
            self.save_button.setText(self.tr("Guardar de todos modos"))
            self.save_button.setEnabled(True)
            return
        self.settings = plan.settings
        self.settings_saved.emit(plan.settings)
        self.accept()

    def _failed(self, error: OficialiaError) -> None:
        self._saving = False
        if isinstance(error, ConfigError):
            self._show_error(error)
        else:
            self.warning.setText(error.message)
            self.save_button.setEnabled(self.current is not None)

    # -- scanners ----------------------------------------------------------------------------

    @Slot()
    def list_scanners(self) -> None:
        self.find_scanners.setEnabled(False)
        self.runner.run(
            _scanners_op,
            name="buscar_escaneres",
            on_success=self._scanners_found,
            on_failure=self._scanners_failed,
            owner=self,
        )

    def _scanners_found(self, specs: list[str]) -> None:
        self.find_scanners.setEnabled(True)
        typed = self.scanner.currentText()
        self.scanner.clear()
        self.scanner.addItems(["", *specs])
        self.scanner.setEditText(typed)
        if not specs:
            self.errors["scanner"].setText(self.tr("No se encontró ningún escáner."))
            self.errors["scanner"].setVisible(True)

    def _scanners_failed(self, error: OficialiaError) -> None:
        self.find_scanners.setEnabled(True)
        self.errors["scanner"].setText(error.message)
        self.errors["scanner"].setVisible(True)


def _read_op(data_dir: Path, context: TaskContext) -> CurrentSettings:
    return settings_editor.read_current(data_dir)


def _save_op(
    data_dir: Path,
    choices: AdminChoices,
    store: Store | None,
    context: TaskContext,
    *,
    confirmed: bool,
    acting: Settings,
) -> tuple[SettingsPlan, bool]:
    """``(plan, written)``: not written when there are warnings the admin has not seen yet."""
    db = store.reader() if store is not None else None
    plan = settings_editor.plan(data_dir, choices, db=db)
    if plan.warnings and not confirmed:
        return plan, False
    saved = settings_editor.save(data_dir, choices, db=db, acting=acting)
    return dataclasses.replace(saved, warnings=plan.warnings), True


def _scanners_op(context: TaskContext) -> list[str]:
    from mailroom.capture.sane_source import list_scanners  # SANE loads only when asked

    return [f"sane:{scanner.name}" for scanner in list_scanners()]
