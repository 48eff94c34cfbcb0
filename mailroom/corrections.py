"""Corrections to a registered filing: which field, from what, to what, why, who and when.

A registered filing is never edited in place. Its row is what the acuse's cadena original was
made from (a pending acuse is sealed later from that same row) and what the sync manifest is
built from, and the ``escrito_registrado`` event keeps a copy of it. So a wrong CURP or a
misspelt name is fixed with a row in ``corrections`` (append-only, triggers refuse UPDATE and
DELETE) and an ``escrito_corregido`` audit event, in one write transaction; what the filing
says *now* is its row with its corrections applied in order (:func:`current_values`).

Only supervisors and administrators correct (``Action.CORREGIR``); a correction made to answer
a rectification request (ARCO) names that request.

The sync: a correction does not send the filing again. The backend accepts a new revision of a
filing only when its manifest *adds documents* to the stored one; a manifest with another CURP
would be refused as a conflicting filing. The correction stays in the audit trail (which the
backend's receipts anchor) until the protocol carries corrections of its own.

The search index (``filings_fts``) is not the record but a finding aid: its sender and subject
follow the corrections, so a search for the corrected CURP or name finds the filing.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlite_utils

from mailroom import audit
from mailroom.clock import Clock, SystemClock
from mailroom.config import Settings
from mailroom.errors import InvalidInput, NotFound
from mailroom.identifiers import validate_curp, validate_rfc
from mailroom.models import FilingId, Folio, Sender
from mailroom.permissions import Action, authorize
from mailroom.routing import MAX_TEXT_LENGTH, MIN_REASON_LENGTH
from mailroom.store import Store

MAX_VALUE_LENGTH = 2000  # what registration accepts for a text field (mailroom.validation)
_SPACES = re.compile(r"\s+")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def _text(value: str) -> str:
    return _SPACES.sub(" ", unicodedata.normalize("NFC", value)).strip()


def _optional_text(value: str, _check_digit: bool) -> str | None:
    return _text(value) or None


def _required_text(label: str) -> Callable[[str, bool], str | None]:
    def clean(value: str, _check_digit: bool) -> str | None:
        text = _text(value)
        if not text:
            raise InvalidInput(f"{label} no puede quedar vacío.", field="valor")
        return text

    return clean


def _curp(value: str, _check_digit: bool) -> str | None:
    return validate_curp(value) if _text(value) else None


def _rfc(value: str, check_digit: bool) -> str | None:
    return validate_rfc(value, check_digit=check_digit) if _text(value) else None


def _email(value: str, _check_digit: bool) -> str | None:
    text = value.strip()
    if text and not _EMAIL.fullmatch(text):
        raise InvalidInput(
            f"El correo «{text}» no es válido: debe ser como nombre@dominio.mx.", field="valor"
        )
    return text or None


def _document_number(value: str, _check_digit: bool) -> str | None:
    return _text(value) or "S/N"  # what registration writes when there is none


def _document_date(value: str, _check_digit: bool) -> str | None:
    text = value.strip()
    if not text:
        return None
    for parse in (date.fromisoformat, lambda t: datetime.strptime(t, "%d/%m/%Y").date()):
        try:
            return parse(text).isoformat()
        except ValueError:
            continue
    raise InvalidInput(
        f"La fecha «{text}» no es válida; escríbala como AAAA-MM-DD o DD/MM/AAAA.", field="valor"
    )


@dataclass(frozen=True)
class CorrectableField:
    key: str  # as the command line and the ``corrections`` table name it
    column: str  # the ``filings`` column it corrects
    label: str  # Spanish, for people
    clean: Callable[[str, bool], str | None]  # (value, check_digit) -> stored value, or raises


FIELDS: dict[str, CorrectableField] = {
    f.key: f
    for f in (
        CorrectableField(
            "nombre", "sender_name", "Nombre del remitente", _required_text("El nombre")
        ),
        CorrectableField("curp", "sender_curp", "CURP", _curp),
        CorrectableField("rfc", "sender_rfc", "RFC", _rfc),
        CorrectableField("correo", "sender_email", "Correo electrónico", _email),
        CorrectableField("telefono", "sender_phone", "Teléfono", _optional_text),
        CorrectableField("organizacion", "sender_organization", "Organización", _optional_text),
        CorrectableField("cargo", "sender_position", "Cargo", _optional_text),
        CorrectableField("asunto", "subject", "Asunto", _required_text("El asunto")),
        CorrectableField("numero_oficio", "document_number", "Número de oficio", _document_number),
        CorrectableField("fecha_oficio", "document_date", "Fecha del oficio", _document_date),
    )
}
"""The fields a correction may change: the sender's data and what identifies the document.
Not the folio, the time received, the documents or the pages: those are the office's own
record of the act of receiving, and a mistake there is a cancellation, not a correction."""

_SEARCHED = ("nombre", "organizacion", "cargo", "rfc", "curp", "asunto")


@dataclass(frozen=True)
class Correction:
    id: int
    filing_id: FilingId
    field: str
    label: str
    before: str | None
    after: str | None
    reason: str
    arco_request_id: int | None
    at: datetime
    actor: str


@dataclass(frozen=True)
class CurrentValues:
    """What a filing says now: its registered data with its corrections applied."""

    filing_id: FilingId
    folio: Folio
    sender: Sender
    subject: str
    document_number: str
    document_date: date | None
    corrected: frozenset[str]  # the keys of FIELDS changed by at least one correction

    def value(self, key: str) -> str | None:
        return as_texts(self)[key]


def corrections_of(db: sqlite_utils.Database, filing_id: str) -> tuple[Correction, ...]:
    """The filing's corrections, oldest first."""
    return tuple(
        Correction(
            r["id"],
            FilingId(r["filing_uuid"]),
            r["field"],
            FIELDS[r["field"]].label if r["field"] in FIELDS else r["field"],
            r["value_before"],
            r["value_after"],
            r["reason"],
            r["arco_request_id"],
            datetime.fromisoformat(r["at"]),
            r["actor"],
        )
        for r in db.query(
            "SELECT * FROM corrections WHERE filing_uuid = ? ORDER BY id", [filing_id]
        )
    )


def current_values(db: sqlite_utils.Database, folio_or_id: str) -> CurrentValues:
    """The filing's data as corrected (``NotFound`` for an unknown folio)."""
    row = _filing_row(db, folio_or_id)
    values = {key: row[field.column] for key, field in FIELDS.items()}
    corrected = set()
    for correction in corrections_of(db, row["uuid"]):
        values[correction.field] = correction.after
        corrected.add(correction.field)
    return CurrentValues(
        filing_id=FilingId(row["uuid"]),
        folio=Folio(row["folio"]),
        sender=Sender(
            values["nombre"] or "",
            values["curp"],
            values["rfc"],
            values["correo"],
            values["telefono"],
            values["organizacion"],
            values["cargo"],
        ),
        subject=values["asunto"] or "",
        document_number=values["numero_oficio"] or "S/N",
        document_date=date.fromisoformat(values["fecha_oficio"])
        if values["fecha_oficio"]
        else None,
        corrected=frozenset(corrected),
    )


def as_texts(current: CurrentValues) -> dict[str, str | None]:
    sender = current.sender
    return {
        "nombre": sender.name,
        "curp": sender.curp,
        "rfc": sender.rfc,
        "correo": sender.email,
        "telefono": sender.phone,
        "organizacion": sender.organization,
        "cargo": sender.position,
        "asunto": current.subject,
        "numero_oficio": current.document_number,
        "fecha_oficio": current.document_date.isoformat() if current.document_date else None,
    }


def field_for(key: str) -> CorrectableField:
    field = FIELDS.get(key.strip().lower())
    if field is None:
        raise InvalidInput(
            f"No se puede corregir «{key}». Campos que se corrigen: {', '.join(FIELDS)}.",
            field="campo",
        )
    return field


def clean_reason(reason: str) -> str:
    text = _text(reason)
    if len(text) < MIN_REASON_LENGTH:
        raise InvalidInput(
            f"Escriba el motivo de la corrección (al menos {MIN_REASON_LENGTH} caracteres); "
            "queda en la bitácora.",
            field="motivo",
        )
    if len(text) > MAX_TEXT_LENGTH:
        raise InvalidInput(
            f"El motivo es demasiado largo ({len(text)} caracteres; máximo {MAX_TEXT_LENGTH}).",
            field="motivo",
        )
    return text


class CorrectionService:
    def __init__(self, store: Store, settings: Settings, clock: Clock | None = None) -> None:
        self.store = store
        self.settings = settings
        self.clock = clock or SystemClock(settings.zone)

    def correct(
        self,
        folio_or_id: str,
        field: str,
        value: str,
        reason: str,
        *,
        arco_request_id: int | None = None,
        check_digit: bool = True,
    ) -> Correction:
        """Record that ``field`` of the filing now reads ``value`` (an empty value clears an
        optional field). ``check_digit=False`` accepts an RFC whose check digit does not follow
        SAT's algorithm, once checked against the person's document. Refused in Spanish, with
        nothing written: an oficial, an unknown field or folio, a bad value, a short reason, the
        same value it already has, a request that is not a pending rectification."""
        authorize(self.store.reader(), self.settings, Action.CORREGIR)  # before judging input
        target = field_for(field)
        if len(value) > MAX_VALUE_LENGTH:
            raise InvalidInput(
                f"{target.label}: el valor excede {MAX_VALUE_LENGTH} caracteres.", field="valor"
            )
        after = target.clean(value, check_digit)
        reason = clean_reason(reason)
        return self.store.write(
            lambda db: record_correction(
                db,
                authorize(db, self.settings, Action.CORREGIR).name,
                self.clock.now(),
                folio_or_id,
                target,
                after,
                reason,
                arco_request_id,
            )
        )


def record_correction(
    db: sqlite_utils.Database,
    actor: str,
    at: datetime,
    folio_or_id: str,
    target: CorrectableField,
    after: str | None,
    reason: str,
    arco_request_id: int | None,
) -> Correction:
    """Inside the write transaction, after the permission check: the row and its event."""
    current = current_values(db, folio_or_id)
    before = current.value(target.key)
    if before == after:
        shown = after if after is not None else "(vacío)"
        raise InvalidInput(
            f"El escrito {current.folio} ya dice {target.label.lower()} «{shown}»; no hay nada "
            "que corregir.",
            field="valor",
        )
    if arco_request_id is not None:
        _check_rectification(db, arco_request_id)
    payload = {
        "folio": current.folio,
        "campo": target.key,
        "antes": before,
        "despues": after,
        "motivo": reason,
        "solicitud_arco": arco_request_id,
    }
    digest = audit.append_event(
        db,
        at=at,
        actor=actor,
        kind="escrito_corregido",
        filing_id=current.filing_id,
        payload=payload,
    )
    cursor = db.execute(
        "INSERT INTO corrections (filing_uuid, field, value_before, value_after, reason, "
        "arco_request_id, at, actor, event_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            current.filing_id,
            target.key,
            before,
            after,
            reason,
            arco_request_id,
            at.isoformat(),
            actor,
            digest,
        ],
    )
    if target.key in _SEARCHED:
        _reindex(db, current.filing_id)
    return Correction(
        int(cursor.lastrowid or 0),
        current.filing_id,
        target.key,
        target.label,
        before,
        after,
        reason,
        arco_request_id,
        at,
        actor,
    )


def _check_rectification(db: sqlite_utils.Database, request_id: int) -> None:
    row = db.execute("SELECT kind, status FROM arco_requests WHERE id = ?", [request_id]).fetchone()
    if row is None:
        raise NotFound(f"No existe la solicitud ARCO número {request_id}.", solicitud=request_id)
    kind, status = row
    if kind != "rectificacion":
        raise InvalidInput(
            f"La solicitud {request_id} es de {kind}, no de rectificación: una corrección solo "
            "se liga a una solicitud de rectificación.",
            field="solicitud",
        )
    if status != "pendiente":
        raise InvalidInput(
            f"La solicitud {request_id} ya está resuelta; registre una nueva si hace falta "
            "otra corrección.",
            field="solicitud",
        )


def _reindex(db: sqlite_utils.Database, filing_id: str) -> None:
    """The search row's sender and subject as the filing reads now (as intake writes them)."""
    current = current_values(db, filing_id)
    sender = current.sender
    parts = [sender.name, sender.organization, sender.position, sender.rfc, sender.curp]
    db.execute(
        "UPDATE filings_fts SET sender = ?, subject = ? "
        "WHERE rowid = (SELECT rowid FROM filings WHERE uuid = ?)",
        [" ".join(p for p in parts if p), current.subject, filing_id],
    )


def _filing_row(db: sqlite_utils.Database, key: str) -> dict[str, Any]:
    key = key.strip()
    row = next(db.query("SELECT * FROM filings WHERE folio = ? OR uuid = ?", [key, key]), None)
    if row is None:
        raise NotFound(f"No existe un escrito con folio {key!r}.", folio=key)
    return row


def describe_correction(payload: dict[str, Any]) -> str:
    """The history line of an ``escrito_corregido`` event."""
    field = FIELDS.get(payload.get("campo", ""))
    label = field.label if field else payload.get("campo", "")
    before = payload.get("antes") or "(vacío)"
    after = payload.get("despues") or "(vacío)"
    text = f"{label}: «{before}» → «{after}». Motivo: {payload.get('motivo', '')}"
    if payload.get("solicitud_arco"):
        text += f" (solicitud ARCO {payload['solicitud_arco']})"
    return text
