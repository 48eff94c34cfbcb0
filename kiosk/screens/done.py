"""The last screen of a filing: the folio in very large type, the code to look it up, the QR of
its status page, and whether the ticket printed. Without a ticket the citizen must be able to
leave with the folio anyway: written down, or a photo of this screen (hence the QR, large)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from kiosk.screens.base import Flow, KioskScreen
from kiosk.session import Screen
from kiosk.widgets import BigButton, label, qr_image, qr_pixmap

QR_SIDE = 440


class DoneScreen(KioskScreen):
    shows = Screen.DONE

    def __init__(self, flow: Flow, parent: QWidget | None = None) -> None:
        super().__init__(flow, parent)
        self.question.setText(self.tr("Su escrito quedó registrado"))
        self.folio_title = label(self.tr("Su folio es:"), "etiqueta", self)
        self.folio = label("", "folio", self)
        self.folio.setWordWrap(False)
        self.code = label("", "grande", self)
        self.ticket = label("", "grande", self)
        self.qr = QLabel(self)
        self.qr.setFixedSize(QR_SIDE, QR_SIDE)
        self.qr.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.qr_caption = label(self.tr("Con este código QR puede consultar su trámite."),
                                "explicacion", self)  # fmt: skip
        self.finish_button = BigButton(self.tr("Terminar"), self, kind="huge")
        self.finish_button.setMinimumWidth(420)
        self.finish_button.clicked.connect(self._finish)
        words = QVBoxLayout()
        for widget in (self.folio_title, self.folio, self.code, self.ticket):
            words.addWidget(widget)
        words.addStretch(1)
        code = QVBoxLayout()
        code.addWidget(self.qr)
        code.addWidget(self.qr_caption)
        code.addStretch(1)
        row = QHBoxLayout()
        row.addLayout(words, 1)
        row.addLayout(code)
        self.body.addLayout(row, 1)
        self.body.addWidget(self.finish_button, 0, Qt.AlignmentFlag.AlignRight)

    def entered(self) -> None:
        receipt = self.flow.session.receipt
        if receipt is None:
            return
        self.folio.setText(receipt.folio)
        self.code.setText(self.tr("Código de consulta: %1").replace("%1", receipt.check_code))
        code = self.flow.receipt_qr
        if code is None:  # shown without the print step (tests, a restart): made here
            code = qr_image(receipt.status_url)
        self.qr.setPixmap(qr_pixmap(code, QR_SIDE))
        if receipt.printed:
            self.ticket.setText(self.tr("Tome su acuse."))
            self.banner.forget()
        else:
            self.ticket.setText("")
            cannot = self.tr("No se pudo imprimir su ticket: anote su folio o tómele una foto a "
                             "esta pantalla.")  # fmt: skip
            self.banner.show_message(f"{cannot} {receipt.problem}".strip(), "warning")

    def _finish(self) -> None:
        self.flow.session.finish()

    def forget(self) -> None:
        super().forget()
        for widget in (self.folio, self.code, self.ticket):
            widget.setText("")
        self.qr.clear()
