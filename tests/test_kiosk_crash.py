"""A kiosk killed mid-scan (a power cut, SIGKILL) leaves its citizen's pages in its work folder;
the kiosk started again removes them before the next citizen, and nothing went to the system's
temporary folder (the session's temp guard checks that for the whole run)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from mailroom import tmpfiles
from tests.sane_env import sane_environment, write_sane_config

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
