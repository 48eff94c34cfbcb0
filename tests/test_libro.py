"""The libro de registro: CSV and PDF of a day or a range, from filings registered from the real
sample scans; totals, folio order, wrapped cells, atomic files, Spanish refusals."""

from __future__ import annotations

import csv
import dataclasses
import io
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pdfplumber
import pytest

from mailroom import libro, libro_pdf
from mailroom.cli import main
from mailroom.clock import FixedClock
from mailroom.config import Settings
from mailroom.errors import InvalidInput, StorageError
from mailroom.intake import IntakeService
from mailroom.models import Addressee, Annex, AreaRole, NewFiling, Sender
from mailroom.routing import RoutingService
from mailroom.samples import generate_samples, render_page_image
from mailroom.store import Store

ZONE = ZoneInfo("America/Mexico_City")
SAMPLES = Path(__file__).resolve().parents[1] / "resources" / "samples"
MONDAY, TUESDAY = date(2026, 3, 9), date(2026, 3, 10)
PRINTED_AT = datetime(2026, 3, 10, 18, 5, tzinfo=ZONE)
# Registered in this order: three on Monday, two on Tuesday (folio order = registration order).
FILES = (
    ("escrito-10-fojas.pdf", MONDAY),
    ("solicitud.jpg", MONDAY),
    ("comprobante.png", MONDAY),
    ("anexos.tif", TUESDAY),
    ("oficio-digital.pdf", TUESDAY),
)


@dataclasses.dataclass(frozen=True)
class Office:
    store: Store
    settings: Settings
    folios: dict[date, list[str]]
    pages: dict[date, int]


def register_samples(store: Store, settings: Settings) -> Office:
    """The five sample scans registered over two days; the first one routed (turnada)."""
    # The samples are generated, not kept in git; this makes them on a fresh clone.
    manifest = {sample.filename: sample for sample in generate_samples(SAMPLES)}
    folios: dict[date, list[str]] = {MONDAY: [], TUESDAY: []}
    pages = {MONDAY: 0, TUESDAY: 0}
    for number, (name, day) in enumerate(FILES):
        sample = manifest[name]
        clock = FixedClock(datetime(day.year, day.month, day.day, 9, 15 + number, tzinfo=ZONE))
        new = NewFiling(
            sender=Sender(sample.sender, organization="Asociación de Colonos, A.C."),
            subject=sample.subject,
            addressees=(Addressee("Obras Públicas"), Addressee("Catastro", AreaRole.COPIA)),
            fojas_declared=sample.pages,
            annexes=(Annex("Copia de identificación oficial", 1),),
        )
        filing = IntakeService(store, settings, clock=clock).register(new, [SAMPLES / name]).filing
        folios[day].append(filing.folio)
        pages[day] += filing.pages_scanned
    first = folios[MONDAY][0]
    RoutingService(store, settings, clock).route(first, [Addressee("Obras Públicas")])
    return Office(store, settings, folios, pages)


@pytest.fixture(scope="module")
def office(tmp_path_factory: pytest.TempPathFactory):
    # Built once for the module (about two seconds); Settings made directly, so no configuration
    # file or variable of the machine running the tests is read.
    settings = Settings(data_dir=tmp_path_factory.mktemp("oficina"), clerk="ventanilla1")
    with Store(settings.data_dir) as store:
        yield register_samples(store, settings)


def pdf_text(path: Path) -> list[str]:
    with pdfplumber.open(path) as pdf:
        return [page.extract_text() or "" for page in pdf.pages]


def test_csv_of_a_day_is_in_folio_order_and_opens_right_in_excel(office, tmp_path) -> None:
    target = tmp_path / "libro.csv"
    totals = libro.export_csv(office.store.reader(), libro.Period.day(MONDAY), target)
    data = target.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")  # the BOM: Excel reads UTF-8, «Núñez» stays right
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert [r["Folio"] for r in rows] == office.folios[MONDAY]
    assert rows[2]["Remitente"] == "Rubén Darío Núñez Álvarez"
    assert rows[0]["Área turnada"] == "Obras Públicas; Catastro (copia)"
    assert rows[0]["Estado"] == "turnada" and rows[1]["Estado"] == "registrada"
    assert (totals.filings, totals.pages_scanned) == (3, office.pages[MONDAY])
    assert totals.summary == f"3 escritos, {office.pages[MONDAY]} páginas"
    assert list(tmp_path.iterdir()) == [target]  # no temporary file left beside it


def test_standard_output_csv_stays_plain(office) -> None:
    out = io.StringIO()
    assert libro.write_csv(office.store.reader(), TUESDAY, out) == 2
    assert not out.getvalue().startswith("\ufeff")
    assert [r["Folio"] for r in csv.DictReader(io.StringIO(out.getvalue()))] == office.folios[
        TUESDAY
    ]


def test_a_cell_that_looks_like_a_formula_is_defused_for_excel(store, settings, tmp_path) -> None:
    clock = FixedClock(datetime(2026, 3, 9, 11, 0, tzinfo=ZONE))
    scan = tmp_path / "hoja.jpg"
    render_page_image(["Queja vecinal"], dpi=150).save(scan, "JPEG", dpi=(150, 150))
    new = NewFiling(sender=Sender("=HIPERVINCULO(1)"), subject="+52 fuga de agua")
    IntakeService(store, settings, clock=clock).register(new, [scan])
    target = tmp_path / "libro.csv"
    libro.export_csv(store.reader(), libro.Period.day(MONDAY), target)
    row = next(csv.DictReader(io.StringIO(target.read_text("utf-8-sig"))))
    assert (row["Remitente"], row["Asunto"]) == ("'=HIPERVINCULO(1)", "'+52 fuga de agua")
    plain = io.StringIO()
    libro.write_csv(store.reader(), MONDAY, plain)  # for scripts: the stored value
    assert next(csv.DictReader(io.StringIO(plain.getvalue())))["Remitente"] == "=HIPERVINCULO(1)"


def test_pdf_of_a_range_has_every_folio_the_totals_and_the_signature_lines(
    office, tmp_path
) -> None:
    target = tmp_path / "libro.pdf"
    period = libro.Period(MONDAY, TUESDAY)
    printed = libro_pdf.export_pdf(
        office.store.reader(), period, target, office.settings, PRINTED_AT
    )
    with pdfplumber.open(target) as pdf:
        assert all(page.width > page.height for page in pdf.pages)  # landscape letter
        assert (round(pdf.pages[0].width), round(pdf.pages[0].height)) == (792, 612)
    text = "\n".join(pdf_text(target))
    for folio in office.folios[MONDAY] + office.folios[TUESDAY]:
        assert folio in text  # one piece: a folio never wraps
    pages = office.pages[MONDAY] + office.pages[TUESDAY]
    assert f"Escritos: 5 · Páginas digitalizadas: {pages}" in text
    assert "Por estado: registrada: 4 · turnada: 1" in text
    assert "Libro de registro del 09/03/2026 al 10/03/2026" in text
    assert "Impreso el 10/03/2026 18:05 (UTC-06:00)" in text
    assert f"Página 1 de {printed.pages}" in text
    assert "Recibió (nombre y firma)" in text and "Supervisor(a) (nombre y firma)" in text
    assert text.index(office.folios[MONDAY][0]) < text.index(office.folios[TUESDAY][-1])
    assert printed.totals.filings == 5


def test_long_cells_wrap_and_a_row_taller_than_a_page_goes_on(store, settings, tmp_path) -> None:
    words = [f"palabra{n:04d}" for n in range(240)]
    subject = " ".join(words)  # 2,000 characters, the most a subject may have
    clock = FixedClock(datetime(2026, 3, 9, 12, 0, tzinfo=ZONE))
    scan = tmp_path / "hoja.jpg"
    render_page_image(["Escrito largo"], dpi=150).save(scan, "JPEG", dpi=(150, 150))
    new = NewFiling(sender=Sender("Ana"), subject=subject[:2000], document_number="X" * 60)
    folio = IntakeService(store, settings, clock=clock).register(new, [scan]).filing.folio
    target = tmp_path / "largo.pdf"
    printed = libro_pdf.export_pdf(
        store.reader(), libro.Period.day(MONDAY), target, settings, PRINTED_AT
    )
    text = " ".join(pdf_text(target))
    assert printed.pages >= 2 and folio in text
    kept = subject[:2000].split()
    assert all(word in text for word in kept[:-1])  # the last may have been cut at 2,000
    assert text.count("X") == 60  # the unbroken number, wrapped by character, all there


def test_wrap_keeps_every_character_within_the_column() -> None:
    pdf = libro_pdf._Document(
        Settings(data_dir=Path("/nonexistent")), libro.Period.day(MONDAY), PRINTED_AT
    )
    libro_pdf.fonts.add_fonts(pdf)
    pdf.set_font(libro_pdf.FONT, "", libro_pdf.SIZE)
    text = "Oficio CEAS/DG/0457/2025/SUBDIRECCION-TECNICA programa\nde obras   2025"
    lines = libro_pdf.wrap(pdf, text, 40)
    assert all(pdf.get_string_width(line) <= 40 for line in lines)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "").replace("\n", "")
    # Broken after a slash where one fits, not in the middle of a number.
    assert lines[1:3] == ["CEAS/DG/", "0457/2025/"]


def test_an_empty_day_is_a_pdf_that_says_so(office, tmp_path) -> None:
    target = tmp_path / "vacio.pdf"
    printed = libro_pdf.export_pdf(
        office.store.reader(),
        libro.Period.day(MONDAY - timedelta(days=1)),
        target,
        office.settings,
        PRINTED_AT,
    )
    text = pdf_text(target)[0]
    assert printed.pages == 1 and printed.totals.filings == 0
    assert "Sin escritos registrados en este periodo." in text
    assert "Escritos: 0 · Páginas digitalizadas: 0" in text
    assert "Recibió (nombre y firma)" in text


def test_a_backwards_range_is_refused_in_spanish() -> None:
    with pytest.raises(InvalidInput) as raised:
        libro.Period(TUESDAY, MONDAY)
    assert (
        str(raised.value) == "La fecha inicial (2026-03-10) es posterior a la final (2026-03-09)."
    )


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path) -> None:
    target = tmp_path / "libro.csv"
    target.write_text("el libro de ayer")

    def broken(handle) -> None:  # type: ignore[no-untyped-def]
        handle.write(b"la mitad de un libro")
        raise OSError(28, "No space left on device")

    with pytest.raises(StorageError) as raised:
        libro.write_atomically(target, broken)
    assert "No se pudo guardar" in str(raised.value) and "espacio libre" in str(raised.value)
    assert target.read_text() == "el libro de ayer"
    assert list(tmp_path.iterdir()) == [target]


def test_saving_into_a_missing_folder_says_what_to_check(store, tmp_path) -> None:
    with pytest.raises(StorageError) as raised:
        libro.export_csv(store.reader(), libro.Period.day(MONDAY), tmp_path / "no" / "x.csv")
    assert "Revise que la carpeta exista" in str(raised.value)


def test_cli_writes_the_pdf_and_the_csv_of_a_range(office, tmp_path, capsys) -> None:
    pdf, csv_path = tmp_path / "libro.pdf", tmp_path / "libro.csv"
    home = str(office.settings.data_dir)
    code = main(
        ["libro", "--data-dir", home, "--desde", "2026-03-09", "--hasta", "2026-03-10",
         "--pdf", str(pdf), "-o", str(csv_path)]
    )  # fmt: skip
    err = capsys.readouterr().err
    assert code == 0
    assert "5 escritos" in err and "del 09/03/2026 al 10/03/2026" in err
    assert all(folio in "\n".join(pdf_text(pdf)) for folio in office.folios[TUESDAY])
    assert csv_path.read_bytes().startswith(b"\xef\xbb\xbf")
    code = main(["libro", "--data-dir", home, "--desde", "2026-03-10", "--hasta", "2026-03-09"])
    assert code == 65
    assert "La fecha inicial (2026-03-10) es posterior a la final" in capsys.readouterr().err
