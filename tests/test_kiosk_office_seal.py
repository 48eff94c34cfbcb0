"""The office e.firma at the kiosk: opened with its password from the kiosk's e.firma folder,
closed by staff or at the closing hour; never opened from anything but those two files."""

from __future__ import annotations

import dataclasses
import shutil
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from kiosk.office_seal import OfficeSeal, efirma_files, efirma_folder
from mailroom.config import Settings
from mailroom.errors import ConfigError, OficialiaError
from mailroom.store import Store
from signing.demo_pki import DemoPki, create_demo_pki


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> DemoPki:
    return create_demo_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture
def kiosk_settings(settings: Settings, pki: DemoPki) -> Settings:
    folder = efirma_folder(settings)
    folder.mkdir(parents=True)
    shutil.copy(pki.office_cer, folder / "oficina.cer")
    shutil.copy(pki.office_key, folder / "oficina.key")
    return dataclasses.replace(
        settings, trust_test_roots=str(pki.trust_dir), kiosk_efirma_closing_hour="20:00"
    )


def test_opened_in_the_morning_it_closes_at_the_closing_hour(
    kiosk_settings: Settings, store: Store, pki: DemoPki
) -> None:
    clock = Clock(datetime(2026, 12, 7, 8, 0, tzinfo=kiosk_settings.zone))
    seal = OfficeSeal(kiosk_settings, store, clock=clock)
    assert seal.open(pki.password) == pki.identity.name
    assert seal.is_open
    clock.now = clock.now.replace(hour=19, minute=59)
    assert seal.signer() is not None
    clock.now = clock.now.replace(hour=20, minute=0)
    assert seal.signer() is None and seal.holder == ""
    clock.now += timedelta(hours=1)
    assert not seal.is_open  # stays closed until staff open it again


def test_opened_after_hours_it_lasts_until_midnight(
    kiosk_settings: Settings, store: Store, pki: DemoPki
) -> None:
    clock = Clock(datetime(2026, 12, 7, 21, 0, tzinfo=kiosk_settings.zone))
    seal = OfficeSeal(kiosk_settings, store, clock=clock)
    seal.open(pki.password)
    clock.now = clock.now.replace(hour=23, minute=30)
    assert seal.is_open
    clock.now += timedelta(hours=1)
    assert not seal.is_open


def test_a_wrong_password_leaves_it_closed(kiosk_settings: Settings, store: Store) -> None:
    seal = OfficeSeal(kiosk_settings, store)
    with pytest.raises(OficialiaError) as caught:
        seal.open("no-es-la-contraseña")
    assert "contraseña" in caught.value.message.lower()
    assert not seal.is_open


def test_staff_close_it(kiosk_settings: Settings, store: Store, pki: DemoPki) -> None:
    seal = OfficeSeal(kiosk_settings, store)
    seal.open(pki.password)
    seal.close()
    assert not seal.is_open


def test_the_folder_must_hold_one_cer_and_one_key(settings: Settings, tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        efirma_files(settings)
    assert str(efirma_folder(settings)) in caught.value.message
    efirma_folder(settings).mkdir(parents=True)
    for name in ("a.cer", "b.cer", "a.key"):
        (efirma_folder(settings) / name).write_bytes(b"x")
    with pytest.raises(ConfigError):
        efirma_files(settings)
