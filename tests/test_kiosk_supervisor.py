"""The supervisor with real child processes (small ``python -c`` scripts) and short timeouts."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from kiosk.supervisor import EXIT_TO_DESKTOP, SupervisorPolicy, main, next_backoff, supervise

ROOT = Path(__file__).resolve().parents[1]
QUICK = SupervisorPolicy(
    heartbeat_timeout=30.0, first_backoff=0.05, max_backoff=0.2, stable_after=60.0, stop_grace=2.0
)

# Each start appends its pid to the runs file, then does what ``plan`` says for that run
# (1-based; the last entry is repeated): an exit code, "freeze" (sleep, never beat), "beat"
# (ping through kiosk.watchdog for 1.5 s, then exit to the desktop) or "grandchild" (start a
# sleeping child, write its pid, sleep).
CHILD = f"""
import os, subprocess, sys, time
from pathlib import Path
sys.path.insert(0, {str(ROOT)!r})
runs = Path(sys.argv[1])
with runs.open("a") as handle:
    handle.write(f"{{os.getpid()}}\\n")
plan = sys.argv[2].split(",")
step = plan[min(len(runs.read_text().split()), len(plan)) - 1]
if step == "freeze":
    time.sleep(60)
elif step == "beat":
    from kiosk.watchdog import Watchdog
    watchdog = Watchdog.from_environment()
    end = time.monotonic() + 1.5
    while time.monotonic() < end:
        watchdog.ping()
        time.sleep(watchdog.ping_interval_ms / 1000)
    sys.exit({EXIT_TO_DESKTOP})
elif step == "grandchild":
    grandchild = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    Path(sys.argv[1] + ".grandchild").write_text(str(grandchild.pid))
    time.sleep(60)
else:
    sys.exit(int(step))
"""


def _command(runs: Path, plan: str) -> list[str]:
    return [sys.executable, "-c", CHILD, str(runs), plan]


def _pids(runs: Path) -> list[int]:
    return [int(line) for line in runs.read_text().split()] if runs.exists() else []


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    # Not ours to reap (a grandchild re-parented to init): gone once it is a zombie.
    status = Path(f"/proc/{pid}/stat")
    return status.exists() and status.read_text().split(")")[-1].split()[0] == "Z"


def _wait_for(condition: Callable[[], object], seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_a_child_that_exits_is_restarted(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="kiosk.supervisor")
    runs = tmp_path / "runs"
    code = supervise(_command(runs, f"3,0,{EXIT_TO_DESKTOP}"), tmp_path / "latido", QUICK)
    assert code == EXIT_TO_DESKTOP
    assert len(_pids(runs)) == 3
    restarts = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(restarts) == 2
    assert "exited with code 3" in restarts[0] and "restarting in 0.1 s" in restarts[0]
    assert "exited with code 0" in restarts[1] and "restarting in 0.1 s" in restarts[1]


def test_exit_to_desktop_ends_the_supervisor_at_once(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    assert supervise(_command(runs, str(EXIT_TO_DESKTOP)), tmp_path / "latido", QUICK) == 10
    assert len(_pids(runs)) == 1


def test_a_frozen_child_is_killed_and_restarted(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="kiosk.supervisor")
    runs = tmp_path / "runs"
    policy = SupervisorPolicy(heartbeat_timeout=0.5, first_backoff=0.05, stop_grace=1.0)
    started = time.monotonic()
    code = supervise(_command(runs, f"freeze,{EXIT_TO_DESKTOP}"), tmp_path / "latido", policy)
    assert code == EXIT_TO_DESKTOP
    assert time.monotonic() - started < 8
    frozen, second = _pids(runs)
    assert _gone(frozen)
    assert "no heartbeat from the kiosk" in caplog.text
    assert "stopped sending heartbeats" in caplog.text


def test_a_child_that_beats_is_left_running(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    # 1.5 s of life with a 1 s timeout: only the beats (every 0.5 s) keep it alive. Were it
    # killed, a second run would exit to the desktop at once and show in the runs file.
    policy = SupervisorPolicy(heartbeat_timeout=1.0, first_backoff=0.05)
    code = supervise(_command(runs, f"beat,{EXIT_TO_DESKTOP}"), tmp_path / "latido", policy)
    assert code == EXIT_TO_DESKTOP
    assert len(_pids(runs)) == 1


def test_the_stop_event_ends_the_child_and_the_supervisor(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    stop = threading.Event()
    result: list[int] = []
    thread = threading.Thread(
        target=lambda: result.append(
            supervise(_command(runs, "grandchild"), tmp_path / "latido", QUICK, stop=stop)
        )
    )
    thread.start()
    grandchild_file = Path(str(runs) + ".grandchild")
    _wait_for(grandchild_file.exists)
    _wait_for(lambda: grandchild_file.read_text() != "")
    stop.set()
    thread.join(10)
    assert not thread.is_alive()
    assert result == [0]
    (child,) = _pids(runs)
    assert _gone(child)
    if os.name != "nt":  # the process group goes with it
        grandchild = int(grandchild_file.read_text())
        _wait_for(lambda: _gone(grandchild))


def test_restarts_back_off_and_reset_once_stable() -> None:
    policy = SupervisorPolicy()
    waits = [next_backoff(None, 0.5, policy)]
    for _ in range(6):
        waits.append(next_backoff(waits[-1], 0.5, policy))
    assert waits == [1, 2, 4, 8, 16, 30, 30]
    assert next_backoff(30, 61, policy) == 1


def test_a_command_that_cannot_start_is_retried(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="kiosk.supervisor")
    stop = threading.Event()
    thread = threading.Thread(
        target=supervise,
        args=([str(tmp_path / "no-such-kiosk")], tmp_path / "latido", QUICK),
        kwargs={"stop": stop},
    )
    thread.start()
    try:
        _wait_for(lambda: caplog.text.count("could not start the kiosk") >= 2)
    finally:
        stop.set()
        thread.join(10)
    assert "exited with code 127" in caplog.text


def test_main_runs_the_command_after_the_dashes(tmp_path: Path) -> None:
    heartbeat = tmp_path / "kiosk" / "latido"
    code = main(
        [
            "--heartbeat-timeout",
            "5",
            "--heartbeat-file",
            str(heartbeat),
            "--",
            sys.executable,
            "-c",
            "import os, sys; sys.exit(10 if os.environ['OFICIALIA_HEARTBEAT_TIMEOUT'] == '5.0'"
            f" and os.environ['OFICIALIA_HEARTBEAT_FILE'] == {str(heartbeat)!r} else 1)",
        ]
    )
    assert code == EXIT_TO_DESKTOP


def test_python_dash_m_kiosk_supervisor_logs_to_a_file(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "kiosk.supervisor",
            "--heartbeat-file",
            str(tmp_path / "latido"),
            "--log-file",
            str(tmp_path / "supervisor.log"),
            "--",
            sys.executable,
            "-c",
            "raise SystemExit(10)",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == EXIT_TO_DESKTOP, done.stderr
    log = (tmp_path / "supervisor.log").read_text(encoding="utf-8")
    assert "exited to the desktop" in log


def test_a_bad_timeout_is_refused_in_spanish(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as raised:
        main(["--heartbeat-timeout", "0", "--", "true"])
    assert raised.value.code == 2
    assert "debe ser mayor que cero" in capsys.readouterr().err


def test_oficialia_kiosk_supervisar_keeps_the_heartbeat_in_the_data_folder(tmp_path: Path) -> None:
    """The command a packaged build's shortcut or Shell Launcher runs (no Python on Windows)."""
    from mailroom.entry import main as oficialia

    heartbeat = tmp_path / "kiosk" / "latido-quiosco"
    check = (
        "import os, sys; sys.exit(10 if os.environ['OFICIALIA_HEARTBEAT_FILE'] == "
        f"{str(heartbeat)!r} else 1)"
    )
    code = oficialia(
        ["--data-dir", str(tmp_path), "kiosk", "supervisar", "--", sys.executable, "-c", check]
    )
    assert code == EXIT_TO_DESKTOP


def test_a_packaged_build_supervises_its_own_executable(monkeypatch: pytest.MonkeyPatch) -> None:
    from kiosk.supervisor import default_command

    assert default_command()[1:] == ["-m", "mailroom.entry", "kiosk"]
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    assert default_command() == [sys.executable, "kiosk"]
