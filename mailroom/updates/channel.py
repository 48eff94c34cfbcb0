"""The client: check the state's update channel, download the newest installer and verify it.

Everything goes through python-tuf's ngclient (the TUF client workflow): the PC trusts one
``root.json`` that came with its install; from it, the channel's timestamp, snapshot and targets
metadata must be signed by the keys the root names, be no older than what this PC saw before
(rollback), and not be expired (freeze); an installer must have exactly the length and SHA-256
the signed targets metadata gives.

Where things live (under the data folder, never the system temp folder)::

    DATA/actualizaciones/root.json        the trusted root (the install puts it there;
                                          ``update_root`` may point elsewhere)
    DATA/actualizaciones/metadatos/       metadata trusted so far: rollback protection
    DATA/actualizaciones/instalador/      the verified installer, until it has run
    DATA/actualizaciones/.lock            one check at a time per data folder
    DATA/tmp/proc-…/actualizacion-…/      downloads in progress (mailroom.tmpfiles)

The channel's layout (any static web server): ``<update_url>/metadata/`` and
``<update_url>/targets/``, as :mod:`mailroom.updates.repository` writes them.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Protocol

from tuf.api import exceptions
from tuf.api.metadata import Metadata, Targets
from tuf.ngclient import Updater

from mailroom import tmpfiles
from mailroom.config import Settings
from mailroom.errors import ConfigError, StorageError
from mailroom.filelock import try_lock
from mailroom.updates.errors import (
    BadSignature,
    ChannelUnreachable,
    HashMismatch,
    InvalidChannel,
    MetadataExpired,
    RollbackRefused,
    UpdateBusy,
    UpdateError,
)
from mailroom.updates.fetcher import SpoolingFetcher
from mailroom.updates.releases import (
    Release,
    newest_above,
    parse_target,
    this_platform,
    version_key,
)

FOLDER = "actualizaciones"
METADATA = "metadatos"
STAGED = "instalador"
ROOT_VARIABLE = "OFICIALIA_UPDATE_ROOT"
TRUSTED_ROOT = "root.json"


@dataclass(frozen=True)
class UpdateCheck:
    running: str
    platform: str
    newest: Release | None
    """The newest release above the running version, or None: nothing to install."""
    available: tuple[Release, ...]
    """Every release the channel offers for this platform, newest first."""


@dataclass(frozen=True)
class UpdateOutcome:
    check: UpdateCheck
    installer: Path | None = None
    """The verified installer handed to the runner (None when there was nothing new)."""
    started: str = ""
    """What the runner said it did, for the person at the PC."""


class InstallerRunner(Protocol):
    def start(self, installer: Path, release: Release) -> str:
        """Run (or arrange to run) a verified installer silently; say what was done."""
        ...


def updates_folder(settings: Settings) -> Path:
    return settings.data_dir / FOLDER


def trusted_root_path(settings: Settings) -> Path:
    """The trusted root. On Windows the configuration files live in the data folder, which
    every user may write: a root named there would let any clerk sign what the nightly task
    (SYSTEM) installs. So on Windows only the environment (the task's own) may move it from
    the installer's admin-only ``actualizaciones`` folder."""
    chosen = settings.update_root
    if sys.platform == "win32":
        chosen = os.environ.get(ROOT_VARIABLE, "")
    return Path(chosen) if chosen else updates_folder(settings) / TRUSTED_ROOT


def check_for_update(
    settings: Settings, *, platform: str | None = None, running: str | None = None
) -> UpdateCheck:
    """What the channel offers this PC; downloads metadata only."""
    with UpdateChannel(settings, platform=platform, running=running) as channel:
        return channel.check()


def update(
    settings: Settings,
    runner: InstallerRunner,
    *,
    platform: str | None = None,
    running: str | None = None,
) -> UpdateOutcome:
    """Check; if there is a newer release, download and verify it, then hand it to ``runner``.
    A refusal (any :class:`UpdateError`) leaves nothing downloaded behind and runs nothing."""
    with UpdateChannel(settings, platform=platform, running=running) as channel:
        check = channel.check()
        if check.newest is None:
            return UpdateOutcome(check)
        installer = channel.download(check.newest)
    return UpdateOutcome(check, installer, runner.start(installer, check.newest))


class UpdateChannel:
    """One session with the channel, as a context manager: it holds the data folder's update
    lock (python-tuf's client is single-instance per metadata folder) and a work folder for
    downloads, removed at the end with whatever a refused download left."""

    def __init__(
        self, settings: Settings, *, platform: str | None = None, running: str | None = None
    ) -> None:
        if not settings.update_url:
            raise ConfigError(
                "No hay canal de actualizaciones configurado: ponga su dirección en el ajuste "
                "update_url (la da el área de informática del estado).",
                setting="update_url",
            )
        self.settings = settings
        self.url = settings.update_url.rstrip("/")
        self.platform = platform or this_platform()
        self.running = running if running is not None else _running_version()
        if not version_key(self.running):
            # Without it every release would look newer, and the same one install every day.
            raise UpdateError(
                f"No se sabe qué versión de Oficialía tiene este equipo ({self.running!r}); no "
                "se busca ninguna otra. Reinstale Oficialía con el instalador más reciente."
            )
        self._metadata_dir = updates_folder(settings) / METADATA
        self._stack = contextlib.ExitStack()
        self._updater: Updater | None = None

    def __enter__(self) -> UpdateChannel:
        folder = updates_folder(self.settings)
        try:
            (folder / METADATA).mkdir(parents=True, exist_ok=True)
            handle = self._stack.enter_context((folder / ".lock").open("a+b"))
        except OSError as error:
            raise _unwritable(folder, error) from error
        try:
            if not try_lock(handle):
                raise UpdateBusy(
                    "Ya hay otra búsqueda de actualizaciones en curso en este equipo; espere a "
                    "que termine y vuelva a intentarlo."
                )
            self._spool = self._stack.enter_context(
                tmpfiles.scratch(self.settings.data_dir, "actualizacion-")
            )
        except BaseException:
            self._stack.close()
            raise
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._stack.close()

    def check(self) -> UpdateCheck:
        updater = self._open()
        with _translated(self.url):
            updater.refresh()
            releases = [
                release
                for name in _listed_targets(self._metadata_dir)
                if (release := self._release(updater, name)) is not None
            ]
        releases.sort(key=lambda release: release.key, reverse=True)
        return UpdateCheck(
            self.running, self.platform, newest_above(releases, self.running), tuple(releases)
        )

    def download(self, release: Release) -> Path:
        """Download ``release``, verify it against the signed targets metadata and move it to
        ``DATA/actualizaciones/instalador/``; the returned file is the one to run."""
        updater = self._open()
        downloaded = self._spool / release.target
        with _translated(self.url, target=release.target):
            info = updater.get_targetinfo(release.target)
            if info is None:
                raise InvalidChannel(f"{release.target} ya no está en el canal")
            updater.download_target(info, filepath=str(downloaded))
        staged_dir = updates_folder(self.settings) / STAGED
        try:
            staged_dir.mkdir(exist_ok=True)
            _remove_others(staged_dir, keep=release.target)
            staged = staged_dir / release.target
            # Copied, not moved: a copy takes the admin-only folder's permissions, where a
            # file moved on the same NTFS volume would keep the users-writable tmp's.
            shutil.copyfile(downloaded, staged)
            downloaded.unlink()
            if os.name != "nt":  # Windows runs an .exe by its name; POSIX needs the bit
                staged.chmod(0o750)
        except OSError as error:
            raise _unwritable(staged_dir, error) from error
        _verify_staged(staged, release)
        return staged

    def _open(self) -> Updater:
        if self._updater is not None:
            return self._updater
        root_path = trusted_root_path(self.settings)
        try:
            root = root_path.read_bytes()
        except FileNotFoundError as error:
            raise ConfigError(
                f"Falta la raíz de confianza de las actualizaciones ({root_path}). La deja el "
                "instalador; si no está, cópiela del root.json que entrega el área de "
                "informática del estado, o indique otra ruta con el ajuste update_root.",
                setting="update_root",
            ) from error
        except OSError as error:
            raise ConfigError(
                f"No se pudo leer la raíz de confianza {root_path}: {error.strerror or error}.",
                setting="update_root",
            ) from error
        fetcher = SpoolingFetcher(
            self._spool,
            timeout_seconds=self.settings.network_timeout_seconds,
            user_agent=f"oficialia/{self.running}",
        )
        try:
            self._updater = Updater(
                metadata_dir=str(self._metadata_dir),
                metadata_base_url=f"{self.url}/metadata/",
                target_base_url=f"{self.url}/targets/",
                fetcher=fetcher,
                bootstrap=root,
            )
        except exceptions.RepositoryError as error:
            raise ConfigError(
                f"La raíz de confianza {root_path} no es válida ({error}); vuelva a copiar el "
                "root.json que entrega el área de informática del estado.",
                setting="update_root",
            ) from error
        except OSError as error:
            raise _unwritable(self._metadata_dir, error) from error
        return self._updater

    def _release(self, updater: Updater, name: str) -> Release | None:
        parsed = parse_target(name)
        if parsed is None or parsed[1] != self.platform:
            return None
        # The name came from the copy on disk; only what the verified metadata says counts.
        info = updater.get_targetinfo(name)
        if info is None or "sha256" not in info.hashes:
            return None
        return Release(parsed[0], parsed[1], name, info.length, info.hashes["sha256"])


def _listed_targets(metadata_dir: Path) -> list[str]:
    """The target names in the top-level targets metadata that ``refresh()`` just verified and
    saved. ngclient has no public listing; each name is looked up again through the verified
    metadata (``get_targetinfo``), so a file changed on disk meanwhile can hide a release from
    this check but never add one."""
    try:
        signed = Metadata.from_bytes((metadata_dir / f"{Targets.type}.json").read_bytes()).signed
    except (OSError, exceptions.RepositoryError):
        return []
    return list(signed.targets) if isinstance(signed, Targets) else []


@contextlib.contextmanager
def _translated(url: str, *, target: str | None = None) -> Iterator[None]:
    """python-tuf's exceptions as ours (see :mod:`mailroom.updates.errors`)."""
    try:
        yield
    except UpdateError:
        raise
    except exceptions.DownloadLengthMismatchError as error:
        if target is None:
            raise InvalidChannel(str(error)) from error
        raise HashMismatch(target, str(error)) from error
    except exceptions.DownloadHTTPError as error:
        raise ChannelUnreachable(url, f"respondió HTTP {error.status_code}") from error
    except exceptions.DownloadError as error:
        raise ChannelUnreachable(url, _network_reason(error)) from error
    except exceptions.ExpiredMetadataError as error:
        raise MetadataExpired(_role_in(str(error))) from error
    except exceptions.BadVersionNumberError as error:
        raise RollbackRefused(str(error)) from error
    except exceptions.UnsignedMetadataError as error:
        raise BadSignature(str(error)) from error
    except exceptions.LengthOrHashMismatchError as error:
        if target is None:
            raise InvalidChannel(str(error)) from error
        raise HashMismatch(target, str(error)) from error
    except exceptions.RepositoryError as error:
        raise InvalidChannel(str(error)) from error
    except OSError as error:
        raise StorageError(
            f"No se pudieron guardar los datos de actualización: {error.strerror or error}. "
            "Revise el espacio libre y los permisos de la carpeta de datos.",
        ) from error


def _network_reason(error: BaseException) -> str:
    """What went wrong on the network, from the urllib3 error under python-tuf's. Looked for
    before the timeout: urllib3's NewConnectionError (a refused connection, an unknown host)
    derives from ConnectTimeoutError, so python-tuf reports it as a slow retrieval."""
    import urllib3.exceptions as http

    causes: list[BaseException] = []
    cause: BaseException | None = error
    while cause is not None and len(causes) < 10:
        causes.append(cause)
        reason = getattr(cause, "reason", None)  # MaxRetryError keeps the real error there
        cause = reason if isinstance(reason, BaseException) else cause.__cause__
    if any(isinstance(cause, http.NameResolutionError) for cause in causes):
        return "no se encontró el servidor (revise la dirección y el DNS)"
    if any(isinstance(cause, http.NewConnectionError) for cause in causes):
        return "no se pudo conectar"
    if any(isinstance(cause, http.SSLError) for cause in causes):
        return "falló la conexión segura (TLS)"
    if isinstance(error, exceptions.SlowRetrievalError):
        return "no respondió a tiempo"
    return "se cortó la conexión"


def _role_in(message: str) -> str:
    """The role an ExpiredMetadataError names ("timestamp.json is expired", "New targets is
    expired"), for the message."""
    found = re.search(r"\b(root|timestamp|snapshot|targets)\b", message)
    return found.group(1) if found else "metadatos"


def _verify_staged(staged: Path, release: Release) -> None:
    """Check the moved file once more: between python-tuf's check and the move it sat in
    ``tmp/``, which every user of the PC may write to; the staging folder should not be (see
    installer/updates/README.md), and the Windows waiter checks the hash again before running."""
    digest = hashlib.sha256()
    try:
        with staged.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        length = staged.stat().st_size
    except OSError as error:
        raise StorageError(f"No se pudo leer {staged}: {error.strerror or error}.") from error
    if length != release.length or digest.hexdigest() != release.sha256:
        with contextlib.suppress(OSError):
            staged.unlink()
        raise HashMismatch(release.target, "changed after verification")


def _remove_others(folder: Path, *, keep: str) -> None:
    """Installers staged before (already run, or superseded). One still running (Windows keeps
    a running .exe open) stays until a later update."""
    for entry in folder.iterdir():
        if entry.name != keep:
            with contextlib.suppress(OSError):
                shutil.rmtree(entry) if entry.is_dir() else entry.unlink()


def _unwritable(folder: Path, error: OSError) -> StorageError:
    return StorageError(
        f"No se pudo escribir en {folder}: {error.strerror or error}. Las actualizaciones se "
        "instalan con permisos de administrador (la tarea programada lo hace); revise los "
        "permisos de la carpeta de datos.",
        path=folder,
    )


def _running_version() -> str:
    from mailroom.version import version

    return version()
