"""The full-screen "Fuera de servicio" notice: what a citizen sees when the kiosk cannot serve
(no scanner, a damaged data folder, a start that failed), and what staff must do about it.

Never a desktop, never a traceback: the kiosk shows this and tries again by itself every
``retry_seconds``; the staff line says what to fix. The admin corner works here too.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

RETRY_SECONDS = 30

STYLE = """
QWidget#fueraDeServicio { background: #1b1b1b; }
QLabel { color: #ffffff; }
QLabel#titulo { font-size: 72px; font-weight: bold; }
QLabel#ciudadano { font-size: 36px; }
QLabel#personal { font-size: 28px; color: #ffd54f; }
QLabel#reintento { font-size: 28px; color: #bdbdbd; }
"""


class OutOfService(QWidget):
    retry_requested = Signal()

    def __init__(
        self, parent: QWidget | None = None, *, retry_seconds: int = RETRY_SECONDS
    ) -> None:
        super().__init__(parent)
        self.setObjectName("fueraDeServicio")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setStyleSheet(STYLE)
        self.retry_seconds = retry_seconds
        self._left = retry_seconds
        self.title = self._label("titulo", self.tr("Fuera de servicio"))
        self.citizen = self._label(
            "ciudadano",
            self.tr(
                "Este quiosco no está disponible por ahora. Por favor, entregue su escrito en "
                "la ventanilla de la Oficialía de Partes."
            ),  # fmt: skip
        )
        self.staff = self._label("personal", "")
        self.countdown = self._label("reintento", "")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(160, 120, 160, 120)
        layout.addStretch(1)
        for label in (self.title, self.citizen, self.staff, self.countdown):
            layout.addWidget(label)
            layout.addSpacing(32)
        layout.addStretch(2)
        self._timer = QTimer(self)
        self._timer.setInterval(1000)
        self._timer.timeout.connect(self._tick)

    def _label(self, name: str, text: str) -> QLabel:
        label = QLabel(text, self)
        label.setObjectName(name)
        label.setWordWrap(True)
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        return label

    def show_problem(self, staff_message: str) -> None:
        """Show the notice with what staff must do, and start counting to the next try."""
        self.staff.setText(self.tr("Para el personal: ") + staff_message)
        self._left = self.retry_seconds
        self._show_countdown()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def _tick(self) -> None:
        self._left -= 1
        if self._left <= 0:
            self._timer.stop()
            self.countdown.setText(self.tr("Reintentando…"))
            self.retry_requested.emit()
            return
        self._show_countdown()

    def _show_countdown(self) -> None:
        self.countdown.setText(self.tr("Se volverá a intentar en %n segundos.", "", self._left))
