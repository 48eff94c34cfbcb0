"""House rules that a reader should not have to police by hand."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

from mailroom.cli import build_parser
from mailroom.config import SETTING_NAMES

ROOT = Path(__file__).resolve().parents[1]
CORE = ("mailroom", "signing", "sync")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_core_packages_never_import_qt() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for package in CORE
        for path in (ROOT / package).rglob("*.py")
        if "ui" not in path.relative_to(ROOT).parts[1:2]
        and {"PySide6", "shiboken6"} & _imports(path)
    ]
    assert offenders == []


def test_importing_the_core_computes_nothing() -> None:
    # Importing must not create folders, read config or start threads.
    code = (
        "import threading, mailroom.cli, mailroom.intake, mailroom.ocr.worker;"
        "print(threading.active_count())"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={"OFICIALIA_HOME": "/nonexistent/should-not-be-created", "PATH": "/usr/bin:/bin"},
    )
    assert out.stdout.strip() == "1"
    assert not Path("/nonexistent/should-not-be-created").exists()


def test_readme_documents_every_command_and_setting() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make run" in readme and "make test" in readme
    parser = build_parser()
    commands = next(a for a in parser._actions if a.dest == "command").choices
    for name, sub in commands.items():
        nested = [
            a for a in sub._actions if getattr(a, "choices", None) and a.dest.endswith("_command")
        ]
        names = [f"{name} {child}" for a in nested for child in a.choices] or [name]
        for command in names:
            assert f"oficialia {command}" in readme, f"README no documenta «oficialia {command}»"
    for setting in SETTING_NAMES:
        assert re.search(rf"`{setting}`", readme), f"README no documenta el ajuste {setting}"


def test_intake_options_are_documented() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = next(a for a in build_parser()._actions if a.dest == "command").choices
    for action in commands["intake"]._actions:
        for option in action.option_strings:
            if option.startswith("--") and option != "--help":
                assert option in readme, f"README no documenta {option} de intake"
