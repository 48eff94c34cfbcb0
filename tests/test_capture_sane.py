"""Scanning through SANE's real ``test`` backend: flatbed and feeder batches with their resolution,
every scanner failure a clerk can meet in Spanish, cancellation, ``oficialia scanners`` and
``oficialia intake --scanner`` end to end."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from mailroom import filings, tmpfiles
from mailroom.capture.pages import CaptureCancelled, ScannedPage
from mailroom.capture.sane_errors import (
    CoverOpen,
    FeederEmpty,
    PaperJam,
    ScannerAccessDenied,
    ScannerBusy,
    ScannerIOError,
    ScannerOptionUnavailable,
    UnknownScanner,
)
from mailroom.capture.sane_options import ScanSettings
from mailroom.capture.sane_source import SaneSource, list_scanners
from mailroom.capture.sources import open_source
from mailroom.cli import main
from mailroom.config import Settings
from mailroom.errors import InvalidInput
from mailroom.store import Store
from tests.sane_env import TEST_DEVICE, sane_environment, use_sane_test_backend, write_sane_config

MM_PER_INCH = 25.4
# The test device's scan area unless told otherwise: 80 × 100 mm.
AREA_MM = (80, 100)
FEEDER_SHEETS = 10  # the test backend's feeder runs out after ten sheets


@pytest.fixture(autouse=True)
def _sane_test_backend(tmp_path_factory: pytest.TempPathFactory) -> None:
    use_sane_test_backend(tmp_path_factory)


def pixels(dpi: int) -> tuple[int, int]:
    return tuple(int(dpi * mm / MM_PER_INCH) for mm in AREA_MM)  # type: ignore[return-value]


def scan(device: str | None = TEST_DEVICE, **settings: object) -> list[ScannedPage]:
    return list(SaneSource(device, ScanSettings(**settings)).pages())  # type: ignore[arg-type]


# ---- scanning ----------------------------------------------------------------------------------


def test_the_test_devices_are_listed() -> None:
    scanners = list_scanners()
    assert [s.name for s in scanners] == ["test:0", "test:1"]
    assert scanners[0].vendor == "Noname" and scanners[0].model == "frontend-tester"
    assert scanners[0].type == "virtual device"


def test_the_flatbed_gives_one_page_at_the_resolution_asked() -> None:
    [page] = scan(resolution=150)
    assert page.dpi == 150
    assert page.image.size == pixels(150)  # the pixels agree with the dpi carried
    assert page.image.mode == "L"
    assert page.origin == "sane:test:0, hoja 1"


def test_the_default_resolution_300_is_carried(settings: Settings) -> None:
    [page] = list(open_source("sane:test:0", settings).pages())
    assert page.dpi == 300
    assert page.image.size == pixels(300)
    assert page.image.info["dpi"] == (300, 300)


def test_the_feeder_is_scanned_until_it_is_empty() -> None:
    seen: list[tuple[int, int | None]] = []
    source = SaneSource(TEST_DEVICE, ScanSettings(resolution=75, source="adf"))
    pages = list(source.pages(progress=lambda done, total: seen.append((done, total))))
    assert len(pages) == FEEDER_SHEETS
    assert {page.dpi for page in pages} == {75}
    assert {page.image.size for page in pages} == {pixels(75)}
    assert [page.origin for page in pages][-1] == "sane:test:0, hoja 10"
    assert seen == [(n, None) for n in range(1, FEEDER_SHEETS + 1)]


def test_scanning_leaves_sigpipe_ignored_so_a_closed_socket_cannot_kill_the_process() -> None:
    from mailroom.capture.sane_source import ignore_sigpipe

    source = SaneSource(TEST_DEVICE, ScanSettings(resolution=75, source="adf"))
    pages = source.pages()
    next(pages)
    # libsane sets SIGPIPE to "terminate" while it scans: it must be back to "ignore" after
    # every sheet, and after the device is closed.
    assert ignore_sigpipe() == 1
    list(pages)
    assert ignore_sigpipe() == 1


def test_a_second_batch_starts_with_a_full_feeder() -> None:
    # The device is closed after each batch: a new batch is not the end of the old one.
    assert len(scan(resolution=75, source="adf")) == FEEDER_SHEETS
    assert len(scan(resolution=75, source="adf")) == FEEDER_SHEETS


def test_colour_and_lineart_modes() -> None:
    [colour] = scan(resolution=75, mode="color")
    assert colour.image.mode == "RGB"
    [lineart] = scan(resolution=75, mode="lineal")  # the test device: gray at one bit
    assert set(lineart.image.histogram()[1:255]) == {0}  # only black and white


def test_sane_colon_alone_takes_the_first_scanner(settings: Settings) -> None:
    source = open_source("sane:", settings, ScanSettings(resolution=75))
    [page] = list(source.pages())
    assert source.name == "sane:test:0" and page.origin.startswith("sane:test:0,")


# ---- what goes wrong ---------------------------------------------------------------------------


def test_a_device_that_does_not_exist() -> None:
    with pytest.raises(UnknownScanner) as caught:
        scan("test:9")
    assert caught.value.message == (
        'No se encontró el escáner "test:9". Escáneres disponibles: test:0, test:1 (véalos '
        "con «oficialia scanners»)."
    )
    assert caught.value.exit_code == 69


def test_duplex_on_a_scanner_without_it_names_what_it_offers() -> None:
    with pytest.raises(ScannerOptionUnavailable) as caught:
        scan(source="duplex")
    assert caught.value.message == (
        'El escáner "test:0" no digitaliza por ambos lados; orígenes que ofrece: Flatbed, '
        "Automatic Document Feeder."
    )


@pytest.mark.parametrize(
    ("status", "error", "code", "says"),
    [
        ("SANE_STATUS_JAMMED", PaperJam, "atasco_de_papel", "Se atascó el papel"),
        ("SANE_STATUS_COVER_OPEN", CoverOpen, "tapa_abierta", "tiene la tapa abierta"),
        ("SANE_STATUS_DEVICE_BUSY", ScannerBusy, "escaner_ocupado", "está ocupado"),
        ("SANE_STATUS_IO_ERROR", ScannerIOError, "escaner_falla_de_comunicacion", "comunicación"),
        ("SANE_STATUS_NO_DOCS", FeederEmpty, "alimentador_vacio", "no tiene hojas"),
        ("SANE_STATUS_ACCESS_DENIED", ScannerAccessDenied, "escaner_sin_permiso", "grupo"),
        ("SANE_STATUS_CANCELLED", CaptureCancelled, "captura_cancelada", "Se canceló"),
    ],
)
def test_each_scanner_status_has_its_own_spanish_error(
    status: str, error: type[Exception], code: str, says: str
) -> None:
    source = SaneSource(
        TEST_DEVICE,
        ScanSettings(resolution=75, source="adf"),
        device_options={"read-return-value": status},
    )
    pages: list[ScannedPage] = []
    with pytest.raises(error) as caught:
        pages.extend(source.pages())
    assert pages == []
    assert caught.value.code == code  # type: ignore[attr-defined]
    assert says in caught.value.message  # type: ignore[attr-defined]
    # The device was closed whatever happened (the test backend refuses to open a device that
    # is still open): it scans again at once. Its options outlive a close, hence the reset.
    again = SaneSource(
        TEST_DEVICE, ScanSettings(resolution=75), device_options={"read-return-value": "Default"}
    )
    assert len(list(again.pages())) == 1


@pytest.mark.parametrize(
    ("options", "why"),
    [
        ({"three-pass": 1}, "Inactive option: three_pass"),  # only in colour mode
        ({"lamp-warmup": 1}, "no tiene la opción 'lamp-warmup'"),
    ],
)
def test_a_device_option_the_scanner_refuses(options: dict[str, object], why: str) -> None:
    source = SaneSource(TEST_DEVICE, ScanSettings(resolution=75), device_options=options)
    with pytest.raises(ScannerOptionUnavailable) as caught:
        list(source.pages())
    assert caught.value.message == (
        'El escáner "test:0" no aceptó la configuración pedida (origen plano, modo gris, 75 '
        f"ppp): {why}."
    )


def test_scanner_settings_out_of_range_are_refused_before_scanning() -> None:
    with pytest.raises(InvalidInput, match="entre 70 y 1200 ppp"):
        ScanSettings(resolution=50)
    with pytest.raises(InvalidInput, match="Modo de digitalización desconocido"):
        ScanSettings(mode="sepia")


# ---- cancellation ------------------------------------------------------------------------------


def test_cancelling_between_sheets_stops_the_batch_and_frees_the_scanner() -> None:
    cancel = threading.Event()
    kept: list[ScannedPage] = []
    source = SaneSource(TEST_DEVICE, ScanSettings(resolution=75, source="adf"))
    with pytest.raises(CaptureCancelled) as caught:
        for page in source.pages(cancel=cancel):
            kept.append(page)
            if len(kept) == 3:
                cancel.set()
    assert len(kept) == 3
    assert caught.value.message == "Se canceló la digitalización después de 3 página(s)."
    assert caught.value.exit_code == 130
    assert len(scan(resolution=75, source="adf")) == FEEDER_SHEETS


def test_a_cancelled_capture_never_opens_the_scanner() -> None:
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(CaptureCancelled):
        next(SaneSource("test:9", ScanSettings()).pages(cancel=cancel))


def test_leaving_a_batch_half_read_closes_the_device() -> None:
    pages = SaneSource(TEST_DEVICE, ScanSettings(resolution=75, source="adf")).pages()
    next(pages)
    pages.close()  # what a consumer's break or exception does
    assert len(scan(resolution=75, source="adf")) == FEEDER_SHEETS


# ---- oficialia scanners ------------------------------------------------------------------------


def test_scanners_command_lists_the_devices(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scanners"]) == 0
    out = capsys.readouterr().out
    assert "test:0\tNoname frontend-tester (virtual device)" in out
    assert main(["scanners", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert listed[1] == {
        "name": "test:1",
        "vendor": "Noname",
        "model": "frontend-tester",
        "type": "virtual device",
    }


def test_no_scanner_at_all(tmp_path: Path) -> None:
    empty = write_sane_config(tmp_path / "sane", backends=())
    listing = _cli(["scanners"], empty, tmp_path)
    assert listing.returncode == 69
    assert "Error: No se encontró ningún escáner. Revise que esté encendido" in listing.stderr
    intake = _cli(["intake", "--scanner", "--remitente", "Ana", "--asunto", "x"], empty, tmp_path)
    assert intake.returncode == 69
    assert "No se encontró ningún escáner" in intake.stderr
    assert _filings(tmp_path / "datos") == 0


def test_without_python_sane_the_message_says_what_to_install(tmp_path: Path) -> None:
    code = (
        "import sys; sys.modules['sane'] = None\n"  # what an absent module looks like
        "from mailroom.cli import main; sys.exit(main(['scanners']))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 69
    assert "Falta el módulo python-sane para usar escáneres" in result.stderr


# ---- oficialia intake --scanner ----------------------------------------------------------------


def test_scanner_options_need_scanner(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(_intake_args(tmp_path, "--adf", "--modo", "color"))
    assert code == 65
    assert "--adf, --modo: solo con --scanner" in capsys.readouterr().err
    assert main(_intake_args(tmp_path)) == 65  # neither files nor --scanner
    assert "Indique los archivos del escrito o digitalícelo con --scanner" in (
        capsys.readouterr().err
    )


def test_intake_from_the_scanner_registers_the_pages_at_their_resolution(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = _intake_args(tmp_path, "--scanner", TEST_DEVICE, "--adf", "--resolucion", "150")
    assert main([*args, "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    with Store(tmp_path / "datos") as store:
        filing = filings.get_filing(store.reader(), printed["folio"])
    [document] = filing.documents
    assert document.mime == "application/pdf"
    assert document.page_count == FEEDER_SHEETS == filing.pages_scanned
    assert {page.dpi for page in document.pages} == {150}
    assert filing.capture_source == "sane:test:0"
    assert _leftovers(tmp_path / "datos") == []  # the scan PDF is gone


def test_the_first_scanner_at_the_default_300_dpi(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*_intake_args(tmp_path, "--scanner"), "--json"]) == 0  # no name: the first
    printed = json.loads(capsys.readouterr().out)
    with Store(tmp_path / "datos") as store:
        filing = filings.get_filing(store.reader(), printed["folio"])
    [page] = filing.documents[0].pages
    assert page.dpi == 300
    assert filing.capture_source == "sane:test:0"


def test_an_all_blank_batch_registers_nothing(tmp_path: Path) -> None:
    white = write_sane_config(tmp_path / "sane", test_options={"test-picture": '"Solid white"'})
    args = _intake_args(tmp_path, "--scanner", TEST_DEVICE, "--adf", "--resolucion", "75")
    result = _cli(args, white, tmp_path)
    assert result.returncode == 65
    assert "Las 10 páginas digitalizadas salieron en blanco" in result.stderr
    assert "No se registró ningún escrito." in result.stderr
    assert _filings(tmp_path / "datos") == 0
    assert _leftovers(tmp_path / "datos") == []


def test_ctrl_c_while_scanning_registers_nothing(tmp_path: Path) -> None:
    # A slow feeder (0.2 s per buffer the backend sends): the interrupt lands mid-batch.
    slow = write_sane_config(
        tmp_path / "sane",
        test_options={"read-delay": "true", "read-delay-duration": "200000"},
    )
    args = _intake_args(tmp_path, "--scanner", TEST_DEVICE, "--adf", "--resolucion", "150")
    child = subprocess.Popen(
        [sys.executable, "-m", "mailroom.cli", *args],
        stderr=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env=sane_environment(slow),
    )
    assert child.stderr is not None
    said = b""
    while b"digitalizadas: 1" not in said:  # the first sheet is in
        chunk = child.stderr.read(1)
        assert chunk, said.decode()
        said += chunk
    child.send_signal(signal.SIGINT)
    out, err = child.communicate(timeout=60)
    said += err
    assert child.returncode == 130, said.decode()
    assert "No se registró ningún escrito." in said.decode()
    assert _filings(tmp_path / "datos") == 0
    assert _leftovers(tmp_path / "datos") == []


# ---- helpers -----------------------------------------------------------------------------------


def _intake_args(tmp_path: Path, *extra: str) -> list[str]:
    return [
        "intake",
        "--data-dir",
        str(tmp_path / "datos"),
        "--remitente",
        "Ana Pérez",
        "--asunto",
        "Solicitud digitalizada",
        "--sin-esperar-ocr",
        *extra,
    ]


def _cli(args: list[str], sane_folder: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mailroom.cli", "--data-dir", str(tmp_path / "datos"), *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=sane_environment(sane_folder),
        check=False,
    )


def _filings(data_dir: Path) -> int:
    if not (data_dir / "oficialia.sqlite3").exists():
        return 0
    with Store(data_dir) as store:
        return int(store.reader().execute("SELECT count(*) FROM filings").fetchone()[0])


def _leftovers(data_dir: Path) -> list[Path]:
    return tmpfiles.work_left(data_dir)
