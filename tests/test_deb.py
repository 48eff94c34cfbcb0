"""The Debian/Ubuntu package (`make deb`, installer/deb/) as an admin and the clerks meet it:
installed with apt on this machine, used by two clerks of the oficialia group, upgraded, removed
and purged, and checked by lintian. Installing needs root (CI runs as root); the machine is left
as it was (tests/deb_fixture.py)."""

from __future__ import annotations

import configparser
import grp
import hashlib
import json
import os
import pty
import pwd
import re
import select
import shutil
import stat
import subprocess
import time
import tomllib
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.deb_fixture import (
    CONFIG_DIR,
    DATA_DIR,
    DATA_MARK,
    GROUP,
    KIOSK_HOME,
    KIOSK_USER,
    OFFLINE,
    PACKAGE,
    ROOT,
    TEST_USERS,
    DebBuilds,
    Machine,
    apt_get,
    installed_version,
    known_to_dpkg,
    preseed,
    root_env,
    run_root,
)
from tests.scanned_pages import text_page

DEB = ROOT / "installer" / "deb"
UNIT = Path("/lib/systemd/system/oficialia-kiosk.service")
CONFIG = CONFIG_DIR / "config.toml"


@dataclass(frozen=True)
class Clerk:
    """An unprivileged account in the oficialia group, running the installed `oficialia` as a
    clerk's session would (no home folder: a system account)."""

    name: str

    def run(self, *arguments: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        account = pwd.getpwnam(self.name)
        done = subprocess.run(
            ["oficialia", *arguments],
            user=account.pw_uid,
            group=account.pw_gid,
            extra_groups=os.getgrouplist(self.name, account.pw_gid),
            env={
                "PATH": "/usr/bin:/bin",
                "HOME": "/nonexistent",
                "LANG": "C.UTF-8",
                "USER": self.name,
                "LOGNAME": self.name,
            },
            cwd="/",
            capture_output=True,
            text=True,
            timeout=300,
        )
        if check:
            assert done.returncode == 0, f"{self.name}: oficialia {arguments}\n{done.stderr}"
        return done


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _timed_apt(*arguments: str) -> tuple[subprocess.CompletedProcess[str], float]:
    started = time.monotonic()
    done = apt_get(*arguments)
    return done, time.monotonic() - started


# -- install, share, upgrade, remove, purge -----------------------------------------------------


def test_install_share_upgrade_remove_and_purge(deb_packages: DebBuilds, machine: Machine) -> None:
    # What a mass deployment preseeds; postinst writes it into the machine-wide configuration.
    preseed("oficialia/office string PRB", "oficialia/device string D07")
    _, install_seconds = _timed_apt("install", str(deb_packages.older))
    scratch = machine.mark_data_dir()
    assert installed_version() == deb_packages.older_version
    _check_installed_files()
    _check_accounts_and_data_dir()
    _check_configuration()
    _check_kiosk_unit_installed_not_enabled()
    # On a kiosk the admin turns it on; no upgrade may turn it off, and purge takes the links.
    kiosk_links = _enable_the_kiosk()
    for name in TEST_USERS:
        machine.add_user(name)
    clerk, colleague = (Clerk(name) for name in TEST_USERS)
    assert clerk.run("--version").stdout.strip() == f"oficialia {deb_packages.older_version}"
    folio = _register_and_share(clerk, colleague, scratch)
    acuse = _sha256(scratch / "acuse.pdf")
    config = CONFIG.read_bytes()

    _, upgrade_seconds = _timed_apt("install", str(deb_packages.newer))
    assert installed_version() == deb_packages.newer_version
    assert clerk.run("--version").stdout.strip() == f"oficialia {deb_packages.newer_version}"
    shown = json.loads(clerk.run("show", "--json", folio).stdout)
    assert shown["sender"]["name"] == "Ana López Ruiz"
    clerk.run("acuse", folio, "-o", str(scratch / "acuse-actualizado.pdf"))
    assert _sha256(scratch / "acuse-actualizado.pdf") == acuse
    assert CONFIG.read_bytes() == config, "an upgrade rewrote the configuration"
    assert all(link.is_symlink() for link in kiosk_links), "an upgrade disabled the kiosk"
    _check_accounts_and_data_dir()

    _remove_and_purge(deb_packages, clerk, folio, kiosk_links)
    print(
        f"\n.deb: {deb_packages.older.stat().st_size / 1e6:.0f} MB; armado "
        f"{deb_packages.build_seconds[0]:.1f} s y {deb_packages.build_seconds[1]:.1f} s; "
        f"instalación {install_seconds:.1f} s; actualización {upgrade_seconds:.1f} s"
    )


def _register_and_share(clerk: Clerk, colleague: Clerk, scratch: Path) -> str:
    """The clerk registers a scanned page and keeps its acuse (acuse.pdf); a colleague of the
    group finds it, by its text too, and registers another in the same folder."""
    page = scratch / "escrito.png"
    text_page(11).save(page)
    page.chmod(0o660)
    registered = clerk.run(
        "intake", "--json", "--remitente", "Ana López Ruiz",
        "--asunto", "Solicitud de poda de árboles", str(page),
    )  # fmt: skip
    folio = json.loads(registered.stdout)["folio"]
    # The office and device come from the preseeded answers, through /etc/xdg/oficialia.
    assert re.fullmatch(r"PRB-\d{4}-D07-000001", folio), folio
    clerk.run("acuse", folio, "-o", str(scratch / "acuse.pdf"))
    for done in (colleague.run("list"), colleague.run("search", "presidente")):
        assert folio in done.stdout, done.stdout
        assert "Aviso" not in done.stderr, done.stderr
    second = colleague.run(
        "intake", "--json", "--sin-esperar-ocr", "--motivo-duplicado", "copia de prueba",
        "--remitente", "Luis Mora", "--asunto", "Queja vecinal", str(page),
    )  # fmt: skip
    assert json.loads(second.stdout)["folio"].endswith("-000002"), second.stdout
    _check_everything_shared()
    return folio


def _remove_and_purge(deb_packages: DebBuilds, clerk: Clerk, folio: str, links: list[Path]) -> None:
    apt_get("remove", PACKAGE)
    assert not Path("/opt/oficialia").exists() and not Path("/usr/bin/oficialia").exists()
    assert (DATA_DIR / "oficialia.sqlite3").is_file() and (DATA_DIR / DATA_MARK).exists()
    assert CONFIG.is_file(), "remove took the configuration; only purge does"

    # Nobody answered: a noninteractive purge keeps the data and says where it is.
    kept = apt_get("purge", PACKAGE)
    assert not known_to_dpkg()
    assert (DATA_DIR / "oficialia.sqlite3").is_file()
    assert f"se conservaron los datos de Oficialía en {DATA_DIR}" in kept.stdout + kept.stderr
    assert not CONFIG_DIR.exists(), "purge leaves /etc/xdg/oficialia"
    assert not any(link.is_symlink() for link in links), "purge left the kiosk's links"

    # Installed again over the kept folder: the filings are there. An admin who purges at a
    # terminal is asked, and "no" keeps them.
    apt_get("install", str(deb_packages.older))
    assert json.loads(clerk.run("show", "--json", folio).stdout)["folio"] == folio
    asked = _purge_at_a_terminal(answer="no")
    assert "¿Borrar también los escritos, acuses y demás datos de Oficialía?" in asked, asked
    assert (DATA_DIR / "oficialia.sqlite3").is_file() and not known_to_dpkg()

    # Answered beforehand (as a deployment tool would): the data goes.
    apt_get("install", str(deb_packages.older))
    KIOSK_HOME.mkdir()  # as systemd's StateDirectory= makes it when the kiosk first runs
    preseed("oficialia/purge-data boolean true")
    gone = apt_get("purge", PACKAGE)
    assert "se borraron los datos de Oficialía" in gone.stdout + gone.stderr
    assert not DATA_DIR.exists() and not KIOSK_HOME.exists()


def _purge_at_a_terminal(answer: str) -> str:
    """`apt-get purge` at a terminal (debconf's readline frontend on a pseudo-terminal), giving
    `answer` to the question it asks; what the terminal showed."""
    controller, terminal = pty.openpty()
    purge = subprocess.Popen(
        ["apt-get", "-y", *OFFLINE, "purge", PACKAGE],
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
        env={**root_env(), "DEBIAN_FRONTEND": "readline", "TERM": "dumb"},
        start_new_session=True,
    )
    os.close(terminal)
    shown, answered, deadline = b"", False, time.monotonic() + 300
    while time.monotonic() < deadline:
        if not select.select([controller], [], [], 1)[0]:
            if purge.poll() is not None:
                break
            continue
        try:
            chunk = os.read(controller, 4096)
        except OSError:  # the terminal closed: apt-get is done
            break
        if not chunk:
            break
        shown += chunk
        if not answered and b"[yes/no]" in shown:
            os.write(controller, answer.encode() + b"\n")
            answered = True
    os.close(controller)
    assert purge.wait(timeout=60) == 0, shown.decode(errors="replace")
    return shown.decode(errors="replace")


def _check_installed_files() -> None:
    command = Path("/usr/bin/oficialia")
    assert command.is_symlink() and os.readlink(command) == "/opt/oficialia/oficialia"
    assert shutil.which("oficialia", path="/usr/bin") == str(command)
    assert os.access("/opt/oficialia/oficialia", os.X_OK)
    for icon, name, command_line in (
        ("oficialia-ventanilla", "Oficialía — Ventanilla", "oficialia mailroom"),
        ("oficialia-quiosco", "Oficialía — Quiosco", "oficialia kiosk"),
    ):
        entry = configparser.ConfigParser(interpolation=None)
        entry.optionxform = str  # type: ignore[assignment,method-assign]  # keys keep their case
        entry.read(f"/usr/share/applications/{icon}.desktop", encoding="utf-8")
        section = entry["Desktop Entry"]
        assert (section["Name"], section["Exec"], section["Icon"]) == (name, command_line, icon)
        assert "Office" in section["Categories"].split(";")
        svg = ElementTree.parse(f"/usr/share/icons/hicolor/scalable/apps/{icon}.svg").getroot()
        assert svg.tag == "{http://www.w3.org/2000/svg}svg"


def _check_accounts_and_data_dir() -> None:
    folder = DATA_DIR.stat()
    assert (folder.st_uid, folder.st_gid) == (0, grp.getgrnam(GROUP).gr_gid)
    assert stat.S_IMODE(folder.st_mode) == 0o2770, oct(folder.st_mode)
    kiosk = pwd.getpwnam(KIOSK_USER)
    assert kiosk.pw_uid < 1000 and kiosk.pw_gid == folder.st_gid
    assert (kiosk.pw_dir, kiosk.pw_shell) == (str(KIOSK_HOME), "/usr/sbin/nologin")


def _check_configuration() -> None:
    settings = tomllib.loads(CONFIG.read_text(encoding="utf-8"))
    assert (settings["office"], settings["device"]) == ("PRB", "D07")
    conffiles = run_root("dpkg-query", "-W", "-f=${Conffiles}", PACKAGE).stdout
    assert conffiles.strip() == "", f"the package has conffiles: {conffiles}"
    owner = run_root("dpkg", "-S", str(CONFIG), check=False)
    assert owner.returncode != 0, f"dpkg owns {CONFIG}: {owner.stdout}"


def _check_kiosk_unit_installed_not_enabled() -> None:
    assert UNIT.is_file()
    assert not list(Path("/etc/systemd/system").glob("*.wants/oficialia-kiosk.service"))
    if shutil.which("systemctl"):
        enabled = run_root("systemctl", "is-enabled", UNIT.name, check=False)
        assert enabled.stdout.strip() == "disabled", enabled.stdout + enabled.stderr


def _enable_the_kiosk() -> list[Path]:
    """`systemctl enable` as an admin would (it only makes links: no systemd needs to run)."""
    if shutil.which("systemctl") is None:
        pytest.fail("systemctl no está instalado (paquete systemd)")
    run_root("systemctl", "enable", UNIT.name)
    links = list(Path("/etc/systemd/system").glob(f"*.wants/{UNIT.name}"))
    assert links, "systemctl enable made no link"
    return links


def _check_everything_shared() -> None:
    """What one clerk wrote the others can use: every folder is the group's to write in, every
    file the group's to read, and the database the group's to write; nothing is open to others."""
    gid = DATA_DIR.stat().st_gid
    for path in [DATA_DIR, *DATA_DIR.rglob("*")]:
        info = path.lstat()
        if stat.S_ISLNK(info.st_mode):
            continue
        if stat.S_ISDIR(info.st_mode):
            wanted = stat.S_IRWXG
        elif path.name.startswith("oficialia.sqlite3"):
            wanted = stat.S_IRGRP | stat.S_IWGRP
        else:
            wanted = stat.S_IRGRP
        assert info.st_gid == gid and info.st_mode & wanted == wanted, (
            f"{path}: {stat.filemode(info.st_mode)}, grupo {info.st_gid}"
        )
        assert not info.st_mode & stat.S_IRWXO, f"{path} is open to others"


# -- the package's contents ---------------------------------------------------------------------


def test_lintian_reports_nothing_but_the_explained_overrides(
    lintian_report: tuple[int, str],
) -> None:
    """No error or warning from lintian but those overridden in installer/deb/lintian-overrides,
    each under a comment saying why, and no override left that matches nothing."""
    returncode, report = lintian_report
    complaints = [
        line
        for line in report.splitlines()
        if line[:2] in ("E:", "W:") or "unused-override" in line or "mismatched-override" in line
    ]
    assert returncode == 0 and complaints == [], "\n".join(complaints) or report[-3000:]
    for line, comment_above in _overrides():
        assert comment_above, f"lintian-overrides: «{line}» has no comment saying why"


def _overrides() -> list[tuple[str, bool]]:
    found, comment = [], False
    for line in (DEB / "lintian-overrides").read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            comment = True
        elif line.strip():
            found.append((line, comment))
        else:
            comment = False
    return found


def test_the_package_asks_for_the_libraries_the_bundle_links(
    deb_packages: DebBuilds, bundle_dir: Path
) -> None:
    """Every shared library an ELF file of the bundle needs and the bundle does not carry comes
    from a package the .deb names in Depends (on this machine's packages): not through another
    package's dependencies, which differ between Debian and Ubuntu releases. Optional plugins,
    loaded only where their libraries exist, are the listed exceptions."""
    optional = ("platformthemes/libqgtk3.so",)  # GTK's theme: only on a GTK desktop, which has it
    depends = set(_names(run_root("dpkg-deb", "-f", str(deb_packages.older), "Depends").stdout))
    needed = _external_libraries(bundle_dir, optional)
    owners = _owners(sorted(needed))
    missing = {
        soname: sorted(needed[soname])[:3]
        for soname in needed
        if owners.get(soname) is None or owners[soname] not in depends
    }
    assert missing == {}, "\n".join(
        f"{soname} ({owners.get(soname) or 'no instalada'}) que piden {users}"
        for soname, users in missing.items()
    )


def _external_libraries(bundle: Path, optional: tuple[str, ...]) -> dict[str, set[str]]:
    files = [p for p in bundle.rglob("*") if p.is_file() and not p.is_symlink()]
    carried = {p.name for p in bundle.rglob("*")}
    elf = [p for p in files if p.open("rb").read(4) == b"\x7fELF"]
    needed: dict[str, set[str]] = {}
    done = subprocess.run(
        ["readelf", "-d", "-W", *map(str, elf)], capture_output=True, text=True, check=True
    )
    current = ""
    for line in done.stdout.splitlines():
        if line.startswith("File: "):
            current = line[len("File: ") :]
        elif "(NEEDED)" in line and not current.endswith(optional):
            soname = line.split("[", 1)[1].rstrip("]")
            if soname not in carried:
                needed.setdefault(soname, set()).add(str(Path(current).relative_to(bundle)))
    return needed


def _owners(sonames: list[str]) -> dict[str, str | None]:
    cache = subprocess.run(["ldconfig", "-p"], capture_output=True, text=True, check=True).stdout
    paths: dict[str, str] = {}
    for line in cache.splitlines():
        name, _, path = line.strip().partition(" => ")
        soname = name.split(" ", 1)[0]
        if soname in sonames and "x86-64" in name and soname not in paths:
            paths[soname] = os.path.realpath(path)
    for soname in set(sonames) - paths.keys():
        # A file the loader finds by name in the default folders without a cache entry (Debian's
        # libbz2.so.1, whose own soname is libbz2.so.1.0).
        for folder in ("/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib", "/usr/lib"):
            if os.path.exists(f"{folder}/{soname}"):
                paths[soname] = os.path.realpath(f"{folder}/{soname}")
                break
    owners: dict[str, str | None] = dict.fromkeys(sonames)
    for soname, path in paths.items():
        for candidate in (path, re.sub(r"^/usr/lib/", "/lib/", path)):
            done = subprocess.run(["dpkg", "-S", candidate], capture_output=True, text=True)
            if done.returncode == 0:
                owners[soname] = done.stdout.split(":", 1)[0]
                break
    return owners


def _names(field: str) -> list[str]:
    return [
        re.split(r"[\s(:]", alternative.strip(), maxsplit=1)[0]
        for group in field.split(",")
        for alternative in group.split("|")
        if alternative.strip()
    ]


def test_the_packaged_unit_shares_the_data_folder_through_the_group(tmp_path: Path) -> None:
    text = (DEB / "oficialia-kiosk.service").read_text(encoding="utf-8")
    keys = [line.partition("=") for line in text.splitlines() if line and line[0] not in "#;["]
    values = {key: value for key, _, value in keys}
    assert (values["User"], values["Group"]) == (KIOSK_USER, GROUP)
    assert values["ExecStart"] == "/usr/bin/cage -s -- /usr/bin/oficialia kiosk"
    # StateDirectory= would chown the clerks' shared folder to the kiosk's user.
    assert values["StateDirectory"] == "oficialia-kiosco"
    assert "/var/lib/oficialia" in values["ReadWritePaths"].split()
    original = (ROOT / "installer" / "oficialia-kiosk.service").read_text(encoding="utf-8")
    for kept in ("Type=notify", "WatchdogSec=30", "RestartPreventExitStatus=10", "PAMName=login"):
        assert kept in original and kept in text
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed: the unit was only parsed")
    copy = tmp_path / "oficialia-kiosk.service"
    copy.write_text(text, encoding="utf-8")
    done = subprocess.run(
        [analyze, "verify", "--man=no", str(copy)], capture_output=True, text=True, timeout=60
    )
    # cage and the unit's user need not exist where the tests run; anything else counts.
    trouble = [
        line
        for line in (done.stdout + done.stderr).splitlines()
        if "/usr/bin/cage" not in line and "/usr/bin/oficialia" not in line and line.strip()
    ]
    assert trouble == [], "\n".join(trouble)


def test_the_packaging_scripts_pass_shellcheck() -> None:
    shellcheck = shutil.which("shellcheck")
    if shellcheck is None:
        pytest.fail("shellcheck no está instalado: bash installer/packaging-packages.sh")
    scripts = [DEB / "debian" / name for name in ("config", "postinst", "prerm", "postrm")]
    done = subprocess.run(
        [shellcheck, "--shell=sh", *map(str, scripts)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout
    bash_scripts = [
        DEB / "build-deb.sh",
        ROOT / "installer" / "apt-repo" / "build-repo.sh",
        ROOT / "installer" / "apt-repo" / "make-signing-key.sh",
        ROOT / "installer" / "packaging-packages.sh",
    ]
    done = subprocess.run([shellcheck, *map(str, bash_scripts)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout


@pytest.mark.parametrize(
    ("version", "bundle", "message"),
    [
        ("1.0 beta", "bundle", "la versión «1.0 beta» no es válida"),
        ("0.2.0", "missing", "Arme antes el bundle: make bundle"),
    ],
)
def test_the_build_says_what_is_wrong(
    tmp_path: Path, version: str, bundle: str, message: str
) -> None:
    folder = tmp_path / "bundle"
    (folder / "_internal" / "resources").mkdir(parents=True)
    (folder / "oficialia").write_text("#!/bin/sh\n", encoding="utf-8")
    (folder / "oficialia").chmod(0o755)
    done = subprocess.run(
        ["bash", str(DEB / "build-deb.sh"), str(tmp_path / bundle), version, str(tmp_path / "out")],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1 and message in done.stderr, done.stderr
    assert not list(tmp_path.rglob("*.deb"))
