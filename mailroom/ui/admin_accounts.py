"""«Cuentas»: the office's accounts, and creating, disabling, reactivating, changing the role
or the e.firma titular flag, and resetting the password of one. Everything goes through
``mailroom.accounts.Accounts`` on the task helper; its Spanish refusals (a weak password, the
last administrator, no permission) are shown as they come."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from mailroom.accounts import ROLES, Account, Accounts
from mailroom.config import Settings
from mailroom.errors import OficialiaError
from mailroom.store import Store
from mailroom.ui.messages import DONE_STYLE, ERROR_STYLE, show_message
from mailroom.ui.tasks import TaskContext, TaskRunner

COLUMNS = ("Usuario", "Nombre", "Rol", "Estado", "e.firma", "Contraseña")


class AccountsTab(QWidget):
    listed = Signal(list)  # the accounts shown, after a read
    changed = Signal(object)  # the Account just created or changed
    failed = Signal(str)  # the Spanish message shown

    def __init__(
        self, store: Store, settings: Settings, runner: TaskRunner, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.accounts = Accounts(store, settings)
        self.runner = runner
        self.shown: list[Account] = []
        self._build()
        self.refresh()

    # -- layout ------------------------------------------------------------------------------

    def _build(self) -> None:
        self.table = QTableWidget(0, len(COLUMNS), self)
        self.table.setHorizontalHeaderLabels([self.tr(c) for c in COLUMNS])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.message = QLabel(self)
        self.message.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addWidget(self._selected_box())
        layout.addWidget(self._create_box())
        layout.addWidget(self.message)

    def _selected_box(self) -> QGroupBox:
        box = QGroupBox(self.tr("Cuenta elegida"), self)
        self.toggle_active = QPushButton(self.tr("&Desactivar"), box)
        self.toggle_active.clicked.connect(self.toggle_selected)
        self.role_choice = QComboBox(box)
        self.role_choice.addItems(list(ROLES))
        self.role_choice.setAccessibleName(self.tr("Rol nuevo"))
        self.set_role_button = QPushButton(self.tr("Cambiar el &rol"), box)
        self.set_role_button.clicked.connect(self.change_role)
        self.toggle_titular = QPushButton(self.tr("Permitir la e.&firma"), box)
        self.toggle_titular.clicked.connect(self.toggle_selected_titular)
        self.reset_password = QLineEdit(box)
        self.reset_password.setEchoMode(QLineEdit.EchoMode.Password)
        self.reset_password.setPlaceholderText(self.tr("Contraseña nueva (la cambiará al entrar)"))
        self.reset_button = QPushButton(self.tr("Res&tablecer"), box)
        self.reset_button.clicked.connect(self.reset_selected)
        row = QHBoxLayout()
        for widget in (self.toggle_active, self.role_choice, self.set_role_button):
            row.addWidget(widget)
        row.addWidget(self.toggle_titular)
        row.addStretch(1)
        reset = QHBoxLayout()
        reset.addWidget(self.reset_password, 1)
        reset.addWidget(self.reset_button)
        layout = QVBoxLayout(box)
        layout.addLayout(row)
        layout.addLayout(reset)
        self._selection_changed()
        return box

    def _create_box(self) -> QGroupBox:
        box = QGroupBox(self.tr("Cuenta nueva"), self)
        self.new_user = QLineEdit(box)
        self.new_user.setPlaceholderText(self.tr("minúsculas, p. ej. maria.lopez"))
        self.new_name = QLineEdit(box)
        self.new_name.setPlaceholderText(self.tr("Como irá en el acuse"))
        self.new_role = QComboBox(box)
        self.new_role.addItems(list(ROLES))
        self.new_password = QLineEdit(box)
        self.new_password.setEchoMode(QLineEdit.EchoMode.Password)
        self.new_password.setPlaceholderText(self.tr("Al menos 10 caracteres"))
        self.new_titular = QCheckBox(self.tr("Puede abrir la e.firma de la oficina"), box)
        self.create_button = QPushButton(self.tr("&Crear la cuenta"), box)
        self.create_button.clicked.connect(self.create_account)
        form = QFormLayout(box)
        form.addRow(self.tr("&Usuario"), self.new_user)
        form.addRow(self.tr("&Nombre completo"), self.new_name)
        form.addRow(self.tr("R&ol"), self.new_role)
        form.addRow(self.tr("Con&traseña"), self.new_password)
        form.addRow("", self.new_titular)
        form.addRow("", self.create_button)
        return box

    # -- reading -----------------------------------------------------------------------------

    @Slot()
    def refresh(self) -> None:
        accounts = self.accounts

        def op(context: TaskContext) -> list[Account]:
            return accounts.list_accounts()

        self.runner.run(
            op, name="listar_cuentas", on_success=self._show, on_failure=self._failed, owner=self
        )

    def _show(self, accounts: list[Account]) -> None:
        chosen = self.selected()
        self.shown = accounts
        self.table.setRowCount(len(accounts))
        for row, account in enumerate(accounts):
            values = (
                account.user_name,
                account.full_name,
                account.role,
                self.tr("activa") if account.active else self.tr("desactivada"),
                self.tr("titular") if account.titular else "",
                self.tr("debe cambiarla") if account.must_change_password else "",
            )
            for column, value in enumerate(values):
                self.table.setItem(row, column, QTableWidgetItem(value))
            if chosen is not None and account.user_name == chosen.user_name:
                self.table.selectRow(row)
        self._selection_changed()
        self.listed.emit(accounts)

    def selected(self) -> Account | None:
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        if not rows or rows[0].row() >= len(self.shown):
            return None
        return self.shown[rows[0].row()]

    def select(self, user_name: str) -> None:
        for row, account in enumerate(self.shown):
            if account.user_name == user_name:
                self.table.selectRow(row)

    @Slot()
    def _selection_changed(self) -> None:
        account = self.selected()
        for widget in (
            self.toggle_active,
            self.set_role_button,
            self.toggle_titular,
            self.reset_button,
        ):
            widget.setEnabled(account is not None)
        if account is None:
            return
        self.toggle_active.setText(
            self.tr("&Desactivar") if account.active else self.tr("&Reactivar")
        )
        self.toggle_titular.setText(
            self.tr("Quitar la e.&firma") if account.titular else self.tr("Permitir la e.&firma")
        )
        self.role_choice.setCurrentText(account.role)

    # -- changing ----------------------------------------------------------------------------

    @Slot()
    def create_account(self) -> None:
        user, name = self.new_user.text(), self.new_name.text()
        role, password = self.new_role.currentText(), self.new_password.text()
        titular = self.new_titular.isChecked()
        accounts = self.accounts

        def change() -> Account:
            return accounts.create(
                user, full_name=name, role=role, password=password, titular=titular
            )

        self._run(change, self.tr("Cuenta «{0}» creada."), clear=True)

    @Slot()
    def toggle_selected(self) -> None:
        account = self.selected()
        if account is None:
            return
        user, accounts = account.user_name, self.accounts
        if account.active:
            self._run(lambda: accounts.disable(user), self.tr("Cuenta «{0}» desactivada."))
        else:
            self._run(lambda: accounts.reactivate(user), self.tr("Cuenta «{0}» reactivada."))

    @Slot()
    def change_role(self) -> None:
        account = self.selected()
        if account is None:
            return
        user, role, accounts = account.user_name, self.role_choice.currentText(), self.accounts
        done = self.tr("«{0}» tiene ahora el rol {1}.").replace("{1}", role)
        self._run(lambda: accounts.set_role(user, role), done)

    @Slot()
    def toggle_selected_titular(self) -> None:
        account = self.selected()
        if account is None:
            return
        user, titular, accounts = account.user_name, not account.titular, self.accounts
        done = (
            self.tr("«{0}» puede abrir la e.firma.")
            if titular
            else self.tr("«{0}» ya no puede abrir la e.firma.")
        )
        self._run(lambda: accounts.set_titular(user, titular), done)

    @Slot()
    def reset_selected(self) -> None:
        account = self.selected()
        if account is None:
            return
        user, password, accounts = account.user_name, self.reset_password.text(), self.accounts
        self._run(
            lambda: accounts.reset_password(user, password),
            self.tr("Contraseña de «{0}» restablecida: la cambiará al iniciar sesión."),
            clear=True,
        )

    def _run(self, change: Callable[[], Account], done: str, *, clear: bool = False) -> None:
        self._say("", DONE_STYLE)

        def op(context: TaskContext) -> Account:
            return change()

        def succeeded(account: Account) -> None:
            if clear:
                for edit in (self.new_user, self.new_name, self.new_password, self.reset_password):
                    edit.clear()
                self.new_titular.setChecked(False)
            self._say(done.format(account.user_name), DONE_STYLE)
            self.changed.emit(account)
            self.refresh()

        self.runner.run(
            op, name="cambiar_cuenta", on_success=succeeded, on_failure=self._failed, owner=self
        )

    def _failed(self, error: OficialiaError) -> None:
        self.new_password.clear()
        self.reset_password.clear()
        self._say(error.message, ERROR_STYLE)
        self.failed.emit(error.message)

    def _say(self, text: str, style: str) -> None:
        show_message(self.message, text, style)
