"""The registration form without Qt: what the clerk typed → a ``NewFiling`` or what to fix.

The form checks each field as the clerk leaves it, so every rule here is per field and returns a
``FieldProblem`` (the field's name in ``FormValues`` and a Spanish sentence). The last gate is
``mailroom.validation.validated``, the same one ``IntakeService.register`` runs: the form can be
stricter than the service (fojas ≥ 1, a deadline not in the past) but never accept what it
refuses. Procedures and departments are checked against ``mailroom.intake_lookups.Catalogs``:
only their values are taken once a catalog was synced, anything before.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from mailroom.errors import InvalidInput
from mailroom.identifiers import validate_curp, validate_rfc
from mailroom.intake_lookups import Catalogs, canonical, find, match_key
from mailroom.models import Addressee, Annex, AreaRole, NewFiling, Priority, Sender
from mailroom.validation import MAX_TEXT, validated

MAX_DOCUMENT_NUMBER = 100

# How each field is named in "Falta: …" / "Revise: …", in the form's order.
FIELD_NAMES = {
    "sender_name": "remitente",
    "sender_curp": "CURP",
    "sender_rfc": "RFC",
    "sender_email": "correo",
    "sender_phone": "teléfono",
    "sender_organization": "organización",
    "sender_position": "cargo",
    "subject": "asunto",
    "procedure": "trámite",
    "document_number": "número de documento",
    "document_date": "fecha del documento",
    "addressees": "área turnada",
    "fojas": "fojas",
    "annexes": "anexos",
    "priority": "prioridad",
    "response_due": "fecha límite",
    "observations": "observaciones",
    "duplicate_override_reason": "motivo del registro repetido",
}

# validated()'s InvalidInput.field → the form's field.
_SERVICE_FIELDS = {
    "El nombre del remitente": "sender_name",
    "El asunto": "subject",
    "Las observaciones": "observations",
    "curp": "sender_curp",
    "rfc": "sender_rfc",
    "email": "sender_email",
    "fojas_declared": "fojas",
}

# Free text: (how a message names it, whether it is required).
_TEXT_FIELDS = {
    "sender_name": ("El nombre del remitente", True),
    "sender_organization": ("La organización", False),
    "sender_position": ("El cargo", False),
    "subject": ("El asunto", True),
}
_IDENTIFIERS = {"sender_curp": validate_curp, "sender_rfc": validate_rfc}
_PHONE_CHARACTERS = re.compile(r"[0-9 +\-().]*")


@dataclass(frozen=True)
class AddresseeInput:
    area: str
    role: AreaRole = AreaRole.DIRECTO


@dataclass(frozen=True)
class AnnexInput:
    description: str
    pages: str = "0"


@dataclass(frozen=True)
class FormValues:
    """The form as typed: strings (dates as ``AAAA-MM-DD`` or ``DD/MM/AAAA``), nothing checked."""

    sender_name: str = ""
    sender_curp: str = ""
    sender_rfc: str = ""
    sender_email: str = ""
    sender_phone: str = ""
    sender_organization: str = ""
    sender_position: str = ""
    subject: str = ""
    procedure: str = ""
    document_number: str = ""
    document_date: str = ""
    addressees: tuple[AddresseeInput, ...] = ()
    fojas: str = ""
    annexes: tuple[AnnexInput, ...] = ()
    priority: str = Priority.NORMAL.value
    response_due: str = ""
    observations: str = ""
    sensitive: bool = False
    duplicate_override_reason: str | None = None


@dataclass(frozen=True)
class FieldProblem:
    field: str  # a FormValues field name
    message: str  # Spanish, says what to fix
    missing: bool = False  # a required field left empty ("Falta: …" rather than "Revise: …")


def to_new_filing(
    values: FormValues, catalogs: Catalogs, today: date
) -> NewFiling | tuple[FieldProblem, ...]:
    """The filing to register (normalised as the service would), or every problem found."""
    found = problems(values, catalogs, today)
    if found:
        return found
    new = NewFiling(
        sender=Sender(
            name=values.sender_name,
            curp=values.sender_curp or None,
            rfc=values.sender_rfc or None,
            email=values.sender_email.strip() or None,
            phone=values.sender_phone or None,
            organization=values.sender_organization or None,
            position=values.sender_position or None,
        ),
        subject=values.subject,
        procedure_type=canonical(values.procedure, catalogs.procedures) or None,
        document_number=values.document_number,
        document_date=parse_day(values.document_date),
        addressees=tuple(
            Addressee(canonical(a.area, catalogs.departments), AreaRole(a.role))
            for a in values.addressees
        ),
        fojas_declared=int(values.fojas),
        annexes=tuple(Annex(a.description.strip(), int(a.pages)) for a in values.annexes),
        priority=Priority(values.priority),
        response_due=parse_day(values.response_due),
        observations=values.observations,
        sensitive=values.sensitive,
        duplicate_override_reason=values.duplicate_override_reason,
    )
    try:
        return validated(new)
    except InvalidInput as error:
        field = _SERVICE_FIELDS.get(str(error.details.get("field")), error.details.get("field"))
        return (FieldProblem(str(field or "form"), error.message),)


def problems(values: FormValues, catalogs: Catalogs, today: date) -> tuple[FieldProblem, ...]:
    """Every field's problem, in the form's order (at most one per field)."""
    found = (_check(name, values, catalogs, today) for name in FIELD_NAMES)
    return tuple(problem for problem in found if problem is not None)


def explain(found: Iterable[FieldProblem]) -> str:
    """``Falta: remitente, asunto. Revise: CURP.`` — for the register button; '' when none."""
    found = list(found)
    missing = [FIELD_NAMES.get(p.field, p.field) for p in found if p.missing]
    wrong = [FIELD_NAMES.get(p.field, p.field) for p in found if not p.missing]
    parts = [f"Falta: {', '.join(missing)}." if missing else "", _revise(wrong)]
    return " ".join(part for part in parts if part)


def _revise(names: list[str]) -> str:
    return f"Revise: {', '.join(dict.fromkeys(names))}." if names else ""


def _check(name: str, values: FormValues, catalogs: Catalogs, today: date) -> FieldProblem | None:
    typed = getattr(values, name)
    try:
        if name in _TEXT_FIELDS:
            _text(typed, *_TEXT_FIELDS[name])
        elif name in _IDENTIFIERS:
            if typed.strip():
                _IDENTIFIERS[name](typed)
        else:
            _CHECKS[name](values, catalogs, today)
    except InvalidInput as error:
        return FieldProblem(name, error.message, bool(error.details.get("missing")))
    return None


def _sender_email(values: FormValues, catalogs: Catalogs, today: date) -> None:
    value = values.sender_email.strip()
    if not value:
        return
    local, _, domain = value.partition("@")
    if not local or "." not in domain or " " in value or domain.startswith("."):
        raise InvalidInput(f"El correo «{value}» no es válido; debe ser como nombre@dominio.mx.")


def _sender_phone(values: FormValues, catalogs: Catalogs, today: date) -> None:
    value = values.sender_phone.strip()
    if not value:
        return
    if not _PHONE_CHARACTERS.fullmatch(value):
        extra = dict.fromkeys(c for c in value if not _PHONE_CHARACTERS.fullmatch(c))
        raise InvalidInput(
            "El teléfono solo lleva números, espacios, guiones, paréntesis y +; sobra "
            + ", ".join(f"«{c}»" for c in extra)
            + "."
        )
    digits = sum(c.isdigit() for c in value)
    if not 10 <= digits <= 15:
        raise InvalidInput(f"El teléfono debe tener 10 dígitos (con lada); tiene {digits}.")


def _procedure(values: FormValues, catalogs: Catalogs, today: date) -> None:
    typed = " ".join(values.procedure.split())
    _text(typed, "El trámite")
    if typed and catalogs.procedures_from_catalog and not find(typed, catalogs.procedures):
        raise InvalidInput(f"El trámite «{typed}» no está en el catálogo; elija uno de la lista.")


def _document_number(values: FormValues, catalogs: Catalogs, today: date) -> None:
    if len(values.document_number.strip()) > MAX_DOCUMENT_NUMBER:
        raise InvalidInput(f"El número de documento excede {MAX_DOCUMENT_NUMBER} caracteres.")


def _document_date(values: FormValues, catalogs: Catalogs, today: date) -> None:
    day = _day(values.document_date, "La fecha del documento")
    if day is not None and day > today:
        raise InvalidInput(
            f"La fecha del documento ({day_text(day)}) es posterior a hoy ({day_text(today)})."
        )


def _addressees(values: FormValues, catalogs: Catalogs, today: date) -> None:
    if not values.addressees:
        raise InvalidInput("Turne el escrito al menos a un área.", missing=True)
    seen: set[str] = set()
    for typed in (a.area for a in values.addressees):
        area = " ".join(typed.split())
        if not area:
            raise InvalidInput("El área turnada no puede quedar vacía.")
        if catalogs.departments_from_catalog and not find(area, catalogs.departments):
            raise InvalidInput(f"El área «{area}» no está en el catálogo; elija una de la lista.")
        key = match_key(canonical(area, catalogs.departments))
        if key in seen:
            raise InvalidInput(f"El área «{area}» aparece dos veces entre los destinatarios.")
        seen.add(key)
    if all(a.role == AreaRole.COPIA for a in values.addressees):
        raise InvalidInput("Al menos un área debe recibir el escrito como turno directo.")


def _fojas(values: FormValues, catalogs: Catalogs, today: date) -> None:
    typed = values.fojas.strip()
    if not typed:
        raise InvalidInput("Indique cuántas fojas entrega el remitente.", missing=True)
    if not typed.isdigit():
        raise InvalidInput(f"Las fojas deben ser un número entero; se escribió «{typed}».")
    if int(typed) < 1:
        raise InvalidInput("Las fojas declaradas deben ser al menos 1.")


def _annexes(values: FormValues, catalogs: Catalogs, today: date) -> None:
    for number, annex in enumerate(values.annexes, 1):
        if not annex.description.strip():
            raise InvalidInput(f"El anexo {number} necesita una descripción.")
        _text(annex.description, f"La descripción del anexo {number}")
        if not annex.pages.strip().isdigit():
            raise InvalidInput(
                f"Las fojas del anexo {number} deben ser un número entero (0 o más); "
                f"se escribió «{annex.pages.strip()}»."
            )


def _priority(values: FormValues, catalogs: Catalogs, today: date) -> None:
    if values.priority not in {p.value for p in Priority}:
        raise InvalidInput("La prioridad debe ser normal o urgente.")


def _response_due(values: FormValues, catalogs: Catalogs, today: date) -> None:
    due = _day(values.response_due, "La fecha límite de respuesta")
    if due is None:
        return
    if due < today:
        raise InvalidInput(
            f"La fecha límite de respuesta ({day_text(due)}) ya pasó; "
            f"debe ser hoy ({day_text(today)}) o después."
        )
    try:
        written = parse_day(values.document_date)
    except ValueError:
        return  # the document date's own message says what is wrong with it
    if written is not None and due < written:
        raise InvalidInput("La fecha límite de respuesta es anterior a la fecha del documento.")


def _observations(values: FormValues, catalogs: Catalogs, today: date) -> None:
    if len(values.observations.strip()) > MAX_TEXT:
        raise InvalidInput(f"Las observaciones exceden {MAX_TEXT} caracteres.")


def _duplicate_override_reason(values: FormValues, catalogs: Catalogs, today: date) -> None:
    reason = values.duplicate_override_reason
    if reason is not None and not reason.strip():
        raise InvalidInput("Para registrar un documento repetido escriba el motivo.", missing=True)


_CHECKS = {
    "sender_email": _sender_email,
    "sender_phone": _sender_phone,
    "procedure": _procedure,
    "document_number": _document_number,
    "document_date": _document_date,
    "addressees": _addressees,
    "fojas": _fojas,
    "annexes": _annexes,
    "priority": _priority,
    "response_due": _response_due,
    "observations": _observations,
    "duplicate_override_reason": _duplicate_override_reason,
}


def _text(value: str, label: str, required: bool = False) -> None:
    text = " ".join(value.split())
    if required and not text:
        raise InvalidInput(f"{label} es obligatorio.", missing=True)
    if len(text) > MAX_TEXT:
        raise InvalidInput(f"{label} excede {MAX_TEXT} caracteres.")


def parse_day(typed: str) -> date | None:
    """``AAAA-MM-DD`` or ``DD/MM/AAAA`` → date; '' → None; ValueError otherwise."""
    text = typed.strip()
    if not text:
        return None
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return date.fromisoformat(text)
    match = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", text)
    if match is None:
        raise ValueError(text)
    day, month, year = (int(part) for part in match.groups())
    return date(year, month, day)


def _day(typed: str, label: str) -> date | None:
    try:
        return parse_day(typed)
    except ValueError:
        raise InvalidInput(
            f"{label} «{typed.strip()}» no es una fecha válida; escríbala como DD/MM/AAAA."
        ) from None


def day_text(day: date) -> str:
    return f"{day.day:02d}/{day.month:02d}/{day.year}"
