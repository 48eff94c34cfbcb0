"""The capture side of the intake screen: choose a source, watch the pages arrive as thumbnails,
turn, reorder, delete, insert and undo, and see the blank-page and fojas checks.

Reading a source runs through the task helper: each cleaned page is published as it is ready and
shown at once, but joins the capture only when the whole source has arrived, so a cancelled scan
or a file refused halfway leaves the pages that were there before, and nothing else. Sources asked
for while one is being read wait their turn. Registration takes the pages with
:meth:`CaptureView.take_for_registration`, which may run on a worker thread.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from mailroom.capture.pages import CaptureReport
from mailroom.capture.sane_options import ScanSettings
from mailroom.capture.sane_source import Scanner, list_scanners, no_scanner_message
from mailroom.capture.session import DRAFT_SCHEME, Arrival, CaptureSession, Handoff, SessionPage
from mailroom.config import Settings
from mailroom.drafts import Draft
from mailroom.errors import InvalidInput, OficialiaError
from mailroom.store import Store
from mailroom.ui.page_strip import PageStrip, PageStripModel, thumbnail_image
from mailroom.ui.preferences import Preferences
from mailroom.ui.tasks import TaskContext, TaskHandle, TaskRunner

ERROR_STYLE = "color: #b71c1c;"
REVIEW_STYLE = "color: #8a4b00;"


class CaptureView(QWidget):
    pages_changed = Signal(int)  # pages in the capture
    capture_failed = Signal(str)  # the clerk's message; the earlier pages stay
    busy_changed = Signal(bool)  # a source is being read: registration must wait

    def __init__(
        self,
        runner: TaskRunner,
        settings: Settings,
        store: Store,
        parent: QWidget | None = None,
        *,
        preferences: Preferences | None = None,
    ) -> None:
        super().__init__(parent)
        self.runner = runner
        self.settings = settings
        self.preferences = preferences or Preferences(settings.data_dir)
        self.session = CaptureSession(settings, store)
        self.model = PageStripModel(self.session, self)
        self._queue: deque[tuple[str, ScanSettings | None]] = deque()
        self._insert_at: int | None = None
        self._reading: TaskHandle[Arrival] | None = None
        self._declared: int | None = None
        self._file_dialog: QFileDialog | None = None
        self._handoff: Handoff | None = None
        self._handoff_lock = threading.Lock()
        self._build()
        self.model.pages_changed.connect(self._pages_changed)
        self.model.files_dropped.connect(self._files_dropped)
        self.strip.operation_failed.connect(self._show_error)
        self.setAcceptDrops(True)
        self._show_state()
        self.refresh_drafts()

    # -- layout ----------------------------------------------------------------------------

    def _build(self) -> None:
        self.scanner = QComboBox(self)
        self._add_default_scanner()
        self.scan_source = QComboBox(self)
        self.scan_source.addItem(self.tr("Cristal"), "plano")
        self.scan_source.addItem(self.tr("Alimentador"), "adf")
        self.scan_source.addItem(self.tr("Alimentador, dos caras"), "duplex")
        self.scan_source.setToolTip(self.tr("De dónde toma las hojas el escáner"))
        self.scanner.setToolTip(
            self.tr(
                "El escáner con el que se digitaliza; «Automático»: el primero que se encuentre"
            )
        )
        self.find_button = self._button(self.tr("Buscar escáneres"), self.find_scanners)
        self.drafts = QComboBox(self)
        for combo in (self.scanner, self.drafts):  # long names elide: the view stays narrow
            combo.setSizeAdjustPolicy(
                QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
            )
            combo.setMinimumContentsLength(12)
        self.refresh_button = self._button(self.tr("Actualizar"), self.refresh_drafts)
        self.insert_box = QCheckBox(self.tr("Insertar antes de la página seleccionada"), self)
        self.strip = PageStrip(self.model, self)
        self.count_label = QLabel(self)
        self.blank_label = QLabel(self)
        self.review_label = self._label(REVIEW_STYLE)
        self.fojas_label = self._label("")
        self.error_label = self._label(ERROR_STYLE)
        self.progress = QProgressBar(self)
        self.progress_label = QLabel(self)
        self.cancel_button = self._button(self.tr("Cancelar"), self.cancel)
        self._make_actions()
        layout = QVBoxLayout(self)
        layout.addLayout(self._sources_grid())
        layout.addLayout(self._row(self.file_button, self.insert_box))
        layout.addWidget(self.strip, 1)
        layout.addLayout(self._row(*self._tool_buttons))
        for widget in (self.count_label, self.blank_label, self.review_label, self.fojas_label):
            layout.addWidget(widget)
        layout.addWidget(self.error_label)
        layout.addLayout(self._row(self.progress_label, self.progress, self.cancel_button))
        self.setTabOrder(self.file_button, self.strip)

    def _sources_grid(self) -> QGridLayout:
        """Scanner, sheet source and drafts one above the other, each with its buttons: in one
        row they made the view ~600 px wide, and the window did not fit 1366 px."""
        grid = QGridLayout()
        rows = (
            (self.tr("Escáner:"), self.scanner, self.find_button, None),
            (self.tr("Origen:"), self.scan_source, self.scan_button, None),
            (self.tr("Borradores:"), self.drafts, self.draft_button, self.refresh_button),
        )
        for row, (text, combo, button, extra) in enumerate(rows):
            label = QLabel(text, self)
            label.setBuddy(combo)
            grid.addWidget(label, row, 0)
            grid.addWidget(combo, row, 1)
            grid.addWidget(button, row, 2)
            if extra is not None:
                grid.addWidget(extra, row, 3)
        grid.setColumnStretch(1, 1)
        return grid

    def _make_actions(self) -> None:
        self.scan_button = self._button(self.tr("Digitalizar"), self.scan, "Ctrl+D")
        self.draft_button = self._button(self.tr("Abrir borrador"), self.open_draft)
        # Ctrl+O is the main window's «Agregar archivo…» action, not this button's: a button's
        # shortcut works only while its own window is the active one (not right after the
        # e.firma dialog, say), and the same keys on both would make Qt run neither.
        self.file_button = self._button(self.tr("Agregar archivo…"), self.choose_files)
        self.file_button.setToolTip(self.tr("Agregar archivo (Ctrl+O)"))
        self._tool_buttons = self.strip.tool_buttons(self)

    def _button(self, text: str, slot: object, keys: str | None = None) -> QPushButton:
        button = QPushButton(text, self)
        button.clicked.connect(slot)
        button.setAccessibleName(text.rstrip("…"))
        if keys:
            button.setShortcut(QKeySequence(keys))
            button.setToolTip(f"{text.rstrip('…')} ({keys})")
        return button

    def _label(self, style: str) -> QLabel:
        label = QLabel(self)
        label.setWordWrap(True)
        label.setStyleSheet(style)
        return label

    @staticmethod
    def _row(*widgets: QWidget) -> QHBoxLayout:
        row = QHBoxLayout()
        for widget in widgets:
            row.addWidget(widget, 1 if isinstance(widget, QComboBox) else 0)
        row.addStretch(0)
        return row

    # -- sources ---------------------------------------------------------------------------

    @Slot()
    def scan(self) -> None:
        spec = self.scanner.currentData() or "sane:"  # the setting may name a scan-to folder
        scan = ScanSettings(source=self.scan_source.currentData()) if spec[:5] == "sane:" else None
        self._request([(spec, scan)], self._insertion())

    @Slot()
    def find_scanners(self) -> None:
        self.find_button.setEnabled(False)
        handle = self.runner.run(
            _list_scanners, name="escáneres", on_success=self._scanners_found, owner=self
        )
        handle.failed.connect(self._show_error)
        handle.finished.connect(self._scanners_done)

    @Slot(object)
    def _scanners_found(self, scanners: list[Scanner]) -> None:
        current = self.scanner.currentData()
        self.scanner.clear()
        for scanner in scanners:
            label = f"{scanner.vendor} {scanner.model} ({scanner.name})"
            self.scanner.addItem(label, f"sane:{scanner.name}")
        if not scanners:
            self._show_error(no_scanner_message())
        if self.scanner.findData(self.settings.scanner or "sane:") < 0:
            self._add_default_scanner()
        self.scanner.setCurrentIndex(max(0, self.scanner.findData(current)))

    def _add_default_scanner(self) -> None:
        """The setting's source (a scanner, or the folder a scanner saves to), or the first
        scanner found."""
        spec = self.settings.scanner or "sane:"
        scheme, _, rest = spec.partition(":")
        label = rest if scheme == "sane" else self.tr("Carpeta %1").replace("%1", rest)
        self.scanner.addItem(label or self.tr("Automático"), spec)

    @Slot()
    def _scanners_done(self) -> None:
        self.find_button.setEnabled(True)

    @Slot()
    def refresh_drafts(self) -> None:
        session = self.session
        self.runner.run(
            lambda context: session.pending_drafts(),
            name="borradores",
            on_success=self._drafts_listed,
            on_failure=self._show_error,
            owner=self,
        )

    @Slot(object)
    def _drafts_listed(self, drafts: list[Draft]) -> None:
        self.drafts.clear()
        for draft in drafts:
            pages = self.tr("%1 pág.").replace("%1", str(draft.page_count))
            self.drafts.addItem(f"{draft.id} · {draft.origin} · {pages}", draft.id)
            self.drafts.setItemData(
                self.drafts.count() - 1, draft.origin, Qt.ItemDataRole.ToolTipRole
            )
        if not drafts:
            self.drafts.addItem(self.tr("Sin borradores pendientes"), None)
        self._update_actions()

    @Slot()
    def open_draft(self) -> None:
        draft_id = self.drafts.currentData()
        if draft_id is not None:
            self._request([(f"{DRAFT_SCHEME}:{draft_id}", None)], self._insertion())

    @Slot()
    def choose_files(self) -> None:
        """The file dialog, opened without blocking in the folder files were last added from;
        ``add_files`` runs when files are chosen."""
        dialog = QFileDialog(
            self,
            self.tr("Agregar archivo"),
            str(self.preferences.import_folder()),
            self.tr("Documentos (*.pdf *.jpg *.jpeg *.png *.tif *.tiff)"),
        )
        dialog.setFileMode(QFileDialog.FileMode.ExistingFiles)
        dialog.filesSelected.connect(self._files_chosen)
        if self._file_dialog is not None:  # the last one, closed: not one more per file added
            self._file_dialog.deleteLater()
        self._file_dialog = dialog
        dialog.open()

    @Slot(list)
    def _files_chosen(self, paths: list[str]) -> None:
        if paths:
            self.preferences.remember_import_folder(Path(paths[0]).parent)
        self.add_files(paths, self._insertion())

    def add_files(self, paths: list[str], at: int | None = None) -> None:
        """Read these files (one after another) into the capture, before page ``at`` (None: at
        the end)."""
        self._request([(f"file:{Path(path)}", None) for path in paths], at)

    @Slot(list, int)
    def _files_dropped(self, paths: list[str], before: int) -> None:
        self.add_files(paths, None if before >= self.page_count() else before)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = [url.toLocalFile() for url in event.mimeData().urls() if url.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.add_files(paths)

    def _insertion(self) -> int | None:
        row = self.strip.current_row()
        return row if self.insert_box.isChecked() and row is not None else None

    # -- reading ---------------------------------------------------------------------------

    def _request(self, specs: list[tuple[str, ScanSettings | None]], at: int | None) -> None:
        if self._reading is None:
            self._insert_at = at  # while a source is read, later ones go to the end
        self._queue.extend(specs)
        self._next()

    def _next(self) -> None:
        if self._reading is not None or not self._queue:
            return
        spec, scan = self._queue.popleft()
        session = self.session

        def read(context: TaskContext) -> Arrival:
            def publish(page: SessionPage) -> None:
                context.publish((page, thumbnail_image(page)))

            return session.read(
                spec, scan=scan, progress=context.progress, cancel=context.cancel, on_page=publish
            )

        _say(self.error_label, "")
        self.model.begin_arrival(self._insert_at)
        self._reading = self.runner.run(
            read,
            name="captura",
            on_success=self._arrived,
            on_failure=self._read_failed,
            on_progress=self._progressed,
            on_published=self._page_arrived,
            owner=self,
        )
        self._reading.cancelled.connect(self._read_cancelled)
        self._reading.finished.connect(self._read_finished)
        if self._reading.done:  # a synchronous runner (unit tests) finished before connecting
            self._read_finished()
            return
        self.progress.setRange(0, 0)
        self.progress_label.setText(self.tr("Leyendo páginas…"))
        self._show_state()
        self.busy_changed.emit(True)

    @Slot(object)
    def _page_arrived(self, piece: tuple[SessionPage, object]) -> None:
        page, image = piece
        self.model.page_arrived(page, image)  # type: ignore[arg-type]

    @Slot(int, object)
    def _progressed(self, done: int, total: int | None) -> None:
        self.progress.setRange(0, total or 0)
        self.progress.setValue(done)
        if total:
            text = self.tr("Página %1 de %2").replace("%1", str(done)).replace("%2", str(total))
        else:
            text = self.tr("Página %1").replace("%1", str(done))
        self.progress_label.setText(text)

    @Slot(object)
    def _arrived(self, arrival: Arrival) -> None:
        at = len(self.session.pages) if self._insert_at is None else self._insert_at
        self.session.add(arrival, at)
        if self._insert_at is not None:  # the next file of the same drop goes after these
            self._insert_at += len(arrival.pages)
        self.model.end_arrival()
        self.strip.select_row(at)

    @Slot(object)
    def _read_failed(self, error: OficialiaError) -> None:
        self.model.end_arrival()
        self._show_error(str(error))

    @Slot()
    def _read_cancelled(self) -> None:
        self._queue.clear()
        self.model.end_arrival()
        _say(self.error_label, self.tr("Se canceló; no se agregó ninguna página."))

    @Slot()
    def _read_finished(self) -> None:
        self._reading = None
        if self._queue:
            self._next()
        else:
            self._show_state()
            self.busy_changed.emit(False)

    @Slot()
    def cancel(self) -> None:
        self._queue.clear()
        if self._reading is not None:
            self._reading.cancel()

    def is_busy(self) -> bool:
        return self._reading is not None

    # -- what the screen uses --------------------------------------------------------------

    def set_declared_fojas(self, declared: int | None) -> None:
        self._declared = declared
        self._show_state()

    def page_count(self) -> int:
        return len(self.session.pages)

    def take_for_registration(
        self, context: TaskContext | None = None
    ) -> tuple[tuple[Path, ...], CaptureReport]:
        """``(files, report)`` for ``IntakeService.register(new, files, capture=report)``; may
        run on a worker thread. The files stay until ``clear()`` or the next call."""
        handoff = self.take_handoff(context)
        return handoff.files, handoff.report

    def take_handoff(self, context: TaskContext | None = None) -> Handoff:
        """The whole ``Handoff`` (with the drafts used, for ``register_handoff``); may run on a
        worker thread. Refused while a source is still being read."""
        if self._reading is not None:
            raise InvalidInput(
                "Espere a que terminen de llegar las páginas (o cancele) antes de registrar.",
                field="files",
            )
        handoff = self.session.handoff(context.cancel if context is not None else None)
        with self._handoff_lock:  # the files of an earlier attempt (a duplicate) go now
            previous, self._handoff = self._handoff, handoff
        if previous is not None:
            previous.discard()
        return handoff

    def clear(self) -> None:
        """After registration (or to start over): no pages, no undo, no error, no files left
        in the work folder; the drafts are listed again."""
        self.cancel()
        self.model.clear()
        with self._handoff_lock:
            handoff, self._handoff = self._handoff, None
        if handoff is not None:
            # Deleting the work folder of ten page images took 40-45 ms: not on the GUI thread.
            self.runner.run(_discarding(handoff), name="borrar_archivos_de_registro")
        _say(self.error_label, "")
        self.refresh_drafts()

    # -- showing the state -----------------------------------------------------------------

    @Slot(int)
    def _pages_changed(self, count: int) -> None:
        self._show_state()
        self.pages_changed.emit(count)

    def _show_state(self) -> None:
        state = self.session.state
        count = len(state.pages)
        self.count_label.setText(
            self.tr("1 página") if count == 1 else self.tr("%1 páginas").replace("%1", str(count))
        )
        removed = state.blank_removed()
        _say(self.blank_label, _blank_line(self, removed))
        _say(self.review_label, _review_line(self, state.review_pages()))
        fojas = self.session.fojas(self._declared) if count or self._declared else None
        _say(self.fojas_label, fojas.message() if fojas else "")
        reading = self._reading is not None
        for widget in (self.progress, self.progress_label, self.cancel_button):
            widget.setVisible(reading)
        self._update_actions()

    @Slot()
    def _update_actions(self) -> None:
        idle = self._reading is None
        self.strip.set_locked(not idle)
        for button in (self.scan_button, self.file_button, self.find_button):
            button.setEnabled(idle)
        self.draft_button.setEnabled(idle and self.drafts.currentData() is not None)

    @Slot(object)
    def _show_error(self, message: object) -> None:
        text = str(message)
        _say(self.error_label, text)
        self.capture_failed.emit(text)


def _say(label: QLabel, text: str) -> None:
    """An empty line takes no room: the thumbnails get it."""
    label.setText(text)
    label.setVisible(bool(text))


def _list_scanners(context: TaskContext) -> list[Scanner]:
    return list_scanners()


def _blank_line(widget: QWidget, removed: int) -> str:
    if not removed:
        return ""
    if removed == 1:
        return widget.tr("1 página en blanco retirada")
    return widget.tr("%1 páginas en blanco retiradas").replace("%1", str(removed))


def _review_line(widget: QWidget, positions: tuple[int, ...]) -> str:
    if not positions:
        return ""
    numbers = ", ".join(str(n) for n in positions)
    if len(positions) == 1:
        return widget.tr(
            "Revise la página %1: tiene muy poco contenido (¿solo una firma o una palabra?)."
        ).replace("%1", numbers)
    return widget.tr(
        "Revise las páginas %1: tienen muy poco contenido (¿solo una firma o una palabra?)."
    ).replace("%1", numbers)


def _discarding(handoff: Handoff) -> Callable[[TaskContext], None]:
    def discard(context: TaskContext) -> None:
        handoff.discard()

    return discard
