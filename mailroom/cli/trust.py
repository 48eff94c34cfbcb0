"""``oficialia confianza agregar|listar|quitar``: the certification authorities this office
trusts besides SAT's (see ``mailroom.trust_admin``). Administrators only."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mailroom.config import Settings

if TYPE_CHECKING:
    from mailroom.store import Store
    from mailroom.trust_admin import Authority

ORIGINS = {"paquete": "paquete del SAT", "agregada": "agregada", "prueba": "raíz de prueba"}


def add_trust_commands(commands: Any, common: argparse.ArgumentParser) -> None:
    trust = commands.add_parser(
        "confianza", parents=[common], help="autoridades certificadoras de confianza"
    )
    actions = trust.add_subparsers(dest="trust_command", required=True, metavar="ACCION")
    add = actions.add_parser(
        "agregar", parents=[common], help="confiar en una autoridad (archivo .cer o .pem)"
    )
    add.add_argument("archivo", metavar="ARCHIVO", type=Path)
    add.set_defaults(handler=cmd_add)
    listing = actions.add_parser("listar", parents=[common], help="las autoridades de confianza")
    listing.add_argument("--json", action="store_true", help="salida JSON")
    listing.set_defaults(handler=cmd_list)
    remove = actions.add_parser(
        "quitar", parents=[common], help="dejar de confiar en una autoridad agregada"
    )
    remove.add_argument("huella", metavar="HUELLA", help="inicio de su SHA-256 (8 o más)")
    remove.set_defaults(handler=cmd_remove)


def cmd_add(args: argparse.Namespace, store: Store, settings: Settings) -> int:
    from mailroom.trust_admin import TrustAdmin

    authority = TrustAdmin(store, settings).add(args.archivo)
    print(
        f"Autoridad agregada: {authority.subject} (huella {authority.sha256[:16]}…, vigente hasta "
        f"{authority.not_after:%d/%m/%Y}), en {authority.path}."
    )
    return 0


def cmd_list(args: argparse.Namespace, store: Store, settings: Settings) -> int:
    from mailroom.trust_admin import TrustAdmin

    listing = TrustAdmin(store, settings).list_authorities()
    now = datetime.now(UTC)
    if args.json:
        print(
            json.dumps(
                {
                    "carpeta": str(listing.folder),
                    "autoridades": [_as_dict(a, now) for a in listing.authorities],
                    "avisos": list(listing.warnings),
                },
                ensure_ascii=False,
                indent=2,
            )
        )
        return 0
    for authority in listing.authorities:
        kind = "raíz" if authority.root else "intermedia"
        state = " VENCIDA" if authority.expired(now) else ""
        print(
            f"{authority.sha256[:16]}  {kind:<10}  {ORIGINS[authority.origin]:<15}  "
            f"{authority.not_after:%Y-%m-%d}{state}  {authority.subject}"
        )
    print(f"Las autoridades agregadas están en {listing.folder}.")
    for warning in listing.warnings:
        print(f"Aviso: {warning}")
    return 0


def cmd_remove(args: argparse.Namespace, store: Store, settings: Settings) -> int:
    from mailroom.trust_admin import TrustAdmin

    authority = TrustAdmin(store, settings).remove(args.huella)
    print(f"Se dejó de confiar en {authority.subject} (huella {authority.sha256[:16]}…).")
    return 0


def _as_dict(authority: Authority, now: datetime) -> dict[str, Any]:
    return {
        "sha256": authority.sha256,
        "autoridad": authority.subject,
        "emisor": authority.issuer,
        "raiz": authority.root,
        "origen": authority.origin,
        "vigente_desde": authority.not_before.isoformat(),
        "vigente_hasta": authority.not_after.isoformat(),
        "vencida": authority.expired(now),
        "archivo": str(authority.path) if authority.path else None,
    }
