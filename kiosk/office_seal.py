"""The office e.firma at the kiosk: opened by staff from the admin screen at the start of the day,
kept open until they close it or the configured closing hour, whichever comes first.

No clerk stands at a kiosk, so nothing else may close it on inactivity (a quiet morning would
leave every acuse unsealed); the closing hour bounds how long a decrypted key stays in memory.
The ``.cer`` and ``.key`` live in ``DATA/kiosk/efirma/``, put there by the admin; the admin
screen asks only the password (the kiosk has no file dialogs). Qt-free.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, time
from pathlib import Path
from typing import TYPE_CHECKING

from mailroom.config import Settings
from mailroom.errors import ConfigError
from mailroom.store import Store

if TYPE_CHECKING:
    from mailroom.acuses import AcuseSigner
    from mailroom.efirma_unlock import UnlockedEfirma

EFIRMA_FOLDER = Path("kiosk") / "efirma"


def efirma_folder(settings: Settings) -> Path:
    return settings.data_dir / EFIRMA_FOLDER


def efirma_files(settings: Settings) -> tuple[Path, Path]:
    """The one ``.cer`` and one ``.key`` in the kiosk's e.firma folder, or ``ConfigError``."""
    folder = efirma_folder(settings)
    cers = sorted(folder.glob("*.cer")) if folder.is_dir() else []
    keys = sorted(folder.glob("*.key")) if folder.is_dir() else []
    if len(cers) != 1 or len(keys) != 1:
        raise ConfigError(
            f"Ponga el .cer y el .key de la e.firma de la oficina (uno de cada uno) en {folder}.",
            folder=str(folder),
        )
    return cers[0], keys[0]


def closing_time(settings: Settings) -> time:
    hour, _, minute = settings.kiosk_efirma_closing_hour.partition(":")
    return time(int(hour), int(minute))


class OfficeSeal:
    """Holds the opened e.firma (``mailroom.efirma_unlock.UnlockedEfirma``) for the day."""

    def __init__(
        self, settings: Settings, store: Store, *, clock: Callable[[], datetime] | None = None
    ) -> None:
        self.settings = settings
        self.store = store
        self._clock = clock or (lambda: datetime.now(settings.zone))
        self._lock = threading.Lock()
        self._opened: UnlockedEfirma | None = None
        self._opened_on: datetime | None = None
        self.holder = ""

    def open(self, password: str, cer: Path | None = None, key: Path | None = None) -> str:
        """Open it (off the GUI thread: PBKDF2 and OCSP); returns the holder's name. Raises the
        e.firma's own Spanish errors (wrong password, revoked, expired…)."""
        from mailroom.efirma_unlock import open_office_efirma

        if cer is None or key is None:
            cer, key = efirma_files(self.settings)
        unlocked = open_office_efirma(cer, key, password, self.settings, store=self.store)
        with self._lock:
            self._opened = unlocked
            self._opened_on = self._clock()
            self.holder = unlocked.identity.name
        return self.holder

    def close(self) -> None:
        with self._lock:
            self._opened = None
            self._opened_on = None
            self.holder = ""

    def signer(self) -> AcuseSigner | None:
        """The signer while open and before today's closing hour; closes it once past."""
        with self._lock:
            if self._opened is None or self._opened_on is None:
                return None
            now = self._clock()
            closing = datetime.combine(self._opened_on.date(), closing_time(self.settings))
            closing = closing.replace(tzinfo=self._opened_on.tzinfo)
            if self._opened_on < closing <= now or now.date() != self._opened_on.date():
                self._opened = None
                self._opened_on = None
                self.holder = ""
                return None
            return self._opened.signer

    @property
    def is_open(self) -> bool:
        return self.signer() is not None
