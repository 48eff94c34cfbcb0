"""What the backend answers when it refuses a request.

Every refusal is a :class:`BackendError` carrying the HTTP status, a stable ``code`` for programs
and a Spanish ``message`` for people; the API turns it into ``protocol.error_body``. The admin
commands (``oficialia backend …``) wrap these into the application's own errors at their boundary.
"""

from __future__ import annotations

from typing import Any


class BackendError(Exception):
    """Root of every error the reference backend raises on purpose."""

    status = 400
    code = "solicitud_invalida"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        status: int | None = None,
        headers: dict[str, str] | None = None,
        **details: Any,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        self.headers = headers or {}
        self.details = details


class BadRequest(BackendError):
    status = 400
    code = "solicitud_invalida"


class NotAuthenticated(BackendError):
    status = 401
    code = "no_autenticado"


class Forbidden(BackendError):
    status = 403
    code = "prohibido"


class NotFound(BackendError):
    status = 404
    code = "no_encontrado"


class Conflict(BackendError):
    status = 409
    code = "conflicto"


class TooLarge(BackendError):
    status = 413
    code = "demasiado_grande"


class Unprocessable(BackendError):
    status = 422
    code = "no_procesable"
