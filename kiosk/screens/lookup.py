"""Looking up a trámite: the folio together with the receipt's «código de consulta», or the
receipt's QR held to the camera or laid on the scanner. A folio alone shows nothing (folios are
sequential; see ``kiosk.lookup``).

Camera frames are decoded on the task helper's threads, one at a time, a few times a second:
a QR decode of a 1080p frame takes tens of milliseconds, too long for the GUI thread.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QStackedWidget, QVBoxLayout, QWidget

from kiosk.i18n import citizen_text
from kiosk.keyboard import CODE_HINTS
from kiosk.lookup import LOOKUP_FAILED, FilingLookup
from kiosk.screens import ops
from kiosk.screens.base import Flow, KioskScreen, cancel
from kiosk.screens.photo import CameraPanel
from kiosk.session import Screen
from kiosk.widgets import BigButton, BigLineEdit, label, qimage_to_pil
from kiosk.wording import Wording
from mailroom.errors import OficialiaError
from mailroom.ui.tasks import TaskContext, TaskHandle

DECODE_INTERVAL_MS = 400
Search = Callable[[TaskContext], FilingLookup | None]
Hint = Qt.InputMethodHint


class LookupScreen(KioskScreen):
    shows = Screen.LOOKUP

    def __init__(self, flow: Flow, parent: QWidget | None = None) -> None:
        super().__init__(flow, parent)
        self.question.setText(self.tr("Consultar un trámite"))
        self.pages = QStackedWidget(self)
        self.pages.addWidget(self._typed_page())
        self.camera_panel = CameraPanel("", self)
        self.camera_panel.closed.connect(self._close_camera)
        self.camera_panel.failed.connect(self._camera_failed)
        self.pages.addWidget(self.camera_panel)
        self.body.addWidget(self.pages, 1)
        self._task: TaskHandle[FilingLookup | None] | None = None
        self._decoder = QTimer(self)
        self._decoder.setInterval(DECODE_INTERVAL_MS)
        self._decoder.timeout.connect(self._decode_frame)

    def _typed_page(self) -> QWidget:
        page = QWidget()
        self.folio = BigLineEdit(self.tr("Folio"), max_length=40, hints=CODE_HINTS)
        self.code = BigLineEdit(self.tr("Código de consulta"), max_length=12, hints=CODE_HINTS)
        self.code.setPlaceholderText("XXXX-XXXX")
        for edit in (self.folio, self.code):
            edit.textEdited.connect(lambda _text, edit=edit: edit.set_problem(False))
        self.folio.returnPressed.connect(self.code.setFocus)
        self.code.returnPressed.connect(self._by_code)
        self.search_button = BigButton(self.tr("Consultar"), kind="primary")
        self.search_button.clicked.connect(self._by_code)
        self.camera_button = BigButton(self.tr("Mostrar el QR a la cámara"))
        self.camera_button.clicked.connect(self._open_camera)
        self.scanner_button = BigButton(self.tr("Leer con el escáner"))
        self.scanner_button.clicked.connect(self._by_scanner)
        self.status = label("", "etiqueta")
        fields = QGridLayout()
        fields.setHorizontalSpacing(32)
        fields.addWidget(label(self.tr("Folio de su ticket"), "etiqueta"), 0, 0)
        fields.addWidget(label(self.tr("Código de consulta"), "etiqueta"), 0, 1)
        fields.addWidget(self.folio, 1, 0)
        fields.addWidget(self.code, 1, 1)
        fields.addWidget(self.search_button, 1, 2)
        qr_row = QHBoxLayout()
        qr_row.addWidget(self.camera_button)
        qr_row.addWidget(self.scanner_button)
        qr_row.addStretch(1)
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(label(self.tr("Escriba el folio y el código de consulta que vienen en "
                                       "su ticket."), "explicacion"))  # fmt: skip
        layout.addLayout(fields)
        layout.addSpacing(48)
        layout.addWidget(label(self.tr("O use el código QR de su ticket:"), "etiqueta"))
        layout.addLayout(qr_row)
        layout.addWidget(self.status)
        layout.addStretch(1)
        return page

    def entered(self) -> None:
        self.camera_button.setVisible(self.flow.camera_allowed())
        self._set_searching(False)
        self.folio.setFocus()

    def left(self) -> None:
        self._close_camera()
        cancel(self._task)
        self._task = None
        self._set_searching(False)

    def go_back(self) -> bool:
        if self.camera_panel.active:
            self._close_camera()
            return True
        return False

    # -- by folio and code -------------------------------------------------------------------

    def _by_code(self) -> None:
        folio, code = self.folio.text().strip(), self.code.text().strip()
        if not folio:
            self._refuse(self.folio, self.tr("Escriba el folio que viene en su ticket."))
            return
        if not code:
            self._refuse(self.code, self.tr("Escriba también el código de consulta: viene en su "
                                            "ticket, debajo del folio."))  # fmt: skip
            return
        desk = self.flow.desk
        self._search(lambda context: desk.find_by_code(folio, code), self.tr("Buscando…"))

    def _refuse(self, edit: BigLineEdit, message: str) -> None:
        self.banner.show_message(message, "error")
        edit.set_problem(True)
        edit.setFocus()

    # -- by the receipt's QR -----------------------------------------------------------------

    def _by_scanner(self) -> None:
        desk = self.flow.desk
        spec = desk.scan_spec()

        def read(context: TaskContext) -> FilingLookup:
            return desk.find_by_qr(ops.scan_for_qr(desk.settings, spec, context.cancel))

        self._search(read, self.tr("Leyendo su ticket en el escáner…"))

    def _open_camera(self) -> None:
        camera = self.flow.camera()
        instructions = self.tr("Acerque el código QR de su ticket a la cámara.")
        device = self.flow.desk.settings.kiosk_camera
        said: list[str] = []
        self.camera_panel.failed.connect(said.append)
        opened = camera is not None and self.camera_panel.open(camera, device, instructions)
        self.camera_panel.failed.disconnect(said.append)
        if not opened:
            if not said:  # the camera's own words, when it said why, stay on the banner
                self._camera_failed(self.tr("La cámara no está disponible."))
            return
        self.banner.forget()
        self.pages.setCurrentWidget(self.camera_panel)
        self._decoder.start()

    def _close_camera(self) -> None:
        self._decoder.stop()
        if self.camera_panel.active:
            self.camera_panel.stop()
        self.pages.setCurrentIndex(0)

    def _camera_failed(self, message: str) -> None:
        self._close_camera()
        self.camera_button.hide()
        self.banner.show_message(message, "warning")

    def _decode_frame(self) -> None:
        frame = self.camera_panel.latest_frame()
        if self._task is not None or frame is None or frame.isNull():
            return
        desk = self.flow.desk

        def decode(context: TaskContext) -> FilingLookup | None:
            text = ops.read_qr(qimage_to_pil(frame))
            return desk.find_by_qr(text) if text else None

        self._search(decode, "")

    # -- the answer --------------------------------------------------------------------------

    def _search(self, work: Search, status: str) -> None:
        if self._task is not None:
            return
        number = self.flow.number
        self._set_searching(True, status)
        handle = self.flow.runner.run(
            work,
            name="consultar_tramite",
            on_success=lambda found: self._found(found, number),
            on_failure=lambda error: self._not_found(error, number),
            owner=self,
        )
        handle.finished.connect(lambda: self._ended(handle))
        self._task = handle

    def _ended(self, handle: TaskHandle[FilingLookup | None]) -> None:
        if self._task is handle:
            self._task = None
            self._set_searching(False)

    def _set_searching(self, searching: bool, status: str = "") -> None:
        for button in (self.search_button, self.camera_button, self.scanner_button):
            button.setEnabled(not searching)
        self.status.setText(status if searching else "")

    def _found(self, found: FilingLookup | None, number: int) -> None:
        if found is None or number != self.flow.number:
            return
        self._close_camera()
        self.flow.lookup = found
        self.flow.act(self.flow.session.looked_up)

    def _not_found(self, error: OficialiaError, number: int) -> None:
        if number == self.flow.number:
            said: Wording | OficialiaError | None = (
                error if isinstance(error.details.get("wording"), Wording) else None
            )
            if said is None and isinstance(error, ops.CITIZEN_FAULTS):
                said = ops.citizen_message(error)  # the scanner, reading the ticket's QR
            self.banner.show_message(citizen_text(said or LOOKUP_FAILED), "error")

    def forget(self) -> None:
        super().forget()
        self.left()
        self.folio.forget()
        self.code.forget()
        self.camera_button.show()
