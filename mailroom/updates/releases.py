"""Release names on the channel: ``oficialia-setup-<version>-<platform>.exe``.

The TUF target name carries the version and the platform, so the client can tell what is newer
from the signed list of targets alone, before downloading anything. Versions are plain dotted
numbers (``0.2.0``, ``1.10``); they compare number by number (``1.10`` > ``1.9``).
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass

from mailroom.errors import InvalidInput

PLATFORMS = {"windows": ".exe"}
"""What the channel carries, and each installer's extension. Linux updates come through apt."""

_VERSION = r"\d{1,6}(?:\.\d{1,6}){1,3}"
_NAME = re.compile(rf"^oficialia-setup-(?P<version>{_VERSION})-(?P<platform>[a-z0-9]+)\.exe$")
_LEADING_VERSION = re.compile(r"^\d+(?:\.\d+)*")


@dataclass(frozen=True)
class Release:
    """One installer the channel offers (from verified targets metadata)."""

    version: str
    platform: str
    target: str
    """The TUF target name, e.g. ``oficialia-setup-0.2.0-windows.exe``."""
    length: int
    sha256: str

    @property
    def key(self) -> tuple[int, ...]:
        return version_key(self.version)


def this_platform() -> str:
    return "windows" if sys.platform == "win32" else "linux"


def target_name(version: str, platform: str) -> str:
    """The target name for an installer; raises :class:`InvalidInput` for a bad version or an
    unknown platform (the publisher's check, so nothing unreadable reaches the channel)."""
    if not re.fullmatch(_VERSION, version):
        raise InvalidInput(
            f"Versión no válida: {version!r}. Use números separados por puntos, p. ej. 0.2.0.",
            version=version,
        )
    if platform not in PLATFORMS:
        raise InvalidInput(
            f"Plataforma no válida: {platform!r}. El canal lleva instaladores para: "
            f"{', '.join(sorted(PLATFORMS))}.",
            platform=platform,
        )
    return f"oficialia-setup-{version}-{platform}{PLATFORMS[platform]}"


def parse_target(name: str) -> tuple[str, str] | None:
    """``(version, platform)`` of a release's target name, or None for any other file."""
    found = _NAME.match(name)
    return (found["version"], found["platform"]) if found else None


def version_key(version: str) -> tuple[int, ...]:
    """The numbers that order versions. A running version may carry a local suffix
    (``0.2.0.dev3+g1a2b``): only its leading numbers count. Empty for no version at all."""
    found = _LEADING_VERSION.match(version.strip())
    return tuple(int(part) for part in found.group().split(".")) if found else ()


def newest_above(releases: list[Release], running: str) -> Release | None:
    """The newest release strictly newer than ``running`` (trailing zeros ignored: 0.2 = 0.2.0)."""
    floor = _padded(version_key(running))
    newer = [release for release in releases if _padded(release.key) > floor]
    return max(newer, key=lambda release: _padded(release.key), default=None)


def _padded(key: tuple[int, ...]) -> tuple[int, ...]:
    return key + (0,) * (4 - len(key))
