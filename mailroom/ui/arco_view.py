"""«ARCO»: an administrator finds what the office holds about one person (by CURP, RFC or name),
exports the access report (PDF and JSON) to a folder, and records a request about that person.
Everything goes through ``mailroom.arco_service.ArcoService`` on the task helper; its Spanish
refusals (a malformed CURP, a single-word name, a folder that cannot be written, no permission)
are shown as they come."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from mailroom.arco import REQUEST_KINDS, SUBJECT_KINDS, ArcoRequest, PersonData
from mailroom.arco_export import ArcoExport
from mailroom.arco_service import ArcoService
from mailroom.errors import OficialiaError
from mailroom.models import STATUS_LABELS
from mailroom.ui.messages import DONE_STYLE, ERROR_STYLE, show_message
from mailroom.ui.tasks import TaskContext, TaskRunner
from mailroom.workstation import Workstation

COLUMNS = ("Folio", "Recibido", "Remitente", "CURP", "RFC", "Asunto", "Documentos", "Notas")


class ArcoView(QWidget):
    found = Signal(object)  # PersonData, once the table shows it
    exported = Signal(object)  # ArcoExport, once written
    request_recorded = Signal(object)  # ArcoRequest just recorded
    failed = Signal(str)  # the Spanish message shown

    def __init__(
        self, runner: TaskRunner, workstation: Workstation, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.runner = runner
        self.service = ArcoService(workstation.store, workstation.settings)
        self.person: PersonData | None = None
        self.folder_dialog: QFileDialog | None = None
        self._build()

    # -- layout ------------------------------------------------------------------------------

    def _build(self) -> None:
        self.kind = QComboBox(self)
        for key, label in SUBJECT_KINDS.items():
            self.kind.addItem(self.tr(label), key)
        self.kind.setAccessibleName(self.tr("Buscar por"))
        self.key = QLineEdit(self)
        self.key.setPlaceholderText(self.tr("CURP, RFC o nombre con apellidos"))
        self.key.returnPressed.connect(self.search)
        self.search_button = QPushButton(self.tr("&Buscar"), self)
        self.search_button.clicked.connect(self.search)
        self.export_button = QPushButton(self.tr("&Exportar informe…"), self)
        self.export_button.setToolTip(self.tr("Guardar el informe de acceso en PDF y JSON"))
        self.export_button.clicked.connect(self.choose_folder)
        self.export_button.setEnabled(False)
        bar = QHBoxLayout()
        bar.addWidget(self.kind)
        bar.addWidget(self.key, 1)
        bar.addWidget(self.search_button)
        bar.addWidget(self.export_button)
        self.table = QTableWidget(0, len(COLUMNS), self)
        self.table.setHorizontalHeaderLabels([self.tr(c) for c in COLUMNS])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(5, QHeaderView.ResizeMode.Stretch)
        self.summary = QLabel(self)
        self.summary.setWordWrap(True)
        self.message = QLabel(self)
        self.message.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        layout.addWidget(self._request_box())
        layout.addWidget(self.message)

    def _request_box(self) -> QGroupBox:
        box = QGroupBox(self.tr("Registrar una solicitud sobre la persona buscada"), self)
        self.request_kind = QComboBox(box)
        for key, label in REQUEST_KINDS.items():
            self.request_kind.addItem(self.tr(label), key)
        self.requester = QLineEdit(box)
        self.requester.setPlaceholderText(self.tr("La persona o su representante"))
        self.details = QLineEdit(box)
        self.details.setPlaceholderText(self.tr("Qué pide"))
        self.record_button = QPushButton(self.tr("&Registrar la solicitud"), box)
        self.record_button.clicked.connect(self.record_request)
        form = QFormLayout(box)
        form.addRow(self.tr("&Tipo"), self.request_kind)
        form.addRow(self.tr("&Solicitante"), self.requester)
        form.addRow(self.tr("&Detalle"), self.details)
        form.addRow("", self.record_button)
        return box

    # -- searching ---------------------------------------------------------------------------

    def _key(self) -> tuple[str, str]:
        return str(self.kind.currentData()), self.key.text()

    @Slot()
    def search(self) -> None:
        kind, text = self._key()
        service = self.service

        def op(context: TaskContext) -> PersonData:
            return service.find(kind, text)

        self._say(self.tr("Buscando…"))
        self.runner.run(
            op, name="arco_buscar", on_success=self._show, on_failure=self._failed, owner=self
        )

    def _show(self, person: PersonData) -> None:
        self.person = person
        self.table.setRowCount(len(person.filings))
        for number, filing in enumerate(person.filings):
            sender = filing.current.sender
            notes = []
            if filing.corrections:
                notes.append(self.tr("{0} corrección(es)").format(len(filing.corrections)))
            if filing.restrictions:
                notes.append(self.tr("uso restringido"))
            values = (
                filing.folio,
                f"{filing.received_at:%d/%m/%Y %H:%M}",
                sender.name,
                sender.curp or "",
                sender.rfc or "",
                filing.current.subject,
                str(len(filing.documents)),
                "; ".join([STATUS_LABELS.get(filing.status, str(filing.status)), *notes]),
            )
            for column, value in enumerate(values):
                self.table.setItem(number, column, QTableWidgetItem(value))
        self.table.resizeColumnsToContents()
        text = self.tr("{0}: {1} escrito(s), {2} documento(s), {3} solicitud(es) ARCO.").format(
            person.key.label, len(person.filings), person.documents, len(person.requests)
        )
        self.summary.setText(" ".join([text, *person.notes]))
        self.export_button.setEnabled(True)
        self._say("")
        self.found.emit(person)

    # -- exporting ---------------------------------------------------------------------------

    @Slot()
    def choose_folder(self) -> None:
        """Ask for the folder (non-blocking); the dialog's choice goes to ``export_to``."""
        dialog = QFileDialog(self, self.tr("Carpeta donde guardar el informe de acceso"))
        dialog.setFileMode(QFileDialog.FileMode.Directory)
        dialog.setOption(QFileDialog.Option.ShowDirsOnly, True)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.fileSelected.connect(self.export_to)
        self.folder_dialog = dialog
        dialog.open()

    @Slot(str)
    def export_to(self, folder: str) -> None:
        if self.person is None or not folder:
            return
        key = self.person.key
        service = self.service

        def op(context: TaskContext) -> ArcoExport:
            return service.export(key.kind, key.value, Path(folder))

        self.export_button.setEnabled(False)
        self._say(self.tr("Guardando el informe…"))
        self.runner.run(
            op, name="arco_exportar", on_success=self._saved, on_failure=self._failed, owner=self
        )

    def _saved(self, exported: ArcoExport) -> None:
        self.export_button.setEnabled(True)
        text = self.tr("Se guardó el informe: {0} y {1}.").format(
            exported.pdf_path, exported.json_path.name
        )
        self._say(text, DONE_STYLE)
        self.exported.emit(exported)

    # -- requests ----------------------------------------------------------------------------

    @Slot()
    def record_request(self) -> None:
        kind, text = self._key()
        request_kind = str(self.request_kind.currentData())
        requester, details = self.requester.text(), self.details.text()
        service = self.service

        def op(context: TaskContext) -> ArcoRequest:
            return service.register_request(request_kind, kind, text, requester, details=details)

        self.runner.run(
            op,
            name="arco_solicitud",
            on_success=self._recorded,
            on_failure=self._failed,
            owner=self,
        )

    def _recorded(self, request: ArcoRequest) -> None:
        self.requester.clear()
        self.details.clear()
        text = self.tr("Solicitud {0} registrada: {1}, sobre {2}.").format(
            request.id, request.kind_label, request.key.label
        )
        self._say(text, DONE_STYLE)
        self.request_recorded.emit(request)

    def _failed(self, error: OficialiaError) -> None:
        self.export_button.setEnabled(self.person is not None)
        self._say(error.message, ERROR_STYLE)
        self.failed.emit(error.message)

    def _say(self, text: str, style: str = "") -> None:
        show_message(self.message, text, style)
