"""The local PostgreSQL and SeaweedFS that the state-backend benchmarks (backend.py, migrate.py,
workers_killed.py) start in their work folder, and the message when they cannot."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from sync.server.local_processes import LocalServiceError
from sync.server.local_services import PostgresCluster, SeaweedS3

T = TypeVar("T")


def with_state_services(
    work_dir: str | None, name: str, body: Callable[[Path, PostgresCluster, SeaweedS3], T]
) -> T | None:
    """``body(folder, postgres, seaweed)`` with both services running in the work folder
    (``--work-dir`` or bench/.work-<name>); None, having said why, when they cannot start."""
    from firstpaint import work_folder  # bench/ is on the path when run as a script

    try:
        with (
            work_folder(work_dir, name) as folder,
            PostgresCluster(folder / "postgresql") as postgres,
            SeaweedS3(folder / "seaweedfs") as seaweed,
        ):
            print(
                f"PostgreSQL listo en {postgres.startup_seconds:.1f} s, "
                f"SeaweedFS en {seaweed.startup_seconds:.1f} s ({folder}).",
                flush=True,
            )
            return body(folder, postgres, seaweed)
    except (LocalServiceError, ImportError) as error:
        print(f"No se pudo medir: {error}")
        print(
            "Hacen falta PostgreSQL (make system-packages) y el extra «server» (make setup); "
            "como root, la carpeta de trabajo (--work-dir) debe estar al alcance de oficialia-pg."
        )
        return None
