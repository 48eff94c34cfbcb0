"""Checks a captured filing before it may be registered; each message says what to fix."""

from __future__ import annotations

import dataclasses

from mailroom.errors import InvalidInput
from mailroom.identifiers import validate_curp, validate_rfc
from mailroom.models import Addressee, NewFiling, Sender

MAX_TEXT = 2000


def validated(new: NewFiling) -> NewFiling:
    """The filing with normalised fields (trimmed text, upper-case CURP/RFC), or InvalidInput."""
    sender = _validated_sender(new.sender)
    subject = _required(new.subject, "El asunto")
    if new.fojas_declared is not None and new.fojas_declared < 0:
        raise InvalidInput("Las fojas declaradas no pueden ser negativas.", field="fojas_declared")
    for annex in new.annexes:
        if not annex.description.strip():
            raise InvalidInput("Cada anexo necesita una descripción.", field="annexes")
        if annex.pages < 0:
            raise InvalidInput("Las fojas de un anexo no pueden ser negativas.", field="annexes")
    areas = [a.area.strip() for a in new.addressees]
    if any(not area for area in areas):
        raise InvalidInput("El área turnada no puede quedar vacía.", field="addressees")
    if len(set(areas)) != len(areas):
        raise InvalidInput("Un área aparece dos veces entre los destinatarios.", field="addressees")
    if new.response_due and new.document_date and new.response_due < new.document_date:
        raise InvalidInput(
            "La fecha límite de respuesta es anterior a la fecha del documento.",
            field="response_due",
        )
    if new.duplicate_override_reason is not None and not new.duplicate_override_reason.strip():
        raise InvalidInput(
            "Para registrar un documento repetido escriba el motivo.",
            field="duplicate_override_reason",
        )
    return dataclasses.replace(
        new,
        sender=sender,
        subject=subject,
        document_number=(new.document_number or "").strip() or "S/N",
        addressees=tuple(
            Addressee(area, a.role) for area, a in zip(areas, new.addressees, strict=True)
        ),
        observations=_limited(new.observations.strip(), "Las observaciones"),
        duplicate_override_reason=(new.duplicate_override_reason or "").strip() or None,
    )


def _validated_sender(sender: Sender) -> Sender:
    def optional(value: str | None) -> str | None:
        return value.strip() or None if value else None

    return Sender(
        name=_required(sender.name, "El nombre del remitente"),
        curp=validate_curp(curp) if (curp := optional(sender.curp)) else None,
        rfc=validate_rfc(rfc) if (rfc := optional(sender.rfc)) else None,
        email=_email(optional(sender.email)),
        phone=optional(sender.phone),
        organization=optional(sender.organization),
        position=optional(sender.position),
    )


def _required(value: str, label: str) -> str:
    text = " ".join((value or "").split())
    if not text:
        raise InvalidInput(f"{label} es obligatorio.", field=label)
    return _limited(text, label)


def _limited(text: str, label: str) -> str:
    if len(text) > MAX_TEXT:
        raise InvalidInput(f"{label} excede {MAX_TEXT} caracteres.", field=label)
    return text


def _email(value: str | None) -> str | None:
    if value is None:
        return None
    local, _, domain = value.partition("@")
    if not local or "." not in domain or " " in value:
        raise InvalidInput(f"El correo {value!r} no es válido.", field="email")
    return value
