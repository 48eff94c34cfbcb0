"""Adding, listing and removing the office's own certification authorities: only an
administrator may, each change is an audit event, an added authority is what the trust store
uses to recognise what it issued, and every bad file is refused in Spanish with nothing written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mailroom.accounts import Accounts
from mailroom.cli.program import main
from mailroom.config import Settings
from mailroom.errors import InvalidInput, NotFound, UnreadableFile
from mailroom.permissions import Forbidden
from mailroom.store import Store
from mailroom.trust_admin import MAX_FILE_BYTES, TrustAdmin
from signing.trust import CA_FOLDER, bundle_dir, trust_store_from_settings
from tests.accounts_helpers import admin_and_clerk
from tests.trust_fixtures import make_certificate


def events(store: Store, kind: str) -> list[dict[str, object]]:
    rows = store.reader().execute(
        "SELECT actor, payload FROM events WHERE kind = ? ORDER BY seq", [kind]
    )
    return [{"actor": actor, **json.loads(payload)} for actor, payload in rows]


@pytest.fixture
def accounts(store: Store, settings: Settings) -> Accounts:
    return admin_and_clerk(store, settings)


def test_an_oficial_is_refused_and_nothing_is_written(
    tmp_path: Path, store: Store, settings: Settings, accounts: Accounts
) -> None:
    settings.seat.sit(accounts.actor(accounts.get("luis.perez")))
    authority = make_certificate("Autoridad Municipal")
    source = tmp_path / "autoridad.cer"
    source.write_bytes(authority.der)
    admin = TrustAdmin(store, settings)
    with pytest.raises(Forbidden, match="no puede agregar autoridades de certificación"):
        admin.add(source)
    with pytest.raises(Forbidden):
        admin.list_authorities()
    assert not admin.folder.exists()
    assert events(store, "autoridad_agregada") == []


def test_an_added_authority_is_listed_used_by_trust_and_removed(
    tmp_path: Path, store: Store, settings: Settings, accounts: Accounts
) -> None:
    root = make_certificate("Autoridad Raíz del Municipio")
    issued = make_certificate("Juana Ramírez", ca=False, issuer=root)
    assert trust_store_from_settings(settings).issuer_of(issued.der) is None
    source = tmp_path / "raiz.pem"
    source.write_bytes(root.pem)  # PEM in, DER written
    admin = TrustAdmin(store, settings)

    added = admin.add(source)

    assert admin.folder == settings.data_dir / "confianza"  # trust_extra_dir is empty
    assert added.path is not None and added.path.parent == admin.folder
    assert added.path.read_bytes() == root.der
    assert added.subject == "Autoridad Raíz del Municipio" and added.root
    listing = admin.list_authorities()
    mine = [a for a in listing.authorities if a.origin == "agregada"]
    assert [a.sha256 for a in mine] == [added.sha256]
    assert any(a.origin == "paquete" for a in listing.authorities)
    # signing.trust reads the folder: what the new root issued is recognised now.
    assert trust_store_from_settings(settings).issuer_of(issued.der) == root.der
    [event] = events(store, "autoridad_agregada")
    assert event["actor"] == "rosa.mendez" and event["sha256"] == added.sha256

    removed = admin.remove(added.sha256[:10])

    assert removed.sha256 == added.sha256 and not added.path.exists()
    assert trust_store_from_settings(settings).issuer_of(issued.der) is None
    assert [e["sha256"] for e in events(store, "autoridad_quitada")] == [added.sha256]
    with pytest.raises(NotFound, match="Ninguna autoridad agregada"):
        admin.remove(added.sha256)


def test_an_intermediate_goes_into_the_folder_named_by_trust_extra_dir(
    tmp_path: Path, store: Store, settings: Settings, accounts: Accounts
) -> None:
    import dataclasses

    folder = tmp_path / "autoridades"
    configured = dataclasses.replace(settings, trust_extra_dir=str(folder))
    root = make_certificate("Raíz Estatal")
    intermediate = make_certificate("AC Estatal", issuer=root)
    source = tmp_path / "ac.cer"
    source.write_bytes(intermediate.der)
    added = TrustAdmin(store, configured).add(source)
    assert added.path is not None and added.path.parent == folder and not added.root
    assert intermediate.der in trust_store_from_settings(configured).intermediates


@pytest.mark.parametrize(
    ("case", "error", "message"),
    [
        ("dañado", UnreadableFile, "no es un certificado que se pueda leer"),
        ("no_ca", InvalidInput, "no es una autoridad certificadora"),
        ("vencido", InvalidInput, "venció el"),
        ("enorme", UnreadableFile, "el certificado de una autoridad pesa unos pocos KiB"),
        ("dos", UnreadableFile, "trae 2 certificados: agregue uno por archivo"),
        ("del_sat", InvalidInput, "ya es de confianza"),
    ],
)
def test_bad_files_are_refused_in_spanish(
    tmp_path: Path,
    store: Store,
    settings: Settings,
    accounts: Accounts,
    case: str,
    error: type[Exception],
    message: str,
) -> None:
    source = tmp_path / "archivo.cer"
    if case == "dañado":
        source.write_bytes(make_certificate("Rota").der[:-40])
    elif case == "no_ca":
        source.write_bytes(make_certificate("Servidor", ca=False).der)
    elif case == "vencido":
        source.write_bytes(make_certificate("Vieja", expired=True).der)
    elif case == "enorme":
        source.write_bytes(b"\0" * (MAX_FILE_BYTES + 1))
    elif case == "dos":
        source.write_bytes(make_certificate("Una").pem + make_certificate("Otra").pem)
    else:
        source.write_bytes((bundle_dir() / CA_FOLDER / "ARC6_IES.cer").read_bytes())
    admin = TrustAdmin(store, settings)
    with pytest.raises(error, match=message):
        admin.add(source)
    assert not admin.folder.exists()
    assert events(store, "autoridad_agregada") == []


def test_the_same_authority_twice_is_refused(
    tmp_path: Path, store: Store, settings: Settings, accounts: Accounts
) -> None:
    root = make_certificate("Autoridad Repetida")
    first, second = tmp_path / "una.cer", tmp_path / "otra.pem"
    first.write_bytes(root.der)
    second.write_bytes(root.pem)
    admin = TrustAdmin(store, settings)
    admin.add(first)
    with pytest.raises(InvalidInput, match="«Autoridad Repetida» ya es de confianza"):
        admin.add(second)
    assert len(list(admin.folder.iterdir())) == 1
    assert len(events(store, "autoridad_agregada")) == 1


def test_a_shipped_authority_cannot_be_removed(
    store: Store, settings: Settings, accounts: Accounts
) -> None:
    admin = TrustAdmin(store, settings)
    shipped = next(a for a in admin.list_authorities().authorities if a.origin == "paquete")
    with pytest.raises(NotFound, match="Las del paquete del SAT no se quitan"):
        admin.remove(shipped.sha256)
    with pytest.raises(InvalidInput, match="al menos 8"):
        admin.remove("abc")


def test_the_command_line_adds_lists_and_removes(
    tmp_path: Path, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_certificate("Autoridad de la Línea de Órdenes")
    source = tmp_path / "cli.cer"
    source.write_bytes(root.der)
    folder = ["--data-dir", str(settings.data_dir)]
    assert main([*folder, "confianza", "agregar", str(source)]) == 0
    assert "Autoridad agregada: Autoridad de la Línea de Órdenes" in capsys.readouterr().out
    assert main([*folder, "confianza", "listar", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    [mine] = [a for a in listed["autoridades"] if a["origen"] == "agregada"]
    assert mine["autoridad"] == "Autoridad de la Línea de Órdenes" and mine["raiz"] is True
    assert main([*folder, "confianza", "quitar", mine["sha256"][:12]]) == 0
    assert "Se dejó de confiar" in capsys.readouterr().out
    assert main([*folder, "confianza", "agregar", str(source.with_name("no-existe.cer"))]) == 4
    assert "No existe el archivo" in capsys.readouterr().err
