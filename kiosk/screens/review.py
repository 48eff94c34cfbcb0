"""Everything on one screen before «Registrar»: who, what, where to, how many sheets, and the
pages. Registering and printing the receipt run through the task helper; the button is off from
the first tap (a double tap must never register twice), and so are «Atrás» and «Cancelar»
while the filing is being made (the window hears ``Flow.busy_changed``)."""

from __future__ import annotations

from PySide6.QtGui import QImage
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QWidget

from kiosk.desk import KioskFiling, PrintOutcome, describe_error
from kiosk.i18n import citizen_text
from kiosk.screens.base import Flow, KioskScreen
from kiosk.session import Answers, Receipt, Screen, Topic
from kiosk.spoken_text import sentences, spelled
from kiosk.widgets import BigButton, PageGrid, label, pil_to_qimage, qr_image, turned
from mailroom.errors import OficialiaError
from mailroom.ui.tasks import TaskContext

ROWS = ("name", "curp", "email", "phone", "subject", "destination", "fojas")


def masked_curp(curp: str) -> str:
    """Enough to recognise one's own CURP, not enough for someone behind to copy it."""
    return f"{curp[:4]}{'•' * (len(curp) - 6)}{curp[-2:]}" if len(curp) > 6 else curp


class ReviewScreen(KioskScreen):
    shows = Screen.REVIEW

    def __init__(self, flow: Flow, parent: QWidget | None = None) -> None:
        super().__init__(flow, parent)
        self.question.setText(self.tr("Revise sus datos y toque «Registrar»"))
        titles = (self.tr("Nombre"), self.tr("CURP"), self.tr("Correo"), self.tr("Teléfono"),
                  self.tr("Asunto"), self.tr("Va dirigido a"), self.tr("Hojas"))  # fmt: skip
        grid = QGridLayout()
        grid.setHorizontalSpacing(32)
        grid.setVerticalSpacing(4)
        grid.setColumnStretch(1, 1)
        self.values = {}
        self.titles = dict(zip(ROWS, titles, strict=True))
        for row, (key, title) in enumerate(zip(ROWS, titles, strict=True)):
            grid.addWidget(label(title, "etiqueta", self), row, 0)
            self.values[key] = label("", "dato", self)
            grid.addWidget(self.values[key], row, 1)
        # Ten to a row: most escritos show whole; a longer one scrolls, and its bar shows it.
        self.pages = PageGrid(self, editable=False, side=150, columns=10)
        self.pages.setMinimumHeight(170)  # one row at least; with large text the rest scrolls
        self.status = label("", "etiqueta", self)
        self.register_button = BigButton(self.tr("Registrar"), self, kind="huge")
        self.register_button.setMinimumWidth(420)
        self.register_button.setMinimumHeight(120)  # 30 mm: the tallest screen keeps its room
        self.register_button.clicked.connect(self._register)
        self.body.addLayout(grid)
        self.body.addWidget(self.pages, 1)
        # With the voice on, the CURP is read only when asked: others may be listening.
        self.hear_curp = BigButton(self.tr("Oír mi CURP"), self)
        self.hear_curp.clicked.connect(self._say_curp)
        self.hear_curp.hide()
        # A method, not a lambda: the connection must go with the screen (a language change
        # makes the screens again; the preferences stay).
        flow.preferences.speech_changed.connect(self._speech_changed)
        bottom = QHBoxLayout()
        bottom.setSpacing(24)
        bottom.addWidget(self.hear_curp)
        bottom.addWidget(self.status, 1)
        bottom.addWidget(self.register_button)
        self.body.addLayout(bottom)

    def entered(self) -> None:
        answers = self.flow.session.answers
        identity = answers.identity
        none = self.tr("(no la dio)")
        shown = {
            "name": identity.name,
            "curp": masked_curp(identity.curp) or none,
            "email": identity.email or none,
            "phone": identity.phone or none,
            "subject": answers.topic.subject,
            "destination": self._destination(answers.topic),
            "fojas": self._fojas(answers),
        }
        for key, text in shown.items():
            self.values[key].setText(text)
        capture = self.flow.desk.capture
        pages = capture.pages if capture is not None else ()
        self.pages.show_pages([turned(pil_to_qimage(p.thumbnail), p.turn) for p in pages])
        self._set_registering(False)
        self._offer_curp()

    def _destination(self, topic: Topic) -> str:
        if topic.unsure:
            return self.tr("No lo sabe: la Oficialía lo enviará al área que corresponde")
        if topic.procedure:
            text = self.tr("Trámite: %1").replace("%1", topic.procedure)
            return f"{text} ({topic.department})" if topic.department else text
        return self.tr("Área: %1").replace("%1", topic.department or "")

    def _fojas(self, answers: Answers) -> str:
        fojas = answers.fojas or 0
        sheets = self.tr("1 hoja") if fojas == 1 else self.tr("%1 hojas").replace("%1", str(fojas))
        if answers.pages == 1:
            pages = self.tr("1 página digitalizada")
        else:
            pages = self.tr("%1 páginas digitalizadas").replace("%1", str(answers.pages))
        return f"{sheets} · {pages}"

    def _set_registering(self, registering: bool, status: str = "") -> None:
        self.register_button.setEnabled(not registering)
        self.status.setText(status)
        self.flow.set_busy(registering)

    def _register(self) -> None:
        desk, number = self.flow.desk, self.flow.number
        capture, answers = desk.capture, self.flow.session.answers
        if capture is None or not self.register_button.isEnabled():
            return
        self.banner.forget()
        self._set_registering(True, self.tr("Registrando su escrito…"))
        self.flow.runner.run(
            lambda context: desk.register(answers, capture),
            name="registrar_en_quiosco",
            on_success=lambda filing: self._registered(filing, number),
            on_failure=lambda error: self._failed(error, number),
            owner=self,
        )

    def _registered(self, filing: KioskFiling, number: int) -> None:
        self.flow.filing_registered.emit(filing)  # even if the citizen has gone meanwhile
        if number != self.flow.number:
            return
        self.status.setText(self.tr("Imprimiendo su ticket…"))
        desk = self.flow.desk

        def unprinted(error: OficialiaError) -> None:
            self._done(filing, (PrintOutcome(False, error.message), None), number)

        def print_receipt(context: TaskContext) -> tuple[PrintOutcome, QImage]:
            return desk.print_receipt(filing), qr_image(filing.status_url)

        self.flow.runner.run(
            print_receipt,
            name="imprimir_ticket",
            on_success=lambda printed: self._done(filing, printed, number),
            on_failure=unprinted,
            owner=self,
        )

    def _done(
        self, filing: KioskFiling, printed: tuple[PrintOutcome, QImage | None], number: int
    ) -> None:
        if number != self.flow.number:
            return
        outcome, self.flow.receipt_qr = printed
        receipt = Receipt(filing.folio, filing.check_code, filing.status_url,
                          outcome.printed, outcome.problem)  # fmt: skip
        self._set_registering(False)
        self.flow.act(lambda now: self.flow.session.registered(receipt, now))

    def _failed(self, error: OficialiaError, number: int) -> None:
        if number != self.flow.number:
            return
        self._set_registering(False)
        self.banner.show_message(citizen_text(describe_error(error)), "error")

    def _speech_changed(self, on: bool) -> None:
        self._offer_curp()

    def _offer_curp(self) -> None:
        given = bool(self.flow.session.answers.identity.curp)
        self.hear_curp.setVisible(given and self.flow.preferences.speech)

    def _say_curp(self) -> None:
        curp = self.flow.session.answers.identity.curp
        if curp:
            self.flow.say_requested.emit(self.tr("Su CURP: %1").replace("%1", spelled(curp)))

    def spoken(self) -> str:
        """The heading, then each answer as it shows; the CURP only by its last two characters
        (the whole of it with «Oír mi CURP»)."""
        answers = self.flow.session.answers
        rows = []
        for key, title in self.titles.items():
            value = self.values[key].text()
            if key == "curp" and answers.identity.curp:
                value = self.tr("termina en %1").replace("%1", spelled(answers.identity.curp[-2:]))
            rows.append(f"{title}: {value}")
        return sentences(self.question.text(), *rows, self.status.text(), self.shown_banner())

    def forget(self) -> None:
        super().forget()
        self.hear_curp.hide()
        for value in self.values.values():
            value.setText("")
        self.pages.forget()
        self.register_button.setEnabled(True)
        self.status.setText("")
