"""The suite leaves nothing behind in the system temp folder (``tests/conftest.py`` installs it).

For the whole session, every process the suite starts sees one fresh folder as its system temp
folder: ``TMPDIR``, ``TEMP`` and ``TMP`` (what Python's tempfile, Qt's ``QDir::tempPath`` and
child processes read) and tempfile's own default point there. pytest's ``tmp_path`` stays where it
always is (``PYTEST_DEBUG_TEMPROOT``). When the session ends that folder must be empty: whatever
is in it was left by the code under test or by a test; it is listed, and the run fails.

Why not compare the real system temp folder before and after: other programs write there while
a nine-minute run goes on (another test run, an editor, the CI agent), and their files would
fail this run. The folder itself is removed at the end, so the real one is left as it was found.
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


class TempGuard:
    def __init__(self) -> None:
        self.folder: Path | None = None

    def install(self) -> None:
        real = Path(tempfile.gettempdir())
        _remove_abandoned(real)
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
