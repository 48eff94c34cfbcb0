"""Options several commands share: the filing form (``intake`` and ``borradores registrar``) and
dates typed as AAAA-MM-DD."""

from __future__ import annotations

import argparse
from datetime import date

from mailroom.errors import InvalidInput
from mailroom.models import Addressee, Annex, AreaRole, Channel, NewFiling, Priority, Sender


def parse_date(value: str) -> date:
    """An argparse ``type=`` for AAAA-MM-DD."""
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"fecha inválida {value!r}: use AAAA-MM-DD") from error


def add_filing_form_options(parser: argparse.ArgumentParser) -> None:
    """The filing form's options; shared by ``intake`` and ``borradores registrar``."""
    parser.add_argument("--remitente", required=True)
    parser.add_argument("--asunto", required=True)
    parser.add_argument("--area", action="append", default=[], help="área turnada (repetible)")
    parser.add_argument("--copia", action="append", default=[], help="área que recibe copia")
    parser.add_argument("--fojas", type=int, help="fojas declaradas")
    parser.add_argument("--curp")
    parser.add_argument("--rfc")
    parser.add_argument("--correo")
    parser.add_argument("--telefono")
    parser.add_argument("--organizacion")
    parser.add_argument("--cargo")
    parser.add_argument("--tramite")
    parser.add_argument("--oficio", default="S/N", help="número de oficio (S/N si no tiene)")
    parser.add_argument("--fecha-oficio", type=parse_date)
    parser.add_argument("--canal", choices=[c.value for c in Channel], default="ventanilla")
    parser.add_argument("--prioridad", choices=[p.value for p in Priority], default="normal")
    parser.add_argument("--fecha-limite", type=parse_date, help="fecha límite de respuesta")
    parser.add_argument("--anexo", action="append", default=[], metavar="DESCRIPCION[:FOJAS]")
    parser.add_argument("--observaciones", default="")
    parser.add_argument("--sensible", action="store_true", help="contiene datos sensibles")
    parser.add_argument("--motivo-duplicado", help="registrar aunque el documento ya exista")


def filing_from_args(args: argparse.Namespace) -> NewFiling:
    """The filing the form options describe (see :func:`add_filing_form_options`)."""
    return NewFiling(
        sender=Sender(
            args.remitente,
            args.curp,
            args.rfc,
            args.correo,
            args.telefono,
            args.organizacion,
            args.cargo,
        ),
        subject=args.asunto,
        channel=Channel(args.canal),
        procedure_type=args.tramite,
        document_number=args.oficio,
        document_date=args.fecha_oficio,
        addressees=tuple(
            [Addressee(a) for a in args.area] + [Addressee(a, AreaRole.COPIA) for a in args.copia]
        ),
        fojas_declared=args.fojas,
        annexes=tuple(_annex(a) for a in args.anexo),
        priority=Priority(args.prioridad),
        response_due=args.fecha_limite,
        observations=args.observaciones,
        sensitive=args.sensible,
        duplicate_override_reason=args.motivo_duplicado,
    )


def _annex(value: str) -> Annex:
    description, _, pages = value.rpartition(":") if ":" in value else (value, "", "0")
    if not pages.strip().isdigit():
        raise InvalidInput(
            f"Anexo {value!r}: use DESCRIPCION:FOJAS, p. ej. 'Copia de INE:1'.", field="anexo"
        )
    return Annex(description.strip(), int(pages))
