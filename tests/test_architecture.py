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
SOURCE_PACKAGES = (*CORE, "kiosk")


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
        "import threading, mailroom.cli.program, mailroom.intake, mailroom.ocr.worker;"
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


def _source_modules() -> dict[str, Path]:
    modules = {}
    for package in SOURCE_PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return modules


def _imported_modules(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """Our modules that ``name`` imports anywhere in its text: at the top, inside functions
    (those run later, but still close a circle) and under TYPE_CHECKING alike."""
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name in modules)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            for alias in node.names:  # `from pkg import submodule` imports the submodule
                submodule = f"{module}.{alias.name}"
                found.add(submodule if submodule in modules else module)
    return (found & modules.keys()) - {name}


def _import_circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan, iteratively)."""
    index: dict[str, int] = {}
    lowest: dict[str, int] = {}
    stack: list[str] = []
    circles: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = lowest[root] = len(index)
        stack.append(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    lowest[work[-1][0]] = min(lowest[work[-1][0]], lowest[node])
                if lowest[node] == index[node]:
                    group = stack[stack.index(node) :]
                    del stack[stack.index(node) :]
                    if len(group) > 1:
                        circles.append(sorted(group))
            elif child not in index:
                index[child] = lowest[child] = len(index)
                stack.append(child)
                work.append((child, iter(sorted(graph[child]))))
            elif child in stack:
                lowest[node] = min(lowest[node], index[child])
    return circles


SHARED_QT = {
    "mailroom.ui.tasks",
    "mailroom.ui.shell",
    "mailroom.ui.i18n",
    "mailroom.ui.pdf_view",
    "mailroom.ui.pdf_print",
    "mailroom.ui.screen_check",
}
"""The Qt building blocks both apps use; every other module of ``mailroom.ui`` is the clerk's."""

KIOSK_QT_FREE = ("session", "desk", "lookup", "privacy", "office_seal", "admin_pin", "page_crop",
                 "printer", "ticket", "fake_printer", "watchdog", "supervisor")  # fmt: skip
"""The kiosk's logic, tested without Qt (its state machine above all)."""


def test_the_kiosk_never_imports_the_clerks_screens() -> None:
    modules = _source_modules()
    offenders = {
        f"{name} -> {imported}"
        for name, path in modules.items()
        if name.startswith("kiosk")
        for imported in _imported_modules(name, path, modules)
        if imported.startswith("mailroom.ui") and imported not in SHARED_QT
    }
    assert offenders == set()


def test_the_kiosk_logic_is_qt_free() -> None:
    offenders = [
        name
        for name in KIOSK_QT_FREE
        if (path := ROOT / "kiosk" / f"{name}.py").exists()
        and {"PySide6", "shiboken6"} & _imports(path)
    ]
    assert offenders == []
    assert (ROOT / "kiosk" / "session.py").exists()


def test_the_shared_qt_blocks_do_not_reach_into_the_clerks_screens() -> None:
    modules = _source_modules()
    for name in SHARED_QT:
        imported = _imported_modules(name, modules[name], modules)
        assert {m for m in imported if m.startswith("mailroom.ui")} <= SHARED_QT, name


def test_no_module_imports_itself_through_others() -> None:
    modules = _source_modules()
    graph = {name: _imported_modules(name, path, modules) for name, path in modules.items()}
    assert _import_circles(graph) == []


def test_the_circle_finder_finds_circles() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert _import_circles(graph) == [["a", "b", "c"]]


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
