"""Catalogs the devices download: procedures, departments, offices.

Seeded with a plausible Mexican municipality on first start; an administrator replaces one with
``oficialia backend catalogo NOMBRE ARCHIVO.json`` (a JSON list of objects, each with ``code`` and
``name``). The ETag is the hash of the canonical items, so it changes exactly when they do.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from sync import protocol
from sync.server import sql
from sync.server.errors import BadRequest, NotFound

DEFAULTS: dict[str, list[dict[str, Any]]] = {
    "departments": [
        {"code": "PRE", "name": "Presidencia Municipal"},
        {"code": "SEC", "name": "Secretaría del Ayuntamiento"},
        {"code": "TES", "name": "Tesorería Municipal"},
        {"code": "CON", "name": "Contraloría Municipal"},
        {"code": "OBP", "name": "Dirección de Obras Públicas"},
        {"code": "DUR", "name": "Dirección de Desarrollo Urbano"},
        {"code": "SPM", "name": "Dirección de Servicios Públicos Municipales"},
        {"code": "SEG", "name": "Dirección de Seguridad Pública"},
        {"code": "DIF", "name": "Sistema DIF Municipal"},
        {"code": "CAT", "name": "Dirección de Catastro"},
        {"code": "JUR", "name": "Dirección Jurídica"},
        {"code": "TRA", "name": "Unidad de Transparencia"},
    ],
    "procedures": [
        {"code": "LIC-CON", "name": "Licencia de construcción", "department": "DUR"},
        {"code": "USO-SUE", "name": "Constancia de uso de suelo", "department": "DUR"},
        {"code": "LIC-FUN", "name": "Licencia de funcionamiento", "department": "TES"},
        {"code": "PRE-DIA", "name": "Pago del impuesto predial", "department": "TES"},
        {"code": "CER-CAT", "name": "Certificado catastral", "department": "CAT"},
        {"code": "SOL-INF", "name": "Solicitud de acceso a la información", "department": "TRA"},
        {"code": "QUE-SER", "name": "Queja o denuncia ciudadana", "department": "CON"},
        {"code": "SOL-SPM", "name": "Reporte de alumbrado, baches o basura", "department": "SPM"},
        {"code": "CON-RES", "name": "Constancia de residencia", "department": "SEC"},
        {"code": "APO-SOC", "name": "Solicitud de apoyo social", "department": "DIF"},
    ],
    "offices": [
        {"code": "OPM", "name": "Oficialía de Partes Municipal (Palacio Municipal)"},
        {"code": "OPN", "name": "Oficialía de Partes, Delegación Norte"},
        {"code": "OPS", "name": "Oficialía de Partes, Delegación Sur"},
    ],
}


def etag_of(items: list[dict[str, Any]]) -> str:
    return '"' + hashlib.sha256(protocol.canonical_json(items)).hexdigest()[:32] + '"'


def seed_defaults(connection: sql.Connection, now: datetime) -> None:
    def work(tx: sql.Connection) -> None:
        for name, items in DEFAULTS.items():
            tx.execute(
                "INSERT INTO catalogs (name, items, etag, updated_at) VALUES (?,?,?,?) "
                "ON CONFLICT (name) DO NOTHING",
                (name, json.dumps(items, ensure_ascii=False), etag_of(items), now.isoformat()),
            )

    connection.write(work)


def read(connection: sql.Connection, name: str) -> tuple[list[dict[str, Any]], str]:
    row = connection.execute("SELECT items, etag FROM catalogs WHERE name = ?", (name,)).fetchone()
    if name not in protocol.CATALOGS or row is None:
        raise NotFound(
            f"No existe el catálogo «{name}». Catálogos: {', '.join(protocol.CATALOGS)}.",
            code="catalogo_desconocido",
        )
    return json.loads(row["items"]), str(row["etag"])


def replace(connection: sql.Connection, name: str, items: Any, now: datetime) -> str:
    if name not in protocol.CATALOGS:
        raise BadRequest(
            f"No existe el catálogo «{name}». Catálogos: {', '.join(protocol.CATALOGS)}.",
            code="catalogo_desconocido",
        )
    if not isinstance(items, list) or not all(
        isinstance(item, dict)
        and isinstance(item.get("code"), str)
        and isinstance(item.get("name"), str)
        for item in items
    ):
        raise BadRequest(
            "El catálogo debe ser una lista JSON de objetos, cada uno con «code» y «name».",
            code="catalogo_invalido",
        )
    codes = [item["code"] for item in items]
    if len(set(codes)) != len(codes):
        raise BadRequest("El catálogo repite claves («code»).", code="catalogo_invalido")
    etag = etag_of(items)
    connection.write(
        lambda tx: tx.execute(
            "INSERT INTO catalogs (name, items, etag, updated_at) VALUES (?,?,?,?) "
            "ON CONFLICT (name) DO UPDATE SET items=excluded.items, etag=excluded.etag, "
            "updated_at=excluded.updated_at",
            (name, json.dumps(items, ensure_ascii=False), etag, now.isoformat()),
        )
    )
    return etag


def matches(if_none_match: str | None, etag: str) -> bool:
    """RFC 9110 weak comparison of ``If-None-Match`` against our (strong) ETag."""
    if not if_none_match:
        return False
    candidates = [part.strip() for part in if_none_match.split(",")]
    return any(c == "*" or c.removeprefix("W/") == etag for c in candidates)
