"""The last screen of a filing: the folio in very large type, the code to look it up, the QR of
its status page, and whether the ticket printed. Without a ticket the citizen must be able to
leave with the folio anyway: written down, or a photo of this screen (hence the QR, large)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QDate, QLocale, Qt, QTime
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from kiosk.i18n import current_code
from kiosk.screens.base import Flow, KioskScreen
from kiosk.session import Screen
from kiosk.spoken_text import sentences, spelled
from kiosk.widgets import BigButton, label, qr_image, qr_pixmap

if TYPE_CHECKING:
    from kiosk.desk import KioskFiling

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
        self.finish_button.setMinimumHeight(120)  # 30 mm; room for large text above it
        self.finish_button.clicked.connect(self._finish)
        # When the filing was received, by folio: on the ticket, not on this screen, but read
        # aloud here with the folio (``spoken``) for someone who cannot read the ticket.
        self._received: dict[str, datetime] = {}
        flow.filing_registered.connect(self._filing_registered)
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
            self.banner.show_message(
                cannot, "warning"
            )  # the printer's fault is for staff (the log)

    def _finish(self) -> None:
        self.flow.session.finish()

    def _filing_registered(self, filing: KioskFiling) -> None:
        self._received[filing.folio] = filing.received_at

    def spoken(self) -> str:
        receipt = self.flow.session.receipt
        if receipt is None:
            return super().spoken()
        # Spelled out, one character at a time: it is heard to be written down.
        code = self.tr("Código de consulta: %1").replace("%1", spelled(receipt.check_code))
        received = self._received.get(receipt.folio)
        return sentences(self.question.text(),
                         f"{self.folio_title.text()} {spelled(receipt.folio)}",
                         self._date_words(received) if received else "",
                         code, self.ticket.text(), self.shown_banner())  # fmt: skip

    def _date_words(self, moment: datetime) -> str:
        locale = QLocale(current_code(QCoreApplication.instance()))  # the language in use
        day = locale.toString(QDate(moment.year, moment.month, moment.day),
                              QLocale.FormatType.LongFormat)  # fmt: skip
        hour = locale.toString(QTime(moment.hour, moment.minute), "H:mm")
        return self.tr("Recibido el %1, a las %2.").replace("%1", day).replace("%2", hour)

    def forget(self) -> None:
        super().forget()
        for widget in (self.folio, self.code, self.ticket):
            widget.setText("")
        self.qr.clear()
        self._received.clear()
