"""Sensitive filings: the acuse and the libro show the sender's CURP, RFC, e-mail and phone
masked (a filing not marked sensitive shows them whole), the masked acuse can still be sealed
later (same cadena digest), and opening a sensitive filing's documents is audited by account."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pdfplumber
import pytest
from accounts_helpers import seated

from mailroom import libro, libro_pdf
from mailroom.acuses import AcuseService
from mailroom.cli import main
from mailroom.clock import FixedClock
from mailroom.config import Settings, load_settings
from mailroom.document_access import OPENED_EVENT
from mailroom.filing_detail import FilingDetailService
from mailroom.filings import get_filing
from mailroom.intake import IntakeService
from mailroom.masking import mask_curp, mask_email, mask_phone, mask_rfc
from mailroom.models import Filing, NewFiling, Sender
from mailroom.receipt import build_acuse, cadena_original
from mailroom.samples import render_page_image
from mailroom.store import Store

ZONE = ZoneInfo("America/Mexico_City")
DAY = date(2026, 3, 9)
CURP, RFC = "HEGT761003MDFRNN07", "GODE561231GR8"
EMAIL, PHONE = "maria.pena@ejemplo.mx", "55 1234 5678"
CLEAR = (CURP, RFC, EMAIL, "12345678")
MASKED = ("HEGT************07", "GODE******GR8", "m***@e***.mx", "** **** 5678")


def register(store: Store, settings: Settings, tmp_path: Path, *, sensitive: bool) -> Filing:
    page = tmp_path / f"escrito-{sensitive}.jpg"
    render_page_image([f"Denuncia {sensitive}"], dpi=100).save(page, "JPEG", dpi=(100, 100))
    new = NewFiling(
        sender=Sender("María Peña Ávalos", curp=CURP, rfc=RFC, email=EMAIL, phone=PHONE),
        subject="Denuncia de maltrato",
        sensitive=sensitive,
    )
    clock = FixedClock(datetime(2026, 3, 9, 10, 30, tzinfo=ZONE))
    return IntakeService(store, settings, clock=clock).register(new, [page]).filing


def squashed(text: str) -> str:
    return "".join(text.split())


def pdf_text(data: bytes) -> str:
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        return squashed("".join(page.extract_text() or "" for page in pdf.pages))


def pdf_column(data: bytes, heading: str, next_heading: str) -> str:
    """The text of one column of the libro's table (the whole text interleaves the columns)."""
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        page = pdf.pages[0]
        words = page.extract_words()
        left = next(w["x0"] for w in words if w["text"] == heading)
        right = next(w["x0"] for w in words if w["text"] == next_heading)
        return squashed(page.crop((left - 1, 0, right - 1, page.height)).extract_text())


def test_the_masks_keep_only_what_the_citizen_needs_to_recognise_them() -> None:
    assert mask_curp(CURP) == "HEGT************07"
    assert mask_rfc(RFC) == "GODE******GR8"
    assert mask_rfc("ABC850101XY1") == "ABC******XY1"  # a company's RFC: 12 characters
    assert mask_email(EMAIL) == "m***@e***.mx"
    assert mask_email("a@b.com") == "a***@b***.com"  # always three stars: no length told
    assert mask_phone(PHONE) == "** **** 5678"
    assert mask_phone("(55) 1234-5678") == "(**) ****-5678"
    assert mask_phone("123456") == "****56"  # a short number keeps fewer digits


def test_a_sensitive_acuse_shows_the_identifiers_masked(store, settings, tmp_path) -> None:
    filing = register(store, settings, tmp_path, sensitive=True)
    stored = AcuseService(store, settings).current(filing.folio)
    text = pdf_text(stored.pdf)

    for value in (CURP, RFC, EMAIL):
        assert value not in text
    assert "HEGT************07" in text and "GODE******GR8" in text
    assert squashed("la CURP y el RFC del remitente se muestran ocultos en parte") in text
    # The cadena carries the masked values too (it is printed on the page), and rebuilding it
    # from the stored filing gives the stored digest: the acuse can still be sealed later.
    cadena = cadena_original(get_filing(store.reader(), filing.id), settings)
    assert "|GODE******GR8|HEGT************07|" in cadena and CURP not in cadena
    assert build_acuse(get_filing(store.reader(), filing.id), settings).digest == (
        stored.cadena_digest
    )


def test_an_ordinary_acuse_shows_them_whole(store, settings, tmp_path) -> None:
    filing = register(store, settings, tmp_path, sensitive=False)
    text = pdf_text(AcuseService(store, settings).current(filing.folio).pdf)
    assert CURP in text and RFC in text
    assert "ocultos en parte" not in text
    assert f"|{RFC}|{CURP}|" in cadena_original(filing, settings)


def libro_outputs(store: Store, settings: Settings, tmp_path: Path) -> dict[str, str]:
    period = libro.Period.day(DAY)
    db = store.reader()
    plain = io.StringIO()
    libro.write_csv_rows(db, period, plain)
    target = tmp_path / "libro.csv"
    libro.export_csv(db, period, target)
    printed = libro_pdf.render(db, period, settings, datetime(2026, 3, 9, 18, 0, tzinfo=ZONE))
    return {
        "vista": squashed(" ".join(" ".join(row) for row in libro.preview(db, period).rows)),
        "csv": squashed(plain.getvalue()),
        "csv excel": squashed(target.read_text("utf-8-sig")),
        "pdf": pdf_text(printed.data),
        "columna del pdf": pdf_column(printed.data, "CURP,", "Asunto"),
    }


def test_the_libro_masks_a_sensitive_filing_everywhere(store, settings, tmp_path) -> None:
    register(store, settings, tmp_path, sensitive=True)
    for where, text in libro_outputs(store, settings, tmp_path).items():
        for value in CLEAR:
            assert value not in text, f"{value} aparece en el libro ({where})"
        for value in MASKED if where != "pdf" else ():
            assert squashed(value) in text, f"falta {value} en el libro ({where})"


def test_the_libro_shows_an_ordinary_filing_whole(store, settings, tmp_path) -> None:
    register(store, settings, tmp_path, sensitive=False)
    for where, text in libro_outputs(store, settings, tmp_path).items():
        if where == "pdf":
            continue  # the cells wrap: their text interleaves with the next columns'
        for value in (CURP, RFC, EMAIL, squashed(PHONE)):
            assert value in text, f"falta {value} en el libro ({where})"


def test_the_libro_csv_has_one_column_for_them(store, settings, tmp_path) -> None:
    register(store, settings, tmp_path, sensitive=True)
    out = io.StringIO()
    libro.write_csv_rows(store.reader(), libro.Period.day(DAY), out)
    (row,) = csv.DictReader(io.StringIO(out.getvalue()))
    assert row["CURP, RFC y contacto"] == (
        "CURP HEGT************07 · RFC GODE******GR8 · m***@e***.mx · tel. ** **** 5678"
    )


def opened_events(store: Store) -> list[dict[str, object]]:
    return list(store.reader().query("SELECT * FROM events WHERE kind = ?", [OPENED_EVENT]))


def test_opening_a_sensitive_filing_is_audited_by_account(store, settings, tmp_path) -> None:
    sensitive = register(store, settings, tmp_path, sensitive=True)
    ordinary = register(store, settings, tmp_path, sensitive=False)
    oficial = seated(store, settings, "oficial", "luis.ortega")
    detail = FilingDetailService(
        store, oficial, FixedClock(datetime(2026, 3, 9, 12, 0, tzinfo=ZONE))
    )

    data = detail.load(sensitive.folio)

    assert data.pages  # the documents are shown ...
    (event,) = opened_events(store)  # ... and the trail says who opened them and when
    payload = json.loads(str(event["payload"]))
    assert event["actor"] == "luis.ortega" and event["filing_uuid"] == sensitive.id
    assert event["at"].startswith("2026-03-09T12:00")
    assert payload == {
        "folio": sensitive.folio,
        "documentos": [d.id for d in sensitive.documents],
        "desde": "ficha",
    }
    history = detail.history(sensitive.id)
    assert history[-1].label == "Documentos consultados (escrito con datos sensibles)"
    # An ordinary filing's opening is not recorded: the trail would grow at every click.
    detail.load(ordinary.folio)
    assert len(opened_events(store)) == 1


def test_the_command_line_audits_reading_the_text(store, settings, tmp_path, capsys) -> None:
    sensitive = register(store, settings, tmp_path, sensitive=True)
    data = ["--data-dir", str(settings.data_dir)]
    store.close()  # the command opens its own

    assert main(["show", sensitive.folio, *data]) == 0
    with Store(settings.data_dir) as reopened:
        assert opened_events(reopened) == []  # the summary shows no document content
    assert main(["show", sensitive.folio, "--texto", *data]) == 0
    capsys.readouterr()
    with Store(settings.data_dir) as reopened:
        (event,) = opened_events(reopened)
    assert json.loads(str(event["payload"]))["desde"] == "oficialia show --texto"
    # No accounts in this store: the operating system's user acts.
    assert event["actor"] == load_settings(settings.data_dir).clerk


def test_someone_refused_sees_nothing(store, settings, tmp_path) -> None:
    from mailroom.permissions import Forbidden

    sensitive = register(store, settings, tmp_path, sensitive=True)
    seated(store, settings, "oficial")  # now the store has accounts: an empty seat is refused
    with pytest.raises(Forbidden, match="iniciar sesión"):
        FilingDetailService(store, settings).load(sensitive.folio)
    assert opened_events(store) == []
