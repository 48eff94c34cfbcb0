"""The admin's settings without Qt: checked exactly as at start-up, saved atomically into the data
folder's config.toml keeping what else it had, warnings that do not refuse."""

from __future__ import annotations

import dataclasses
import tomllib
from datetime import date, datetime
from pathlib import Path

import pytest

from mailroom import settings_editor
from mailroom.clock import FixedClock
from mailroom.config import Settings, load_settings
from mailroom.errors import ConfigError
from mailroom.intake import IntakeService
from mailroom.models import NewFiling, Sender
from mailroom.samples import render_page_image
from mailroom.settings_editor import AdminChoices
from tests.conftest import ZONE

HAND_WRITTEN = '# puesto por el administrador\nclerk = "ana"  # quien atiende\nocr_workers = 2\n'


def choices(data_dir: Path, **changes: str) -> AdminChoices:
    return dataclasses.replace(AdminChoices.of(load_settings(data_dir)), **changes)


@pytest.fixture
def folder(data_dir: Path) -> Path:
    data_dir.mkdir(parents=True)
    (data_dir / "config.toml").write_text(HAND_WRITTEN, "utf-8")
    return data_dir


def test_saved_choices_are_what_the_app_loads_and_the_rest_of_the_file_stays(folder) -> None:
    wanted = choices(
        folder,
        office="TXM",
        office_name='Oficialía "Centro" \\ Texmelucan',
        backend_url="https://estado.example.gob.mx/oficialia",
        scanner="sane:test:0",
        ocr_languages="spa+eng",
    )
    saved = settings_editor.save(folder, wanted)
    assert saved.changed == ("office", "office_name", "backend_url", "scanner", "ocr_languages")
    loaded = load_settings(folder)
    assert AdminChoices.of(loaded) == wanted == AdminChoices.of(saved.settings)
    assert (loaded.clerk, loaded.ocr_workers) == ("ana", 2)
    text = (folder / "config.toml").read_text("utf-8")
    assert text.startswith(HAND_WRITTEN)  # comments and other keys as the admin left them
    assert list(folder.iterdir()) == [folder / "config.toml"]  # no temporary file left
    again = settings_editor.save(folder, wanted)
    assert again.changed == () and (folder / "config.toml").read_text("utf-8") == text


def test_a_folio_pattern_without_seq_is_refused_and_the_file_untouched(folder) -> None:
    before = (folder / "config.toml").read_bytes()
    with pytest.raises(ConfigError) as raised:
        settings_editor.save(folder, choices(folder, folio_pattern="{office}-{year}-{device}"))
    assert str(raised.value) == "El patrón de folio debe incluir {seq}."
    assert raised.value.details["setting"] == "folio_pattern"
    with pytest.raises(ConfigError, match="no es válido; use los campos"):
        settings_editor.save(folder, choices(folder, folio_pattern="{office}-{numero}-{seq}"))
    assert (folder / "config.toml").read_bytes() == before


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("office", "", "El ajuste office debe ser alfanumérico y no vacío (se leyó '')."),
        ("device", "C 01", "El ajuste device debe ser alfanumérico y no vacío"),
        ("office_name", "  ", "El nombre de la oficina no puede quedar vacío."),
        ("backend_url", "estado.gob.mx", "debe empezar con https://"),
        ("scanner", "usb:1", "El ajuste scanner 'usb:1' no es válido: use sane:DISPOSITIVO"),
        ("ocr_languages", "", "Elija al menos un idioma para el OCR."),
        ("ocr_languages", "spa+klingon", "Tesseract no tiene en este equipo el idioma klingon"),
    ],
)
def test_each_bad_choice_is_refused_in_spanish_before_writing(
    folder, field: str, value: str, message: str
) -> None:
    before = (folder / "config.toml").read_bytes()
    with pytest.raises(ConfigError) as raised:
        settings_editor.save(folder, choices(folder, **{field: value}))
    assert message in str(raised.value) and raised.value.details["setting"] == field
    assert (folder / "config.toml").read_bytes() == before
    current = load_settings(folder)
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        settings_editor.check(current, choices(folder, **{field: value}), ("eng", "spa"))


def test_a_new_device_code_on_a_device_with_filings_this_year_is_warned_not_refused(
    store, settings: Settings, tmp_path: Path
) -> None:
    scan = tmp_path / "hoja.jpg"
    render_page_image(["Solicitud"], dpi=150).save(scan, "JPEG", dpi=(150, 150))
    clock = FixedClock(datetime(2026, 3, 9, 10, 0, tzinfo=ZONE))
    new = NewFiling(sender=Sender("Ana Ruiz"), subject="Solicitud")
    IntakeService(store, settings, clock=clock).register(new, [scan])
    folder = settings.data_dir
    plan = settings_editor.plan(
        folder, choices(folder, device="C02"), db=store.reader(), today=date(2026, 3, 9)
    )
    assert plan.warnings == (
        "Este equipo ya registró 1 escrito(s) en 2026 con la clave C01. Los folios se numeran "
        "por equipo: con la clave C02 el siguiente será OPM-2026-C02-000001. Use una clave que "
        "ningún otro equipo de la oficina use.",
    )
    # Without a reader the editor opens the database itself; next year there is nothing to warn.
    opened_itself = settings_editor.plan(
        folder, choices(folder, device="C02"), today=date(2026, 5, 1)
    )
    assert opened_itself.warnings == plan.warnings
    assert not settings_editor.plan(
        folder, choices(folder, device="C02"), today=date(2027, 1, 2)
    ).warnings
    saved = settings_editor.save(folder, choices(folder, device="C02"), db=store.reader())
    assert load_settings(folder).device == "C02" == saved.settings.device


def test_an_environment_variable_that_wins_over_the_file_is_warned(
    folder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OFICIALIA_OFFICE_NAME", "Oficina de la variable")
    current = settings_editor.read_current(folder)
    assert current.from_environment == ("office_name",)
    assert "spa" in current.ocr_languages_installed and "osd" not in current.ocr_languages_installed
    saved = settings_editor.save(folder, dataclasses.replace(current.choices, office_name="Otra"))
    assert saved.warnings == (
        "La variable de entorno OFICIALIA_OFFICE_NAME fija el ajuste office_name: lo que se "
        "guarde en el archivo no se usará mientras exista.",
    )
    assert saved.settings.office_name == "Oficina de la variable"  # what the app will see
    assert 'office_name = "Otra"' in (folder / "config.toml").read_text("utf-8")


def test_values_are_escaped_as_toml_and_a_multiline_file_is_rewritten_whole(tmp_path) -> None:
    awkward = 'Comillas " barra \\ tab\t salto\n retorno\r nulo\x00 borrar\x7f ñandú'
    assert tomllib.loads(f"v = {settings_editor.toml_value(awkward)}")["v"] == awkward
    original = 'office_name = """Oficialía\nde Partes"""\ndevice = "K01"\n'
    edited = settings_editor.edit_toml(original, {"office_name": "Una línea"})
    with pytest.raises(tomllib.TOMLDecodeError):  # why save() reads its edit back before writing
        tomllib.loads(edited)
    folder = tmp_path / "datos"
    folder.mkdir()
    (folder / "config.toml").write_text(original, "utf-8")
    settings_editor.save(folder, choices(folder, office_name="Una línea"))
    assert tomllib.loads((folder / "config.toml").read_text("utf-8")) == {
        "office_name": "Una línea",
        "device": "K01",
    }


def test_only_an_administrator_saves_once_there_are_accounts(folder: Path) -> None:
    from mailroom.accounts import Accounts
    from mailroom.permissions import Forbidden
    from mailroom.store import Store

    settings = load_settings(folder)
    with Store(folder) as store:
        accounts = Accounts(store, settings)
        password = "cuaderno de turno 7"
        admin = accounts.create(
            "rosa.mendez", full_name="Rosa Méndez Luna", role="administrador", password=password
        )
        settings.seat.sit(accounts.actor(admin))
        oficial = accounts.create(
            "luis.perez", full_name="Luis Pérez Soto", role="oficial", password=password
        )
        wanted = choices(folder, office_name="Oficialía Cambiada")
        settings.seat.sit(accounts.actor(oficial))
        with pytest.raises(Forbidden, match="no puede cambiar los ajustes"):
            settings_editor.save(folder, wanted, db=store.reader(), acting=settings)
        with pytest.raises(Forbidden, match="hace falta iniciar sesión"):
            settings_editor.save(folder, wanted)  # nobody acting, database opened by save
        assert (folder / "config.toml").read_text("utf-8") == HAND_WRITTEN
        settings.seat.sit(accounts.actor(admin))
        saved = settings_editor.save(folder, wanted, acting=settings)
        assert saved.settings.office_name == "Oficialía Cambiada"
