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
from datetime import timedelta
from pathlib import Path

import uvicorn
from starlette.types import ASGIApp

from sync.server.app import create_app, create_asgi
from sync.server.backend import Backend, BackendConfig

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


# The parent's whole configuration as JSON, for its worker processes (internal, not a setting).
CONFIG_ENV = "OFICIALIA_BACKEND_WORKER_CONFIG"


def serve_forever(backend: Backend, host: str, port: int, *, workers: int = 1) -> None:
    if workers <= 1:
        backend.start_upkeep()
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
    """What a worker process needs to rebuild ``config`` (see :func:`config_from_environment`):
    every field, so a worker runs with the same time zone, limits and upkeep as its parent."""
    fields: dict[str, object] = {}
    for name, value in vars(config).items():
        if isinstance(value, timedelta):
            fields[name] = {"seconds": value.total_seconds()}
        elif isinstance(value, Path):
            fields[name] = str(value)
        else:
            fields[name] = value
    return {CONFIG_ENV: json.dumps(fields)}


def config_from_environment() -> BackendConfig:
    text = os.environ.get(CONFIG_ENV)
    if not text:
        raise RuntimeError(f"falta {CONFIG_ENV} (la configuración del servidor)")
    fields = json.loads(text)
    for name, value in fields.items():
        if isinstance(value, dict):
            fields[name] = timedelta(seconds=value["seconds"])
    fields["data_dir"] = Path(fields["data_dir"])
    return BackendConfig(**fields)


def app_from_environment() -> ASGIApp:
    """uvicorn's app factory in each worker process."""
    backend = Backend(config_from_environment())
    backend.start_upkeep()
    return create_asgi(backend)


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
