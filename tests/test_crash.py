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

from mailroom import audit
from mailroom.config import load_settings
from mailroom.ocr.worker import OcrWorker
from mailroom.store import Store

ROOT = Path(__file__).resolve().parents[1]
TRIALS = int(os.environ.get("OFICIALIA_CRASH_TRIALS", "50"))
BUDGET_SECONDS = 300


def check_invariants(store: Store) -> int:
    db = store.reader()
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    for seq_row in db.query("SELECT device, year, last_seq FROM folio_sequences"):
        seqs = [r[0] for r in db.execute(
            "SELECT seq FROM filings WHERE device = ? AND year = ? ORDER BY seq",
            [seq_row["device"], seq_row["year"]])]
        assert seqs == list(range(1, seq_row["last_seq"] + 1)), "folio duplicado o saltado"
    assert db.execute("SELECT count(*) - count(DISTINCT folio) FROM filings").fetchone()[0] == 0
    registered = db.execute("SELECT count(*) FROM events WHERE kind = 'escrito_registrado'")
    filings = db.execute("SELECT count(*) FROM filings").fetchone()[0]
    assert registered.fetchone()[0] == filings
    assert db.execute("SELECT count(*) FROM outbox").fetchone()[0] == filings
    referenced = {r[0] for r in db.execute(
        "SELECT sha256 FROM documents UNION SELECT searchable_pdf_sha256 FROM documents "
        "UNION SELECT image_sha256 FROM pages UNION SELECT page_pdf_sha256 FROM pages "
        "UNION SELECT sha256 FROM blobs") if r[0]}
    corrupt = [sha for sha in referenced if not store.blobs.verify(sha)]
    assert corrupt == [], "archivo faltante o con hash distinto"
    report = audit.verify_chain(db)
    assert report.ok, report.problem
    return filings


@pytest.mark.slow
def test_sigkill_at_random_moments_loses_nothing(tmp_path: Path) -> None:
    data_dir = tmp_path / "datos"
    rng = random.Random(20261121)
    started = time.monotonic()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    trials = previous = 0
    while trials < TRIALS and time.monotonic() - started < BUDGET_SECONDS:
        child = subprocess.Popen([sys.executable, "-m", "tests.crash_child", str(data_dir),
                                  str(trials)], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE)
        # Deliberate wall-clock kill: the point is to land at an arbitrary instruction.
        time.sleep(rng.uniform(0.5, 3.0))
        child.send_signal(signal.SIGKILL)
        out, err = child.communicate()
        assert child.returncode == -signal.SIGKILL, err.decode()[-2000:]
        printed = out.decode().split()
        with Store(data_dir) as store:
            count = check_invariants(store)
            # Every folio the child printed was committed before it said so.
            folios = {r[0] for r in store.reader().execute("SELECT folio FROM filings")}
            assert set(printed) <= folios
        assert count >= previous
        previous = count
        trials += 1
    assert trials == TRIALS, f"solo {trials} de {TRIALS} caídas en {BUDGET_SECONDS} s"
    assert previous > 0, "ningún escrito llegó a registrarse: la prueba no probó nada"

    settings = load_settings(data_dir, ocr_workers=2, default_dpi=100)
    with Store(data_dir) as store:
        progress = OcrWorker(store, settings).run_until_idle()
        assert progress.pages_pending == 0 and progress.pages_failed == 0
        missing = store.reader().execute(
            "SELECT count(*) FROM documents WHERE searchable_pdf_sha256 IS NULL").fetchone()[0]
        assert missing == 0
        check_invariants(store)
    print(f"{trials} caídas, {previous} escritos registrados, {progress.pages_done} páginas")
