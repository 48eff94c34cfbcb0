"""The FastAPI application: the routes of the sync protocol over a :class:`Backend`.

Routes are thin: read the (capped) body, authenticate, then run the blocking service function
(SQLite, fsync) in the thread pool. ``create_asgi`` adds the fault-hook layer around the app.
"""

from __future__ import annotations

import base64
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Path, Query, Request, Response
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp

from sync import protocol
from sync.server import catalogs, devices, filings, verify_page
from sync.server.backend import Backend
from sync.server.blobs import check_sha256
from sync.server.devices import Device
from sync.server.errors import BadRequest, NotFound
from sync.server.http import (
    FaultLayer,
    install_error_handlers,
    parse_json,
    read_body,
    request_drop,
)
from sync.server.openapi_docs import (
    BLOB_PUT_DOC,
    ENROLL_DOC,
    FILING_PUT_DOC,
    MISSING_DOC,
    SHA256,
    error_responses,
)

V1 = protocol.API_PREFIX
MAX_MISSING_QUERY = 1000
bearer = HTTPBearer(auto_error=False, description="credencial del equipo (alta)")

# Path parameters: the handlers check them (check_sha256, check_uuid, catalogs.read) and answer
# with their own codes, so these constraints only document the contract in the OpenAPI schema
# (json_schema_extra, not FastAPI validation) for readers and for schema-driven fuzzing.
Sha256Path = Annotated[str, Path(description="SHA-256 del archivo", json_schema_extra=SHA256)]
UuidPath = Annotated[
    str, Path(description="uuid del escrito", json_schema_extra={"format": "uuid"})
]
CatalogPath = Annotated[str, Path(json_schema_extra={"enum": list(protocol.CATALOGS)})]


async def authenticated_device(
    request: Request, _: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> Device:
    backend: Backend = request.app.state.backend
    return await run_in_threadpool(_authenticate, backend, request.headers.get("authorization"))


Authenticated = Annotated[Device, Depends(authenticated_device)]


def create_asgi(backend: Backend) -> ASGIApp:
    """What uvicorn serves: the API wrapped in the fault-hook layer."""
    return FaultLayer(create_app(backend), backend.faults)


def create_app(backend: Backend) -> FastAPI:
    app = FastAPI(
        title="Oficialía de Partes: backend de sincronización",
        version=str(protocol.PROTOCOL_VERSION),
        description="Contrato: sync/protocol.py y DESIGN.md («Sync protocol»).",
    )
    app.state.backend = backend
    install_error_handlers(app)
    verify_page.install(app, backend)  # the public page the acuse's QR opens

    @app.get(f"{V1}/ping", tags=["estado"])
    async def ping() -> dict[str, Any]:
        return {
            "service": protocol.SERVICE_NAME,
            "version": protocol.PROTOCOL_VERSION,
            "server_time": backend.now().isoformat(timespec="seconds"),
        }

    @app.post(
        f"{V1}/devices/enroll",
        status_code=201,
        tags=["equipos"],
        openapi_extra=ENROLL_DOC,
        responses=error_responses(400, 401, 409, 413),
    )
    async def enroll(request: Request) -> JSONResponse:
        body = parse_json(await read_body(request, 16 * 1024))
        token, code, name = _enrol_fields(body)
        enrolment = await run_in_threadpool(_enroll, backend, token, code, name)
        return JSONResponse(
            {
                "device_id": enrolment.device.id,
                "credential": enrolment.credential,
                "office": enrolment.device.office,
                "server_public_key": base64.b64encode(
                    protocol.public_key_raw(backend.public_key)
                ).decode(),
                "key_id": backend.key_id,
                "server_time": backend.now().isoformat(timespec="seconds"),
            },
            status_code=201,
        )

    @app.post(
        f"{V1}/blobs:missing",
        tags=["archivos"],
        openapi_extra=MISSING_DOC,
        responses=error_responses(400, 401, 403, 413),
    )
    async def missing(request: Request, who: Authenticated) -> dict[str, Any]:
        body = parse_json(await read_body(request, 256 * 1024))
        hashes = body.get("sha256") if isinstance(body, dict) else None
        if not isinstance(hashes, list) or not all(isinstance(h, str) for h in hashes):
            raise BadRequest('Se espera {"sha256": [lista de SHA-256]}.')
        if len(hashes) > MAX_MISSING_QUERY:
            raise BadRequest(f"Pregunte por {MAX_MISSING_QUERY} archivos como máximo.")
        for sha in hashes:
            check_sha256(sha)
        return {"missing": await run_in_threadpool(backend.blobs.missing, hashes)}

    @app.head(
        f"{V1}/blobs/{{sha256}}",
        tags=["archivos"],
        responses={204: {"description": "subida parcial"}, **error_responses(400, 401, 403, 404)},
    )
    async def blob_state(sha256: Sha256Path, who: Authenticated) -> Response:
        state = await run_in_threadpool(backend.blobs.state, check_sha256(sha256))
        if state.state == "unknown":
            raise NotFound("El servidor no tiene ese archivo.", code="archivo_desconocido")
        return Response(
            status_code=200 if state.state == "complete" else 204,
            headers={protocol.HEADER_UPLOAD_OFFSET: str(state.offset)},
        )

    @app.put(
        f"{V1}/blobs/{{sha256}}",
        tags=["archivos"],
        openapi_extra=BLOB_PUT_DOC,
        responses={
            201: {"description": "archivo completo"},
            202: {"description": "fragmento guardado"},
            **error_responses(400, 401, 403, 409, 413, 422),
        },
    )
    async def put_blob(sha256: Sha256Path, request: Request, who: Authenticated) -> Response:
        check_sha256(sha256)
        content_range = request.headers.get(protocol.HEADER_CONTENT_RANGE)
        digest = request.headers.get(protocol.HEADER_CHUNK_DIGEST)
        if not content_range or not digest:
            raise BadRequest(
                f"Faltan los encabezados {protocol.HEADER_CONTENT_RANGE} y "
                f"{protocol.HEADER_CHUNK_DIGEST}.",
                code="encabezados_faltantes",
            )
        data = await read_body(request, protocol.MAX_REQUEST_CHUNK)
        result = await run_in_threadpool(
            backend.blobs.put_chunk, sha256, content_range, digest, data
        )
        return JSONResponse(
            {"sha256": sha256, "offset": result.offset, "complete": result.complete},
            status_code=201 if result.complete else 202,
            headers={protocol.HEADER_UPLOAD_OFFSET: str(result.offset)},
        )

    @app.put(
        f"{V1}/filings/{{uuid}}",
        tags=["escritos"],
        openapi_extra=FILING_PUT_DOC,
        responses={
            200: {"description": "repetición (de esta o de una revisión anterior): el mismo acuse"},
            201: {
                "description": "registrado, o nueva revisión con documentos agregados al final "
                "(mismo folio institucional): acuse firmado"
            },
            **error_responses(400, 401, 403, 409, 413, 422),
        },
    )
    async def put_filing(uuid: UuidPath, request: Request, who: Authenticated) -> Response:
        filings.check_uuid(uuid)
        if request.headers.get(protocol.HEADER_IDEMPOTENCY_KEY) != uuid:
            raise BadRequest(
                f"El encabezado {protocol.HEADER_IDEMPOTENCY_KEY} debe ser el uuid del escrito.",
                code="idempotencia_invalida",
            )
        manifest = parse_json(await read_body(request, backend.config.max_json_bytes))
        result = await run_in_threadpool(_commit, backend, manifest, uuid, who)
        if result.created and backend.faults.take_drop():
            request_drop(request)
        return JSONResponse(result.receipt.to_dict(), status_code=201 if result.created else 200)

    @app.get(
        f"{V1}/filings/{{uuid}}/receipt",
        tags=["escritos"],
        responses=error_responses(400, 401, 403, 404),
    )
    async def receipt(uuid: UuidPath, who: Authenticated) -> dict[str, str]:
        filings.check_uuid(uuid)
        return await run_in_threadpool(_with_connection, backend, filings.receipt_of, uuid, who)

    @app.get(
        f"{V1}/catalogs/{{name}}",
        tags=["catálogos"],
        responses={304: {"description": "sin cambios"}, **error_responses(401, 403, 404)},
    )
    async def catalog(name: CatalogPath, request: Request, who: Authenticated) -> Response:
        items, etag = await run_in_threadpool(_with_connection, backend, catalogs.read, name)
        if catalogs.matches(request.headers.get("if-none-match"), etag):
            return Response(status_code=304, headers={"ETag": etag})
        return JSONResponse({"items": items}, headers={"ETag": etag})

    @app.get(f"{V1}/changes", tags=["escritos"], responses=error_responses(400, 401, 403))
    async def changes(
        who: Authenticated,
        since: Annotated[int, Query(ge=0, le=2**62)] = 0,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> dict[str, Any]:
        return await run_in_threadpool(
            _with_connection, backend, filings.changes, who.office, since, limit
        )

    @app.post("/_faults", include_in_schema=False)
    async def faults(request: Request) -> dict[str, Any]:
        if not backend.faults.enabled:
            raise NotFound("No existe esa dirección.")
        settings = parse_json(await read_body(request, 4096))
        if not isinstance(settings, dict):
            raise BadRequest("Se espera un objeto JSON.")
        try:
            backend.faults.apply(settings)
        except ValueError as error:
            raise BadRequest(str(error)) from error
        return {"ok": True}

    return app


def _authenticate(backend: Backend, header: str | None) -> Device:
    with backend.connect() as connection:
        return devices.authenticate(connection, header)


def _enrol_fields(body: Any) -> tuple[str, str, str]:
    if not isinstance(body, dict):
        raise BadRequest('Se espera {"token", "device_code", "name"}.')
    token, code, name = body.get("token"), body.get("device_code"), body.get("name", "")
    if not isinstance(token, str) or not token:
        raise BadRequest("Falta el token de alta.", code="token_faltante")
    if (
        not isinstance(code, str)
        or not 0 < len(code) <= 32
        or not code.replace("-", "").replace("_", "").isalnum()
    ):
        raise BadRequest(
            "La clave del equipo (device_code) debe tener de 1 a 32 letras, números o guiones.",
            code="equipo_invalido",
        )
    if not isinstance(name, str) or len(name) > 200:
        raise BadRequest("El nombre del equipo debe ser texto (máximo 200 caracteres).")
    return token, code, name


def _enroll(backend: Backend, token: str, code: str, name: str) -> devices.Enrolment:
    with backend.connect() as connection:
        return devices.enroll(connection, token, code, name, backend.now())


def _commit(backend: Backend, manifest: Any, uuid: str, who: Device) -> filings.Commit:
    needed = filings.validate_manifest(manifest, uuid, who)
    missing = backend.blobs.missing(needed) if needed else []
    with backend.connect() as connection:
        return filings.commit(
            connection,
            manifest,
            who,
            missing,
            backend.signing_key,
            backend.key_id,
            backend.now(),
            abort_after_folio=backend.folio_aborts.should_abort,
        )


def _with_connection(backend: Backend, function: Any, *args: Any) -> Any:
    with backend.connect() as connection:
        return function(connection, *args)
