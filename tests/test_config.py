from __future__ import annotations

from pathlib import Path

import pytest

from mailroom.config import load_settings, resolve_data_dir
from mailroom.errors import ConfigError


def test_data_dir_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert resolve_data_dir() == tmp_path / "xdg-data" / "oficialia"
    monkeypatch.setenv("OFICIALIA_HOME", str(tmp_path / "portable"))
    assert resolve_data_dir() == tmp_path / "portable"
    assert resolve_data_dir(tmp_path / "explicit") == tmp_path / "explicit"


def test_layers_machine_user_data_dir_then_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = tmp_path / "xdg-site" / "oficialia"
    user = tmp_path / "xdg-config" / "oficialia"
    data = tmp_path / "datos"
    for folder in (site, user, data):
        folder.mkdir(parents=True)
    (site / "config.toml").write_text(
        'office = "SEGOB"\ndevice = "M01"\ntimezone = "America/Tijuana"\n'
    )
    (user / "config.toml").write_text('device = "U01"\n')
    (data / "config.toml").write_text('clerk = "Rosa Elena"\nmax_pdf_pages = 10\n')
    monkeypatch.setenv("OFICIALIA_MAX_PDF_PAGES", "25")
    settings = load_settings(data)
    assert (settings.office, settings.device, settings.timezone) == (
        "SEGOB",
        "U01",
        "America/Tijuana",
    )
    assert settings.clerk == "Rosa Elena" and settings.max_pdf_pages == 25


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('ofice = "X"\n', "claves desconocidas: ofice"),
        ('timezone = "Mars/Olympus"\n', "Zona horaria desconocida"),
        ('max_pdf_pages = "muchas"\n', "max_pdf_pages debe ser un número entero"),
        ('folio_pattern = "{office}-{nope}"\n', "patrón de folio"),
        ('device = "C 01"\n', "alfanumérico"),
        ("office = \n", "No se pudo leer la configuración"),
    ],
)
def test_bad_configuration_is_explained(tmp_path: Path, content: str, message: str) -> None:
    data = tmp_path / "datos"
    data.mkdir()
    (data / "config.toml").write_text(content)
    with pytest.raises(ConfigError, match=message):
        load_settings(data)
