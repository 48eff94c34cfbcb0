from __future__ import annotations

import gc
import os
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from mailroom import tmpfiles
from mailroom.clock import FixedClock
from mailroom.config import Settings, load_settings
from mailroom.samples import generate_samples
from mailroom.store import Store
from tests.sat_pki import SatPki, running_sat_pki
from tests.temp_guard import TempGuard

pytest_plugins = [
    "tests.kiosk_fixtures",  # printer, open_kiosk
    "tests.bundle_fixture",  # bundle_dir
    "tests.deb_fixture",  # deb_packages, lintian_report, machine, searchable_scratch
    "tests.backend_services",  # postgres_cluster, postgres_url, seaweed, s3_bucket
]

SHARED = Path(__file__).resolve().parents[2] / "shared"
ZONE = ZoneInfo("America/Mexico_City")
_TEMP_GUARD = TempGuard()


def pytest_configure(config: pytest.Config) -> None:
    _TEMP_GUARD.install()  # see tests/temp_guard.py


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    _TEMP_GUARD.finish(session)


@pytest.fixture
def frozen_heap() -> Iterator[None]:
    """The heap as ``run_app`` leaves it once the window is built: collected, then frozen
    (``gc.freeze``), so that full collections walk only what is made afterwards. For the tests
    that measure pauses of the GUI thread: one full collection over what this long process holds
    (the app's modules and what earlier tests left behind) took 100-250 ms on whichever thread ran
    it once the UI tests had run (measured with a gc callback), a pause the app does not have.
    Unfrozen afterwards, so what becomes garbage later can still be collected. The disk is
    flushed first too: the writes earlier tests left to the kernel (a PostgreSQL or SeaweedFS
    test writes hundreds of MB) would otherwise be written back during the measurement."""
    os.sync()
    gc.collect()
    gc.freeze()
    yield
    gc.unfreeze()


@pytest.fixture(scope="session", autouse=True)
def _sample_files() -> None:
    """The sample scans in resources/samples are generated, not committed (see its README):
    made once per session, and only checked when they are already current. Tests that import a
    sample by path (the screens, the capture) need them whatever order they run in."""
    generate_samples()


@pytest.fixture(autouse=True)
def _isolated_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads the developer's own configuration or data."""
    for key in list(os.environ):
        if key.startswith("OFICIALIA_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("XDG_CONFIG_DIRS", str(tmp_path / "xdg-site"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    # The default OCSP responder is SAT's, on the internet: tests reach only 127.0.0.1, so a
    # test that wants revocation checked points ocsp_url at the test PKI itself.
    monkeypatch.setenv("OFICIALIA_OCSP_URL", "")


@pytest.fixture(autouse=True)
def _temp_folders_released(tmp_path: Path) -> Iterator[None]:
    """A test's data folders are done with when it ends: this process's folders in their tmp/
    go, and their locks with them (held for the process's life otherwise, one file descriptor
    per data folder)."""
    yield
    for root in tmpfiles.owned_roots():
        if Path(os.path.realpath(root)).is_relative_to(tmp_path):
            tmpfiles.release(root)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "datos"


@pytest.fixture
def settings(data_dir: Path) -> Settings:
    return load_settings(data_dir, clerk="ventanilla1", ocr_workers=2)


@pytest.fixture
def store(settings: Settings):
    with Store(settings.data_dir) as opened:
        yield opened


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 3, 9, 10, 30, tzinfo=ZONE))


@pytest.fixture(scope="session")
def sat_pki(tmp_path_factory: pytest.TempPathFactory):
    """A SAT-shaped test PKI (root, AC, OCSP, TSA, e.firmas) served on 127.0.0.1; see
    ``tests/sat_pki.py``. Built once per session (about two seconds)."""
    with running_sat_pki(tmp_path_factory.mktemp("sat-pki")) as pki:
        yield pki


__all__ = ["SatPki"]
