"""What a command costs before it does its work: which libraries it loads and what it prints
that is not the user's business. The times themselves are measured in ``bench/cli.py``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

# Loaded by the commands that sign, verify, print or scan; never needed to read the store.
HEAVY = ("pyhanko", "fpdf", "PIL", "pypdfium2", "pdfplumber", "requests", "PySide6", "sane")


def _run(code: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "OFICIALIA_HOME": str(tmp_path / "datos")}
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=environment, timeout=60
    )


@pytest.mark.parametrize(
    "command",
    [["list"], ["show", "OPM-2026-C01-000001"], ["search", "licencia"], ["sync", "status"]],
)
def test_read_commands_load_only_the_store(command: list[str], tmp_path: Path) -> None:
    code = (
        "import json, sys; from mailroom.entry import main; "
        f"code = main({command!r}); "
        f"print(json.dumps([code, [m for m in {HEAVY!r} if m in sys.modules]]))"
    )
    done = _run(code, tmp_path)
    exit_code, loaded = json.loads(done.stdout.splitlines()[-1])
    assert exit_code in (0, 4), done.stderr  # 4: that folio does not exist in a new store
    allowed = {"requests"} if command[0] == "sync" else set()  # it reads the enrolment's URL
    assert set(loaded) <= allowed, f"oficialia {' '.join(command)} cargó {loaded}"


def test_a_read_command_prints_nothing_on_stderr(tmp_path: Path) -> None:
    script = Path(sys.executable).with_name("oficialia")
    done = subprocess.run(
        [str(script), "--data-dir", str(tmp_path / "datos"), "list"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")


def test_the_signing_stack_loads_without_pyhankos_dsa_warning(tmp_path: Path) -> None:
    not_a_pdf = tmp_path / "escrito.pdf"
    not_a_pdf.write_text("no soy un PDF", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "mailroom.cli", "verify", str(not_a_pdf)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 65
    assert done.stderr.startswith("Error: "), done.stderr
    assert "Warning" not in done.stderr and "DSA" not in done.stderr


def test_only_that_warning_is_hidden(tmp_path: Path) -> None:
    # The filter names pyHanko's modules and cryptography's category: the same category from
    # our code, or another category from pyHanko, still reaches the user.
    code = (
        "import warnings; from mailroom.entry import quiet_library_warnings;"
        "from cryptography.utils import CryptographyDeprecationWarning as C;"
        "quiet_library_warnings();"
        "warnings.warn_explicit('oculto', C, 'x.py', 1, module='pyhanko.sign.signers.pdf_cms');"
        "warnings.warn_explicit('nuestro', C, 'x.py', 1, module='mailroom.intake');"
        "warnings.warn_explicit('otro tipo', UserWarning, 'x.py', 1, module='pyhanko.sign');"
    )
    done = _run(code, tmp_path)
    assert done.returncode == 0, done.stderr
    assert "oculto" not in done.stderr
    assert "nuestro" in done.stderr and "otro tipo" in done.stderr


def test_the_separator_limit_in_the_help_is_the_one_enforced() -> None:
    from mailroom.capture import separator
    from mailroom.cli import separador

    assert separador.MAX_COPIES == separator.MAX_COPIES
