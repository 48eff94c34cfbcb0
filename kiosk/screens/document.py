"""The escrito itself: pages from the scanner's feeder (or a photo from the document camera),
shown large as they arrive, each with «Girar» and «Quitar».

Reading runs through the task helper and hands each page over as it is ready, with a preview
made on the worker thread; the pages join the capture only once the whole batch arrived (a
cancelled or failed scan leaves nothing half added). A scanner's fault (a jam, an empty feeder,
an open cover) comes back as the source's Spanish message, shown with the way forward.

A read cancelled by the wipe may still make a work folder in the capture it was given after the
capture was cleared; that capture is cleared once more when the read ends, so nothing of the
citizen stays on disk.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QHBoxLayout, QStackedWidget, QWidget

from kiosk.i18n import citizen_text
from kiosk.screens import ops
from kiosk.screens.base import Flow, KioskScreen, cancel
from kiosk.screens.photo import CameraPanel
from kiosk.session import Screen, check_page_count
from kiosk.spoken_text import sentences
from kiosk.widgets import PREVIEW_SIZE, BigButton, PageGrid, label, pil_to_qimage, qimage_to_pil
from kiosk.widgets import turned as turned_image
from mailroom.capture.session import Arrival, CaptureSession, SessionPage
from mailroom.errors import InvalidInput, OficialiaError
from mailroom.ui.tasks import TaskContext, TaskHandle

log = logging.getLogger(__name__)

Reader = Callable[[CaptureSession, TaskContext, Callable[[SessionPage], None]], Arrival]
"""Reads pages into the capture given, on a worker thread (it never touches a widget)."""


class DocumentScreen(KioskScreen):
    shows = Screen.DOCUMENT

    def __init__(self, flow: Flow, parent: QWidget | None = None) -> None:
        super().__init__(flow, parent)
        self.question.setText(self.tr("Ponga su escrito en el escáner y toque «Digitalizar»"))
        self.status = label("", "etiqueta", self)
        self.grid = PageGrid(self)
        self.grid.rotate_requested.connect(self._rotate)
        self.grid.remove_requested.connect(self._remove)
        self.camera_panel = CameraPanel(self.tr("Tomar foto"), self)
        self.camera_panel.taken.connect(self._photo_taken)
        self.camera_panel.closed.connect(lambda: self._show_camera(False))
        self.camera_panel.failed.connect(self._camera_failed)
        self.middle = QStackedWidget(self)
        self.middle.addWidget(self.grid)
        self.middle.addWidget(self.camera_panel)
        self.scan_button = BigButton(self.tr("Digitalizar"), self, kind="primary")
        self.photo_button = BigButton(self.tr("Tomar foto"), self)
        self.next_button = BigButton(self.tr("Continuar"), self, kind="primary")
        self.scan_button.clicked.connect(self._scan)
        self.photo_button.clicked.connect(self._open_camera)
        self.next_button.clicked.connect(self._next)
        self.action_row = QWidget(self)
        row = QHBoxLayout(self.action_row)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.scan_button)
        row.addWidget(self.photo_button)
        row.addStretch(1)
        row.addWidget(self.next_button)
        self.body.addWidget(self.status)
        self.body.addWidget(self.middle, 1)
        self.body.addWidget(self.action_row)
        self._images: dict[int, QImage] = {}  # previews by page key, as they came
        self._turned: dict[tuple[int, int], QImage] = {}  # and as turned, by (key, degrees)
        self._refresh_pending = False
        self._arriving: list[QImage] = []
        self._task: TaskHandle[Arrival] | None = None
        self._camera_broken = False
        self._again = ""
        self._refresh()

    # -- what shows --------------------------------------------------------------------------

    @property
    def capture(self) -> CaptureSession | None:
        return self.flow.desk.capture

    @property
    def reading(self) -> bool:
        return self._task is not None

    def entered(self) -> None:
        self._refresh()

    def spoken(self) -> str:
        # How many pages came, or what went wrong, is in the status line.
        return sentences(self.question.text(), self.status.text(), self.shown_banner())

    def left(self) -> None:
        self._stop_reading()
        self._show_camera(False)

    def _refresh(self) -> None:
        self._refresh_pending = False
        pages = self.capture.pages if self.capture is not None else ()
        images = [self._image(page) for page in pages]
        self.grid.show_pages(images + self._arriving)
        reading = self.reading
        self.scan_button.setText(self.tr("Digitalizar más") if pages else self.tr("Digitalizar"))
        self.scan_button.setEnabled(not reading)
        self.photo_button.setVisible(self.flow.camera_allowed() and not self._camera_broken)
        self.photo_button.setEnabled(not reading)
        self.next_button.setEnabled(bool(pages) and not reading)
        self.status.setText(self._status(len(pages), reading))

    def _status(self, pages: int, reading: bool) -> str:
        if reading:
            read = str(len(self._arriving))
            return self.tr("Leyendo su escrito. Páginas leídas: %1").replace("%1", read)
        if pages == 1:
            return self.tr("1 página. Revise que se vea bien.")
        if pages:
            return self.tr("%1 páginas. Revise que se vean bien.").replace("%1", str(pages))
        return ""

    def _image(self, page: SessionPage) -> QImage:
        """The page's preview as the citizen turned it (made once per turn)."""
        turned = self._turned.get((page.key, page.turn))
        if turned is not None:
            return turned
        image = self._images.get(page.key)
        if image is None:  # a page whose preview never arrived: its small thumbnail
            image = self._images[page.key] = pil_to_qimage(page.thumbnail)
        turned = self._turned[(page.key, page.turn)] = turned_image(image, page.turn)
        return turned

    # -- reading pages -----------------------------------------------------------------------

    def _scan(self) -> None:
        spec = self.flow.desk.scan_spec()
        again = self.tr("Revise la hoja y toque «Digitalizar» otra vez.")
        self._read(again, lambda capture, context, publish: ops.scan_into(
            capture, spec, context.cancel, publish, context.progress))  # fmt: skip

    def _read(self, again: str, reader: Reader) -> None:
        """``again``: what to do after a fault the citizen can fix."""
        self.banner.forget()
        self._again = again
        capture = self.capture or self.flow.desk.new_capture()
        number = self.flow.number

        def op(context: TaskContext) -> Arrival:
            def publish(page: SessionPage) -> None:
                context.publish((page.key, pil_to_qimage(ops.preview(page, PREVIEW_SIZE))))

            return reader(capture, context, publish)

        self._arriving = []
        handle = self.flow.runner.run(
            op,
            name="leer_escrito",
            on_success=lambda arrival: self._arrived(arrival, number),
            on_failure=lambda error: self._failed(error, number),
            on_published=lambda piece: self._page_arrived(piece, number),
            owner=self,
        )
        handle.finished.connect(lambda: self._read_ended(handle, capture))
        self._task = handle
        self._refresh()
        if handle.done:  # a synchronous runner finished before the connection above
            self._read_ended(handle, capture)

    def _page_arrived(self, piece: tuple[int, QImage], number: int) -> None:
        if number != self.flow.number:
            return
        key, image = piece
        self._images[key] = image
        self._arriving.append(image)
        # A fast feeder hands pages over in bursts, all delivered in one pass of the event
        # loop: one refresh after the burst, not one per page, keeps each pass short.
        if not self._refresh_pending:
            self._refresh_pending = True
            QTimer.singleShot(0, self, self._refresh)

    def _arrived(self, arrival: Arrival, number: int) -> None:
        capture = self.capture
        if number != self.flow.number or capture is None:
            return
        capture.add(arrival)
        self._arriving = []  # they are the capture's now: shown once, not twice
        self._pages_changed()

    def _failed(self, error: OficialiaError, number: int) -> None:
        if number != self.flow.number:
            return
        message = ops.citizen_message(error)
        if message is None:  # staff's to fix: said in the log, in their words
            log.warning("the citizen's scan failed: %s", error.message)
            self.banner.show_message(citizen_text(ops.SCANNER_UNAVAILABLE_WORDING), "error")
            return
        self.banner.show_message(f"{citizen_text(message)} {self._again}", "error")

    def _read_ended(self, handle: TaskHandle[Any], capture: CaptureSession) -> None:
        if self._task is handle:
            self._task = None
            self._arriving = []
            self._refresh()
        if capture is not self.capture:
            capture.clear()  # wiped while reading: what the read made afterwards goes too

    def _stop_reading(self) -> None:
        handle, self._task = self._task, None
        cancel(handle)
        self._arriving = []

    # -- the camera --------------------------------------------------------------------------

    def _open_camera(self) -> None:
        camera = self.flow.camera()
        device = self.flow.desk.settings.kiosk_camera
        instructions = self.tr("Ponga la hoja completa dentro del recuadro amarillo, sin sombras, "
                               "y toque «Tomar foto».")  # fmt: skip
        if camera is None or not self.camera_panel.open(camera, device, instructions):
            if not self._camera_broken:  # the camera's own words, when it said why, stay
                self._camera_failed(
                    self.tr("La cámara no está disponible. Use el escáner, por favor.")
                )
            return
        self._show_camera(True)

    def _show_camera(self, shown: bool) -> None:
        if not shown and self.camera_panel.active:
            self.camera_panel.stop()
        self.middle.setCurrentWidget(self.camera_panel if shown else self.grid)
        self.action_row.setVisible(not shown)

    def _camera_failed(self, message: str) -> None:
        self._show_camera(False)
        self._camera_broken = True
        self.photo_button.hide()
        # Every camera message says what to do instead (use the scanner).
        self.banner.show_message(message, "warning")

    def _photo_taken(self, frame: QImage) -> None:
        self._show_camera(False)
        desk = self.flow.desk
        again = self.tr("Toque «Tomar foto» para intentarlo de nuevo.")
        self._read(again, lambda capture, context, publish: ops.photo_into(
            capture, qimage_to_pil(frame), desk.photo_folder, context.cancel, publish))  # fmt: skip

    # -- the citizen's changes ---------------------------------------------------------------

    def _rotate(self, index: int) -> None:
        if self._in_capture(index):
            self.capture.rotate(index, 90)  # type: ignore[union-attr]
            self._refresh()

    def _remove(self, index: int) -> None:
        if self._in_capture(index):
            self.capture.delete(index)  # type: ignore[union-attr]
            self._pages_changed()

    def _in_capture(self, index: int) -> bool:
        """A page of the capture, not one still arriving (those join it once all came; the
        capture's operations are safe meanwhile: a read never changes it)."""
        return self.capture is not None and 0 <= index < len(self.capture.pages)

    def _pages_changed(self) -> None:
        count = len(self.capture.pages) if self.capture is not None else 0
        self.flow.session.pages_changed(count, self.flow.now())
        try:
            if count:
                check_page_count(count, self.flow.session.max_pages)
            self.banner.forget()
        except InvalidInput as error:
            self.banner.show_message(citizen_text(error), "warning")
        self._refresh()

    def _next(self) -> None:
        error = self.flow.act(self.flow.session.document_done)
        if error is not None:
            self.refused(error)

    def forget(self) -> None:
        super().forget()
        self._stop_reading()
        self._show_camera(False)
        self._images.clear()
        self._turned.clear()
        self._camera_broken = False
        self.grid.forget()
        self._refresh()
