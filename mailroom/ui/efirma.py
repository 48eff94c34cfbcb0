"""The office e.firma in the clerk's app: the unlock dialog, the session that locks after
inactivity, and the indicator that says whether acuses are being sealed.

The decrypted key lives only in the session's ``UnlockedEfirma`` (inside its signer). Locking
drops that reference, so an unattended counter cannot keep sealing in the clerk's name; acuses
registered meanwhile stay pending until someone unlocks again (``AcuseService.seal_pending``).
Opening runs ``mailroom.efirma_unlock`` through the task helper: PBKDF2 on the ``.key`` and the
OCSP question would otherwise freeze the window for a second or more. Once open, the dialog goes
away (the clerk's next keys belong to the counter) and the indicator in the status bar says who
seals, with any warning the opening gave.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from PySide6.QtCore import QEvent, QObject, QTimer, Signal, Slot
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from mailroom.efirma_unlock import UnlockedEfirma
from mailroom.errors import OficialiaError
from mailroom.ui.tasks import TaskContext, TaskRunner
from signing import CertificateIdentity, PdfSigner

EfirmaOpener = Callable[[Path, Path, str], UnlockedEfirma]
"""``(cer, key, password) -> UnlockedEfirma``: ``open_office_efirma`` bound to the settings."""

DEFAULT_IDLE_MINUTES = 15.0


class EfirmaSession(QObject):
    """Holds the unlocked e.firma for the shift and locks it after ``idle_minutes`` without
    activity. The app calls :meth:`note_activity` on user input (key presses, clicks)."""

    unlocked = Signal(object)  # UnlockedEfirma
    locked = Signal(str)  # why, in Spanish

    def __init__(
        self, idle_minutes: float = DEFAULT_IDLE_MINUTES, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._efirma: UnlockedEfirma | None = None
        self._idle_timer = QTimer(self)
        self._idle_timer.setSingleShot(True)
        self._idle_timer.setInterval(max(1, round(idle_minutes * 60_000)))
        self._idle_timer.timeout.connect(self._lock_for_inactivity)
        self.idle_minutes = idle_minutes

    @property
    def is_unlocked(self) -> bool:
        return self._efirma is not None

    @property
    def identity(self) -> CertificateIdentity | None:
        return self._efirma.identity if self._efirma else None

    @property
    def signer(self) -> PdfSigner | None:
        """The signer for the next acuse, or ``None`` while locked (the acuse stays pending)."""
        return self._efirma.signer if self._efirma else None

    def unlock(self, efirma: UnlockedEfirma) -> None:
        self._efirma = efirma
        self._idle_timer.start()
        self.unlocked.emit(efirma)

    @Slot()
    def note_activity(self) -> None:
        """The clerk did something: the inactivity countdown starts again."""
        if self._efirma is not None:
            self._idle_timer.start()

    @Slot()
    def lock(self) -> None:
        self._close(self.tr("e.firma cerrada por el usuario."))

    @Slot()
    def _lock_for_inactivity(self) -> None:
        self._close(
            self.tr("e.firma cerrada tras {0} sin actividad.").format(
                _duration_label(self.idle_minutes)
            )
        )

    def _close(self, reason: str) -> None:
        self._idle_timer.stop()
        if self._efirma is None:
            return
        self._efirma = None  # the only reference to the decrypted key goes with it
        self.locked.emit(reason)


class Attentive(Protocol):
    """What counts down to a lock and starts again when the clerk does something."""

    def note_activity(self) -> None: ...


class ActivityWatcher(QObject):
    """Reports the clerk's input to the e.firma session and to anything else that locks on
    inactivity (the shift): install it on the application (``app.installEventFilter(watcher)``)
    and every key press, click or wheel turn in any window restarts their countdowns. One filter
    for all of them: each filter on the application is Python code run for every event. It only
    watches; no event is consumed."""

    ACTIVITY = frozenset({QEvent.Type.KeyPress, QEvent.Type.MouseButtonPress, QEvent.Type.Wheel})

    def __init__(
        self, session: EfirmaSession, *others: Attentive, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._listeners: tuple[Attentive, ...] = (session, *others)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if event.type() in self.ACTIVITY:
            for listener in self._listeners:
                listener.note_activity()
        return False


class SealingIndicator(QLabel):
    """'Sellando acuses' while the session is open; otherwise says acuses wait for the seal."""

    def __init__(self, session: EfirmaSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("indicadorSello")
        session.unlocked.connect(self._show_unlocked)
        session.locked.connect(self._show_locked)
        if session.identity is not None:
            self._show_identity(session.identity)
        else:
            self._show_locked("")

    @Slot(object)
    def _show_unlocked(self, efirma: UnlockedEfirma) -> None:
        self._show_identity(efirma.identity, efirma.warnings)

    def _show_identity(self, identity: CertificateIdentity, warnings: tuple[str, ...] = ()) -> None:
        self.sealing = True
        tip = [self.tr("e.firma abierta: {0} ({1})").format(identity.name, identity.rfc)]
        tip += [self.tr("Aviso: {0}").format(warning) for warning in warnings]
        self.setToolTip("\n".join(tip))
        self.setText(self.tr("Sellando acuses"))
        # Amber when the opening gave warnings: the dialog that showed them has closed, and
        # they stay one hover away here.
        colour = "#8a4b00" if warnings else "#1b5e20"
        self.setStyleSheet(f"color: {colour}; font-weight: bold;")

    @Slot(str)
    def _show_locked(self, reason: str) -> None:
        self.sealing = False
        self.setText(self.tr("e.firma cerrada: los acuses quedan por sellar"))
        self.setToolTip(reason)
        self.setStyleSheet("color: #b71c1c; font-weight: bold;")


class EfirmaDialog(QDialog):
    """Choose the ``.cer`` and ``.key``, type the password, "Abrir". Not modal: the counter keeps
    working while the key is decrypted, and a refusal is shown inside the dialog; once the
    e.firma is open the dialog closes."""

    opened = Signal(object)  # UnlockedEfirma

    def __init__(
        self,
        opener: EfirmaOpener,
        tasks: TaskRunner,
        session: EfirmaSession | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Abrir la e.firma"))
        self.setModal(False)
        self._opener = opener
        self._tasks = tasks
        self._session = session
        self.file_dialog: QFileDialog | None = None
        self._note = ""
        self.cer_edit = QLineEdit()
        self.key_edit = QLineEdit()
        self.password_edit = QLineEdit()
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.status_label = QLabel()
        self.status_label.setWordWrap(True)
        self.holder_label = QLabel()
        self.holder_label.setWordWrap(True)
        self.open_button = QPushButton(self.tr("Abrir"))
        self.open_button.clicked.connect(self.open_efirma)
        self.password_edit.returnPressed.connect(self.open_efirma)
        self._build_layout()
        # Made the default once it is in the dialog: set before, it did not count, and the
        # dialog took the first "Elegir…" as its default — Enter in the password field opened
        # the .cer chooser as well as the e.firma.
        self.open_button.setDefault(True)
        if session is not None:
            session.locked.connect(self._session_locked)

    def _build_layout(self) -> None:
        form = QFormLayout()
        form.addRow(
            self.tr("Certificado (.cer):"), self._with_browse(self.cer_edit, self._browse_cer)
        )
        form.addRow(
            self.tr("Llave privada (.key):"), self._with_browse(self.key_edit, self._browse_key)
        )
        form.addRow(self.tr("Contraseña:"), self.password_edit)
        buttons = QDialogButtonBox()
        buttons.addButton(self.open_button, QDialogButtonBox.ButtonRole.AcceptRole)
        close = buttons.addButton(QDialogButtonBox.StandardButton.Close)
        close.setText(self.tr("Cerrar"))
        close.clicked.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.status_label)
        layout.addWidget(self.holder_label)
        layout.addWidget(buttons)

    def _with_browse(self, edit: QLineEdit, browse_slot: Callable[[], None]) -> QWidget:
        row = QWidget()
        layout = QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(edit)
        browse = QPushButton(self.tr("Elegir…"))
        browse.setAutoDefault(False)  # Enter is for "Abrir", never for a file chooser
        # A bound slot, not a lambda: a lambda holding the dialog, freed while Qt deletes the
        # dialog's children, can free the dialog from inside its own destructor under PySide6.
        browse.clicked.connect(browse_slot)
        layout.addWidget(browse)
        return row

    @Slot()
    def _browse_cer(self) -> None:
        self._browse(self.cer_edit, ".cer")

    @Slot()
    def _browse_key(self) -> None:
        self._browse(self.key_edit, ".key")

    def _browse(self, edit: QLineEdit, suffix: str) -> None:
        """The file dialog, opened without blocking, in the folder of the file already named."""
        name_filter = self.tr("Archivos {0} (*{0});;Todos los archivos (*)").format(suffix)
        current = Path(edit.text().strip()).parent if edit.text().strip() else Path.home()
        dialog = QFileDialog(self, self.tr("Elegir archivo"), str(current), name_filter)
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.fileSelected.connect(edit.setText)
        if self.file_dialog is not None:  # the last one, closed: not one more per choice
            self.file_dialog.deleteLater()
        self.file_dialog = dialog
        dialog.open()

    @Slot()
    def open_efirma(self) -> None:
        """Check the form, then open the e.firma off the GUI thread."""
        if not self.open_button.isEnabled():
            return  # already opening: a second Enter must not start a second PBKDF2
        missing = self._missing_field()
        if missing:
            self._show_error(missing)
            return
        cer, key = Path(self.cer_edit.text().strip()), Path(self.key_edit.text().strip())
        password = self.password_edit.text()
        opener = self._opener  # the op reads no widget state: everything it needs is bound here
        self.open_button.setEnabled(False)
        self.holder_label.clear()
        self._show_status(self.tr("Abriendo la e.firma…"), error=False)

        def op(context: TaskContext) -> UnlockedEfirma:
            return opener(cer, key, password)

        self._tasks.run(op, name="abrir_efirma", on_success=self._opened, on_failure=self._failed)

    def _missing_field(self) -> str | None:
        if not self.cer_edit.text().strip():
            return self.tr("Elija el certificado (.cer) de la e.firma.")
        if not self.key_edit.text().strip():
            return self.tr("Elija la llave privada (.key) de la e.firma.")
        if not self.password_edit.text():
            return self.tr("Escriba la contraseña de la llave privada.")
        return None

    def _opened(self, efirma: UnlockedEfirma) -> None:
        self.open_button.setEnabled(True)
        self.password_edit.clear()
        identity = efirma.identity
        self.holder_label.setText(_holder_text(self, identity))
        status = self.tr("e.firma abierta: los acuses se sellarán con ella.")
        for warning in efirma.warnings:
            status += "\n" + self.tr("Aviso: {0}").format(warning)
        self._show_status(status, error=False)
        if self._session is not None:
            self._session.unlock(efirma)
        self.opened.emit(efirma)
        self.accept()  # done: the next keys (Ctrl+O…) go back to the counter's window

    def set_note(self, note: str) -> None:
        """A line the dialog shows until an outcome replaces it, and again once the e.firma is
        closed (the demo profile's: its password)."""
        self._note = note
        self._show_status(note, error=False)

    @Slot(str)
    def _session_locked(self, reason: str) -> None:
        """Opened again later, the dialog says why the e.firma is closed, not who had it open."""
        self.holder_label.clear()
        self._show_status("\n".join(line for line in (reason, self._note) if line), error=False)

    def _failed(self, error: OficialiaError) -> None:
        self.open_button.setEnabled(True)
        self.password_edit.clear()
        self.password_edit.setFocus()
        self._show_error(error.message)

    def _show_error(self, message: str) -> None:
        self._show_status(message, error=True)

    def _show_status(self, message: str, *, error: bool) -> None:
        self.status_label.setText(message)
        self.status_label.setStyleSheet("color: #b71c1c;" if error else "")


def _holder_text(widget: QWidget, identity: CertificateIdentity) -> str:
    lines = [
        widget.tr("Titular: {0}").format(identity.name),
        widget.tr("RFC: {0}").format(identity.rfc),
        widget.tr("CURP: {0}").format(identity.curp or widget.tr("(no tiene)")),
        widget.tr("Vence: {0:%Y-%m-%d %H:%M} UTC").format(identity.not_after),
    ]
    return "\n".join(lines)


def _duration_label(minutes: float) -> str:
    if minutes >= 1:
        return f"{round(minutes, 1):g} min"
    return f"{round(minutes * 60, 1):g} s"
