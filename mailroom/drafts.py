"""Borradores: scanned groups waiting for a clerk to fill in the form (or confirm the folio).

A batch from the scanner or the watched folder is split into groups; each group becomes a draft
holding its scan PDF (blob store) and what the capture did to it (the ``CaptureReport``). The
clerk then registers a ``nuevo`` draft as a filing, attaches an ``anexo`` draft to the filing its
carátula named, or discards it with a reason.

Crash safety: blobs are written (fsynced) before the rows that name them, and a draft becomes
``registrado`` in the very transaction that inserts its filing (or its attached document), after
checking under the write lock that it is still ``pendiente``: a crash leaves either both or
neither, and a draft can never become two filings.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, NewType

import sqlite_utils

from mailroom import audit, tmpfiles
from mailroom.attachments import Attachment, attach_pages
from mailroom.capture.pages import CaptureReport
from mailroom.clock import Clock, SystemClock
from mailroom.config import Settings
from mailroom.errors import InvalidInput, NotFound
from mailroom.intake import IntakeService
from mailroom.models import DocumentId, FilingId, NewFiling, Registration
from mailroom.permissions import Action, acting, authorize
from mailroom.store import Store

if TYPE_CHECKING:
    from mailroom.capture.batch import BatchGroup

DraftId = NewType("DraftId", int)


class DraftKind(StrEnum):
    NUEVO = "nuevo"  # a new filing: the clerk fills in the form
    ANEXO = "anexo"  # pages for a filing already registered (its carátula named the folio)


class DraftState(StrEnum):
    PENDIENTE = "pendiente"
    REGISTRADO = "registrado"
    DESCARTADO = "descartado"


class DraftUnavailable(InvalidInput):
    """The draft was already registered or discarded, or is of the other kind."""

    code = "borrador_no_disponible"


class FileAlreadyTaken(InvalidInput):
    """A watched-folder file with these exact bytes was already turned into drafts."""

    code = "archivo_ya_procesado"


@dataclass(frozen=True)
class NewDraft:
    """One scanned group to keep as a draft; ``pdf`` is read and stored, never kept."""

    source: str
    """The capture source (``sane:test:0``, ``folder:/srv/escaner``, ``file:/x.pdf``)."""
    origin: str
    """For people: the file or batch it came from, and which group of it."""
    kind: DraftKind
    pdf: Path
    page_count: int
    capture: CaptureReport
    target_folio: str | None = None


@dataclass(frozen=True)
class WatchedFile:
    """A watched-folder file whose drafts are being created (recorded with them)."""

    sha256: str
    name: str
    folder: str
    size: int


@dataclass(frozen=True)
class Draft:
    id: DraftId
    created_at: datetime
    source: str
    origin: str
    kind: DraftKind
    target_folio: str | None
    pdf_sha256: str
    page_count: int
    capture: CaptureReport
    state: DraftState
    filing_id: FilingId | None
    reason: str | None


class DraftService:
    def __init__(self, store: Store, settings: Settings, *, clock: Clock | None = None) -> None:
        self.store = store
        self.settings = settings
        self.clock = clock or SystemClock(settings.zone)

    def create(
        self, drafts: Sequence[NewDraft], *, watched: WatchedFile | None = None
    ) -> list[Draft]:
        """Store each draft's PDF, then insert all the rows (and the watched file, if any) in one
        transaction: a batch becomes all its drafts or none."""
        if not drafts:
            raise InvalidInput("No hay páginas con las que crear un borrador.", field="pages")
        stored = [(draft, *self.store.blobs.put_file(draft.pdf)) for draft in drafts]
        ids = self.store.write(lambda db: self._insert(db, stored, watched))
        return [self.get(draft_id) for draft_id in ids]

    def _insert(
        self,
        db: sqlite_utils.Database,
        stored: Sequence[tuple[NewDraft, str, int]],
        watched: WatchedFile | None,
    ) -> list[DraftId]:
        now = self.clock.now()
        if watched is not None:
            _record_watched_file(db, watched, len(stored), now)
        ids = []
        for draft, sha, size in stored:
            db.execute(
                "INSERT OR IGNORE INTO blobs (sha256, size, created_at) VALUES (?, ?, ?)",
                [sha, size, now.isoformat()],
            )
            cursor = db.execute(
                "INSERT INTO drafts (created_at, source, origin, kind, target_folio, pdf_sha256, "
                "page_count, capture_report, watched_sha256, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    now.isoformat(),
                    draft.source,
                    draft.origin,
                    draft.kind.value,
                    draft.target_folio,
                    sha,
                    draft.page_count,
                    json.dumps(dataclasses.asdict(draft.capture)),
                    watched.sha256 if watched else None,
                    now.isoformat(),
                ],
            )
            ids.append(DraftId(cursor.lastrowid or 0))
        audit.append_event(
            db,
            at=now,
            actor=acting(self.settings).name,
            kind="borradores_creados",
            filing_id=None,
            payload={"borradores": ids, "archivo": watched.sha256 if watched else None},
        )
        return ids

    def create_from_batch(
        self,
        groups: Sequence[BatchGroup],
        *,
        source: str,
        origin: str,
        watched: WatchedFile | None = None,
    ) -> list[Draft]:
        """One draft per group of a split batch (a group left with no pages is not kept),
        each with its scan PDF; all created in one transaction, with ``watched`` if given."""
        from mailroom.capture.scan_pdf import write_scan_pdf  # image codecs: only when needed

        kept = [group for group in groups if group.prepared.pages]
        folder = tmpfiles.work_folder(self.settings.data_dir, "lote-")
        try:
            new = [
                NewDraft(
                    source=source,
                    origin=f"{origin}, grupo {n} de {len(kept)} (hoja {group.first_sheet})",
                    kind=DraftKind(group.kind),
                    pdf=write_scan_pdf(group.prepared.pages, folder / f"grupo-{n}.pdf"),
                    page_count=len(group.prepared.pages),
                    capture=group.prepared.report,
                    target_folio=group.folio,
                )
                for n, group in enumerate(kept, 1)
            ]
            return self.create(new, watched=watched)
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def list_drafts(self, state: DraftState | None = DraftState.PENDIENTE) -> list[Draft]:
        """Oldest first: the pile is worked through in the order it was scanned."""
        where, params = ("WHERE state = ?", [state.value]) if state else ("", [])
        rows = self.store.reader().query(f"SELECT * FROM drafts {where} ORDER BY id", params)
        return [_draft(row) for row in rows]

    def get(self, draft_id: int) -> Draft:
        row = next(self.store.reader().query("SELECT * FROM drafts WHERE id = ?", [draft_id]), None)
        if row is None:
            raise NotFound(
                f"No existe el borrador {draft_id}. Vea los pendientes con «oficialia borradores».",
                draft=draft_id,
            )
        return _draft(row)

    def discard(self, draft_id: int, reason: str) -> Draft:
        if not reason.strip():
            raise InvalidInput(
                "Diga por qué se descarta el borrador (queda en la bitácora).", field="motivo"
            )
        self.get(draft_id)  # NotFound before taking the write lock

        def write(db: sqlite_utils.Database) -> None:
            actor = authorize(db, self.settings, Action.REGISTRAR)
            _claim(db, draft_id, None)
            now = self.clock.now()
            db.execute(
                "UPDATE drafts SET state = ?, reason = ?, updated_at = ? WHERE id = ?",
                [DraftState.DESCARTADO.value, reason.strip(), now.isoformat(), draft_id],
            )
            audit.append_event(
                db,
                at=now,
                actor=actor.name,
                kind="borrador_descartado",
                filing_id=None,
                payload={"borrador": draft_id, "motivo": reason.strip()},
            )

        self.store.write(write)
        return self.get(draft_id)

    def register(self, draft_id: int, new: NewFiling) -> Registration:
        """Register a ``nuevo`` draft as a filing with its scan and capture report; the draft
        turns ``registrado`` in the registration's own transaction."""
        draft = self._pending(draft_id, DraftKind.NUEVO)
        with self._draft_pdf(draft) as pdf:

            def claimed(db: sqlite_utils.Database, insert: Callable[[], FilingId]) -> FilingId:
                # Claimed first: a draft another clerk registered meanwhile costs no folio.
                _claim(db, draft.id, DraftKind.NUEVO)
                filing_id = insert()
                _mark_registered(db, draft.id, filing_id, self.clock.now())
                return filing_id

            intake = IntakeService(self.store, self.settings, clock=self.clock)
            return intake.register(new, [pdf], capture=draft.capture, around_insert=claimed)

    def attach(self, draft_id: int, folio: str | None = None) -> Attachment:
        """Attach an ``anexo`` draft's pages to the filing its carátula named (or ``folio``)."""
        draft = self._pending(draft_id, DraftKind.ANEXO)
        target = (folio or draft.target_folio or "").strip()
        if not target:
            raise InvalidInput(
                f"El borrador {draft.id} no dice a qué folio pertenece; indíquelo con --folio.",
                field="folio",
            )

        def mark(db: sqlite_utils.Database, filing_id: FilingId, _: DocumentId) -> None:
            _claim(db, draft.id, DraftKind.ANEXO)
            _mark_registered(db, draft.id, filing_id, self.clock.now())

        with self._draft_pdf(draft) as pdf:
            return attach_pages(
                self.store,
                self.settings,
                target,
                pdf,
                draft.capture,
                origin=f"borrador {draft.id}: {draft.origin}",
                clock=self.clock,
                in_transaction=mark,
            )

    def _pending(self, draft_id: int, kind: DraftKind) -> Draft:
        draft = self.get(draft_id)
        _refuse(draft.id, draft.state.value, draft.kind.value, kind)
        return draft

    def _draft_pdf(self, draft: Draft) -> _DraftPdf:
        return _DraftPdf(self.store, self.settings.data_dir, draft)


class _DraftPdf:
    """The draft's stored PDF copied under a readable name (it becomes the document's file name)
    in a work folder under the data folder, removed afterwards."""

    def __init__(self, store: Store, data_dir: Path, draft: Draft) -> None:
        self.store, self.data_dir, self.draft = store, data_dir, draft
        self.folder: Path | None = None

    def __enter__(self) -> Path:
        self.folder = tmpfiles.work_folder(self.data_dir, "borrador-")
        target = self.folder / f"borrador-{self.draft.id}.pdf"
        shutil.copyfile(self.store.blobs.path(self.draft.pdf_sha256), target)
        return target

    def __exit__(self, *exc: object) -> None:
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)


def _record_watched_file(
    db: sqlite_utils.Database, watched: WatchedFile, drafts: int, now: datetime
) -> None:
    """Under the write lock, so two watchers (or a restart racing a slow shutdown) cannot both
    turn the same bytes into drafts."""
    row = db.execute(
        "SELECT name, taken_at FROM watched_files WHERE sha256 = ?", [watched.sha256]
    ).fetchone()
    if row is not None:
        raise FileAlreadyTaken(
            f'El archivo "{watched.name}" ya se convirtió en borradores ({row[0]}, {row[1]}); '
            "no se vuelve a dividir.",
            sha256=watched.sha256,
        )
    db.execute(
        "INSERT INTO watched_files (sha256, name, folder, size, drafts, taken_at) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [watched.sha256, watched.name, watched.folder, watched.size, drafts, now.isoformat()],
    )


def _claim(db: sqlite_utils.Database, draft_id: int, kind: DraftKind | None) -> None:
    """Under the write lock: the draft is still pending (and of ``kind``), or the write fails."""
    row = db.execute("SELECT state, kind FROM drafts WHERE id = ?", [draft_id]).fetchone()
    if row is None:
        raise NotFound(f"No existe el borrador {draft_id}.", draft=draft_id)
    _refuse(DraftId(draft_id), row[0], row[1], kind)


def _refuse(draft_id: DraftId, state: str, kind: str, wanted: DraftKind | None) -> None:
    if state == DraftState.REGISTRADO:
        raise DraftUnavailable(
            f"El borrador {draft_id} ya se registró; no se registra dos veces "
            "(vea «oficialia borradores --todos»).",
            draft=draft_id,
        )
    if state == DraftState.DESCARTADO:
        raise DraftUnavailable(f"El borrador {draft_id} fue descartado.", draft=draft_id)
    if wanted is DraftKind.NUEVO and kind != wanted:
        raise DraftUnavailable(
            f"El borrador {draft_id} son páginas para un escrito ya registrado: use "
            f"«oficialia borradores anexar {draft_id}».",
            draft=draft_id,
        )
    if wanted is DraftKind.ANEXO and kind != wanted:
        raise DraftUnavailable(
            f"El borrador {draft_id} es un escrito nuevo: regístrelo con "
            f"«oficialia borradores registrar {draft_id} --remitente … --asunto …».",
            draft=draft_id,
        )


def _mark_registered(
    db: sqlite_utils.Database, draft_id: int, filing_id: str, now: datetime
) -> None:
    db.execute(
        "UPDATE drafts SET state = ?, filing_uuid = ?, updated_at = ? WHERE id = ?",
        [DraftState.REGISTRADO.value, filing_id, now.isoformat(), draft_id],
    )


def _draft(row: dict[str, Any]) -> Draft:
    report = json.loads(row["capture_report"])
    return Draft(
        id=DraftId(row["id"]),
        created_at=datetime.fromisoformat(row["created_at"]),
        source=row["source"],
        origin=row["origin"],
        kind=DraftKind(row["kind"]),
        target_folio=row["target_folio"],
        pdf_sha256=row["pdf_sha256"],
        page_count=row["page_count"],
        capture=CaptureReport(
            source=report["source"],
            scanned_pages=report["scanned_pages"],
            blank_removed=tuple(report.get("blank_removed", ())),
            review_pages=tuple(report.get("review_pages", ())),
        ),
        state=DraftState(row["state"]),
        filing_id=FilingId(row["filing_uuid"]) if row["filing_uuid"] else None,
        reason=row["reason"],
    )
