"""The Windows installer (installer/windows/oficialia.nsi) as an administrator meets it, under
Debian's wine64: compiled with Debian's makensis around a stand-in for the frozen app (a real
64-bit Windows program, installer/windows/standin.nsi), then installed, run, upgraded, refused
while the app runs, and uninstalled, all silently (/S) and with no display. Version 2.0.0 is
built with a state's update channel (a real TUF root and an address): it seeds the trusted root,
update_url and the nightly update task.

What wine cannot show: ACLs (its icacls is a stub, so only the command the installer ran is
checked), a task's schedule and account (its Task Scheduler keeps only part of a definition, and
runs nothing: the definition the installer wrote is checked, and its command run by hand), UAC,
SmartScreen, a real Start menu. installer/windows/README.md says so.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import time
import tomllib
import xml.etree.ElementTree as ElementTree
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from securesystemslib.signer import CryptoSigner

from mailroom import windows_running
from mailroom.updates.repository import ChannelFolder

ROOT = Path(__file__).resolve().parents[1]
WINDOWS = ROOT / "installer" / "windows"
_SPEC = importlib.util.spec_from_file_location("build_installer", WINDOWS / "build_installer.py")
assert _SPEC is not None and _SPEC.loader is not None
build_installer = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(build_installer)

WINE_DIR = Path("/usr/lib/wine")  # Debian's wine64 puts wine64 here, not on PATH
INSTALL_DIR = r"C:\Program Files\Oficialia"
DATA_DIR = r"C:\ProgramData\Oficialia"
UPDATES_DIR = DATA_DIR + r"\actualizaciones"
START_MENU = r"C:\ProgramData\Microsoft\Windows\Start Menu\Programs"
# What each shortcut starts the installed program with: the kiosk under its watchdog.
SHORTCUTS = {
    "mailroom": "Oficialía — Ventanilla.lnk",
    rf'kiosk supervisar --log-file "{DATA_DIR}\supervisor.log"': "Oficialía — Quiosco.lnk",
}
UNINSTALL_KEY = r"HKLM\Software\Microsoft\Windows\CurrentVersion\Uninstall\Oficialia"
# What wine's icacls stub logs when the installer grants every local user modify rights on the
# data folder, and when it closes a folder to all but administrators and SYSTEM.
ICACLS_CALL = r'"C:\\ProgramData\\Oficialia" "/grant" "*S-1-5-32-545:(OI)(CI)M"'
ADMIN_ONLY = (
    r'"/inheritance:r" "/grant:r" "*S-1-5-18:(OI)(CI)F" "*S-1-5-32-544:(OI)(CI)F" '
    r'"*S-1-5-32-545:(OI)(CI)RX"'
)
UPDATES_ICACLS_CALL = r'"C:\\ProgramData\\Oficialia\\actualizaciones" ' + ADMIN_ONLY
PROGRAM_ICACLS_CALL = r'"C:\\Program Files\\Oficialia" ' + ADMIN_ONLY
# What wine's schtasks logs of "/RU SYSTEM" (it registers the task from the XML all the same).
SCHTASKS_AS_SYSTEM = 'schtasks:create_command Unsupported /ru option L"SYSTEM"'
UPDATE_TASK = "Oficialia - actualizaciones"
REGISTERED_TASK = r"C:\windows\system32\tasks" + "\\" + UPDATE_TASK
TASK_NS = {"t": "http://schemas.microsoft.com/windows/2004/02/mit/task"}
CHANNEL_URL = "https://actualizaciones.example.gob.mx/oficialia"
CHANNEL_ROLES = ("root", "targets", "snapshot", "timestamp")
WAIT_SECONDS = 30.0


def _tools_or_skip() -> tuple[str, Path]:
    makensis = shutil.which("makensis")
    wine = WINE_DIR / "wine64"
    if makensis and wine.is_file():
        return makensis, wine
    message = "makensis o wine64 no están instalados (bash installer/packaging-packages.sh)"
    if os.environ.get("CI"):
        pytest.fail(message)  # CI installs them: a skip there would hide a missing install step
    pytest.skip(message)


@dataclass(frozen=True)
class Ran:
    returncode: int
    stdout: str
    stderr: str


@dataclass
class Wine:
    """One wine prefix (a fresh C: drive) for the session, and how to run programs in it."""

    wine: Path
    prefix: Path
    home: Path

    def environment(self, debug: str = "-all") -> dict[str, str]:
        env = {
            key: value
            for key, value in os.environ.items()
            # Silent mode needs no display; the stand-in reports OFICIALIA_UPDATE_ROOT.
            if key not in {"DISPLAY", "WAYLAND_DISPLAY"} and not key.startswith("OFICIALIA_")
        }
        temp = self.home / "tmp"
        env.update(
            WINEPREFIX=str(self.prefix),
            WINEDEBUG=debug,
            # No .desktop files for the shortcuts (winemenubuilder writes them under $HOME);
            # no prompts to install Mono or Gecko.
            WINEDLLOVERRIDES="winemenubuilder.exe=d;mscoree=d;mshtml=d",
            LANG="C.UTF-8",  # the shortcuts' names are not ASCII
            HOME=str(self.home),
            TMPDIR=str(temp),
            TEMP=str(temp),
            TMP=str(temp),
        )
        return env

    def run(self, *args: str, debug: str = "-all", timeout: float = 120) -> Ran:
        """Run a program and wait for it (not for what it leaves running). Its output goes
        through files: programs it starts (wine's explorer.exe, its services) inherit the
        output and live on, so pipes would never reach their end."""
        output, errors = self.home / "salida.txt", self.home / "errores.txt"
        with output.open("wb") as stdout, errors.open("wb") as stderr:
            completed = subprocess.run(
                [str(self.wine), *args],
                env=self.environment(debug),
                stdout=stdout,
                stderr=stderr,
                timeout=timeout,
                check=False,
            )
        read = {"encoding": "utf-8", "errors": "replace"}
        return Ran(completed.returncode, output.read_text(**read), errors.read_text(**read))

    def start(self, *args: str) -> subprocess.Popen:
        return subprocess.Popen(
            [str(self.wine), *args],
            env=self.environment(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def unix(self, windows_path: str) -> Path:
        drive, _, rest = windows_path.partition(":\\")
        assert drive.upper() == "C", windows_path
        return self.prefix / "drive_c" / Path(*rest.split("\\"))

    @staticmethod
    def windows(path: Path) -> str:
        return "Z:" + str(path).replace("/", "\\")

    def registry(self, key: str) -> dict[str, str] | None:
        """The key's values as exported (None when it does not exist)."""
        exported = self.home / "clave.reg"
        result = self.run("reg", "export", key, self.windows(exported), "/y")
        if result.returncode != 0:
            return None
        text = exported.read_text(encoding="utf-16")
        return {
            name: value.replace("\\\\", "\\").replace('\\"', '"')
            for name, value in re.findall(r'^"([^"]+)"=(?:")?(.*?)"?$', text, re.M)
        }

    def server(self, *args: str) -> None:
        subprocess.run(
            [str(self.wine.parent / "wineserver"), *args],
            env=self.environment(),
            timeout=60,
            check=False,
        )


@dataclass(frozen=True)
class Installers:
    v1: Path
    v2: Path
    """Built with the update channel: CHANNEL_URL and ``root``."""
    root: Path


@pytest.fixture(scope="session")
def wine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Wine]:
    _, wine64 = _tools_or_skip()
    root = tmp_path_factory.mktemp("wine")
    (root / "home" / "tmp").mkdir(parents=True)
    session = Wine(wine=wine64, prefix=root / "prefix", home=root / "home")
    # Wine stops its services when its last program ends and starts them again with the next
    # one, a second or more each time: a console waiting on its input keeps them up meanwhile.
    # It also makes the prefix (wine boots a new one before its first program). A separate
    # `wineboot --init` first would leave a server under which the Task Scheduler service never
    # starts ("Service database locked").
    keeper = subprocess.Popen(
        [str(wine64), "cmd"],
        env=session.environment(),
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        # Windows always runs its Task Scheduler; wine starts it when asked (the first call
        # waits for the new prefix).
        _wait_until(
            lambda: (
                session.run("net", "start", "schedule", timeout=300).returncode == 0
                or "Task Scheduler" in session.run("net", "start").stdout
            ),
            "el Programador de tareas de wine no arrancó",
        )
        yield session
    finally:
        assert keeper.stdin is not None
        keeper.stdin.close()  # cmd ends at the end of its input
        try:
            keeper.wait(timeout=WAIT_SECONDS)
        except subprocess.TimeoutExpired:
            keeper.kill()
            keeper.wait()
        session.server("-k")
        # The prefix is about 700 MB: not kept among pytest's last three runs.
        shutil.rmtree(session.prefix, ignore_errors=True)


@pytest.fixture(scope="session")
def installers(tmp_path_factory: pytest.TempPathFactory) -> Installers:
    """The installer of versions 1.0.0 and 2.0.0, each around its own stand-in bundle, laid out
    as PyInstaller lays it out (oficialia.exe beside _internal/), with one file only it has.
    2.0.0 also has a windowed executable, oficialiaw.exe, which its shortcuts then start, and is
    built with a state's update channel (a real TUF root, from the channel code itself)."""
    makensis, _ = _tools_or_skip()
    root = tmp_path_factory.mktemp("instaladores")
    channel = ChannelFolder(root / "canal")
    channel.initialize({role: CryptoSigner.generate_ed25519() for role in CHANNEL_ROLES})
    trusted_root = channel.metadata_dir / "root.json"
    made = {}
    for version in ("1.0.0", "2.0.0"):
        bundle = root / version / "oficialia"
        (bundle / "_internal" / "resources").mkdir(parents=True)
        (bundle / "_internal" / "resources" / "VERSION").write_text(version + "\n")
        (bundle / "_internal" / f"solo-{version}.txt").write_text(version)
        compiled = subprocess.run(
            [
                makensis,
                "-V2",
                f"-DVERSION={version}",
                f"-DOUTFILE={bundle / 'oficialia.exe'}",
                f"-DMUTEX_NAME={windows_running.MUTEX_NAME}",
                str(WINDOWS / "standin.nsi"),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        assert compiled.returncode == 0, compiled.stdout + compiled.stderr
        channel_options = {}
        if version == "2.0.0":
            shutil.copy(bundle / "oficialia.exe", bundle / "oficialiaw.exe")
            channel_options = {"update_root": trusted_root, "update_url": CHANNEL_URL + "/"}
        made[version] = build_installer.build(bundle, makensis=makensis, **channel_options)
        assert made[version].name == f"Oficialia-{version}-instalador.exe"
    return Installers(v1=made["1.0.0"], v2=made["2.0.0"], root=trusted_root)


def test_install_upgrade_refuse_while_running_and_uninstall_keep_the_data(
    wine: Wine, installers: Installers
) -> None:
    program = wine.unix(INSTALL_DIR)
    data = wine.unix(DATA_DIR)
    updates = wine.unix(UPDATES_DIR)
    config = data / "config.toml"
    task = wine.unix(REGISTERED_TASK)

    # Install 1.0.0, silently; it was built without an update channel.
    installed = wine.run(str(installers.v1), "/S", debug="-all,fixme+icacls,fixme+schtasks")
    assert installed.returncode == 0, installed.stderr[-2000:]
    assert (program / "oficialia.exe").is_file()
    assert (program / "_internal" / "solo-1.0.0.txt").is_file()
    assert (program / "uninstall.exe").is_file()
    assert data.is_dir()
    # Wine's icacls changes nothing, but says what it was asked: every local user may modify
    # the data folder; its updates folder only administrators and SYSTEM.
    assert ICACLS_CALL in installed.stderr, installed.stderr[-2000:]
    assert UPDATES_ICACLS_CALL in installed.stderr, installed.stderr[-2000:]
    assert updates.is_dir()
    # No channel: no trusted root, no update_url, no task, and the program folder as it was.
    assert list(updates.iterdir()) == []
    assert not config.exists()
    assert not task.exists() and "schtasks" not in installed.stderr
    assert PROGRAM_ICACLS_CALL not in installed.stderr
    entry = wine.registry(UNINSTALL_KEY)
    assert entry is not None
    assert entry["DisplayName"] == "Oficialía"
    assert entry["DisplayVersion"] == "1.0.0"
    assert entry["InstallLocation"] == INSTALL_DIR
    assert entry["QuietUninstallString"] == f'"{INSTALL_DIR}\\uninstall.exe" /S'
    assert _run_installed(wine, "--version") == "1.0.0 --version"
    for command, shortcut in SHORTCUTS.items():
        assert _shortcut_program(wine.unix(START_MENU) / shortcut) == "oficialia.exe"
        # The shortcut starts the installed program with its command (start does not wait).
        assert wine.run("start", f"{START_MENU}\\{shortcut}").returncode == 0
        _wait_for_line(data / "sustituto.txt", f"1.0.0 {command}")
    kept = data / "expedientes" / "folio-0001.txt"
    kept.parent.mkdir()
    kept.write_text("escrito recibido")

    # Install 2.0.0 over it: no file of 1.0.0 is left, the data stays, and the channel is set up.
    upgraded = wine.run(str(installers.v2), "/S", debug="-all,fixme+icacls,fixme+schtasks")
    assert upgraded.returncode == 0, upgraded.stderr[-2000:]
    assert not (program / "_internal" / "solo-1.0.0.txt").exists()
    assert (program / "_internal" / "solo-2.0.0.txt").is_file()
    assert (program / "_internal" / "resources" / "VERSION").read_text() == "2.0.0\n"
    assert _run_installed(wine, "--version") == "2.0.0 --version"
    assert (wine.registry(UNINSTALL_KEY) or {}).get("DisplayVersion") == "2.0.0"
    for command, shortcut in SHORTCUTS.items():
        assert _shortcut_program(wine.unix(START_MENU) / shortcut) == "oficialiaw.exe"
        assert wine.run("start", f"{START_MENU}\\{shortcut}").returncode == 0
        _wait_for_line(data / "sustituto.txt", f"2.0.0 {command}")
    assert kept.read_text() == "escrito recibido"
    _assert_channel_set_up(wine, upgraded, installers)
    assert tomllib.loads(config.read_text("utf-8")) == {"update_url": CHANNEL_URL}

    # Installing again keeps an admin's root and update_url, and adds update_url to a config.toml
    # that lacks it, keeping what it had.
    (updates / "root.json").write_bytes(b'{"raiz": "puesta por el administrador"}')
    config.write_bytes(b'office = "OPM"')  # no line break at the end
    again = wine.run(str(installers.v2), "/S", debug="-all,fixme+icacls,fixme+schtasks")
    assert again.returncode == 0, again.stderr[-2000:]
    assert config.read_bytes() == f'office = "OPM"\nupdate_url = "{CHANNEL_URL}"\n'.encode()
    mirror = b'office = "OPM"\r\n  update_url="https://espejo.example.gob.mx/oficialia"\r\n'
    config.write_bytes(mirror)
    again = wine.run(str(installers.v2), "/S", debug="-all,fixme+icacls,fixme+schtasks")
    assert again.returncode == 0, again.stderr[-2000:]
    assert config.read_bytes() == mirror
    assert (updates / "root.json").read_bytes() == b'{"raiz": "puesta por el administrador"}'
    assert task.is_file()  # the old version's uninstaller removed it, the new one made it again

    # While the app runs (it holds the mutex), neither installer nor uninstaller changes a thing;
    # nor while it runs in another session, where only its Global\ name can be seen.
    before = _snapshot(wine)
    with _app_running(wine):
        refused = wine.run(str(installers.v1), "/S")
        assert refused.returncode == 3, refused.stderr[-2000:]
        assert _snapshot(wine) == before
        refused = _uninstall_and_wait_for_exit_code(wine)
        assert refused.returncode == 3, refused.stderr[-2000:]
        assert _snapshot(wine) == before
    with _app_running(wine, "/solo-global"):
        refused = wine.run(str(installers.v1), "/S")
        assert refused.returncode == 3, refused.stderr[-2000:]
        assert _snapshot(wine) == before

    # Uninstall as documented for mass deployment: the program and its task go, the data
    # (the updates folder included) stays.
    uninstalled = wine.run(f"{INSTALL_DIR}\\uninstall.exe", "/S")
    assert uninstalled.returncode == 0, uninstalled.stderr[-2000:]
    _wait_until(lambda: not program.exists(), f"{program} sigue ahí")
    _wait_until(lambda: wine.registry(UNINSTALL_KEY) is None, "la clave de desinstalación sigue")
    for shortcut in SHORTCUTS.values():
        assert not (wine.unix(START_MENU) / shortcut).exists()
    assert not task.exists()
    assert kept.read_text() == "escrito recibido"
    assert (data / "sustituto.txt").is_file()
    assert config.read_bytes() == mirror
    assert (updates / "root.json").is_file()


def _assert_channel_set_up(wine: Wine, installed: Ran, installers: Installers) -> None:
    """The trusted root in place, and the nightly task: registered, as SYSTEM, daily, and its
    command, run as written, starting the installed program's `actualizar` with the root pinned."""
    updates = wine.unix(UPDATES_DIR)
    assert UPDATES_ICACLS_CALL in installed.stderr, installed.stderr[-2000:]
    assert (updates / "root.json").read_bytes() == installers.root.read_bytes()
    # SYSTEM runs the program from its folder: closed to users like the updates folder.
    assert PROGRAM_ICACLS_CALL in installed.stderr, installed.stderr[-2000:]
    assert SCHTASKS_AS_SYSTEM in installed.stderr, installed.stderr[-2000:]
    # Wine's Task Scheduler keeps only part of what it is given, but it did parse the definition.
    registered = wine.unix(REGISTERED_TASK).read_text("utf-8-sig")
    assert "<Description>Busca en el canal del estado una versión nueva" in registered
    definition = ElementTree.parse(wine.unix(INSTALL_DIR) / "tarea-actualizaciones.xml")

    def text(path: str) -> str | None:
        return definition.findtext(path, namespaces=TASK_NS)

    assert text("t:Principals/t:Principal/t:UserId") == "S-1-5-18"
    assert text("t:Principals/t:Principal/t:RunLevel") == "HighestAvailable"
    assert text("t:Triggers/t:CalendarTrigger/t:ScheduleByDay/t:DaysInterval") == "1"
    assert text("t:Triggers/t:CalendarTrigger/t:StartBoundary") == "2024-01-01T03:00:00"
    assert text("t:Settings/t:StartWhenAvailable") == "true"
    assert text("t:Settings/t:MultipleInstancesPolicy") == "IgnoreNew"
    assert text("t:Actions/t:Exec/t:WorkingDirectory") == INSTALL_DIR
    command, arguments = text("t:Actions/t:Exec/t:Command"), text("t:Actions/t:Exec/t:Arguments")
    assert command is not None and arguments is not None
    # The Task Scheduler starts "<Command> <Arguments>"; a batch file line does the same.
    batch = wine.home / "tarea.cmd"
    batch.write_text(f"@{command} {arguments}\r\n@exit /b %ERRORLEVEL%\r\n")
    assert wine.run("cmd", "/c", Wine.windows(batch)).returncode == 0
    ran = (wine.unix(DATA_DIR) / "sustituto.txt").read_text().splitlines()[-1]
    assert ran == rf"2.0.0 actualizar | OFICIALIA_UPDATE_ROOT={UPDATES_DIR}\root.json"


def test_the_installer_looks_for_the_mutex_the_app_holds() -> None:
    script = (WINDOWS / "oficialia.nsi").read_text(encoding="utf-8-sig")
    assert f'!define MUTEX_NAME "{windows_running.MUTEX_NAME}"' in script
    assert 'OpenMutexW(i 0x00100000, i 0, w "${MUTEX_NAME}")' in script
    assert 'OpenMutexW(i 0x00100000, i 0, w "Global\\${MUTEX_NAME}")' in script


def test_the_readmes_say_what_the_installer_does() -> None:
    script = (WINDOWS / "oficialia.nsi").read_text(encoding="utf-8-sig")
    readme = (WINDOWS / "README.md").read_text(encoding="utf-8")
    codes = dict(re.findall(r"^!define (EXIT_\w+) (\d+)$", script, re.M))
    assert codes == {
        "EXIT_RUNNING": "3",
        "EXIT_NOT_ADMIN": "4",
        "EXIT_OLD_VERSION": "5",
        "EXIT_DATA_FOLDER": "6",
        "EXIT_UPDATES": "7",
    }
    documented = set(re.findall(r"^\| (\d) \|", readme, re.M))
    assert documented == {"0", "1", "2", *codes.values()}
    # What the updates guide tells an admin to do by hand is what the installer does.
    updates_readme = (ROOT / "installer" / "updates" / "README.md").read_text(encoding="utf-8")
    by_hand = (
        r'icacls "%ProgramData%\Oficialia\actualizaciones" /inheritance:r /grant:r '
        r"*S-1-5-18:(OI)(CI)F *S-1-5-32-544:(OI)(CI)F *S-1-5-32-545:(OI)(CI)RX"
    )
    assert by_hand in updates_readme
    assert by_hand.replace('"', "").split(" ", 2)[2] in ADMIN_ONLY.replace('"', "")
    assert f'/TN "{UPDATE_TASK}"' in updates_readme
    assert "OFICIALIA_UPDATE_ROOT" in updates_readme


def test_mark_running_holds_both_mutexes_on_windows(monkeypatch: pytest.MonkeyPatch) -> None:
    """The Windows branch, against a fake kernel32 (there is no Windows Python here)."""
    import ctypes

    created: list[tuple[object, bool, str]] = []

    class CreateMutexW:
        argtypes: object = None
        restype: object = None

        def __call__(self, attributes: object, owned: bool, name: str) -> int:
            created.append((attributes, owned, name))
            # Another user's Global\ mutex: creating it is denied, and the app runs all the same.
            return 0 if name.startswith("Global\\") else 77

    class Kernel32:
        def __init__(self, name: str, use_last_error: bool) -> None:
            assert (name, use_last_error) == ("kernel32", True)
            self.CreateMutexW = CreateMutexW()

    monkeypatch.setattr(ctypes, "WinDLL", Kernel32, raising=False)
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setattr(windows_running, "_held", [])
    windows_running.mark_running()
    windows_running.mark_running()  # once per process
    assert created == [
        (None, False, "OficialiaEnEjecucion"),
        (None, False, "Global\\OficialiaEnEjecucion"),
    ]
    assert windows_running.is_marked()


def test_mark_running_does_nothing_elsewhere(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setattr(windows_running, "_held", [])
    windows_running.mark_running()
    assert not windows_running.is_marked()


def test_build_says_what_to_do_without_a_bundle_or_with_a_wrong_channel(tmp_path: Path) -> None:
    with pytest.raises(build_installer.BuildError, match="pyinstaller installer/oficialia.spec"):
        build_installer.build(tmp_path / "no-existe")
    bundle = tmp_path / "oficialia"
    bundle.mkdir()
    (bundle / "oficialia.exe").write_bytes(b"MZ")
    channel = ChannelFolder(tmp_path / "canal")
    channel.initialize({role: CryptoSigner.generate_ed25519() for role in CHANNEL_ROLES})
    with pytest.raises(build_installer.BuildError, match="hace falta también --raiz"):
        build_installer.build(bundle, update_url=CHANNEL_URL)
    with pytest.raises(build_installer.BuildError, match="no es válida: debe empezar con https"):
        build_installer.build(
            bundle, update_url='https://x.gob.mx/"a"', update_root=channel.metadata_dir
        )
    timestamp = channel.metadata_dir / "timestamp.json"
    with pytest.raises(build_installer.BuildError, match="no es la raíz de confianza"):
        build_installer.build(bundle, update_url=CHANNEL_URL, update_root=timestamp)
    assert build_installer.check_trusted_root(channel.metadata_dir / "root.json") == 1
    assert build_installer.version_quad("0.1.0") == "0.1.0.0"
    assert build_installer.version_quad("1.2.3rc1") == "1.2.3.0"
    assert build_installer.version_quad("2.0.0.dev7") == "2.0.0.0"


def _run_installed(wine: Wine, *args: str) -> str:
    """Run the installed program; the stand-in appends '<version> <arguments>' to a file of
    the data folder, whose last line is returned."""
    result = wine.run(f"{INSTALL_DIR}\\oficialia.exe", *args)
    assert result.returncode == 0, result.stderr[-2000:]
    return (wine.unix(DATA_DIR) / "sustituto.txt").read_text().splitlines()[-1]


def _shortcut_program(shortcut: Path) -> str:
    """The name of the program a .lnk starts, read from its bytes (one of ours, or '')."""
    content = shortcut.read_bytes()
    for name in ("oficialiaw.exe", "oficialia.exe"):
        if name.encode("utf-16-le") in content or name.encode() in content:
            return name
    return ""


def _wait_for_line(path: Path, line: str) -> None:
    _wait_until(
        lambda: path.is_file() and line in path.read_text().splitlines(),
        f"{path} no tiene la línea «{line}»",
    )


def _wait_until(condition: Callable[[], bool], failure: str) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        assert time.monotonic() < deadline, failure
        time.sleep(0.1)


def _snapshot(wine: Wine) -> tuple[object, ...]:
    """The program's files, shortcuts and update task (name, size, time) and its Add/Remove
    programs entry."""
    paths = [*wine.unix(INSTALL_DIR).rglob("*")]
    paths += [wine.unix(START_MENU) / shortcut for shortcut in SHORTCUTS.values()]
    paths.append(wine.unix(REGISTERED_TASK))
    files = sorted((str(path), path.stat().st_size, path.stat().st_mtime_ns) for path in paths)
    return (files, wine.registry(UNINSTALL_KEY))


@contextlib.contextmanager
def _app_running(wine: Wine, *options: str) -> Iterator[None]:
    """The installed stand-in holding the app's mutex until the block ends."""
    stop, ready = wine.home / "detener", wine.home / "listo"
    stop.unlink(missing_ok=True)
    ready.unlink(missing_ok=True)
    process = wine.start(
        f"{INSTALL_DIR}\\oficialia.exe",
        f"/retener={Wine.windows(stop)}",
        f"/listo={Wine.windows(ready)}",
        *options,
    )
    try:
        _wait_until(ready.is_file, "el programa sustituto no llegó a tomar el mutex")
        yield
    finally:
        stop.write_text("")
        try:
            process.wait(timeout=WAIT_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _uninstall_and_wait_for_exit_code(wine: Wine) -> Ran:
    """The uninstaller run in place (_?=), which waits and gives its exit code. NSIS wants the
    folder after _?= unquoted, spaces and all, which an argument list cannot express: a batch
    file says it, as a deployment tool would."""
    batch = wine.home / "desinstalar.cmd"
    batch.write_text(
        f'@"{INSTALL_DIR}\\uninstall.exe" /S _?={INSTALL_DIR}\r\n@exit /b %ERRORLEVEL%\r\n'
    )
    return wine.run("cmd", "/c", Wine.windows(batch))
