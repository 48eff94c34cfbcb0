"""The filing detail screen: one folio's pages, OCR text, acuse, seal check and history, and what
the office does with it (turnar, cambiar estado, cancelar, reimprimir el acuse).

Everything is read through ``mailroom.filing_detail.FilingDetailService`` and every action goes
through ``mailroom.routing.RoutingService``, both in the task helper; after an action the screen
reads the filing again, so what it shows is what the database says. Dialogs open with ``open()``
and act on ``accepted``: nothing waits while the work runs.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from mailroom.config import Settings
from mailroom.errors import OficialiaError
from mailroom.filing_detail import FilingDetailData, FilingDetailService, PageText, SignatureSummary
from mailroom.models import Addressee, AreaRole, FilingStatus, OcrStatus
from mailroom.permissions import Action, acting, allowed
from mailroom.routing import LIFECYCLE, ROLE_LABELS, RoutingService, next_status, status_label
from mailroom.store import Store
from mailroom.ui.acuse_view import INVALID_STYLE, SEALED_STYLE, AcusePreview, SealCheckPanel
from mailroom.ui.pdf_view import PdfView
from mailroom.ui.tasks import TaskContext, TaskRunner

SYNC_LABELS = {
    "pendiente": "pendiente de enviar",
    "enviando": "enviando",
    "sincronizada": "sincronizada",
    "requiere_atencion": "requiere atención",
}


class FilingDetail(QWidget):
    loaded = Signal(object)  # FilingDetailData, once shown
    signatures_checked = Signal(object)  # SignatureSummary, once shown
    action_finished = Signal(str)  # the audit event's kind (escrito_turnado, …)
    action_failed = Signal(str)  # the Spanish message, also shown on screen

    def __init__(
        self, runner: TaskRunner, store: Store, settings: Settings, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.runner = runner
        self.settings = settings
        self.service = FilingDetailService(store, settings)
        self.routing = RoutingService(store, settings)
        self.data: FilingDetailData | None = None
        self.dialog: _ActionDialog | None = None
        self._folio = ""
        self._request = 0  # a newer show_filing() drops what an older one reads
        self._checked_sha: str | None = None
        header = self._build_header()
        self._build_tabs()
        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addWidget(self.tabs, 1)
        self._enable_actions()

    def _build_header(self) -> QVBoxLayout:
        self.folio_label = QLabel(self.tr("Ningún escrito abierto"), self)
        self.folio_label.setStyleSheet("font-size: 14pt; font-weight: bold;")
        self.institutional_label, self.status_label = QLabel(self), QLabel(self)
        self.sync_label, self.routes_label, self.message_label = QLabel(), QLabel(), QLabel()
        self.routes_label.setWordWrap(True)
        self.message_label.setWordWrap(True)
        self.route_button = self._button(
            self.tr("&Turnar…"), self.tr("Turnar el escrito a un área, directo o con copia")
        )
        self.status_button = self._button(
            self.tr("Cambiar &estado…"), self.tr("Pasar el escrito a su siguiente estado")
        )
        self.cancel_button = self._button(self.tr("&Cancelar escrito…"), "")
        self.reprint_button = self._button(
            self.tr("&Reimprimir acuse"), self.tr("Volver a imprimir el acuse guardado")
        )
        self.route_button.clicked.connect(self.open_route_dialog)
        self.status_button.clicked.connect(self.open_status_dialog)
        self.cancel_button.clicked.connect(self.open_cancel_dialog)
        self.reprint_button.clicked.connect(self.reprint_acuse)
        top = QHBoxLayout()
        top.addWidget(self.folio_label)
        top.addStretch(1)
        for label in (self.institutional_label, self.status_label, self.sync_label):
            top.addWidget(label)
        actions = QHBoxLayout()
        for button in (
            self.route_button,
            self.status_button,
            self.cancel_button,
            self.reprint_button,
        ):
            actions.addWidget(button)
        actions.addStretch(1)
        header = QVBoxLayout()
        header.addLayout(top)
        header.addWidget(self.routes_label)
        header.addLayout(actions)
        header.addWidget(self.message_label)
        return header

    def _button(self, text: str, tip: str) -> QPushButton:
        button = QPushButton(text, self)
        button.setAccessibleName(text.replace("&", "").rstrip("…"))
        button.setToolTip(tip)
        return button

    def _build_tabs(self) -> None:
        self.tabs = QTabWidget(self)
        self.pages = PdfView(self.runner, self)
        self.text = QPlainTextEdit(self)
        self.text.setReadOnly(True)
        self.ocr_label = QLabel(self)
        self.acuse = AcusePreview(self.runner, self)
        self.signatures = SealCheckPanel(self)
        self.history = QTableWidget(0, 4, self)
        self.history.setHorizontalHeaderLabels(
            [self.tr("Fecha"), self.tr("Usuario"), self.tr("Evento"), self.tr("Detalle")]
        )
        self.history.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.history.verticalHeader().setVisible(False)
        self.history.horizontalHeader().setStretchLastSection(True)
        text_tab = QWidget(self)
        text_layout = QVBoxLayout(text_tab)
        text_layout.addWidget(self.ocr_label)
        text_layout.addWidget(self.text, 1)
        self.tabs.addTab(self.pages, self.tr("Páginas"))
        self.tabs.addTab(text_tab, self.tr("Texto"))
        self.tabs.addTab(self.acuse, self.tr("Acuse"))
        self.tabs.addTab(self.signatures, self.tr("Firmas"))
        self.tabs.addTab(self.history, self.tr("Historial"))

    # -- showing a filing --------------------------------------------------------------------

    def show_filing(self, folio_or_id: str) -> None:
        """Read the filing off the GUI thread and show it; then check the acuse's seal."""
        self._folio = folio_or_id.strip()
        self.message_label.clear()
        self.refresh()

    @Slot()
    def refresh(self) -> None:
        if self._folio:
            self._request += 1
            self._run("abrir_escrito", self.service.load, self._folio, shown=self._show)

    def _run(self, name: str, function: Callable[..., Any], *args: Any, shown: Any) -> None:
        self.runner.run(
            functools.partial(_call, function, *args),
            name=name,
            on_success=functools.partial(shown, self._request),
            on_failure=functools.partial(self._show_error, self._request),
            owner=self,
        )

    def _show(self, request: int, data: FilingDetailData) -> None:
        if request != self._request:
            return
        same_filing = self.data is not None and self.data.filing.id == data.filing.id
        self.data, filing = data, data.filing
        self._folio = filing.folio
        self.folio_label.setText(self.tr("Folio {0}").format(filing.folio))
        self.institutional_label.setText(
            self.tr("Folio institucional: {0}").format(
                filing.institutional_folio or self.tr("se asigna al sincronizar")
            )
        )
        self.status_label.setText(self.tr("Estado: {0}").format(status_label(filing.status)))
        sync = SYNC_LABELS.get(filing.sync_status.value, filing.sync_status.value)
        self.sync_label.setText(self.tr("Sincronización: {0}").format(sync))
        routes = ", ".join(f"{r.area} ({ROLE_LABELS[r.role]})" for r in data.routes)
        self.routes_label.setText(
            self.tr("Turnado a: {0}").format(routes) if routes else self.tr("Sin turnar")
        )
        if not same_filing or self.pages.page_count != len(data.pages):
            self.pages.set_pages(data.pages)
        if data.documents_notice and not same_filing:
            self.message_label.setText(data.documents_notice)  # purged: say why no pages show
        self._show_texts(data)
        self._show_acuse(data)
        self._show_history(data)
        self._enable_actions()
        self.loaded.emit(data)

    def _show_acuse(self, data: FilingDetailData) -> None:
        acuse = data.acuse
        if acuse is None:
            self.acuse.clear(data.acuse_problem or "")
        elif self.acuse.acuse is None or self.acuse.acuse.sha256 != acuse.sha256:
            self.acuse.show_acuse(acuse)
        checked = acuse.sha256 if acuse is not None else data.acuse_problem
        if checked != self._checked_sha:  # a seal is checked again only when it changed
            self._checked_sha = checked
            self.signatures.show_checking()
            self._run("comprobar_sello", self.service.verify_acuse, self._folio, shown=self._signed)

    def _show_texts(self, data: FilingDetailData) -> None:
        ocr = data.ocr
        self.ocr_label.setText(
            self.tr("Texto reconocido en {0} de {1} página(s); {2} con error.").format(
                ocr.pages_done, ocr.pages_total, ocr.pages_failed
            )
        )
        self.text.setPlainText("\n\n".join(self._page_text(page) for page in data.texts))

    def _page_text(self, page: PageText) -> str:
        title = self.tr("— Página {0} ({1}, p. {2})").format(
            page.position, page.document, page.page_no
        )
        if page.ocr_status in (OcrStatus.PENDIENTE, OcrStatus.PROCESANDO):
            return title + self.tr(": OCR pendiente —")
        if page.ocr_status is OcrStatus.FALLIDA:
            return title + self.tr(": el OCR falló — {0}").format(page.error or "")
        if page.confidence is None:
            return title + self.tr(", texto del PDF —\n") + page.text
        confidence = self.tr(", confianza {0:.0f} % —\n").format(page.confidence)
        return title + confidence + page.text

    def _show_history(self, data: FilingDetailData) -> None:
        self.history.setRowCount(len(data.history))
        for row, entry in enumerate(data.history):
            when = entry.at.strftime("%Y-%m-%d %H:%M")
            for column, value in enumerate((when, entry.actor, entry.label, entry.details)):
                self.history.setItem(row, column, QTableWidgetItem(value))
        self.history.resizeColumnsToContents()

    def _signed(self, request: int, summary: SignatureSummary) -> None:
        if request == self._request:
            self.signatures.show_summary(summary)
            self.signatures_checked.emit(summary)

    def _show_error(self, request: int, error: OficialiaError) -> None:
        if request == self._request:
            self.message_label.setText(error.message)
            self.message_label.setStyleSheet(INVALID_STYLE)
            self.action_failed.emit(error.message)

    # -- actions -----------------------------------------------------------------------------

    def _enable_actions(self) -> None:
        status = self.data.filing.status if self.data else None
        open_filing = status is not None and status is not FilingStatus.CANCELADA
        self.route_button.setEnabled(open_filing)
        self.status_button.setEnabled(status is not None and next_status(status) is not None)
        self.reprint_button.setEnabled(self.data is not None and self.data.acuse is not None)
        # A courtesy: the routing service refuses anyone else anyway.
        may_cancel = allowed(acting(self.settings), Action.CANCELAR)
        self.cancel_button.setEnabled(open_filing and may_cancel)
        if not may_cancel:
            tip = self.tr("Solo un supervisor o un administrador puede cancelar un escrito.")
        elif status is FilingStatus.CANCELADA:
            tip = self.tr("El escrito ya está cancelado.")
        else:
            tip = self.tr("Cancelar el escrito indicando el motivo")
        self.cancel_button.setToolTip(tip)

    def refresh_permissions(self) -> None:
        """Someone else signed in: the buttons follow what that person may do."""
        self._enable_actions()

    def route_to(self, addressees: list[Addressee], note: str = "") -> None:
        self._act("turnar", self.routing.route, addressees, note)

    def change_status_to(self, target: FilingStatus | str, note: str = "") -> None:
        self._act("cambiar_estado", self.routing.change_status, target, note)

    def cancel_filing(self, reason: str) -> None:
        self._act("cancelar", self.routing.cancel, reason)

    @Slot()
    def reprint_acuse(self) -> None:
        """Record the reprint (an audit event), then open the print dialog on the acuse."""
        self._act("reimprimir_acuse", self.routing.reprint_acuse)

    @Slot()
    def print_acuse(self) -> None:
        self.tabs.setCurrentWidget(self.acuse)
        self.acuse.print_acuse()

    def _act(self, name: str, action: Callable[..., Any], *args: Any) -> None:
        if self._folio:
            self.message_label.setText(self.tr("Guardando…"))
            self.message_label.setStyleSheet("")
            self._run(name, action, self._folio, *args, shown=self._acted)

    def _acted(self, request: int, change: Any) -> None:
        if hasattr(change, "acuse"):  # a reprint: the acuse as stored, checked against its hash
            self.message_label.setText(self.tr("Reimpresión registrada en la bitácora."))
            self.action_finished.emit("acuse_reimpreso")
            self.print_acuse()
        else:
            self.message_label.setText(
                self.tr("Hecho: el escrito {0} queda {1}.").format(
                    change.folio, status_label(change.status)
                )
            )
            self.action_finished.emit(change.kind)
        self.message_label.setStyleSheet(SEALED_STYLE)
        self.refresh()

    # -- dialogs (open(), never exec()) ------------------------------------------------------

    @Slot()
    def open_route_dialog(self) -> None:
        dialog = self._open(self.tr("Turnar escrito"), self.tr("Turnar"), "turnar")
        dialog.area = QComboBox(dialog)
        dialog.area.setEditable(True)
        dialog.role = QComboBox(dialog)
        dialog.role.addItem(self.tr("Directo"), AreaRole.DIRECTO.value)
        dialog.role.addItem(self.tr("Copia"), AreaRole.COPIA.value)
        dialog.form.insertRow(0, self.tr("Área:"), dialog.area)
        dialog.form.insertRow(1, self.tr("Turno:"), dialog.role)
        self.runner.run(
            functools.partial(_call, self.service.departments),
            name="areas",
            on_success=dialog.fill_areas,
            owner=dialog,
        )

    @Slot()
    def open_status_dialog(self) -> None:
        if self.data is None:
            return
        current = self.data.filing.status
        dialog = self._open(self.tr("Cambiar estado"), self.tr("Cambiar"), "estado")
        dialog.status = QComboBox(dialog)
        for status in LIFECYCLE[LIFECYCLE.index(current) + 1 :] if current in LIFECYCLE else ():
            dialog.status.addItem(status_label(status), status.value)
        dialog.status.setCurrentIndex(max(0, dialog.status.findData(next_status(current))))
        dialog.form.insertRow(0, self.tr("Nuevo estado:"), dialog.status)

    @Slot()
    def open_cancel_dialog(self) -> None:
        dialog = self._open(self.tr("Cancelar escrito"), self.tr("Cancelar escrito"), "cancelar")
        label = dialog.form.labelForField(dialog.note)
        if isinstance(label, QLabel):
            label.setText(self.tr("Motivo (queda en la bitácora):"))

    def _open(self, title: str, ok_text: str, kind: str) -> _ActionDialog:
        if self.dialog is not None:
            self.dialog.deleteLater()
        self.dialog = _ActionDialog(title, ok_text, self)
        self.dialog.accepted.connect(functools.partial(self._dialog_accepted, kind))
        self.dialog.open()
        return self.dialog

    def _dialog_accepted(self, kind: str) -> None:
        dialog = self.dialog
        if dialog is None:
            return
        note = dialog.note.text()
        if kind == "turnar":
            role = AreaRole(dialog.role.currentData())
            self.route_to([Addressee(dialog.area.currentText(), role)], note)
        elif kind == "estado":
            self.change_status_to(dialog.status.currentData(), note)
        else:
            self.cancel_filing(note)


class _ActionDialog(QDialog):
    """A small form (the fields its opener adds, then a note) with OK and "Cerrar"."""

    area: QComboBox
    role: QComboBox
    status: QComboBox

    def __init__(self, title: str, ok_text: str, parent: QWidget) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.form = QFormLayout()
        self.note = QLineEdit(self)
        self.form.addRow(self.tr("Nota:"), self.note)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(ok_text)
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(self.tr("Cerrar"))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        layout.addWidget(buttons)
        self.setMinimumWidth(420)

    @Slot(object)
    def fill_areas(self, names: list[str]) -> None:
        typed = self.area.currentText()
        self.area.addItems(names)
        self.area.setEditText(typed)


def _call(function: Callable[..., Any], *args: Any) -> Any:
    """``function(*args)`` as a task op (the helper passes its context last)."""
    *arguments, context = args
    assert isinstance(context, TaskContext)
    return function(*arguments)
