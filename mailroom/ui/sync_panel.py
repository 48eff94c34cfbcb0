"""The sync status panel, always visible in the clerk's window: online or not, how many filings
wait to be sent, which ones need a person (with the reason and a "Reintentar" button), when the
last successful sync was, and "Sincronizar ahora".

Every read and every action goes through ``sync.controls.SyncControls`` on the task helper: a
sync pass waits on the network for seconds, and even the status read touches the database. The
panel refreshes itself after each action, so what it shows is what the database says afterwards.
"""

from __future__ import annotations

from datetime import datetime, tzinfo

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from mailroom.errors import OficialiaError
from mailroom.ui.tasks import TaskContext, TaskRunner
from sync.controls import SyncControls
from sync.status import ProblemItem, SyncReport
from sync.worker import SyncSummary

ONLINE_STYLE = "color: #1b5e20; font-weight: bold;"
OFFLINE_STYLE = "color: #b71c1c; font-weight: bold;"


class SyncPanel(QGroupBox):
    refreshed = Signal(object)  # SyncReport, after the widgets show it
    sync_finished = Signal(object)  # SyncSummary, or None when the pass failed
    retry_finished = Signal(str)  # the folio put back in the queue (or that failed to be)

    def __init__(
        self, controls: SyncControls, tasks: TaskRunner, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setTitle(self.tr("Sincronización"))
        self._controls = controls
        self._tasks = tasks
        self._refreshing = False
        self._refresh_again = False
        self.report: SyncReport | None = None
        self.retry_buttons: dict[str, QPushButton] = {}
        self._reasons: dict[str, QLabel] = {}
        self.connection_label = QLabel(self.tr("Consultando…"))
        self.pending_label = QLabel()
        self.last_success_label = QLabel()
        self.message_label = QLabel()
        self.message_label.setWordWrap(True)
        self.sync_button = QPushButton(self.tr("Sincronizar ahora"))
        self.sync_button.clicked.connect(self.sync_now)
        self._problems = QWidget()
        self._problems_layout = QGridLayout(self._problems)
        self._problems_layout.setContentsMargins(0, 0, 0, 0)
        self._build_layout()

    def _build_layout(self) -> None:
        # Stacked, not in one row: the panel lives in a narrow column beside the counter's
        # screens, and a long connection message must wrap rather than widen it.
        self.connection_label.setWordWrap(True)
        self.last_success_label.setWordWrap(True)
        header = QHBoxLayout()
        header.addWidget(self.pending_label)
        header.addStretch(1)
        header.addWidget(self.sync_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.connection_label)
        layout.addLayout(header)
        layout.addWidget(self.last_success_label)
        layout.addWidget(self._problems)
        layout.addWidget(self.message_label)
        layout.addStretch(1)

    @Slot()
    def refresh(self) -> None:
        """Read the status off the GUI thread; a refresh asked while one runs is done after it."""
        if self._refreshing:
            self._refresh_again = True
            return
        self._refreshing = True
        controls = self._controls

        def op(context: TaskContext) -> SyncReport:
            return controls.status()

        self._tasks.run(
            op, name="estado_sincronizacion", on_success=self._show, on_failure=self._read_failed
        )

    @Slot()
    def sync_now(self) -> None:
        if not self.sync_button.isEnabled():
            return
        self.sync_button.setEnabled(False)
        self.message_label.setText(self.tr("Sincronizando…"))
        controls = self._controls

        def op(context: TaskContext) -> SyncSummary:
            return controls.sync_now()

        self._tasks.run(
            op, name="sincronizar", on_success=self._synced, on_failure=self._sync_failed
        )

    def retry(self, folio: str) -> None:
        button = self.retry_buttons.get(folio)
        if button is not None:
            button.setEnabled(False)
        controls = self._controls

        def op(context: TaskContext) -> str:
            try:
                controls.retry(folio)
            except OficialiaError as error:
                # The folio travels on the error: a closure over the panel as the failure
                # callback is what _RetryButton's docstring warns about.
                error.details.setdefault("folio", folio)
                raise
            return folio

        self._tasks.run(
            op, name="reintentar_envio", on_success=self._retried, on_failure=self._retry_failed
        )

    def _synced(self, summary: SyncSummary) -> None:
        self.sync_button.setEnabled(True)
        self.message_label.setText(self._summary_text(summary))
        self.sync_finished.emit(summary)
        self.refresh()

    def _sync_failed(self, error: OficialiaError) -> None:
        self.sync_button.setEnabled(True)
        self.message_label.setText(error.message)
        self.sync_finished.emit(None)
        self.refresh()

    def _retried(self, folio: str) -> None:
        self.message_label.setText(
            self.tr("{0} vuelve a la cola; se enviará en la próxima sincronización.").format(folio)
        )
        self.retry_finished.emit(folio)
        self.refresh()

    def _retry_failed(self, error: OficialiaError) -> None:
        self.message_label.setText(error.message)
        self.retry_finished.emit(str(error.details.get("folio", "")))
        self.refresh()

    def _read_failed(self, error: OficialiaError) -> None:
        self._refreshing = False
        self.connection_label.setText(self.tr("Estado desconocido"))
        self.message_label.setText(error.message)
        self._refresh_if_asked()

    def _show(self, report: SyncReport) -> None:
        self._refreshing = False
        self.report = report
        self._show_connection(report)
        waiting = report.pending + report.sending
        self.pending_label.setText(self.tr("Pendientes: {0}").format(waiting))
        self.last_success_label.setText(
            self.tr("Última sincronización correcta: {0}").format(
                _moment(report.last_success_at, self._controls.zone) or self.tr("nunca")
            )
        )
        self._show_problems(report.problems)
        self.refreshed.emit(report)
        self._refresh_if_asked()

    def _refresh_if_asked(self) -> None:
        if self._refresh_again:
            self._refresh_again = False
            self.refresh()

    def _show_connection(self, report: SyncReport) -> None:
        if not report.enrolled:
            text, style = self.tr("Equipo sin dar de alta en el servidor"), OFFLINE_STYLE
        elif report.reenrol_required:
            text, style = (
                self.tr("Equipo dado de baja: hay que darlo de alta otra vez"),
                OFFLINE_STYLE,
            )
        elif report.online:
            text, style = self.tr("En línea"), ONLINE_STYLE
        else:
            text, style = self.tr("Sin conexión"), OFFLINE_STYLE
        self.connection_label.setText(text)
        self.connection_label.setStyleSheet(style)
        detail = report.revoked_message or report.offline_reason or ""
        if report.clock_skewed:
            detail = self.tr("El reloj del equipo difiere del servidor en {0} s. {1}").format(
                report.clock_skew_seconds, detail
            )
        self.connection_label.setToolTip(detail.strip())

    def _show_problems(self, problems: tuple[ProblemItem, ...]) -> None:
        for old in (*self._reasons.values(), *self.retry_buttons.values()):
            self._problems_layout.removeWidget(old)
            old.deleteLater()
        self.retry_buttons = {}
        self._reasons = {}
        for row, problem in enumerate(problems):
            reason = QLabel(self.tr("{0}: {1}").format(problem.folio, problem.reason))
            reason.setWordWrap(True)
            reason.setObjectName(f"motivo:{problem.folio}")
            button = _RetryButton(problem.folio, self.tr("Reintentar"))
            button.retry_requested.connect(self.retry)
            # The reason across the narrow column, its button under it on the right.
            self._problems_layout.addWidget(reason, 2 * row, 0)
            self._problems_layout.addWidget(button, 2 * row + 1, 0, Qt.AlignmentFlag.AlignRight)
            self.retry_buttons[problem.folio] = button
            self._reasons[problem.folio] = reason
        self._problems.setVisible(bool(problems))

    def problem_text(self, folio: str) -> str | None:
        """The reason line shown for ``folio`` (for tests and screenshots), or ``None``."""
        # Not findChild: rows from the last refresh linger as children until deleteLater runs.
        label = self._reasons.get(folio)
        return label.text() if label is not None else None

    def _summary_text(self, summary: SyncSummary) -> str:
        if summary.busy:
            return summary.busy
        if summary.revoked:
            return summary.revoked
        if not summary.online:
            reason = summary.connectivity.reason if summary.connectivity else ""
            return self.tr("Sin conexión: {0}").format(reason).strip()
        text = self.tr("Enviados: {0}; en espera: {1}; requieren atención: {2}.").format(
            len(summary.synced), len(summary.postponed), len(summary.parked)
        )
        if summary.downsync_error:
            text += " " + summary.downsync_error
        return text


class _RetryButton(QPushButton):
    """ "Reintentar" for one folio. A signal carrying the folio, not a lambda: a lambda would hold
    the panel, and when the button's deferred delete freed it PySide6 could free the panel from
    inside its own child's destructor (measured: a malloc abort after the last problem cleared)."""

    retry_requested = Signal(str)

    def __init__(self, folio: str, text: str) -> None:
        super().__init__(text)
        self.folio = folio
        self.setObjectName(f"reintentar:{folio}")
        self.clicked.connect(self._clicked)

    @Slot()
    def _clicked(self) -> None:
        self.retry_requested.emit(self.folio)


def _moment(iso: str | None, zone: tzinfo) -> str | None:
    """``2026-03-09T16:30:00+00:00`` -> ``2026-03-09 10:30`` in the office's time zone."""
    if not iso:
        return None
    try:
        return datetime.fromisoformat(iso).astimezone(zone).strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return iso
