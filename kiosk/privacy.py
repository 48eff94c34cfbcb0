"""The privacy notice the kiosk shows before it takes any personal data.

The office's own texts (``DATA/aviso-de-privacidad/``) win over the defaults shipped in
``resources/privacy``. The version a filing stores is the SHA-256 of both texts as shown, so
the exact wording a citizen accepted can be produced later.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from mailroom.errors import ConfigError
from mailroom.resources import resource_dir

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
