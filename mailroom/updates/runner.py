"""Running a verified installer silently (``<installer> /S``, NSIS's silent switch).

The Windows installer refuses to run while any Oficialía process is open (it looks for the named
mutex every ``oficialia`` process holds), and ``oficialia actualizar`` is itself one. So on Windows
the installer cannot be started and waited for: :class:`DetachedWindowsRunner` starts a small,
detached PowerShell script and returns; the command then exits. The script waits until no
Oficialía process holds the mutex (the clerk's app and the kiosk closed too; at most
``WAIT_MINUTES``), checks the installer's SHA-256 once more, runs it with ``/S``, writes one line
to ``DATA/actualizaciones/instalaciones.log`` and removes the installer and itself.

:class:`ForegroundRunner` runs the installer and waits for it: what the tests use (with a small
program standing in for the installer, since there is no Windows here) and what an admin may use
by hand where nothing holds the mutex.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from pathlib import Path

from mailroom.config import Settings
from mailroom.updates.errors import InstallerFailed, UnsupportedPlatform, UpdateError
from mailroom.updates.releases import Release

SILENT = "/S"
MUTEX = "OficialiaEnEjecucion"
"""The named mutex every ``oficialia`` process holds on Windows (``mailroom.windows_running``)."""
WAIT_MINUTES = 30
LOG_NAME = "instalaciones.log"


class ForegroundRunner:
    """Run the installer with ``/S`` and wait; the installer is removed once it has run."""

    def __init__(self, *, timeout_seconds: float = 1800) -> None:
        self.timeout_seconds = timeout_seconds

    def start(self, installer: Path, release: Release) -> str:
        try:
            done = subprocess.run(
                [str(installer), SILENT],
                stdin=subprocess.DEVNULL,
                capture_output=True,
                timeout=self.timeout_seconds,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as error:
            raise InstallerFailed(
                f"No se pudo ejecutar el instalador de la versión {release.version} ({error}).",
                installer=installer,
            ) from error
        finally:
            with contextlib.suppress(OSError):
                installer.unlink()
        if done.returncode != 0:
            raise InstallerFailed(
                f"El instalador de la versión {release.version} terminó con el código "
                f"{done.returncode}; la versión anterior sigue instalada.",
                installer=installer,
                exit_code=done.returncode,
            )
        return f"Se instaló la versión {release.version}."


class DetachedWindowsRunner:
    """Hand the installer to a detached waiter script and return at once (see the module)."""

    def __init__(self, log: Path) -> None:
        self.log = log

    def start(self, installer: Path, release: Release) -> str:
        script = installer.with_name(f"instalar-{release.version}.ps1")
        try:
            # PowerShell 5 reads a script without a byte-order mark as the ANSI code page.
            script.write_text(waiter_script(installer, release, self.log), encoding="utf-8-sig")
        except OSError as error:
            raise InstallerFailed(
                f"No se pudo preparar la instalación en {script.parent}: {error.strerror}.",
                path=script,
            ) from error
        _start_detached(
            [
                str(_powershell()),
                "-NoProfile",
                "-NonInteractive",
                "-ExecutionPolicy",
                "Bypass",
                "-WindowStyle",
                "Hidden",
                "-File",
                str(script),
            ],
            cwd=script.parent,
        )
        return (
            f"La versión {release.version} está descargada y verificada. Se instalará sola, en "
            "modo silencioso, en cuanto se cierren la aplicación de ventanilla y el quiosco en "
            f"este equipo (espera hasta {WAIT_MINUTES} minutos). No apague el equipo; el "
            f"resultado queda en {self.log}."
        )


def default_runner(settings: Settings) -> DetachedWindowsRunner:
    """The runner for this system: only Windows installs through the channel."""
    if sys.platform != "win32":
        raise UnsupportedPlatform(
            "Este comando instala actualizaciones solo en Windows. En Debian y Ubuntu llegan por "
            "apt: apt-get update && apt-get install --only-upgrade oficialia. Para ver qué ofrece "
            "el canal use «oficialia actualizar --comprobar --plataforma windows»."
        )
    from mailroom.updates.channel import updates_folder

    return DetachedWindowsRunner(updates_folder(settings) / LOG_NAME)


def waiter_script(installer: Path, release: Release, log: Path) -> str:
    """The PowerShell the detached waiter runs (paths quoted for single-quoted strings)."""
    return _WAITER.format(
        installer=_quoted(str(installer)),
        sha256=_quoted(release.sha256),
        log=_quoted(str(log)),
        version=_quoted(release.version),
        mutex=MUTEX,
        minutes=WAIT_MINUTES,
        silent=SILENT,
    )


def _quoted(text: str) -> str:
    """``text`` as a PowerShell single-quoted string: PowerShell ends one at any of the four
    single quotation marks, typographic ones included, and doubling one escapes it."""
    for mark in "'\u2018\u2019\u201a\u201b":
        text = text.replace(mark, mark * 2)
    return f"'{text}'"


_WAITER = """\
# Written by `oficialia actualizar`: installs Oficialía {version} once no Oficialía process runs.
$ErrorActionPreference = 'Stop'
$installer = {installer}
$expected = {sha256}
$log = {log}
$version = {version}
function Write-Log([string]$text) {{
  Add-Content -LiteralPath $log -Encoding UTF8 -Value ((Get-Date -Format s) + ' ' + $text)
}}
function Test-Running {{
  foreach ($name in @('Global\\{mutex}', 'Local\\{mutex}')) {{
    $mutex = $null
    try {{
      if ([System.Threading.Mutex]::TryOpenExisting($name, [ref]$mutex)) {{
        $mutex.Dispose(); return $true
      }}
    }} catch [System.UnauthorizedAccessException] {{ return $true }}
  }}
  return $false
}}
$deadline = (Get-Date).AddMinutes({minutes})
while (Test-Running) {{
  if ((Get-Date) -gt $deadline) {{
    Write-Log "Oficialía siguió abierta {minutes} minutos: no se instaló la versión $version."
    exit 3
  }}
  Start-Sleep -Seconds 5
}}
if ((Get-FileHash -LiteralPath $installer -Algorithm SHA256).Hash -ne $expected) {{
  Write-Log "El instalador de la versión $version cambió después de verificarse: no se ejecutó."
  Remove-Item -LiteralPath $installer -Force -ErrorAction SilentlyContinue
  exit 2
}}
$process = Start-Process -FilePath $installer -ArgumentList '{silent}' -Wait -PassThru
Write-Log "El instalador de la versión $version terminó con el código $($process.ExitCode)."
Remove-Item -LiteralPath $installer -Force -ErrorAction SilentlyContinue
Remove-Item -LiteralPath $PSCommandPath -Force -ErrorAction SilentlyContinue
exit $process.ExitCode
"""


def _powershell() -> Path:
    root = Path(os.environ.get("SYSTEMROOT", r"C:\Windows"))
    return root / "System32" / "WindowsPowerShell" / "v1.0" / "powershell.exe"


def _start_detached(command: list[str], *, cwd: Path) -> None:  # pragma: no cover - Windows only
    if sys.platform != "win32":
        raise UpdateError("Solo en Windows.")
    detached = subprocess.DETACHED_PROCESS | subprocess.CREATE_NEW_PROCESS_GROUP
    try:
        # Out of the scheduled task's job object too, or ending the task could end the waiter;
        # a job that forbids breaking away refuses the flag, and then the waiter stays inside.
        subprocess.Popen(
            command,
            cwd=cwd,
            creationflags=detached | subprocess.CREATE_BREAKAWAY_FROM_JOB,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            close_fds=True,
        )
    except OSError:
        try:
            subprocess.Popen(
                command,
                cwd=cwd,
                creationflags=detached,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                close_fds=True,
            )
        except OSError as error:
            raise InstallerFailed(
                f"No se pudo iniciar la instalación ({error}); la versión anterior sigue "
                "instalada.",
            ) from error
