"""Cleaning up after crashes and checking the object store against the database.

:func:`sweep` removes what an interrupted upload leaves behind once it is older than a limit:
upload rows nobody touched (and their staged chunks), staged chunks no row counts (the loser of a
race, a worker killed between staging and counting) and unfinished assemblies (S3 multipart
uploads, temporary files). A live upload is never touched: its row is younger than the limit.

:func:`reconcile` compares, per two-hex-digit prefix (so memory stays bounded on a large store),
the finished objects with the ``blobs`` rows that count as complete: objects without a row, rows
without an object (or with an object of another size). Repair removes orphan objects only, and
only those older than the grace period (a finished upload writes its object just before its row).

:class:`SweepTimer` runs the sweep inside the server, every ``sweep_every`` of the backend's
configuration; of several workers, the one that moves ``upkeep_runs`` forward does the run.
"""

from __future__ import annotations

import logging
import random
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sync.server import sql, uploads
from sync.server.objects import STAGING_PREFIX, ObjectStore, blob_key

HEX = "0123456789abcdef"
REPAIR_GRACE = timedelta(hours=1)
SWEEP_RUN = "barrido"

log = logging.getLogger("oficialia.servidor")


@dataclass(frozen=True)
class SweepReport:
    uploads: int  # abandoned upload rows dropped
    staged: int  # staged chunk objects removed
    assemblies: int  # unfinished assemblies aborted


@dataclass(frozen=True)
class Reconciliation:
    orphan_objects: tuple[str, ...]  # keys of finished-blob objects no complete row names
    missing_objects: tuple[str, ...]  # SHA-256 of complete rows without a (whole) object
    removed: tuple[str, ...]  # orphan keys removed (with repair)


def sweep(
    database: sql.Database, objects: ObjectStore, older_than: datetime | None = None
) -> SweepReport:
    cutoff = older_than or datetime.now(UTC) - timedelta(hours=24)
    dropped = 0
    for sha256 in uploads.abandoned(database, cutoff):
        if uploads.drop_if_abandoned(database, sha256, cutoff):
            dropped += 1
    counted = uploads.committed_chunk_keys(database)
    staged = 0
    for item in objects.list(STAGING_PREFIX):
        if item.modified >= cutoff or _staged_identity(item.key) in counted:
            continue
        objects.delete(item.key)
        staged += 1
    return SweepReport(dropped, staged, objects.sweep_assemblies(cutoff))


def _staged_identity(key: str) -> tuple[str, int, int] | None:
    """(sha256, start, end) of ``partial/<sha256>/<start>-<end>``; None for anything else."""
    parts = key[len(STAGING_PREFIX) :].split("/")
    if len(parts) != 2:
        return None
    start, _, end = parts[1].partition("-")
    if not (start.isdigit() and end.isdigit()):
        return None
    return parts[0], int(start), int(end)


def reconcile(
    database: sql.Database,
    objects: ObjectStore,
    *,
    repair: bool = False,
    now: datetime | None = None,
) -> Reconciliation:
    grace_cutoff = (now or datetime.now(UTC)) - REPAIR_GRACE
    orphans: list[str] = []
    missing: list[str] = []
    removed: list[str] = []
    for prefix in (a + b for a in HEX for b in HEX):
        rows = uploads.complete_sizes(database, prefix)
        found: dict[str, int] = {}
        for item in objects.list(f"{prefix}/"):
            sha256 = item.key[len(prefix) + 1 :]
            if item.key != blob_key(sha256) or sha256 in rows:
                found[sha256] = item.size
                continue
            orphans.append(item.key)
            if repair and item.modified < grace_cutoff:
                objects.delete(item.key)
                removed.append(item.key)
        missing.extend(sha for sha, size in rows.items() if found.get(sha) != size)
    return Reconciliation(tuple(orphans), tuple(sorted(missing)), tuple(removed))


def claim_run(database: sql.Database, name: str, every: timedelta, now: datetime) -> bool:
    """True for the one caller that finds ``name`` last run ``every`` ago or more (or never)
    and records ``now`` as its run; the others, in any worker, get False."""
    stamp = uploads.now_text(now)
    due = uploads.now_text(now - every)

    def work(tx: sql.Connection) -> bool:
        row = tx.execute(
            "SELECT last_run FROM upkeep_runs WHERE name = ?" + tx.for_update, (name,)
        ).fetchone()
        if row is None:
            tx.execute("INSERT INTO upkeep_runs (name, last_run) VALUES (?, ?)", (name, stamp))
            return True
        if row[0] > due:
            return False
        tx.execute("UPDATE upkeep_runs SET last_run = ? WHERE name = ?", (stamp, name))
        return True

    return database.write(work)


class SweepTimer:
    """A daemon thread that sweeps what crashed uploads left, once per ``every`` across all
    workers; the first look comes after a random part of ``every`` so workers started together
    do not all ask at once. A failed run is logged and tried again at the next turn."""

    def __init__(
        self,
        database: sql.Database,
        objects: ObjectStore,
        every: timedelta,
        abandon_after: timedelta,
    ) -> None:
        self.database = database
        self.objects = objects
        self.every = every
        self.abandon_after = abandon_after
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="barrido", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)

    def run_once(self, now: datetime | None = None) -> SweepReport | None:
        """Sweep if this worker's turn has come; the report, or None when it was not."""
        moment = now or datetime.now(UTC)
        if not claim_run(self.database, SWEEP_RUN, self.every, moment):
            return None
        report = sweep(self.database, self.objects, moment - self.abandon_after)
        if report.uploads or report.staged or report.assemblies:
            log.info(
                "Barrido: %d subidas abandonadas, %d fragmentos sueltos, "
                "%d ensamblados sin terminar",
                report.uploads,
                report.staged,
                report.assemblies,
            )
        return report

    def _run(self) -> None:
        seconds = self.every.total_seconds()
        delay = random.uniform(0.1, 1.0) * seconds
        while not self._stop.wait(delay):
            try:
                self.run_once()
            except Exception:  # the store or the database is down: next turn
                log.exception("El barrido de subidas abandonadas falló; se reintentará")
            delay = seconds
