"""``oficialia``'s entry point: the desktop app starts without the command line's imports, and
without a display it says so instead of crashing."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from mailroom.cli.app import NO_DISPLAY_EXIT
from mailroom.entry import _command, main


def test_the_command_is_found_past_the_data_dir_option() -> None:
    assert _command(["mailroom", "--demo"]) == "mailroom"
    assert _command(["--data-dir", "/tmp/x", "mailroom"]) == "mailroom"
    assert _command(["--data-dir=/tmp/x", "list"]) == "list"
    assert _command([]) is None


def test_without_a_display_the_app_says_how_to_see_the_demo(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path
) -> None:  # type: ignore[no-untyped-def]
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(name, raising=False)
    assert main(["--data-dir", str(tmp_path), "mailroom"]) == NO_DISPLAY_EXIT
    err = capsys.readouterr().err
    assert "No hay pantalla" in err and "make demo" in err


def test_the_app_path_does_not_import_the_command_line() -> None:
    code = (
        "import sys; from mailroom.entry import main; import mailroom.cli.app as c;"
        "c.cmd_mailroom = lambda *a: 0; main(['mailroom']);"
        "print('mailroom.cli.program' in sys.modules, 'pyhanko' in sys.modules)"
    )
    env = {**os.environ, "OFICIALIA_HOME": "/nonexistent-oficialia"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert done.stdout.split() == ["False", "False"], done.stderr
