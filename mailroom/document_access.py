"""Who opened a sensitive filing's documents, and when: one audit event per opening.

A filing marked *sensible* holds data the law protects more (health, a complaint against a
neighbour, a minor's records). Every time someone opens its documents — the detail screen's
pages and text, ``oficialia show --texto`` — a ``documentos_consultados`` event names the account
and the documents, in the same hash chain as everything else. Openings of other filings are not
recorded: the trail would grow by an event at every click of the inbox and say nothing a
supervisor needs.
"""

from __future__ import annotations

import sqlite_utils

from mailroom import audit
from mailroom.clock import Clock, SystemClock
from mailroom.config import Settings
from mailroom.models import Filing
from mailroom.permissions import Action, authorize
from mailroom.store import Store

OPENED_EVENT = "documentos_consultados"


def record_opening(
    store: Store, settings: Settings, filing: Filing, *, via: str, clock: Clock | None = None
) -> bool:
    """Write the audit event if ``filing`` is sensitive; return whether one was written. Raises
    ``Forbidden`` (nothing written, nothing to show) for someone who may not consult filings."""
    if not filing.sensitive:
        return False
    moment = (clock or SystemClock(settings.zone)).now()

    def work(db: sqlite_utils.Database) -> None:
        actor = authorize(db, settings, Action.BUSCAR)
        audit.append_event(
            db,
            at=moment,
            actor=actor.name,
            kind=OPENED_EVENT,
            filing_id=filing.id,
            payload={
                "folio": filing.folio,
                "documentos": [document.id for document in filing.documents],
                "desde": via,
            },
        )

    store.write(work)
    return True
