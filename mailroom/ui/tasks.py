"""The one background-task helper: run a plain callable on a thread pool, answer on the GUI thread.

The rule (Anki's ``QueryOp``): the op never touches widgets. It gets a ``TaskContext`` (report
progress, see whether the clerk cancelled) and returns a value or raises; the ``TaskHandle``
delivers the result, the error (always an ``OficialiaError`` with a Spanish message) or the
cancellation through signals emitted on the GUI thread, so slots may update widgets directly.
An op that makes its result piece by piece (pages arriving from a scanner) may hand each piece
over with ``context.publish(value)``: it arrives as ``published`` on the GUI thread, in order and
before the outcome, and pieces of a cancelled task are not delivered.

Why the handle re-emits: the worker emits private signals on a handle that lives on the GUI
thread, which makes Qt queue them to that thread; the handle's own slots then emit the public
signals there. Whoever connects to ``succeeded``/``failed``/... is therefore always called on the
GUI thread, whatever kind of callable they connect.

``TaskRunner(synchronous=True)`` runs ops inline, for unit tests of widgets that want no threads.
``StallProbe`` measures how long the event loop went without a tick: the apps promise the GUI
thread never blocks for more than 50 ms, and tests and ``bench/ui.py`` check that with it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import shiboken6
from PySide6.QtCore import QEventLoop, QObject, QRunnable, Qt, QThreadPool, QTimer, Signal, Slot

from mailroom.errors import OficialiaError

log = logging.getLogger(__name__)

T = TypeVar("T")

PROGRESS_INTERVAL = 0.05
"""Seconds between progress signals: an op reporting every row would flood the event queue."""


class TaskCancelled(OficialiaError):
    """The clerk cancelled the work; nothing of it is shown."""

    code = "tarea_cancelada"
    exit_code = 130


class TaskCrashed(OficialiaError):
    """An op raised something that is not an ``OficialiaError``: a bug, reported in Spanish."""

    code = "error_inesperado"


def _unpublished(value: object) -> None:
    """A context made outside a runner (a unit test of an op) publishes into the void."""


@dataclass(frozen=True)
class TaskContext:
    """What an op may use: ``progress(done, total)``, ``publish(piece)`` and the cancel flag.
    Nothing of Qt."""

    progress: Callable[[int, int | None], None]
    cancel: threading.Event
    publish: Callable[[Any], None] = _unpublished
    """Hand a partial result to the GUI thread (``TaskHandle.published``), unthrottled."""

    @property
    def cancelled(self) -> bool:
        return self.cancel.is_set()

    def check_cancelled(self) -> None:
        """Raise ``TaskCancelled`` if the clerk cancelled; call it between steps of long work."""
        if self.cancel.is_set():
            raise TaskCancelled("La operación se canceló.")


@dataclass(frozen=True)
class _Outcome:
    value: Any = None
    error: OficialiaError | None = None
    cancelled: bool = False


class TaskHandle(QObject, Generic[T]):
    """One running op. Signals arrive on the GUI thread; exactly one of ``succeeded``,
    ``failed`` or ``cancelled`` is emitted, then ``finished``."""

    succeeded = Signal(object)  # the op's return value
    failed = Signal(object)  # an OficialiaError; str(error) is the clerk's message
    cancelled = Signal()
    progressed = Signal(int, object)  # done, total (None when unknown)
    published = Signal(object)  # a partial result the op handed over with context.publish
    finished = Signal()

    _completed = Signal(object)
    _reported = Signal(int, object)
    _published = Signal(object)

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self.cancel_event = threading.Event()
        self.done = False
        self.result: T | None = None
        self.error: OficialiaError | None = None
        self._completed.connect(self._on_completed)
        self._reported.connect(self._on_reported)
        self._published.connect(self._on_published)

    def cancel(self) -> None:
        """Ask the op to stop; it is delivered as ``cancelled`` whatever it ends with."""
        self.cancel_event.set()

    def wait(self, timeout_ms: int = 10_000) -> bool:
        """Run the event loop until the task finished (for tests and shutdown); False on timeout."""
        if self.done:
            return True
        loop = QEventLoop()
        self.finished.connect(loop.quit)
        QTimer.singleShot(timeout_ms, loop.quit)
        loop.exec()
        return self.done

    @Slot(int, object)
    def _on_reported(self, done: int, total: int | None) -> None:
        if not self.done:
            self.progressed.emit(done, total)

    @Slot(object)
    def _on_published(self, value: object) -> None:
        # Queued in order with _completed, so every piece arrives before the outcome; once the
        # clerk cancelled, pieces still in the queue are dropped with the rest of the work.
        if not self.done and not self.cancel_event.is_set():
            self.published.emit(value)

    @Slot(object)
    def _on_completed(self, outcome: _Outcome) -> None:
        self.done = True
        if outcome.cancelled:
            self.cancelled.emit()
        elif outcome.error is not None:
            self.error = outcome.error
            self.failed.emit(outcome.error)
        else:
            self.result = outcome.value
            self.succeeded.emit(outcome.value)
        self.finished.emit()


class _Runnable(QRunnable):
    def __init__(self, op: Callable[[TaskContext], Any], handle: TaskHandle[Any]) -> None:
        super().__init__()
        self.op = op
        self.handle = handle
        self._last_report = 0.0

    def run(self) -> None:
        handle = self.handle
        context = TaskContext(
            progress=self._report, cancel=handle.cancel_event, publish=handle._published.emit
        )
        try:
            outcome = _Outcome(value=self.op(context))
        except OficialiaError as error:
            outcome = _Outcome(error=error)
        except Exception as error:  # a bug in the op: the clerk still gets a message
            log.exception("La tarea %s falló", handle.name)
            crashed = TaskCrashed(
                f"Ocurrió un error inesperado ({type(error).__name__}: {error}). "
                "Intente de nuevo; si se repite, avise a soporte técnico.",
                task=handle.name,
            )
            crashed.__cause__ = error
            outcome = _Outcome(error=crashed)
        if handle.cancel_event.is_set():
            outcome = _Outcome(cancelled=True)
        handle._completed.emit(outcome)

    def _report(self, done: int, total: int | None = None) -> None:
        now = time.monotonic()
        if now - self._last_report >= PROGRESS_INTERVAL or (total is not None and done >= total):
            self._last_report = now
            self.handle._reported.emit(done, total)


class TaskRunner(QObject):
    """Starts ops on a thread pool and keeps their handles alive until they finish."""

    def __init__(
        self,
        pool: QThreadPool | None = None,
        *,
        synchronous: bool = False,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.pool = pool or QThreadPool.globalInstance()
        self.synchronous = synchronous
        self._running: set[TaskHandle[Any]] = set()

    def run(
        self,
        op: Callable[[TaskContext], T],
        *,
        name: str = "",
        on_success: Callable[[T], None] | None = None,
        on_failure: Callable[[OficialiaError], None] | None = None,
        on_progress: Callable[[int, int | None], None] | None = None,
        on_published: Callable[[Any], None] | None = None,
        owner: QObject | None = None,
    ) -> TaskHandle[T]:
        """Run ``op(context)`` off the GUI thread. The callbacks are connected before it starts,
        so none of its signals can be missed. With an ``owner`` (the widget or model the
        callbacks update) they are skipped once Qt has deleted it: a screen closed while its
        query ran must not be updated afterwards."""
        handle: TaskHandle[T] = TaskHandle(name or getattr(op, "__name__", "tarea"))
        for signal, callback in (
            (handle.succeeded, on_success),
            (handle.failed, on_failure),
            (handle.progressed, on_progress),
            (handle.published, on_published),
        ):
            if callback is not None:
                signal.connect(callback if owner is None else _while_alive(owner, callback))
        self._running.add(handle)
        handle.finished.connect(lambda: self._running.discard(handle))
        runnable = _Runnable(op, handle)
        if self.synchronous:
            runnable.run()
        else:
            self.pool.start(runnable)
        return handle

    @property
    def active(self) -> int:
        """Tasks started and not yet delivered."""
        return len(self._running)

    def wait_all(self, timeout_ms: int = 10_000) -> bool:
        """Wait (running the event loop) until every task was delivered; False on timeout."""
        deadline = time.monotonic() + timeout_ms / 1000
        for handle in list(self._running):
            left = int((deadline - time.monotonic()) * 1000)
            if left <= 0 or not handle.wait(left):
                return False
        return not self._running


def _while_alive(owner: QObject, callback: Callable[..., None]) -> Callable[..., None]:
    def deliver(*args: Any) -> None:
        if shiboken6.isValid(owner):
            callback(*args)

    return deliver


class StallProbe(QObject):
    """Measures the longest gap between event-loop ticks, in milliseconds.

    A precise timer fires every ``interval_ms``; when the GUI thread is busy the ticks stop and
    the gap grows. The time from the last tick to ``stop()`` counts too, so a block right before
    stopping is not missed.
    """

    def __init__(self, interval_ms: int = 5, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.interval_ms = interval_ms
        self.longest_gap_ms = 0.0
        self.ticks = 0
        self._last = 0.0
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._tick)

    def start(self) -> None:
        self.longest_gap_ms = 0.0
        self.ticks = 0
        self._last = time.perf_counter()
        self._timer.start()

    def stop(self) -> float:
        """Stop measuring; returns ``longest_gap_ms``."""
        self._timer.stop()
        self._tick()
        return self.longest_gap_ms

    @Slot()
    def _tick(self) -> None:
        now = time.perf_counter()
        self.longest_gap_ms = max(self.longest_gap_ms, (now - self._last) * 1000)
        self._last = now
        self.ticks += 1
