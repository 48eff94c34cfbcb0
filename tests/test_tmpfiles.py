"""Temporary files live in the data folder's ``tmp/``, go when their work ends, and whatever a
killed process left there goes at the next command — never a live process's work.

The process tests run real processes (the ``oficialia`` command, real tesseract) and kill them
with SIGKILL, the way a counter PC's power cut or a kiosk's watchdog does."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

from mailroom import tmpfiles
from mailroom.cli.app import demo_data_dir
from mailroom.config import Settings, default_data_dir, load_settings
from mailroom.entry import _data_dir, _data_dir_option
from mailroom.errors import StorageError
from mailroom.filelock import try_lock
from mailroom.filings import ocr_progress
from mailroom.intake import IntakeService
from mailroom.models import NewFiling, Sender
from mailroom.ocr import engine
from mailroom.ocr.engine import ocr_page
from mailroom.ocr.worker import OcrWorker
from mailroom.samples import render_page_image
from mailroom.store import Store

ROOT = Path(__file__).resolve().parents[1]
OFICIALIA = Path(sys.executable).with_name("oficialia")
DAY = 24 * 3600
LETTER = [
    "H. Ayuntamiento de San Pedro Tlaquepaque",
    "Solicitud de licencia de construcción para el predio ubicado en la calle Hidalgo 45,",
    "colonia Centro, conforme al artículo 12 del reglamento municipal de construcción.",
] * 6
# A process that keeps a capture's page in its work folder until its standard input closes.
HOLDER = """
import sys
from pathlib import Path
from mailroom import tmpfiles
folder = tmpfiles.work_folder(Path(sys.argv[1]), "captura-")
(folder / "pagina-0001.jpg").write_bytes(b"la credencial de un ciudadano")
print(folder, flush=True)
sys.stdin.read()
"""

# Round after round, a new process folder, a page in it, then a sweep of the whole data folder;
# prints how many rounds failed to make their page or lost it. Several at once on one folder:
# without the turn on .sweep.lock, 40 of 1,800 rounds failed (measured: six processes of 300).
CHURN = """
import sys
from pathlib import Path
from mailroom import tmpfiles
data, failed = Path(sys.argv[1]), 0
for _ in range(int(sys.argv[2])):
    try:
        page = tmpfiles.work_folder(data, "captura-") / "pagina.jpg"
        page.write_bytes(b"una hoja")
        tmpfiles.sweep(data, loose_older_than=0)
        failed += not page.exists()
    except Exception:
        failed += 1
    tmpfiles.release(data / "tmp")
print(failed)
"""


def oficialia(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [OFICIALIA, "--data-dir", str(data_dir), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def holder(data_dir: Path) -> tuple[subprocess.Popen[str], Path]:
    child = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(data_dir)],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    return child, Path(child.stdout.readline().strip())


def aged(path: Path, seconds_ago: float) -> Path:
    moment = time.time() - seconds_ago
    for inside in [path, *path.rglob("*")]:
        os.utime(inside, (moment, moment))
    return path


# ---- in one process ----------------------------------------------------------------------------


def test_work_folders_live_in_this_process_folder_under_the_data_folder(data_dir: Path) -> None:
    folder = tmpfiles.work_folder(data_dir, "ocr-")
    mine = tmpfiles.process_folder(data_dir)
    assert folder.parent == mine and mine.parent == data_dir / "tmp"
    assert mine.name.startswith(f"proc-{os.getpid()}-") and (mine / ".lock").is_file()
    with tmpfiles.scratch(data_dir, "intake-") as other:
        (other / "oficio.pdf").write_bytes(b"%PDF-1.7")
        assert other.parent == mine
        assert tmpfiles.work_left(data_dir) == sorted([folder, other])
    assert not other.exists()
    shutil.rmtree(folder)
    assert tmpfiles.work_left(data_dir) == []


def test_release_removes_the_folder_and_the_next_use_makes_another(data_dir: Path) -> None:
    first = tmpfiles.process_folder(data_dir)
    tmpfiles.work_folder(data_dir, "lote-")
    tmpfiles.release(data_dir / "tmp")
    assert not first.exists()
    second = tmpfiles.process_folder(data_dir)
    assert second != first and second.is_dir()


def test_a_folder_removed_by_someone_else_is_made_again(data_dir: Path) -> None:
    first = tmpfiles.process_folder(data_dir)
    shutil.rmtree(data_dir / "tmp")
    assert tmpfiles.work_folder(data_dir, "ocr-").parent.is_dir()
    assert tmpfiles.process_folder(data_dir) != first


def test_a_tmp_that_cannot_be_written_is_a_storage_error_in_spanish(data_dir: Path) -> None:
    data_dir.mkdir()
    (data_dir / "tmp").write_text("un archivo donde debía ir la carpeta", encoding="utf-8")
    with pytest.raises(StorageError) as caught:
        tmpfiles.work_folder(data_dir, "ocr-")
    assert "No se pudo escribir en la carpeta de trabajo" in caught.value.message
    assert "permisos" in caught.value.message


def test_the_sweep_takes_dead_folders_and_stale_leftovers_and_nothing_else(
    data_dir: Path,
) -> None:
    dead = data_dir / "tmp" / "proc-4711-abcd"
    (dead / "ocr-x").mkdir(parents=True)
    (dead / "ocr-x" / "pagina.pdf").write_bytes(b"%PDF")
    (dead / ".lock").touch()
    half_made = data_dir / "tmp" / "proc-4712-efgh"  # its owner died before making its lock
    half_made.mkdir()
    live = tmpfiles.work_folder(data_dir, "captura-")
    stale = aged(_folder_with_a_page(data_dir / "tmp" / "intake-viejo"), 2 * DAY)
    recent = _folder_with_a_page(data_dir / "tmp" / "lote-reciente")
    stale_blob = aged(_folder_with_a_page(data_dir / "blobs" / "tmp"), 2 * DAY) / "pagina.jpg"

    swept = tmpfiles.sweep(data_dir)

    assert sorted(swept.removed) == sorted([dead, half_made, stale, stale_blob])
    assert swept.in_use == 1 and swept.problems == ()
    assert (live.parent / ".lock").exists() and live.is_dir()
    assert (recent / "pagina.jpg").exists()  # perhaps an older version's work in progress
    assert (data_dir / "tmp" / ".sweep.lock").exists()


def test_a_sweep_of_a_data_folder_without_tmp_makes_nothing(tmp_path: Path) -> None:
    assert tmpfiles.sweep(tmp_path / "nada") == tmpfiles.Sweep()
    assert not (tmp_path / "nada").exists()


def test_a_new_folder_waits_while_a_sweep_is_looking(tmp_path: Path) -> None:
    # Without the turn, a sweep could find the folder between its mkdir and its lock.
    root = tmp_path / "tmp"
    root.mkdir()
    made: list[Path] = []
    with (root / ".sweep.lock").open("a+b") as turn:
        assert try_lock(turn)
        thread = threading.Thread(target=lambda: made.append(tmpfiles.private_folder(root)))
        thread.start()
        thread.join(timeout=0.5)
        assert thread.is_alive() and made == []
    thread.join(timeout=30)
    assert made and (made[0] / ".lock").is_file()
    tmpfiles.release(root)


def test_libraries_and_children_use_the_process_folder_as_their_temp_folder(
    data_dir: Path,
) -> None:
    before = (tempfile.gettempdir(), os.environ.get("TMPDIR"))
    with tmpfiles.as_system_temp(data_dir) as folder:
        assert tempfile.gettempdir() == str(folder) == os.environ["TMPDIR"]
        child = subprocess.run(
            [sys.executable, "-c", "import tempfile; print(tempfile.gettempdir())"],
            capture_output=True,
            text=True,
            check=True,
        )
        assert child.stdout.strip() == str(folder)
    assert (tempfile.gettempdir(), os.environ.get("TMPDIR")) == before


def test_the_blob_store_writes_its_temp_files_beside_the_blobs(
    store: Store, settings: Settings
) -> None:
    assert store.blobs.tmp == tmpfiles.tmp_roots(settings.data_dir)[1] == settings.blob_dir / "tmp"
    store.blobs.put_bytes(b"acuse de recibo")
    assert tmpfiles.private_folder(store.blobs.tmp).parent == store.blobs.tmp
    assert tmpfiles.work_in(store.blobs.tmp) == []


# ---- OCR -----------------------------------------------------------------------------------------


def test_ocr_writes_in_the_folder_it_is_given_and_leaves_nothing_there(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = tmp_path / "oficio.jpg"
    render_page_image(LETTER[:3], dpi=150).save(page, "JPEG", dpi=(150, 150))
    work = tmp_path / "trabajo"
    work.mkdir()
    outputs: list[Path] = []
    real_run = engine._run_tesseract

    def spied(image: Path, output_base: Path, **options: object) -> None:
        outputs.append(output_base)
        real_run(image, output_base, **options)  # type: ignore[arg-type]

    monkeypatch.setattr(engine, "_run_tesseract", spied)
    result = ocr_page(page, dpi=150, work_dir=work)
    assert "Hidalgo" in result.text
    assert outputs[0].parent.parent == work
    assert list(work.iterdir()) == []


def test_ocr_without_its_work_folder_says_so_and_uses_no_other(tmp_path: Path) -> None:
    page = tmp_path / "oficio.jpg"
    render_page_image(LETTER[:1], dpi=150).save(page, "JPEG", dpi=(150, 150))
    with pytest.raises(StorageError, match="carpeta de trabajo del OCR"):
        ocr_page(page, dpi=150, work_dir=tmp_path / "no-existe")


def test_ocr_that_cannot_write_its_work_stops_and_keeps_the_page_queued(
    store: Store, settings: Settings, tmp_path: Path
) -> None:
    page = tmp_path / "oficio.jpg"
    render_page_image(LETTER[:3], dpi=150).save(page, "JPEG", dpi=(150, 150))
    IntakeService(store, settings).register(NewFiling(Sender("Ana Ruiz"), "Poda"), [page])
    tmpfiles.release(settings.data_dir / "tmp")
    shutil.rmtree(settings.data_dir / "tmp")
    (settings.data_dir / "tmp").write_text("un archivo donde debía ir la carpeta", encoding="utf-8")
    with pytest.raises(StorageError, match="No se pudo escribir en la carpeta de trabajo"):
        OcrWorker(store, settings).run_until_idle()
    progress = ocr_progress(store.reader())  # not the page's fault: not counted against it
    assert (progress.pages_pending, progress.pages_failed) == (1, 0)


# ---- real processes --------------------------------------------------------------------------


def test_a_live_process_keeps_its_work_through_another_commands_sweep(tmp_path: Path) -> None:
    data_dir = tmp_path / "datos"
    child, folder = holder(data_dir)
    try:
        assert oficialia(data_dir, "list").returncode == 0
        assert (folder / "pagina-0001.jpg").exists()
    finally:
        child.kill()
        child.wait()
    assert (folder / "pagina-0001.jpg").exists()  # a killed process removes nothing itself
    done = oficialia(data_dir, "list")
    assert done.returncode == 0 and done.stderr == ""
    assert not folder.parent.exists() and tmpfiles.work_left(data_dir) == []


def test_processes_making_folders_and_sweeping_at_once_never_lose_live_work(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "datos"
    children = [
        subprocess.Popen(
            [sys.executable, "-c", CHURN, str(data_dir), "200"],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    failed = [int(child.communicate(timeout=120)[0]) for child in children]
    assert failed == [0, 0, 0, 0]
    assert tmpfiles.work_left(data_dir) == []


def test_a_process_that_ends_normally_removes_its_folder(tmp_path: Path) -> None:
    data_dir = tmp_path / "datos"
    child, folder = holder(data_dir)
    child.communicate("", timeout=30)
    assert child.returncode == 0
    assert not folder.parent.exists()


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL y grupos de procesos POSIX")
def test_sigkill_during_ocr_leaves_a_work_folder_that_the_next_command_removes(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "datos"
    settings = load_settings(data_dir, ocr_workers=1)
    pages = []
    for number in range(4):
        page = tmp_path / f"hoja-{number}.jpg"
        render_page_image([f"Hoja {number}", *LETTER], dpi=300).save(page, "JPEG", dpi=(300, 300))
        pages.append(page)
    with Store(data_dir) as store:
        IntakeService(store, settings).register(NewFiling(Sender("Ana Ruiz"), "Licencia"), pages)
    # Its own session: the kill takes tesseract too, as a service manager's would.
    child = subprocess.Popen(
        [OFICIALIA, "--data-dir", str(data_dir), "ocr", "run"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        running = _first_ocr_folder(data_dir, child)
    finally:
        os.killpg(child.pid, signal.SIGKILL)
        child.wait()
    assert running.is_dir(), "el OCR terminó la página antes de la señal; repita la prueba"
    assert running.parent.name.startswith(f"proc-{child.pid}-")
    done = oficialia(data_dir, "list")
    assert done.returncode == 0 and done.stderr == ""
    assert not running.parent.exists()
    assert tmpfiles.work_left(data_dir) == []


def test_help_makes_no_data_folder(tmp_path: Path) -> None:
    done = oficialia(tmp_path / "nueva", "--help")
    assert done.returncode == 0 and "oficialia" in done.stdout
    assert not (tmp_path / "nueva").exists()


def test_the_data_folder_is_read_from_the_command_line_as_the_command_line_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _data_dir_option(["list"]) is None
    assert _data_dir_option(["--data-dir", "/a", "list"]) == "/a"
    assert _data_dir_option(["--data-dir=/a", "list", "--data-dir", "/b"]) == "/b"
    assert _data_dir_option(["search", "--", "--data-dir", "/c"]) is None
    assert _data_dir(["list"]) == default_data_dir()
    assert _data_dir(["mailroom", "--demo"]) == demo_data_dir()
    assert _data_dir(["mailroom", "--demo", "--data-dir", str(tmp_path)]) == tmp_path
    monkeypatch.setenv("OFICIALIA_HOME", str(tmp_path / "casa"))
    assert _data_dir(["list"]) == _data_dir(["mailroom", "--demo"]) == tmp_path / "casa"


def _folder_with_a_page(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "pagina.jpg").write_bytes(b"una hoja escaneada")
    return folder


def _first_ocr_folder(data_dir: Path, child: subprocess.Popen[bytes]) -> Path:
    """The OCR run's folder, as soon as tesseract is at work in it."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        found = sorted((data_dir / "tmp").glob("proc-*/ocr-*"))
        if found:
            return found[0]
        assert child.poll() is None, child.stderr.read() if child.stderr else ""
        time.sleep(0.005)  # a file system, not a signal: nothing to wait on
    raise AssertionError("el OCR no empezó en dos minutos")
