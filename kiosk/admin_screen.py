"""The kiosk's admin screen, behind a 3-second press on the top-left corner and a 6-digit PIN.

It shows what staff need at the start and end of the day and when something fails: the receipt
printer (paper, cover, no answer), the scanner, the sync state; it opens and closes the office
e.firma, prints a test receipt, reprints the receipt of recent filings, and exits to the desktop.
It closes itself after ``kiosk_admin_idle_seconds`` without a touch, so a screen left open does
not hand the next citizen the admin's powers. The PIN is checked off the GUI thread (argon2id
takes tens of milliseconds by design); five wrong PINs lock it for 15 minutes, across restarts.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QStackedLayout,
    QVBoxLayout,
    QWidget,
)

from kiosk.admin_pin import AdminPin, PinCheck
from mailroom.errors import OficialiaError
from mailroom.ui.tasks import TaskRunner

if TYPE_CHECKING:
    from kiosk.desk import KioskDesk, PrintOutcome
    from kiosk.system_printer import SystemPrinter

PIN_LENGTH = 6
RECENT_RECEIPTS = 5

STYLE = """
QWidget#administracion { background: #eceff1; }
QLabel { font-size: 28px; color: #102027; }
QLabel#titulo { font-size: 44px; font-weight: bold; }
QLabel#puntos { font-size: 56px; letter-spacing: 12px; }
QLabel#aviso { color: #b71c1c; }
QPushButton { font-size: 28px; min-height: 72px; min-width: 120px; padding: 8px 20px;
    border: 3px solid #37474f; border-radius: 12px; background: #ffffff; color: #102027; }
QPushButton:pressed { background: #cfd8dc; }
QPushButton:disabled { border-color: #9e9e9e; color: #757575; background: #eeeeee; }
QLineEdit { font-size: 28px; min-height: 64px; padding: 4px 16px; border: 3px solid #546e7a;
    border-radius: 10px; background: #ffffff; placeholder-text-color: #37474f; }
"""


class AdminScreen(QWidget):
    closed = Signal()
    exit_requested = Signal()  # "Salir al escritorio"
    retry_requested = Signal()  # from the out-of-service notice: try to start again

    def __init__(
        self,
        pin: AdminPin,
        runner: TaskRunner,
        desk: KioskDesk | None,
        *,
        idle_seconds: int = 60,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("administracion")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setStyleSheet(STYLE)
        self.pin, self.runner, self.desk = pin, runner, desk
        self.system_printer: SystemPrinter | None = None  # the full acuse's printer, if any
        self._typed = ""
        self._idle = QTimer(self)
        self._idle.setSingleShot(True)
        self._idle.setInterval(idle_seconds * 1000)
        self._idle.timeout.connect(self.close_screen)
        self.pages = QStackedLayout(self)
        self.pin_pad = self._pin_page()
        self.pages.addWidget(self.pin_pad)
        self.pages.addWidget(self._panel_page())
        self.installEventFilter(self)

    # -- the PIN pad -------------------------------------------------------------------------

    def _pin_page(self) -> QWidget:
        page = QWidget(self)
        layout = QVBoxLayout(page)
        layout.setContentsMargins(600, 80, 600, 80)
        layout.addWidget(_label(self.tr("Administración del quiosco"), "titulo"))
        layout.addWidget(_label(self.tr("Escriba el PIN de 6 dígitos.")))
        self.dots = _label("", "puntos")
        self.pin_message = _label("", "aviso")
        layout.addWidget(self.dots)
        layout.addWidget(self.pin_message)
        pad = QGridLayout()
        pad.setSpacing(12)  # apart enough that a finger does not press two keys
        for index, digit in enumerate("123456789"):
            pad.addWidget(self._button(digit, self._digit(digit)), index // 3, index % 3)
        pad.addWidget(self._button(self.tr("Borrar"), self._erase), 3, 0)
        pad.addWidget(self._button("0", self._digit("0")), 3, 1)
        pad.addWidget(self._button(self.tr("Cancelar"), self.close_screen), 3, 2)
        layout.addLayout(pad)
        layout.addStretch(1)
        return page

    def _digit(self, digit: str) -> Callable[[], None]:
        def typed() -> None:
            if len(self._typed) < PIN_LENGTH:
                self._typed += digit
                self._show_dots()
            if len(self._typed) == PIN_LENGTH:
                self._check(self._typed)

        return typed

    def _erase(self) -> None:
        self._typed = self._typed[:-1]
        self._show_dots()

    def _show_dots(self) -> None:
        self.dots.setText("●" * len(self._typed) + "○" * (PIN_LENGTH - len(self._typed)))

    def _check(self, typed: str) -> None:
        self._typed = ""
        self._set_pad_enabled(False)
        if not self.pin.is_set():
            self._checked(PinCheck(False, 0, None, self.tr(
                "Este quiosco no tiene PIN. Configúrelo con «oficialia kiosk pin».")))  # fmt: skip
            return
        self.runner.run(
            lambda context: self.pin.check(typed),
            name="pin",
            on_success=self._checked,
            on_failure=lambda error: self._checked(PinCheck(False, 0, None, error.message)),
            owner=self,
        )

    def _checked(self, check: PinCheck) -> None:
        self._set_pad_enabled(True)
        self._show_dots()
        if not check.ok:
            self.pin_message.setText(check.message)
            return
        self.pin_message.setText("")
        self.pages.setCurrentIndex(1)
        self.refresh()

    def _set_pad_enabled(self, enabled: bool) -> None:
        for button in self.pin_pad.findChildren(QPushButton):
            button.setEnabled(enabled)

    # -- the panel ---------------------------------------------------------------------------

    def _panel_page(self) -> QWidget:
        page = QWidget(self)
        layout = QVBoxLayout(page)
        layout.setContentsMargins(160, 60, 160, 60)
        layout.setSpacing(16)  # no two buttons closer than 8 px (the kiosk's audit)
        layout.addWidget(_label(self.tr("Administración del quiosco"), "titulo"))
        self.printer_label = _label(self.tr("Impresora: revisando…"))
        self.scanner_label = _label(self.tr("Escáner: revisando…"))
        self.sync_label = _label(self.tr("Sincronización: revisando…"))
        self.efirma_label = _label("")
        self.message = _label("", "aviso")
        for label in (self.printer_label, self.scanner_label, self.sync_label, self.efirma_label):
            layout.addWidget(label)
        self.password = QLineEdit(page)
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText(self.tr("Contraseña de la e.firma de la oficina"))
        self.password.setContextMenuPolicy(Qt.ContextMenuPolicy.NoContextMenu)
        self.password.installEventFilter(self)
        self.open_button = self._button(self.tr("Abrir e.firma"), self._open_efirma)
        self.close_button = self._button(self.tr("Cerrar e.firma"), self._close_efirma)
        layout.addLayout(_row(self.password, self.open_button, self.close_button))
        self.test_button = self._button(self.tr("Imprimir ticket de prueba"), self._print_test)
        layout.addLayout(_row(self.test_button))
        self.reprint_row = QHBoxLayout()
        self.reprint_row.setSpacing(16)
        layout.addWidget(_label(self.tr("Reimprimir el ticket de:")))
        layout.addLayout(self.reprint_row)
        layout.addWidget(self.message)
        layout.addStretch(1)
        self.exit_button = self._button(self.tr("Salir al escritorio"), self.exit_requested.emit)
        self.retry_button = self._button(self.tr("Reintentar el arranque"), self._retry)
        self.back_button = self._button(self.tr("Volver al quiosco"), self.close_screen)
        layout.addLayout(_row(self.exit_button, self.retry_button, self.back_button))
        return page

    def refresh(self) -> None:
        """Ask the devices again (off the GUI thread: a silent printer takes its timeout)."""
        desk = self.desk
        self.retry_button.setVisible(desk is None)
        for widget in (self.password, self.open_button, self.close_button, self.test_button):
            widget.setEnabled(desk is not None)
        if desk is None:
            self.printer_label.setText(self.tr("El quiosco no arrancó: vea el aviso en pantalla."))
            return
        self._show_efirma()
        self.runner.run(lambda context: _devices(desk), name="estado_del_quiosco",
                        on_success=self._show_devices, owner=self)  # fmt: skip

    def _show_devices(self, devices: tuple[str, str, str, list[str]]) -> None:
        printer, scanner, sync, recent = devices
        if self.system_printer is not None and self.system_printer.last_problem:
            printer += self.tr(" Impresora del sistema: ") + self.system_printer.last_problem
        self.printer_label.setText(self.tr("Impresora: ") + printer)
        self.scanner_label.setText(self.tr("Escáner: ") + scanner)
        self.sync_label.setText(self.tr("Sincronización: ") + sync)
        while (item := self.reprint_row.takeAt(0)) is not None:
            if (widget := item.widget()) is not None:
                widget.deleteLater()
        for folio in recent:
            self.reprint_row.addWidget(self._button(folio, self._reprinter(folio)))
        if not recent:
            self.reprint_row.addWidget(_label(self.tr("(aún no hay escritos en este quiosco)")))

    def _show_efirma(self) -> None:
        assert self.desk is not None
        seal = self.desk.seal
        if seal.is_open:
            self.efirma_label.setText(self.tr("e.firma de la oficina: abierta (%s)") % seal.holder)
        else:
            self.efirma_label.setText(
                self.tr("e.firma de la oficina: cerrada; los acuses quedan por sellar.")
            )
        self.close_button.setEnabled(seal.is_open)

    def _open_efirma(self) -> None:
        assert self.desk is not None
        seal, password = self.desk.seal, self.password.text()
        self.password.clear()
        self.message.setText(self.tr("Abriendo la e.firma…"))
        self.runner.run(lambda context: seal.open(password), name="abrir_efirma",
                        on_success=lambda holder: self._done(self.tr("e.firma abierta.")),
                        on_failure=self._failed, owner=self)  # fmt: skip

    def _close_efirma(self) -> None:
        assert self.desk is not None
        self.desk.seal.close()
        self._done(self.tr("e.firma cerrada."))

    def _print_test(self) -> None:
        assert self.desk is not None
        desk = self.desk
        self.runner.run(lambda context: desk.print_test(), name="ticket_de_prueba",
                        on_success=self._printed, on_failure=self._failed, owner=self)  # fmt: skip

    def _reprinter(self, folio: str) -> Callable[[], None]:
        def reprint() -> None:
            assert self.desk is not None
            desk = self.desk
            self.runner.run(
                lambda context: desk.reprint(folio),
                name="reimprimir",
                on_success=self._printed,
                on_failure=self._failed,
                owner=self,
            )

        return reprint

    def _printed(self, outcome: PrintOutcome) -> None:
        self._done(self.tr("Ticket impreso.") if outcome.printed else outcome.problem)

    def _done(self, text: str) -> None:
        self.message.setText(text)
        self.refresh()

    def _failed(self, error: OficialiaError) -> None:
        self.message.setText(error.message)
        if self.desk is not None:
            self._show_efirma()

    def _retry(self) -> None:
        self.close_screen()
        self.retry_requested.emit()

    # -- opening and closing -----------------------------------------------------------------

    def open_screen(self) -> None:
        self._typed = ""
        self.pin_message.setText("")
        self.message.setText("")
        self.password.clear()
        self._show_dots()
        locked = self.pin.locked_until()
        if locked is not None:
            self.pin_message.setText(
                self.tr("Demasiados intentos. El acceso queda bloqueado hasta las %s.")
                % locked.strftime("%H:%M")
            )
        self.pages.setCurrentIndex(0)
        self._idle.start()

    def close_screen(self) -> None:
        self._idle.stop()
        self._typed = ""
        self.password.clear()
        self.pages.setCurrentIndex(0)
        self.closed.emit()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if event.type() in (QEvent.Type.MouseButtonPress, QEvent.Type.KeyPress,
                            QEvent.Type.TouchBegin) and self._idle.isActive():  # fmt: skip
            self._idle.start()
        return False

    def _button(self, text: str, slot: Callable[[], object]) -> QPushButton:
        button = QPushButton(text, self)
        button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        button.installEventFilter(self)
        button.clicked.connect(lambda: slot())
        return button


def _devices(desk: KioskDesk) -> tuple[str, str, str, list[str]]:
    """The panel's lines (worker thread)."""
    status = desk.printer_status()
    printer = status.staff_message or "lista."
    scanner = desk.scanner_problem() or "listo."
    report = desk.sync_report()
    last = report.last_success_at or "nunca"
    state = "en línea" if report.online else "sin conexión"
    sync = f"{state}; {report.pending} por enviar; última sincronización: {last}."
    return printer, scanner, sync, desk.recent_folios(RECENT_RECEIPTS)


def _label(text: str, name: str = "") -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    if name:
        label.setObjectName(name)
    return label


def _row(*widgets: QWidget) -> QHBoxLayout:
    row = QHBoxLayout()
    row.setSpacing(16)
    for widget in widgets:
        row.addWidget(widget)
    return row
