"""Running the backend under uvicorn, in the foreground (the CLI) or in a thread (tests).

With ``workers`` > 1 uvicorn starts that many processes, each importing
:func:`app_from_environment` and building its own :class:`Backend` (its own connection pool) from
the ``OFICIALIA_BACKEND_*`` variables the parent sets from its configuration. Several workers need
a database every process can write, i.e. PostgreSQL: on SQLite they would all queue on one writer.
"""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

import uvicorn
from starlette.types import ASGIApp

from sync.server.app import create_app, create_asgi
from sync.server.backend import (
    ABORT_AFTER_FOLIO_ENV,
    BLOB_URL_ENV,
    DATABASE_URL_ENV,
    FAULT_HOOKS_ENV,
    Backend,
    BackendConfig,
)

OPENAPI_FILE = Path(__file__).with_name("openapi.json")


def uvicorn_config(
    backend: Backend, host: str, port: int, *, log_level: str = "info"
) -> uvicorn.Config:
    return uvicorn.Config(
        create_asgi(backend),
        host=host,
        port=port,
        http="h11",  # the fault hook that drops an answer relies on h11's request cycle
        lifespan="off",
        log_level=log_level,
        access_log=log_level == "debug",
        timeout_graceful_shutdown=5,
    )


DATA_DIR_ENV = "OFICIALIA_BACKEND_DATA_DIR"


def serve_forever(backend: Backend, host: str, port: int, *, workers: int = 1) -> None:
    if workers <= 1:
        uvicorn.Server(uvicorn_config(backend, host, port)).run()
        return
    # The parent's backend has migrated the database and created the signing key; the workers
    # only open them. Its pool is closed so no connection outlives it idle.
    os.environ.update(environment_of(backend.config))
    backend.close()
    uvicorn.run(
        f"{__name__}:app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        http="h11",
        lifespan="off",
        log_level="info",
        access_log=False,
        timeout_graceful_shutdown=5,
    )


def environment_of(config: BackendConfig) -> dict[str, str]:
    """What a worker process needs to rebuild ``config`` (see :func:`config_from_environment`)."""
    variables = {
        DATA_DIR_ENV: str(config.data_dir),
        DATABASE_URL_ENV: config.database_url or "",
        BLOB_URL_ENV: config.blob_url or "",
        FAULT_HOOKS_ENV: "1" if config.fault_hooks else "",
        ABORT_AFTER_FOLIO_ENV: "1" if config.abort_after_folio else "",
    }
    return variables


def config_from_environment() -> BackendConfig:
    data_dir = os.environ.get(DATA_DIR_ENV)
    if not data_dir:
        raise RuntimeError(f"falta {DATA_DIR_ENV} (la carpeta de datos del servidor)")
    return BackendConfig(
        data_dir=Path(data_dir),
        database_url=os.environ.get(DATABASE_URL_ENV) or None,
        blob_url=os.environ.get(BLOB_URL_ENV) or None,
        fault_hooks=os.environ.get(FAULT_HOOKS_ENV) == "1",
        abort_after_folio=os.environ.get(ABORT_AFTER_FOLIO_ENV) == "1",
    )


def app_from_environment() -> ASGIApp:
    """uvicorn's app factory in each worker process."""
    return create_asgi(Backend(config_from_environment()))


class ThreadedServer:
    """uvicorn in a background thread, on a port the OS picked; for tests and demos."""

    def __init__(self, backend: Backend, host: str = "127.0.0.1") -> None:
        self.server = uvicorn.Server(uvicorn_config(backend, host, 0, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, name="backend", daemon=True)

    def start(self, timeout: float = 10.0) -> int:
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("el servidor de pruebas no arrancó")
            time.sleep(0.01)
        sockets = [s for server in self.server.servers for s in server.sockets]
        return int(sockets[0].getsockname()[1])

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def openapi_document(backend: Backend) -> str:
    """The OpenAPI document as committed in ``sync/server/openapi.json``."""
    return json.dumps(create_app(backend).openapi(), ensure_ascii=False, indent=2) + "\n"
