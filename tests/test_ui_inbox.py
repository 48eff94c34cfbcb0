"""The inbox screen over 100,000 filings: lazy pages, search off the GUI thread, filters."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import date

import pytest
from PySide6.QtCore import QDate, Qt

from mailroom.inbox_query import PAGE_SIZE, InboxFilters
from mailroom.store import Store
from mailroom.ui.inbox import InboxWidget
from mailroom.ui.inbox_model import Column, InboxModel
from mailroom.ui.tasks import StallProbe, TaskRunner
from tests.test_inbox_query import FILINGS, NEEDLE, build_office
from tests.ui_fixtures import waited_runner


@pytest.fixture(scope="module")
def office(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    folder = tmp_path_factory.mktemp("oficina")
    build_office(folder)
    with Store(folder) as store:
        yield store


@pytest.fixture
def runner(qapp) -> Iterator[TaskRunner]:  # type: ignore[no-untyped-def]
    with waited_runner() as tasks:
        yield tasks


def test_model_answers_from_one_page_not_the_whole_office(qtbot, office, runner) -> None:
    model = InboxModel(runner, office.reader)
    with qtbot.waitSignal(model.page_loaded, timeout=5000):
        model.set_query("", InboxFilters())
    assert model.rowCount() == 200  # one page, of 100,000
    assert model.columnCount() == len(Column)
    assert model.data(model.index(0, Column.FOLIO)) == "OPM-2026-C01-100000"
    assert model.headerData(Column.RECEIVED, Qt.Orientation.Horizontal) == "Recibido"
    # Every third filing is synced and shows the backend's folio; 99,999 is one of them.
    assert model.data(model.index(1, Column.SYNC)) == "sincronizada · SIG-2026-099999"
    assert model.data(model.index(0, Column.SYNC)) == "pendiente"
    assert model.filing_id(0) == "00000000-0000-7000-8000-000000100000"
    assert model.canFetchMore()


def test_scrolling_to_the_end_fetches_bounded_pages_without_stalling(
    qtbot, office, runner, frozen_heap
) -> None:  # type: ignore[no-untyped-def]
    _scroll_to_the_end(qtbot, office, runner)


def _scroll_to_the_end(qtbot, office, runner) -> None:  # type: ignore[no-untyped-def]
    widget = InboxWidget(runner, office.reader, page_size=PAGE_SIZE)
    widget.resize(1000, 600)
    widget.show()
    model, table = widget.model, widget.table
    qtbot.waitUntil(lambda: model.rowCount() > 0, timeout=5000)
    probe = StallProbe()
    probe.start()
    pages, slowest = 0, 0.0
    while model.canFetchMore() or model.loading:
        before, started = model.rowCount(), time.perf_counter()
        with qtbot.waitSignal(model.page_loaded, timeout=5000):
            table.scrollToBottom()  # the view asks for more, as a clerk's scrolling does
        slowest = max(slowest, time.perf_counter() - started)
        assert 0 < model.rowCount() - before <= PAGE_SIZE
        pages += 1
    stall = probe.stop()
    assert model.rowCount() == FILINGS and pages == FILINGS // PAGE_SIZE - 1
    assert model.data(model.index(FILINGS - 1, Column.FOLIO)) == "OPM-2026-C01-000001"
    assert slowest < 1.0
    # The design's budget is 50 ms. Measured over the 499 pages: a median gap of 10-15 ms and a
    # longest of 35 ms on an idle machine, up to 70 ms while another test run loaded both cores
    # (the OS, not this code, then kept the GUI thread waiting). 100 ms still catches the
    # unfrozen-heap collections (up to 118 ms) and pages built on the GUI thread.
    assert stall < 100, f"el hilo de la interfaz se detuvo {stall:.0f} ms"


def test_search_box_finds_without_accents_and_shows_the_snippet(qtbot, office, runner) -> None:
    widget = InboxWidget(runner, office.reader)
    widget.show()
    qtbot.waitUntil(lambda: widget.model.rowCount() > 0, timeout=5000)
    assert widget.table.isColumnHidden(Column.MATCH)
    with qtbot.waitSignal(widget.model.page_loaded, timeout=5000):
        qtbot.keyClicks(widget.search, "jacaranda nandu")
    model = widget.model
    assert model.rowCount() == 1
    assert model.data(model.index(0, Column.FOLIO)) == f"OPM-2026-C01-{NEEDLE:06d}"
    assert "«jacarandá»" in model.data(model.index(0, Column.MATCH))
    assert not widget.table.isColumnHidden(Column.MATCH)
    assert widget.message.text() == "1 coincidencia(s) mostradas"


def test_filters_narrow_the_table_and_the_total(qtbot, office, runner) -> None:
    widget = InboxWidget(runner, office.reader)
    qtbot.waitUntil(lambda: widget.department.count() > 1, timeout=5000)
    qtbot.waitUntil(lambda: widget.message.text() == f"{FILINGS} escrito(s)", timeout=5000)
    with qtbot.waitSignal(widget.model.total_counted, timeout=5000):
        widget.department.setCurrentIndex(widget.department.findData("Catastro"))
    model = widget.model
    qtbot.waitUntil(lambda: model.rowCount() > 0 and not model.loading, timeout=5000)
    assert all(
        "Catastro" in model.data(model.index(row, Column.DEPARTMENT))
        for row in range(model.rowCount())
    )
    total = int(widget.message.text().split()[0])
    assert 0 < total < FILINGS


def test_a_backwards_date_range_is_refused_and_the_table_kept(qtbot, office, runner) -> None:
    widget = InboxWidget(runner, office.reader)
    qtbot.waitUntil(lambda: widget.model.rowCount() > 0, timeout=5000)
    widget.since.setDate(QDate(2026, 5, 1))
    widget.until.setDate(QDate(2026, 4, 1))
    widget.since_enabled.setChecked(True)
    widget.until_enabled.setChecked(True)
    assert widget.message.text() == (
        "La fecha inicial (2026-05-01) es posterior a la final (2026-04-01)."
    )
    # The last good query (from May 1st on) stays on screen.
    assert widget.model.filters == InboxFilters(since=date(2026, 5, 1))
    qtbot.waitUntil(lambda: widget.model.rowCount() > 0, timeout=5000)
    widget.since.setDate(QDate(2026, 3, 1))
    assert widget.model.filters == InboxFilters(since=date(2026, 3, 1), until=date(2026, 4, 1))
    qtbot.waitUntil(lambda: widget.message.text().endswith("escrito(s)"), timeout=5000)
