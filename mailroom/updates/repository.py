"""The state's side: the channel folder, a TUF repository any static web server can serve.

Layout (``consistent_snapshot``: a file once published never changes, so a PC reading while a
release is being copied up still sees one consistent state)::

    CANAL/metadata/1.root.json, 2.root.json …   every root version (PCs follow the chain)
    CANAL/metadata/root.json                     the newest root: what each PC trusts at install
    CANAL/metadata/N.targets.json, N.snapshot.json
    CANAL/metadata/timestamp.json                the only file rewritten in place; written last
    CANAL/metadata/targets.json, snapshot.json   newest copies, read by this module only
    CANAL/targets/<sha256>.oficialia-setup-<version>-<platform>.exe

Two places sign, and each owns its files. The **offline** machine (root and targets keys) owns
root and targets: :meth:`ChannelFolder.publish`, :meth:`ChannelFolder.renew_offline_roles` and
:meth:`ChannelFolder.rotate` touch nothing else. The **online** machine that serves the channel
(snapshot and timestamp keys) owns snapshot and timestamp: :meth:`ChannelFolder.renew` re-signs
both, naming whatever targets version was uploaded. Were the offline machine to sign a timestamp
from its own stale copy, its version would be lower than the one PCs already saw, and they would
refuse it as a rollback.

Each role has one key and a threshold of one. Every change bumps the versions it touches, sets a
new expiry (``DEFAULT_DAYS`` unless given) and re-signs.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

from securesystemslib.signer import Signer
from tuf.api.metadata import (
    Metadata,
    MetaFile,
    Root,
    Snapshot,
    TargetFile,
    Targets,
    Timestamp,
)
from tuf.api.serialization.json import JSONSerializer

from mailroom.errors import InvalidInput, StorageError
from mailroom.updates.releases import target_name

Days = Mapping[str, int] | None
"""Days of validity by role, overriding ``DEFAULT_DAYS``."""
_S = TypeVar("_S", Root, Targets, Snapshot, Timestamp)

DEFAULT_DAYS = {"root": 365, "targets": 180, "snapshot": 30, "timestamp": 7}
"""Days each role's metadata stays valid. The timestamp is renewed by a scheduled task; a PC that
gets nothing newer for this long refuses the channel (someone may be holding back a release)."""


@dataclass(frozen=True)
class RoleState:
    role: str
    version: int
    expires: datetime

    def days_left(self, now: datetime) -> float:
        return (self.expires - now).total_seconds() / 86400


class ChannelFolder:
    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.metadata_dir = self.folder / "metadata"
        self.targets_dir = self.folder / "targets"

    def exists(self) -> bool:
        return (self.metadata_dir / "root.json").is_file()

    # -- what the state's IT does -----------------------------------------------------------

    def initialize(
        self, signers: Mapping[str, Signer], *, now: datetime | None = None, days: Days = None
    ) -> None:
        """The first version of every role, one key each (``signers`` by role name)."""
        if self.exists():
            raise InvalidInput(
                f"{self.folder} ya tiene un canal; no se crea otro encima (cambie llaves con "
                "«rotar»).",
                path=self.folder,
            )
        now = _now(now)
        root = Root(expires=_expiry("root", now, days), consistent_snapshot=True)
        for role in ("root", "targets", "snapshot", "timestamp"):
            root.add_key(signers[role].public_key, role)
        self._make_dirs()
        self._write(Metadata(root), signers["root"], versioned=True)
        targets = Targets(expires=_expiry("targets", now, days))
        self._write(Metadata(targets), signers["targets"], versioned=True)
        snapshot = Snapshot(expires=_expiry("snapshot", now, days))
        self._write(Metadata(snapshot), signers["snapshot"], versioned=True)
        timestamp = Timestamp(expires=_expiry("timestamp", now, days))
        self._write(Metadata(timestamp), signers["timestamp"], versioned=False)

    def publish(
        self,
        installer: Path,
        version: str,
        platform: str,
        targets_signer: Signer,
        *,
        now: datetime | None = None,
        days: Days = None,
    ) -> str:
        """Add an installer as a new release in a new targets version; returns its target name.
        PCs see it once the online side runs :meth:`renew`."""
        name = target_name(version, platform)
        targets = self.load(Targets)
        if name in targets.signed.targets:
            raise InvalidInput(
                f"La versión {version} para {platform} ya está publicada ({name}); publique un "
                "número de versión nuevo.",
                target=name,
            )
        try:
            info = TargetFile.from_file(name, str(installer), ["sha256"])
        except OSError as error:
            raise InvalidInput(
                f"No se pudo leer el instalador {installer}: {error.strerror or error}.",
                path=installer,
            ) from error
        self._copy_target(installer, f"{info.hashes['sha256']}.{name}")
        targets.signed.targets[name] = info
        self._bump(targets, "targets", _now(now), days)
        self._write(targets, targets_signer, versioned=True)
        return name

    def renew(
        self, signers: Mapping[str, Signer], *, now: datetime | None = None, days: Days = None
    ) -> None:
        """The online side's job: a new snapshot naming the current targets version, then a new
        timestamp naming that snapshot (the last file written, so PCs see a change whole).
        Needs the snapshot and timestamp keys."""
        now = _now(now)
        snapshot, timestamp = self.load(Snapshot), self.load(Timestamp)
        self._bump(snapshot, "snapshot", now, days)
        snapshot.signed.meta["targets.json"] = MetaFile(version=self.load(Targets).signed.version)
        self._write(snapshot, signers["snapshot"], versioned=True)
        self._bump(timestamp, "timestamp", now, days)
        timestamp.signed.snapshot_meta = MetaFile(version=snapshot.signed.version)
        self._write(timestamp, signers["timestamp"], versioned=False)

    def renew_offline_roles(
        self,
        roles: tuple[str, ...],
        signers: Mapping[str, Signer],
        *,
        now: datetime | None = None,
        days: Days = None,
    ) -> None:
        """New versions and expiry dates for root and/or targets, before they expire."""
        now = _now(now)
        if "root" in roles:
            root = self.load(Root)
            self._bump(root, "root", now, days)
            self._write(root, signers["root"], versioned=True)
        if "targets" in roles:
            targets = self.load(Targets)
            self._bump(targets, "targets", now, days)
            self._write(targets, signers["targets"], versioned=True)

    def rotate(
        self,
        role: str,
        new_signer: Signer,
        root_signer: Signer,
        *,
        now: datetime | None = None,
        days: Days = None,
    ) -> None:
        """Replace ``role``'s key with ``new_signer``'s: a new root version names it, signed by
        the current root key, and by the new one when the root itself rotates (PCs check a new
        root against both). A new targets key signs a new targets version at once; new snapshot
        and timestamp keys sign from the next :meth:`renew` on."""
        now = _now(now)
        root = self.load(Root)
        for keyid in list(root.signed.roles[role].keyids):
            root.signed.revoke_key(keyid, role)
        root.signed.add_key(new_signer.public_key, role)
        self._bump(root, "root", now, days)
        if role == "root":
            self._write(root, root_signer, new_signer, versioned=True)
        else:
            self._write(root, root_signer, versioned=True)
        if role == "targets":
            self.renew_offline_roles(("targets",), {"targets": new_signer}, now=now, days=days)

    def load_root_version(self) -> int:
        return self.load(Root).signed.version

    def status(self) -> list[RoleState]:
        signed = (
            self.load(Root).signed,
            self.load(Targets).signed,
            self.load(Snapshot).signed,
            self.load(Timestamp).signed,
        )
        return [RoleState(each.type, each.version, each.expires) for each in signed]

    def load(self, kind: type[_S]) -> Metadata[_S]:
        path = self.metadata_dir / f"{kind.type}.json"
        try:
            loaded: Metadata[_S] = Metadata.from_bytes(path.read_bytes())
        except FileNotFoundError as error:
            raise InvalidInput(
                f"{self.folder} no es un canal de actualizaciones (falta {path}); créelo con "
                "«iniciar».",
                path=path,
            ) from error
        if not isinstance(loaded.signed, kind):
            raise InvalidInput(f"{path} no es de tipo {kind.type}.", path=path)
        return loaded

    # -- inside -------------------------------------------------------------------------------

    @staticmethod
    def _bump(metadata: Metadata[_S], role: str, now: datetime, days: Days) -> None:
        metadata.signed.version += 1
        metadata.signed.expires = _expiry(role, now, days)

    def _write(self, metadata: Metadata[_S], *signers: Signer, versioned: bool) -> None:
        metadata.signatures.clear()
        for signer in signers:
            metadata.sign(signer, append=True)
        data = metadata.to_bytes(JSONSerializer(compact=False))
        role = metadata.signed.type
        if versioned:
            _write_atomically(self.metadata_dir / f"{metadata.signed.version}.{role}.json", data)
        _write_atomically(self.metadata_dir / f"{role}.json", data)

    def _copy_target(self, installer: Path, stored_name: str) -> None:
        self._make_dirs()
        destination = self.targets_dir / stored_name
        partial = destination.with_name(destination.name + ".parcial")
        try:
            shutil.copyfile(installer, partial)
            os.replace(partial, destination)
        except OSError as error:
            partial.unlink(missing_ok=True)
            raise StorageError(
                f"No se pudo copiar el instalador a {destination}: {error.strerror or error}.",
                path=destination,
            ) from error

    def _make_dirs(self) -> None:
        try:
            self.metadata_dir.mkdir(parents=True, exist_ok=True)
            self.targets_dir.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise StorageError(
                f"No se pudo crear el canal en {self.folder}: {error.strerror or error}.",
                path=self.folder,
            ) from error


def _now(now: datetime | None) -> datetime:
    return (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)


def _expiry(role: str, now: datetime, days: Days) -> datetime:
    return now + timedelta(days=(days or {}).get(role, DEFAULT_DAYS[role]))


def _write_atomically(path: Path, data: bytes) -> None:
    """Write beside the target and rename over it: a web server never serves half a file."""
    partial = path.with_name(path.name + ".parcial")
    try:
        partial.write_bytes(data)
        os.replace(partial, path)
    except OSError as error:
        partial.unlink(missing_ok=True)
        raise StorageError(
            f"No se pudo escribir {path}: {error.strerror or error}.", path=path
        ) from error
