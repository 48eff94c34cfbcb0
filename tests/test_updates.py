"""Signed updates through TUF, on loopback: a channel built here with the publisher's own code
(python-tuf's Metadata API), served by http.server on 127.0.0.1, and the client the installed
app runs. Windows is absent, so a small shell script stands in for the installer: it records the
arguments it was given and the SHA-256 of its own bytes."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import http.server
import json
import shutil
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from securesystemslib.signer import CryptoSigner

from mailroom import tmpfiles
from mailroom.config import Settings, load_settings
from mailroom.updates import publish
from mailroom.updates.channel import check_for_update, trusted_root_path, update
from mailroom.updates.errors import (
    BadSignature,
    ChannelUnreachable,
    HashMismatch,
    MetadataExpired,
    RollbackRefused,
    UpdateError,
)
from mailroom.updates.releases import Release, newest_above, parse_target, target_name
from mailroom.updates.repository import ChannelFolder
from mailroom.updates.runner import ForegroundRunner, waiter_script

ROLES = ("root", "targets", "snapshot", "timestamp")


@dataclass
class Channel:
    folder: ChannelFolder
    url: str
    signers: dict[str, CryptoSigner]
    builds: Path

    def release(self, version: str, now: datetime | None = None) -> Path:
        """Build a stand-in installer for ``version``, publish it (the offline side) and renew
        snapshot and timestamp (the online side)."""
        installer = stand_in_installer(self.builds / f"setup-{version}.exe", version)
        self.folder.publish(installer, version, "windows", self.signers["targets"], now=now)
        self.folder.renew(self.signers, now=now)
        return installer

    def served_target(self, version: str) -> Path:
        name = target_name(version, "windows")
        (found,) = self.folder.targets_dir.glob(f"*.{name}")
        return found


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base's name
        pass


@contextlib.contextmanager
def serving(folder: Path) -> Iterator[str]:
    """``folder`` over HTTP on 127.0.0.1, as a static web server would serve the channel."""
    handler = functools.partial(QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def channel(tmp_path: Path) -> Iterator[Channel]:
    folder = ChannelFolder(tmp_path / "canal")
    signers = {role: CryptoSigner.generate_ed25519() for role in ROLES}
    folder.initialize(signers)
    builds = tmp_path / "builds"
    builds.mkdir()
    with serving(folder.folder) as url:
        yield Channel(folder, url, signers, builds)


@pytest.fixture
def pc(tmp_path: Path, channel: Channel) -> Settings:
    """A PC's settings, with the trusted root where the installer leaves it."""
    settings = load_settings(tmp_path / "datos", update_url=channel.url)
    root = trusted_root_path(settings)
    root.parent.mkdir(parents=True)
    shutil.copyfile(channel.folder.metadata_dir / "root.json", root)
    return settings


def stand_in_installer(path: Path, version: str) -> Path:
    record = path.parent / "ran"
    path.write_text(
        "#!/bin/sh\n"
        f"# stands in for the Oficialía {version} installer\n"
        f'printf "%s\\n" "$*" > "{record}.args"\n'
        f'sha256sum "$0" | cut -d" " -f1 > "{record}.sha256"\n',
        encoding="utf-8",
    )
    return path


def ran(channel: Channel) -> tuple[str, str] | None:
    record = channel.builds / "ran"
    if not Path(f"{record}.args").exists():
        return None
    return (
        Path(f"{record}.args").read_text().strip(),
        Path(f"{record}.sha256").read_text().strip(),
    )


def nothing_downloaded_left(settings: Settings) -> bool:
    staged = settings.data_dir / "actualizaciones" / "instalador"
    return tmpfiles.work_left(settings.data_dir) == [] and not any(
        staged.glob("*") if staged.is_dir() else []
    )


# -- the client against the channel ------------------------------------------------------------


def test_an_upgrade_runs_the_newest_installer_silently(channel: Channel, pc: Settings) -> None:
    channel.release("0.2.0")
    newest = channel.release("0.10.0")  # 0.10 is newer than 0.2: numbers, not text

    outcome = update(pc, ForegroundRunner(), platform="windows", running="0.1.0")

    assert outcome.check.newest is not None and outcome.check.newest.version == "0.10.0"
    assert [r.version for r in outcome.check.available] == ["0.10.0", "0.2.0"]
    assert outcome.started == "Se instaló la versión 0.10.0."
    assert ran(channel) == ("/S", hashlib.sha256(newest.read_bytes()).hexdigest())
    assert outcome.installer is not None and not outcome.installer.exists()  # removed once run
    assert nothing_downloaded_left(pc)


def test_a_tampered_installer_is_refused_and_never_run(channel: Channel, pc: Settings) -> None:
    channel.release("0.2.0")
    served = channel.served_target("0.2.0")
    tampered = bytearray(served.read_bytes())
    tampered[-2] ^= 0x01  # same length, one bit changed: only the hash can tell
    served.write_bytes(bytes(tampered))

    with pytest.raises(HashMismatch) as refused:
        update(pc, ForegroundRunner(), platform="windows", running="0.1.0")

    assert "no es el que firmó el estado" in refused.value.message
    assert "Se borró sin ejecutarlo" in refused.value.message
    assert ran(channel) is None
    assert nothing_downloaded_left(pc)


def test_a_longer_installer_is_refused_before_it_is_all_downloaded(
    channel: Channel, pc: Settings
) -> None:
    channel.release("0.2.0")
    served = channel.served_target("0.2.0")
    served.write_bytes(served.read_bytes() + b"\nrm -rf /\n" * 1000)

    with pytest.raises(HashMismatch):
        update(pc, ForegroundRunner(), platform="windows", running="0.1.0")
    assert ran(channel) is None
    assert nothing_downloaded_left(pc)


def test_older_metadata_after_newer_is_refused_as_a_rollback(
    channel: Channel, pc: Settings, tmp_path: Path
) -> None:
    channel.release("0.2.0")
    older = tmp_path / "metadata-0.2.0"
    shutil.copytree(channel.folder.metadata_dir, older)  # validly signed, only older
    channel.release("0.3.0")
    assert check_for_update(pc, platform="windows", running="0.1.0").newest.version == "0.3.0"  # type: ignore[union-attr]

    shutil.rmtree(channel.folder.metadata_dir)
    shutil.copytree(older, channel.folder.metadata_dir)
    with pytest.raises(RollbackRefused) as refused:
        update(pc, ForegroundRunner(), platform="windows", running="0.1.0")

    assert "más antigua que la que este equipo ya había recibido" in refused.value.message
    assert ran(channel) is None
    assert nothing_downloaded_left(pc)


def test_expired_metadata_is_refused(channel: Channel, pc: Settings) -> None:
    # Published 40 days ago and never renewed: the timestamp (7 days) expired long since.
    channel.release("0.2.0", now=datetime.now(UTC) - timedelta(days=40))

    with pytest.raises(MetadataExpired) as refused:
        update(pc, ForegroundRunner(), platform="windows", running="0.1.0")

    assert refused.value.details["role"] == "timestamp"
    assert "está vencida (timestamp); no se instaló nada" in refused.value.message
    assert ran(channel) is None
    assert nothing_downloaded_left(pc)


def test_metadata_signed_by_a_key_the_root_does_not_name_is_refused(
    channel: Channel, pc: Settings
) -> None:
    channel.release("0.2.0")
    forger = {**channel.signers, "timestamp": CryptoSigner.generate_ed25519()}
    channel.folder.renew(forger)  # a newer timestamp, signed by someone else

    with pytest.raises(BadSignature) as refused:
        check_for_update(pc, platform="windows", running="0.1.0")
    assert "no trae una firma válida de las llaves del estado" in refused.value.message


def test_a_rotated_key_is_followed_and_the_retired_one_refused(
    channel: Channel, pc: Settings
) -> None:
    channel.release("0.2.0")
    assert check_for_update(pc, platform="windows", running="0.1.0").newest is not None
    retired = channel.signers["timestamp"]
    channel.signers["timestamp"] = CryptoSigner.generate_ed25519()
    channel.folder.rotate("timestamp", channel.signers["timestamp"], channel.signers["root"])
    channel.release("0.3.0")

    check = check_for_update(pc, platform="windows", running="0.1.0")
    assert check.newest is not None and check.newest.version == "0.3.0"
    assert (pc.data_dir / "actualizaciones" / "metadatos" / "root_history" / "2.root.json").exists()

    channel.folder.renew({**channel.signers, "timestamp": retired})
    with pytest.raises(BadSignature):
        check_for_update(pc, platform="windows", running="0.1.0")

    # The root key itself: root 3 is signed by the old root key and the new one, and the PC,
    # which still trusts root 1 from its install, walks 1 → 2 → 3.
    new_root = CryptoSigner.generate_ed25519()
    channel.folder.rotate("root", new_root, channel.signers["root"])
    channel.signers["root"] = new_root
    channel.release("0.4.0")
    check = check_for_update(pc, platform="windows", running="0.1.0")
    assert check.newest is not None and check.newest.version == "0.4.0"
    assert (pc.data_dir / "actualizaciones" / "metadatos" / "root_history" / "3.root.json").exists()


def test_nothing_newer_says_so_and_runs_nothing(channel: Channel, pc: Settings) -> None:
    channel.release("0.2.0")

    outcome = update(pc, ForegroundRunner(), platform="windows", running="0.2.0")

    assert outcome.check.newest is None and outcome.installer is None
    assert [r.version for r in outcome.check.available] == ["0.2.0"]
    assert ran(channel) is None
    # Another platform's installers are not offered either.
    assert check_for_update(pc, platform="linux", running="0.1.0").newest is None
    # A PC that cannot tell its own version installs nothing (else the same release every day).
    with pytest.raises(UpdateError, match="No se sabe qué versión de Oficialía tiene"):
        check_for_update(pc, platform="windows", running="desconocida")


def test_an_unreachable_channel_gets_a_spanish_message(tmp_path: Path, channel: Channel) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = load_settings(tmp_path / "otro", update_url=f"http://127.0.0.1:{port}/canal")
    root = trusted_root_path(settings)
    root.parent.mkdir(parents=True)
    shutil.copyfile(channel.folder.metadata_dir / "root.json", root)

    with pytest.raises(ChannelUnreachable) as refused:
        check_for_update(settings, platform="windows", running="0.1.0")

    assert refused.value.message.startswith(
        f"No se pudo consultar el canal de actualizaciones (http://127.0.0.1:{port}/canal): no "
        "se pudo conectar."
    )
    assert refused.value.retryable and refused.value.exit_code == 75


# -- the command line ---------------------------------------------------------------------------


def publisher_folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """The channel's and the keys' folders, with every role's passphrase in the environment."""
    for role in ROLES:
        monkeypatch.setenv(f"OFICIALIA_FRASE_{role.upper()}", f"frase de prueba de {role}")
    return tmp_path / "canal", tmp_path / "claves"


def test_the_state_publishes_and_a_pc_checks_from_the_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from mailroom.cli import main
    from mailroom.version import version

    canal, claves = publisher_folders(tmp_path, monkeypatch)
    assert publish.main(["iniciar", "--canal", str(canal), "--claves", str(claves)]) == 0
    assert sorted(p.name for p in claves.iterdir()) == [f"{role}.pem" for role in sorted(ROLES)]
    newer = ".".join(str(int(part) + 1) for part in version().split(".")[:1]) + ".0.0"
    installer = stand_in_installer(tmp_path / "setup.exe", newer)
    where = ["--canal", str(canal), "--claves", str(claves)]
    assert publish.main(["publicar", str(installer), "--version", newer, *where]) == 0
    assert "Publicado oficialia-setup-" in capsys.readouterr().out
    assert publish.main(["renovar", *where]) == 0  # on the server: now PCs see it
    assert "timestamp  versión 2" in capsys.readouterr().out

    data = tmp_path / "datos"
    (data / "actualizaciones").mkdir(parents=True)
    shutil.copyfile(canal / "metadata" / "root.json", data / "actualizaciones" / "root.json")
    with serving(canal) as url:
        monkeypatch.setenv("OFICIALIA_UPDATE_URL", url)
        argv = ["--data-dir", str(data), "actualizar", "--comprobar", "--plataforma", "windows"]
        assert main(argv) == 0
        assert capsys.readouterr().out == (
            f"Hay una versión nueva: {newer} (instalada: {version()}). "
            "Instálela con «oficialia actualizar».\n"
        )
        assert main([*argv, "--json"]) == 0
        answer = json.loads(capsys.readouterr().out)
        assert answer["check"]["newest"]["version"] == newer
        assert answer["check"]["newest"]["target"] == f"oficialia-setup-{newer}-windows.exe"
        assert answer["installer"] is None
        # Installing is Windows's: here the command says where Linux gets its updates.
        assert main(["--data-dir", str(data), "actualizar"]) == 69
        assert "llegan por apt" in capsys.readouterr().err

    # The channel is not there any more.
    assert main(argv) == 75
    assert "No se pudo consultar el canal de actualizaciones" in capsys.readouterr().err


def test_the_publisher_renews_rotates_and_reports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    canal, claves = publisher_folders(tmp_path, monkeypatch)
    where = ["--canal", str(canal), "--claves", str(claves)]
    assert publish.main(["iniciar", *where, "--dias", "timestamp=2"]) == 0
    assert publish.main(["renovar", *where]) == 0
    report = capsys.readouterr().out
    assert "Renovado: snapshot y timestamp." in report
    assert "timestamp  versión 2    vence" in report and "(7.0 días)" in report
    assert "snapshot   versión 2" in report and "targets    versión 1" in report

    assert publish.main(["rotar", "timestamp", *where]) == 0
    assert "Llave de timestamp cambiada (raíz versión 2)" in capsys.readouterr().out
    assert (claves / "timestamp-retirada-v1.pem").exists() and (claves / "timestamp.pem").exists()
    assert (canal / "metadata" / "2.root.json").exists()
    assert publish.main(["renovar", *where]) == 0  # signed with the new timestamp key
    assert publish.main(["renovar", "--rol", "targets", *where]) == 0  # offline, before expiry
    assert "Renovado: targets. Suba al servidor" in capsys.readouterr().out
    assert publish.main(["renovar", *where]) == 0
    data = tmp_path / "datos"
    (data / "actualizaciones").mkdir(parents=True)
    shutil.copyfile(canal / "metadata" / "1.root.json", data / "actualizaciones" / "root.json")
    with serving(canal) as url:
        settings = load_settings(data, update_url=url)
        check = check_for_update(settings, platform="windows", running="0.1.0")
    assert check.available == () and check.newest is None

    assert publish.main(["renovar", *where, "--dias", "timestamp=0"]) == 65
    assert "--dias 'timestamp=0' no es válido" in capsys.readouterr().err


def test_a_wrong_passphrase_does_not_open_a_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    canal, claves = publisher_folders(tmp_path, monkeypatch)
    assert publish.main(["iniciar", "--canal", str(canal), "--claves", str(claves)]) == 0
    monkeypatch.setenv("OFICIALIA_FRASE_TIMESTAMP", "otra frase cualquiera")

    assert publish.main(["renovar", "--canal", str(canal), "--claves", str(claves)]) == 65
    assert "la frase no es la correcta" in capsys.readouterr().err


def test_without_a_channel_or_a_root_the_pc_is_told_what_to_set(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from mailroom.cli import main

    argv = ["--data-dir", str(tmp_path / "datos"), "actualizar", "--comprobar"]
    assert main(argv) == 78
    assert "ponga su dirección en el ajuste update_url" in capsys.readouterr().err
    monkeypatch.setenv("OFICIALIA_UPDATE_URL", "http://127.0.0.1:9/canal")
    assert main(argv) == 78
    assert "Falta la raíz de confianza de las actualizaciones" in capsys.readouterr().err


def test_the_read_commands_do_not_import_tuf() -> None:
    code = "import sys, mailroom.cli.program; print('tuf' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


# -- pieces ---------------------------------------------------------------------------------------


def test_release_names_and_versions() -> None:
    assert target_name("0.2.0", "windows") == "oficialia-setup-0.2.0-windows.exe"
    assert parse_target("oficialia-setup-1.10-windows.exe") == ("1.10", "windows")
    assert parse_target("oficialia-setup-1.10-windows.exe.sig") is None
    assert parse_target("otro-setup-1.0-windows.exe") is None
    releases = [Release(v, "windows", target_name(v, "windows"), 1, "") for v in ("1.9", "1.10")]
    assert newest_above(releases, "1.9.0.dev3+g1a2b").version == "1.10"  # type: ignore[union-attr]
    assert newest_above(releases, "1.10.0") is None


def test_the_windows_waiter_quotes_paths() -> None:
    release = Release("0.2.0", "windows", "oficialia-setup-0.2.0-windows.exe", 1, "ab" * 32)
    installer = Path(r"C:\ProgramData\Oficialia d'Ávila\instalador\oficialia-setup.exe")
    script = waiter_script(installer, release, Path(r"C:\ProgramData\O’Neil\log.txt"))
    assert r"$installer = 'C:\ProgramData\Oficialia d''Ávila\instalador\oficialia-setup.exe'" in (
        script
    )
    assert r"$log = 'C:\ProgramData\O’’Neil\log.txt'" in script
    assert "'Global\\OficialiaEnEjecucion'" in script
    assert "-ArgumentList '/S'" in script


def test_on_windows_only_the_environment_moves_the_trusted_root(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A clerk can write the data folder's config.toml on Windows; a root named there must not
    be what the nightly SYSTEM task trusts."""
    from mailroom.config import load_settings
    from mailroom.updates.channel import trusted_root_path

    settings = load_settings(tmp_path, update_root=str(tmp_path / "raiz-de-un-usuario.json"))
    assert trusted_root_path(settings) == tmp_path / "raiz-de-un-usuario.json"
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.delenv("OFICIALIA_UPDATE_ROOT", raising=False)
    assert trusted_root_path(settings) == tmp_path / "actualizaciones" / "root.json"
    monkeypatch.setenv("OFICIALIA_UPDATE_ROOT", str(tmp_path / "de-la-tarea.json"))
    assert trusted_root_path(settings) == tmp_path / "de-la-tarea.json"
