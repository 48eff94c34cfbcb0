"""The six-digit PIN that opens the kiosk's admin screen. Qt-free.

The PIN is kept only as an argon2id hash in ``DATA/kiosk/admin-pin.json``. The kiosk stands in
a public hall, so guessing is bounded: ``MAX_FAILURES`` wrong PINs in a row lock the admin screen
for ``LOCK_MINUTES``, and while it is locked not even the right PIN opens it (otherwise the lock
would only slow a guesser down, never stop one). The count and the lock live in a second file,
``admin-pin-failures.json``, so a restart of the kiosk (which anyone can cause by pulling the
plug) does not give a guesser five more tries; a file lock keeps two processes from losing a
count between them.

Damaged files fail safe: a failures record that cannot be read keeps the screen locked until
staff set the PIN again from a terminal (``oficialia kiosk pin``); a hash that cannot be read
counts as no PIN at all, which also keeps the screen shut.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import math
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from mailroom.errors import OficialiaError, StorageError
from mailroom.filelock import lock
from mailroom.fsutil import write_bytes_atomically
from mailroom.password_hash import hash_secret, secret_matches, well_formed_hash

__all__ = [
    "LOCK_MINUTES",
    "MAX_FAILURES",
    "PIN_LENGTH",
    "AdminPin",
    "PinCheck",
    "PinError",
    "PinLocked",
]

PIN_LENGTH = 6
MAX_FAILURES = 5
LOCK_MINUTES = 15
PIN_FOLDER = Path("kiosk")
HASH_FILE = "admin-pin.json"
FAILURES_FILE = "admin-pin-failures.json"
LOCK_FILE = "admin-pin.lock"
FORMAT_VERSION = 1
MAX_FILE_BYTES = 4096
# A hash names its own cost: one planted with a huge cost counts as damaged
# (mailroom.password_hash.well_formed_hash), so a PIN check cannot be made to exhaust the kiosk.

SET_PIN_HINT = "Configúrelo de nuevo desde una terminal con «oficialia kiosk pin»."
NO_PIN = "Este quiosco no tiene PIN de administración. " + SET_PIN_HINT
DAMAGED_FAILURES = (
    "El registro de intentos del PIN está dañado y, por seguridad, el acceso de administración "
    "queda bloqueado. " + SET_PIN_HINT
)


class PinError(OficialiaError):
    """A PIN that cannot be set (wrong length, not digits, too easy to guess)."""

    code = "pin_administracion"
    exit_code = 65


class PinLocked(PinError):
    """Too many wrong PINs in a row; carries when the admin screen opens again."""

    code = "pin_bloqueado"

    def __init__(self, until: datetime) -> None:
        super().__init__(
            "Demasiados intentos. El acceso de administración queda bloqueado hasta las "
            f"{until:%H:%M}.",
            until=until.isoformat(),
        )
        self.until = until


@dataclass(frozen=True)
class PinCheck:
    ok: bool
    attempts_left: int
    locked_until: datetime | None
    message: str  # Spanish, for the admin screen; empty when ok


@dataclass(frozen=True)
class _Failures:
    count: int
    locked_until: float | None  # a POSIX timestamp: absolute, whatever zone the clock reports
    damaged: bool = False


_DAMAGED = object()  # what _read_json returns for a file that is there but unusable


def _local_now() -> datetime:
    return datetime.now().astimezone()


class AdminPin:
    def __init__(self, data_dir: Path, *, clock: Callable[[], datetime] | None = None) -> None:
        self.folder = Path(data_dir) / PIN_FOLDER
        self._clock = clock or _local_now

    @property
    def hash_path(self) -> Path:
        return self.folder / HASH_FILE

    @property
    def failures_path(self) -> Path:
        return self.folder / FAILURES_FILE

    def is_set(self) -> bool:
        return self._stored_hash() is not None

    def set(self, pin: str) -> None:
        """Store ``pin`` (staff, from a terminal) and forget earlier failures and any lock."""
        _refuse_weak(pin)
        record = {"version": FORMAT_VERSION, "hash": hash_secret(pin)}
        with self._turn():
            self._write(self.hash_path, record)
            self._write_failures(_Failures(0, None))

    def check(self, pin: str) -> PinCheck:
        with self._turn():
            now = self._clock()
            failures = self._read_failures()
            if failures.damaged:
                return PinCheck(False, 0, None, DAMAGED_FAILURES)
            until = self._active_lock(failures, now)
            if until is not None:
                if failures.locked_until != until.timestamp():  # shortened: remember that
                    self._write_failures(_Failures(MAX_FAILURES, until.timestamp()))
                return PinCheck(False, 0, until, PinLocked(until).message)
            stored = self._stored_hash()
            if stored is None:
                return PinCheck(False, 0, None, NO_PIN)
            if self._matches(stored, pin):
                self._write_failures(_Failures(0, None))
                return PinCheck(True, MAX_FAILURES, None, "")
            return self._count_failure(failures, now)

    def locked_until(self) -> datetime | None:
        """When the lock ends, or None when there is none. A damaged failures record also keeps
        the screen locked (``check`` says so) but has no end to show."""
        failures = self._read_failures()
        return None if failures.damaged else self._active_lock(failures, self._clock())

    # -- the rules ------------------------------------------------------------------------------

    def _count_failure(self, failures: _Failures, now: datetime) -> PinCheck:
        # A lock that has run out leaves a count of MAX_FAILURES behind: start again from zero.
        count = 0 if failures.locked_until is not None else failures.count
        count += 1
        if count >= MAX_FAILURES:
            until = _lock_from(now)
            self._write_failures(_Failures(MAX_FAILURES, until.timestamp()))
            return PinCheck(False, 0, until, PinLocked(until).message)
        self._write_failures(_Failures(count, None))
        left = MAX_FAILURES - count
        remaining = "Le queda 1 intento" if left == 1 else f"Le quedan {left} intentos"
        return PinCheck(False, left, None, f"PIN incorrecto. {remaining}.")

    @staticmethod
    def _active_lock(failures: _Failures, now: datetime) -> datetime | None:
        if failures.locked_until is None:
            return None
        if failures.locked_until <= now.timestamp():
            return None
        # A clock set back (a kiosk without a clock battery, corrected at boot) must not stretch
        # the lock: it never ends later than a fresh one would.
        latest = _lock_from(now)
        if failures.locked_until > latest.timestamp():
            return latest
        return datetime.fromtimestamp(failures.locked_until, tz=now.tzinfo)

    def _matches(self, stored: str, pin: str) -> bool:
        if not _well_formed(pin):  # a wrong guess all the same; no need to hash it
            return False
        return secret_matches(stored, pin)

    # -- the files ------------------------------------------------------------------------------

    def _stored_hash(self) -> str | None:
        record = _read_json(self.hash_path)
        if not isinstance(record, dict):
            return None
        stored = record.get("hash")
        return stored if isinstance(stored, str) and well_formed_hash(stored) else None

    def _read_failures(self) -> _Failures:
        record = _read_json(self.failures_path)
        if record is None:
            return _Failures(0, None)
        if not isinstance(record, dict):
            return _Failures(0, None, damaged=True)
        count, until = record.get("failures"), record.get("locked_until")
        # bool is an int to Python; a hostile true/false is damage all the same.
        if isinstance(count, bool) or not isinstance(count, int) or not 0 <= count <= MAX_FAILURES:
            return _Failures(0, None, damaged=True)
        if until is None:
            return _Failures(count, None)
        if isinstance(until, bool) or not isinstance(until, (int, float)):
            return _Failures(0, None, damaged=True)
        if not (math.isfinite(until) and 0 < until < 1e11):  # 1e11: the year 5138
            return _Failures(0, None, damaged=True)
        return _Failures(count, float(until))

    def _write_failures(self, failures: _Failures) -> None:
        record = {
            "version": FORMAT_VERSION,
            "failures": failures.count,
            "locked_until": failures.locked_until,
        }
        self._write(self.failures_path, record)

    def _write(self, path: Path, record: Mapping[str, object]) -> None:
        data = (json.dumps(record, indent=2) + "\n").encode("utf-8")
        write_bytes_atomically(path, data, failed=_unwritable)

    @contextlib.contextmanager
    def _turn(self) -> Iterator[None]:
        """One reader-and-writer of the failures at a time, across threads and processes."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            handle = (self.folder / LOCK_FILE).open("a+b")
        except OSError as error:
            raise _unwritable(self.folder, error) from error
        with handle:
            lock(handle)
            yield  # closing the file lets the next one in


def _lock_from(now: datetime) -> datetime:
    # Whole seconds, so that the stored timestamp and the datetime made from it compare equal.
    end = math.ceil((now + timedelta(minutes=LOCK_MINUTES)).timestamp())
    return datetime.fromtimestamp(end, tz=now.tzinfo)


def _read_json(path: Path) -> object:
    """The parsed file; None when it does not exist; ``_DAMAGED`` when it cannot be used."""
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        return None
    except OSError:
        return _DAMAGED
    if len(data) > MAX_FILE_BYTES:
        return _DAMAGED
    try:
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return _DAMAGED


def _well_formed(pin: str) -> bool:
    # [0-9], not \d or str.isdigit: those accept Arabic-Indic and other digits the pad lacks.
    return isinstance(pin, str) and re.fullmatch(f"[0-9]{{{PIN_LENGTH}}}", pin) is not None


def _refuse_weak(pin: str) -> None:
    if not _well_formed(pin):
        raise PinError(f"El PIN debe tener exactamente {PIN_LENGTH} dígitos (del 0 al 9).")
    if _trivial(pin):
        raise PinError(
            "Ese PIN es demasiado fácil de adivinar. No use un mismo dígito repetido, una serie "
            "como 123456 o 654321, ni un patrón repetido como 121212."
        )


def _trivial(pin: str) -> bool:
    steps = {(int(b) - int(a)) % 10 for a, b in itertools.pairwise(pin)}
    # {0}: 111111; {1}: 123456 (and 890123); {9}: 654321 (and 321098)
    if len(steps) == 1 and steps <= {0, 1, 9}:
        return True
    return any(pin == pin[:size] * (PIN_LENGTH // size) for size in (2, 3))


def _unwritable(path: Path, error: OSError) -> StorageError:
    return StorageError(
        f"No se pudo guardar el PIN de administración del quiosco en {path} "
        f"({error.strerror or error}). Revise los permisos de la carpeta de datos.",
        path=str(path),
    )
