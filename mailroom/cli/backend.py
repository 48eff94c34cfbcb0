"""``oficialia serve-backend`` and ``oficialia backend …``: the reference sync backend, its admin.

The backend keeps everything in its data folder (``--data-dir``, else ``OFICIALIA_HOME``; use a
folder of its own, not a counter's): ``backend.sqlite3``, ``blobs/`` and the signing key. The admin
commands open the same database as a running server, so a token printed here works at once.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mailroom.config import Settings
from mailroom.errors import InvalidInput, NotFound

if TYPE_CHECKING:
    from sync.server.backend import Backend


def add_backend_commands(commands: Any, common: argparse.ArgumentParser) -> None:
    serve = commands.add_parser(
        "serve-backend", parents=[common], help="servidor de sincronización de referencia"
    )
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8080)
    serve.add_argument(
        "--fault-hooks",
        action="store_true",
        help="solo pruebas: fallas a pedido por POST /_faults (también "
        "OFICIALIA_BACKEND_FAULT_HOOKS=1)",
    )
    serve.set_defaults(handler=cmd_serve_backend, needs_store=False)

    admin = commands.add_parser(
        "backend", help="administrar el servidor de sincronización"
    ).add_subparsers(dest="backend_command", required=True)
    token = admin.add_parser(
        "token", parents=[common], help="token de alta de un equipo (un solo uso, 24 horas)"
    )
    token.add_argument("--office", required=True, help="clave de la oficina del equipo")
    token.set_defaults(handler=cmd_token, needs_store=False)
    revoke = admin.add_parser("revocar", parents=[common], help="dar de baja un equipo")
    revoke.add_argument("device_id", metavar="EQUIPO")
    revoke.set_defaults(handler=cmd_revoke, needs_store=False)
    mark = admin.add_parser("marcar", parents=[common], help="cambiar el estado de un escrito")
    mark.add_argument("uuid", metavar="UUID")
    mark.add_argument("--estado", required=True, help="recibida, turnada, en_tramite, …")
    mark.add_argument("--nota", default="")
    mark.set_defaults(handler=cmd_mark, needs_store=False)
    catalog = admin.add_parser("catalogo", parents=[common], help="reemplazar un catálogo")
    catalog.add_argument("name", metavar="NOMBRE", help="procedures, departments u offices")
    catalog.add_argument("file", type=Path, metavar="ARCHIVO.json")
    catalog.set_defaults(handler=cmd_catalog, needs_store=False)
    openapi = admin.add_parser("openapi", parents=[common], help="escribir el documento OpenAPI")
    openapi.add_argument("-o", "--output", type=Path, help="archivo (salida estándar si se omite)")
    openapi.set_defaults(handler=cmd_openapi, needs_store=False)


def cmd_serve_backend(args: argparse.Namespace, store: None, settings: Settings) -> int:
    # Without the server extra (or in a packaged build) the import fails; mailroom.cli.program
    # says what to install.
    from sync.server.serve import serve_forever

    hooks = args.fault_hooks or os.environ.get("OFICIALIA_BACKEND_FAULT_HOOKS") == "1"
    backend = _backend(settings, fault_hooks=hooks)
    print(
        f"Servidor de sincronización en http://{args.host}:{args.port} "
        f"(datos: {settings.data_dir}; llave {backend.key_id})"
        + (" — FALLAS DE PRUEBA ACTIVAS" if hooks else ""),
        file=sys.stderr,
    )
    serve_forever(backend, args.host, args.port)
    return 0


def cmd_token(args: argparse.Namespace, store: None, settings: Settings) -> int:
    from sync.server import devices

    backend = _backend(settings)
    with _wrapped(), backend.connect() as connection:
        print(
            devices.issue_token(
                connection, args.office, backend.now(), backend.config.token_lifetime
            )
        )
    return 0


def cmd_revoke(args: argparse.Namespace, store: None, settings: Settings) -> int:
    from sync.server import devices

    backend = _backend(settings)
    with _wrapped(), backend.connect() as connection:
        devices.revoke(connection, args.device_id, backend.now())
    print(f"Equipo {args.device_id} dado de baja; para volver a usarlo necesita un token nuevo.")
    return 0


def cmd_mark(args: argparse.Namespace, store: None, settings: Settings) -> int:
    from sync.server import filings

    backend = _backend(settings)
    with _wrapped(), backend.connect() as connection:
        cursor = filings.mark(connection, args.uuid, args.estado, args.nota, backend.now())
    print(f"Escrito {args.uuid}: {args.estado} (cambio {cursor}).")
    return 0


def cmd_catalog(args: argparse.Namespace, store: None, settings: Settings) -> int:
    from sync.server import catalogs

    try:
        items = json.loads(args.file.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise InvalidInput(f"No existe el archivo {args.file}.", path=args.file) from error
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise InvalidInput(f"{args.file} no es JSON válido: {error}", path=args.file) from error
    backend = _backend(settings)
    with _wrapped(), backend.connect() as connection:
        etag = catalogs.replace(connection, args.name, items, backend.now())
    print(f"Catálogo {args.name}: {len(items)} elementos (ETag {etag}).")
    return 0


def cmd_openapi(args: argparse.Namespace, store: None, settings: Settings) -> int:
    from mailroom.tmpfiles import scratch
    from sync.server.backend import Backend, BackendConfig
    from sync.server.serve import openapi_document

    # The document does not depend on any data: build it over a throw-away backend folder in
    # the data folder's tmp/ (where every temporary file goes).
    with scratch(settings.data_dir, "openapi-") as folder:
        document = openapi_document(Backend(BackendConfig(data_dir=folder)))
    if args.output:
        args.output.write_text(document, encoding="utf-8")
    else:
        sys.stdout.write(document)
    return 0


def _backend(settings: Settings, *, fault_hooks: bool = False) -> Backend:
    from sync.server.backend import Backend, BackendConfig

    return Backend(BackendConfig(data_dir=settings.data_dir, fault_hooks=fault_hooks))


@contextmanager
def _wrapped() -> Iterator[None]:
    """Turn the backend's refusals into the application's errors (exit codes, Spanish text)."""
    from sync.server.errors import BackendError

    try:
        yield
    except BackendError as error:
        wrapper = NotFound if error.status == 404 else InvalidInput
        raise wrapper(error.message, code=error.code) from error
