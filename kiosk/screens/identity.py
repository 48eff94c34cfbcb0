"""Who hands the escrito in: the name (required), the CURP and a way to be told about the
trámite (optional). A refusal is said in plain words under the box it is about, and the cursor
goes there."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QVBoxLayout, QWidget

from kiosk.i18n import citizen_text
from kiosk.keyboard import CODE_HINTS
from kiosk.screens.base import Flow, KioskScreen
from kiosk.session import MAX_NAME, Identity, Screen
from kiosk.widgets import BigButton, BigLineEdit, label
from mailroom.errors import InvalidInput

Hint = Qt.InputMethodHint


class Field(QWidget):
    """A box with what it asks for above it, and its explanation or problem below it."""

    def __init__(self, title: str, edit: BigLineEdit, hint: str = "") -> None:
        super().__init__()
        self.edit = edit
        self.title = label(title, "etiqueta", self)
        self.hint = label(hint, "explicacion", self)
        self.hint.setVisible(bool(hint))
        self.problem = label("", "errorCampo", self)
        self.problem.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        for widget in (self.title, edit, self.hint, self.problem):
            layout.addWidget(widget)

    def show_problem(self, message: str) -> None:
        self.problem.setText(message)
        self.problem.setVisible(bool(message))
        self.edit.set_problem(bool(message))

    def forget(self) -> None:
        self.edit.forget()
        self.show_problem("")


class IdentityScreen(KioskScreen):
    shows = Screen.IDENTITY

    def __init__(self, flow: Flow, parent: QWidget | None = None) -> None:
        super().__init__(flow, parent)
        self.question.setText(self.tr("¿Quién entrega el escrito?"))
        self.name = BigLineEdit(self.tr("Nombre completo"), max_length=MAX_NAME)
        self.curp = BigLineEdit(self.tr("CURP"), max_length=18, hints=CODE_HINTS)
        self.email = BigLineEdit(
            self.tr("Correo electrónico"), max_length=120, hints=Hint.ImhEmailCharactersOnly
        )
        self.phone = BigLineEdit(
            self.tr("Teléfono"), max_length=20, hints=Hint.ImhDialableCharactersOnly
        )
        self.fields = self._fields()
        grid = QGridLayout()
        grid.setHorizontalSpacing(48)
        grid.setVerticalSpacing(12)
        grid.addWidget(self.fields["name"], 0, 0, 1, 2)
        grid.addWidget(self.fields["curp"], 1, 0, 1, 2)
        grid.addWidget(self.fields["email"], 2, 0)
        grid.addWidget(self.fields["phone"], 2, 1)
        self.body.addLayout(grid)
        self.body.addStretch(1)
        self.next_button = BigButton(self.tr("Continuar"), self, kind="primary")
        self.next_button.clicked.connect(self._next)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.next_button)
        self.body.addLayout(row)
        for edit in (self.name, self.curp, self.email, self.phone):
            edit.returnPressed.connect(self._next)
            edit.textEdited.connect(self._typed)

    def _fields(self) -> dict[str, Field]:
        """By the name ``InvalidInput.details["field"]`` gives them."""
        curp_hint = self.tr(
            "La CURP tiene 18 letras y números. El último es un número que comprueba que está "
            "bien escrita."
        )
        why = self.tr("Para avisarle de su trámite.")
        return {
            "name": Field(self.tr("Su nombre completo"), self.name),
            "curp": Field(self.tr("Su CURP (si la tiene a la mano)"), self.curp, curp_hint),
            "email": Field(self.tr("Correo electrónico (si quiere)"), self.email, why),
            "phone": Field(self.tr("Teléfono, 10 números (si quiere)"), self.phone, why),
        }

    def entered(self) -> None:
        if not any(field.edit.hasFocus() for field in self.fields.values()):
            self.name.setFocus()

    def _typed(self) -> None:
        for field in self.fields.values():
            if field.edit.hasFocus():
                field.show_problem("")  # the citizen is fixing it: the old message goes

    def _next(self) -> None:
        identity = Identity(
            name=self.name.text(),
            curp=self.curp.text(),
            email=self.email.text(),
            phone=self.phone.text(),
        )
        for field in self.fields.values():
            field.show_problem("")
        error = self.flow.act(lambda now: self.flow.session.give_identity(identity, now))
        if error is not None:
            self.refused(error)

    def refused(self, error: InvalidInput) -> None:
        field = self.fields.get(str(error.details.get("field", "")))
        if field is None:
            super().refused(error)
            return
        field.show_problem(citizen_text(error))
        field.edit.setFocus()

    def forget(self) -> None:
        super().forget()
        for field in self.fields.values():
            field.forget()
