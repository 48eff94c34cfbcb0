"""The watched folder, with real files written the way network scanners write them: in pieces,
with pauses; real batch PDFs with our separator sheets and carátulas; crashes at the two moments
that matter (before the drafts commit, and after it but before the file is moved)."""

from __future__ import annotations

import contextlib
import io
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest
from PIL import Image

from mailroom.capture import watch
from mailroom.capture.watch import FolderBusy, FolderWatcher, WatchEvent, open_for_writing
from mailroom.config import Settings, load_settings
from mailroom.drafts import DraftKind, DraftService
from mailroom.store import Store
from tests.noisy_sheets import cover_image, separator_image
from tests.scanned_pages import blank_page_with_show_through, text_page

ROOT = Path(__file__).resolve().parents[1]
DPI = 150
SETTLE = 0.4


@cache
def _page(kind: str, seed: int = 0) -> Image.Image:
    if kind == "texto":
        return text_page(seed, dpi=DPI)
    if kind == "blanco":
        return blank_page_with_show_through(seed, dpi=DPI)
    if kind == "separador":
        return separator_image(dpi=DPI)
    return cover_image(kind, dpi=DPI)  # a carátula for the folio ``kind``


def batch_bytes(*pages: str | tuple[str, int]) -> bytes:
    """A scanner's batch PDF: each page an image, e.g. ("texto", 1), "separador", "blanco"."""
    # Copies: Pillow leaves the first page's save options (its append_images) on each appended
    # image, so saving a cached image again would bring the previous batch's pages along.
    images = [_page(*((p,) if isinstance(p, str) else p)).copy() for p in pages]
    out = io.BytesIO()
    images[0].save(out, "PDF", resolution=DPI, save_all=True, append_images=images[1:])
    return out.getvalue()


TWO_FILINGS = (("texto", 1), ("texto", 2), "separador", ("texto", 3))


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    folder = tmp_path / "escaner"
    folder.mkdir()
    return folder


@pytest.fixture
def events() -> list[WatchEvent]:
    return []


@pytest.fixture
def watcher(store: Store, settings: Settings, inbox: Path, events: list[WatchEvent]):
    with FolderWatcher(
        store, settings, inbox, settle_seconds=SETTLE, on_event=events.append
    ) as opened:
        yield opened


def settle_and_poll(watcher: FolderWatcher) -> list[WatchEvent]:
    """Two looks ``SETTLE`` apart: what a watcher does on its own between intervals."""
    first = watcher.poll()
    time.sleep(SETTLE + 0.05)
    return first + watcher.poll()


def drafts_of(store: Store) -> list[tuple[str, str | None, int]]:
    return [
        (d.kind.value, d.target_folio, d.page_count)
        for d in DraftService(store, load_settings(store.data_dir)).list_drafts()
    ]


def listing(folder: Path) -> list[str]:
    return sorted(
        str(p.relative_to(folder))
        for p in folder.rglob("*")
        if p.is_file() and p.name != ".oficialia-vigilancia.lock"
    )


def write_slowly(path: Path, data: bytes, *, chunks: int, pause: float) -> threading.Thread:
    """A scanner uploading over SMB: the file appears at once, then grows in pieces."""

    def run() -> None:
        step = -(-len(data) // chunks)
        with path.open("wb") as out:
            for start in range(0, len(data), step):
                out.write(data[start : start + step])
                out.flush()
                time.sleep(pause)

    thread = threading.Thread(target=run)
    thread.start()
    return thread


@contextlib.contextmanager
def watching(watcher: FolderWatcher, interval: float) -> Iterator[None]:
    """``watcher.run`` on its own thread, stopped (and joined) on leaving."""
    stop = threading.Event()
    thread = threading.Thread(target=watcher.run, args=(stop,), kwargs={"interval": interval})
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=30)
        assert not thread.is_alive()


# -- taken only once complete ----------------------------------------------------------------


def test_a_file_written_in_pieces_is_taken_only_once_complete(
    store: Store, settings: Settings, inbox: Path
) -> None:
    """The writer pauses less than the settle time between pieces, so the size alone keeps the
    file waiting; every look during the upload must leave it alone."""
    data = batch_bytes(*TWO_FILINGS)
    taken = threading.Event()
    seen: list[WatchEvent] = []

    def record(event: WatchEvent) -> None:
        seen.append(event)
        taken.set()

    watcher = FolderWatcher(store, settings, inbox, settle_seconds=SETTLE, on_event=record)
    target = inbox / "lote.pdf"
    writer = write_slowly(target, data, chunks=8, pause=SETTLE / 3)
    with watching(watcher, interval=0.05):
        writer.join()
        finished_at = time.monotonic()
        assert taken.wait(timeout=20)
    assert time.monotonic() - finished_at >= SETTLE - 0.1  # not before it had settled
    [event] = seen
    assert event.outcome == "procesado" and len(event.drafts) == 2
    assert listing(inbox) == ["procesados/lote.pdf"]
    assert (inbox / "procesados" / "lote.pdf").read_bytes() == data  # moved whole
    assert drafts_of(store) == [("nuevo", None, 2), ("nuevo", None, 1)]


def test_a_file_held_open_by_a_slow_local_writer_is_not_taken(
    watcher: FolderWatcher, inbox: Path, store: Store
) -> None:
    """Pauses longer than the settle time (an FTP upload on a bad link): the size stays still,
    but this machine's writer still holds the file open for writing, so it waits."""
    data = batch_bytes(*TWO_FILINGS)
    target = inbox / "lote.pdf"
    with target.open("wb") as out:
        out.write(data[: len(data) // 2])
        out.flush()
        assert open_for_writing(target)
        assert settle_and_poll(watcher) == []
        time.sleep(SETTLE + 0.05)
        assert watcher.poll() == []  # stable for over twice the settle time, still open
        out.write(data[len(data) // 2 :])
    assert not open_for_writing(target)
    assert [e.outcome for e in settle_and_poll(watcher)] == ["procesado"]
    assert len(drafts_of(store)) == 2


def test_hidden_temporary_and_sorted_files_are_left_alone(
    watcher: FolderWatcher, inbox: Path, store: Store
) -> None:
    data = batch_bytes(("texto", 1))
    names = [".oculto.pdf", "~$lote.pdf", "lote.pdf.part", "lote.tmp", "respaldo.pdf~"]
    for name in names:
        (inbox / name).write_bytes(data)
    (inbox / "procesados").mkdir()
    (inbox / "procesados" / "viejo.pdf").write_bytes(data)
    assert settle_and_poll(watcher) == []
    assert drafts_of(store) == []
    assert sorted(p.name for p in inbox.iterdir() if p.is_file()) == sorted(
        [*names, ".oficialia-vigilancia.lock"]
    )


# -- batches become drafts -------------------------------------------------------------------


def test_separator_sheets_and_caratulas_route_the_pages_into_drafts(
    watcher: FolderWatcher, inbox: Path, store: Store
) -> None:
    (inbox / "lote.pdf").write_bytes(
        batch_bytes(
            ("texto", 1),
            "separador",
            ("texto", 2),
            ("blanco", 3),
            "OPM-2026-C01-000007",
            ("texto", 4),
        )
    )
    [event] = settle_and_poll(watcher)
    assert event.outcome == "procesado" and event.message == "3 borradores (1, 2, 3)"
    drafts = DraftService(store, watcher.settings).list_drafts()
    assert [(d.kind, d.target_folio, d.page_count) for d in drafts] == [
        (DraftKind.NUEVO, None, 1),
        (DraftKind.NUEVO, None, 1),
        (DraftKind.ANEXO, "OPM-2026-C01-000007", 1),
    ]
    assert drafts[1].capture.blank_removed == (2,)  # the show-through back left out
    assert drafts[0].origin == "lote.pdf, grupo 1 de 3 (hoja 1)"
    assert {d.source for d in drafts} == {f"folder:{inbox.resolve()}"}
    recorded = store.reader().execute("SELECT name, drafts FROM watched_files").fetchall()
    assert recorded == [("lote.pdf", 3)]


def test_a_repeated_scanner_file_name_does_not_overwrite_the_processed_one(
    watcher: FolderWatcher, inbox: Path, store: Store
) -> None:
    first, second = batch_bytes(("texto", 1)), batch_bytes(("texto", 2))
    (inbox / "scan0001.pdf").write_bytes(first)
    settle_and_poll(watcher)
    (inbox / "scan0001.pdf").write_bytes(second)  # the scanner's counter started over
    settle_and_poll(watcher)
    assert listing(inbox) == ["procesados/scan0001-2.pdf", "procesados/scan0001.pdf"]
    assert (inbox / "procesados" / "scan0001.pdf").read_bytes() == first
    assert len(drafts_of(store)) == 2


# -- rejected files --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("roto.pdf", b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog", "roto.pdf"),
        ("carta.docx", b"PK\x03\x04" + b"\0" * 200, "no se puede registrar"),
        ("notas.pdf", b"solo texto, no un PDF", "dice ser"),
    ],
)
def test_a_bad_file_lands_in_rechazados_with_its_reason(
    watcher: FolderWatcher, inbox: Path, store: Store, name: str, content: bytes, reason: str
) -> None:
    (inbox / name).write_bytes(content)
    [event] = settle_and_poll(watcher)
    assert event.outcome == "rechazado" and reason in event.message
    assert listing(inbox) == [f"rechazados/{name}", f"rechazados/{name}.motivo.txt"]
    motivo = (inbox / "rechazados" / f"{name}.motivo.txt").read_text(encoding="utf-8")
    assert f"Archivo: {name}" in motivo and event.message in motivo
    assert (inbox / "rechazados" / name).read_bytes() == content  # kept as it came
    assert drafts_of(store) == []
    assert store.reader().execute("SELECT count(*) FROM watched_files").fetchone()[0] == 0


def test_a_batch_of_only_separators_and_blank_backs_is_rejected(
    watcher: FolderWatcher, inbox: Path, store: Store
) -> None:
    (inbox / "vacio.pdf").write_bytes(batch_bytes("separador", ("blanco", 1)))
    [event] = settle_and_poll(watcher)
    assert event.outcome == "rechazado" and "ninguna página que registrar" in event.message
    assert "rechazados/vacio.pdf.motivo.txt" in listing(inbox)


def test_an_empty_file_waits_its_grace_then_is_rejected(
    store: Store, settings: Settings, inbox: Path
) -> None:
    (inbox / "escaneo.pdf").write_bytes(b"")
    with FolderWatcher(
        store, settings, inbox, settle_seconds=0.05, empty_grace_seconds=SETTLE * 2
    ) as watcher:
        assert settle_and_poll(watcher) == []  # a scanner may have just created it
        time.sleep(SETTLE * 2)
        [event] = watcher.poll()
    assert event.outcome == "rechazado" and "vacío" in event.message
    assert listing(inbox) == ["rechazados/escaneo.pdf", "rechazados/escaneo.pdf.motivo.txt"]


def test_a_file_over_the_size_limit_is_rejected_before_it_is_read(
    store: Store, data_dir: Path, inbox: Path
) -> None:
    small = load_settings(data_dir, clerk="x", max_file_megabytes=1)
    (inbox / "enorme.pdf").write_bytes(b"%PDF-1.4\n" + b"0" * (1024 * 1024 + 1))
    with FolderWatcher(store, small, inbox, settle_seconds=SETTLE) as watcher:
        [event] = settle_and_poll(watcher)
    assert event.outcome == "rechazado" and "el máximo es 1 MB" in event.message


# -- restart safety --------------------------------------------------------------------------


class Crash(BaseException):
    """A process dying at this instruction: nothing after it runs, no handler catches it."""


def test_a_crash_after_the_drafts_commit_only_moves_the_file_on_restart(
    store: Store, settings: Settings, inbox: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (inbox / "lote.pdf").write_bytes(batch_bytes(*TWO_FILINGS))

    def crash(*args: object, **kwargs: object) -> None:
        raise Crash

    with FolderWatcher(store, settings, inbox, settle_seconds=SETTLE) as first:
        monkeypatch.setattr(watch, "move_into", crash)
        with pytest.raises(Crash):
            settle_and_poll(first)
        monkeypatch.undo()
    assert len(drafts_of(store)) == 2 and listing(inbox) == ["lote.pdf"]  # committed, not moved

    with Store(settings.data_dir) as restarted:
        with FolderWatcher(restarted, settings, inbox, settle_seconds=SETTLE) as second:
            [event] = settle_and_poll(second)
        assert event.outcome == "ya_procesado" and event.drafts == ()
        assert len(drafts_of(restarted)) == 2  # not split a second time
    assert listing(inbox) == ["procesados/lote.pdf"]


def test_a_crash_before_the_drafts_commit_leaves_the_file_for_the_restart(
    store: Store, settings: Settings, inbox: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (inbox / "lote.pdf").write_bytes(batch_bytes(*TWO_FILINGS))
    real_insert = DraftService._insert

    def crash_inside(self: DraftService, db, stored, watched):  # type: ignore[no-untyped-def]
        real_insert(self, db, stored, watched)  # every row written, then the power goes
        raise Crash

    with FolderWatcher(store, settings, inbox, settle_seconds=SETTLE) as first:
        monkeypatch.setattr(DraftService, "_insert", crash_inside)
        with pytest.raises(Crash):
            settle_and_poll(first)
        monkeypatch.undo()
    assert drafts_of(store) == [] and listing(inbox) == ["lote.pdf"]  # rolled back, in place
    assert store.reader().execute("SELECT count(*) FROM watched_files").fetchone()[0] == 0

    with Store(settings.data_dir) as restarted:
        with FolderWatcher(restarted, settings, inbox, settle_seconds=SETTLE) as second:
            [event] = settle_and_poll(second)
        assert event.outcome == "procesado" and len(event.drafts) == 2
        assert len(drafts_of(restarted)) == 2
    assert listing(inbox) == ["procesados/lote.pdf"]


def test_an_unexpected_failure_leaves_the_file_and_waits_before_retrying(
    watcher: FolderWatcher, inbox: Path, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    (inbox / "lote.pdf").write_bytes(batch_bytes(("texto", 1)))

    def disk_full(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(watch, "split_batch", disk_full)
    [event] = settle_and_poll(watcher)
    assert event.outcome == "error" and "se reintenta en 30 s" in event.message
    monkeypatch.undo()
    assert watcher.poll() == []  # not retried at once: no spinning on a bad file
    assert listing(inbox) == ["lote.pdf"] and drafts_of(store) == []


def test_a_network_folder_that_goes_away_is_said_once_and_waited_for(
    store: Store, settings: Settings, inbox: Path, tmp_path: Path
) -> None:
    seen: list[WatchEvent] = []
    taken = threading.Event()

    def record(event: WatchEvent) -> None:
        seen.append(event)
        if event.outcome == "procesado":
            taken.set()

    watcher = FolderWatcher(store, settings, inbox, settle_seconds=0.1, on_event=record)
    with watching(watcher, interval=0.05):
        time.sleep(0.1)
        inbox.rename(tmp_path / "desconectada")  # the SMB share dropped
        time.sleep(0.5)  # some ten looks at a folder that is not there
        (tmp_path / "desconectada").rename(inbox)
        (inbox / "lote.pdf").write_bytes(batch_bytes(("texto", 1)))
        assert taken.wait(timeout=20)
    problems = [e for e in seen if e.outcome == "error"]
    assert (
        len(problems) == 1 and "Revise que la unidad de red esté conectada" in problems[0].message
    )
    assert [e.outcome for e in seen] == ["error", "procesado"]


def test_one_folder_is_watched_from_one_place(
    watcher: FolderWatcher, store: Store, settings: Settings, inbox: Path
) -> None:
    second = FolderWatcher(store, settings, inbox)
    with pytest.raises(FolderBusy, match="Otro proceso ya vigila la carpeta"), second:
        pass


# -- the command -----------------------------------------------------------------------------


def test_oficialia_watch_stops_cleanly_on_sigterm(tmp_path: Path, inbox: Path) -> None:
    (inbox / "lote.pdf").write_bytes(batch_bytes(*TWO_FILINGS))
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OFICIALIA_WATCH_INTERVAL_SECONDS": "1"}
    child = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mailroom.cli",
            "watch",
            str(inbox),
            "--data-dir",
            str(tmp_path / "d"),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 30
    while not (inbox / "procesados" / "lote.pdf").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    child.send_signal(signal.SIGTERM)
    out, err = child.communicate(timeout=15)
    assert child.returncode == 0, err
    assert "lote.pdf: procesado → procesados/lote.pdf: 2 borradores (1, 2)" in out
    assert out.rstrip().endswith("Vigilancia terminada.")


@pytest.mark.slow
def test_sigkill_at_random_moments_neither_loses_nor_duplicates_a_file(
    tmp_path: Path, inbox: Path
) -> None:
    """The real thing: ``oficialia watch`` killed (SIGKILL) at random moments while it splits
    files (two new ones arrive before each start), then restarted; at the end every file is in
    procesados/ once, with its drafts once."""
    import hashlib
    import random

    from mailroom.store.check import check_store

    data_dir = tmp_path / "datos"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OFICIALIA_WATCH_INTERVAL_SECONDS": "1"}
    command = [
        sys.executable,
        "-m",
        "mailroom.cli",
        "watch",
        str(inbox),
        "--data-dir",
        str(data_dir),
    ]
    rng = random.Random(20261121)
    files: dict[str, bytes] = {}
    taken_before_kill = []
    for trial in range(5):
        for n in (2 * trial, 2 * trial + 1):
            files[f"lote{n}.pdf"] = batch_bytes(("texto", n), "separador", ("texto", n + 20))
            (inbox / f"lote{n}.pdf").write_bytes(files[f"lote{n}.pdf"])
        child = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        lines: list[str] = []
        reader = threading.Thread(target=lines.extend, args=(child.stdout or (),), daemon=True)
        reader.start()
        if trial % 2:
            # Killed at an arbitrary instruction after its first file: between files, or in the
            # middle of the second (waiting for progress, not the clock, keeps a busy CI honest).
            deadline = time.monotonic() + 90
            while not any(": procesado" in line for line in lines):
                assert time.monotonic() < deadline and child.poll() is None, lines
                time.sleep(0.05)
            time.sleep(rng.uniform(0.0, 1.0))
        else:
            time.sleep(rng.uniform(0.3, 2.5))  # early: before any file, or during the first
        child.send_signal(signal.SIGKILL)
        child.wait()
        reader.join(timeout=10)
        taken_before_kill.append(sum(": procesado" in line for line in lines))
    finished = subprocess.run(
        [*command, "--una-vez"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert finished.returncode == 0, finished.stdout + finished.stderr
    # The kills landed at different stages (before any file, between files), or proved nothing.
    assert len(set(taken_before_kill)) > 1, taken_before_kill

    processed = sorted((inbox / "procesados").iterdir())
    digests = sorted(hashlib.sha256(p.read_bytes()).hexdigest() for p in processed)
    assert digests == sorted(hashlib.sha256(d).hexdigest() for d in files.values())
    assert [p.name for p in inbox.iterdir() if not p.name.startswith(".")] == ["procesados"]
    with Store(data_dir) as store:
        db = store.reader()
        assert db.execute("SELECT count(*) FROM watched_files").fetchone()[0] == len(files)
        per_file = db.execute(
            "SELECT watched_sha256, count(*) FROM drafts GROUP BY watched_sha256"
        ).fetchall()
        assert sorted(n for _, n in per_file) == [2] * len(files)
        assert check_store(store).ok
    print("procesados antes de cada SIGKILL:", taken_before_kill)
