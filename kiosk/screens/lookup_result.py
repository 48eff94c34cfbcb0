"""What became of the citizen's trámite, as this kiosk knows it, and how fresh that is: the
status comes from the office's system at each sync, so the last sync is always said."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGridLayout, QWidget

from kiosk.i18n import citizen_text
from kiosk.screens.base import Flow, KioskScreen
from kiosk.session import Screen
from kiosk.widgets import BigButton, label
from kiosk.wording import Wording
from mailroom.intake_lookups import short_datetime

ROWS = ("folio", "status", "department", "last_change", "institutional_folio", "note")


class LookupResultScreen(KioskScreen):
    shows = Screen.LOOKUP_RESULT

    def __init__(self, flow: Flow, parent: QWidget | None = None) -> None:
        super().__init__(flow, parent)
        self.question.setText(self.tr("Su trámite"))
        titles = (self.tr("Folio"), self.tr("Estado"), self.tr("Área"), self.tr("Último cambio"),
                  self.tr("Folio de la dependencia"), self.tr("Nota"))  # fmt: skip
        grid = QGridLayout()
        grid.setHorizontalSpacing(32)
        grid.setVerticalSpacing(16)
        grid.setColumnStretch(1, 1)
        self.titles, self.values = {}, {}
        for row, (key, title) in enumerate(zip(ROWS, titles, strict=True)):
            self.titles[key] = label(title, "etiqueta", self)
            self.values[key] = label("", "grande" if key == "status" else "dato", self)
            grid.addWidget(self.titles[key], row, 0)
            grid.addWidget(self.values[key], row, 1)
        self.synced = label("", "explicacion", self)
        self.finish_button = BigButton(self.tr("Terminar"), self, kind="huge")
        self.finish_button.setMinimumWidth(420)
        self.finish_button.setMinimumHeight(120)  # 30 mm; room for large text above it
        self.finish_button.clicked.connect(self.flow.session.finish)
        self.body.addLayout(grid)
        self.body.addSpacing(24)
        self.body.addWidget(self.synced)
        self.body.addStretch(1)
        self.body.addWidget(self.finish_button, 0, Qt.AlignmentFlag.AlignRight)

    def entered(self) -> None:
        found = self.flow.lookup
        if found is None:
            return
        shown = {
            "folio": found.folio,
            "status": citizen_text(Wording("FilingStatus", found.status)).capitalize(),
            "department": found.department,
            "last_change": self._when(found.last_change),
            "institutional_folio": found.institutional_folio or "",
            "note": found.note,
        }
        for key, text in shown.items():
            self.values[key].setText(text)
            self.titles[key].setVisible(bool(text))
            self.values[key].setVisible(bool(text))
        if found.last_sync is None:
            self.synced.setText(self.tr("Este quiosco aún no se ha sincronizado con el sistema "
                                        "de la oficina."))  # fmt: skip
        else:
            self.synced.setText(self.tr("Última sincronización: %1")
                                .replace("%1", self._when(found.last_sync)))  # fmt: skip

    def _when(self, moment: datetime) -> str:
        return short_datetime(moment.astimezone(self.flow.desk.settings.zone))

    def forget(self) -> None:
        super().forget()
        for value in self.values.values():
            value.setText("")
        self.synced.setText("")
