"""What a permission check costs: ``.venv/bin/python bench/permissions.py [--events 100000]``.

Every service checks the one acting before it reads or writes (``mailroom.permissions``): the
account's row, and the state its last audit event recorded, looked up through the
``events_account`` index. A busy office's trail grows by tens of thousands of events a year, so
the check runs here on a store with ``--events`` audit events (most about filings, some about
accounts). Printed beside, in the same run, the baselines: the bare read of the account's row
(the least any check could cost) and one argon2id password check (what signing in costs, once a
shift). Target: a check stays under 1 ms, so no action a clerk takes feels it. The exit status
is always 0 (a measurement, not a test).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from firstpaint import work_folder  # noqa: E402

from mailroom import audit  # noqa: E402
from mailroom.accounts import Accounts  # noqa: E402
from mailroom.config import load_settings  # noqa: E402
from mailroom.password_hash import hash_secret, secret_matches  # noqa: E402
from mailroom.permissions import Action, Seat, authorize  # noqa: E402
from mailroom.store import Store  # noqa: E402

TARGET_MS = 1.0
PASSWORD = "cuaderno de guardia 2026"
ACCOUNTS = 40


def median_ms(run: Callable[[], object], times: int) -> float:
    samples = []
    for _ in range(times):
        start = time.perf_counter()
        run()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def build(store: Store, settings_dir: Path, events: int) -> Accounts:
    settings = replace(load_settings(settings_dir), seat=Seat())
    accounts = Accounts(store, settings)
    admin = accounts.create(
        "admin.bench", full_name="Rosa Méndez", role="administrador", password=PASSWORD
    )
    settings.seat.sit(accounts.actor(admin))
    # Accounts made directly (argon2 for each would only slow the setup): the same rows and
    # state events the service writes.
    digest = hash_secret(PASSWORD)
    now = datetime.now(UTC)

    def fill(db: object) -> None:
        for n in range(ACCOUNTS):
            name = f"oficial{n:02d}"
            db.execute(  # type: ignore[attr-defined]
                "INSERT INTO accounts (user_name, full_name, role, active, password_hash, "
                "must_change_password, titular, created_at, updated_at) "
                "VALUES (?, ?, 'oficial', 1, ?, 0, 0, ?, ?)",
                [name, f"Oficial {n}", digest, now.isoformat(), now.isoformat()],
            )
            audit.append_event(
                db,  # type: ignore[arg-type]
                at=now,
                actor="admin.bench",
                kind="cuenta_creada",
                filing_id=None,
                payload={"cuenta": name, "rol": "oficial", "titular": False, "activa": True},
            )
        for n in range(events):
            audit.append_event(
                db,  # type: ignore[arg-type]
                at=now,
                actor=f"oficial{n % ACCOUNTS:02d}",
                kind="acuse_reimpreso" if n % 50 else "inicio_sesion",
                filing_id=None,
                payload={"folio": f"OPM-2026-C01-{n:06d}"}
                if n % 50
                else {"cuenta": f"oficial{n % ACCOUNTS:02d}"},
            )

    store.write(fill)  # type: ignore[arg-type]
    return accounts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=500)
    parser.add_argument("--work-dir", help="carpeta de trabajo (por omisión bench/.work-…)")
    args = parser.parse_args()
    with work_folder(args.work_dir, "permissions") as folder:
        data = folder / "datos"
        with Store(data) as store:
            started = time.perf_counter()
            accounts = build(store, data, args.events)
            print(
                f"Store: {args.events:,} audit events, {ACCOUNTS + 1} accounts "
                f"(built in {time.perf_counter() - started:.1f} s)"
            )
            clerk = replace(accounts.settings, seat=Seat(accounts.actor(accounts.get("oficial07"))))
            db = store.reader()
            check = median_ms(lambda: authorize(db, clerk, Action.REGISTRAR), args.runs)
            row = median_ms(
                lambda: db.execute(
                    "SELECT role, active, titular FROM accounts WHERE user_name = ?",
                    ["oficial07"],
                ).fetchone(),
                args.runs,
            )
            stored = hash_secret(PASSWORD)
            sign_in = median_ms(lambda: secret_matches(stored, PASSWORD), 20)
    print(f"  permission check (authorize)      {check:8.3f} ms  (median of {args.runs})")
    print(f"  baseline: the account's row alone  {row:8.3f} ms")
    print(f"  baseline: one argon2id check       {sign_in:8.3f} ms  (signing in)")
    print(f"  check / row: {check / row:.1f}x")
    verdict = "PASS" if check <= TARGET_MS else "FAIL"
    print(f"{verdict}: a check takes {check:.3f} ms (target ≤ {TARGET_MS} ms)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
