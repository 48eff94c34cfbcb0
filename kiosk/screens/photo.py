"""The document camera's live picture, for a photo of a sheet or for a receipt's QR.

Frames arrive at the camera's rate (often 30 a second, 1080p); the preview shows a few a second,
scaled fast, because every frame scaled smoothly on the GUI thread would cost it more than the
50 ms a citizen's tap may wait. The camera is stopped (and so released: its light goes off) as
soon as the panel closes.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from kiosk.widgets import BigButton, label

if TYPE_CHECKING:
    from kiosk.camera import DocumentCamera

PREVIEW_INTERVAL = 0.12
"""Seconds between preview frames shown."""


class CameraPanel(QWidget):
    """The preview, what to do, and (for a photo) «Tomar foto»."""

    taken = Signal(QImage)  # «Tomar foto»: the still to read
    closed = Signal()  # the citizen closed the camera
    failed = Signal(str)  # the camera stopped or could not start

    def __init__(self, capture_text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.camera: DocumentCamera | None = None
        self._shown_at = 0.0
        self.instructions = label("", "explicacion", self)
        self.preview = QLabel(self)
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.preview.setMinimumSize(480, 320)
        self.preview.setStyleSheet("background: #222222;")
        self.take_button = BigButton(capture_text, self, kind="primary")
        self.take_button.setVisible(bool(capture_text))
        self.take_button.clicked.connect(self._take)
        self.close_button = BigButton(self.tr("Cerrar la cámara"), self)
        self.close_button.clicked.connect(self._close_tapped)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.instructions)
        layout.addWidget(self.preview, 1)
        row = QHBoxLayout()
        row.addWidget(self.close_button)
        row.addStretch(1)
        row.addWidget(self.take_button)
        layout.addLayout(row)

    @property
    def active(self) -> bool:
        return self.camera is not None

    def open(self, camera: DocumentCamera, device: str, instructions: str) -> bool:
        """Start the camera and show its picture; False when it cannot start."""
        self.instructions.setText(instructions)
        camera.frame_arrived.connect(self._frame)
        camera.failed.connect(self._failed)
        self.camera = camera
        if not camera.start(device):
            self.stop()
            return False
        self.take_button.setEnabled(True)
        return True

    def latest_frame(self) -> QImage | None:
        return self.camera.latest_frame() if self.camera is not None else None

    def stop(self) -> None:
        """Release the camera and forget its picture."""
        camera, self.camera = self.camera, None
        if camera is not None:
            camera.frame_arrived.disconnect(self._frame)
            camera.failed.disconnect(self._failed)
            camera.stop()
        self.preview.clear()
        self._shown_at = 0.0

    def _frame(self, frame: QImage) -> None:
        now = time.monotonic()
        if now - self._shown_at < PREVIEW_INTERVAL or not self.isVisible():
            return
        self._shown_at = now
        size = self.preview.size()
        scaled = frame.scaled(size, Qt.AspectRatioMode.KeepAspectRatio,
                              Qt.TransformationMode.FastTransformation)  # fmt: skip
        if self.take_button.isVisible():
            _draw_guide(scaled)
        self.preview.setPixmap(QPixmap.fromImage(scaled))

    def _take(self) -> None:
        frame = self.latest_frame()
        if frame is None or frame.isNull():
            return  # no picture yet: the button stays for the next tap
        self.taken.emit(frame)

    def _close_tapped(self) -> None:
        self.stop()
        self.closed.emit()

    def _failed(self, message: str) -> None:
        self.stop()
        self.failed.emit(message)


def _draw_guide(image: QImage) -> None:
    """The «recuadro» the crop's messages speak of: where the whole sheet should lie."""
    inset_x, inset_y = image.width() // 10, image.height() // 12
    painter = QPainter(image)
    painter.setPen(QPen(QColor("#ffd54f"), 6, Qt.PenStyle.DashLine))
    painter.drawRect(inset_x, inset_y, image.width() - 2 * inset_x, image.height() - 2 * inset_y)
    painter.end()
