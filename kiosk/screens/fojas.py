"""How many sheets the citizen hands in (the fojas the acuse declares): the pages scanned,
confirmed with «Sí» or corrected with «−» and «+» (a two-sided sheet is one foja, two pages)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QWidget

from kiosk.screens.base import Flow, KioskScreen
from kiosk.session import Screen
from kiosk.widgets import BigButton, label


class FojasScreen(KioskScreen):
    shows = Screen.FOJAS

    def __init__(self, flow: Flow, parent: QWidget | None = None) -> None:
        super().__init__(flow, parent)
        self.value = 0
        self._pages_seen = -1
        self.yes_button = BigButton(self.tr("Sí"), self, kind="huge")
        self.yes_button.setMinimumWidth(360)
        self.yes_button.clicked.connect(self._confirm)
        self.correct = label(self.tr("Si no es correcto, cambie el número:"), "etiqueta", self)
        self.correct.setWordWrap(False)
        self.less_button = BigButton("−", self, kind="stepper")
        self.more_button = BigButton("+", self, kind="stepper")
        for button, name, step in ((self.less_button, self.tr("Una hoja menos"), -1),
                                   (self.more_button, self.tr("Una hoja más"), 1)):  # fmt: skip
            button.setAccessibleName(name)
            button.setFixedSize(120, 120)
            button.clicked.connect(lambda _=False, step=step: self._change(step))
        self.number = label("", "numero", self)
        self.number.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.number.setMinimumWidth(200)
        stepper = QHBoxLayout()
        stepper.addStretch(1)
        stepper.addWidget(self.less_button)
        stepper.addWidget(self.number)
        stepper.addWidget(self.more_button)
        stepper.addStretch(1)
        self.body.addSpacing(40)
        self.body.addWidget(self.yes_button, 0, Qt.AlignmentFlag.AlignHCenter)
        self.body.addSpacing(60)
        self.body.addWidget(self.correct, 0, Qt.AlignmentFlag.AlignHCenter)
        self.body.addLayout(stepper)
        self.body.addStretch(1)

    def entered(self) -> None:
        pages = self.flow.session.answers.pages
        if pages != self._pages_seen:  # new pages since the last visit: start from them
            self._pages_seen = pages
            self.value = pages
        self._show()

    def _change(self, step: int) -> None:
        self.value = max(1, min(self.flow.session.max_pages, self.value + step))
        self._show()

    def _show(self) -> None:
        if self.value == 1:
            self.question.setText(self.tr("Su escrito tiene 1 hoja. ¿Es correcto?"))
        else:
            question = self.tr("Su escrito tiene %1 hojas. ¿Es correcto?")
            self.question.setText(question.replace("%1", str(self.value)))
        self.number.setText(str(self.value))
        self.less_button.setEnabled(self.value > 1)
        self.more_button.setEnabled(self.value < self.flow.session.max_pages)

    def _confirm(self) -> None:
        value = self.value
        error = self.flow.act(lambda now: self.flow.session.confirm_fojas(value, now))
        if error is not None:
            self.refused(error)

    def forget(self) -> None:
        super().forget()
        self.value = 0
        self._pages_seen = -1
        self.question.setText("")
        self.number.setText("")
