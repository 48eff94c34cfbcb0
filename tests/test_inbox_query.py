"""The inbox's pages over a 100,000-filing office: bounded, newest first, filtered, searchable."""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest

from bench.search import DOMAIN, FILING_SQL, FTS_SQL, GIVEN, STATUSES, SURNAMES
from mailroom.errors import InvalidInput
from mailroom.inbox_query import (
    PAGE_SIZE,
    InboxFilters,
    browse,
    count,
    departments,
    search_page,
)
from mailroom.models import FilingStatus, SyncStatus
from mailroom.store import Store, immediate

FILINGS = 100_000
AREAS = ["Tesorería", "Obras Públicas", "Catastro", "Jurídico", "Desarrollo Urbano", "Ecología"]
NEEDLE = 77_777  # the one filing whose text asks to prune the "jacarandá junto al ñandú"


def uuid_of(seq: int) -> str:
    return f"00000000-0000-7000-8000-{seq:012d}"


def _filings(count: int) -> Iterator[tuple[tuple[object, ...], tuple[object, ...]]]:
    """bench/search.py's office with short OCR texts: the shape is what matters here, and
    100,000 filings must build in seconds."""
    rng = random.Random(6)
    start = date(2026, 1, 2)
    for seq in range(1, count + 1):
        day = start + timedelta(days=seq * 300 // count)
        folio = f"OPM-2026-C01-{seq:06d}"
        sender = f"{rng.choice(GIVEN)} {rng.choice(SURNAMES)}"
        subject = " ".join(rng.choice(DOMAIN) for _ in range(4)).capitalize()
        text = " ".join(rng.choice(DOMAIN) for _ in range(12))
        if seq == NEEDLE:
            text = "Solicito la poda de la jacarandá junto al ñandú de la colonia centro"
        status = rng.choice(STATUSES)
        synced = seq % 3 == 0
        filing = (
            seq, uuid_of(seq), folio, "OPM", "C01", 2026, seq,
            f"{day.isoformat()}T10:{seq % 60:02d}:00-06:00", day.isoformat(), "ventanilla",
            sender, subject, "S/N", 1, "normal", "bench", status,
            "sincronizada" if synced else "pendiente",
        )  # fmt: skip
        yield filing, (seq, folio, sender, subject, text)


def build_office(data_dir: Path, count: int = FILINGS) -> float:
    """Fill a fresh store with ``count`` filings by direct inserts; returns the seconds taken."""
    started = time.perf_counter()
    with Store(data_dir) as store:
        db = store.reader()
        with immediate(db):
            batch = list(_filings(count))
            db.conn.executemany(FILING_SQL, [filing for filing, _ in batch])
            db.conn.executemany(FTS_SQL, [fts for _, fts in batch])
            db.conn.executemany(
                "UPDATE filings SET institutional_folio = ? WHERE rowid = ?",
                [(f"SIG-2026-{seq:06d}", seq) for seq in range(3, count + 1, 3)],
            )
            db.conn.executemany(
                "INSERT INTO filing_addressees (filing_uuid, area, role) VALUES (?, ?, ?)",
                [(uuid_of(seq), AREAS[seq % len(AREAS)], "directo") for seq in range(1, count + 1)]
                + [
                    (uuid_of(seq), AREAS[(seq + 1) % len(AREAS)], "copia")
                    for seq in range(1, count + 1, 10)
                ],
            )
    return time.perf_counter() - started


@pytest.fixture(scope="module")
def office(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    folder = tmp_path_factory.mktemp("oficina")
    seconds = build_office(folder)
    assert seconds < 30
    with Store(folder) as store:
        yield store


def test_browse_walks_newest_first_in_bounded_pages(office: Store) -> None:
    db = office.reader()
    first = browse(db)
    assert len(first.rows) == PAGE_SIZE
    assert [row.folio for row in first.rows[:2]] == ["OPM-2026-C01-100000", "OPM-2026-C01-099999"]
    synced = next(row for row in first.rows if row.sync_status == SyncStatus.SINCRONIZADA)
    assert synced.institutional_folio == f"SIG-2026-{synced.folio[-6:]}"
    assert first.rows[0].departments == (AREAS[100_000 % len(AREAS)],)
    with_copy = next(row for row in first.rows if int(row.folio[-6:]) % 10 == 1)
    assert len(with_copy.departments) == 2  # the direct addressee first, then the copy

    # Deep in the inbox a page costs what the first one did: keyset, not OFFSET (with OFFSET the
    # last of these 50 pages would cost about 50 times the first). Medians of five pages at each
    # end, so that one pause of a loaded machine does not decide.
    page, seen, times = first, len(first.rows), []
    while page.next_key is not None:
        started = time.perf_counter()
        page = browse(db, key=page.next_key, limit=2000)
        if len(page.rows) == 2000:
            times.append(time.perf_counter() - started)
        assert 0 < len(page.rows) <= 2000
        seen += len(page.rows)
    assert seen == FILINGS and page.rows[-1].folio == "OPM-2026-C01-000001"
    shallow, deep = statistics.median(times[:5]), statistics.median(times[-5:])
    assert deep < 3 * shallow + 0.05, (shallow, deep)
    assert max(times) < 2


def test_filters_narrow_the_inbox_and_the_count(office: Store) -> None:
    db = office.reader()
    filters = InboxFilters(
        status=FilingStatus.TURNADA,
        since=date(2026, 3, 1),
        until=date(2026, 3, 31),
        department="Tesorería",
        sync_status=SyncStatus.SINCRONIZADA,
    )
    page = browse(db, filters, limit=50)
    assert page.rows
    for row in page.rows:
        assert row.status == FilingStatus.TURNADA
        assert row.received_at[:7] == "2026-03"
        assert "Tesorería" in row.departments
        assert row.sync_status == SyncStatus.SINCRONIZADA
    total = count(db, filters)
    assert 0 < total < count(db) == FILINGS
    assert departments(db) == sorted(AREAS)


def test_search_is_accent_insensitive_and_shows_snippets(office: Store) -> None:
    db = office.reader()
    page = search_page(db, "jacaranda nandu")
    assert [row.folio for row in page.rows] == [f"OPM-2026-C01-{NEEDLE:06d}"]
    assert "«jacarandá»" in page.rows[0].snippet and "«ñandú»" in page.rows[0].snippet
    assert page.next_key is None
    assert search_page(db, "jacaranda", InboxFilters(department="Nadie")).rows == ()
    assert search_page(db, '"*" ').rows == () and search_page(db, "").next_key is None


def test_filtered_search_pages_never_exceed_the_limit(office: Store) -> None:
    db = office.reader()
    filters = InboxFilters(department="Catastro", sync_status=SyncStatus.PENDIENTE)
    page = search_page(db, "solicitud", filters, limit=50)
    assert 0 < len(page.rows) <= 50 and page.next_key is not None
    assert all("Catastro" in r.departments and r.sync_status == "pendiente" for r in page.rows)
    following = search_page(db, "solicitud", filters, key=page.next_key, limit=50)
    assert not {r.filing_id for r in page.rows} & {r.filing_id for r in following.rows}


def test_a_backwards_date_range_is_refused_in_spanish() -> None:
    with pytest.raises(InvalidInput) as caught:
        InboxFilters(since=date(2026, 5, 1), until=date(2026, 4, 1))
    assert (
        str(caught.value) == "La fecha inicial (2026-05-01) es posterior a la final (2026-04-01)."
    )
