"""«Confianza»: the certification authorities this office trusts (SAT's bundle, the ones the
office added, test roots), adding one from a certificate file and removing an added one,
through ``mailroom.trust_admin.TrustAdmin``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from mailroom.config import Settings
from mailroom.errors import OficialiaError
from mailroom.store import Store
from mailroom.trust_admin import Authority, TrustAdmin, TrustListing
from mailroom.ui.messages import DONE_STYLE, ERROR_STYLE, show_message
from mailroom.ui.tasks import TaskContext, TaskRunner

COLUMNS = ("Autoridad", "Tipo", "Origen", "Vigente hasta", "Huella")
ORIGINS = {"paquete": "paquete del SAT", "agregada": "agregada", "prueba": "raíz de prueba"}


class TrustTab(QWidget):
    listed = Signal(object)  # TrustListing
    changed = Signal(object)  # the Authority added or removed
    failed = Signal(str)

    def __init__(
        self, store: Store, settings: Settings, runner: TaskRunner, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.admin = TrustAdmin(store, settings)
        self.runner = runner
        self.shown: tuple[Authority, ...] = ()
        self.file_dialog: QFileDialog | None = None
        self.table = QTableWidget(0, len(COLUMNS), self)
        self.table.setHorizontalHeaderLabels([self.tr(c) for c in COLUMNS])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.add_button = QPushButton(self.tr("&Agregar certificado…"), self)
        self.add_button.clicked.connect(self.choose_file)
        self.remove_button = QPushButton(self.tr("&Quitar la elegida"), self)
        self.remove_button.clicked.connect(self.remove_selected)
        self.folder = QLabel(self)
        self.folder.setWordWrap(True)
        self.message = QLabel(self)
        self.message.setWordWrap(True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.folder)
        layout.addWidget(self.message)
        self._selection_changed()
        self.refresh()

    @Slot()
    def refresh(self) -> None:
        admin = self.admin

        def op(context: TaskContext) -> TrustListing:
            return admin.list_authorities()

        self.runner.run(
            op,
            name="listar_autoridades",
            on_success=self._show,
            on_failure=self._failed,
            owner=self,
        )

    def _show(self, listing: TrustListing) -> None:
        now = datetime.now(UTC)
        self.shown = listing.authorities
        self.table.setRowCount(len(listing.authorities))
        for row, authority in enumerate(listing.authorities):
            expired = self.tr(" (vencida)") if authority.expired(now) else ""
            values = (
                authority.subject,
                self.tr("raíz") if authority.root else self.tr("intermedia"),
                self.tr(ORIGINS[authority.origin]),
                f"{authority.not_after:%d/%m/%Y}{expired}",
                authority.sha256[:16],
            )
            for column, value in enumerate(values):
                self.table.setItem(row, column, QTableWidgetItem(value))
        lines = [self.tr("Las autoridades agregadas se guardan en {0}.").format(listing.folder)]
        lines.extend(listing.warnings)
        self.folder.setText("\n".join(lines))
        self._selection_changed()
        self.listed.emit(listing)

    def selected(self) -> Authority | None:
        model = self.table.selectionModel()
        rows = model.selectedRows() if model else []
        if not rows or rows[0].row() >= len(self.shown):
            return None
        return self.shown[rows[0].row()]

    @Slot()
    def _selection_changed(self) -> None:
        authority = self.selected()
        self.remove_button.setEnabled(authority is not None and authority.origin == "agregada")

    @Slot()
    def choose_file(self) -> None:
        if self.file_dialog is None:
            self.file_dialog = QFileDialog(self, self.tr("Certificado de la autoridad"))
            self.file_dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
            self.file_dialog.setNameFilter(self.tr("Certificados (*.cer *.crt *.pem *.der)"))
            self.file_dialog.fileSelected.connect(lambda name: self.add_file(Path(name)))
        self.file_dialog.open()

    def add_file(self, path: Path) -> None:
        admin = self.admin
        self._run(lambda: admin.add(path), self.tr("Autoridad agregada: {0}."))

    @Slot()
    def remove_selected(self) -> None:
        authority = self.selected()
        if authority is None:
            return
        admin, fingerprint = self.admin, authority.sha256
        self._run(lambda: admin.remove(fingerprint), self.tr("Se dejó de confiar en {0}."))

    def _run(self, change: Callable[[], Authority], done: str) -> None:
        self._say("", DONE_STYLE)

        def op(context: TaskContext) -> Authority:
            return change()

        def succeeded(authority: Authority) -> None:
            self._say(done.format(authority.subject), DONE_STYLE)
            self.changed.emit(authority)
            self.refresh()

        self.runner.run(
            op, name="cambiar_confianza", on_success=succeeded, on_failure=self._failed, owner=self
        )

    def _failed(self, error: OficialiaError) -> None:
        self._say(error.message, ERROR_STYLE)
        self.failed.emit(error.message)

    def _say(self, text: str, style: str) -> None:
        show_message(self.message, text, style)
