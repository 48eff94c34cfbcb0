"""Temporary files under the data folder: one private folder per process, swept after a crash.

Everything written for a moment (OCR runs, capture sessions, registrations in progress, print
spools) goes under the data folder's ``tmp/``, never the system temp folder: these files are
citizens' documents, and a counter PC or a kiosk runs for months and is killed now and then.

Layout::

    DATA/tmp/.sweep.lock            creating a process folder and sweeping take turns on it
    DATA/tmp/proc-4711-k3j2h1/      one process's folder (its pid, for people reading the disk)
        .lock                       locked by that process for as long as it lives
        ocr-ab12cd/ …               work folders, each removed when its work ends

Several processes share one data folder (the clerk's app, ``sync --watch``, ``watch``). Each
owns its folder by holding an OS lock on the ``.lock`` inside it; the kernel drops the lock
however the process ends (SIGKILL, power cut). :func:`sweep` removes only folders whose lock it
can take, so a live process's work is never touched; ``mailroom.entry`` runs it at the start of
every command. Creating a folder and sweeping take turns on ``.sweep.lock``: without that a
sweep could find a new folder in the instant between its ``mkdir`` and its lock.

The blob store writes its temp files under ``DATA/blobs/tmp/`` with the same layout, because an
atomic rename needs the temp file on the blob folder's own file system.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from mailroom.errors import StorageError
from mailroom.filelock import lock, try_lock
from mailroom.fsutil import new_folder

TMP = "tmp"
BLOB_TMP = Path("blobs", TMP)  # Settings.blob_dir / "tmp", BlobStore.tmp (a test keeps them equal)
LOCK_NAME = ".lock"
TURN_NAME = ".sweep.lock"
FOLDER_PREFIX = "proc-"
# Anything else under a temp root was left by a version before process folders, or by code that
# bypassed them: it goes once nothing in it changed for this long, in case an old process that is
# still running (an upgrade with the app open) is at work on it.
LOOSE_GRACE_SECONDS = 24 * 3600
# What libraries (Qt's print spool, tempfile's defaults) and child processes read for "temp".
_TEMP_VARIABLES = ("TMPDIR", "TEMP", "TMP")


@dataclass(frozen=True)
class Sweep:
    removed: tuple[Path, ...] = ()
    """Folders of dead processes, and stale loose entries."""
    in_use: int = 0
    """Folders of live processes, left alone."""
    problems: tuple[str, ...] = ()
    """What could not be looked at or removed, in Spanish, for the person at the machine."""

    def __add__(self, other: Sweep) -> Sweep:
        return Sweep(
            self.removed + other.removed,
            self.in_use + other.in_use,
            self.problems + other.problems,
        )


@dataclass
class _Owned:
    folder: Path
    handle: IO[bytes]
    pid: int  # a forked child inherits this entry; the folder is still its parent's


_owned: dict[Path, _Owned] = {}
_owned_guard = threading.Lock()
_exit_hook: list[bool] = []


def tmp_roots(data_dir: Path) -> tuple[Path, Path]:
    """The data folder's temp roots: ``DATA/tmp`` and the blob store's ``DATA/blobs/tmp``."""
    return Path(data_dir) / TMP, Path(data_dir) / BLOB_TMP


def process_folder(data_dir: Path) -> Path:
    """This process's own folder under ``DATA/tmp``, made and locked on first use."""
    return private_folder(Path(data_dir) / TMP)


def work_folder(data_dir: Path, prefix: str) -> Path:
    """A new folder for one piece of work, inside this process's folder under ``DATA/tmp``.

    The caller removes it when the work ends; if the process dies first, the next command's
    sweep does. Raises :class:`StorageError` saying what to check when it cannot be made.
    """
    parent = process_folder(data_dir)
    try:
        return new_folder(parent, prefix)
    except OSError as error:
        raise _unwritable(parent, error) from error


@contextlib.contextmanager
def scratch(data_dir: Path, prefix: str) -> Iterator[Path]:
    """A :func:`work_folder` for the length of the block, removed with all it holds."""
    folder = work_folder(data_dir, prefix)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def private_folder(tmp_root: Path) -> Path:
    """This process's own folder under ``tmp_root``, made and locked on first use (and again
    if someone removed it meanwhile)."""
    key = Path(os.path.abspath(tmp_root))
    with _owned_guard:
        owned = _owned.get(key)
        if owned is not None and owned.pid == os.getpid() and owned.folder.is_dir():
            return owned.folder
        if owned is not None:
            del _owned[key]
            owned.handle.close()  # a forked child's copy: the parent's descriptor keeps the lock
        owned = _claim(key)
        _owned[key] = owned
        if not _exit_hook:
            atexit.register(release_all)
            _exit_hook.append(True)
        return owned.folder


def owned_roots() -> tuple[Path, ...]:
    """The temp roots under which this process holds a folder now."""
    with _owned_guard:
        return tuple(key for key, owned in _owned.items() if owned.pid == os.getpid())


def release(tmp_root: Path) -> None:
    """Remove this process's folder under ``tmp_root`` and let go of its lock. The end of the
    process does it anyway; a process done with a data folder (a test) may do it sooner."""
    with _owned_guard:
        owned = _owned.pop(Path(os.path.abspath(tmp_root)), None)
    if owned is None:
        return
    if owned.pid != os.getpid():  # a forked child's copy: the folder is its parent's
        owned.handle.close()
        return
    with contextlib.suppress(FileNotFoundError):  # already gone with its data folder
        _remove_locked(owned.folder, owned.handle)


def release_all() -> None:
    """Every folder this process holds; at exit, what cannot be removed is the next sweep's."""
    for root in owned_roots():
        with contextlib.suppress(OSError):
            release(root)


def work_left(data_dir: Path) -> list[Path]:
    """What is under the data folder's temp roots besides their bookkeeping: work in progress,
    or left by a process that died (what a sweep would look at)."""
    return [path for root in tmp_roots(data_dir) for path in work_in(root)]


def work_in(tmp_root: Path) -> list[Path]:
    """:func:`work_left` for one temp root."""
    root = Path(tmp_root)
    if not root.is_dir():
        return []
    found: list[Path] = []
    for entry in sorted(root.iterdir()):
        if entry.name == TURN_NAME:
            continue
        if entry.name.startswith(FOLDER_PREFIX) and entry.is_dir() and not entry.is_symlink():
            found += sorted(child for child in entry.iterdir() if child.name != LOCK_NAME)
        else:
            found.append(entry)
    return found


def sweep(data_dir: Path, *, loose_older_than: float = LOOSE_GRACE_SECONDS) -> Sweep:
    """Remove what dead processes left under the data folder's temp roots; never a live
    process's folder. Cheap when there is nothing to remove: it runs before every command."""
    work_root, blobs_root = tmp_roots(data_dir)
    return sweep_root(work_root, loose_older_than=loose_older_than) + sweep_root(
        blobs_root, loose_older_than=loose_older_than
    )


def sweep_root(root: Path, *, loose_older_than: float = LOOSE_GRACE_SECONDS) -> Sweep:
    """:func:`sweep` for one temp root."""
    root = Path(root)
    if not root.is_dir():
        return Sweep()
    with _owned_guard:  # taken before the turn, never inside it: private_folder nests them so
        mine = {owned.folder for owned in _owned.values()}
    try:
        with _turn(root):
            dead, in_use, loose = _take_dead_folders(root, mine)
    except OSError as error:
        return Sweep(problems=(_cannot_sweep(root, error),))
    removed: list[Path] = []
    problems: list[str] = []
    for folder, handle in dead:
        _try_remove(folder, functools.partial(_remove_locked, folder, handle), removed, problems)
    cutoff = time.time() - loose_older_than
    for entry in loose:
        with contextlib.suppress(FileNotFoundError):
            if _newest_change(entry) < cutoff:
                _try_remove(entry, functools.partial(_remove, entry), removed, problems)
    return Sweep(tuple(removed), in_use, tuple(problems))


@contextlib.contextmanager
def as_system_temp(data_dir: Path) -> Iterator[Path]:
    """For the length of the block, this process's folder is the temp folder of libraries and
    child processes as well: Qt hands print jobs to CUPS through a spool file that libcups makes
    in ``TMPDIR`` (``cupsTempFd``), Qt's own temp files go to ``QDir::tempPath()`` (``TMPDIR``;
    ``TEMP`` and ``TMP`` on Windows), tempfile's defaults land there, and a child started
    meanwhile inherits it. What they leave goes with the folder."""
    folder = process_folder(data_dir)
    saved = {name: os.environ.get(name) for name in _TEMP_VARIABLES}
    saved_default = tempfile.tempdir
    os.environ.update(dict.fromkeys(_TEMP_VARIABLES, str(folder)))
    tempfile.tempdir = str(folder)
    try:
        yield folder
    finally:
        tempfile.tempdir = saved_default
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


# -- inside -----------------------------------------------------------------------------------


@contextlib.contextmanager
def _turn(root: Path) -> Iterator[None]:
    with (root / TURN_NAME).open("a+b") as handle:
        lock(handle)
        yield  # closing the file lets the next one in


def _claim(root: Path) -> _Owned:
    try:
        root.mkdir(parents=True, exist_ok=True)
        with _turn(root):
            folder = new_folder(root, f"{FOLDER_PREFIX}{os.getpid()}-")
            handle = (folder / LOCK_NAME).open("a+b")
            if not try_lock(handle):  # a file nobody else knows yet: the OS refuses locks here
                handle.close()
                shutil.rmtree(folder, ignore_errors=True)
                raise OSError(0, "el sistema no permite bloquear archivos en esta carpeta")
    except OSError as error:
        raise _unwritable(root, error) from error
    return _Owned(folder, handle, os.getpid())


def _take_dead_folders(
    root: Path, mine: set[Path]
) -> tuple[list[tuple[Path, IO[bytes]]], int, list[Path]]:
    """Under the turn: the process folders whose lock this sweep now holds (their owners are
    dead), how many are in use, and the loose entries. ``mine``, this process's own folders, are
    in use (the lock alone would say so on Linux, where two opens of one file exclude each
    other even within a process)."""
    dead: list[tuple[Path, IO[bytes]]] = []
    in_use = 0
    loose: list[Path] = []
    for entry in os.scandir(root):
        path = Path(entry.path)
        if entry.name == TURN_NAME:
            continue
        if not (entry.name.startswith(FOLDER_PREFIX) and entry.is_dir(follow_symlinks=False)):
            loose.append(path)
        elif path in mine:
            in_use += 1
        else:
            try:  # a folder whose owner died before making its .lock gets one here
                handle = (path / LOCK_NAME).open("a+b")
            except FileNotFoundError:  # another sweep removed it a moment ago
                continue
            if try_lock(handle):
                dead.append((path, handle))
            else:
                handle.close()
                in_use += 1
    return dead, in_use, loose


def _remove_locked(folder: Path, handle: IO[bytes]) -> None:
    """Remove a process folder whose lock ``handle`` holds. Its contents go under the lock
    alone (that may take a while); the lock file goes last, closed first because Windows cannot
    delete an open file, and in the turn: another sweep could otherwise open (and so make
    again) the lock file between its removal and the folder's."""
    try:
        for child in folder.iterdir():
            if child.name != LOCK_NAME:
                _remove(child)
        with _turn(folder.parent):
            handle.close()
            (folder / LOCK_NAME).unlink(missing_ok=True)
            folder.rmdir()
    finally:
        handle.close()


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink()


def _try_remove(
    path: Path, remove: Callable[[], None], removed: list[Path], problems: list[str]
) -> None:
    try:
        remove()
    except FileNotFoundError:  # another sweep got there first
        return
    except OSError as error:
        problems.append(
            f"No se pudo borrar el archivo temporal {path}: {error.strerror or error}. "
            "Revise los permisos de la carpeta de datos."
        )
        return
    removed.append(path)


def _newest_change(path: Path) -> float:
    newest = path.lstat().st_mtime
    if path.is_dir() and not path.is_symlink():
        for folder, folders, files in os.walk(path):
            for name in (*folders, *files):
                with contextlib.suppress(FileNotFoundError):
                    newest = max(newest, os.lstat(os.path.join(folder, name)).st_mtime)
    return newest


def _unwritable(folder: Path, error: OSError) -> StorageError:
    return StorageError(
        f"No se pudo escribir en la carpeta de trabajo {folder}: {error.strerror or error}. "
        "Revise el espacio libre en disco y los permisos de la carpeta de datos.",
        path=folder,
    )


def _cannot_sweep(root: Path, error: OSError) -> str:
    return (
        f"No se pudo revisar la carpeta temporal {root}: {error.strerror or error}. Los archivos "
        "que dejó un cierre inesperado siguen ahí; revise los permisos de la carpeta de datos."
    )
