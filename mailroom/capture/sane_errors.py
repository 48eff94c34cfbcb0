"""What can go wrong with a scanner, in words a clerk can act on.

SANE reports a status as ``sane_strstatus``'s English sentence (python-sane passes only that
string on); libsane does not translate it, so the sentence identifies the status. Each status a
clerk can fix gets its own error and code; the ones fixed by waiting or by clearing the device
are retryable and leave the CLI with 75 (``EX_TEMPFAIL``).
"""

from __future__ import annotations

from mailroom.errors import OficialiaError

_TEMPORARY = 75
_OTHER_STATUSES = {
    "Out of memory": "se quedó sin memoria; cierre otros programas",
    "Operation not supported": "no admite la operación pedida",
    "End of file reached": "terminó la hoja antes de tiempo",
}


class ScannerError(OficialiaError):
    """A scanner could not be used; the subclasses say why."""

    code = "escaner"
    exit_code = 69


class SaneUnavailable(ScannerError):
    """python-sane or libsane is missing (always, on Windows)."""

    code = "sane_no_disponible"


class NoScanner(ScannerError):
    code = "sin_escaner"


class UnknownScanner(ScannerError):
    code = "escaner_desconocido"


class ScannerRefused(ScannerError):
    """The backend answered "invalid argument": a device name it does not know, or a value."""

    code = "escaner_rechazo"


class ScannerOptionUnavailable(ScannerError):
    """The device does not offer what was asked (a feeder, duplex, a mode, a resolution)."""

    code = "escaner_opcion_no_disponible"
    exit_code = 65


class FeederEmpty(ScannerError):
    code = "alimentador_vacio"
    retryable = True
    exit_code = _TEMPORARY


class PaperJam(ScannerError):
    code = "atasco_de_papel"
    retryable = True
    exit_code = _TEMPORARY


class CoverOpen(ScannerError):
    code = "tapa_abierta"
    retryable = True
    exit_code = _TEMPORARY


class ScannerBusy(ScannerError):
    code = "escaner_ocupado"
    retryable = True
    exit_code = _TEMPORARY


class ScannerIOError(ScannerError):
    code = "escaner_falla_de_comunicacion"
    retryable = True
    exit_code = 74


class ScannerAccessDenied(ScannerError):
    code = "escaner_sin_permiso"
    exit_code = 77


def translate(status: str, *, device: str, sheet: int) -> OficialiaError:
    """The error for a SANE status sentence; ``sheet`` is 1-based, 0 before any scanning."""
    from mailroom.capture.pages import CaptureCancelled  # pages imports nothing from here

    name = f'El escáner "{device}"' if device else "El escáner"
    at = f" (hoja {sheet})" if sheet else ""
    again = " Vuelva a digitalizar el lote completo." if sheet > 1 else ""
    details = {"device": device, "sheet": sheet, "status": status}
    if status == "Document feeder out of documents":
        return FeederEmpty(
            f"{name} no tiene hojas: coloque el documento en el alimentador (o sobre el "
            "cristal) y vuelva a intentar.",
            **details,
        )
    if status == "Document feeder jammed":
        return PaperJam(
            f"Se atascó el papel en {_lower(name)}{at}. Abra el escáner, retire la hoja con "
            f"cuidado y revise que no esté doblada ni engrapada.{again}",
            **details,
        )
    if status == "Scanner cover is open":
        return CoverOpen(
            f"{name} tiene la tapa abierta{at}. Ciérrela y vuelva a intentar.{again}", **details
        )
    if status in ("Device busy", "Lamp not ready, please retry"):
        return ScannerBusy(
            f"{name} está ocupado (¿lo usa otro programa o aún se está calentando?). Espere unos "
            "segundos y vuelva a intentar.",
            **details,
        )
    if status == "Error during device I/O":
        return ScannerIOError(
            f"Se perdió la comunicación con {_lower(name)}{at}. Revise el cable o la red, "
            f"apague y encienda el escáner y vuelva a intentar.{again}",
            **details,
        )
    if status == "Access to resource has been denied":
        return ScannerAccessDenied(
            f"No hay permiso para usar {_lower(name)}. Pida al administrador que agregue al "
            "usuario al grupo «scanner» (o «lp») y vuelva a iniciar la sesión.",
            **details,
        )
    if status in ("Operation was canceled", "Operation was cancelled"):
        return CaptureCancelled(
            f"Se canceló la digitalización en {_lower(name)}{at}.",
            **details,
        )
    if status == "Scanner mechanism locked for transport":
        return ScannerError(
            f"{name} tiene puesto el seguro de transporte. Quítelo (vea el manual del "
            "escáner) y vuelva a intentar.",
            **details,
        )
    if status == "Invalid argument":
        return ScannerRefused(
            f"{name} rechazó la solicitud{at}. Revise el nombre del escáner con «oficialia "
            "scanners».",
            **details,
        )
    said = _OTHER_STATUSES.get(status, status)
    return ScannerError(f"{name} falló{at}: {said}.{again}", **details)


def _lower(name: str) -> str:
    return name[0].lower() + name[1:]
