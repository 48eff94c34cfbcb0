"""The office's privacy notice: shown at the kiosk before any data is taken, printed at the
counter, and named by every filing. Qt-free.

The office's own texts (``DATA/aviso-de-privacidad/``) win over the defaults shipped in
``resources/privacy``. The version a filing stores is the SHA-256 of both texts as shown, so
the exact wording a citizen accepted can be produced later; the audit event of each change
records the new version, and ``aviso-de-privacidad`` keeps only the one in force.
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass
from pathlib import Path

import sqlite_utils

from mailroom import audit
from mailroom.clock import Clock, SystemClock
from mailroom.config import Settings
from mailroom.errors import ConfigError, InvalidInput, StorageError
from mailroom.fsutil import write_bytes_atomically
from mailroom.models import NewFiling
from mailroom.permissions import Action, authorize
from mailroom.resources import resource_dir
from mailroom.store import Store

__all__ = [
    "FULL_FILE",
    "MAX_NOTICE_BYTES",
    "OFFICE_FOLDER",
    "SHORT_FILE",
    "PrivacyNotice",
    "load_notice",
    "notice_in_force",
    "save_notice",
    "shipped_dir",
    "with_notice_in_force",
]

OFFICE_FOLDER = "aviso-de-privacidad"
SHORT_FILE = "aviso-simplificado.txt"
FULL_FILE = "aviso-integral.txt"
MAX_NOTICE_BYTES = 64 * 1024


@dataclass(frozen=True)
class PrivacyNotice:
    short: str
    full: str

    @property
    def version(self) -> str:
        data = f"{self.short}\n\x00\n{self.full}".encode()
        return hashlib.sha256(data).hexdigest()


def shipped_dir() -> Path:
    """``resources/privacy`` (see :mod:`mailroom.resources`)."""
    return resource_dir("privacy")


def load_notice(data_dir: Path, office_name: str) -> PrivacyNotice:
    """The notice in force: the office's files where present, the shipped ones otherwise."""
    office = data_dir / OFFICE_FOLDER
    short = _read(office / SHORT_FILE, shipped_dir() / SHORT_FILE)
    full = _read(office / FULL_FILE, shipped_dir() / FULL_FILE)
    return PrivacyNotice(_fill(short, office_name), _fill(full, office_name))


def notice_in_force(settings: Settings) -> PrivacyNotice:
    return load_notice(settings.data_dir, settings.office_name)


def with_notice_in_force(new: NewFiling, settings: Settings) -> NewFiling:
    """``new`` naming the notice in force, unless it already names the one its sender accepted
    (the kiosk's). At the counter the clerk hands the printed notice over; the filing records
    which one was in force when the data were taken."""
    if new.privacy_notice_sha256:
        return new
    version = notice_in_force(settings).version
    return dataclasses.replace(new, privacy_notice_sha256=version)


def save_notice(
    store: Store, settings: Settings, short: str, full: str, *, clock: Clock | None = None
) -> PrivacyNotice:
    """Make ``short`` and ``full`` the office's notice (``Action.AJUSTES``). Returns the notice
    as it will be shown from now on; its version goes to the audit trail."""
    texts = {SHORT_FILE: _clean(short, "simplificado"), FULL_FILE: _clean(full, "integral")}
    folder = settings.data_dir / OFFICE_FOLDER
    now = (clock or SystemClock(settings.zone)).now()

    def write(db: sqlite_utils.Database) -> PrivacyNotice:
        actor = authorize(db, settings, Action.AJUSTES)
        before = notice_in_force(settings)
        after = PrivacyNotice(
            _fill(texts[SHORT_FILE], settings.office_name),
            _fill(texts[FULL_FILE], settings.office_name),
        )
        if after == before:
            return before
        audit.append_event(
            db,
            at=now,
            actor=actor.name,
            kind="aviso_privacidad_cambiado",
            filing_id=None,
            payload={"version": after.version, "version_anterior": before.version},
        )
        # Inside the transaction: a file that cannot be written rolls the event back.
        folder.mkdir(parents=True, exist_ok=True)
        for name, text in texts.items():
            write_bytes_atomically(folder / name, (text + "\n").encode(), failed=_storage_error)
        return notice_in_force(settings)

    return store.write(write)


def _clean(text: str, which: str) -> str:
    cleaned = "\n".join(line.rstrip() for line in text.replace("\r\n", "\n").split("\n")).strip()
    if not cleaned:
        raise InvalidInput(
            f"El aviso de privacidad {which} no puede quedar vacío: escriba su texto o vuelva a "
            "cargar el que había.",
            field=f"aviso_{which}",
        )
    if len(cleaned.encode()) > MAX_NOTICE_BYTES:
        raise InvalidInput(
            f"El aviso de privacidad {which} es demasiado largo (más de "
            f"{MAX_NOTICE_BYTES // 1024} KiB): acórtelo.",
            field=f"aviso_{which}",
        )
    return cleaned


def _read(own: Path, shipped: Path) -> str:
    path = own if own.is_file() else shipped
    try:
        if path.stat().st_size > MAX_NOTICE_BYTES:
            raise ConfigError(f"El aviso de privacidad {path} es demasiado largo.", path=str(path))
        text = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(
            f"No se pudo leer el aviso de privacidad {path}: revise que exista y esté en UTF-8.",
            path=str(path),
        ) from error
    if not text:
        raise ConfigError(f"El aviso de privacidad {path} está vacío.", path=str(path))
    return text


def _fill(text: str, office_name: str) -> str:
    return text.replace("{office_name}", office_name)


def _storage_error(path: Path, error: OSError) -> StorageError:
    return StorageError(
        f"No se pudo guardar el aviso de privacidad en {path}: {error.strerror or error}. Revise "
        "que la carpeta de datos tenga permiso de escritura y espacio libre.",
        path=str(path),
    )
