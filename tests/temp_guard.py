"""The suite leaves nothing behind in the system temp folder (``tests/conftest.py`` installs it).

For the whole session, every process the suite starts sees one fresh folder as its system temp
folder: ``TMPDIR``, ``TEMP`` and ``TMP`` (what Python's tempfile, Qt's ``QDir::tempPath`` and
child processes read) and tempfile's own default point there. pytest's ``tmp_path`` stays where it
always is (``PYTEST_DEBUG_TEMPROOT``). When the session ends that folder must be empty: whatever
is in it was left by the code under test or by a test; it is listed, and the run fails.

Why not compare the whole real system temp folder before and after: other programs write there
while a nine-minute run goes on (another test run, an editor, the CI agent), and their files
would fail this run. The real folder is still watched for names only this project makes
(:data:`OURS`), which is what code that writes to ``/tmp`` by name, ignoring ``TMPDIR``, would
leave. The session's folder itself is removed at the end, so the real one is left as it was
found.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

PREFIX = "oficialia-pruebas-temp-"
VARIABLES = ("TMPDIR", "TEMP", "TMP")
SHOWN = 40
# Prefixes of what this project's code and tests name their temporary files and folders (the
# work folders of mailroom.tmpfiles' callers, and the names used before they moved there).
OURS = (
    "oficialia",
    "crash-",
    "ocr-",
    "osd-",
    "captura-",
    "intake-",
    "anexo-",
    "lote-",
    "borrador-",
    "registro-",
    "fuente-",
    "digitalizacion-",
    "sane-test-",
    "proc-",
)


class TempGuard:
    def __init__(self) -> None:
        self.folder: Path | None = None
        self.real: Path | None = None
        self.ours_before: set[str] = set()

    def install(self) -> None:
        real = Path(tempfile.gettempdir())
        _remove_abandoned(real)
        self.real, self.ours_before = real, _ours(real)
        os.environ.setdefault("PYTEST_DEBUG_TEMPROOT", str(real))
        self.folder = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-", dir=real))
        os.environ.update(dict.fromkeys(VARIABLES, str(self.folder)))
        tempfile.tempdir = None  # recomputed from TMPDIR at its next use

    def leftovers(self) -> list[str]:
        """What is in the folder, two levels deep (enough to tell who made it)."""
        if self.folder is None or not self.folder.is_dir():
            return []
        found = []
        for entry in sorted(self.folder.iterdir()):
            found.append(entry.name + ("/" if entry.is_dir() else ""))
            if entry.is_dir() and not entry.is_symlink():
                found += [f"  {entry.name}/{child.name}" for child in sorted(entry.iterdir())]
        return found

    def finish(self, session: pytest.Session) -> None:
        left = self.leftovers()
        if self.real is not None:  # written to the real folder by name, past TMPDIR
            new = sorted(_ours(self.real) - self.ours_before)
            left += [f"{self.real / name} (en la carpeta temporal real)" for name in new]
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
        if not left:
            return
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.ensure_newline()
            reporter.write_sep("=", "archivos dejados en la carpeta temporal del sistema", red=True)
            for line in left[:SHOWN]:
                reporter.write_line(line)
            if len(left) > SHOWN:
                reporter.write_line(f"… y {len(left) - SHOWN} más")
            reporter.write_line(
                "Las pruebas y el código deben escribir en tmp_path o en la carpeta tmp/ de la "
                "carpeta de datos (mailroom.tmpfiles), nunca en la carpeta temporal del sistema."
            )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def _ours(folder: Path) -> set[str]:
    return {
        entry.name
        for entry in folder.iterdir()
        if entry.name.startswith(OURS) and not entry.name.startswith(PREFIX)
    }


def _remove_abandoned(real: Path) -> None:
    """Folders of earlier runs that were killed before they could remove theirs."""
    if os.name == "nt":  # os.kill(pid, 0) would terminate the process there, not probe it
        return
    for folder in real.glob(f"{PREFIX}*"):
        pid = folder.name.removeprefix(PREFIX).partition("-")[0]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
