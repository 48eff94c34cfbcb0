"""The supervisor's report of a period: filings by status, channel, area and receiving account,
responses overdue, and cancellations with their reasons.

Counts are of the filings *received* in the period (the libro's days), with the status each has
now. An area counts a filing once whether the sender addressed it or the office routed it there
later. A response is overdue when its due date is before the report's day and the filing is not
atendida, archivada or cancelada. Cancellations are those *made* in the period, from the audit
trail (who cancelled and why), whenever the filing was received.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

import sqlite_utils

from mailroom.clock import Clock, SystemClock
from mailroom.config import Settings
from mailroom.libro import Period
from mailroom.models import STATUS_LABELS, Channel, FilingStatus
from mailroom.permissions import Action, authorize
from mailroom.receipt.spanish import CHANNELS
from mailroom.store import Store

NO_AREA = "Sin área"
CLOSED = (FilingStatus.ATENDIDA, FilingStatus.ARCHIVADA, FilingStatus.CANCELADA)


@dataclass(frozen=True)
class Tally:
    key: str
    label: str
    filings: int


@dataclass(frozen=True)
class OverdueResponse:
    folio: str
    received_at: datetime
    response_due: date
    days_late: int
    status: FilingStatus
    areas: str
    sender: str


@dataclass(frozen=True)
class Cancellation:
    folio: str
    cancelled_at: datetime
    actor: str
    reason: str


@dataclass(frozen=True)
class SupervisorReport:
    first: date
    last: date
    as_of: date
    filings: int
    by_status: tuple[Tally, ...]
    by_channel: tuple[Tally, ...]
    by_area: tuple[Tally, ...]
    by_account: tuple[Tally, ...]
    overdue: tuple[OverdueResponse, ...]
    cancellations: tuple[Cancellation, ...]


class ReportService:
    def __init__(self, store: Store, settings: Settings, clock: Clock | None = None) -> None:
        self.store = store
        self.settings = settings
        self.clock = clock or SystemClock(settings.zone)

    def report(self, first: date, last: date) -> SupervisorReport:
        """Raises ``Forbidden`` for an oficial, ``InvalidInput`` for a period backwards."""
        period = Period(first, last)
        db = self.store.reader()
        authorize(db, self.settings, Action.REPORTES)
        today = self.clock.now().astimezone(self.settings.zone).date()
        bounds = [period.first.isoformat(), period.last.isoformat()]
        statuses = _counts(db, "status", bounds)
        channels = _counts(db, "channel", bounds)
        return SupervisorReport(
            first=period.first,
            last=period.last,
            as_of=today,
            filings=sum(statuses.values()),
            by_status=tuple(
                Tally(s.value, STATUS_LABELS[s], statuses[s.value])
                for s in FilingStatus
                if statuses[s.value]
            ),
            by_channel=tuple(
                Tally(c.value, CHANNELS.get(c, c.value), channels[c.value])
                for c in Channel
                if channels[c.value]
            ),
            by_area=_tallies(_areas(db, bounds)),
            by_account=_tallies(_counts(db, "clerk", bounds)),
            overdue=tuple(_overdue(db, bounds, today)),
            cancellations=tuple(self._cancellations(db, period)),
        )

    def _cancellations(self, db: sqlite_utils.Database, period: Period) -> Iterable[Cancellation]:
        rows = db.execute(
            "SELECT e.at, e.actor, e.payload, f.folio FROM events e "
            "JOIN filings f ON f.uuid = e.filing_uuid "
            "WHERE e.kind = 'escrito_cancelado' ORDER BY e.seq"
        )
        for at, actor, payload, folio in rows:
            moment = datetime.fromisoformat(at).astimezone(self.settings.zone)
            if period.first <= moment.date() <= period.last:
                reason = str(json.loads(payload).get("motivo", ""))
                yield Cancellation(folio, moment, actor, reason)


def _counts(db: sqlite_utils.Database, column: str, bounds: list[str]) -> Counter[str]:
    rows = db.execute(
        f"SELECT {column}, count(*) FROM filings "  # noqa: S608 - a fixed column name
        "WHERE received_date BETWEEN ? AND ? GROUP BY 1",
        bounds,
    )
    return Counter({str(key): int(count) for key, count in rows})


def _areas(db: sqlite_utils.Database, bounds: list[str]) -> Counter[str]:
    rows = db.execute(
        "SELECT coalesce(a.area, ?), count(DISTINCT f.uuid) FROM filings f LEFT JOIN ("
        "  SELECT filing_uuid, area FROM filing_addressees"
        "  UNION SELECT filing_uuid, area FROM filing_routes"
        ") a ON a.filing_uuid = f.uuid WHERE f.received_date BETWEEN ? AND ? GROUP BY 1",
        [NO_AREA, *bounds],
    )
    return Counter({str(area): int(count) for area, count in rows})


def _tallies(counts: Counter[str]) -> tuple[Tally, ...]:
    """Most filings first, then by name."""
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0].casefold()))
    return tuple(Tally(key, key, count) for key, count in ordered)


def _overdue(
    db: sqlite_utils.Database, bounds: list[str], today: date
) -> Iterable[OverdueResponse]:
    closed = [status.value for status in CLOSED]
    rows = db.query(
        "SELECT f.folio, f.received_at, f.response_due, f.status, f.sender_name, "
        "(SELECT group_concat(area, '; ') FROM (SELECT area FROM filing_addressees "
        " WHERE filing_uuid = f.uuid UNION SELECT area FROM filing_routes "
        " WHERE filing_uuid = f.uuid)) AS areas "
        "FROM filings f WHERE f.received_date BETWEEN ? AND ? AND f.response_due IS NOT NULL "
        "AND f.response_due < ? AND f.status NOT IN (?, ?, ?) "
        "ORDER BY f.response_due, f.rowid",
        [*bounds, today.isoformat(), *closed],
    )
    for row in rows:
        due = date.fromisoformat(row["response_due"])
        yield OverdueResponse(
            folio=row["folio"],
            received_at=datetime.fromisoformat(row["received_at"]),
            response_due=due,
            days_late=(today - due).days,
            status=FilingStatus(row["status"]),
            areas=row["areas"] or NO_AREA,
            sender=row["sender_name"],
        )


def as_text(report: SupervisorReport) -> str:
    """The report as a supervisor reads it on a terminal or pastes in a message."""
    period = Period(report.first, report.last).label
    lines = [
        f"Reporte {period} (al {report.as_of:%d/%m/%Y})",
        f"Escritos recibidos: {report.filings}",
    ]
    for title, tallies in (
        ("Por estado", report.by_status),
        ("Por canal", report.by_channel),
        ("Por área", report.by_area),
        ("Por cuenta que recibió", report.by_account),
    ):
        lines.append(f"\n{title}:")
        lines.extend(f"  {t.label}: {t.filings}" for t in tallies)
        if not tallies:
            lines.append("  —")
    lines.append(f"\nRespuestas vencidas: {len(report.overdue)}")
    for item in report.overdue:
        lines.append(
            f"  {item.folio}: vencía el {item.response_due:%d/%m/%Y} ({item.days_late} día(s) de "
            f"retraso), {STATUS_LABELS[item.status]}, {item.areas}"
        )
    lines.append(f"\nCancelaciones: {len(report.cancellations)}")
    for cancel in report.cancellations:
        lines.append(
            f"  {cancel.folio}: {cancel.cancelled_at:%d/%m/%Y %H:%M} por {cancel.actor}. "
            f"Motivo: {cancel.reason}"
        )
    return "\n".join(lines)
