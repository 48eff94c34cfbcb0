"""The intake screen: pages on the left, the registration form on the right, "Registrar" below;
after registering, the sealed acuse at once (preview and print) while OCR goes on in the
background.

Registering runs off the GUI thread in one op: the capture view writes the scan PDF, the
workstation registers and seals. A document already registered stops the op with
``DuplicateDocument``; the clerk sees the earlier folio and either goes back or continues with a
reason, which re-runs the op with ``duplicate_override_reason`` — nothing was written the first
time, so nothing is written twice.
"""

from __future__ import annotations

import dataclasses
from datetime import date

from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from mailroom.errors import DuplicateDocument, OficialiaError
from mailroom.filings import ocr_progress
from mailroom.intake_form import explain
from mailroom.models import NewFiling, OcrProgress
from mailroom.ui.acuse_view import AcusePreview
from mailroom.ui.capture_view import CaptureView
from mailroom.ui.efirma import EfirmaSession
from mailroom.ui.filing_form import DuplicateWarning, FilingForm
from mailroom.ui.preferences import Preferences
from mailroom.ui.tasks import TaskContext, TaskRunner
from mailroom.workstation import CounterOutcome, Workstation

OCR_POLL_MS = 1000
WARNING_COLOUR = "#8a4b00"
AFTER_ACUSE_MS = 25
FORM_MIN_WIDTH = 500


class IntakeScreen(QWidget):
    filing_registered = Signal(object)  # CounterOutcome
    registration_failed = Signal(str)

    def __init__(
        self,
        workstation: Workstation,
        runner: TaskRunner,
        session: EfirmaSession,
        parent: QWidget | None = None,
        *,
        preferences: Preferences | None = None,
    ) -> None:
        super().__init__(parent)
        self.workstation = workstation
        self.runner = runner
        self.session = session
        self.outcome: CounterOutcome | None = None
        self._registering = False
        self._form_ok = False
        self._form_explanation = ""
        settings = workstation.settings
        self.capture = CaptureView(
            runner, settings, workstation.store, parent=self, preferences=preferences
        )
        self.form = FilingForm(runner, workstation.store.reader, today=self._today, parent=self)
        self.duplicate = DuplicateWarning(self, runner=runner, reader=workstation.store.reader)
        self.acuse = AcusePreview(runner, parent=self)
        self._build()
        self.form.validity_changed.connect(self._form_validity)
        self.form.fojas_changed.connect(self.capture.set_declared_fojas)
        self.capture.pages_changed.connect(self._pages_changed)
        self.duplicate.continued.connect(self._register_anyway)
        self._ocr_timer = self._make_ocr_timer()
        self._update_button()

    def _today(self) -> date:
        return self.workstation.intake.clock.now().date()

    # -- layout ------------------------------------------------------------------------------

    def _build(self) -> None:
        form_scroll = QScrollArea(self)
        form_scroll.setWidgetResizable(True)
        form_scroll.setWidget(self.form)
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.addWidget(self.capture)
        splitter.addWidget(form_scroll)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 1)
        splitter.setCollapsible(0, False)
        splitter.setCollapsible(1, False)
        # The form reads without a sideways scroll bar from this width (measured at 1366×768).
        form_scroll.setMinimumWidth(FORM_MIN_WIDTH)
        form_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.explanation = QLabel(self)
        self.explanation.setObjectName("explicacionRegistro")
        self.explanation.setWordWrap(True)
        self.register_button = QPushButton(self.tr("&Registrar"), self)
        self.register_button.setToolTip(self.tr("Asigna el folio y emite el acuse (Ctrl+Enter)"))
        self.register_button.clicked.connect(self.register)
        bottom = QHBoxLayout()
        bottom.addWidget(self.explanation, 1)
        bottom.addWidget(self.register_button)
        capture_page = QWidget(self)
        capture_layout = QVBoxLayout(capture_page)
        capture_layout.addWidget(splitter, 1)
        capture_layout.addWidget(self.duplicate)
        capture_layout.addLayout(bottom)
        self.pages = QStackedWidget(self)
        self.pages.addWidget(capture_page)
        self.pages.addWidget(self._build_result_page())
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.pages)

    def _build_result_page(self) -> QWidget:
        page = QWidget(self)
        self.result_title = QLabel(page)
        self.result_title.setObjectName("folioRegistrado")
        self.result_title.setStyleSheet("font-size: 16pt; font-weight: bold;")
        self.result_notes = QLabel(page)
        self.result_notes.setWordWrap(True)
        self.ocr_bar = QProgressBar(page)
        self.ocr_bar.setFormat(self.tr("OCR: %v de %m páginas"))
        widest = self.ocr_bar.fontMetrics().horizontalAdvance(self.tr("OCR: 888 de 888 páginas"))
        self.ocr_bar.setMinimumWidth(widest + 40)  # the text on one line, not cut in two
        self.new_button = QPushButton(self.tr("&Nuevo escrito"), page)
        self.new_button.setToolTip(self.tr("Ctrl+N"))
        self.new_button.clicked.connect(self.start_new)
        header = QHBoxLayout()
        header.addWidget(self.result_title, 1)
        header.addWidget(self.ocr_bar)
        header.addWidget(self.new_button)
        layout = QVBoxLayout(page)
        layout.addLayout(header)
        layout.addWidget(self.result_notes)
        layout.addWidget(self.acuse, 1)
        return page

    def _make_ocr_timer(self) -> QTimer:
        timer = QTimer(self)
        timer.setInterval(OCR_POLL_MS)
        timer.timeout.connect(self._poll_ocr)
        return timer

    # -- state -------------------------------------------------------------------------------

    @Slot(bool, str)
    def _form_validity(self, ok: bool, explanation: str) -> None:
        self._form_ok = ok
        self._form_explanation = explanation
        self._update_button()

    @Slot(int)
    def _pages_changed(self, count: int) -> None:
        self.duplicate.hide()
        self._update_button()

    def _missing(self) -> str:
        missing = []
        if self.capture.page_count() == 0:
            missing.append(self.tr("Falta digitalizar o agregar el documento."))
        if not self._form_ok and self._form_explanation:
            missing.append(self._form_explanation)
        return " ".join(missing)

    def _update_button(self) -> None:
        missing = self._missing()
        if self._registering:
            self.explanation.setText(self.tr("Registrando…"))
        else:
            self.explanation.setText(missing)
        self.explanation.setStyleSheet("color: #b71c1c;" if missing else "")
        # The button stays enabled: pressing it with something missing shows every problem
        # by its field, which says more than a greyed-out button.
        self.register_button.setEnabled(not self._registering)

    def has_unsaved_work(self) -> bool:
        return self.pages.currentIndex() == 0 and self.capture.page_count() > 0

    # -- registering -------------------------------------------------------------------------

    @Slot()
    def register(self) -> None:
        if self._registering or self.pages.currentIndex() != 0:
            return
        new = self.form.new_filing()  # shows each problem by its field when invalid
        if new is None or self.capture.page_count() == 0:
            # Asked now, not from the last validity signal: the clerk may press Registrar
            # before the form's first (queued) report arrived.
            found = self.form.problems()
            self._form_ok, self._form_explanation = not found, explain(found)
            self._update_button()
            self.registration_failed.emit(self._missing())
            return
        self._start(new)

    @Slot(str)
    def _register_anyway(self, reason: str) -> None:
        new = self.form.new_filing()
        if new is not None:
            self._start(dataclasses.replace(new, duplicate_override_reason=reason))

    def _start(self, new: NewFiling) -> None:
        self._registering = True
        self._update_button()
        workstation, capture, signer = self.workstation, self.capture, self.session.signer

        def op(context: TaskContext) -> CounterOutcome:
            handoff = capture.take_handoff(context)
            return workstation.register(
                new, handoff.files, capture=handoff.report, drafts=handoff.drafts, signer=signer
            )

        self.runner.run(
            op,
            name="registrar",
            on_success=self._registered,
            on_failure=self._failed,
            owner=self,
        )

    def _registered(self, outcome: CounterOutcome) -> None:
        """The acuse first; clearing the capture and the form, and telling the other screens,
        each in a later turn of the event loop: done in one go it paused the window 40-70 ms
        while OCR and sync were busy (tests/test_ui_stall.py)."""
        self._registering = False
        self.outcome = outcome
        filing = outcome.registration.filing
        self.result_title.setText(self.tr("Registrado con el folio {0}").format(filing.folio))
        notes = list(outcome.registration.warnings)
        if outcome.seal_problem:
            notes.append(outcome.seal_problem)
        self.result_notes.setText("\n".join(notes))
        palette = self.result_notes.palette()
        palette.setColor(
            QPalette.ColorRole.WindowText, QColor(WARNING_COLOUR if notes else "black")
        )
        self.result_notes.setPalette(palette)  # a palette, not a style sheet: no re-polish
        self.acuse.show_acuse(outcome.acuse)
        self.ocr_bar.setRange(0, max(1, filing.pages_scanned))
        self.ocr_bar.setValue(0)
        self.pages.setCurrentIndex(1)
        self._ocr_timer.start()
        # Apart by real delays: zero-delay timers all run in the same pass of the event loop,
        # back to back with the acuse's first paint.
        QTimer.singleShot(AFTER_ACUSE_MS, self.capture.clear)
        QTimer.singleShot(2 * AFTER_ACUSE_MS, self._clear_form)
        QTimer.singleShot(3 * AFTER_ACUSE_MS, self._announce)

    @Slot()
    def _clear_form(self) -> None:
        self.form.clear()
        self._update_button()

    @Slot()
    def _announce(self) -> None:
        if self.outcome is not None:
            self.filing_registered.emit(self.outcome)

    def _failed(self, error: OficialiaError) -> None:
        self._registering = False
        self._update_button()
        if isinstance(error, DuplicateDocument):
            self.duplicate.show_duplicate(error)
            return
        self.explanation.setText(error.message)
        self.explanation.setStyleSheet("color: #b71c1c;")
        self.registration_failed.emit(error.message)

    # -- after registering -------------------------------------------------------------------

    @Slot()
    def _poll_ocr(self) -> None:
        if self.outcome is None:
            self._ocr_timer.stop()
            return
        reader, filing_id = self.workstation.store.reader, self.outcome.registration.filing.id

        def op(context: TaskContext) -> OcrProgress:
            return ocr_progress(reader(), filing_id)

        self.runner.run(op, name="progreso_ocr", on_success=self._show_ocr, owner=self)

    def _show_ocr(self, progress: OcrProgress) -> None:
        self.ocr_bar.setRange(0, max(1, progress.pages_total))
        self.ocr_bar.setValue(progress.pages_done + progress.pages_failed)
        if progress.finished:
            self._ocr_timer.stop()

    @Slot()
    def start_new(self) -> None:
        self._ocr_timer.stop()
        self.pages.setCurrentIndex(0)
        self.duplicate.hide()
        self.form.focus_first()
        self._update_button()

    @Slot()
    def add_file(self) -> None:
        """«Agregar archivo…» (Ctrl+O) from anywhere: on the acuse of the last filing it starts
        the next one; while pages are still arriving it does nothing, like the greyed button."""
        if self.pages.currentIndex() != 0:
            self.start_new()
        if self.capture.file_button.isEnabled():
            self.capture.choose_files()

    @Slot()
    def print_acuse(self) -> None:
        if self.pages.currentIndex() == 1:
            self.acuse.print_acuse()
