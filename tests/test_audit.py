from __future__ import annotations

from datetime import UTC, datetime

from mailroom import audit
from mailroom.store import Store


def _append(store: Store, n: int) -> None:
    for i in range(n):
        store.write(
            lambda db, i=i: audit.append_event(
                db,
                at=datetime(2026, 1, 1, tzinfo=UTC),
                actor="ventanilla1",
                kind="prueba",
                filing_id=f"f{i}",
                payload={"i": i, "texto": "Peña, petición"},
            )
        )


def _tamper(store: Store, sql: str, params: list) -> None:
    # What someone editing the file with the sqlite3 shell would do: drop the guard, edit.
    def edit(db):
        db.execute("DROP TRIGGER events_no_update")
        db.execute("DROP TRIGGER events_no_delete")
        db.execute(sql, params)

    store.write(edit)


def test_intact_chain_verifies(store: Store) -> None:
    _append(store, 5)
    report = audit.verify_chain(store.reader())
    assert report.ok and report.events_checked == 5


def test_edited_payload_is_detected(store: Store) -> None:
    _append(store, 5)
    _tamper(store, "UPDATE events SET payload = ? WHERE seq = 3", ['{"i":99}'])
    report = audit.verify_chain(store.reader())
    assert not report.ok
    assert report.first_bad_seq == 3
    assert "alterado" in report.problem


def test_rehashed_edit_breaks_the_next_link(store: Store) -> None:
    _append(store, 5)
    row = next(store.reader().query("SELECT * FROM events WHERE seq = 2"))
    forged = audit.event_hash(
        seq=2,
        at=row["at"],
        actor="otro",
        kind=row["kind"],
        filing_id=row["filing_uuid"],
        payload=row["payload"],
        prev_hash=row["prev_hash"],
    )
    _tamper(store, "UPDATE events SET actor = 'otro', hash = ? WHERE seq = 2", [forged])
    report = audit.verify_chain(store.reader())
    assert not report.ok and report.first_bad_seq == 3
    assert "no enlaza" in report.problem


def test_deleted_event_is_detected(store: Store) -> None:
    _append(store, 5)
    _tamper(store, "DELETE FROM events WHERE seq = 4", [])
    report = audit.verify_chain(store.reader())
    assert not report.ok and report.first_bad_seq == 5
    assert "falta el evento 4" in report.problem
