"""The .deb packages and the machine they are installed on, shared by tests/test_deb.py and
tests/test_apt_repo.py (a pytest plugin: ``conftest.py`` lists it).

``deb_packages``: two packages of the same bundle (``bundle_dir``, tests/bundle_fixture.py), an
older and a newer version, built once per session with installer/deb/build-deb.sh — what
``make deb`` runs. Building them also starts lintian on the older one in the background, so its
minute overlaps the install tests; ``lintian_report`` waits for it.

``machine``: these tests install the package for real, as root, on the machine that runs them
(the CI machine, or a developer's). Before a test it refuses (skips) a machine where Oficialía is
really installed or has data, and clears what an interrupted run of these tests left; after the
test, passed or failed, it purges the package with its data and removes the accounts the test
made, so the machine is left as it was.
"""

from __future__ import annotations

import grp
import os
import pwd
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BUILD_SCRIPT = ROOT / "installer" / "deb" / "build-deb.sh"
PACKAGE = "oficialia"
DATA_DIR = Path("/var/lib/oficialia")
KIOSK_HOME = Path("/var/lib/oficialia-kiosco")
CONFIG_DIR = Path("/etc/xdg/oficialia")
GROUP = "oficialia"
KIOSK_USER = "oficialia-kiosco"
# The versions these tests build carry this mark: an installed one is a leftover of a run that was
# interrupted, never an office's real installation.
TEST_MARK = "+prueba"
# The tests' folder inside the data folder: a data folder holding it is a leftover too. The test
# clerks read their scanned page and write their acuses there: it is the one place both they and
# the test reach (pytest's tmp_path is private to root, and nothing of the test is left in the
# system temp folder), and it goes with the data folder when the test purges the package.
DATA_MARK = ".prueba-del-paquete"
TEST_USERS = ("ofi-prueba-1", "ofi-prueba-2")
# No network: apt and dpkg find every dependency already installed or fail, never download.
OFFLINE = ("-o", "Dir::Etc::SourceList=/dev/null", "-o", "Dir::Etc::SourceParts=/dev/null")


@dataclass(frozen=True)
class DebBuilds:
    older: Path
    newer: Path
    older_version: str
    newer_version: str
    build_seconds: tuple[float, float]


def base_version() -> str:
    found = re.search(
        r'^version\s*=\s*"([^"]+)"', (ROOT / "pyproject.toml").read_text("utf-8"), re.M
    )
    assert found, "pyproject.toml has no version"
    return found.group(1)


def require_root() -> None:
    if os.geteuid() != 0:
        pytest.skip("instalar el paquete .deb necesita root (la CI corre como root)")


@pytest.fixture(scope="session")
def deb_packages(
    bundle_dir: Path, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[DebBuilds]:
    out = tmp_path_factory.mktemp("paquetes-deb")
    built: list[tuple[Path, float]] = []
    for version in (f"{base_version()}{TEST_MARK}1", f"{base_version()}{TEST_MARK}2"):
        started = time.monotonic()
        done = subprocess.run(
            ["bash", str(BUILD_SCRIPT), str(bundle_dir), version, str(out)],
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        built.append((out / f"{PACKAGE}_{version}_amd64.deb", time.monotonic() - started))
    builds = DebBuilds(
        older=built[0][0],
        newer=built[1][0],
        older_version=f"{base_version()}{TEST_MARK}1",
        newer_version=f"{base_version()}{TEST_MARK}2",
        build_seconds=(built[0][1], built[1][1]),
    )
    # Only when a test of this session reads its report.
    wanted = any(
        "lintian_report" in getattr(item, "fixturenames", ()) for item in request.session.items
    )
    lintian = _start_lintian(builds.older, out / "lintian.txt") if wanted else None
    yield builds
    if lintian is not None and lintian.poll() is None:
        lintian.terminate()
        lintian.wait()


_LINTIAN: dict[str, tuple[subprocess.Popen[bytes], Path]] = {}


def _start_lintian(deb: Path, report: Path) -> subprocess.Popen[bytes] | None:
    if shutil.which("lintian") is None:
        return None
    # Its own temp folder: lintian unpacks the package there, and one stopped early (a session
    # that ends first) leaves it behind.
    temp = report.parent / "lintian-tmp"
    temp.mkdir()
    with report.open("wb") as output:
        process = subprocess.Popen(
            ["lintian", "--fail-on", "error,warning", "--display-level", ">=info", str(deb)],
            stdout=output,
            stderr=subprocess.STDOUT,
            env={**os.environ, "TMPDIR": str(temp)},
        )
    _LINTIAN["older"] = (process, report)
    return process


@pytest.fixture(scope="session")
def lintian_report(deb_packages: DebBuilds) -> tuple[int, str]:
    """lintian's exit code and its report on the older package (waits for the background run)."""
    if "older" not in _LINTIAN:
        pytest.fail("lintian no está instalado: bash installer/packaging-packages.sh")
    process, report = _LINTIAN["older"]
    process.wait(timeout=900)
    return process.returncode, report.read_text(encoding="utf-8", errors="replace")


# -- the machine ------------------------------------------------------------------------------


def root_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(DEBIAN_FRONTEND="noninteractive", LC_ALL="C.UTF-8", LANG="C.UTF-8")
    return env


def run_root(
    *command: str, check: bool = True, timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        list(command), capture_output=True, text=True, env=root_env(), timeout=timeout
    )
    if check:
        assert done.returncode == 0, f"{' '.join(command)}\n{done.stdout}\n{done.stderr}"
    return done


def apt_get(*arguments: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """apt-get with no sources (see OFFLINE) and a patient wait for dpkg's lock."""
    return run_root(
        "apt-get", "-y", "-o", "DPkg::Lock::Timeout=300", *OFFLINE, *arguments, check=check
    )


def installed_version() -> str | None:
    done = run_root("dpkg-query", "-W", "-f=${Status} ${Version}", PACKAGE, check=False)
    fields = done.stdout.split()
    if done.returncode != 0 or fields[:3] != ["install", "ok", "installed"]:
        return None
    return fields[3]


def known_to_dpkg() -> bool:
    """Installed, or removed with its configuration left (the "rc" state)."""
    done = run_root("dpkg-query", "-W", "-f=${db:Status-Abbrev}", PACKAGE, check=False)
    return done.returncode == 0 and done.stdout[:2] in ("ii", "rc", "iU", "iF", "iH", "rH")


def preseed(*lines: str) -> None:
    subprocess.run(
        ["debconf-set-selections"],
        input="".join(f"{PACKAGE} {line}\n" for line in lines),
        text=True,
        check=True,
        env=root_env(),
    )


def _exists(kind: str, name: str) -> bool:
    try:
        (grp.getgrnam if kind == "group" else pwd.getpwnam)(name)
    except KeyError:
        return False
    return True


def _leftover() -> bool:
    version = installed_version()
    return (version is not None and TEST_MARK in version) or (DATA_DIR / DATA_MARK).exists()


class Machine:
    """What the tests changed on the machine, and how to undo it."""

    def __init__(self) -> None:
        if _leftover():
            self._clean(accounts=True)
        version = installed_version()
        if version is not None or known_to_dpkg():
            pytest.skip(
                f"Oficialía ya está instalado en esta máquina ({version or 'configuración'}): "
                "la prueba lo desinstalaría con sus datos; pruebe en otra máquina"
            )
        for folder in (DATA_DIR, KIOSK_HOME, CONFIG_DIR):
            if folder.exists():
                pytest.skip(f"{folder} ya existe: la prueba lo borraría")
        for name in TEST_USERS:
            if _exists("user", name):
                pytest.skip(f"ya existe el usuario {name}, que la prueba crea y borra")
        self.had_group = _exists("group", GROUP)
        self.had_kiosk_user = _exists("user", KIOSK_USER)

    def mark_data_dir(self) -> Path:
        """The tests' folder in the data folder (see DATA_MARK), shared like the rest of it."""
        mark = DATA_DIR / DATA_MARK
        mark.mkdir()
        os.chown(mark, 0, grp.getgrnam(GROUP).gr_gid)
        mark.chmod(0o2770)
        return mark

    def add_user(self, name: str) -> pwd.struct_passwd:
        run_root(
            "useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin",
            "--groups", GROUP, name,
        )  # fmt: skip
        return pwd.getpwnam(name)

    def restore(self) -> None:
        self._clean(accounts=False)
        if not self.had_kiosk_user and _exists("user", KIOSK_USER):
            run_root("userdel", KIOSK_USER)
        if not self.had_group and _exists("group", GROUP):
            run_root("groupdel", GROUP)

    @staticmethod
    def _clean(accounts: bool) -> None:
        if known_to_dpkg():
            preseed("oficialia/purge-data boolean true")
            if apt_get("purge", PACKAGE, check=False).returncode != 0:
                run_root("dpkg", "--purge", "--force-all", PACKAGE, check=False)
        for folder in (DATA_DIR, KIOSK_HOME, CONFIG_DIR):
            shutil.rmtree(folder, ignore_errors=True)
        # Links of a kiosk the test enabled, if it stopped before purge could take them.
        for link in Path("/etc/systemd/system").glob("*.wants/oficialia-kiosk.service"):
            link.unlink()
        # The answers preseeded by the tests (office, device, purge) go with the package.
        run_root("sh", "-c", f"echo PURGE | debconf-communicate {PACKAGE}", check=False)
        for name in TEST_USERS:
            if _exists("user", name):
                run_root("userdel", name)
        if accounts:
            if _exists("user", KIOSK_USER):
                run_root("userdel", KIOSK_USER)
            if _exists("group", GROUP):
                run_root("groupdel", GROUP)


@pytest.fixture
def machine() -> Iterator[Machine]:
    require_root()
    for tool in ("apt-get", "dpkg-query", "debconf-set-selections", "useradd"):
        if shutil.which(tool) is None:
            pytest.fail(f"falta {tool}: bash installer/packaging-packages.sh")
    state = Machine()
    try:
        yield state
    finally:
        state.restore()
