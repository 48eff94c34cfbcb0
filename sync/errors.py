"""The sync client's errors, classified by what the worker should do about them.

All derive from :class:`mailroom.errors.OficialiaError` (one root), carry a Spanish message a clerk
can act on, and say whether retrying can help. ``requests`` exceptions never leave
``sync.transport``: they become :class:`Offline`.
"""

from __future__ import annotations

from typing import Any

from mailroom.errors import OficialiaError


class SyncError(OficialiaError):
    code = "sincronizacion"
    exit_code = 1


class Offline(SyncError):
    """The backend could not be reached or answered like something else (a captive portal)."""

    code = "sin_conexion"
    retryable = True


class Transient(SyncError):
    """The backend answered but asked us to come back later (5xx, 429, 503 + Retry-After)."""

    code = "servidor_ocupado"
    retryable = True

    def __init__(self, message: str, *, retry_after: float | None = None, **details: Any) -> None:
        super().__init__(message, **details)
        self.retry_after = retry_after


class Rejected(SyncError):
    """A permanent refusal of one filing (4xx): a person must look at it; other items go on."""

    code = "rechazado"

    def __init__(self, message: str, *, server_code: str, status: int, **details: Any) -> None:
        super().__init__(message, server_code=server_code, status=status, **details)
        self.server_code = server_code
        self.status = status


class ReceiptRejected(SyncError):
    """The backend's receipt does not verify against the pinned key: do not count it delivered."""

    code = "recibo_invalido"


class DeviceRevoked(SyncError):
    """403 dispositivo_revocado: nothing more is sent until the device is enrolled again."""

    code = "dispositivo_revocado"
    exit_code = 2


class NotEnrolled(SyncError):
    code = "sin_enrolar"
    exit_code = 78


class EnrolmentFailed(SyncError):
    code = "enrolamiento_fallido"
