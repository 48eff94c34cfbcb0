"""The welcome screen as the kiosk first paints it, before its services are open.

Opening the store, importing the capture and building the screens takes about a second after a
power-on; a citizen should see the welcome screen at once, not "Un momento". This page looks
like the real welcome (office name, «Entregar un escrito», «Consultar un trámite») and needs
nothing but the settings. A tap before the kiosk is ready is remembered, answered with "Un
momento, por favor…", and carried out on the real welcome as soon as it exists.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QVBoxLayout, QWidget

from kiosk.widgets import STYLE, BigButton, label

FILING = "entregar"
LOOKUP = "consultar"


class FirstWelcome(QWidget):
    chosen = Signal(str)  # FILING or LOOKUP

    def __init__(self, office_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setStyleSheet(STYLE)
        self.choice = ""
        title = label(office_name, "titulo", self)
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.prompt = label(self.tr("¿Qué desea hacer?"), "pregunta", self)
        self.prompt.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.file_button = BigButton(self.tr("Entregar un escrito"), self, kind="huge")
        self.lookup_button = BigButton(self.tr("Consultar un trámite"), self, kind="huge")
        self.file_button.clicked.connect(lambda: self._choose(FILING))
        self.lookup_button.clicked.connect(lambda: self._choose(LOOKUP))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(240, 80, 240, 80)
        layout.addWidget(title)
        layout.addStretch(1)
        layout.addWidget(self.prompt)
        layout.addSpacing(40)
        layout.addWidget(self.file_button)
        layout.addSpacing(40)
        layout.addWidget(self.lookup_button)
        layout.addStretch(2)

    def _choose(self, choice: str) -> None:
        if self.choice:
            return
        self.choice = choice
        self.prompt.setText(self.tr("Un momento, por favor…"))
        self.chosen.emit(choice)

    def forget(self) -> None:
        self.choice = ""
        self.prompt.setText(self.tr("¿Qué desea hacer?"))
