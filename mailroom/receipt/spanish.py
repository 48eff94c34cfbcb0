"""How the acuse words things in Spanish: dates, channels, roles, sync states."""

from __future__ import annotations

from datetime import datetime, timedelta

from mailroom.models import AreaRole, Channel, SyncStatus

MONTHS = (
    "enero",
    "febrero",
    "marzo",
    "abril",
    "mayo",
    "junio",
    "julio",
    "agosto",
    "septiembre",
    "octubre",
    "noviembre",
    "diciembre",
)

CHANNELS = {
    Channel.VENTANILLA: "Ventanilla",
    Channel.KIOSCO: "Kiosco de autoservicio",
    Channel.CARPETA: "Carpeta digital",
    Channel.CORREO: "Correo electrónico",
}

ROLES = {AreaRole.DIRECTO: "turno directo", AreaRole.COPIA: "con copia"}

SYNC_STATES = {
    SyncStatus.PENDIENTE: "pendiente",
    SyncStatus.ENVIANDO: "enviando",
    SyncStatus.SINCRONIZADA: "sincronizada",
    SyncStatus.REQUIERE_ATENCION: "requiere atención",
}


def utc_offset(moment: datetime) -> str:
    """``UTC-06:00``: written out, because the offset (not the zone name) fixes the instant."""
    offset = moment.utcoffset() or timedelta(0)
    sign = "-" if offset < timedelta(0) else "+"
    minutes = abs(int(offset.total_seconds())) // 60
    return f"UTC{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def long_datetime(moment: datetime) -> str:
    """``9 de marzo de 2026, 10:30:00 (UTC-06:00)``."""
    month = MONTHS[moment.month - 1]
    return f"{moment.day} de {month} de {moment.year}, {moment:%H:%M:%S} ({utc_offset(moment)})"


def pages(count: int) -> str:
    return f"{count} página" if count == 1 else f"{count} páginas"
