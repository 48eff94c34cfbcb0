"""The one-folder bundle (``make bundle``, ``installer/oficialia.spec``) as an admin meets it.

- A copy made read-only runs, as an unprivileged user (one made for the test when the suite
  runs as root, where permissions do not bind), the self-test, ``oficialia demo`` on a fresh
  data folder, ``oficialia intake`` of a scanned page and ``oficialia search`` finding the words
  the OCR read, and lists SANE's test scanner through the system's libsane; the bundle's files
  (paths, sizes, SHA-256) are the same afterwards.
- The kiosk's on-screen keyboard loads from the bundle on a real X server (Xvfb, xcb) with the
  Spanish layout: the QML modules kept are enough.
- A copy without its platform plugins makes ``oficialia mailroom`` and ``oficialia kiosk`` exit
  with Qt's missing plugin named in Spanish, in seconds, not hang or crash.
- The bundle carries the trust bundle, the fonts, the translations, the common-passwords list
  and the keyboard's QML module, and neither the reference backend nor test tooling; every
  library in it loads; it fits in 250 MB; ``--version`` says pyproject's version.

Code runs inside the bundle through ``OFICIALIA_BUNDLE_PROBE`` (``installer/bundle_main.py``): a
script given there runs in the bundle's executable, on the bundle's modules.
"""

from __future__ import annotations

import hashlib
import json
import os
import pwd
import re
import shutil
import stat
import subprocess
import sys
import tomllib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.sane_env import write_sane_config
from tests.scanned_pages import text_page

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="el paquete de una carpeta se prueba en Linux"
)

ROOT = Path(__file__).resolve().parents[1]
VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]["version"]
DESK_USER = "oficialia-prueba-paquete"
SIZE_LIMIT_BYTES = 250_000_000
MISSING_PLUGIN_EXIT = 69
NOT_SHIPPED = (
    "sync.server",
    "fastapi",
    "uvicorn",
    "starlette",
    "pydantic",
    "pytest",
    "_pytest",
    "certomancer",
    "schemathesis",
    "hypothesis",
    "mypy",
    "tests",
)


# -- the bundle's files -------------------------------------------------------------------------


def snapshot(folder: Path) -> dict[str, tuple[object, ...]]:
    """Every path under ``folder``: a directory, a link and its target, or a file's size,
    SHA-256 and permission bits."""
    found: dict[str, tuple[object, ...]] = {}
    for directory, names, files in os.walk(folder):
        for name in [*names, *files]:
            path = Path(directory, name)
            key = str(path.relative_to(folder))
            if path.is_symlink():
                found[key] = ("enlace", os.readlink(path))
            elif path.is_dir():
                found[key] = ("carpeta", stat.S_IMODE(path.stat().st_mode))
            else:
                digest = hashlib.sha256(path.read_bytes()).hexdigest()
                found[key] = (
                    "archivo",
                    path.stat().st_size,
                    digest,
                    stat.S_IMODE(path.stat().st_mode),
                )
    return found


def changes(before: Mapping[str, object], after: Mapping[str, object]) -> list[str]:
    added = [f"+ {p}" for p in sorted(set(after) - set(before))]
    removed = [f"- {p}" for p in sorted(set(before) - set(after))]
    changed = [f"~ {p}" for p in sorted(set(before) & set(after)) if before[p] != after[p]]
    return added + removed + changed


@pytest.fixture(scope="module")
def read_only_bundle(bundle_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A copy of the bundle with every write bit taken away (``chmod -R a-w``)."""
    copy = tmp_path_factory.mktemp("paquete-solo-lectura") / "oficialia"
    subprocess.run(["cp", "-a", str(bundle_dir), str(copy)], check=True)
    subprocess.run(["chmod", "-R", "a-w", str(copy)], check=True)
    yield copy
    subprocess.run(["chmod", "-R", "u+w", str(copy)], check=True)  # so pytest can clean up


# -- an unprivileged user -----------------------------------------------------------------------


@dataclass(frozen=True)
class DeskUser:
    """Who runs the bundle: a clerk's unprivileged account, or (not root) this user.

    pytest keeps its temporary folders private to root (``/tmp/pytest-of-root`` is 0700), and
    every pytest that starts on the machine makes it private again. Before each command the
    folders above ours get the bit that lets others pass (``reach``, undone at the end), and the
    account may also read and pass through folders (``CAP_DAC_READ_SEARCH``, from ``setpriv``)
    should another pytest close them meanwhile. Writing is not widened: the account writes only
    where permissions let it, so a write into the read-only bundle fails."""

    uid: int
    gid: int
    opened: dict[Path, int] = field(default_factory=dict)  # folders made passable: their modes

    @property
    def other(self) -> bool:
        return self.uid != os.geteuid()

    def reach(self, *paths: Path) -> None:
        """Give the folders above ``paths`` the bit that lets others pass (undone at the end)."""
        for path in paths:
            for folder in (f for f in [path, *path.parents] if f.exists()):
                mode = stat.S_IMODE(folder.stat().st_mode)
                if self.other and not mode & stat.S_IXOTH:
                    self.opened.setdefault(folder, mode)
                    folder.chmod(mode | stat.S_IXOTH)

    def own(self, *paths: Path) -> None:
        for path in paths:
            path.mkdir(parents=True, exist_ok=True)
            os.chown(path, self.uid, self.gid)

    def run(
        self, command: Sequence[str], env: Mapping[str, str], cwd: Path, timeout: float
    ) -> subprocess.CompletedProcess[str]:
        done = self._run(command, env, cwd, timeout)
        if done.returncode != 0 and self.closed_meanwhile():
            done = self._run(command, env, cwd, timeout)  # another pytest started: once more
        return done

    def closed_meanwhile(self) -> bool:
        """Whether a folder this made passable is private again. The command's start checks
        that it may write in its data folder with ``access()``, which ignores capabilities."""
        return any(not f.stat().st_mode & stat.S_IXOTH for f in self.opened if f.exists())

    def _run(
        self, command: Sequence[str], env: Mapping[str, str], cwd: Path, timeout: float
    ) -> subprocess.CompletedProcess[str]:
        switch: list[str] = []
        if self.other:
            self.reach(cwd, *(Path(arg) for arg in command if arg.startswith("/")))
            switch = ["setpriv", f"--reuid={self.uid}", f"--regid={self.gid}", "--clear-groups"]
            switch += ["--inh-caps=+dac_read_search", "--ambient-caps=+dac_read_search", "--"]
        return subprocess.run(
            [*switch, *command],
            env=dict(env),
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )


@pytest.fixture(scope="module")
def desk_user() -> Iterator[DeskUser]:
    """As root (whose writes permissions do not stop), a system user made for this module
    (``useradd``) and removed at its end; otherwise the user running the tests."""
    if os.geteuid() != 0:
        yield DeskUser(os.getuid(), os.getgid())
        return
    made = False
    try:
        pwd.getpwnam(DESK_USER)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", DESK_USER],
            check=True,
        )
        made = True
    entry = pwd.getpwnam(DESK_USER)
    user = DeskUser(entry.pw_uid, entry.pw_gid)
    try:
        yield user
    finally:
        for folder, mode in user.opened.items():
            if folder.exists():
                folder.chmod(mode)
        if made:
            subprocess.run(["userdel", DESK_USER], check=False)


def desk_environment(home: Path, **extra: str) -> dict[str, str]:
    """What a clerk's session gives a program: no Python of ours on the PATH, the user's own
    home, configuration, cache and temporary folders."""
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_CACHE_HOME": str(home / "cache"),
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_RUNTIME_DIR": str(home / "runtime"),
        "TMPDIR": str(home / "tmp"),
        "QT_QPA_PLATFORM": "offscreen",
        "QT_LOGGING_RULES": "qt.multimedia.symbolsresolver=false",  # no PipeWire: noise
    }
    return env | extra


def make_home(user: DeskUser, folder: Path) -> Path:
    home = folder / "casa"
    user.own(home, home / "config", home / "cache", home / "data", home / "tmp")
    user.own(home / "runtime")
    (home / "runtime").chmod(0o700)
    return home


def said(done: subprocess.CompletedProcess[str]) -> str:
    return f"código {done.returncode}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"


# -- the read-only bundle at a desk -------------------------------------------------------------


def test_read_only_bundle_works_for_a_clerk_and_writes_nothing_inside(
    read_only_bundle: Path, desk_user: DeskUser, tmp_path: Path
) -> None:
    oficialia = str(read_only_bundle / "oficialia")
    home = make_home(desk_user, tmp_path)
    env = desk_environment(home)
    before = snapshot(read_only_bundle)

    data = tmp_path / "autoprueba"
    desk_user.own(data)
    done = desk_user.run([oficialia, "--self-test", "--data-dir", str(data)], env, home, 180)
    assert done.returncode == 0, said(done)
    assert "(paquete)" in done.stdout and "Todo en orden" in done.stdout, said(done)

    data = tmp_path / "demo"
    desk_user.own(data)
    done = desk_user.run([oficialia, "--data-dir", str(data), "demo"], env, home, 300)
    assert done.returncode == 0, said(done)
    ocr = re.search(r"OCR: (\d+) páginas listas, 0 fallidas", done.stdout)
    assert ocr and int(ocr.group(1)) > 0, said(done)
    assert "Búsqueda «peticion»: 1 resultado(s)" in done.stdout, said(done)
    assert (data / "muestras").is_dir(), "las muestras no se generaron en la carpeta de datos"

    data, pages = tmp_path / "ventanilla", tmp_path / "escaneos"
    desk_user.own(data, pages)
    text_page(7, body_lines=6).save(pages / "pagina.jpg", dpi=(300, 300), quality=85)
    intake = [oficialia, "--data-dir", str(data), "intake", "--remitente", "María López",
              "--asunto", "Solicitud de prueba", "--area", "Tesorería", "--fojas", "1",
              str(pages / "pagina.jpg")]  # fmt: skip
    done = desk_user.run(intake, env, home, 180)
    assert done.returncode == 0, said(done)
    assert "OCR: 1 páginas listas, 0 fallidas" in done.stderr, said(done)
    folio = re.search(r"\b[A-Z0-9]+-\d{4}-[A-Z0-9]+-\d{6}\b", done.stdout)
    assert folio, said(done)
    for word in ("PRESIDENTE", "constitucional"):  # on the page only, not in sender or subject
        found = desk_user.run(
            [oficialia, "--data-dir", str(data), "search", word, "--json"], env, home, 60
        )
        assert found.returncode == 0, said(found)
        hits = json.loads(found.stdout)["hits"]
        assert [hit["folio"] for hit in hits] == [folio.group(0)], said(found)

    sane = write_sane_config(tmp_path / "sane")
    scanners = [oficialia, "--data-dir", str(data), "scanners"]
    done = desk_user.run(scanners, env | {"SANE_CONFIG_DIR": str(sane)}, home, 60)
    assert done.returncode == 0 and "test:0" in done.stdout, said(done)

    assert changes(before, snapshot(read_only_bundle)) == []


# -- the on-screen keyboard ---------------------------------------------------------------------

KEYBOARD_PROBE = """
import json, sys, time
from pathlib import Path
from kiosk import keyboard

prepared = keyboard.prepare_environment()
from PySide6.QtCore import QCoreApplication, QEventLoop
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QLineEdit, QVBoxLayout, QWidget
from mailroom.ui.shell import application


def keys(board):
    found, pending = set(), [board.rootObject()]
    while pending:
        item = pending.pop()
        pending.extend(item.childItems())
        if item.isVisible() and item.property("key") is not None and item.property("text"):
            found.add(str(item.property("text")))
    return sorted(found)


app = application()
window = QWidget()
window.resize(1920, 1080)
layout = QVBoxLayout(window)
box = QLineEdit()
layout.addWidget(box)
board = keyboard.on_screen_keyboard(window)
found = {"prepared": prepared, "module": keyboard.__file__, "loaded": board is not None}
if board is not None:
    layout.addWidget(board)
    window.show()
    window.activateWindow()  # no window manager on Xvfb to do it
    box.setFocus()
    QCoreApplication.processEvents()
    QGuiApplication.inputMethod().show()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not (board.isVisible() and "ñ" in keys(board)):
        QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
    found |= {"layout": board.item_property("layoutName"), "keys": keys(board),
              "shown": board.isVisible()}
    board.set_language("en_US")
    found["english"] = board.item_property("language")
Path(sys.argv[1]).write_text(json.dumps(found), encoding="utf-8")
"""


def test_kiosk_keyboard_loads_from_the_bundle(
    read_only_bundle: Path, desk_user: DeskUser, display: str, tmp_path: Path
) -> None:
    home = make_home(desk_user, tmp_path)
    probe, out = tmp_path / "teclado.py", home / "teclado.json"
    probe.write_text(KEYBOARD_PROBE, encoding="utf-8")
    env = desk_environment(
        home, DISPLAY=display, QT_QPA_PLATFORM="xcb", OFICIALIA_BUNDLE_PROBE=str(probe)
    )
    before = snapshot(read_only_bundle)
    done = desk_user.run([str(read_only_bundle / "oficialia"), str(out)], env, home, 90)
    assert done.returncode == 0 and out.exists(), said(done)
    found = json.loads(out.read_text(encoding="utf-8"))
    assert found["module"].startswith(str(read_only_bundle)), found
    assert found["prepared"] and found["loaded"], said(done)
    assert found["layout"].endswith("/es_MX/main.qml") and found["shown"], found
    assert {"ñ", "a", "z"} <= set(found["keys"]), found
    assert found["english"] == "en_US", found
    assert changes(before, snapshot(read_only_bundle)) == []  # the QML cache went to the home


# -- a damaged copy -----------------------------------------------------------------------------


@pytest.mark.parametrize(("command", "platform"), [("mailroom", "offscreen"), ("kiosk", "xcb")])
def test_missing_platform_plugin_is_said_in_spanish(
    bundle_dir: Path, tmp_path: Path, command: str, platform: str
) -> None:
    damaged = tmp_path / "oficialia"
    subprocess.run(["cp", "-al", str(bundle_dir), str(damaged)], check=True)  # hard links
    platforms = damaged / "_internal" / "PySide6" / "Qt" / "plugins" / "platforms"
    for name in ("libqoffscreen.so", "libqxcb.so"):
        (platforms / name).unlink()  # the link in the copy: the bundle keeps its file
    home = tmp_path / "casa"
    home.mkdir()
    env = desk_environment(home, QT_QPA_PLATFORM=platform)
    done = subprocess.run(
        [str(damaged / "oficialia"), "--data-dir", str(tmp_path / "datos"), command],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == MISSING_PLUGIN_EXIT, said(done)
    assert "No se encontró el complemento de Qt" in done.stderr + done.stdout, said(done)
    assert platform in done.stderr + done.stdout, said(done)
    assert (bundle_dir / "_internal/PySide6/Qt/plugins/platforms/libqxcb.so").is_file()


# -- what is inside -----------------------------------------------------------------------------

CONTENTS_PROBE = """
import importlib.util, json, sys
from pathlib import Path
found = {name: importlib.util.find_spec(name) is not None for name in sys.argv[2:]}
Path(sys.argv[1]).write_text(json.dumps(found), encoding="utf-8")
"""


def test_bundle_holds_what_the_apps_need_and_nothing_of_the_backend_or_tests(
    bundle_dir: Path, tmp_path: Path
) -> None:
    internal = bundle_dir / "_internal"
    resources = ROOT / "resources"
    shipped = [
        *(resources / "trust").rglob("*"),
        *(resources / "fonts").rglob("*"),
        *(resources / "privacy").rglob("*"),
        *(resources / "passwords").rglob("*"),
        *(resources / "i18n").glob("*.qm"),
        *(ROOT / "mailroom" / "ui" / "translations").glob("*.qm"),
    ]
    for source in (path for path in shipped if path.is_file()):
        copy = internal / source.relative_to(ROOT)
        assert copy.is_file() and copy.read_bytes() == source.read_bytes(), copy
    assert list((internal / "resources" / "trust" / "sat").glob("*.cer"))
    for name in ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSansMono.ttf"):
        assert (internal / "resources" / "fonts" / name).is_file(), name
    assert (internal / "resources" / "VERSION").read_text("utf-8").strip() == VERSION
    assert (internal / "kiosk" / "keyboard.qml").is_file()
    qt = internal / "PySide6" / "Qt"
    assert (qt / "plugins" / "platforminputcontexts" / "libqtvirtualkeyboardplugin.so").is_file()
    assert (qt / "qml" / "QtQuick" / "VirtualKeyboard" / "InputPanel.qml").is_file()
    assert (qt / "qml" / "QtQuick" / "VirtualKeyboard" / "Layouts" / "qmldir").is_file()
    assert (qt / "translations" / "qtbase_es.qm").is_file()
    for plugin in ("libqxcb.so", "libqwayland.so", "libqoffscreen.so"):
        assert (qt / "plugins" / "platforms" / plugin).is_file(), plugin
    for folder in ("imageformats", "multimedia", "texttospeech", "printsupport"):
        assert any((qt / "plugins" / folder).iterdir()), folder
    # Only the QML modules the keyboard needs, and Qt's translations only in Spanish and English.
    modules = {p.parent.relative_to(qt / "qml").as_posix() for p in (qt / "qml").rglob("qmldir")}
    assert not {
        m
        for m in modules
        if m.startswith(("QtQuick/Controls", "QtQuick3D", "QtWeb", "Qt3D", "QtCharts"))
    }, modules
    assert not [
        p.name for p in (qt / "translations").iterdir() if not re.search(r"_(es|en)\.qm$", p.name)
    ]
    top = {path.name for path in internal.iterdir()}
    assert not top & {*NOT_SHIPPED, "libQt6WebEngineCore.so.6"}, top
    assert not (internal / "sync" / "server").exists()

    probe, out = tmp_path / "modulos.py", tmp_path / "modulos.json"
    probe.write_text(CONTENTS_PROBE, encoding="utf-8")
    wanted = ("sync.client", "kiosk.keyboard", "mailroom.ui.app", "signing.stamp", "sane")
    done = subprocess.run(
        [str(bundle_dir / "oficialia"), str(out), *NOT_SHIPPED, *wanted],
        env=desk_environment(tmp_path, OFICIALIA_BUNDLE_PROBE=str(probe)),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, said(done)
    found = json.loads(out.read_text(encoding="utf-8"))
    assert [name for name in NOT_SHIPPED if found[name]] == []
    assert all(found[name] for name in wanted), found


def test_every_library_in_the_bundle_loads(bundle_dir: Path) -> None:
    """Each shared object's libraries are found, in the bundle (as the bootloader sets the
    search path) or on the system: none was pruned that something kept needs."""
    internal = bundle_dir / "_internal"
    env = {"PATH": "/usr/bin:/bin", "LD_LIBRARY_PATH": str(internal)}
    missing = []
    for path in internal.rglob("*.so*"):
        if path.is_symlink() or not path.is_file():
            continue
        done = subprocess.run(["ldd", str(path)], env=env, capture_output=True, text=True)
        missing += [f"{path.relative_to(internal)}: {line.strip()}"
                    for line in done.stdout.splitlines() if "not found" in line]  # fmt: skip
    assert missing == []


def test_bundle_fits_in_250_mb(bundle_dir: Path) -> None:
    files = [p for p in bundle_dir.rglob("*") if p.is_file() and not p.is_symlink()]
    total = sum(p.stat().st_size for p in files)
    assert total <= SIZE_LIMIT_BYTES, f"{total / 1e6:.1f} MB en {len(files)} archivos"


def test_version_is_pyprojects(bundle_dir: Path, tmp_path: Path) -> None:
    done = subprocess.run(
        [str(bundle_dir / "oficialia"), "--version"],
        env=desk_environment(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, said(done)
    assert done.stdout.strip() == f"oficialia {VERSION}"


def test_make_bundle_rebuilds_only_when_a_source_changed(bundle_dir: Path) -> None:
    """``make bundle`` right after a build has nothing to do; a changed module (``-W``: make
    takes it as just modified, nothing is touched) would rebuild it."""

    def planned(*options: str) -> str:
        done = subprocess.run(
            ["make", "-n", *options, "bundle"], cwd=ROOT, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    assert "build-bundle.sh" not in planned()
    assert "build-bundle.sh" in planned("-W", "mailroom/entry.py")
    assert "build-bundle.sh" in planned("-W", "resources/fonts/DejaVuSans.ttf")


def test_scanners_without_the_systems_sane_are_explained(bundle_dir: Path, tmp_path: Path) -> None:
    """SANE is the system's: python-sane's extension in the bundle loads the system's libsane.
    Where it is missing (hidden here in a mount namespace of the command's own), the command
    says what to install instead of failing with Python's import error."""
    internal = bundle_dir / "_internal"
    extension = next(internal.glob("_sane*.so"))
    linked = subprocess.run(["ldd", str(extension)], capture_output=True, text=True).stdout
    found = re.search(r"libsane\.so\.1 => (\S+)", linked)
    assert found, linked
    library = Path(found.group(1)).resolve()
    assert not str(library).startswith(str(bundle_dir)), "libsane viene en el paquete"
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        pytest.skip("ocultar libsane necesita root y unshare")
    hide = 'mount --bind /dev/null "$0" || exit 111; shift; exec "$@"'
    command = [str(bundle_dir / "oficialia"), "--data-dir", str(tmp_path / "datos"), "scanners"]
    done = subprocess.run(
        ["unshare", "--mount", "sh", "-c", hide, str(library), "-", *command],
        env=desk_environment(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if done.returncode == 111:
        pytest.skip(f"no se pudo ocultar libsane aquí: {done.stderr.strip()}")
    assert done.returncode != 0, said(done)
    assert "No se encontró SANE en este equipo" in done.stderr, said(done)
    assert "apt-get install libsane1" in done.stderr, said(done)
