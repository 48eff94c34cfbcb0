"""``oficialia serve-backend`` and ``oficialia backend …``: the reference sync backend, its admin.

The backend keeps everything in its data folder (``--data-dir``, else ``OFICIALIA_HOME``; use a
folder of its own, not a counter's): ``backend.sqlite3``, ``blobs/`` and the signing key. At state
scale ``--database-url postgresql://…`` (or ``OFICIALIA_BACKEND_DATABASE_URL``) moves the metadata
to PostgreSQL and ``--blob-url`` (or ``OFICIALIA_BACKEND_BLOB_URL``) the files to an object store;
the signing key stays in the data folder. The admin commands take the same options and open the
same database as a running server, so a token printed here works at once.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mailroom.config import Settings
from mailroom.errors import InvalidInput, NotFound

if TYPE_CHECKING:
    from sync.server.backend import Backend


DATABASE_URL_ENV = "OFICIALIA_BACKEND_DATABASE_URL"
BLOB_URL_ENV = "OFICIALIA_BACKEND_BLOB_URL"
ABORT_AFTER_FOLIO_ENV = "OFICIALIA_BACKEND_ABORT_AFTER_FOLIO"


def storage_options() -> argparse.ArgumentParser:
    """``--database-url`` and ``--blob-url``, for every command that opens the backend."""
    options = argparse.ArgumentParser(add_help=False)
    options.add_argument(
        "--database-url",
        metavar="URL",
        help="base de datos: postgresql://usuario@servidor/base (también "
        f"{DATABASE_URL_ENV}); sin ella, backend.sqlite3 en la carpeta de datos",
    )
    options.add_argument(
        "--blob-url",
        metavar="URL",
        help=f"almacén de archivos (también {BLOB_URL_ENV}); sin él, blobs/ en la carpeta de datos",
    )
    return options


def add_backend_commands(commands: Any, common: argparse.ArgumentParser) -> None:
    storage = storage_options()
    serve = commands.add_parser(
        "serve-backend",
        parents=[common, storage],
        help="servidor de sincronización de referencia",
    )
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8080)
    serve.add_argument(
        "--workers",
        type=int,
        default=1,
        metavar="N",
        help="procesos que atienden (más de uno requiere --database-url de PostgreSQL)",
    )
    serve.add_argument(
        "--barrido-minutos",
        type=float,
        default=60.0,
        metavar="M",
        help="cada cuánto se quitan restos de subidas abandonadas (60; 0: nunca)",
    )
    serve.add_argument(
        "--abandono-horas",
        type=float,
        default=24.0,
        metavar="H",
        help="una subida sin movimiento en tantas horas se da por abandonada (24)",
    )
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
        "token",
        parents=[common, storage],
        help="token de alta de un equipo (un solo uso, 24 horas)",
    )
    token.add_argument("--office", required=True, help="clave de la oficina del equipo")
    token.set_defaults(handler=cmd_token, needs_store=False)
    revoke = admin.add_parser("revocar", parents=[common, storage], help="dar de baja un equipo")
    revoke.add_argument("device_id", metavar="EQUIPO")
    revoke.set_defaults(handler=cmd_revoke, needs_store=False)
    mark = admin.add_parser(
        "marcar", parents=[common, storage], help="cambiar el estado de un escrito"
    )
    mark.add_argument("uuid", metavar="UUID")
    mark.add_argument("--estado", required=True, help="recibida, turnada, en_tramite, …")
    mark.add_argument("--nota", default="")
    mark.set_defaults(handler=cmd_mark, needs_store=False)
    catalog = admin.add_parser("catalogo", parents=[common, storage], help="reemplazar un catálogo")
    catalog.add_argument("name", metavar="NOMBRE", help="procedures, departments u offices")
    catalog.add_argument("file", type=Path, metavar="ARCHIVO.json")
    catalog.set_defaults(handler=cmd_catalog, needs_store=False)
    openapi = admin.add_parser(
        "openapi", parents=[common, storage], help="escribir el documento OpenAPI"
    )
    openapi.add_argument("-o", "--output", type=Path, help="archivo (salida estándar si se omite)")
    openapi.set_defaults(handler=cmd_openapi, needs_store=False)
    add_reconcile_command(admin, common, storage)
    add_migrate_command(admin, common, storage)


def cmd_serve_backend(args: argparse.Namespace, store: None, settings: Settings) -> int:
    # Without the server extra (or in a packaged build) the import fails; mailroom.cli.program
    # says what to install.
    from sync.server.serve import serve_forever
    from sync.server.sql import redacted

    hooks = args.fault_hooks or os.environ.get("OFICIALIA_BACKEND_FAULT_HOOKS") == "1"
    if args.workers < 1:
        raise InvalidInput("--workers debe ser 1 o más.")
    if args.barrido_minutos < 0 or args.abandono_horas <= 0:
        raise InvalidInput(
            "--barrido-minutos no puede ser negativo y --abandono-horas debe ser mayor que cero."
        )
    upkeep = {
        "sweep_every": timedelta(minutes=args.barrido_minutos) if args.barrido_minutos else None,
        "abandon_after": timedelta(hours=args.abandono_horas),
    }
    backend = _backend(args, settings, fault_hooks=hooks, **upkeep)
    if args.workers > 1 and backend.database.dialect == "sqlite":
        raise InvalidInput(
            "Varios procesos (--workers) necesitan una base PostgreSQL: indique "
            f"--database-url postgresql://… (o {DATABASE_URL_ENV})."
        )
    where = redacted(backend.database.url)
    print(
        f"Servidor de sincronización en http://{args.host}:{args.port} "
        f"(datos: {settings.data_dir}; base: {where}; {args.workers} proceso(s); "
        f"llave {backend.key_id})" + (" — FALLAS DE PRUEBA ACTIVAS" if hooks else ""),
        file=sys.stderr,
    )
    serve_forever(backend, args.host, args.port, workers=args.workers)
    return 0


def cmd_token(args: argparse.Namespace, store: None, settings: Settings) -> int:
    from sync.server import devices

    backend = _backend(args, settings)
    with closing(backend), _wrapped(), backend.connect() as connection:
        print(
            devices.issue_token(
                connection, args.office, backend.now(), backend.config.token_lifetime
            )
        )
    return 0


def cmd_revoke(args: argparse.Namespace, store: None, settings: Settings) -> int:
    from sync.server import devices

    backend = _backend(args, settings)
    with closing(backend), _wrapped(), backend.connect() as connection:
        devices.revoke(connection, args.device_id, backend.now())
    print(f"Equipo {args.device_id} dado de baja; para volver a usarlo necesita un token nuevo.")
    return 0


def cmd_mark(args: argparse.Namespace, store: None, settings: Settings) -> int:
    from sync.server import filings

    backend = _backend(args, settings)
    with closing(backend), _wrapped(), backend.connect() as connection:
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
    backend = _backend(args, settings)
    with closing(backend), _wrapped(), backend.connect() as connection:
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


def _backend(
    args: argparse.Namespace, settings: Settings, *, fault_hooks: bool = False, **more: Any
) -> Backend:
    from sync.server.backend import Backend, BackendConfig

    database_url = args.database_url or os.environ.get(DATABASE_URL_ENV) or None
    blob_url = args.blob_url or os.environ.get(BLOB_URL_ENV) or None
    config = BackendConfig(
        data_dir=settings.data_dir,
        fault_hooks=fault_hooks,
        database_url=database_url,
        blob_url=blob_url,
        abort_after_folio=fault_hooks and os.environ.get(ABORT_AFTER_FOLIO_ENV) == "1",
        **more,
    )
    try:
        return Backend(config)
    except Exception as error:
        if database_url is None or not _is_connection_error(error):
            raise
        from sync.server.sql import redacted

        raise InvalidInput(
            f"No se pudo abrir la base de datos {redacted(database_url)} "
            f"({str(error).strip().splitlines()[0]}). Revise la dirección, que el servidor "
            "PostgreSQL esté en marcha y que acepte la conexión."
        ) from error


def _is_connection_error(error: Exception) -> bool:
    try:
        import psycopg
        from psycopg_pool import PoolTimeout
    except ImportError:
        return False
    return isinstance(error, psycopg.OperationalError | PoolTimeout)


@contextmanager
def _wrapped() -> Iterator[None]:
    """Turn the backend's refusals into the application's errors (exit codes, Spanish text)."""
    from sync.server.errors import BackendError

    try:
        yield
    except BackendError as error:
        wrapper = NotFound if error.status == 404 else InvalidInput
        raise wrapper(error.message, code=error.code) from error


# ``oficialia backend reconciliar`` ---------------------------------------------------------------


def add_reconcile_command(
    admin: Any, common: argparse.ArgumentParser, storage: argparse.ArgumentParser
) -> None:
    reconcile = admin.add_parser(
        "reconciliar",
        parents=[common, storage],
        help="comparar el almacén de archivos con la base (y limpiar restos con --reparar)",
    )
    reconcile.add_argument(
        "--reparar",
        action="store_true",
        help="quitar subidas abandonadas y archivos que ninguna fila nombra (nunca filas)",
    )
    reconcile.add_argument(
        "--horas",
        type=float,
        default=24.0,
        help="con --reparar: antigüedad a partir de la cual una subida está abandonada (24)",
    )
    reconcile.set_defaults(handler=cmd_reconcile, needs_store=False)


def cmd_reconcile(args: argparse.Namespace, store: None, settings: Settings) -> int:
    from datetime import UTC, datetime

    from sync.server import blob_upkeep

    if args.horas <= 0:
        raise InvalidInput("--horas debe ser mayor que cero.")
    backend = _backend(args, settings)
    with closing(backend), _wrapped():
        if args.reparar:
            cutoff = datetime.now(UTC) - timedelta(hours=args.horas)
            swept = blob_upkeep.sweep(backend.database, backend.objects, cutoff)
            print(
                f"Subidas abandonadas quitadas: {swept.uploads}; fragmentos sueltos: "
                f"{swept.staged}; ensamblados sin terminar: {swept.assemblies}."
            )
        found = blob_upkeep.reconcile(backend.database, backend.objects, repair=args.reparar)
    print(f"Almacén: {backend.objects.describe()}")
    for key in found.orphan_objects:
        note = " (quitado)" if key in found.removed else ""
        print(f"  archivo sin fila: {key}{note}")
    for sha in found.missing_objects:
        print(f"  fila sin archivo: {sha}")
    if not found.orphan_objects and not found.missing_objects:
        print("Todo en orden: cada archivo tiene su fila y cada fila su archivo.")
        return 0
    kept = len(found.orphan_objects) - len(found.removed)
    print(
        f"{len(found.orphan_objects)} archivo(s) sin fila ({len(found.removed)} quitado(s)), "
        f"{len(found.missing_objects)} fila(s) sin archivo."
        + (
            " Los archivos sin fila de menos de una hora se dejan: pueden ser subidas en curso."
            if args.reparar and kept
            else ""
        )
        + (
            " Las filas sin archivo no se reparan solas: restaure esos archivos del respaldo."
            if found.missing_objects
            else ""
        )
    )
    return 1 if found.missing_objects or kept else 0


# ``oficialia backend migrar`` --------------------------------------------------------------------


def add_migrate_command(
    admin: Any, common: argparse.ArgumentParser, storage: argparse.ArgumentParser
) -> None:
    migrate = admin.add_parser(
        "migrar",
        parents=[common, storage],
        help="copiar un servidor de SQLite y carpeta a PostgreSQL y un almacén S3 (reanudable)",
    )
    migrate.add_argument(
        "--desde",
        type=Path,
        required=True,
        metavar="CARPETA",
        help="carpeta de datos del servidor actual (detenido): backend.sqlite3, blobs/, llave",
    )
    migrate.add_argument(
        "--lote", type=int, default=500, metavar="N", help="filas por transacción (500)"
    )
    migrate.set_defaults(handler=cmd_migrate, needs_store=False)


def cmd_migrate(args: argparse.Namespace, store: None, settings: Settings) -> int:
    from sync.server import migrate

    database_url = args.database_url or os.environ.get(DATABASE_URL_ENV) or None
    blob_url = args.blob_url or os.environ.get(BLOB_URL_ENV) or None
    if database_url is None:
        raise InvalidInput(
            f"Indique la base de destino con --database-url postgresql://… (o {DATABASE_URL_ENV})."
        )
    if args.lote < 1:
        raise InvalidInput("--lote debe ser 1 o más.")
    folder = args.desde.resolve()
    with _wrapped():
        result = migrate.migrate(
            folder,
            database_url,
            blob_url,
            batch=args.lote,
            progress=lambda line: print(line, flush=True),
        )
    if result.copied == 0:
        print("Nada que copiar: el destino ya tenía todo lo del origen.")
    else:
        print(f"Migración completa: {result.copied} fila(s) y archivo(s) copiados.")
    print(
        "Las subidas a medias no se copian: los equipos las reinician desde el principio. "
        f"Arranque los servidores nuevos con --data-dir {folder} (la llave de firma sigue ahí)"
        " y las mismas --database-url y --blob-url."
    )
    return 0
