"""The task helper: results, errors, progress and cancellation arrive on the GUI thread."""

from __future__ import annotations

import sys
import threading
import time

import pytest
from PySide6.QtCore import QCoreApplication, QThread, QThreadPool

from mailroom.errors import InvalidInput
from mailroom.ui.tasks import StallProbe, TaskContext, TaskCrashed, TaskRunner


def _on_gui_thread() -> bool:
    return QThread.currentThread() is QCoreApplication.instance().thread()


@pytest.fixture
def runner(qapp):  # type: ignore[no-untyped-def]
    pool = QThreadPool()
    pool.setMaxThreadCount(4)
    runner = TaskRunner(pool)
    yield runner
    assert runner.wait_all(10_000)
    pool.waitForDone(10_000)


def test_result_is_delivered_on_the_gui_thread(qtbot, runner: TaskRunner) -> None:
    op_threads: list[bool] = []
    seen: list[tuple[object, bool]] = []

    def op(context: TaskContext) -> int:
        op_threads.append(_on_gui_thread())
        return 6 * 7

    handle = runner.run(op, on_success=lambda value: seen.append((value, _on_gui_thread())))
    with qtbot.waitSignal(handle.finished, timeout=5000):
        pass
    assert op_threads == [False]  # the op ran in the pool
    assert seen == [(42, True)]
    assert handle.result == 42 and handle.error is None and handle.done


def test_spanish_error_is_delivered_on_the_gui_thread(qtbot, runner: TaskRunner) -> None:
    def op(context: TaskContext) -> None:
        raise InvalidInput("La fecha inicial (2026-05-01) es posterior a la final (2026-04-01).")

    failures: list[tuple[str, bool]] = []
    handle = runner.run(op, on_failure=lambda e: failures.append((str(e), _on_gui_thread())))
    successes: list[object] = []
    handle.succeeded.connect(successes.append)
    assert handle.wait(5000)
    assert failures == [
        ("La fecha inicial (2026-05-01) es posterior a la final (2026-04-01).", True)
    ]
    assert successes == [] and isinstance(handle.error, InvalidInput)


def test_a_bug_in_the_op_becomes_a_spanish_error(qtbot, runner: TaskRunner) -> None:
    def op(context: TaskContext) -> None:
        {}["falta"]  # noqa: B018 - a KeyError, as a real bug would raise

    handle = runner.run(op, name="buscar")
    assert handle.wait(5000)
    assert isinstance(handle.error, TaskCrashed)
    assert str(handle.error).startswith("Ocurrió un error inesperado (KeyError")
    assert "avise a soporte técnico" in str(handle.error)
    assert isinstance(handle.error.__cause__, KeyError)


def test_progress_arrives_on_the_gui_thread_and_ends_with_the_total(
    qtbot, runner: TaskRunner
) -> None:
    def op(context: TaskContext) -> str:
        for done in range(1, 21):
            time.sleep(0.01)
            context.progress(done, 20)
        return "listo"

    reports: list[tuple[int, object, bool]] = []
    handle = runner.run(op, on_progress=lambda d, t: reports.append((d, t, _on_gui_thread())))
    assert handle.wait(5000)
    assert handle.result == "listo"
    # Throttled: fewer signals than calls, but the last one always says "done".
    assert 1 <= len(reports) < 20
    assert reports[-1] == (20, 20, True)
    assert all(on_gui for _, _, on_gui in reports)
    assert [d for d, _, _ in reports] == sorted(d for d, _, _ in reports)


def test_cancelled_task_delivers_cancelled_and_nothing_else(qtbot, runner: TaskRunner) -> None:
    started = threading.Event()
    steps: list[int] = []

    def op(context: TaskContext) -> str:
        started.set()
        for step in range(500):
            context.check_cancelled()
            steps.append(step)
            time.sleep(0.005)
        return "no debería verse"

    handle = runner.run(op)
    outcomes: list[str] = []
    handle.succeeded.connect(lambda _: outcomes.append("ok"))
    handle.failed.connect(lambda _: outcomes.append("error"))
    handle.cancelled.connect(lambda: outcomes.append("cancelada"))
    assert started.wait(5)
    handle.cancel()
    assert handle.wait(5000)
    assert outcomes == ["cancelada"]
    assert len(steps) < 500 and handle.result is None


def test_many_tasks_at_once_each_get_their_own_result(qtbot, runner: TaskRunner) -> None:
    results: dict[int, int] = {}

    def square(number: int):  # type: ignore[no-untyped-def]
        def op(context: TaskContext) -> int:
            time.sleep(0.002)
            return number * number

        return op

    for number in range(200):
        runner.run(square(number), on_success=lambda v, n=number: results.__setitem__(n, v))
    assert runner.wait_all(10_000)
    assert results == {n: n * n for n in range(200)}
    assert runner.active == 0


def test_synchronous_runner_delivers_before_run_returns(qapp) -> None:  # type: ignore[no-untyped-def]
    seen: list[object] = []
    handle = TaskRunner(synchronous=True).run(lambda context: "hecho", on_success=seen.append)
    assert seen == ["hecho"] and handle.done


def test_stall_probe_sees_a_blocked_gui_thread(qtbot) -> None:
    probe = StallProbe()
    probe.start()
    qtbot.wait(50)
    time.sleep(0.2)  # a deliberate block of the GUI thread
    qtbot.wait(50)
    longest = probe.stop()
    assert 190 <= longest < 1000


def test_stall_probe_stays_low_while_work_runs_in_the_pool(
    qtbot, runner: TaskRunner, frozen_heap: None
) -> None:
    def busy(context: TaskContext) -> int:
        # Pure-Python work holding the GIL in turns, as a search or a render would.
        total, end = 0, time.perf_counter() + 0.4
        while time.perf_counter() < end:
            total += sum(range(1000))
        return total

    probe = StallProbe()
    probe.start()
    handles = [runner.run(busy)]
    assert all(handle.wait(5000) for handle in handles)
    longest = probe.stop()
    assert all(handle.result for handle in handles)
    assert probe.ticks > 20
    assert longest < 50


def test_signals_do_not_drop_references_to_true(qtbot, runner: TaskRunner) -> None:
    # PySide6 6.12.0's Signal.emit() lost one reference to True per call; some thousands of
    # signals later Python aborted ("bool_dealloc"). The pinned version must not.
    before = sys.getrefcount(True)
    handles = [runner.run(lambda context: None) for _ in range(100)]
    assert all(handle.wait(5000) for handle in handles)
    assert sys.getrefcount(True) - before > -50


def test_callbacks_skip_an_owner_qt_has_deleted(qtbot, runner: TaskRunner) -> None:
    import shiboken6
    from PySide6.QtCore import QObject

    owner = QObject()
    release = threading.Event()
    delivered: list[object] = []

    def op(context: TaskContext) -> str:
        release.wait(5)
        return "tarde"

    handle = runner.run(op, on_success=delivered.append, owner=owner)
    shiboken6.delete(owner)  # the screen closed while its query ran
    release.set()
    assert handle.wait(5000)
    assert handle.result == "tarde" and delivered == []


def test_published_pieces_arrive_in_order_on_the_gui_thread_before_the_result(
    qtbot, runner: TaskRunner
) -> None:
    def op(context: TaskContext) -> str:
        for piece in range(30):
            context.publish(piece)  # not throttled, unlike progress
        return "completo"

    seen: list[tuple[object, bool]] = []
    handle = runner.run(op, on_published=lambda piece: seen.append((piece, _on_gui_thread())))
    handle.succeeded.connect(lambda result: seen.append((result, _on_gui_thread())))
    assert handle.wait(5000)
    assert seen == [(piece, True) for piece in range(30)] + [("completo", True)]


def test_pieces_of_a_cancelled_task_are_not_delivered(qtbot, runner: TaskRunner) -> None:
    published = threading.Event()
    release = threading.Event()

    def op(context: TaskContext) -> None:
        context.publish("primera")
        published.set()
        release.wait(5)
        context.publish("después de cancelar")

    seen: list[object] = []
    handle = runner.run(op, on_published=seen.append)
    assert published.wait(5)
    qtbot.waitUntil(lambda: seen == ["primera"], timeout=5000)
    handle.cancel()
    release.set()
    assert handle.wait(5000)
    assert seen == ["primera"]


def test_a_context_outside_a_runner_publishes_into_the_void() -> None:
    context = TaskContext(progress=lambda done, total: None, cancel=threading.Event())
    context.publish("nadie escucha")  # does not raise
