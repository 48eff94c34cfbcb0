"""The kiosk's services without Qt, on real parts: SANE's ``test`` scanner, the store, the demo
e.firma, the receipt printer on 127.0.0.1. A kiosk filing is an ordinary filing; the status
lookup answers only to the folio with its check code or to the receipt's QR."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.desk import DUPLICATE_REASON, KioskDesk, KioskFiling
from kiosk.fake_printer import FakeReceiptPrinter
from kiosk.lookup import NOT_FOUND_MESSAGE, check_code, normalized_code
from kiosk.printer import PrinterState
from kiosk.session import Answers, Identity, Topic
from mailroom import tmpfiles
from mailroom.config import Settings, load_settings
from mailroom.errors import InvalidInput, NotFound
from mailroom.filings import get_filing
from mailroom.models import Channel
from signing.demo_pki import create_demo_pki
from tests.sane_env import use_sane_test_backend

SAMPLES = Path(__file__).resolve().parents[1] / "resources" / "samples"

ANSWERS = Answers(
    privacy_version="f" * 64,
    identity=Identity(name="Rosalía Ñúñez Quintero", email="rosalia@example.com"),
    topic=Topic(subject="Solicitud de poda de un árbol", unsure=True),
    pages=1,
    fojas=1,
)


@pytest.fixture(autouse=True)
def _sane(tmp_path_factory: pytest.TempPathFactory) -> None:
    use_sane_test_backend(tmp_path_factory)


@pytest.fixture
def printer(tmp_path: Path) -> Iterator[FakeReceiptPrinter]:
    with FakeReceiptPrinter(keep_dir=tmp_path / "tickets") as fake:
        yield fake


@pytest.fixture
def desk(data_dir: Path, printer: FakeReceiptPrinter) -> Iterator[KioskDesk]:
    settings = load_settings(data_dir, device="K07", scanner="sane:test:0")
    settings = dataclasses.replace(settings, kiosk_printer=printer.spec)
    with_desk = KioskDesk(settings)
    yield with_desk
    with_desk.close()


def file_one(
    desk: KioskDesk, answers: Answers = ANSWERS, source: str = "sane:test:0"
) -> KioskFiling:
    capture = desk.new_capture()
    capture.add(capture.read(source))
    return desk.register(answers, capture)


def test_a_kiosk_filing_is_an_ordinary_filing_of_the_device(desk: KioskDesk) -> None:
    filed = file_one(desk)
    filing = get_filing(desk.store.reader(), filed.folio)
    assert filing.channel is Channel.KIOSCO
    assert filed.folio.endswith("-K07-000001")
    assert filing.clerk == "Quiosco K07"  # the device, never an OS user
    assert filing.sender.name == "Rosalía Ñúñez Quintero"
    assert filing.fojas_declared == 1 and filing.pages_scanned == 1
    assert filing.privacy_notice_sha256 == "f" * 64
    # "No sé": the general office gets it, and the note says why.
    assert [a.area for a in filing.addressees] == [desk.settings.office_name]
    assert "no supo" in filing.observations
    outbox = desk.store.reader().execute("SELECT count(*) FROM outbox").fetchone()[0]
    assert outbox == 1  # queued for sync in the same transaction
    assert not filed.sealed and filed.seal_problem  # the e.firma is closed
    assert len(filed.check_code) == 9 and filed.check_code[4] == "-"


def test_the_capture_is_gone_after_registration_and_discard(desk: KioskDesk) -> None:
    file_one(desk)
    desk.discard_capture()
    assert desk.capture is None
    assert tmpfiles.work_left(desk.settings.data_dir) == []


def test_a_chosen_department_and_procedure_are_kept(desk: KioskDesk) -> None:
    topic = Topic(subject="Licencia de funcionamiento", procedure="Licencias", department="Obras")
    filed = file_one(desk, dataclasses.replace(ANSWERS, topic=topic))
    filing = get_filing(desk.store.reader(), filed.folio)
    assert filing.procedure_type == "Licencias"
    assert [a.area for a in filing.addressees] == ["Obras"]
    assert filing.observations == ""


def test_registering_nothing_registers_nothing(desk: KioskDesk) -> None:
    capture = desk.new_capture()
    with pytest.raises(InvalidInput):
        desk.register(ANSWERS, capture)
    assert desk.store.reader().execute("SELECT count(*) FROM filings").fetchone()[0] == 0


def test_lookup_needs_the_check_code_not_just_the_folio(desk: KioskDesk) -> None:
    filed = file_one(desk)
    found = desk.find_by_code(filed.folio, filed.check_code)
    assert found.folio == filed.folio
    assert found.status == "registrada"
    assert found.department == desk.settings.office_name
    assert found.last_sync is None  # never synced
    # Typed as a citizen would: lower case, no hyphen, O for 0.
    typed = filed.check_code.lower().replace("-", "").replace("0", "o")
    assert desk.find_by_code(filed.folio.lower(), typed).folio == filed.folio
    for folio, code in ((filed.folio, ""), (filed.folio, "AAAA-AAAA"), ("X-1", filed.check_code)):
        with pytest.raises(NotFound) as caught:
            desk.find_by_code(folio, code)
        assert caught.value.message == NOT_FOUND_MESSAGE


def test_lookup_by_the_receipts_qr(desk: KioskDesk) -> None:
    filed = file_one(desk)
    assert desk.find_by_qr(filed.status_url).folio == filed.folio
    forged = filed.status_url[:-4] + "0000"
    with pytest.raises(NotFound):
        desk.find_by_qr(forged)
    with pytest.raises(InvalidInput) as caught:
        desk.find_by_qr("https://example.com/otra-cosa")
    assert "QR" in caught.value.message


def test_check_codes_avoid_look_alike_letters() -> None:
    codes = {check_code(f"{n:064x}") for n in range(200)}
    assert len(codes) == 200
    assert not any(set(code) & set("ILOU") for code in codes)
    assert normalized_code("abcd efgh") == "ABCD-EFGH"


def test_the_receipt_prints_and_carries_the_folio(
    desk: KioskDesk, printer: FakeReceiptPrinter
) -> None:
    filed = file_one(desk)
    assert desk.printer_status().can_print
    outcome = desk.print_receipt(filed)
    assert outcome.printed, outcome.problem
    [receipt] = printer.receipts()
    import zxingcpp

    assert [code.text for code in zxingcpp.read_barcodes(receipt)] == [filed.status_url]


def test_no_paper_files_anyway_and_says_so(desk: KioskDesk, printer: FakeReceiptPrinter) -> None:
    printer.set_state(PrinterState.SIN_PAPEL)
    status = desk.printer_status()
    assert not status.can_print and "papel" in status.citizen_message
    filed = file_one(desk)  # filing is still possible
    outcome = desk.print_receipt(filed)
    assert not outcome.printed and "papel" in outcome.problem.lower()
    assert printer.receipts() == []


def test_a_printer_that_does_not_answer_is_not_paper_ok(
    desk: KioskDesk, printer: FakeReceiptPrinter
) -> None:
    printer.set_state(PrinterState.SIN_RESPUESTA)
    status = desk.printer_status()
    assert status.state is PrinterState.SIN_RESPUESTA and not status.can_print


def test_no_printer_configured(data_dir: Path) -> None:
    desk = KioskDesk(load_settings(data_dir))
    try:
        status = desk.printer_status()
        assert status.state is PrinterState.SIN_IMPRESORA and not status.can_print
        assert "folio" in status.citizen_message
    finally:
        desk.close()


def test_reprint_of_a_recent_filing(desk: KioskDesk, printer: FakeReceiptPrinter) -> None:
    # The same page read twice makes the same document (a photo of it, from the same file:
    # SANE's test device keeps its feeder's state across the whole test process).
    same_page = f"file:{SAMPLES / 'comprobante.png'}"
    first = file_one(desk, source=same_page)
    other = dataclasses.replace(ANSWERS, identity=Identity(name="Otro Ciudadano"))
    second = file_one(desk, other, source=same_page)
    assert desk.recent_folios() == [second.folio, first.folio]
    # The same document handed in twice is filed again, marked for the office (no clerk is
    # there to weigh it), never refused.
    again = get_filing(desk.store.reader(), second.folio)
    assert again.duplicate_override_reason == DUPLICATE_REASON
    assert desk.reprint(first.folio).printed
    assert len(printer.receipts()) == 1


def test_the_office_efirma_seals_until_it_is_closed(desk: KioskDesk, tmp_path: Path) -> None:
    pki = create_demo_pki(tmp_path / "pki")
    settings = dataclasses.replace(desk.settings, trust_test_roots=str(pki.trust_dir))
    desk.seal.settings = settings
    desk.seal.open(pki.password, pki.office_cer, pki.office_key)
    assert desk.seal.is_open
    assert file_one(desk).sealed
    desk.seal.close()
    assert not file_one(desk).sealed


def test_the_scanner_check(desk: KioskDesk) -> None:
    assert desk.scanner_problem() is None
    missing = dataclasses.replace(desk.settings, scanner="sane:no-existe:9")
    desk.settings = missing
    assert "no-existe" in (desk.scanner_problem() or "")


def test_kiosk_settings_are_checked(data_dir: Path) -> None:
    from mailroom.errors import ConfigError

    with pytest.raises(ConfigError) as caught:
        load_settings(data_dir, kiosk_printer="lpt1")
    assert "tcp:" in caught.value.message
    with pytest.raises(ConfigError):
        load_settings(data_dir, kiosk_efirma_closing_hour="25:00")
    assert isinstance(load_settings(data_dir, kiosk_printer="usb:04b8:0202"), Settings)
