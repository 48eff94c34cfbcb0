"""``oficialia corregir`` (a supervisor corrects a registered filing's data) and ``oficialia
arco`` (an administrator answers requests under the rights of access, rectification,
cancellation and opposition: buscar, exportar, solicitud registrar|listar|resolver)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mailroom.cli.forms import parse_date
from mailroom.config import Settings

if TYPE_CHECKING:
    from mailroom.arco import ArcoRequest, PersonData
    from mailroom.store import Store

REQUEST_KIND_CHOICES = ("acceso", "rectificacion", "cancelacion", "oposicion")
FIELD_CHOICES = (
    "nombre",
    "curp",
    "rfc",
    "correo",
    "telefono",
    "organizacion",
    "cargo",
    "asunto",
    "numero_oficio",
    "fecha_oficio",
)
"""``mailroom.corrections.FIELDS``' keys, spelt here so that building the parser imports
nothing heavy (a test keeps the two the same)."""


def add_arco_commands(commands: Any, common: argparse.ArgumentParser) -> None:
    _add_correction_command(commands, common)
    arco = commands.add_parser(
        "arco", parents=[common], help="derechos ARCO: datos que se guardan de una persona"
    )
    actions = arco.add_subparsers(
        dest="arco_command", required=True, metavar="{buscar,exportar,solicitud}"
    )
    find = actions.add_parser(
        "buscar", parents=[common], help="todo lo que se guarda de una persona"
    )
    _key_options(find)
    find.add_argument("--json", action="store_true", help="salida JSON")
    find.set_defaults(handler=cmd_find)
    export = actions.add_parser(
        "exportar", parents=[common], help="informe de acceso en PDF y JSON para la persona"
    )
    _key_options(export)
    export.add_argument("--salida", required=True, type=Path, help="carpeta donde guardarlo")
    export.add_argument("--solicitud", type=int, help="número de la solicitud que se atiende")
    export.add_argument(
        "--con-documentos",
        action="store_true",
        help="incluir un ZIP con copia de los documentos y acuses que se conservan",
    )
    export.set_defaults(handler=cmd_export)
    _add_request_commands(actions, common)


def _add_correction_command(commands: Any, common: argparse.ArgumentParser) -> None:
    fix = commands.add_parser(
        "corregir",
        parents=[common],
        help="corregir un dato de un escrito registrado (queda registro; no se edita)",
    )
    fix.add_argument("folio")
    fix.add_argument("--campo", required=True, choices=FIELD_CHOICES, help="dato que se corrige")
    fix.add_argument("--valor", required=True, help="el dato correcto (vacío para quitarlo)")
    fix.add_argument("--motivo", required=True, help="por qué se corrige (queda en la bitácora)")
    fix.add_argument("--solicitud", type=int, help="solicitud ARCO de rectificación que atiende")
    fix.add_argument(
        "--sin-digito-verificador",
        action="store_true",
        help="aceptar un RFC cuyo dígito verificador no sigue la regla del SAT (cotejado)",
    )
    fix.set_defaults(handler=cmd_correct)


def _add_request_commands(actions: Any, common: argparse.ArgumentParser) -> None:
    request = actions.add_parser(
        "solicitud", parents=[common], help="registrar, listar o resolver solicitudes ARCO"
    )
    steps = request.add_subparsers(
        dest="arco_request_step", required=True, metavar="{registrar,listar,resolver}"
    )
    record = steps.add_parser("registrar", parents=[common], help="registrar una solicitud")
    record.add_argument("--tipo", required=True, choices=REQUEST_KIND_CHOICES)
    _key_options(record)
    record.add_argument("--solicitante", required=True, help="quién la presenta")
    record.add_argument("--recibida", type=parse_date, help="fecha de recepción (AAAA-MM-DD)")
    record.add_argument("--detalle", default="", help="qué pide la persona")
    record.set_defaults(handler=cmd_request_record)
    listing = steps.add_parser("listar", parents=[common], help="listar las solicitudes")
    listing.add_argument("--pendientes", action="store_true", help="solo las pendientes")
    listing.add_argument("--json", action="store_true", help="salida JSON")
    listing.set_defaults(handler=cmd_request_list)
    resolve = steps.add_parser("resolver", parents=[common], help="resolver una solicitud")
    resolve.add_argument("numero", type=int)
    resolve.add_argument("--resolucion", required=True, help="qué se hizo o por qué no")
    resolve.add_argument("--improcedente", action="store_true", help="se niega (no se aplica nada)")
    resolve.set_defaults(handler=cmd_request_resolve)


def _key_options(parser: argparse.ArgumentParser) -> None:
    key = parser.add_mutually_exclusive_group(required=True)
    key.add_argument("--curp")
    key.add_argument("--rfc")
    key.add_argument("--nombre", help="nombre completo o nombre y apellidos")


def _key(args: argparse.Namespace) -> tuple[str, str]:
    for kind in ("curp", "rfc", "nombre"):
        value = getattr(args, kind)
        if value is not None:
            return kind, value
    raise AssertionError("argparse requires one key")


def _service(store: Store, settings: Settings) -> Any:
    from mailroom.arco_service import ArcoService

    return ArcoService(store, settings)


def cmd_correct(args: argparse.Namespace, store: Store, settings: Settings) -> int:
    from mailroom.corrections import CorrectionService

    correction = CorrectionService(store, settings).correct(
        args.folio,
        args.campo,
        args.valor,
        args.motivo,
        arco_request_id=args.solicitud,
        check_digit=not args.sin_digito_verificador,
    )
    print(
        f"Corregido {correction.label.lower()} del escrito {args.folio.strip()}: "
        f"«{correction.before or '(vacío)'}» → «{correction.after or '(vacío)'}»."
    )
    return 0


def cmd_find(args: argparse.Namespace, store: Store, settings: Settings) -> int:
    data = _service(store, settings).find(*_key(args))
    if args.json:
        from datetime import datetime

        from mailroom.arco import ArcoReport
        from mailroom.arco_export import json_document
        from mailroom.permissions import acting

        report = ArcoReport(
            settings.office_name, datetime.now(settings.zone), acting(settings).name, None
        )
        print(json_document(data, report), end="")
        return 0
    _print_person(data)
    return 0


def _print_person(data: PersonData) -> None:
    print(f"Búsqueda por {data.key.label}: {len(data.filings)} escrito(s).")
    for filing in data.filings:
        sender = filing.current.sender
        ids = ", ".join(x for x in (sender.curp, sender.rfc) if x)
        print(
            f"{filing.folio}\t{filing.received_at:%d/%m/%Y}\t{sender.name}"
            f"{f' ({ids})' if ids else ''}\t{filing.current.subject}\t"
            f"{len(filing.documents)} documento(s)"
            + (f"\t{len(filing.corrections)} corrección(es)" if filing.corrections else "")
            + ("\tuso restringido" if filing.restrictions else "")
        )
    for request in data.requests:
        print(f"Solicitud {request.id}: {request.kind_label}, {request.status}")
    for note in data.notes:
        print(note)


def cmd_export(args: argparse.Namespace, store: Store, settings: Settings) -> int:
    exported = _service(store, settings).export(
        *_key(args), args.salida, request_id=args.solicitud, with_documents=args.con_documentos
    )
    print(f"Informe de acceso: {exported.filings} escrito(s), {exported.documents} documento(s).")
    for path in (exported.pdf_path, exported.json_path, exported.zip_path):
        if path is not None:
            print(f"  {path}")
    return 0


def cmd_request_record(args: argparse.Namespace, store: Store, settings: Settings) -> int:
    kind, value = _key(args)
    request = _service(store, settings).register_request(
        args.tipo, kind, value, args.solicitante, received_on=args.recibida, details=args.detalle
    )
    print(
        f"Solicitud {request.id} registrada: {request.kind_label}, sobre {request.key.label}, "
        f"recibida el {request.received_on:%d/%m/%Y}."
    )
    return 0


def cmd_request_list(args: argparse.Namespace, store: Store, settings: Settings) -> int:
    requests = _service(store, settings).list_requests(pending_only=args.pendientes)
    if args.json:
        from mailroom.cli.output import print_json

        print_json(requests)
        return 0
    if not requests:
        print("No hay solicitudes ARCO" + (" pendientes." if args.pendientes else "."))
    for request in requests:
        print(_request_line(request))
    return 0


def _request_line(request: ArcoRequest) -> str:
    line = (
        f"{request.id}\t{request.kind_label}\t{request.key.label}\t{request.requester}\t"
        f"recibida {request.received_on:%d/%m/%Y}\t{request.status}"
    )
    return line + (f"\t{request.resolution}" if request.resolution else "")


def cmd_request_resolve(args: argparse.Namespace, store: Store, settings: Settings) -> int:
    outcome = _service(store, settings).resolve(
        args.numero, args.resolucion, granted=not args.improcedente
    )
    print(f"Solicitud {outcome.request.id} resuelta: {outcome.request.resolution}")
    return 0
