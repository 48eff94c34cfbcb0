"""The file-system side of the watched folder: is a file still open for writing, moving it
into ``procesados/`` or ``rechazados/`` under a name that is free, its reason file, and the lock
that keeps a folder watched from one place."""

from __future__ import annotations

import os
import sys
from datetime import datetime, tzinfo
from pathlib import Path

from mailroom.fsutil import fsync_dir

REASON_SUFFIX = ".motivo.txt"


def open_for_writing(path: Path) -> bool:
    """Whether a process on this machine holds ``path`` open for writing (Linux ``/proc``).

    Only local writers show (an FTP or Samba server here); a remote one over SMB does not,
    which is why the size must also stay still. Elsewhere, or without ``/proc``: ``False``.
    """
    proc = Path("/proc")
    if not sys.platform.startswith("linux") or not proc.is_dir():
        return False
    try:
        target = os.path.realpath(path)
    except OSError:
        return False
    for pid in os.listdir(proc):
        if not pid.isdigit():
            continue
        fd_dir = proc / pid / "fd"
        try:
            descriptors = os.listdir(fd_dir)
        except OSError:
            continue  # gone, or not ours to look at
        for fd in descriptors:
            try:
                if os.readlink(fd_dir / fd) != target:
                    continue
                info = (proc / pid / "fdinfo" / fd).read_text()
            except OSError:
                continue
            if _writable(info):
                return True
    return False


def _writable(fdinfo: str) -> bool:
    for line in fdinfo.splitlines():
        if line.startswith("flags:"):
            return int(line.split()[1], 8) & 0o3 in (os.O_WRONLY, os.O_RDWR)
    return False


def unique_name(folder: Path, name: str) -> Path:
    """``folder/name``, or ``name-2``, ``name-3``… before the extension when it is taken
    (scanners restart their counters: ``scan0001.pdf`` comes back every day)."""
    target = folder / name
    stem, suffix = Path(name).stem, Path(name).suffix
    n = 2
    while target.exists() or target.with_name(target.name + REASON_SUFFIX).exists():
        target = folder / f"{stem}-{n}{suffix}"
        n += 1
    return target


def move_into(path: Path, folder: Path, *, target: Path | None = None) -> Path:
    """Rename ``path`` into ``folder`` (same file system: atomic), then make it durable."""
    folder.mkdir(exist_ok=True)
    target = target or unique_name(folder, path.name)
    os.replace(path, target)
    fsync_dir(folder)
    fsync_dir(path.parent)
    return target


def write_reason(path: Path, name: str, reason: str, zone: tzinfo) -> None:
    """The clerk's explanation beside a rejected file, written whole or not at all."""
    path.parent.mkdir(exist_ok=True)
    stamp = datetime.now(zone).replace(microsecond=0).isoformat()
    text = f"Archivo: {name}\nRechazado: {stamp}\nMotivo: {reason}\n"
    temp = path.with_name("." + path.name + ".tmp")
    with temp.open("w", encoding="utf-8") as out:
        out.write(text)
        out.flush()
        os.fsync(out.fileno())
    os.replace(temp, path)
