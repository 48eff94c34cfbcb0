"""What changes when the app runs as an installed build rather than from source: the data
folder (one per machine, shared by a group), where the read-only files are found, where samples
go, the version, the self-test, and the messages for a damaged installation. The packaged build
itself is tested in tests/test_bundle.py; here the same code paths run from source, with
``sys.frozen`` set as PyInstaller sets it where the path depends on it."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from mailroom import config, entry, resources, version
from mailroom.samples import default_out_dir, samples_dir

ROOT = Path(__file__).resolve().parents[1]
OFICIALIA = Path(sys.executable).with_name("oficialia")


@pytest.fixture
def frozen(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A PyInstaller-like build whose files are in ``tmp_path/bundle``."""
    bundle = tmp_path / "bundle"
    (bundle / "resources").mkdir(parents=True)
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(bundle), raising=False)
    version.version.cache_clear()
    yield bundle
    version.version.cache_clear()


def test_from_source_the_data_folder_is_the_users_own(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OFICIALIA_HOME", raising=False)
    assert config.resolve_data_dir() == config.user_data_dir()
    # The suite points XDG_DATA_HOME into its own folder (tests/conftest.py).
    assert config.user_data_dir() == Path(os.environ["XDG_DATA_HOME"], "oficialia")


def test_an_installed_build_uses_the_machines_folder(
    frozen: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("OFICIALIA_HOME", raising=False)
    assert config.resolve_data_dir() == Path("/var/lib/oficialia")
    monkeypatch.setenv("OFICIALIA_HOME", str(tmp_path / "otra"))
    assert config.resolve_data_dir() == tmp_path / "otra"
    assert config.resolve_data_dir(tmp_path / "dada") == tmp_path / "dada"


def test_the_machines_folder_on_windows_is_under_programdata(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PROGRAMDATA", r"D:\ProgramData")
    assert config.machine_data_dir("win32") == Path(r"D:\ProgramData", "Oficialia")


def test_a_missing_machine_folder_is_explained(
    frozen: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    missing = tmp_path / "var-lib-oficialia"
    monkeypatch.setattr(entry, "_data_dir", lambda args: missing)
    monkeypatch.setattr(config, "machine_data_dir", lambda: missing)
    problem = entry.shared_data_folder(missing)
    assert problem is not None and "La crea el instalador" in problem and str(missing) in problem
    # From source the same folder is simply made when first needed.
    monkeypatch.setattr(sys, "frozen", False)
    assert entry.shared_data_folder(missing) is None


def test_a_group_shared_folder_makes_files_the_group_can_write(tmp_path: Path) -> None:
    shared = tmp_path / "compartida"
    shared.mkdir()
    shared.chmod(0o2770)
    script = (
        "import os, sys; from pathlib import Path; from mailroom import entry;"
        f"assert entry.shared_data_folder(Path({str(shared)!r})) is None;"
        f"Path({str(shared)!r}, 'nuevo').write_text('x'); os.mkdir({str(shared / 'sub')!r})"
    )
    subprocess.run([sys.executable, "-c", script], cwd=ROOT, check=True, env={**os.environ})
    assert stat.S_IMODE((shared / "nuevo").stat().st_mode) == 0o660
    assert stat.S_IMODE((shared / "sub").stat().st_mode) & 0o070 == 0o070
    assert stat.S_IMODE((shared / "sub").stat().st_mode) & 0o007 == 0


def test_everything_a_filing_leaves_in_a_shared_folder_is_the_groups(tmp_path: Path) -> None:
    """The next clerk (another user of the group) must write what this one made: the database
    and its WAL, the stored documents and acuse, the device's folders, and the work folders the
    next command may have to sweep. Others get nothing."""
    from mailroom.samples import generate_samples

    shared = tmp_path / "compartida"
    shared.mkdir()
    if os.geteuid() == 0:  # a group that is not the maker's, as /var/lib/oficialia's is
        os.chown(shared, -1, 65534)
    shared.chmod(0o2770)
    sample = next(s for s in generate_samples() if s.filename.endswith(".pdf"))
    document = default_out_dir() / sample.filename
    done = subprocess.run(
        [str(OFICIALIA), "--data-dir", str(shared), "intake", str(document),
         "--remitente", "Ana Pérez", "--asunto", "Prueba", "--sin-esperar-ocr"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    made = [p for p in shared.rglob("*") if not p.is_symlink()]
    assert any(p.name == "oficialia.sqlite3" for p in made)
    assert sum(1 for p in made if "blobs" in p.parts and p.is_file()) >= 2  # document and acuse
    for path in made:
        assert path.stat().st_gid == shared.stat().st_gid, path.relative_to(shared)
        mode = stat.S_IMODE(path.stat().st_mode)
        wanted = 0o070 if path.is_dir() else 0o060
        assert mode & wanted == wanted, f"{path.relative_to(shared)}: {oct(mode)}"
        assert mode & 0o007 == 0, f"{path.relative_to(shared)}: {oct(mode)}"


def test_a_user_outside_the_group_is_told_whom_to_ask(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(os, "access", lambda *args, **kwargs: False)
    problem = entry.shared_data_folder(tmp_path)
    assert problem is not None and "grupo «oficialia»" in problem


def test_resources_come_from_inside_the_bundle(frozen: Path) -> None:
    assert resources.resource_dir("trust") == frozen / "resources" / "trust"
    (frozen / "resources" / "VERSION").write_text("9.8.7\n")
    assert version.version() == "9.8.7"


def test_from_source_resources_are_the_trees_and_the_fonts_ship() -> None:
    assert resources.resource_dir("trust") == ROOT / "resources" / "trust"
    for face in ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSansMono.ttf"):
        assert resources.font_file(face).stat().st_size > 300_000
    from signing.stamp import find_stamp_font

    assert find_stamp_font() == resources.font_file("DejaVuSans.ttf")


def test_samples_go_to_the_data_folder_of_an_installed_build(frozen: Path, tmp_path: Path) -> None:
    assert samples_dir(tmp_path / "datos") == tmp_path / "datos" / "muestras"


def test_samples_stay_in_the_checkout_from_source(tmp_path: Path) -> None:
    assert samples_dir(tmp_path / "datos") == default_out_dir()


def test_version_from_source_matches_pyproject() -> None:
    import tomllib

    wanted = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    done = subprocess.run([str(OFICIALIA), "--version"], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == f"oficialia {wanted}"


def test_self_test_passes_and_leaves_nothing_behind(tmp_path: Path) -> None:
    done = subprocess.run(
        [str(OFICIALIA), "--data-dir", str(tmp_path), "--self-test"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    for check in ("módulos", "autoridades de confianza", "tesseract", "OCR de una página"):
        assert any(line.strip().startswith(f"bien  {check}") for line in lines), done.stdout
    assert "sellado y validado" in done.stdout
    assert "ventana del quiosco: un cuadro de 1920×1080" in done.stdout
    assert "Todo en orden" in lines[-1]
    left = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*"))
    assert left == ["tmp", "tmp/.sweep.lock"]


def test_self_test_stops_at_the_first_failure_in_spanish(tmp_path: Path) -> None:
    # No tesseract on the PATH: the checks before it pass, it fails, none after it runs.
    environment = {**os.environ, "PATH": str(tmp_path / "vacio")}
    done = subprocess.run(
        [str(OFICIALIA), "--data-dir", str(tmp_path), "--self-test"],
        capture_output=True,
        text=True,
        timeout=300,
        env=environment,
    )
    assert done.returncode != 0
    assert "bien  autoridades de confianza" in done.stdout
    assert "FALLÓ tesseract" in done.stdout and "tesseract" in done.stdout.lower()
    assert "OCR de una página" not in done.stdout and "Todo en orden" not in done.stdout


def test_a_missing_qt_platform_plugin_is_explained_not_a_crash(tmp_path: Path) -> None:
    environment = {**os.environ, "QT_QPA_PLATFORM": "inexistente", "DISPLAY": ":0"}
    for command in ("mailroom", "kiosk"):
        done = subprocess.run(
            [str(OFICIALIA), "--data-dir", str(tmp_path), command],
            capture_output=True,
            text=True,
            timeout=60,
            env=environment,
        )
        assert done.returncode == 69, done.stderr
        assert "No se encontró el complemento de Qt para la pantalla (inexistente)" in done.stderr
        assert "reinstálela" in done.stderr


def test_backend_commands_say_the_server_is_not_in_this_installation(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from mailroom.cli import main

    for name in [m for m in sys.modules if m.startswith("sync.server")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "sync.server", None)  # as in a packaged build
    assert main(["--data-dir", str(tmp_path), "serve-backend"]) == 69
    err = capsys.readouterr().err
    assert "no trae el servidor de sincronización" in err and "oficialia[server]" in err


def test_the_kiosk_brings_its_own_font_where_the_system_lacks_it(
    qapp, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtGui import QFontDatabase

    import kiosk.app

    before = qapp.font()
    monkeypatch.setattr(kiosk.app.sys, "platform", "win32")
    try:
        kiosk.app.use_shipped_font(qapp)
        assert qapp.font().family() == "DejaVu Sans"
        assert "DejaVu Sans" in QFontDatabase.families()
    finally:
        qapp.setFont(before)
