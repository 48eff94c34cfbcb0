"""Kill a registering, OCRing process at random moments; after every restart nothing is lost,
duplicated, skipped or corrupt, and pending OCR resumes."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mailroom import tmpfiles
from mailroom.config import load_settings
from mailroom.ocr.worker import OcrWorker
from mailroom.store import Store
from mailroom.store.check import check_store

ROOT = Path(__file__).resolve().parents[1]
TRIALS = int(os.environ.get("OFICIALIA_CRASH_TRIALS", "50"))
BUDGET_SECONDS = 300


def check_invariants(store: Store) -> int:
    report = check_store(store)
    assert report.ok, report
    db = store.reader()
    assert db.execute("SELECT count(*) - count(DISTINCT folio) FROM filings").fetchone()[0] == 0
    registered = db.execute("SELECT count(*) FROM events WHERE kind = 'escrito_registrado'")
    assert registered.fetchone()[0] == report.filings
    assert db.execute("SELECT count(*) FROM outbox").fetchone()[0] == report.filings
    return report.filings


@pytest.mark.slow
def test_sigkill_at_random_moments_loses_nothing(tmp_path: Path) -> None:
    data_dir = tmp_path / "datos"
    rng = random.Random(20261121)
    started = time.monotonic()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    trials = previous = 0
    while trials < TRIALS and time.monotonic() - started < BUDGET_SECONDS:
        # Every fifth trial, two processes (say the clerk app and the CLI) share the folder.
        children = [
            subprocess.Popen(
                [sys.executable, "-m", "tests.crash_child", str(data_dir), f"{trials}{k}"],
                cwd=ROOT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
            for k in range(2 if trials % 5 == 4 else 1)
        ]
        # Deliberate wall-clock kill: the point is to land at an arbitrary instruction.
        time.sleep(rng.uniform(0.5, 3.0))
        printed = []
        for child in children:
            child.send_signal(signal.SIGKILL)
            out, err = child.communicate()
            assert child.returncode == -signal.SIGKILL, err.decode()[-2000:]
            printed += out.decode().split()
        with Store(data_dir) as store:
            count = check_invariants(store)
            # Every folio a child printed was committed before it said so.
            folios = {r[0] for r in store.reader().execute("SELECT folio FROM filings")}
            assert set(printed) <= folios
        assert count >= previous
        previous = count
        trials += 1
    assert trials == TRIALS, f"solo {trials} de {TRIALS} caídas en {BUDGET_SECONDS} s"
    assert previous > 0, "ningún escrito llegó a registrarse: la prueba no probó nada"
    # The children's pages and the OCR runs they were killed in stay under tmp/ until the next
    # command, which sweeps them all.
    assert tmpfiles.work_left(data_dir)
    oficialia = Path(sys.executable).with_name("oficialia")
    subprocess.run(
        [oficialia, "--data-dir", str(data_dir), "list"], check=True, env=env, capture_output=True
    )
    assert tmpfiles.work_left(data_dir) == []

    settings = load_settings(data_dir, ocr_workers=2, default_dpi=100)
    with Store(data_dir) as store:
        progress = OcrWorker(store, settings).run_until_idle()
        assert progress.pages_pending == 0 and progress.pages_failed == 0
        missing = (
            store.reader()
            .execute("SELECT count(*) FROM documents WHERE searchable_pdf_sha256 IS NULL")
            .fetchone()[0]
        )
        assert missing == 0
        check_invariants(store)
        # Files written by killed processes before their row committed are swept; nothing else.
        swept = check_store(store, sweep=True, sweep_older_than_seconds=0).swept
        assert check_invariants(store) == previous
    print(f"{len(swept)} archivos huérfanos barridos")
    print(f"{trials} caídas, {previous} escritos registrados, {progress.pages_done} páginas")
