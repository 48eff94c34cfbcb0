"""The first screen: the office's name and the two things a citizen can do here.

The receipt printer is asked the moment «Entregar un escrito» is tapped, without making the
citizen wait for the answer (a silent printer takes its whole timeout): the privacy notice shows
at once, and a printer that cannot print is said on the next screens, before anything is scanned,
so nobody learns at the end that they leave without a ticket.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QWidget

from kiosk.i18n import available_languages, citizen_text
from kiosk.printer import CITIZEN_CONTEXT
from kiosk.screens.base import Flow, KioskScreen
from kiosk.session import Screen
from kiosk.spoken_text import sentences
from kiosk.widgets import BigButton, label
from kiosk.wording import Wording
from mailroom.errors import OficialiaError

if TYPE_CHECKING:
    from kiosk.printer import PrinterStatus


class WelcomeScreen(KioskScreen):
    shows = Screen.WELCOME

    def __init__(self, flow: Flow, parent: QWidget | None = None) -> None:
        super().__init__(flow, parent)
        self.question.setObjectName("titulo")
        self.question.setText(flow.desk.settings.office_name)
        self.question.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.prompt = label(self.tr("¿Qué desea hacer?"), "pregunta", self)
        self.prompt.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.file_button = BigButton(self.tr("Entregar un escrito"), self, kind="huge")
        self.lookup_button = BigButton(self.tr("Consultar un trámite"), self, kind="huge")
        self.file_button.clicked.connect(self._file)
        self.lookup_button.clicked.connect(self._look_up)
        self.body.setContentsMargins(240, 80, 240, 80)
        self.body.addStretch(1)
        self.body.addWidget(self.prompt)
        self.body.addSpacing(40)
        self.body.addWidget(self.file_button)
        self.body.addSpacing(40)
        self.body.addWidget(self.lookup_button)
        self.body.addStretch(2)
        # The other languages, each by its own name («English»), one tap each.
        languages = QHBoxLayout()
        languages.setSpacing(24)
        languages.addStretch(1)
        self.language_buttons: list[BigButton] = []
        for language in available_languages(flow.desk.settings.data_dir):
            if language.code == flow.preferences.language:
                continue
            button = BigButton(language.name, self)
            button.setMinimumWidth(260)
            button.clicked.connect(
                lambda _=False, code=language.code: flow.preferences.set_language(code)
            )
            languages.addWidget(button)
            self.language_buttons.append(button)
        self.body.addLayout(languages)

    def _file(self) -> None:
        number = self.flow.number
        self.flow.act(self.flow.session.start_filing)
        desk = self.flow.desk

        def checked(status: PrinterStatus) -> None:
            if self.flow.number == number:  # not a citizen who already left
                self.flow.set_printer_message("" if status.can_print else citizen_text(
                    Wording(CITIZEN_CONTEXT, status.citizen_message)))  # fmt: skip

        def failed(error: OficialiaError) -> None:
            if self.flow.number == number:
                self.flow.set_printer_message(
                    self.tr(
                        "No pudimos revisar la impresora de tickets. Al final anote o "
                        "fotografíe su folio."
                    )  # fmt: skip
                )

        self.flow.runner.run(
            lambda context: desk.printer_status(),
            name="revisar_impresora",
            on_success=checked,
            on_failure=failed,
            owner=self,
        )

    def _look_up(self) -> None:
        self.flow.act(self.flow.session.start_lookup)

    def spoken(self) -> str:
        # The heading is the office's name; the question is the label under it.
        return sentences(self.question.text(), self.prompt.text())
