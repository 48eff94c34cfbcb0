"""The kiosk's installer files: the systemd unit, the cage session script and the admin guide."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections import defaultdict
from pathlib import Path

import pytest

from kiosk.supervisor import EXIT_TO_DESKTOP, build_parser
from kiosk.watchdog import Watchdog

INSTALLER = Path(__file__).resolve().parents[1] / "installer"
UNIT = INSTALLER / "oficialia-kiosk.service"
SESSION = INSTALLER / "kiosk-session.sh"
GUIDE = INSTALLER / "KIOSCO.md"

# What systemd-analyze says about a unit it cannot parse; anything like this fails the test.
SYNTAX_TROUBLE = re.compile(
    r"unknown (key|section|lvalue)|invalid|failed to parse|missing '='|ignoring|not valid|"
    r"bad |assignment outside of section|unbalanced",
    re.IGNORECASE,
)


def _unit() -> dict[tuple[str, str], list[str]]:
    """(section, key) -> every value given, in order (systemd keys repeat: After=, Environment=)."""
    values: dict[tuple[str, str], list[str]] = defaultdict(list)
    section = ""
    for raw in UNIT.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
            continue
        key, equals, value = line.partition("=")
        assert equals, f"not a key=value line: {raw!r}"
        assert section, f"a key outside any section: {raw!r}"
        values[(section, key.strip())].append(value.strip())
    return values


def _one(values: dict[tuple[str, str], list[str]], section: str, key: str) -> str:
    found = values.get((section, key), [])
    assert len(found) == 1, f"{section}/{key}: {found}"
    return found[0]


def test_the_unit_restarts_the_kiosk_and_watches_its_screen() -> None:
    unit = _unit()
    assert _one(unit, "Service", "Type") == "notify"
    assert _one(unit, "Service", "NotifyAccess") == "all"  # the pings come from cage's child
    assert _one(unit, "Service", "Restart") == "always"
    assert _one(unit, "Service", "RestartSec") == "2"
    assert _one(unit, "Service", "WatchdogSec") == "30"
    assert _one(unit, "Service", "RestartPreventExitStatus") == str(EXIT_TO_DESKTOP)
    assert _one(unit, "Unit", "StartLimitIntervalSec") == "0"
    # The kiosk pings at half the watchdog's timeout, well inside it.
    usec = str(int(_one(unit, "Service", "WatchdogSec")) * 1_000_000)
    watchdog = Watchdog.from_environment({"NOTIFY_SOCKET": "/run/x", "WATCHDOG_USEC": usec})
    assert watchdog.ping_interval_ms == 15_000


def test_the_unit_runs_cage_on_tty1_as_the_kiosk_user() -> None:
    unit = _unit()
    exec_start = _one(unit, "Service", "ExecStart").split()
    assert exec_start[0] == "/usr/bin/cage"
    assert exec_start[exec_start.index("--") + 1 :] == ["oficialia", "kiosk"]
    assert _one(unit, "Service", "User") == "oficialia-kiosco"
    assert _one(unit, "Service", "PAMName") == "login"
    assert _one(unit, "Service", "TTYPath") == "/dev/tty1"
    assert "getty@tty1.service" in _one(unit, "Unit", "Conflicts")
    environment = unit[("Service", "Environment")]
    assert "QT_QPA_PLATFORM=wayland" in environment
    assert "OFICIALIA_HOME=/var/lib/oficialia" in environment
    assert "oficialia" in _one(unit, "Service", "StateDirectory").split()


def test_the_unit_is_hardened_without_breaking_a_gui() -> None:
    unit = _unit()
    assert _one(unit, "Service", "ProtectSystem") == "strict"
    assert _one(unit, "Service", "NoNewPrivileges") == "yes"
    assert _one(unit, "Service", "PrivateTmp") == "yes"
    assert "/run/user" in _one(unit, "Service", "ReadWritePaths")  # the Wayland socket
    for breaks_the_screen in ("PrivateDevices", "ProtectHome", "DeviceAllow", "ProtectClock"):
        assert ("Service", breaks_the_screen) not in unit
    assert ("Service", "MemoryDenyWriteExecute") not in unit


def test_systemd_analyze_finds_nothing_wrong_in_the_unit(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed: the unit was only parsed by this test")
    copy = tmp_path / UNIT.name
    shutil.copyfile(UNIT, copy)
    done = subprocess.run(
        [analyze, "verify", "--man=no", str(copy)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "SYSTEMD_LOG_COLOR": "0"},
    )
    output = (done.stdout + done.stderr).splitlines()
    # cage need not be installed where the tests run; every other complaint counts.
    others = [line for line in output if "/usr/bin/cage" not in line]
    assert [line for line in others if SYNTAX_TROUBLE.search(line)] == [], "\n".join(output)
    if not any("/usr/bin/cage" in line for line in output):
        assert done.returncode == 0, "\n".join(output)


def test_the_session_script_is_valid_bash() -> None:
    done = subprocess.run(["bash", "-n", str(SESSION)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert os.access(SESSION, os.X_OK)
    text = SESSION.read_text(encoding="utf-8")
    assert 'exec cage -s -- oficialia kiosk "$@"' in text
    assert "QT_QPA_PLATFORM=wayland" in text


def test_the_session_script_passes_shellcheck() -> None:
    shellcheck = shutil.which("shellcheck")
    if shellcheck is None:
        pytest.skip("shellcheck is not installed (apt-get install shellcheck)")
    done = subprocess.run([shellcheck, str(SESSION)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_session_script_says_in_spanish_when_cage_is_missing(tmp_path: Path) -> None:
    bash = shutil.which("bash")
    assert bash is not None
    done = subprocess.run(
        [bash, str(SESSION)],
        capture_output=True,
        text=True,
        env={"PATH": str(tmp_path), "HOME": str(tmp_path)},  # neither cage nor oficialia
        timeout=30,
    )
    assert done.returncode == 69
    assert "Falta cage" in done.stderr


def test_the_guide_covers_what_staff_need() -> None:
    guide = GUIDE.read_text(encoding="utf-8")
    for needed in (
        "Shell Launcher",
        "oficialia kiosk pin",
        "WatchdogSec",
        "useradd",
        "systemctl enable",
        "python -m kiosk.supervisor",
        "Assigned Access",
        "Autologon",
        "admin-pin.json",
    ):
        assert needed in guide, needed
    # Every option of the supervisor is documented, and the guide names no option it lacks.
    options = {
        option
        for action in build_parser()._actions
        for option in action.option_strings
        if option.startswith("--") and option != "--help"
    }
    assert options <= set(re.findall(r"--[a-z][a-z-]+", guide))
    mentioned = set(re.findall(r"(?<![\w-])(--heartbeat-[a-z-]+|--log-file)", guide))
    assert mentioned <= options
