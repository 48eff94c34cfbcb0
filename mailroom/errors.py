"""The error hierarchy of the core.

Every error carries a Spanish message a clerk can act on (``str(error)``), a stable ``code`` for
programs, whether retrying can help, and structured ``details``. Third-party exceptions are wrapped
at the package boundary, so callers only ever catch ``OficialiaError``.
"""

from __future__ import annotations

from typing import Any


class OficialiaError(Exception):
    """Root of every error Oficialía raises on purpose."""

    code = "error"
    retryable = False
    exit_code = 1

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message": self.message,
            "retryable": self.retryable,
            "details": {k: str(v) for k, v in self.details.items()},
        }


class ConfigError(OficialiaError):
    code = "configuracion"
    exit_code = 78


class InvalidInput(OficialiaError):
    """The caller gave values that cannot be registered (a bad RFC, an empty subject...)."""

    code = "dato_invalido"
    exit_code = 65


class UnreadableFile(OficialiaError):
    """A file offered for intake cannot be used: empty, corrupt, encrypted, too large, a lie."""

    code = "archivo_invalido"
    exit_code = 65


class DuplicateDocument(OficialiaError):
    """A document with the same SHA-256 is already part of a registered filing."""

    code = "documento_duplicado"
    exit_code = 3

    def __init__(self, message: str, *, sha256: str, folios: list[str]) -> None:
        super().__init__(message, sha256=sha256, folios=", ".join(folios))
        self.sha256 = sha256
        self.folios = folios


class NotFound(OficialiaError):
    code = "no_encontrado"
    exit_code = 4


class SelfTestFailed(OficialiaError):
    """``oficialia --self-test`` found the installation broken."""

    code = "autoprueba"
    exit_code = 70  # EX_SOFTWARE


class ToolMissing(OficialiaError):
    """An external program (tesseract) is not installed or lacks a language."""

    code = "herramienta_faltante"
    exit_code = 69


class OcrFailed(OficialiaError):
    """One page could not be OCRed; the rest of the document goes on."""

    code = "ocr_fallido"
    retryable = True


class StorageError(OficialiaError):
    """The database or the blob folder could not be written or read back."""

    code = "almacenamiento"
    retryable = True
    exit_code = 74


class IntegrityProblem(OficialiaError):
    """Stored data does not match what was recorded (audit chain, blob hash)."""

    code = "integridad"
    exit_code = 2
