"""The watched folder: network scanners (scan-to-folder over SMB or FTP) drop batches in a folder;
each complete file becomes drafts, one per group its separator sheets mark, and then moves to
``procesados/`` — or to ``rechazados/`` beside a ``<name>.motivo.txt`` that says why in Spanish.

A scanner writes a file in pieces, with pauses, and gives no signal when it is done. A file is
taken only when its size and modification time stayed the same for ``settle_seconds`` (two looks
that far apart) and, on Linux, no local process holds it open for writing (an FTP or Samba server
on this machine). Hidden and temporary names (``.x``, ``~x``, ``x~``, ``.part``, ``.tmp``) are
never touched.

Restart safety: the file's sha256 is recorded in the same transaction as its drafts, and the file
is moved only after that commit. A crash before the commit leaves the file in place (it is split
again; the orphaned scan PDFs are swept later); a crash after it leaves a file whose sha256 is
known, which the next pass only moves. No file is lost and none becomes drafts twice.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Literal

from mailroom.capture.batch import split_batch
from mailroom.capture.pages import CaptureCancelled
from mailroom.capture.results import megabytes
from mailroom.capture.sources import FileSource
from mailroom.capture.watch_files import (
    REASON_SUFFIX,
    move_into,
    open_for_writing,
    unique_name,
    write_reason,
)
from mailroom.config import Settings
from mailroom.drafts import DraftId, DraftService, FileAlreadyTaken, WatchedFile
from mailroom.errors import ConfigError, OficialiaError
from mailroom.filelock import try_lock
from mailroom.store import Store

PROCESSED = "procesados"
REJECTED = "rechazados"
LOCK_NAME = ".oficialia-vigilancia.lock"
_TEMP_SUFFIXES = (".part", ".tmp", ".crdownload", ".partial", ".filepart", "~")
# A 0-byte file is usually a scanner that opened the file and has not written yet: it is
# refused only after it stayed empty this long.
EMPTY_GRACE_SECONDS = 120.0
# After an unexpected failure (disk full, a bug), the file waits this long before another try,
# doubling up to the cap, so one bad file never makes the watcher spin.
RETRY_FIRST_SECONDS = 30.0
RETRY_MAX_SECONDS = 1800.0
_HASH_CHUNK = 1 << 20

Outcome = Literal["procesado", "ya_procesado", "rechazado", "error"]


@dataclass(frozen=True)
class WatchEvent:
    """What happened to one file, for the log and the clerk."""

    name: str
    outcome: Outcome
    drafts: tuple[DraftId, ...] = ()
    message: str = ""
    moved_to: Path | None = None


@dataclass
class _Seen:
    size: int
    mtime_ns: int
    since: float  # monotonic time this size and mtime were first seen


class FolderBusy(ConfigError):
    code = "carpeta_vigilada_ocupada"


class FolderWatcher:
    """Turns complete files in ``folder`` into drafts; call :meth:`poll` now and then, or
    :meth:`run` until a stop event is set."""

    def __init__(
        self,
        store: Store,
        settings: Settings,
        folder: Path,
        *,
        settle_seconds: float | None = None,
        empty_grace_seconds: float = EMPTY_GRACE_SECONDS,
        on_event: Callable[[WatchEvent], None] | None = None,
        drafts: DraftService | None = None,
    ) -> None:
        self.store = store
        self.settings = settings
        self.folder = Path(folder).expanduser().resolve()
        self.settle_seconds = (
            settings.watch_interval_seconds if settle_seconds is None else settle_seconds
        )
        self.empty_grace_seconds = empty_grace_seconds
        self.on_event = on_event
        self.drafts = drafts or DraftService(store, settings)
        self._seen: dict[str, _Seen] = {}
        self._retry_at: dict[str, tuple[float, float]] = {}  # name -> (when, last delay)
        self._lock: IO[bytes] | None = None

    # -- the loop ---------------------------------------------------------------------------

    def run(self, stop: threading.Event, *, interval: float | None = None) -> None:
        """Poll every ``interval`` seconds (``watch_interval_seconds``) until ``stop`` is set.
        A split in progress is cancelled by ``stop``; its file stays for the next start."""
        interval = self.settings.watch_interval_seconds if interval is None else interval
        unreachable = ""  # said once per outage, not every interval
        with self:
            while not stop.is_set():
                try:
                    self.poll(cancel=stop)
                    unreachable = ""
                except ConfigError as error:  # the network drive went away: wait for it
                    if error.message != unreachable:
                        self._report(WatchEvent(str(self.folder), "error", message=error.message))
                    unreachable = error.message
                stop.wait(interval)

    def run_once(self, *, cancel: threading.Event | None = None) -> list[WatchEvent]:
        """Look, wait until files could have settled, look again and take what is complete;
        files still being written stay for the next run."""
        with self:
            events = self.poll(cancel=cancel)
            deadline = time.monotonic() + self.settle_seconds
            while time.monotonic() < deadline and not (cancel and cancel.is_set()):
                wait = max(0.0, deadline - time.monotonic())
                if cancel is not None:
                    cancel.wait(wait)
                else:
                    time.sleep(wait)
            return events + self.poll(cancel=cancel)

    def pending(self) -> list[str]:
        """Names seen but not yet taken (still being written, or waiting to retry)."""
        return sorted(self._seen)

    def __enter__(self) -> FolderWatcher:
        self._check_folder()
        self._take_lock()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._lock is not None:
            self._lock.close()  # closing the descriptor drops the lock
            self._lock = None

    # -- one pass ---------------------------------------------------------------------------

    def poll(self, *, cancel: threading.Event | None = None) -> list[WatchEvent]:
        """One look at the folder: note what changed, take every file that is complete."""
        now = time.monotonic()
        events = []
        candidates = self._candidates()
        present = {path.name for path in candidates}
        for gone in set(self._seen) - present:
            del self._seen[gone]
        for gone in set(self._retry_at) - present:
            del self._retry_at[gone]
        for path in candidates:
            if cancel is not None and cancel.is_set():
                break
            if not self._is_complete(path, now) or self._waiting_to_retry(path.name, now):
                continue
            event = self._take(path, cancel)
            if event is not None:
                events.append(event)
                self._report(event)
        return events

    def _candidates(self) -> list[Path]:
        try:
            entries = sorted(self.folder.iterdir(), key=lambda p: p.name)
        except OSError as error:
            raise ConfigError(
                f"No se pudo leer la carpeta vigilada {self.folder}: {error.strerror or error}. "
                "Revise que la unidad de red esté conectada.",
                path=self.folder,
            ) from error
        return [p for p in entries if _is_candidate(p)]

    def _is_complete(self, path: Path, now: float) -> bool:
        try:
            status = path.stat()
        except OSError:
            self._seen.pop(path.name, None)
            return False
        seen = self._seen.get(path.name)
        if seen is None or (seen.size, seen.mtime_ns) != (status.st_size, status.st_mtime_ns):
            self._seen[path.name] = _Seen(status.st_size, status.st_mtime_ns, now)
            return False
        wait = self.empty_grace_seconds if status.st_size == 0 else self.settle_seconds
        if now - seen.since < wait:
            return False
        return not open_for_writing(path)

    def _waiting_to_retry(self, name: str, now: float) -> bool:
        retry = self._retry_at.get(name)
        return retry is not None and now < retry[0]

    def _take(self, path: Path, cancel: threading.Event | None) -> WatchEvent | None:
        name = path.name
        try:
            try:
                event = self._process(path, cancel)
            except OficialiaError as error:
                if error.retryable or isinstance(error, CaptureCancelled | _Changed):
                    raise
                event = self._reject(path, error.message)
        except CaptureCancelled:
            return None  # stopping: the file stays, untouched, for the next start
        except _Changed:
            self._seen.pop(name, None)  # written to again: wait until it settles anew
            return None
        except OficialiaError as error:
            return self._postpone(name, error.message)
        except Exception as error:  # noqa: BLE001 - one bad file must not stop the watcher
            return self._postpone(name, f"error inesperado: {error!r}")
        self._seen.pop(name, None)
        self._retry_at.pop(name, None)
        return event

    def _process(self, path: Path, cancel: threading.Event | None) -> WatchEvent:
        before = path.stat()
        self._refuse_too_large(path, before.st_size)
        sha256 = _sha256(path)
        if self._already_taken(sha256):
            return self._only_move(path)
        source = FileSource(path, self.settings)
        # EmptyBatch (only separators or blank sides) and unreadable files are refusals.
        groups = split_batch(source.pages(cancel=cancel), source.name, cancel=cancel)
        _check_unchanged(path, before)
        watched = WatchedFile(sha256, path.name, str(self.folder), before.st_size)
        try:
            created = self.drafts.create_from_batch(
                groups, source=f"folder:{self.folder}", origin=path.name, watched=watched
            )
        except FileAlreadyTaken:  # recorded meanwhile (checked again under the write lock)
            return self._only_move(path)
        # The drafts are committed: from here on a crash leaves a file the next pass only moves.
        moved = move_into(path, self.folder / PROCESSED)
        ids = tuple(d.id for d in created)
        return WatchEvent(path.name, "procesado", ids, _describe(ids), moved)

    def _only_move(self, path: Path) -> WatchEvent:
        """A file whose bytes already became drafts (a crash left it here after the commit)."""
        moved = move_into(path, self.folder / PROCESSED)
        message = "ya se había convertido en borradores"
        return WatchEvent(path.name, "ya_procesado", message=message, moved_to=moved)

    def _already_taken(self, sha256: str) -> bool:
        row = (
            self.store.reader()
            .execute("SELECT 1 FROM watched_files WHERE sha256 = ?", [sha256])
            .fetchone()
        )
        return row is not None

    def _refuse_too_large(self, path: Path, size: int) -> None:
        limit = self.settings.max_file_megabytes * 1024 * 1024
        if size > limit:
            raise _TooLarge(path.name, size, self.settings.max_file_megabytes)

    def _reject(self, path: Path, reason: str) -> WatchEvent:
        folder = self.folder / REJECTED
        target = unique_name(folder, path.name)
        reason_file = target.with_name(target.name + REASON_SUFFIX)
        write_reason(reason_file, path.name, reason, self.settings.zone)
        moved = move_into(path, folder, target=target)
        return WatchEvent(path.name, "rechazado", message=reason, moved_to=moved)

    def _postpone(self, name: str, message: str) -> WatchEvent:
        previous = self._retry_at.get(name, (0.0, RETRY_FIRST_SECONDS / 2))[1]
        delay = min(RETRY_MAX_SECONDS, previous * 2)
        self._retry_at[name] = (time.monotonic() + delay, delay)
        return WatchEvent(name, "error", message=f"{message} (se reintenta en {delay:.0f} s)")

    def _report(self, event: WatchEvent) -> None:
        if self.on_event is not None:
            self.on_event(event)

    def _check_folder(self) -> None:
        if not self.folder.is_dir():
            raise ConfigError(
                f"La carpeta vigilada {self.folder} no existe o no es una carpeta. Revise la ruta "
                "o que la unidad de red esté conectada.",
                path=self.folder,
            )

    def _take_lock(self) -> None:
        if self._lock is not None:
            return
        try:
            handle = (self.folder / LOCK_NAME).open("a+b")
        except OSError as error:
            raise ConfigError(
                f"No se puede escribir en la carpeta vigilada {self.folder} "
                f"({error.strerror or error}); hace falta para mover los archivos a "
                f"{PROCESSED}/ y {REJECTED}/.",
                path=self.folder,
            ) from error
        if not try_lock(handle):
            handle.close()
            raise FolderBusy(
                f"Otro proceso ya vigila la carpeta {self.folder}; cada carpeta se vigila desde "
                "un solo lugar.",
                path=self.folder,
            )
        self._lock = handle


# -- refusals a clerk reads in the .motivo.txt ----------------------------------------------


class _TooLarge(OficialiaError):
    code = "archivo_invalido"

    def __init__(self, name: str, size: int, limit_mb: int) -> None:
        super().__init__(
            f'El archivo "{name}" pesa {megabytes(size)}; el máximo es {limit_mb} MB '
            "(ajuste max_file_megabytes). Digitalícelo en partes o a menor resolución.",
            path=name,
        )


# -- files and folders -----------------------------------------------------------------------


def _is_candidate(path: Path) -> bool:
    name = path.name
    if name.startswith((".", "~")) or name.lower().endswith(_TEMP_SUFFIXES):
        return False
    if name.endswith(REASON_SUFFIX):
        return False
    try:
        return path.is_file()  # procesados/ and rechazados/ (and any folder) are skipped here
    except OSError:
        return False


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _check_unchanged(path: Path, before: os.stat_result) -> None:
    after = path.stat()
    if (after.st_size, after.st_mtime_ns) != (before.st_size, before.st_mtime_ns):
        raise _Changed(path.name)


class _Changed(OficialiaError):
    """Written to again while it was being split: taken again once it settles."""

    def __init__(self, name: str) -> None:
        super().__init__(f'El archivo "{name}" cambió mientras se leía.', path=name)


def _describe(ids: tuple[DraftId, ...]) -> str:
    listed = ", ".join(str(i) for i in ids)
    return f"{len(ids)} borrador{'es' if len(ids) != 1 else ''} ({listed})"
