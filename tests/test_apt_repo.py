"""The signed apt repository a state publishes updates in (installer/apt-repo/): made with the
scripts an admin runs, served on 127.0.0.1, and used by apt as a counter PC would, through a
private apt configuration (its own sources, lists and cache under tmp_path) so the machine's own
sources are never read or changed. Installing needs root; the machine is left as it was
(tests/deb_fixture.py)."""

from __future__ import annotations

import email.utils
import functools
import os
import shutil
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.deb_fixture import PACKAGE, ROOT, DebBuilds, Machine, installed_version, root_env

SCRIPTS = ROOT / "installer" / "apt-repo"
POOL = Path("pool/main/o/oficialia")


@dataclass(frozen=True)
class Keys:
    home: Path
    public: Path  # the state's key, as the PCs install it
    fingerprint: str
    intruder: str  # another key in the same GnuPG home


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base's name
        pass


@pytest.fixture
def gnupg_home(tmp_path: Path) -> Iterator[Path]:
    home = tmp_path / "gnupg"
    home.mkdir(mode=0o700)
    yield home
    # The agent gpg started for this home, and nothing else.
    subprocess.run(["gpgconf", "--kill", "all"], env={**os.environ, "GNUPGHOME": str(home)})


def _make_key(home: Path, name: str, address: str, out: Path) -> str:
    done = subprocess.run(
        ["bash", str(SCRIPTS / "make-signing-key.sh"), "--sin-contrasena", name, address, str(out)],
        env={**os.environ, "GNUPGHOME": str(home)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return next(line.split()[-1] for line in done.stdout.splitlines() if line.startswith("Huella"))


@pytest.fixture
def keys(gnupg_home: Path, tmp_path: Path) -> Keys:
    state = tmp_path / "llave-estado"
    fingerprint = _make_key(gnupg_home, "Oficialía Estado de Prueba", "apt@prueba.example", state)
    intruder = _make_key(gnupg_home, "Alguien Más", "otro@prueba.example", tmp_path / "otra")
    return Keys(gnupg_home, state / "oficialia-archivo.gpg", fingerprint, intruder)


def publish(keys: Keys, repo: Path, key: str, *debs: Path, valid_days: int | None = None) -> str:
    command = ["bash", str(SCRIPTS / "build-repo.sh")]
    if valid_days is not None:
        command += ["--vigencia", str(valid_days)]
    done = subprocess.run(
        [*command, str(repo), key, *map(str, debs)],
        env={**os.environ, "GNUPGHOME": str(keys.home)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """The repository folder and its address on 127.0.0.1."""
    repo = tmp_path / "repositorio"
    repo.mkdir()
    server = ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(repo))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield repo, f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


class PrivateApt:
    """apt-get as a PC with the state's repository configured would run it, with nothing of the
    machine's apt configuration but the installed packages (dpkg's database)."""

    def __init__(self, folder: Path, url: str, keyring: Path) -> None:
        for sub in ("lists/partial", "archives/partial", "cache", "sources.list.d", "keyrings"):
            (folder / sub).mkdir(parents=True, exist_ok=True)
        for sub in ("trusted.gpg.d", "preferences.d", "apt.conf.d"):
            (folder / sub).mkdir(exist_ok=True)
        installed = folder / "keyrings" / "oficialia-archivo.gpg"
        shutil.copyfile(keyring, installed)
        (folder / "sources.list").write_text(
            f"deb [signed-by={installed}] {url} estable main\n", encoding="utf-8"
        )
        settings = {
            "Dir::Etc::SourceList": folder / "sources.list",
            "Dir::Etc::SourceParts": folder / "sources.list.d",
            "Dir::Etc::Trusted": folder / "trusted.gpg",
            "Dir::Etc::TrustedParts": folder / "trusted.gpg.d",
            "Dir::Etc::Preferences": folder / "preferences",
            "Dir::Etc::PreferencesParts": folder / "preferences.d",
            "Dir::Etc::Parts": folder / "apt.conf.d",
            "Dir::State::Lists": folder / "lists",
            "Dir::State::extended_states": folder / "extended_states",
            "Dir::Cache": folder / "cache",
            "Dir::Cache::Archives": folder / "archives",
            "APT::Sandbox::User": "root",  # the folders are root's, under tmp_path
            "Acquire::Languages": "none",
            "Acquire::http::Proxy": "DIRECT",
            "Acquire::Retries": "0",
            "DPkg::Lock::Timeout": "300",
        }
        self.config = folder / "apt.conf"
        self.config.write_text(
            "".join(f'{key} "{value}";\n' for key, value in settings.items()), encoding="utf-8"
        )

    def run(self, *arguments: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["apt-get", "-y", *arguments],
            env={**root_env(), "APT_CONFIG": str(self.config)},
            capture_output=True,
            text=True,
            timeout=600,
        )


def _ok(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout + done.stderr


def test_signed_repository_upgrades_and_refuses_what_it_did_not_sign(
    deb_packages: DebBuilds,
    machine: Machine,
    keys: Keys,
    served: tuple[Path, str],
    tmp_path: Path,
) -> None:
    repo, url = served
    publish(keys, repo, keys.fingerprint, deb_packages.older)
    apt = PrivateApt(tmp_path / "apt", url, keys.public)
    _ok(apt.run("update"))
    _ok(apt.run("install", PACKAGE))
    assert installed_version() == deb_packages.older_version

    # A Release signed by a key the PC does not trust: the update is refused, nothing upgrades.
    publish(keys, repo, keys.intruder, deb_packages.newer)
    refused = apt.run("update")
    said = refused.stdout + refused.stderr
    assert f"NO_PUBKEY {keys.intruder[-16:]}" in said, said
    assert "The repository is not updated and the previous index files will be used" in said
    _ok(apt.run("install", "--only-upgrade", PACKAGE))
    assert installed_version() == deb_packages.older_version

    # Signed again by the state's key, but the package's bytes changed after signing.
    publish(keys, repo, keys.fingerprint)
    _ok(apt.run("update"))
    published = repo / POOL / deb_packages.newer.name
    original = published.read_bytes()
    middle = len(original) // 2
    published.write_bytes(
        original[:middle] + bytes([original[middle] ^ 0xFF]) + original[middle + 1 :]
    )
    tampered = apt.run("install", "--only-upgrade", PACKAGE)
    assert tampered.returncode != 0
    assert "Hash Sum mismatch" in tampered.stdout + tampered.stderr, tampered.stderr
    assert installed_version() == deb_packages.older_version

    published.write_bytes(original)
    _ok(apt.run("install", "--only-upgrade", PACKAGE))
    assert installed_version() == deb_packages.newer_version
    version = subprocess.run(
        ["/usr/bin/oficialia", "--version"], capture_output=True, text=True, check=True
    )
    assert version.stdout.strip() == f"oficialia {deb_packages.newer_version}"


def test_indexes_can_carry_an_expiry_date(keys: Keys, tmp_path: Path) -> None:
    """--vigencia writes Valid-Until, which apt enforces; the signature covers it."""
    repo = tmp_path / "repositorio"
    publish(keys, repo, keys.fingerprint, _tiny_deb(tmp_path, "1.0"), valid_days=7)
    release = (repo / "dists" / "estable" / "InRelease").read_text(encoding="utf-8")
    valid_until = next(line for line in release.splitlines() if line.startswith("Valid-Until:"))
    expires = email.utils.parsedate_to_datetime(valid_until.split(":", 1)[1].strip())
    assert abs(expires - (datetime.now(UTC) + timedelta(days=7))) < timedelta(minutes=5)
    verified = subprocess.run(
        ["gpgv", "--keyring", str(keys.public), str(repo / "dists" / "estable" / "InRelease")],
        capture_output=True,
        text=True,
    )
    assert verified.returncode == 0, verified.stderr


def test_a_published_version_is_never_replaced(keys: Keys, tmp_path: Path) -> None:
    repo = tmp_path / "repositorio"
    publish(keys, repo, keys.fingerprint, _tiny_deb(tmp_path / "a", "1.0"))
    again = subprocess.run(
        [
            "bash", str(SCRIPTS / "build-repo.sh"), str(repo), keys.fingerprint,
            str(_tiny_deb(tmp_path / "b", "1.0", description="otra compilación")),
        ],
        env={**os.environ, "GNUPGHOME": str(keys.home)},
        capture_output=True,
        text=True,
    )  # fmt: skip
    assert again.returncode == 1
    assert "ya se publicó oficialia-prueba 1.0 con otro contenido" in again.stderr
    unknown = subprocess.run(
        ["bash", str(SCRIPTS / "build-repo.sh"), str(repo), "0000DEADBEEF0000"],
        env={**os.environ, "GNUPGHOME": str(keys.home)},
        capture_output=True,
        text=True,
    )
    assert unknown.returncode == 1 and "no tiene la llave secreta" in unknown.stderr


def _tiny_deb(folder: Path, version: str, description: str = "prueba") -> Path:
    """A package of a few bytes, for what does not need the real one."""
    root = folder / f"raiz-{version}"
    (root / "DEBIAN").mkdir(parents=True)
    (root / "DEBIAN" / "control").write_text(
        f"Package: oficialia-prueba\nVersion: {version}\nArchitecture: all\n"
        f"Maintainer: Pruebas <pruebas@oficialia.example>\nDescription: {description}\n",
        encoding="utf-8",
    )
    deb = folder / f"oficialia-prueba_{version}_all.deb"
    subprocess.run(
        ["dpkg-deb", "--root-owner-group", "--build", str(root), str(deb)],
        check=True,
        capture_output=True,
    )
    return deb
