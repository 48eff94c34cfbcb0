"""What the escrito is about, then where it goes: two questions, one after the other, on the
session's one «asunto» step (its «Atrás» goes from the second to the first).

The destination is searched in the catalogs (procedures with their department, and departments)
with a big search box over a short list of big buttons; «No sé» sends it to the general office,
which routes it. Only the best matches are shown, from a fixed set of buttons reused as the
citizen types: a municipality's hundreds of procedures never become hundreds of widgets.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QCoreApplication, Signal
from PySide6.QtWidgets import QHBoxLayout, QScrollArea, QStackedWidget, QVBoxLayout, QWidget

from kiosk.screens.base import Flow, KioskScreen
from kiosk.session import MAX_SUBJECT, Screen, Topic, checked_topic
from kiosk.spoken_text import sentences
from kiosk.widgets import BigButton, BigLineEdit, label, touch_scrolling
from mailroom.errors import InvalidInput, OficialiaError
from mailroom.intake_lookups import Catalogs, match_key

MAX_SHOWN = 12


@dataclass(frozen=True)
class Choice:
    text: str
    topic: Topic
    key: str


def choices(catalogs: Catalogs) -> list[Choice]:
    # The screen's context, written out: lupdate files a text under the class it sees it in.
    procedure = QCoreApplication.translate("TopicScreen", "Trámite: %1")
    area = QCoreApplication.translate("TopicScreen", "Área: %1")
    made = [
        Choice(
            procedure.replace("%1", item.name),
            Topic(procedure=item.name, department=item.department),
            match_key(f"{item.name} {item.department or ''}"),
        )  # fmt: skip
        for item in catalogs.procedures
    ]
    made += [
        Choice(area.replace("%1", item.name), Topic(department=item.name), match_key(item.name))
        for item in catalogs.departments
    ]
    return made


class ChoiceList(QScrollArea):
    """The matching choices as big buttons; one can be chosen."""

    chosen = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        body = QWidget()
        layout = QVBoxLayout(body)
        self.buttons = [BigButton("", body) for _ in range(MAX_SHOWN)]
        for button in self.buttons:
            button.setCheckable(True)
            button.clicked.connect(lambda _=False, b=button: self._choose(b))
            layout.addWidget(button)
        self.more = label("", "explicacion", body)
        layout.addWidget(self.more)
        layout.addStretch(1)
        self.setWidget(body)
        touch_scrolling(self)
        self.items: list[Choice] = []
        self.shown: list[Choice] = []
        self.selected: Choice | None = None
        self.filter("")

    def set_items(self, items: list[Choice]) -> None:
        self.items = items
        self.selected = None

    def filter(self, typed: str) -> None:
        words = match_key(typed).split()
        matches = [item for item in self.items if all(word in item.key for word in words)]
        self.shown = matches[:MAX_SHOWN]
        for button, item in zip(self.buttons, self.shown + [None] * MAX_SHOWN, strict=False):
            button.setVisible(item is not None)
            button.setText(item.text if item else "")
            button.setChecked(item is not None and item == self.selected)
        left = len(matches) - len(self.shown)
        if left > 0:
            self.more.setText(self.tr("Hay %1 más: escriba más letras para encontrar el suyo.")
                              .replace("%1", str(left)))  # fmt: skip
        elif not matches and typed.strip():
            self.more.setText(self.tr("No encontramos «%1». Pruebe con otra palabra, o toque "
                                      "«No sé».").replace("%1", typed.strip()))  # fmt: skip
        else:
            self.more.setText("")
        self.verticalScrollBar().setValue(0)

    def _choose(self, button: BigButton) -> None:
        index = self.buttons.index(button)
        self.selected = self.shown[index] if index < len(self.shown) else None
        for other in self.buttons:
            other.setChecked(other is button)
        self.chosen.emit()

    def forget(self) -> None:
        self.set_items([])
        self.filter("")


class TopicScreen(KioskScreen):
    shows = Screen.SUBJECT

    def __init__(self, flow: Flow, parent: QWidget | None = None) -> None:
        super().__init__(flow, parent)
        self.pages = QStackedWidget(self)
        self.pages.addWidget(self._subject_page())
        self.pages.addWidget(self._destination_page())
        self.body.addWidget(self.pages, 1)
        self._loaded_for = 0
        self._show_page(0)

    def _subject_page(self) -> QWidget:
        page = QWidget()
        self.subject = BigLineEdit(self.tr("Asunto"), max_length=MAX_SUBJECT)
        self.subject.returnPressed.connect(self._subject_given)
        self.subject_problem = label("", "errorCampo")
        self.subject_problem.hide()
        example = label(self.tr("Escríbalo en pocas palabras, por ejemplo: «Pido que poden un "
                                "árbol»."), "explicacion")  # fmt: skip
        self.example = example  # the page's instruction, for the spoken guide
        self.subject_next = BigButton(self.tr("Continuar"), kind="primary")
        self.subject_next.clicked.connect(self._subject_given)
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        for widget in (example, self.subject, self.subject_problem):
            layout.addWidget(widget)
        layout.addStretch(1)
        layout.addLayout(_right(self.subject_next))
        return page

    def _destination_page(self) -> QWidget:
        page = QWidget()
        self.search = BigLineEdit(self.tr("Buscar trámite o área"), max_length=80)
        self.search.setPlaceholderText(self.tr("Escriba una palabra, por ejemplo «licencia»"))
        self.choice_list = ChoiceList(page)
        self.choice_list.chosen.connect(self._chosen)
        self.search.textChanged.connect(self.choice_list.filter)
        self.unsure_button = BigButton(self.tr("No sé"), kind="primary")
        self.unsure_button.clicked.connect(self._unsure)
        self.destination_next = BigButton(self.tr("Continuar"), kind="primary")
        self.destination_next.clicked.connect(self._destination_given)
        unsure = label(self.tr("Si no sabe, toque «No sé»: la Oficialía lo enviará al área que "
                               "corresponde."), "explicacion")  # fmt: skip
        self.unsure_hint = unsure
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.search)
        layout.addWidget(self.choice_list, 1)
        row = QHBoxLayout()
        row.addWidget(unsure, 1)
        row.addWidget(self.unsure_button)
        row.addSpacing(32)
        row.addWidget(self.destination_next)
        layout.addLayout(row)
        return page

    def _show_page(self, index: int) -> None:
        self.pages.setCurrentIndex(index)
        self.banner.forget()
        if index == 0:
            self.question.setText(self.tr("¿De qué trata su escrito?"))
            self.subject.setFocus()
        else:
            self.question.setText(self.tr("¿A qué trámite o área va dirigido?"))
            self.destination_next.setEnabled(self.choice_list.selected is not None)
            self._load_catalogs()

    def entered(self) -> None:
        self._show_page(self.pages.currentIndex())

    def spoken(self) -> str:
        # Each page's one instruction is the line that explains it.
        hint = self.example if self.pages.currentIndex() == 0 else self.unsure_hint
        return sentences(self.question.text(), hint.text(), self.shown_banner())

    def go_back(self) -> bool:
        if self.pages.currentIndex() == 1:
            self._show_page(0)
            return True
        return False

    def _subject_given(self) -> None:
        try:
            checked_topic(Topic(subject=self.subject.text(), unsure=True))
        except InvalidInput as error:
            self.subject_problem.setText(error.message)
            self.subject_problem.show()
            self.subject.set_problem(True)
            self.subject.setFocus()
            return
        self.subject_problem.hide()
        self.subject.set_problem(False)
        self._show_page(1)

    def _load_catalogs(self) -> None:
        if self._loaded_for == self.flow.number:
            return
        self._loaded_for = number = self.flow.number
        desk = self.flow.desk

        def loaded(catalogs: Catalogs) -> None:
            if self.flow.number == number:
                self.choice_list.set_items(choices(catalogs))
                self.choice_list.filter(self.search.text())

        def failed(error: OficialiaError) -> None:
            self._loaded_for = 0  # asked again next time; «No sé» still works
            self.banner.show_message(error.message, "error")

        self.flow.runner.run(lambda context: desk.catalogs(), name="catalogos",
                             on_success=loaded, on_failure=failed, owner=self)  # fmt: skip

    def _chosen(self) -> None:
        self.destination_next.setEnabled(self.choice_list.selected is not None)

    def _unsure(self) -> None:
        self._give(Topic(subject=self.subject.text(), unsure=True))

    def _destination_given(self) -> None:
        if self.choice_list.selected is not None:
            choice = self.choice_list.selected.topic
            self._give(Topic(self.subject.text(), choice.procedure, choice.department))

    def _give(self, topic: Topic) -> None:
        error = self.flow.act(lambda now: self.flow.session.give_topic(topic, now))
        if error is not None:
            self.refused(error)

    def forget(self) -> None:
        super().forget()
        self.subject.forget()
        self.search.forget()
        self.subject_problem.hide()
        self.choice_list.forget()
        self._loaded_for = 0
        self._show_page(0)


def _right(button: BigButton) -> QHBoxLayout:
    row = QHBoxLayout()
    row.addStretch(1)
    row.addWidget(button)
    return row
