"""Upgrade acuses sealed offline (B-B, or B-T without revocation data) to long-term validation.

The queue is the store: every sealed acuse whose ``signature_level`` is B-B or B-T is due until
its ``signature_upgrades`` row says ``hecha``, ``revocado`` or ``fallida``. Nothing lives in
memory, so a restart forgets nothing. Each upgrade:

1. checks the signer's certificate explicitly against the OCSP responder (SAT certificates carry
   no pointer a validator could follow);
2. if it is good: appends a DSS with the chain and that OCSP answer, then -- when a TSA is
   configured -- a document timestamp (B-LTA; B-LT for a signature that already had its own
   timestamp), stores the new PDF as a new blob and points the acuse at it (the old version
   stays in the blob store);
3. if it was **revoked** before the seal can be proven to exist (no signature timestamp, or one
   after the revocation): marks the acuse ``revocado`` and writes a ``certificado_revocado``
   audit event -- ``oficialia firmas estado`` shows it in capitals and exits non-zero;
4. if the responder or the TSA cannot be reached: stays ``pendiente`` with the next attempt
   pushed back (exponential backoff with full jitter, stored in the row).
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from io import BytesIO
from typing import Any

import sqlite_utils
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.timestamps import TimeStamper

from mailroom.audit import append_event
from mailroom.clock import Clock
from mailroom.errors import OficialiaError
from mailroom.store import Store
from signing.longterm import (
    TIMESTAMP_ERRORS,
    add_document_timestamp,
    add_validation_data,
    chain_of,
    find_issuer,
    signature_certificates,
)
from signing.revocation import RevocationCheck, RevocationChecker, RevocationStatus

ACTOR = "sistema"
MAX_ATTEMPTS = 8  # attempts that got an answer but not a usable one, before giving up
BASE_DELAY = timedelta(minutes=1)
MAX_DELAY = timedelta(hours=6)
IDLE_WAIT = timedelta(minutes=10)  # between passes when nothing is scheduled sooner
MIN_WAIT = timedelta(seconds=5)


@dataclass(frozen=True)
class UpgradeOutcome:
    state: str  # "hecha" | "revocado" | "pendiente" | "fallida"
    message: str  # Spanish, for the clerk and the log
    pdf: bytes | None = None
    level: str | None = None
    revocation: RevocationCheck | None = None
    retry: bool = False  # "pendiente" because nothing answered (not counted against the limit)


def upgrade_pdf(
    pdf: bytes,
    *,
    revocation: RevocationChecker,
    ca_certificates: Sequence[bytes],
    timestamper: TimeStamper | None,
    current_level: str = "B-B",
) -> UpgradeOutcome:
    """Upgrade the last signature of ``pdf``; never raises for network trouble."""
    try:
        signer, embedded = signature_certificates(pdf)
    except OficialiaError as error:
        return UpgradeOutcome("fallida", error.message)
    candidates = [*embedded, *ca_certificates]
    issuer = find_issuer(signer, candidates)
    if issuer is None:
        return UpgradeOutcome(
            "fallida",
            "No se encontró el certificado de la autoridad que emitió la e.firma del sello; "
            "agréguelo a las autoridades de confianza (trust_extra_dir).",
        )
    check = revocation.check(signer, issuer)
    if check.status is RevocationStatus.NO_VERIFICADO:
        return UpgradeOutcome("pendiente", check.message, revocation=check, retry=True)
    if check.status is RevocationStatus.DESCONOCIDO:
        return UpgradeOutcome("pendiente", check.message, revocation=check)
    if check.status is RevocationStatus.REVOCADO:
        stamped_at = _signature_timestamp(pdf)
        if stamped_at is None or check.revoked_at is None or stamped_at >= check.revoked_at:
            return UpgradeOutcome(
                "revocado",
                f"¡ATENCIÓN! {check.message} El sello de este acuse no puede probarse anterior "
                "a la revocación: selle de nuevo con una e.firma vigente.",
                revocation=check,
            )
        # Timestamped before the revocation: still valid; the OCSP answer documents it.
    assert check.response_der is not None
    upgraded = add_validation_data(pdf, chain_of(signer, candidates), [check.response_der])
    level = "B-LT" if current_level == "B-T" else current_level
    if timestamper is not None:
        try:
            upgraded = add_document_timestamp(upgraded, timestamper)
        except TIMESTAMP_ERRORS as error:
            return UpgradeOutcome(
                "pendiente",
                f"Sin respuesta de la autoridad de sello de tiempo ({type(error).__name__}); se "
                "intentará de nuevo.",
                revocation=check,
                retry=True,
            )
        except OficialiaError as error:
            return UpgradeOutcome("pendiente", error.message, revocation=check)
        level = "B-LTA"
    return UpgradeOutcome(
        "hecha",
        f"Sello actualizado a PAdES {level}. {check.message}",
        pdf=upgraded,
        level=level,
        revocation=check,
    )


def _signature_timestamp(pdf: bytes) -> datetime | None:
    """When the last signature's own timestamp token says it existed, if it has one."""
    try:
        reader = PdfFileReader(BytesIO(pdf), strict=False)
        signatures = [s for s in reader.embedded_signatures if s.sig_object_type == "/Sig"]
        if not signatures:
            return None
        unsigned = signatures[-1].signer_info["unsigned_attrs"]
        tokens = [
            attribute["values"][0]
            for attribute in (unsigned if unsigned.native is not None else [])
            if attribute["type"].native == "signature_time_stamp_token"
        ]
        if not tokens:
            return None
        info = tokens[0]["content"]["encap_content_info"]["content"].parsed
        generated = info["gen_time"].native
    except (PdfError, ValueError, KeyError, TypeError):
        return None
    return generated if isinstance(generated, datetime) else None


@dataclass
class UpgradeSummary:
    done: list[str] = field(default_factory=list)  # folios
    revoked: list[str] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    messages: dict[str, str] = field(default_factory=dict)  # folio -> message


class SignatureUpgrader:
    """Works the upgrade queue in the store. Call :meth:`run_once` from a worker thread."""

    def __init__(
        self,
        store: Store,
        *,
        revocation: RevocationChecker,
        ca_certificates: Sequence[bytes],
        timestamper: TimeStamper | None,
        clock: Clock,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self._store = store
        self._revocation = revocation
        self._ca_certificates = list(ca_certificates)
        self._timestamper = timestamper
        self._clock = clock
        self._jitter = jitter

    def due(self, limit: int | None = None) -> list[dict[str, Any]]:
        now = self._clock.now().isoformat()
        sql = (
            "SELECT a.filing_uuid, a.sealed_sha256, a.signature_level, f.folio, "
            "COALESCE(u.attempts, 0) AS attempts FROM acuses a "
            "JOIN filings f ON f.uuid = a.filing_uuid "
            "LEFT JOIN signature_upgrades u ON u.filing_uuid = a.filing_uuid "
            "WHERE a.seal_state = 'sellado' AND a.signature_level IN ('B-B', 'B-T') "
            "AND (u.state IS NULL OR (u.state = 'pendiente' AND "
            "(u.next_attempt_at IS NULL OR u.next_attempt_at <= ?))) "
            "ORDER BY a.sealed_at, a.filing_uuid"
        )
        params: list[Any] = [now]
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        return list(self._store.reader().query(sql, params))

    def run_forever(
        self,
        stop: threading.Event,
        *,
        wake: threading.Event | None = None,
        idle: timedelta = IDLE_WAIT,
        on_summary: Callable[[UpgradeSummary], None] | None = None,
    ) -> None:
        """Work the queue until ``stop`` is set: after each pass, sleep until the earliest
        stored next attempt (at most ``idle``, so newly sealed acuses are picked up); ``wake``
        (e.g. "the network is back") cuts the sleep short. Never busy-loops."""
        while not stop.is_set():
            summary = self.run_once()
            if on_summary is not None and (summary.done or summary.revoked or summary.failed):
                on_summary(summary)
            pause = self._pause(idle)
            if wake is None:
                stop.wait(pause)
                continue
            wake.wait(pause)
            wake.clear()

    def _pause(self, idle: timedelta) -> float:
        row = (
            self._store.reader()
            .execute(
                "SELECT MIN(next_attempt_at) FROM signature_upgrades WHERE state = 'pendiente'"
            )
            .fetchone()
        )
        if row is None or row[0] is None:
            return idle.total_seconds()
        until = datetime.fromisoformat(row[0]) - self._clock.now()
        return min(idle, max(MIN_WAIT, until)).total_seconds()

    def run_once(self, limit: int | None = None) -> UpgradeSummary:
        summary = UpgradeSummary()
        for row in self.due(limit):
            folio = row["folio"]
            outcome = self._upgrade_row(row)
            summary.messages[folio] = outcome.message
            {
                "hecha": summary.done,
                "revocado": summary.revoked,
                "pendiente": summary.pending,
                "fallida": summary.failed,
            }[outcome.state].append(folio)
        return summary

    def _upgrade_row(self, row: dict[str, Any]) -> UpgradeOutcome:
        try:
            pdf = self._store.blobs.read_bytes(row["sealed_sha256"])
        except OficialiaError as error:
            outcome = UpgradeOutcome("pendiente", error.message)
        else:
            outcome = upgrade_pdf(
                pdf,
                revocation=self._revocation,
                ca_certificates=self._ca_certificates,
                timestamper=self._timestamper,
                current_level=row["signature_level"],
            )
        new_sha, new_size = None, 0
        if outcome.state == "hecha" and outcome.pdf is not None:
            # On disk before the row names it; a crash in between leaves an orphan file that
            # ``store check --sweep`` removes, never a row without its file.
            new_sha, new_size = self._store.blobs.put_bytes(outcome.pdf)
        attempts = row["attempts"] + (0 if outcome.retry else 1)
        if outcome.state == "pendiente" and attempts >= MAX_ATTEMPTS:
            outcome = UpgradeOutcome(
                "fallida",
                f"{outcome.message} (se dejó de intentar tras {attempts} respuestas inválidas)",
                revocation=outcome.revocation,
            )
        now = self._clock.now()
        next_attempt = now + self._delay(row["attempts"]) if outcome.state == "pendiente" else None
        self._store.write(
            lambda db: self._record(
                db, row, outcome, (new_sha, new_size), attempts, now, next_attempt
            )
        )
        return outcome

    def _delay(self, attempts: int) -> timedelta:
        ceiling = min(MAX_DELAY, BASE_DELAY * (2 ** min(attempts, 16)))
        return max(timedelta(seconds=5), ceiling * self._jitter())

    def _record(
        self,
        db: sqlite_utils.Database,
        row: dict[str, Any],
        outcome: UpgradeOutcome,
        new_blob: tuple[str | None, int],
        attempts: int,
        now: datetime,
        next_attempt: datetime | None,
    ) -> None:
        uuid = row["filing_uuid"]
        check = outcome.revocation
        new_sha, new_size = new_blob
        if new_sha is not None:
            db.execute(
                "INSERT OR IGNORE INTO blobs (sha256, size, created_at) VALUES (?, ?, ?)",
                [new_sha, new_size, now.isoformat()],
            )
            db.execute(
                "UPDATE acuses SET sealed_sha256 = ?, signature_level = ? WHERE filing_uuid = ?",
                [new_sha, outcome.level, uuid],
            )
        db.execute(
            "INSERT INTO signature_upgrades (filing_uuid, state, revocation_status, "
            "revocation_checked_at, attempts, next_attempt_at, last_error, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (filing_uuid) DO UPDATE SET "
            "state = excluded.state, revocation_status = excluded.revocation_status, "
            "revocation_checked_at = excluded.revocation_checked_at, attempts = "
            "excluded.attempts, next_attempt_at = excluded.next_attempt_at, last_error = "
            "excluded.last_error, updated_at = excluded.updated_at",
            [
                uuid,
                outcome.state,
                check.status.value if check else RevocationStatus.NO_VERIFICADO.value,
                check.checked_at.isoformat() if check and check.checked_at else None,
                attempts,
                next_attempt.isoformat() if next_attempt else None,
                None if outcome.state == "hecha" else outcome.message,
                now.isoformat(),
            ],
        )
        if outcome.state in ("hecha", "revocado", "fallida"):
            kind = {
                "hecha": "firma_actualizada",
                "revocado": "certificado_revocado",
                "fallida": "actualizacion_de_firma_fallida",
            }[outcome.state]
            payload: dict[str, Any] = {"folio": row["folio"], "mensaje": outcome.message}
            if new_sha is not None:
                payload.update(nivel=outcome.level, sha256=new_sha, anterior=row["sealed_sha256"])
            if check is not None and check.revoked_at is not None:
                payload["revocado_desde"] = check.revoked_at.isoformat()
            append_event(db, at=now, actor=ACTOR, kind=kind, filing_id=uuid, payload=payload)


def upgrade_status(store: Store) -> dict[str, Any]:
    """Counts by state, plus every revoked or failed acuse with its message (for the CLI/UI)."""
    db = store.reader()
    pending_sql = (
        "SELECT COUNT(*) FROM acuses a LEFT JOIN signature_upgrades u USING (filing_uuid) "
        "WHERE a.seal_state = 'sellado' AND a.signature_level IN ('B-B', 'B-T') "
        "AND (u.state IS NULL OR u.state = 'pendiente')"
    )
    counts = {"pendientes": db.execute(pending_sql).fetchone()[0]}
    for state, key in (
        ("hecha", "actualizadas"),
        ("revocado", "revocadas"),
        ("fallida", "fallidas"),
    ):
        counts[key] = db.execute(
            "SELECT COUNT(*) FROM signature_upgrades WHERE state = ?", [state]
        ).fetchone()[0]
    problems = [
        {
            "folio": r["folio"],
            "estado": r["state"],
            "mensaje": r["last_error"],
            "intentos": r["attempts"],
            "siguiente_intento": r["next_attempt_at"],
        }
        for r in db.query(
            "SELECT f.folio, u.state, u.last_error, u.attempts, u.next_attempt_at "
            "FROM signature_upgrades u JOIN filings f ON f.uuid = u.filing_uuid "
            "WHERE u.state != 'hecha' ORDER BY u.state = 'revocado' DESC, f.folio"
        )
    ]
    return {**counts, "problemas": problems}
