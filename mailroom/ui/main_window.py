"""The clerk's main window: the counter's screens in tabs, sync status always on the right.

The window only arranges screens and routes the counter's shortcuts to them; each screen talks to
the Qt-free services of the ``Workstation`` through the one task helper. Background state (OCR
queue, sync) is polled off the GUI thread every few seconds rather than pushed from worker
threads: a worker never touches a widget, and a poll costs one small read.

Nobody works at it without signing in (``mailroom.ui.shift``): while the counter is locked or
nobody is signed in, the tabs are covered, the sync panel hidden, the open dialogs closed and the
menus' actions off. Each person has a Recepción screen of their own: what one left half typed
stays with them, hidden, and the next person gets an empty one.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer, Signal, Slot
from PySide6.QtWidgets import QGridLayout, QLabel, QMainWindow, QWidget

# What the window's frame does not use is imported where it is used, after the first paint:
# PySide6 builds a Qt class's Python type (and its enums) on first import, ~2 ms for the menus',
# tabs', dock's and message box's classes, and the Qt namespace alone ~15 ms.
if TYPE_CHECKING:  # the screens and services are imported by populate(), after the first paint
    from PySide6.QtGui import QAction, QCloseEvent, QPaintEvent

    from mailroom.acuses import SealingReport
    from mailroom.config import Settings
    from mailroom.efirma_unlock import UnlockedEfirma
    from mailroom.errors import OficialiaError
    from mailroom.permissions import Actor
    from mailroom.ui.admin_privacy import NoticePrinter
    from mailroom.ui.efirma import EfirmaDialog, EfirmaOpener, EfirmaSession
    from mailroom.ui.intake_screen import IntakeScreen
    from mailroom.ui.preferences import Preferences
    from mailroom.ui.settings_dialog import SettingsDialog
    from mailroom.ui.shift import Shift
    from mailroom.ui.sign_in import SignInScreen
    from mailroom.ui.tasks import TaskContext, TaskRunner
    from mailroom.workstation import BackgroundStatus, Workstation

STATUS_POLL_MS = 2000
SYNC_POLL_MS = 5000
SYNC_PANEL_WIDTH = 280


class _OpeningFrame(QWidget):
    """What the window shows while its screens load: «Abriendo…» in the middle, and a signal
    once that has been painted, so the loading waits for the clerk to see the window."""

    painted = Signal()

    def __init__(self, text: str, parent: QWidget) -> None:
        super().__init__(parent)
        self._told = False
        label = QLabel(text, self)
        font = label.font()  # a font, not a style sheet: the sheet's parser costs the first paint
        font.setPointSizeF(font.pointSizeF() * 1.4)
        label.setFont(font)
        # Centred by stretches, not by Qt.AlignmentFlag: see the imports.
        layout = QGridLayout(self)
        layout.addWidget(label, 1, 1)
        for edge in (0, 2):
            layout.setRowStretch(edge, 1)
            layout.setColumnStretch(edge, 1)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt's name
        super().paintEvent(event)
        if not self._told:
            self._told = True
            # Told on the next turn of the event loop: after this frame reached the screen.
            QTimer.singleShot(0, self.painted.emit)


class MainWindow(QMainWindow):
    acuses_sealed = Signal(object)  # SealingReport: pending acuses sealed after an unlock
    opening_painted = Signal()  # the frame saying «Abriendo…» reached the screen

    def __init__(self, settings: Settings, parent: QWidget | None = None) -> None:
        """The window's frame only: it paints at once, saying it is opening; ``populate``
        builds the screens once their modules are loaded (see ``mailroom.ui.app``)."""
        super().__init__(parent)
        self.settings = settings
        self.ready = False
        self._efirma_dialog: EfirmaDialog | None = None
        self._settings_dialog: SettingsDialog | None = None
        self._notice_printer: NoticePrinter | None = None
        self.setWindowTitle(self.tr("Oficialía de Partes — {0}").format(settings.office_name))
        opening = _OpeningFrame(self.tr("Abriendo la Oficialía de Partes…"), self)
        opening.painted.connect(self.opening_painted)
        self.setCentralWidget(opening)  # replaced, and deleted, by populate's tabs

    def populate(
        self,
        workstation: Workstation,
        runner: TaskRunner,
        session: EfirmaSession,
        opener: EfirmaOpener,
        preferences: Preferences,
        shift: Shift,
        sign_in: SignInScreen,
    ) -> None:
        import functools

        from PySide6.QtWidgets import QTabWidget

        from mailroom.permissions import Action, reader_for
        from mailroom.ui.filing_detail import FilingDetail
        from mailroom.ui.inbox import InboxWidget
        from mailroom.ui.libro_view import LibroView
        from mailroom.ui.shift import PersonalScreens, ShiftCover
        from mailroom.ui.sync_panel import SyncPanel

        self.workstation = workstation
        self.runner = runner
        self.session = session
        self.shift = shift
        self._opener = opener
        self._preferences = preferences
        settings = workstation.settings
        # The inbox shows citizens' data: each of its reads checks the one signed in may search.
        reader = functools.partial(reader_for, workstation.store, settings, Action.BUSCAR)
        self.inbox = InboxWidget(runner, reader, parent=self)
        self.libro = LibroView(runner, workstation.store, settings, parent=self)
        self.detail = FilingDetail(runner, workstation.store, settings, parent=self)
        self.tabs = QTabWidget(self)
        self.intakes = PersonalScreens(self.tabs, self._new_intake, self.tr("&Recepción"))
        self.tabs.addTab(self.inbox, self.tr("&Bandeja"))
        self.tabs.addTab(self.detail, self.tr("&Escrito"))
        self.tabs.addTab(self.libro, self.tr("&Libro de registro"))
        self.cover = ShiftCover(shift, self.tabs, sign_in, self)
        self.setCentralWidget(self.cover)
        self.sync_panel = SyncPanel(workstation.sync, runner, parent=self)
        self._build_sync_dock()
        self._build_status_bar()
        self._build_actions()
        self.inbox.filing_opened.connect(self.open_filing)
        self.session.unlocked.connect(self._efirma_opened)
        self.session.unlocked.connect(self._seal_pending)
        self.sync_panel.sync_finished.connect(self._sync_finished)
        shift.seated.connect(self._seated)
        shift.covered.connect(self._covered)
        self._covered()  # until someone signs in
        self._start_polling()
        self.ready = True

    @property
    def intake(self) -> IntakeScreen:
        """The Recepción screen of the person signed in (or the one the next will get)."""
        return self.intakes.current

    def _new_intake(self) -> IntakeScreen:
        from mailroom.ui.intake_screen import IntakeScreen

        screen = IntakeScreen(
            self.workstation,
            self.runner,
            self.session,
            parent=self,
            preferences=self._preferences,
        )
        screen.filing_registered.connect(self._filing_registered)
        return screen

    # -- layout ------------------------------------------------------------------------------

    def _build_sync_dock(self) -> None:
        from PySide6.QtCore import Qt
        from PySide6.QtWidgets import QDockWidget

        dock = QDockWidget(self.tr("Sincronización"), self)
        dock.setObjectName("panelSincronizacion")
        # Always visible: the clerk must see at a glance whether filings are reaching the state.
        dock.setFeatures(QDockWidget.DockWidgetFeature.NoDockWidgetFeatures)
        dock.setTitleBarWidget(QWidget(dock))  # the panel's own title says what it is
        dock.setWidget(self.sync_panel)
        self.sync_panel.setMinimumWidth(SYNC_PANEL_WIDTH)
        self.sync_panel.setMaximumWidth(SYNC_PANEL_WIDTH)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
        self.sync_dock = dock

    def _build_status_bar(self) -> None:
        from mailroom.ui.efirma import SealingIndicator

        self.sealing_indicator = SealingIndicator(self.session, self)
        self.ocr_label = QLabel(self)
        self.ocr_label.setObjectName("estadoOcr")
        self.shift_label = QLabel(self)
        self.shift_label.setObjectName("sesionActual")
        bar = self.statusBar()
        bar.addPermanentWidget(self.shift_label)
        bar.addPermanentWidget(self.ocr_label)
        bar.addPermanentWidget(self.sealing_indicator)

    def _build_actions(self) -> None:
        from PySide6.QtGui import QKeySequence

        counter = self.menuBar().addMenu(self.tr("&Ventanilla"))
        self.new_action = self._action(
            counter, self.tr("&Nuevo escrito"), "Ctrl+N", self.new_filing
        )
        self.add_file_action = self._action(
            counter, self.tr("&Agregar archivo…"), "Ctrl+O", self.add_file
        )
        self.register_action = self._action(
            counter, self.tr("&Registrar"), "Ctrl+Return", self.register
        )
        self.print_action = self._action(
            counter, self.tr("&Imprimir acuse"), QKeySequence.StandardKey.Print, self.print_acuse
        )
        self.search_action = self._action(
            counter, self.tr("&Buscar"), QKeySequence.StandardKey.Find, self.focus_search
        )
        self.notice_action = self._action(
            counter, self.tr("Imprimir el a&viso de privacidad…"), "", self.print_notice
        )
        counter.addSeparator()
        self.lock_action = self._action(counter, self.tr("&Bloquear"), "Ctrl+L", self.shift.lock)
        self.sign_out_action = self._action(
            counter, self.tr("C&errar sesión"), "Ctrl+Shift+Q", self.sign_out
        )
        self._action(counter, self.tr("&Salir"), QKeySequence.StandardKey.Quit, self.close)
        efirma = self.menuBar().addMenu(self.tr("e.&firma"))
        self.unlock_action = self._action(
            efirma, self.tr("&Abrir e.firma…"), "Ctrl+Shift+E", self.open_efirma_dialog
        )
        self.close_efirma_action = self._action(
            efirma, self.tr("&Cerrar e.firma"), "Ctrl+Shift+L", self.session.lock
        )
        tools = self.menuBar().addMenu(self.tr("&Herramientas"))
        self.sync_action = self._action(
            tools, self.tr("&Sincronizar ahora"), "F5", self.sync_panel.sync_now
        )
        self.settings_action = self._action(
            tools, self.tr("&Configuración…"), "Ctrl+,", self.open_settings
        )
        self.admin_action = self._action(
            tools, self.tr("&Administración…"), "Ctrl+Shift+A", self.open_admin
        )
        # What only someone signed in may do; «Salir» stays.
        self._working_actions = (
            self.new_action,
            self.add_file_action,
            self.register_action,
            self.print_action,
            self.search_action,
            self.notice_action,
            self.lock_action,
            self.sign_out_action,
            self.unlock_action,
            self.close_efirma_action,
            self.sync_action,
            self.settings_action,
            self.admin_action,
        )

    def _action(self, menu, text: str, shortcut, slot) -> QAction:  # type: ignore[no-untyped-def]
        from PySide6.QtCore import Qt
        from PySide6.QtGui import QAction, QKeySequence

        action = QAction(text, self)
        action.setShortcut(QKeySequence(shortcut))
        action.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
        action.triggered.connect(slot)
        menu.addAction(action)
        return action

    # -- the shift ---------------------------------------------------------------------------

    @Slot(object)
    def _seated(self, actor: Actor) -> None:
        """Someone signed in or came back: their own Recepción screen, their permissions."""
        from mailroom.permissions import Action, allowed
        from mailroom.ui.admin import may_administer

        self.intakes.show_for(actor.name)
        for action in self._working_actions:
            action.setEnabled(True)
        self.unlock_action.setVisible(allowed(actor, Action.EFIRMA_OFICINA))
        self.settings_action.setVisible(allowed(actor, Action.AJUSTES))
        self.admin_action.setVisible(may_administer(self.workstation.settings))
        self.detail.refresh_permissions()
        self.sync_dock.show()
        self.shift_label.setText(
            self.tr("Sesión: {0} ({1})").format(actor.full_name, actor.role or actor.kind)
        )
        self.inbox.apply()

    @Slot()
    def _covered(self) -> None:
        """Locked, or nobody signed in: nothing of the counter can be seen or done."""
        from PySide6.QtWidgets import QDialog

        for action in self._working_actions:
            action.setEnabled(False)
        self.sync_dock.hide()
        if self._efirma_dialog is not None:
            self._efirma_dialog.password_edit.clear()
        for dialog in self.findChildren(QDialog):
            if dialog.isVisible():
                dialog.reject()
        actor = self.shift.actor
        if actor is not None and self.shift.is_locked:
            self.shift_label.setText(self.tr("Bloqueado: {0}").format(actor.full_name))
        else:
            self.shift_label.setText(self.tr("Sin sesión"))

    @Slot()
    def sign_out(self) -> None:
        """«Cerrar sesión»: the person's unsaved form stays theirs for when they come back."""
        self.shift.sign_out()

    # -- the counter's actions ---------------------------------------------------------------

    # Each checks the shift: called directly (not from its disabled action), it must not act
    # on a covered counter either.

    @Slot()
    def register(self) -> None:
        if self.shift.working:
            self.intake.register()

    @Slot()
    def new_filing(self) -> None:
        if not self.shift.working:
            return
        self.tabs.setCurrentWidget(self.intake)
        self.intake.start_new()

    @Slot()
    def add_file(self) -> None:
        if not self.shift.working:
            return
        self.tabs.setCurrentWidget(self.intake)
        self.intake.add_file()

    @Slot()
    def focus_search(self) -> None:
        if not self.shift.working:
            return
        self.tabs.setCurrentWidget(self.inbox)
        self.inbox.search.setFocus()
        self.inbox.search.selectAll()

    @Slot()
    def print_acuse(self) -> None:
        if not self.shift.working:
            return
        if self.tabs.currentWidget() is self.detail:
            self.detail.print_acuse()
        else:
            self.intake.print_acuse()

    @Slot(str)
    def open_filing(self, folio_or_id: str) -> None:
        self.detail.show_filing(folio_or_id)
        self.tabs.setCurrentWidget(self.detail)

    def efirma_dialog(self) -> EfirmaDialog:
        from mailroom.ui.efirma import EfirmaDialog

        if self._efirma_dialog is None:
            self._efirma_dialog = EfirmaDialog(self._opener, self.runner, self.session, self)
            # Not every window manager (nor Qt's offscreen platform) hands the keyboard back
            # to the window below when a dialog closes: the clerk's next Ctrl+O must find it.
            self._efirma_dialog.accepted.connect(self.activateWindow)
        return self._efirma_dialog

    @Slot()
    def open_efirma_dialog(self) -> None:
        if not self.shift.working:
            return
        dialog = self.efirma_dialog()
        dialog.show()
        dialog.raise_()
        dialog.activateWindow()
        dialog.password_edit.setFocus()

    def prefill_efirma(self, cer: Path, key: Path, note: str = "") -> None:
        """Fill the unlock dialog's files (the demo profile's e.firma); the password is typed."""
        dialog = self.efirma_dialog()
        dialog.cer_edit.setText(str(cer))
        dialog.key_edit.setText(str(key))
        if note:
            dialog.set_note(note)

    @Slot()
    def open_settings(self) -> None:
        from mailroom.ui.settings_dialog import SettingsDialog

        if self._settings_dialog is None:
            self._settings_dialog = SettingsDialog(
                self.workstation.settings, self.runner, parent=self
            )
            self._settings_dialog.settings_saved.connect(self._settings_saved)
        self._settings_dialog.open()

    @Slot()
    def print_notice(self) -> None:
        """The full privacy notice for a citizen who asks for it (anyone signed in)."""
        if not self.shift.working:
            return
        if self._notice_printer is None:
            from mailroom.ui.admin_privacy import NoticePrinter

            self._notice_printer = NoticePrinter(self.workstation.settings, self.runner, self)
            self._notice_printer.printed.connect(
                lambda target: self.statusBar().showMessage(
                    self.tr("Aviso de privacidad enviado a {0}.").format(target), 10_000
                )
            )
            self._notice_printer.failed.connect(
                lambda message: self.statusBar().showMessage(message, 15_000)
            )
        self._notice_printer.ask(self)

    @Slot()
    def open_admin(self) -> None:
        from mailroom.ui.admin import open_admin

        if self.shift.working:
            open_admin(self, self.workstation, self.runner)

    @Slot(object)
    def _settings_saved(self, settings: object) -> None:
        self.statusBar().showMessage(
            self.tr("Configuración guardada; se aplica al volver a abrir la aplicación."), 10_000
        )

    # -- background state --------------------------------------------------------------------

    @Slot(object)
    def _filing_registered(self, registration: object) -> None:
        self.inbox.apply()
        self.sync_panel.refresh()
        self.refresh_status()

    @Slot(object)
    def _efirma_opened(self, efirma: UnlockedEfirma) -> None:
        """Said here because the dialog has closed; its warnings stay longer, and in the
        indicator's tooltip after that."""
        identity = efirma.identity
        message = self.tr("e.firma abierta: {0} ({1}); los acuses se sellarán con ella.").format(
            identity.name, identity.rfc
        )
        warnings = [self.tr("Aviso: {0}").format(warning) for warning in efirma.warnings]
        self.statusBar().showMessage(" ".join([message, *warnings]), 30_000 if warnings else 10_000)

    @Slot(object)
    def _seal_pending(self, efirma: UnlockedEfirma) -> None:
        """Acuses registered while the e.firma was closed get their seal now."""
        acuses, signer = self.workstation.acuses, efirma.signer

        def op(context: TaskContext) -> SealingReport:
            return acuses.seal_pending(signer)

        self.runner.run(
            op,
            name="sellar_pendientes",
            on_success=self._pending_sealed,
            on_failure=self._background_failed,
            owner=self,
        )

    def _pending_sealed(self, report: SealingReport) -> None:
        if report.sealed:
            self.statusBar().showMessage(
                self.tr("%n acuse(s) pendiente(s) sellado(s).", "", len(report.sealed)), 10_000
            )
        for failure in report.failures:
            self.statusBar().showMessage(failure.message, 15_000)
        self.acuses_sealed.emit(report)

    def _background_failed(self, error: OficialiaError) -> None:
        self.statusBar().showMessage(error.message, 15_000)

    def _start_polling(self) -> None:
        self._status_timer = QTimer(self)
        self._status_timer.setInterval(STATUS_POLL_MS)
        self._status_timer.timeout.connect(self.refresh_status)
        self._status_timer.start()
        self._sync_timer = QTimer(self)
        self._sync_timer.setInterval(SYNC_POLL_MS)
        self._sync_timer.timeout.connect(self.sync_panel.refresh)
        self._sync_timer.start()
        self.refresh_status()
        self.sync_panel.refresh()

    @Slot()
    def refresh_status(self) -> None:
        workstation = self.workstation

        def op(context: TaskContext) -> BackgroundStatus:
            return workstation.status()

        self.runner.run(op, name="estado", on_success=self._show_status, owner=self)

    def _show_status(self, status: BackgroundStatus) -> None:
        ocr = status.ocr
        if status.ocr_problem:
            text = self.tr("OCR detenido: {0}").format(status.ocr_problem)
        elif ocr.pages_pending:
            text = self.tr("OCR: {0} de {1} páginas listas").format(ocr.pages_done, ocr.pages_total)
        else:
            text = self.tr("OCR al día")
        self.ocr_label.setText(text)

    @Slot(object)
    def _sync_finished(self, summary: object) -> None:
        self.inbox.apply()

    # -- closing -----------------------------------------------------------------------------

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        if not self.ready:  # closed while still opening: nothing to save or stop yet
            event.accept()
            return
        if any(screen.has_unsaved_work() for screen in self.intakes.screens()):
            from PySide6.QtWidgets import QMessageBox

            answer = QMessageBox.question(
                self,
                self.tr("Salir"),
                self.tr("Hay un escrito en captura sin registrar. ¿Salir de todos modos?"),
            )
            if answer != QMessageBox.StandardButton.Yes:
                event.ignore()
                return
        self._status_timer.stop()
        self._sync_timer.stop()
        self.session.lock()
        self.shift.sign_out()
        event.accept()
