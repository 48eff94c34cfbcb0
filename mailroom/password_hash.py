"""Argon2id hashes of secrets. Qt-free.

Account passwords and the kiosk's admin PIN (``kiosk.admin_pin``). A stored hash names its own
cost, so one planted with a huge memory or time cost would make each check exhaust the machine:
such a hash counts as damaged and matches nothing. The ceilings are well above argon2-cffi's
defaults (64 MiB, 3 passes, 4 lanes).
"""

from __future__ import annotations

import functools
import re

from argon2 import PasswordHasher, Type, extract_parameters
from argon2.exceptions import InvalidHashError, VerificationError

__all__ = ["hash_secret", "needs_rehash", "secret_matches", "well_formed_hash"]

MAX_HASH_LENGTH = 512
MAX_MEMORY_KIB = 256 * 1024
MAX_TIME_COST = 10
MAX_PARALLELISM = 16
ARGON2ID_HASH = re.compile(
    r"\$argon2id\$v=19\$m=[0-9]+,t=[0-9]+,p=[0-9]+\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+"
)


@functools.cache
def _hasher() -> PasswordHasher:
    return PasswordHasher(type=Type.ID)


def hash_secret(secret: str) -> str:
    return _hasher().hash(secret)


def secret_matches(stored: str, secret: str) -> bool:
    """Whether ``secret`` is the one ``stored`` was made from; a damaged hash matches nothing."""
    if not well_formed_hash(stored):
        return False
    try:
        return _hasher().verify(stored, secret)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    """Whether ``stored`` was made with other parameters than today's (re-hash on sign-in)."""
    return _hasher().check_needs_rehash(stored)


def well_formed_hash(stored: str) -> bool:
    if len(stored) > MAX_HASH_LENGTH or not ARGON2ID_HASH.fullmatch(stored):
        return False
    try:
        parameters = extract_parameters(stored)
    except (InvalidHashError, ValueError):
        return False
    return (
        parameters.type is Type.ID
        and parameters.memory_cost <= MAX_MEMORY_KIB
        and parameters.time_cost <= MAX_TIME_COST
        and parameters.parallelism <= MAX_PARALLELISM
    )
