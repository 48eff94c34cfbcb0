"""Who is at the counter: the sign-in the clerk's app opens on, the steps a sign-in may still
need, and the first administrator of a new office.

``SignInScreen`` asks for the user name and password. A signed-in account may still have to
change a password an administrator reset, and choose the PIN that lets it back in after an idle
lock; a supervisor migrated from the old ``supervisors`` setting, signing in from its own
operating-system login, sets its first password instead. ``FirstRunScreen`` creates the first
administrator when the store has no account at all, then signs that person in through the same
steps. Every call to ``mailroom.accounts`` runs through the task helper (argon2 takes 50-100 ms),
and what a refusal says is the service's own message: the same words whether the user name or
the password was wrong.
"""

from __future__ import annotations

import getpass
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import (
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from mailroom.accounts import PIN_LENGTH, Account, Accounts
from mailroom.errors import InvalidInput, OficialiaError
from mailroom.ui.tasks import TaskContext, TaskRunner

if TYPE_CHECKING:
    from mailroom.demo_profile import DemoAccount

ERROR_STYLE = "color: #b71c1c;"
PANEL_WIDTH = 460


class Panel(QWidget):
    """One box in the middle of the window: a title, a line saying what to do, the fields, what
    went wrong, and the buttons."""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = QLabel(title, self)
        self.title.setStyleSheet("font-size: 16pt; font-weight: bold;")
        self.title.setWordWrap(True)
        self.note = QLabel(self)
        self.note.setWordWrap(True)
        self.form = QFormLayout()
        self.message = QLabel(self)
        self.message.setObjectName("mensajeSesion")
        self.message.setWordWrap(True)
        self.buttons = QHBoxLayout()
        self.buttons.addStretch(1)
        box = QWidget(self)
        box.setMaximumWidth(PANEL_WIDTH)
        column = self.column = QVBoxLayout(box)
        column.addWidget(self.title)
        column.addWidget(self.note)
        column.addLayout(self.form)
        column.addWidget(self.message)
        column.addLayout(self.buttons)
        grid = QGridLayout(self)
        grid.addWidget(box, 1, 1)
        for edge in (0, 2):
            grid.setRowStretch(edge, 1)
            grid.setColumnStretch(edge, 1)

    def field(self, label: str, *, secret: bool = False, max_length: int = 0) -> QLineEdit:
        edit = QLineEdit(self)
        if secret:
            edit.setEchoMode(QLineEdit.EchoMode.Password)
        if max_length:
            edit.setMaxLength(max_length)
        self.form.addRow(label, edit)
        return edit

    def button(self, text: str, slot: Callable[[], object]) -> QPushButton:
        button = QPushButton(text, self)
        button.clicked.connect(slot)
        self.buttons.addWidget(button)
        return button

    def differ(self, first: QLineEdit, second: QLineEdit, message: str) -> bool:
        """Whether a secret typed twice differs; if so, says ``message`` for a second try."""
        if first.text() == second.text():
            return False
        second.clear()
        second.setFocus()
        self.say(message)
        return True

    def say(self, text: str, *, error: bool = True) -> None:
        self.message.setText(text)
        self.message.setStyleSheet(ERROR_STYLE if error and text else "")

    def clear(self) -> None:
        for edit in self.findChildren(QLineEdit):
            edit.clear()
        self.say("")


@dataclass(frozen=True)
class _Claimable:
    """The name is a migrated account without a password, and this is its own login."""

    user_name: str


@dataclass(frozen=True)
class _SignedIn:
    account: Account
    has_pin: bool


class SignInScreen(QStackedWidget):
    """User name and password, then whatever the account still needs; ``signed_in`` once it
    may work. ``returned``: «Volver», back to the person whose counter is locked."""

    signed_in = Signal(object)  # Account
    returned = Signal()

    def __init__(
        self,
        accounts: Accounts,
        runner: TaskRunner,
        parent: QWidget | None = None,
        *,
        demo_accounts: Sequence[DemoAccount] = (),
    ) -> None:
        super().__init__(parent)
        self.accounts = accounts
        self.runner = runner
        self._account: Account | None = None
        self._password = ""  # the one typed, kept only until the PIN is chosen
        self._claiming = False
        self._build_credentials(demo_accounts)
        self._build_new_password()
        self._build_pin()
        for page in (self.credentials, self.new_password, self.pin):
            self.addWidget(page)

    def _build_credentials(self, demo_accounts: Sequence[DemoAccount]) -> None:
        page = self.credentials = Panel(self.tr("Iniciar sesión"), self)
        page.note.setText(self.tr("Escriba su usuario y su contraseña de la oficina."))
        self.user_edit = page.field(self.tr("Usuario:"))
        self.password_edit = page.field(self.tr("Contraseña:"), secret=True)
        self.back_button = page.button(self.tr("Volver"), self.returned.emit)
        self.enter_button = page.button(self.tr("Entrar"), self.submit)
        self.enter_button.setDefault(True)
        self.user_edit.returnPressed.connect(self.password_edit.setFocus)
        self.password_edit.returnPressed.connect(self.submit)
        self.demo_label = QLabel(page)
        self.demo_label.setObjectName("cuentasDemostracion")
        self.demo_label.setWordWrap(True)
        self.demo_label.setText(
            "\n".join(
                self.tr("Demostración: {0}, usuario «{1}», contraseña «{2}»").format(
                    demo.role, demo.user_name, demo.password
                )
                for demo in demo_accounts
            )
        )
        self.demo_label.setVisible(bool(demo_accounts))
        page.column.addWidget(self.demo_label)

    def _build_new_password(self) -> None:
        page = self.new_password = Panel(self.tr("Nueva contraseña"), self)
        self.new_edit = page.field(self.tr("Contraseña nueva:"), secret=True)
        self.repeat_edit = page.field(self.tr("Repítala:"), secret=True)
        self.save_password_button = page.button(self.tr("Guardar contraseña"), self.save_password)
        self.new_edit.returnPressed.connect(self.repeat_edit.setFocus)
        self.repeat_edit.returnPressed.connect(self.save_password)

    def _build_pin(self) -> None:
        page = self.pin = Panel(self.tr("Elija su PIN"), self)
        low, high = PIN_LENGTH
        page.note.setText(
            self.tr(
                "Con el PIN vuelve a entrar cuando la ventanilla se bloquea por inactividad: "
                "de {0} a {1} números, que no sean todos iguales ni seguidos."
            ).format(low, high)
        )
        self.pin_edit = page.field(self.tr("PIN:"), secret=True, max_length=high)
        self.pin_repeat = page.field(self.tr("Repítalo:"), secret=True, max_length=high)
        self.save_pin_button = page.button(self.tr("Guardar PIN"), self.save_pin)
        self.pin_edit.returnPressed.connect(self.pin_repeat.setFocus)
        self.pin_repeat.returnPressed.connect(self.save_pin)

    # -- the screen's life ---------------------------------------------------------------------

    def reset(self, *, can_return: bool = False, message: str = "") -> None:
        """A blank sign-in (nothing of the last person's typing stays on it)."""
        self._forget()
        for page in (self.credentials, self.new_password, self.pin):
            page.clear()
        self.back_button.setVisible(can_return)
        self.credentials.say(message, error=False)
        self.setCurrentWidget(self.credentials)
        self.user_edit.setFocus()

    def _forget(self) -> None:
        self._account, self._password, self._claiming = None, "", False

    def _busy(self, busy: bool) -> None:
        for button in (self.enter_button, self.save_password_button, self.save_pin_button):
            button.setEnabled(not busy)

    def _failed(self, page: Panel, error: OficialiaError) -> None:
        self._busy(False)
        page.say(error.message)

    # -- step 1: user name and password ----------------------------------------------------------

    @Slot()
    def submit(self) -> None:
        if not self.enter_button.isEnabled():
            return  # already checking: a second Enter must not count as a second attempt
        user, password = self.user_edit.text().strip(), self.password_edit.text()
        if not user:
            self.credentials.say(self.tr("Escriba su usuario."))
            self.user_edit.setFocus()
            return
        accounts = self.accounts
        missing_password = self.tr("Escriba su contraseña.")

        def op(context: TaskContext) -> _Claimable | _SignedIn:
            # Only the operating-system user of the same name may set a migrated account's
            # first password: anyone else at this PC is refused like any wrong password.
            if accounts.needs_claim(user) and _same_name(user, getpass.getuser()):
                return _Claimable(user)
            if not password:
                raise InvalidInput(missing_password, field="contrasena")
            account = accounts.sign_in(user, password)
            return _SignedIn(account, accounts.has_pin(account.user_name))

        self._busy(True)
        self.credentials.say(self.tr("Comprobando…"), error=False)
        self.runner.run(
            op,
            name="iniciar_sesion",
            on_success=lambda outcome: self._checked(outcome, password),
            on_failure=self._refused,
            owner=self,
        )

    def _checked(self, outcome: _Claimable | _SignedIn, password: str) -> None:
        self._busy(False)
        self.password_edit.clear()
        self.credentials.say("")
        if isinstance(outcome, _Claimable):
            self._claiming = True
            self._account = self.accounts.get(outcome.user_name)
            self._ask_new_password(
                self.tr(
                    "La cuenta «{0}» aún no tiene contraseña (venía del ajuste supervisors). "
                    "Elija una de al menos 10 caracteres; una frase de varias palabras es buena."
                ).format(outcome.user_name)
            )
            return
        self.continue_with(outcome.account, password, outcome.has_pin)

    def _refused(self, error: OficialiaError) -> None:
        self._failed(self.credentials, error)
        self.password_edit.clear()
        self.password_edit.setFocus()

    # -- what a signed-in account may still need -------------------------------------------------

    def continue_with(self, account: Account, password: str, has_pin: bool) -> None:
        """The steps after a sign-in that succeeded (here, at the first run or at the lock)."""
        self._account, self._password = account, password
        if account.must_change_password:
            self._ask_new_password(
                self.tr(
                    "Un administrador restableció su contraseña: elija una nueva, de al menos "
                    "10 caracteres, que solo usted conozca."
                )
            )
        elif not has_pin:
            self.pin.clear()
            self.setCurrentWidget(self.pin)
            self.pin_edit.setFocus()
        else:
            self._finish(account)

    def _ask_new_password(self, note: str) -> None:
        self.new_password.clear()
        self.new_password.note.setText(note)
        self.setCurrentWidget(self.new_password)
        self.new_edit.setFocus()

    @Slot()
    def save_password(self) -> None:
        if self._account is None or not self.save_password_button.isEnabled():
            return
        if self.new_password.differ(self.new_edit, self.repeat_edit, self._mismatch()):
            return
        accounts, user, new = self.accounts, self._account.user_name, self.new_edit.text()
        current, claiming = self._password, self._claiming

        def op(context: TaskContext) -> _SignedIn:
            if claiming:
                account = accounts.claim(user, getpass.getuser(), new)
            else:
                account = accounts.change_password(user, current, new)
            return _SignedIn(account, accounts.has_pin(user))

        def saved(outcome: _SignedIn) -> None:
            self._busy(False)
            self._claiming = False
            self.continue_with(outcome.account, new, outcome.has_pin)

        self._busy(True)
        self.runner.run(
            op,
            name="cambiar_contrasena",
            on_success=saved,
            on_failure=lambda error: self._failed(self.new_password, error),
            owner=self,
        )

    @Slot()
    def save_pin(self) -> None:
        if self._account is None or not self.save_pin_button.isEnabled():
            return
        mismatch = self.tr("Los dos PIN no son iguales; escríbalos de nuevo.")
        if self.pin.differ(self.pin_edit, self.pin_repeat, mismatch):
            return
        accounts, user, password = self.accounts, self._account.user_name, self._password
        pin = self.pin_edit.text()

        def op(context: TaskContext) -> Account:
            return accounts.set_pin(user, password, pin)

        def saved(account: Account) -> None:
            self._busy(False)
            self._finish(account)

        self._busy(True)
        self.runner.run(
            op,
            name="elegir_pin",
            on_success=saved,
            on_failure=lambda error: self._failed(self.pin, error),
            owner=self,
        )

    def _mismatch(self) -> str:
        return self.tr("Las dos contraseñas no son iguales; escríbalas de nuevo.")

    def _finish(self, account: Account) -> None:
        self.reset()
        self.signed_in.emit(account)


class FirstRunScreen(Panel):
    """No account exists yet: the person installing the office becomes its administrator."""

    created = Signal(object, str)  # Account (signed in), its password for the PIN step

    def __init__(self, accounts: Accounts, runner: TaskRunner, parent: QWidget | None = None):
        super().__init__(self.tr("Primera vez: la cuenta de administrador"), parent)
        self.accounts = accounts
        self.runner = runner
        self.note.setText(
            self.tr(
                "Esta oficina aún no tiene cuentas. Cree la de quien la administrará: podrá dar "
                "de alta a las demás personas. La contraseña lleva al menos 10 caracteres."
            )
        )
        self.user_edit = self.field(self.tr("Usuario (p. ej. maria.lopez):"))
        self.name_edit = self.field(self.tr("Nombre completo (va en los acuses):"))
        self.password_edit = self.field(self.tr("Contraseña:"), secret=True)
        self.repeat_edit = self.field(self.tr("Repítala:"), secret=True)
        self.create_button = self.button(self.tr("Crear administrador"), self.create_administrator)
        self.create_button.setDefault(True)
        self.repeat_edit.returnPressed.connect(self.create_administrator)

    @Slot()
    def create_administrator(self) -> None:
        if not self.create_button.isEnabled():
            return
        mismatch = self.tr("Las dos contraseñas no son iguales; escríbalas de nuevo.")
        if self.differ(self.password_edit, self.repeat_edit, mismatch):
            return
        accounts, password = self.accounts, self.password_edit.text()
        user, full_name = self.user_edit.text(), self.name_edit.text()

        def op(context: TaskContext) -> Account:
            account = accounts.create(
                user, full_name=full_name, role="administrador", password=password
            )
            return accounts.sign_in(account.user_name, password)

        def made(account: Account) -> None:
            self.create_button.setEnabled(True)
            self.clear()
            self.created.emit(account, password)

        def refused(error: OficialiaError) -> None:
            self.create_button.setEnabled(True)
            self.say(error.message)

        self.create_button.setEnabled(False)
        self.say(self.tr("Creando la cuenta…"), error=False)
        self.runner.run(
            op, name="primer_administrador", on_success=made, on_failure=refused, owner=self
        )


def _same_name(user_name: str, login: str) -> bool:
    return user_name.strip().casefold() == login.strip().casefold()
