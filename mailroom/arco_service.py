"""What an administrator does for an ARCO request (``Action.ARCO``): search what is held about a
person, export it, record a request, resolve it. Qt-free; the command line and the admin screen
call it.

Each write checks the permission inside its own transaction and appends its audit event there:
``arco_solicitud_registrada``, ``arco_restriccion_aplicada`` (one per filing restricted, on that
filing), ``arco_solicitud_resuelta`` and ``arco_acceso_exportado``. The events carry the key
searched (the CURP, RFC or name words the request is about: without it the trail could not say
whose data left the office) but never the data found: a count, the folios and the hashes of the
files handed over are enough to prove what was given, and the append-only log cannot be purged
of personal data later, which a copy of the report inside it would force on the office.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import sqlite_utils

from mailroom import audit
from mailroom.arco import (
    REQUEST_KINDS,
    ArcoReport,
    ArcoRequest,
    PersonData,
    SubjectKey,
    find_person,
    keep_until,
    request_row,
)
from mailroom.arco_export import ArcoExport, write_export
from mailroom.clock import Clock, SystemClock
from mailroom.config import Settings
from mailroom.errors import InvalidInput, NotFound
from mailroom.permissions import Action, authorize
from mailroom.routing import MAX_TEXT_LENGTH
from mailroom.store import Store

MIN_RESOLUTION_LENGTH = 5


@dataclass(frozen=True)
class Resolution:
    request: ArcoRequest
    restricted: tuple[tuple[str, date], ...]  # (folio, kept until) of each filing restricted


class ArcoService:
    def __init__(self, store: Store, settings: Settings, clock: Clock | None = None) -> None:
        self.store = store
        self.settings = settings
        self.clock = clock or SystemClock(settings.zone)

    def find(self, kind: str, text: str) -> PersonData:
        """Everything held about the person with this CURP, RFC or name."""
        db = self.store.reader()
        authorize(db, self.settings, Action.ARCO)
        return find_person(db, SubjectKey.parse(kind, text), self.settings)

    def export(
        self,
        kind: str,
        text: str,
        folder: Path,
        *,
        request_id: int | None = None,
        with_documents: bool = False,
    ) -> ArcoExport:
        """Write the access report (JSON and PDF, and the documents' ZIP when asked) to
        ``folder`` and record that it was produced. A refused export writes nothing."""
        db = self.store.reader()
        actor = authorize(db, self.settings, Action.ARCO)
        key = SubjectKey.parse(kind, text)
        request = self.request(request_id) if request_id is not None else None
        if request is not None and request.key.kind == key.kind and request.key != key:
            raise InvalidInput(
                f"La solicitud {request.id} es sobre {request.key.label}, no sobre {key.label}.",
                field="solicitud",
            )
        data = find_person(db, key, self.settings)
        now = self.clock.now()
        report = ArcoReport(self.settings.office_name, now, actor.receipt_name, request)
        blobs = self.store.blobs if with_documents else None
        exported = write_export(data, report, Path(folder), self.settings, blobs)
        payload = {
            "clave": {"tipo": key.kind, "valor": key.value},
            "solicitud": request_id,
            "escritos": len(data.filings),
            "folios": [f.folio for f in data.filings],
            "documentos": data.documents,
            "copias_de_documentos": with_documents,
            "archivos": exported.sha256,
        }
        try:
            self.store.write(
                lambda w: audit.append_event(
                    w,
                    at=now,
                    actor=authorize(w, self.settings, Action.ARCO).name,
                    kind="arco_acceso_exportado",
                    filing_id=None,
                    payload=payload,
                )
            )
        except BaseException:
            # Files not on the record must not stay to be handed over.
            for path in (exported.json_path, exported.pdf_path, exported.zip_path):
                if path is not None:
                    path.unlink(missing_ok=True)
            raise
        return exported

    # -- requests ----------------------------------------------------------------------------

    def register_request(
        self,
        kind: str,
        subject_kind: str,
        subject: str,
        requester: str,
        *,
        received_on: date | None = None,
        details: str = "",
    ) -> ArcoRequest:
        authorize(self.store.reader(), self.settings, Action.ARCO)
        if kind not in REQUEST_KINDS:
            raise InvalidInput(
                f"Tipo de solicitud desconocido «{kind}»: use {', '.join(REQUEST_KINDS)}.",
                field="tipo",
            )
        key = SubjectKey.parse(subject_kind, subject)
        requester = _text(requester, "solicitante")
        if not requester:
            raise InvalidInput(
                "Escriba quién presenta la solicitud (la persona o su representante).",
                field="solicitante",
            )
        details = _text(details, "detalle")
        now = self.clock.now()
        received = received_on or now.date()
        if received > now.date():
            raise InvalidInput(
                f"La fecha de recepción {received:%d/%m/%Y} está en el futuro.", field="recibida"
            )

        def write(db: sqlite_utils.Database) -> int:
            actor = authorize(db, self.settings, Action.ARCO).name
            cursor = db.execute(
                "INSERT INTO arco_requests (kind, subject_kind, subject, requester, received_on, "
                "details, recorded_at, actor) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [kind, key.kind, key.value, requester, received.isoformat(), details,
                 now.isoformat(), actor],
            )  # fmt: skip
            request_id = int(cursor.lastrowid or 0)
            audit.append_event(
                db,
                at=now,
                actor=actor,
                kind="arco_solicitud_registrada",
                filing_id=None,
                payload={
                    "solicitud": request_id,
                    "tipo": kind,
                    "clave": {"tipo": key.kind, "valor": key.value},
                    "recibida": received.isoformat(),
                },
            )
            return request_id

        return self.request(self.store.write(write))

    def request(self, request_id: int) -> ArcoRequest:
        db = self.store.reader()
        authorize(db, self.settings, Action.ARCO)
        row = next(db.query("SELECT * FROM arco_requests WHERE id = ?", [request_id]), None)
        if row is None:
            raise NotFound(f"No existe la solicitud ARCO número {request_id}.")
        return request_row(row)

    def list_requests(self, *, pending_only: bool = False) -> tuple[ArcoRequest, ...]:
        db = self.store.reader()
        authorize(db, self.settings, Action.ARCO)
        where = "WHERE status = 'pendiente' " if pending_only else ""
        return tuple(
            request_row(row) for row in db.query(f"SELECT * FROM arco_requests {where}ORDER BY id")
        )

    def resolve(self, request_id: int, resolution: str, *, granted: bool = True) -> Resolution:
        """Close the request with its resolution. A granted cancellation or opposition
        restricts each of the person's filings and appends to the resolution what could not be
        deleted and until when (a registered filing is kept for its retention period)."""
        authorize(self.store.reader(), self.settings, Action.ARCO)
        text = _text(resolution, "resolución")
        if len(text) < MIN_RESOLUTION_LENGTH:
            raise InvalidInput(
                "Escriba la resolución (al menos 5 caracteres): qué se hizo o por qué no.",
                field="resolucion",
            )
        return self.store.write(lambda db: self._resolve(db, request_id, text, granted))

    def _resolve(
        self, db: sqlite_utils.Database, request_id: int, text: str, granted: bool
    ) -> Resolution:
        actor = authorize(db, self.settings, Action.ARCO).name
        row = next(db.query("SELECT * FROM arco_requests WHERE id = ?", [request_id]), None)
        if row is None:
            raise NotFound(f"No existe la solicitud ARCO número {request_id}.")
        request = request_row(row)
        if request.status != "pendiente":
            raise InvalidInput(f"La solicitud {request_id} ya está resuelta.", field="solicitud")
        now = self.clock.now()
        restricted: list[tuple[str, date]] = []
        if granted and request.kind in ("cancelacion", "oposicion"):
            data = find_person(db, request.key, self.settings)
            for filing in data.filings:
                until = keep_until(self.settings, filing.procedure_type, filing.received_at)
                self._restrict(db, actor, now, request, filing.id, filing.folio, until)
                restricted.append((filing.folio, until))
            text = f"{text} {limitation(request.kind, restricted, now.date())}"
        corrections = db.execute(
            "SELECT count(*) FROM corrections WHERE arco_request_id = ?", [request_id]
        ).fetchone()[0]
        db.execute(
            "UPDATE arco_requests SET status = 'resuelta', granted = ?, resolution = ?, "
            "resolved_at = ?, resolved_by = ? WHERE id = ?",
            [int(granted), text, now.isoformat(), actor, request_id],
        )
        audit.append_event(
            db,
            at=now,
            actor=actor,
            kind="arco_solicitud_resuelta",
            filing_id=None,
            payload={
                "solicitud": request_id,
                "tipo": request.kind,
                "procedente": granted,
                "escritos_restringidos": [folio for folio, _ in restricted],
                "correcciones": corrections,
            },
        )
        resolved = request_row(
            next(db.query("SELECT * FROM arco_requests WHERE id = ?", [request_id]))
        )
        return Resolution(resolved, tuple(restricted))

    @staticmethod
    def _restrict(
        db: sqlite_utils.Database,
        actor: str,
        now: datetime,
        request: ArcoRequest,
        filing_id: str,
        folio: str,
        until: date,
    ) -> None:
        digest = audit.append_event(
            db,
            at=now,
            actor=actor,
            kind="arco_restriccion_aplicada",
            filing_id=filing_id,
            payload={
                "folio": folio,
                "solicitud": request.id,
                "tipo": request.kind,
                "conservar_hasta": until.isoformat(),
            },
        )
        db.execute(
            "INSERT INTO filing_restrictions (filing_uuid, arco_request_id, kind, keep_until, at, "
            "actor, event_hash) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [filing_id, request.id, request.kind, until.isoformat(), now.isoformat(), actor,
             digest],
        )  # fmt: skip


def limitation(kind: str, restricted: list[tuple[str, date]], today: date) -> str:
    """What a granted cancellation or opposition could not do, in the resolution's words."""
    if not restricted:
        return "No se encontraron escritos de la persona con esos datos."
    keeping = [(folio, until) for folio, until in restricted if until > today]
    expired = [folio for folio, until in restricted if until <= today]
    action = "cancelarse" if kind == "cancelacion" else "dejar de tratarse"
    parts = [
        f"Los escritos registrados no pueden {action} por completo: son constancia de un acto "
        "público y se conservan durante su plazo de conservación. Quedan restringidos a los "
        "usos que la ley exige (archivo, atención del trámite y obligaciones legales)."
    ]
    if keeping:
        dates = "; ".join(f"{folio} hasta el {until:%d/%m/%Y}" for folio, until in keeping)
        parts.append(f"Se conservan: {dates}.")
    if expired:
        parts.append(
            f"El plazo de {', '.join(expired)} ya venció: sus documentos se retiran al aplicar "
            "la conservación; el asiento del libro, el acuse y la bitácora permanecen."
        )
    return " ".join(parts)


def _text(value: str, field: str) -> str:
    text = " ".join((value or "").split())
    if len(text) > MAX_TEXT_LENGTH:
        raise InvalidInput(
            f"El texto de «{field}» es demasiado largo ({len(text)} caracteres; máximo "
            f"{MAX_TEXT_LENGTH}).",
            field=field,
        )
    return text
