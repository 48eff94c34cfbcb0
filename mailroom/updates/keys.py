"""The channel's signing keys: one Ed25519 key per TUF role, each in its own PEM file (PKCS#8,
encrypted with a passphrase), so each can live where its role needs it: ``root.pem`` and
``targets.pem`` offline (a USB drive in a safe), ``snapshot.pem`` and ``timestamp.pem`` on the
machine that renews the channel every few days.

A key's TUF id is computed from its public half, so a file alone gives back the signer the root
metadata names.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    BestAvailableEncryption,
    Encoding,
    PrivateFormat,
    load_pem_private_key,
)
from securesystemslib.signer import CryptoSigner

from mailroom.errors import ConfigError, InvalidInput, StorageError

ROLES = ("root", "targets", "snapshot", "timestamp")
MIN_PASSPHRASE = 12


def key_path(keys_dir: Path, role: str) -> Path:
    return Path(keys_dir) / f"{role}.pem"


def create_key(keys_dir: Path, role: str, passphrase: bytes) -> CryptoSigner:
    """A new key for ``role``, written to ``<keys_dir>/<role>.pem`` (never over an existing
    file: a key lost by overwriting cannot be recovered)."""
    if len(passphrase) < MIN_PASSPHRASE:
        raise InvalidInput(
            f"La frase de la llave {role} es muy corta: use al menos {MIN_PASSPHRASE} caracteres.",
            role=role,
        )
    private = Ed25519PrivateKey.generate()
    pem = private.private_bytes(
        Encoding.PEM, PrivateFormat.PKCS8, BestAvailableEncryption(passphrase)
    )
    path = key_path(keys_dir, role)
    try:
        Path(keys_dir).mkdir(parents=True, exist_ok=True)
        with _exclusive(path) as handle:
            handle.write(pem)
    except FileExistsError as error:
        raise InvalidInput(
            f"Ya existe la llave {path}; no se sobrescribe. Para cambiarla use «rotar».",
            path=path,
        ) from error
    except OSError as error:
        raise StorageError(f"No se pudo guardar la llave {path}: {error.strerror}.") from error
    return CryptoSigner(private)


def load_key(keys_dir: Path, role: str, passphrase: bytes) -> CryptoSigner:
    path = key_path(keys_dir, role)
    try:
        pem = path.read_bytes()
    except FileNotFoundError as error:
        raise ConfigError(
            f"No está la llave {path}: conecte la memoria donde se guarda o indique --claves.",
            path=path,
        ) from error
    except OSError as error:
        raise StorageError(f"No se pudo leer la llave {path}: {error.strerror}.") from error
    try:
        private = load_pem_private_key(pem, passphrase)
    except (TypeError, ValueError) as error:
        raise InvalidInput(
            f"No se pudo abrir la llave {path}: la frase no es la correcta o el archivo está "
            "dañado.",
            path=path,
        ) from error
    if not isinstance(private, Ed25519PrivateKey):
        raise InvalidInput(f"{path} no es una llave Ed25519 del canal.", path=path)
    return CryptoSigner(private)


def retire_key(keys_dir: Path, role: str, version: int) -> Path:
    """Move ``<role>.pem`` aside as ``<role>-retirada-v<version>.pem`` (before a rotation writes
    the new one); the admin destroys it once every PC has taken the new root."""
    path = key_path(keys_dir, role)
    retired = path.with_name(f"{role}-retirada-v{version}.pem")
    try:
        os.replace(path, retired)
    except OSError as error:
        raise StorageError(f"No se pudo apartar la llave {path}: {error.strerror}.") from error
    return retired


@contextlib.contextmanager
def _exclusive(path: Path) -> Iterator[IO[bytes]]:
    """Open ``path`` for writing only if it does not exist, readable by its owner alone."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    with os.fdopen(os.open(path, flags, 0o600), "wb") as handle:
        yield handle
