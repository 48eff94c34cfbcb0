"""What the clerk's app remembers on this counter between runs: choices made in the window (the
folder files were last added from), not settings — those are the admin's, in ``config.toml``.

Kept through ``QSettings`` in an ini file of the data folder rather than Qt's per-user default:
the data folder is what ``--data-dir`` and the demo profile choose, so a demo, a test or a
portable install never reads or overwrites another one's choices. Widgets ask this class; none
of them opens the file.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings

PREFERENCES_FILE = "ventanilla.ini"
IMPORT_FOLDER_KEY = "captura/carpeta_de_archivos"


class Preferences:
    def __init__(self, data_dir: Path, *, first_import_folder: Path | None = None) -> None:
        """``first_import_folder``: where adding files starts until the clerk has chosen a
        folder (the demo's samples); otherwise the clerk's home folder."""
        self.path = data_dir / PREFERENCES_FILE
        self._store = QSettings(str(self.path), QSettings.Format.IniFormat)
        self._first_import_folder = first_import_folder

    def import_folder(self) -> Path:
        """The folder «Agregar archivo…» opens in: the last one files were added from, while it
        still exists (a USB stick may be gone); else the first folder; else home."""
        remembered = str(self._store.value(IMPORT_FOLDER_KEY, "", str))
        candidates = [Path(remembered)] if remembered else []
        if self._first_import_folder is not None:
            candidates.append(self._first_import_folder)
        return next((folder for folder in candidates if folder.is_dir()), Path.home())

    def remember_import_folder(self, folder: Path) -> None:
        self._store.setValue(IMPORT_FOLDER_KEY, str(folder))
        # Written now, not when Qt next gets round to it: the counter PC may be switched off
        # rather than the app closed.
        self._store.sync()
