"""On Windows, tell the installer that Oficialía is running: a named mutex held for the life of
the process.

The NSIS installer (``installer/windows/oficialia.nsi``) opens these names with ``OpenMutexW``
and refuses to install or uninstall while one exists: replacing DLLs under a running app fails
half-way on Windows and leaves a broken install. Two names are held. The plain one lives in the
session's own namespace, which is what an installer started in the same session sees. The
``Global\\`` one is seen from every session: the kiosk runs under its own account, and a counter
PC may have several clerks logged in (fast user switching) while the admin installs.

The handles are never closed: Windows closes them when the process ends, however it ends
(a crash included), so the installer never sees a mutex of a process that is gone. Elsewhere
this module does nothing.
"""

from __future__ import annotations

import sys

MUTEX_NAME = "OficialiaEnEjecucion"
MUTEX_NAMES = (MUTEX_NAME, f"Global\\{MUTEX_NAME}")

_held: list[int] = []


def mark_running() -> None:
    """Create and hold the mutexes (once per process; later calls do nothing). Never raises: a
    name that cannot be created (another user's ``Global\\`` mutex denies access, say) only makes
    that one go unheld, and the app runs all the same."""
    if _held or sys.platform != "win32":
        return
    import ctypes
    from ctypes import wintypes

    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
    create_mutex = kernel32.CreateMutexW
    create_mutex.argtypes = (wintypes.LPVOID, wintypes.BOOL, wintypes.LPCWSTR)
    create_mutex.restype = wintypes.HANDLE
    for name in MUTEX_NAMES:
        # Not owned (False): the mutex marks presence; nobody waits on it. When another
        # Oficialía process already created it, this opens the same object, which is fine.
        handle = create_mutex(None, False, name)
        if handle:
            _held.append(handle)


def is_marked() -> bool:
    """Whether this process holds at least one of the mutexes (always False off Windows)."""
    return bool(_held)
