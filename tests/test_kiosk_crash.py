"""A kiosk killed mid-scan (a power cut, SIGKILL) leaves its citizen's pages in its work folder;
the kiosk started again removes them before the next citizen, and nothing went to the system's
temporary folder (the session's temp guard checks that for the whole run)."""

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
from mailroom.store import Store
from tests.sane_env import sane_environment, write_sane_config
from tests.test_crash import check_invariants

CHILD = Path(__file__).with_name("kiosk_crash_child.py")
ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_sigkill_mid_scan_then_restart_leaves_nothing(tmp_path: Path) -> None:
    data = tmp_path / "datos"
    (data).mkdir()
    (data / "config.toml").write_text('device = "K01"\nscanner = "sane:test:0"\n', "utf-8")
    slow = write_sane_config(
        tmp_path / "sane",
        test_options={"read-delay": "true", "read-delay-duration": "100000"},
    )
    env = {**sane_environment(slow), "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen"}
    child = subprocess.Popen(
        [sys.executable, str(CHILD), "scan", str(data)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        cwd=ROOT,
    )
    assert child.stdout is not None
    line = child.stdout.readline()
    assert line.strip() == b"pagina", child.stderr.read().decode() if child.stderr else ""
    os.kill(child.pid, signal.SIGKILL)
    child.wait(30)
    left = tmpfiles.work_left(data)
    assert left, (
        "the killed kiosk should have left its citizen's pages (or the test proves nothing)"
    )

    restarted = subprocess.run(
        [sys.executable, str(CHILD), "restart", str(data)],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
    )
    assert restarted.returncode == 0, restarted.stderr
    assert "bienvenida" in restarted.stdout
    assert tmpfiles.work_left(data) == []
    assert not any(path.exists() for path in left)
    leftovers = [p for p in (data / "tmp").rglob("*") if p.is_file() and "lock" not in p.name]
    assert leftovers == []


@pytest.mark.slow
def test_a_power_cut_mid_registration_leaves_the_filing_whole_or_absent(tmp_path: Path) -> None:
    data = tmp_path / "datos"
    data.mkdir()
    (data / "config.toml").write_text('device = "K02"\n', "utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    rng = random.Random(2026_12_06)
    previous = 0
    for _ in range(6):
        child = subprocess.Popen(
            [sys.executable, str(CHILD), "register", str(data)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            cwd=ROOT,
        )
        # A wall-clock kill on purpose: the cut must land at an arbitrary instruction.
        time.sleep(rng.uniform(1.5, 4.0))
        child.send_signal(signal.SIGKILL)
        out, err = child.communicate()
        assert child.returncode == -signal.SIGKILL, err.decode()[-2000:]
        with Store(data) as store:
            count = check_invariants(store)  # gap-free folios, each with its event and outbox row
            folios = {r[0] for r in store.reader().execute("SELECT folio FROM filings")}
        assert set(out.decode().split()) <= folios  # every folio shown was committed
        assert count >= previous
        previous = count
    assert previous > 0, "no escrito was registered: the test proved nothing"
