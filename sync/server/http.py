"""HTTP plumbing shared by the routes: capped body reading, JSON parsing, error answers, and the
outermost ASGI layer that plays the fault hooks (see :mod:`sync.server.faults`)."""

from __future__ import annotations

import json
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sync import protocol
from sync.server.errors import BackendError, BadRequest, TooLarge
from sync.server.faults import FaultHooks

FAULT_SCOPE_KEY = "oficialia.fault"
# How much of an oversized body is read and thrown away so the client gets its 413 instead of a
# reset connection; beyond this the connection is simply closed.
DRAIN_LIMIT = 64 * 1024 * 1024
# Deepest nesting of lists/objects a JSON body may have; a manifest needs 3.
MAX_JSON_DEPTH = 32

CAPTIVE_PORTAL_PAGE = (
    b"<!DOCTYPE html><html><head><title>Red de invitados</title></head><body>"
    b"<h1>Bienvenido</h1><p>Acepte los t&eacute;rminos para navegar.</p>"
    b"<form method=post action=/login><button>Aceptar</button></form></body></html>"
)


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refusing (413) more than ``limit`` bytes without holding them."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > DRAIN_LIMIT:
        raise TooLarge(f"La solicitud pasa de {limit} bytes.")
    chunks: list[bytes] = []
    received = 0
    async for chunk in request.stream():
        received += len(chunk)
        if received <= limit:
            chunks.append(chunk)
        elif received > DRAIN_LIMIT:
            break
    if received > limit:
        raise TooLarge(f"La solicitud pasa de {limit} bytes.", code="demasiado_grande")
    return b"".join(chunks)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} no es un número JSON válido")


def parse_json(body: bytes) -> Any:
    try:
        value = json.loads(body.decode("utf-8"), parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError) as error:
        raise BadRequest(
            f"El cuerpo no es JSON válido en UTF-8: {error}", code="json_invalido"
        ) from error
    except RecursionError as error:
        raise _too_deep() from error
    _check_parsed(value)
    return value


def _too_deep() -> BadRequest:
    return BadRequest(
        f"El JSON anida más de {MAX_JSON_DEPTH} niveles de listas u objetos.", code="json_invalido"
    )


def _check_parsed(value: Any) -> None:
    """Refuse what json.loads lets through but nothing after it can handle: nesting deeper than
    any request of the protocol, and lone surrogates (``"\\ud800"``), which are not UTF-8 and so
    cannot be hashed, signed or stored."""
    pending: list[tuple[Any, int]] = [(value, 0)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, str):
            _check_text(item)
        elif isinstance(item, dict | list):
            if depth >= MAX_JSON_DEPTH:
                raise _too_deep()
            if isinstance(item, dict):
                for key, child in item.items():
                    _check_text(key)
                    pending.append((child, depth + 1))
            else:
                pending.extend((child, depth + 1) for child in item)


def _check_text(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        raise BadRequest(
            "El JSON trae un carácter que no es Unicode válido (un «surrogate» suelto: "
            f"{text[error.start : error.end].encode('unicode_escape').decode()}).",
            code="json_invalido",
        ) from error


def error_response(error: BackendError) -> JSONResponse:
    return JSONResponse(
        protocol.error_body(error.code, error.message, **error.details),
        status_code=error.status,
        headers=error.headers,
    )


def install_error_handlers(app: FastAPI) -> None:
    async def backend_error(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, BackendError)
        return error_response(error)

    async def http_error(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, StarletteHTTPException)
        codes = {404: "no_encontrado", 405: "metodo_no_permitido"}
        message = {404: "No existe esa dirección.", 405: "Método no permitido aquí."}
        return JSONResponse(
            protocol.error_body(
                codes.get(error.status_code, "error_http"),
                message.get(error.status_code, str(error.detail)),
            ),
            status_code=error.status_code,
            headers=getattr(error, "headers", None),
        )

    async def validation_error(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, RequestValidationError)
        where = "; ".join(
            f"{'.'.join(str(p) for p in item.get('loc', ()))}: {item.get('msg', '')}"
            for item in error.errors()
        )
        return JSONResponse(
            protocol.error_body("solicitud_invalida", f"Parámetros inválidos ({where})."),
            status_code=400,
        )

    async def unexpected(request: Request, error: Exception) -> JSONResponse:
        return JSONResponse(
            protocol.error_body(
                "error_interno", "Error interno del servidor; se puede reintentar más tarde."
            ),
            status_code=500,
        )

    app.add_exception_handler(BackendError, backend_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(Exception, unexpected)


def request_drop(request: Request) -> None:
    """Ask :class:`FaultLayer` to drop this connection instead of sending the answer."""
    box = request.scope.get(FAULT_SCOPE_KEY)
    if isinstance(box, dict):
        box["drop"] = True


class FaultLayer:
    """Outermost ASGI layer: injected 503/429s, the captive portal, and dropped answers."""

    def __init__(self, app: ASGIApp, faults: FaultHooks) -> None:
        self.app = app
        self.faults = faults

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.faults.enabled or scope["path"] == "/_faults":
            await self.app(scope, receive, send)
            return
        failure = self.faults.take_failure()
        if failure is not None:
            code = "demasiadas_solicitudes" if failure.status == 429 else "servicio_no_disponible"
            await JSONResponse(
                protocol.error_body(code, "El servidor está ocupado; reintente más tarde."),
                status_code=failure.status,
                headers={"Retry-After": str(failure.retry_after)},
            )(scope, receive, send)
            return
        if scope["path"] == f"{protocol.API_PREFIX}/ping" and self.faults.portal_active():
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [(b"content-type", b"text/html; charset=utf-8")],
                }
            )
            await send({"type": "http.response.body", "body": CAPTIVE_PORTAL_PAGE})
            return
        box: dict[str, bool] = {"drop": False}
        scope[FAULT_SCOPE_KEY] = box

        async def guarded_send(message: Message) -> None:
            if box["drop"]:
                return  # swallow the answer; the connection is aborted below
            await send(message)

        await self.app(scope, receive, guarded_send)
        if box["drop"]:
            _abort_connection(receive)


def _abort_connection(receive: Receive) -> None:
    # uvicorn's receive is a bound method of its request cycle, which holds the socket's
    # transport; abort() closes it at once (no bytes, no FIN-after-500) so the client sees the
    # connection die after the commit, exactly like a crash or a cut cable.
    transport = getattr(getattr(receive, "__self__", None), "transport", None)
    if transport is None:
        raise ConnectionAbortedError("fault hook: answer dropped after commit")
    transport.abort()
