"""«Equipo»: whether this counter is enrolled with the state's server, and enrolling it with the
one-time token the state's administrator gave (``sync.enrolment.enroll_at``, an administrator's
action). The sync panel beside the counter keeps showing the day-to-day state."""

from __future__ import annotations

from datetime import UTC, datetime

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import (
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from mailroom.config import Settings
from mailroom.errors import OficialiaError
from mailroom.store import Store
from mailroom.ui.messages import DONE_STYLE, ERROR_STYLE, show_message
from mailroom.ui.tasks import TaskContext, TaskRunner
from sync.enrolment import Enrolment, enroll_at
from sync.status import SyncReport, sync_report


class DeviceTab(QWidget):
    read = Signal(object)  # SyncReport
    enrolled = Signal(object)  # Enrolment
    failed = Signal(str)

    def __init__(
        self, store: Store, settings: Settings, runner: TaskRunner, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.store = store
        self.settings = settings
        self.runner = runner
        self.state = QLabel(self.tr("Consultando…"), self)
        self.state.setWordWrap(True)
        self.url = QLineEdit(settings.backend_url, self)
        self.url.setPlaceholderText("https://…")
        self.token = QLineEdit(self)
        self.token.setPlaceholderText(self.tr("El token de un solo uso del servidor estatal"))
        self.enrol_button = QPushButton(self.tr("&Dar de alta este equipo"), self)
        self.enrol_button.clicked.connect(self.enrol)
        self.message = QLabel(self)
        self.message.setWordWrap(True)
        form = QFormLayout()
        form.addRow(self.tr("&Servidor estatal"), self.url)
        form.addRow(self.tr("&Token de alta"), self.token)
        form.addRow("", self.enrol_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.state)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addStretch(1)
        self.refresh()

    @Slot()
    def refresh(self) -> None:
        store = self.store

        def op(context: TaskContext) -> SyncReport:
            return sync_report(store.reader())

        self.runner.run(
            op, name="estado_del_equipo", on_success=self._show, on_failure=self._failed, owner=self
        )

    def _show(self, report: SyncReport) -> None:
        device = self.settings.device
        if not report.enrolled:
            text = self.tr("El equipo {0} no está dado de alta con el servidor estatal.")
            self.state.setText(text.format(device))
        elif report.reenrol_required:
            text = self.tr(
                "El servidor dio de baja el equipo {0}: {1} Dé de alta el equipo otra vez."
            )
            self.state.setText(text.format(device, report.revoked_message or ""))
        else:
            text = self.tr("El equipo {0} está dado de alta en {1} (identificador {2}).")
            self.state.setText(text.format(device, report.backend_url, report.device_id))
            if not self.url.text():
                self.url.setText(report.backend_url or "")
        self.read.emit(report)

    @Slot()
    def enrol(self) -> None:
        url, token = self.url.text().strip(), self.token.text().strip()
        if not url or not token:
            self._failed_text(self.tr("Escriba la dirección del servidor y el token de alta."))
            return
        store, settings = self.store, self.settings
        self.enrol_button.setEnabled(False)
        self._say("", DONE_STYLE)

        def op(context: TaskContext) -> Enrolment:
            return enroll_at(settings, store, url, token, datetime.now(UTC))

        self.runner.run(
            op, name="dar_de_alta", on_success=self._enrolled, on_failure=self._failed, owner=self
        )

    def _enrolled(self, enrolment: Enrolment) -> None:
        self.enrol_button.setEnabled(True)
        self.token.clear()
        text = self.tr("Equipo dado de alta en {0} (identificador {1}).")
        self._say(text.format(enrolment.backend_url, enrolment.device_id), DONE_STYLE)
        self.enrolled.emit(enrolment)
        self.refresh()

    def _failed(self, error: OficialiaError) -> None:
        self._failed_text(error.message)

    def _failed_text(self, message: str) -> None:
        self.enrol_button.setEnabled(True)
        self._say(message, ERROR_STYLE)
        self.failed.emit(message)

    def _say(self, text: str, style: str) -> None:
        show_message(self.message, text, style)
