"""Running the backend under uvicorn, in the foreground (the CLI) or in a thread (tests)."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import uvicorn

from sync.server.app import create_app, create_asgi
from sync.server.backend import Backend

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


def serve_forever(backend: Backend, host: str, port: int) -> None:
    uvicorn.Server(uvicorn_config(backend, host, port)).run()


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
