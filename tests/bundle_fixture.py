"""The one-folder bundle, built once per test session: ``bundle_dir`` runs ``make -s bundle``
(which rebuilds only when a module, a shipped resource, the spec or pyproject.toml changed) and
returns ``dist/oficialia``. Every test that needs the bundle (tests/test_bundle.py, the .deb's)
shares that one build; tests that change a bundle change a copy of it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BUILD_TIMEOUT_S = 1800  # a clean build takes about a minute on two cores


@pytest.fixture(scope="session")
def bundle_dir() -> Path:
    if not sys.platform.startswith("linux"):
        pytest.skip("el paquete de una carpeta se arma y se prueba en Linux")
    done = subprocess.run(
        ["make", "-s", "bundle"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT_S,
        check=False,
    )
    if done.returncode != 0:
        pytest.fail(f"make bundle falló:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    bundle = ROOT / "dist" / "oficialia"
    assert (bundle / "oficialia").is_file(), f"make bundle no dejó {bundle / 'oficialia'}"
    return bundle
