"""The privacy notice, before any personal data: the short notice, the full one on the same
screen (never a dialog a citizen could leave the kiosk through), and «Acepto y continúo», which
records the version (the SHA-256 of both texts) the filing will store."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QScrollArea, QStackedWidget, QTextBrowser, QWidget

from kiosk.screens.base import Flow, KioskScreen
from kiosk.session import Screen
from kiosk.spoken_text import sentences
from kiosk.widgets import BigButton, label, touch_scrolling


class PrivacyScreen(KioskScreen):
    shows = Screen.PRIVACY

    def __init__(self, flow: Flow, parent: QWidget | None = None) -> None:
        super().__init__(flow, parent)
        notice = flow.desk.notice
        self.question.setText(self.tr("Aviso de privacidad"))
        self.short_text = label(notice.short, "dato")
        self.short_text.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.short_text.setMargin(16)
        self.short_view = QScrollArea(self)
        self.short_view.setWidget(self.short_text)
        self.short_view.setWidgetResizable(True)
        touch_scrolling(self.short_view)
        self.full_view = QTextBrowser(self)
        self.full_view.setPlainText(notice.full)
        self.full_view.setContextMenuPolicy(Qt.ContextMenuPolicy.NoContextMenu)
        # Read only, and not selectable: nothing to copy, no link to follow out of the kiosk.
        self.full_view.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
        self.full_view.setOpenLinks(False)
        touch_scrolling(self.full_view)
        self.views = QStackedWidget(self)
        self.views.addWidget(self.short_view)
        self.views.addWidget(self.full_view)
        self.toggle_button = BigButton(self.tr("Leer el aviso completo"), self)
        self.accept_button = BigButton(self.tr("Acepto y continúo"), self, kind="primary")
        self.toggle_button.clicked.connect(self._toggle)
        self.accept_button.clicked.connect(self._accept)
        self.body.addWidget(self.views, 1)
        row = QHBoxLayout()
        row.addWidget(self.toggle_button)
        row.addStretch(1)
        row.addWidget(self.accept_button)
        self.body.addLayout(row)

    def entered(self) -> None:
        super().entered()
        notice = self.flow.desk.refresh_notice()
        self.short_text.setText(notice.short)
        if self.full_view.toPlainText() != notice.full:
            self.full_view.setPlainText(notice.full)
        self._show_full(False)

    def _toggle(self) -> None:
        self._show_full(self.views.currentWidget() is self.short_view)

    def _show_full(self, full: bool) -> None:
        self.views.setCurrentWidget(self.full_view if full else self.short_view)
        self.toggle_button.setText(
            self.tr("Ver el resumen") if full else self.tr("Leer el aviso completo")
        )

    def _accept(self) -> None:
        version = self.flow.desk.notice.version
        error = self.flow.act(lambda now: self.flow.session.accept_privacy(version, now))
        if error is not None:
            self.refused(error)

    def spoken(self) -> str:
        # What is accepted must be heard too: the summary (the full text is for reading).
        return sentences(super().spoken(), self.short_text.text())

    def go_back(self) -> bool:
        if self.views.currentWidget() is self.full_view:
            self._show_full(False)
            return True
        return False

    def forget(self) -> None:
        super().forget()
        self._show_full(False)
        self.full_view.verticalScrollBar().setValue(0)
        self.short_view.verticalScrollBar().setValue(0)
