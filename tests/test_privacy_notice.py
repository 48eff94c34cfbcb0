"""The office's privacy notice: the shipped defaults carry what the law asks for, only an
administrator changes it, a change is a new version in the audit trail, the counter's and the
kiosk's registrations store the version in force, and the printed notice holds its text."""

from __future__ import annotations

import json
from pathlib import Path

import pypdfium2
import pytest

from kiosk.privacy import load_notice as kiosk_load_notice
from mailroom.accounts import Accounts
from mailroom.config import Settings
from mailroom.errors import InvalidInput
from mailroom.permissions import Forbidden
from mailroom.privacy import (
    FULL_FILE,
    OFFICE_FOLDER,
    SHORT_FILE,
    notice_in_force,
    save_notice,
    shipped_dir,
)
from mailroom.privacy_pdf import render_notice
from mailroom.store import Store
from mailroom.workstation import Workstation
from tests.accounts_helpers import admin_and_clerk
from tests.test_acuses import scan
from tests.test_workstation import _new

FULL_TEXT = (
    "Aviso de privacidad integral\n\nQuién es responsable\n{office_name}, con domicilio en "
    "Avenida Juárez 12, Centro, es responsable de sus datos.\n\nSus derechos ARCO\nPreséntese "
    "en la Unidad de Transparencia, Avenida Juárez 12, planta baja."
)


@pytest.fixture
def accounts(store: Store, settings: Settings) -> Accounts:
    return admin_and_clerk(store, settings)


def changes(store: Store) -> list[dict[str, object]]:
    rows = store.reader().execute(
        "SELECT actor, payload FROM events WHERE kind = 'aviso_privacidad_cambiado' ORDER BY seq"
    )
    return [{"actor": actor, **json.loads(payload)} for actor, payload in rows]


def test_the_shipped_notices_carry_what_the_law_asks_for(settings: Settings) -> None:
    notice = notice_in_force(settings)
    assert "{office_name}" not in notice.full + notice.short
    assert notice.full.startswith("Aviso de privacidad integral")
    for heading in (
        "Quién es responsable",
        "Dónde estamos",  # domicile of the responsible body and its transparency unit
        "Qué datos tomamos",
        "Para qué los usamos",
        "Con qué fundamento",
        "Con quién los compartimos",
        "Cuánto tiempo los guardamos",
        "Sus derechos ARCO",
        "Dónde está este aviso",
        "Cambios a este aviso",
    ):
        assert f"\n{heading}\n" in notice.full, heading
    assert f"{settings.office_name} es responsable" in notice.short
    for part in ("derechos ARCO", "aviso completo", "solo para registrar"):
        assert part in notice.short
    assert (shipped_dir() / FULL_FILE).read_text("utf-8").count("{office_name}") >= 2


def test_an_oficial_cannot_change_the_notice(
    store: Store, settings: Settings, accounts: Accounts
) -> None:
    before = notice_in_force(settings)
    settings.seat.sit(accounts.actor(accounts.get("luis.perez")))
    with pytest.raises(Forbidden, match="no puede cambiar los ajustes"):
        save_notice(store, settings, "Aviso breve nuevo", FULL_TEXT)
    assert not (settings.data_dir / OFFICE_FOLDER).exists()
    assert notice_in_force(settings) == before and changes(store) == []


def test_a_saved_notice_is_a_new_version_and_registrations_store_it(
    tmp_path: Path, store: Store, settings: Settings, accounts: Accounts
) -> None:
    before = notice_in_force(settings)
    saved = save_notice(store, settings, "Aviso simplificado de la oficina.\r\n", FULL_TEXT)

    assert saved.version != before.version
    assert saved.full.startswith("Aviso de privacidad integral")
    assert f"{settings.office_name}, con domicilio en Avenida Juárez 12" in saved.full
    assert (settings.data_dir / OFFICE_FOLDER / SHORT_FILE).read_text("utf-8") == (
        "Aviso simplificado de la oficina.\n"
    )
    assert notice_in_force(settings) == saved
    # The kiosk reads the same files: its next citizen accepts this version.
    assert kiosk_load_notice(settings.data_dir, settings.office_name).version == saved.version
    assert changes(store) == [
        {"actor": "rosa.mendez", "version": saved.version, "version_anterior": before.version}
    ]
    assert save_notice(store, settings, saved.short, FULL_TEXT) == saved
    assert len(changes(store)) == 1  # nothing changed, nothing recorded

    with Workstation(settings) as workstation:  # the counter
        outcome = workstation.register(_new(), [scan(tmp_path / "a.jpg")])
    assert outcome.registration.filing.privacy_notice_sha256 == saved.version


def test_an_empty_notice_is_refused(store: Store, settings: Settings, accounts: Accounts) -> None:
    with pytest.raises(InvalidInput, match="El aviso de privacidad simplificado no puede quedar"):
        save_notice(store, settings, "  \n ", FULL_TEXT)
    with pytest.raises(InvalidInput, match="El aviso de privacidad integral es demasiado largo"):
        save_notice(store, settings, "Breve.", "x" * 70_000)
    assert not (settings.data_dir / OFFICE_FOLDER).exists()


def test_the_printed_notice_holds_its_text_and_version(settings: Settings) -> None:
    notice = notice_in_force(settings)
    pdf = render_notice(notice, settings.office_name)
    document = pypdfium2.PdfDocument(pdf)
    text = "".join(
        document[i].get_textpage().get_text_range() for i in range(len(document))
    ).replace("\r\n", "\n")
    flat = " ".join(text.split())
    assert "Aviso de privacidad integral" in flat
    assert "Sus derechos ARCO" in flat
    assert "Plataforma Nacional de Transparencia" in flat
    assert f"versión {notice.version[:16]}" in flat
    assert settings.office_name in flat
