"""The shift at one counter: who is signed in, the lock after a while without activity, and what
covers the window while nobody may work at it.

``Shift`` holds the person signed in and fills the settings' ``Seat`` the services read (it is
the Workstation's own settings object, so a registration names this person). After
``idle_minutes`` without a key press or click it locks: the window is covered and only the same
person's PIN opens it again; «Otra persona» leads to a full sign-in. The seat keeps the locked
person until someone else signs in: a registration that was still running when the counter
locked finishes in the name of whoever pressed «Registrar». Locks and sign-outs are audit events
(``Accounts.record_session``), written through the task helper.

``ShiftCover`` is the window's central area: the counter's tabs while someone works, otherwise the
sign-in, the lock or, with no account at all, the first administrator's form.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from PySide6.QtCore import QObject, QTimer, Signal, Slot
from PySide6.QtWidgets import QStackedWidget, QTabWidget, QWidget

from mailroom.accounts import PIN_LENGTH, Account, Accounts, PinSpent
from mailroom.errors import OficialiaError
from mailroom.permissions import Actor, Seat
from mailroom.ui.sign_in import FirstRunScreen, Panel, SignInScreen
from mailroom.ui.tasks import TaskContext, TaskRunner

MIN_IDLE_MS = 1_000
S = TypeVar("S", bound=QWidget)


class Shift(QObject):
    """Who works at this counter now. ``seated``: someone may work (signed in or unlocked);
    ``covered``: nobody may (locked, or signed out: ``actor`` says which)."""

    seated = Signal(object)  # Actor
    covered = Signal()

    def __init__(
        self,
        accounts: Accounts,
        seat: Seat,
        runner: TaskRunner,
        idle_minutes: float,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.accounts = accounts
        self.seat = seat
        self.runner = runner
        self.actor: Actor | None = None  # also while locked: the one the PIN lets back in
        self.is_locked = False
        self.idle_timer = QTimer(self)
        self.idle_timer.setSingleShot(True)
        self.idle_timer.setInterval(max(MIN_IDLE_MS, round(idle_minutes * 60_000)))
        self.idle_timer.timeout.connect(self.lock)

    @property
    def working(self) -> bool:
        return self.actor is not None and not self.is_locked

    def sit(self, actor: Actor) -> None:
        """``actor`` signed in (or came back with the PIN): the services act in its name."""
        previous = self.actor
        if previous is not None and previous.name != actor.name:
            self._record(previous.name, "cierre_sesion")  # another person took the counter
        self.actor, self.is_locked = actor, False
        self.seat.sit(actor)
        self.idle_timer.start()
        self.seated.emit(actor)

    @Slot()
    def note_activity(self) -> None:
        if self.working:
            self.idle_timer.start()

    @Slot()
    def lock(self) -> None:
        if not self.working or self.actor is None:
            return
        self.is_locked = True
        self.idle_timer.stop()
        self._record(self.actor.name, "sesion_bloqueada")
        self.covered.emit()

    @Slot()
    def sign_out(self) -> None:
        if self.actor is None:
            return
        self._record(self.actor.name, "cierre_sesion")
        self.actor, self.is_locked = None, False
        self.seat.leave()
        self.idle_timer.stop()
        self.covered.emit()

    def _record(self, user_name: str, kind: str) -> None:
        accounts = self.accounts

        def op(context: TaskContext) -> None:
            accounts.record_session(user_name, kind)

        self.runner.run(op, name=kind)


class PersonalScreens(Generic[S]):
    """One screen per person in the first tab (Recepción): each keeps what its person left
    there, hidden from everyone else; a person's first sign-in gets an empty one. The first is
    built at once and goes to the first person who signs in: nobody has typed in it."""

    def __init__(self, tabs: QTabWidget, make: Callable[[], S], label: str) -> None:
        self._tabs, self._make, self._label = tabs, make, label
        self.current: S = make()
        self._owned: dict[str, S] = {}
        tabs.insertTab(0, self.current, label)

    def show_for(self, user_name: str) -> S:
        screen = self._owned.get(user_name)
        if screen is None:
            taken = self.current in self._owned.values()
            screen = self._make() if taken else self.current
            self._owned[user_name] = screen
        if screen is not self.current:
            shown = self._tabs.currentIndex()
            self._tabs.removeTab(self._tabs.indexOf(self.current))
            self.current.hide()  # removed from the tabs, it is still the window's child
            self._tabs.insertTab(0, screen, self._label)
            self._tabs.setCurrentIndex(shown)
            self.current = screen
        return screen

    def screens(self) -> list[S]:
        return [self.current, *(s for s in self._owned.values() if s is not self.current)]


@dataclass(frozen=True)
class _Unlocked:
    account: Account
    password: str = ""  # typed when the PIN was spent: the sign-in's steps may need it
    has_pin: bool = True


class LockScreen(Panel):
    """«Bloqueado: <name>»: the same person's PIN opens the counter again; after too many wrong
    PINs (or with none chosen) only that person's password. «Otra persona» asks for a full
    sign-in."""

    unlocked = Signal(object)  # _Unlocked
    other_person = Signal()

    def __init__(self, accounts: Accounts, runner: TaskRunner, parent: QWidget | None = None):
        super().__init__("", parent)
        self.accounts = accounts
        self.runner = runner
        self.actor: Actor | None = None
        self.with_password = False
        self.pin_edit = self.field(self.tr("PIN:"), secret=True, max_length=PIN_LENGTH[1])
        self.password_edit = self.field(self.tr("Contraseña:"), secret=True)
        self.other_button = self.button(self.tr("Otra persona"), self.other_person.emit)
        self.unlock_button = self.button(self.tr("Desbloquear"), self.unlock)
        self.unlock_button.setDefault(True)
        self.pin_edit.returnPressed.connect(self.unlock)
        self.password_edit.returnPressed.connect(self.unlock)

    def show_for(self, actor: Actor) -> None:
        self.actor = actor
        self.title.setText(self.tr("Bloqueado: {0}").format(actor.full_name))
        self._ask(password=False, message="")
        self._check_pin(actor)

    def _check_pin(self, actor: Actor) -> None:
        """Someone who never chose a PIN (signed in before PINs, or given one by hand) is asked
        for the password straight away."""
        accounts = self.accounts

        def op(context: TaskContext) -> bool:
            return accounts.has_pin(actor.name)

        def checked(has_pin: bool) -> None:
            if not has_pin and self.actor is actor and not self.with_password:
                self._ask(password=True, message="")

        self.runner.run(op, name="tiene_pin", on_success=checked, owner=self)

    def _ask(self, *, password: bool, message: str) -> None:
        self.with_password = password
        self.clear()
        self.form.setRowVisible(self.pin_edit, not password)
        self.form.setRowVisible(self.password_edit, password)
        if password:
            self.note.setText(self.tr("Escriba su contraseña para volver a la ventanilla."))
        else:
            self.note.setText(self.tr("Escriba su PIN para volver a la ventanilla."))
        self.say(message)
        (self.password_edit if password else self.pin_edit).setFocus()

    @Slot()
    def unlock(self) -> None:
        if self.actor is None or not self.unlock_button.isEnabled():
            return
        accounts, user = self.accounts, self.actor.name
        with_password = self.with_password
        secret = self.password_edit.text() if with_password else self.pin_edit.text()

        def op(context: TaskContext) -> _Unlocked:
            if with_password:
                account = accounts.sign_in(user, secret)
                return _Unlocked(account, secret, accounts.has_pin(user))
            return _Unlocked(accounts.unlock(user, secret))

        self.unlock_button.setEnabled(False)
        self.say(self.tr("Comprobando…"), error=False)
        self.runner.run(
            op, name="desbloquear", on_success=self._unlocked, on_failure=self._refused, owner=self
        )

    def _unlocked(self, outcome: _Unlocked) -> None:
        self.unlock_button.setEnabled(True)
        self.clear()
        self.unlocked.emit(outcome)

    def _refused(self, error: OficialiaError) -> None:
        self.unlock_button.setEnabled(True)
        if isinstance(error, PinSpent):
            self._ask(password=True, message=error.message)
            return
        self.pin_edit.clear()
        self.password_edit.clear()
        self.say(error.message)


class ShiftCover(QStackedWidget):
    """The counter's tabs while someone works; the sign-in, the lock or the first run when not."""

    def __init__(
        self,
        shift: Shift,
        content: QWidget,
        sign_in: SignInScreen,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.shift = shift
        self.content = content
        self.sign_in = sign_in
        self.lock_screen = LockScreen(shift.accounts, shift.runner, self)
        self.first_run = FirstRunScreen(shift.accounts, shift.runner, self)
        for page in (content, sign_in, self.lock_screen, self.first_run):
            self.addWidget(page)
        self.setCurrentWidget(sign_in)  # never the counter before someone signs in
        sign_in.signed_in.connect(self._signed_in)
        sign_in.returned.connect(self._back_to_lock)
        self.lock_screen.unlocked.connect(self._unlocked)
        self.lock_screen.other_person.connect(self._other_person)
        self.first_run.created.connect(self._first_administrator)
        shift.seated.connect(self._seated)
        shift.covered.connect(self._covered)

    def start(self, *, first_run: bool) -> None:
        """Before anyone signs in: the first administrator's form when there is no account."""
        if first_run:
            self.setCurrentWidget(self.first_run)
            self.first_run.user_edit.setFocus()
        else:
            self.sign_in.reset()
            self.setCurrentWidget(self.sign_in)

    @property
    def covering(self) -> bool:
        return self.currentWidget() is not self.content

    @Slot(object)
    def _signed_in(self, account: Account) -> None:
        self.shift.sit(self.shift.accounts.actor(account))

    @Slot(object)
    def _unlocked(self, outcome: _Unlocked) -> None:
        account = outcome.account
        if outcome.password and (account.must_change_password or not outcome.has_pin):
            self.setCurrentWidget(self.sign_in)
            self.sign_in.continue_with(account, outcome.password, outcome.has_pin)
            return
        self.shift.sit(self.shift.accounts.actor(account))

    @Slot(object, str)
    def _first_administrator(self, account: Account, password: str) -> None:
        self.sign_in.reset()
        self.setCurrentWidget(self.sign_in)
        self.sign_in.continue_with(account, password, False)

    @Slot()
    def _other_person(self) -> None:
        self.sign_in.reset(can_return=True)
        self.setCurrentWidget(self.sign_in)

    @Slot()
    def _back_to_lock(self) -> None:
        if self.shift.actor is not None and self.shift.is_locked:
            self.setCurrentWidget(self.lock_screen)
            self.lock_screen.pin_edit.setFocus()

    @Slot(object)
    def _seated(self, actor: Actor) -> None:
        self.setCurrentWidget(self.content)

    @Slot()
    def _covered(self) -> None:
        actor = self.shift.actor
        if actor is not None and self.shift.is_locked:
            self.lock_screen.show_for(actor)
            self.setCurrentWidget(self.lock_screen)
        else:
            self.sign_in.reset(message=self.tr("Sesión cerrada."))
            self.setCurrentWidget(self.sign_in)
