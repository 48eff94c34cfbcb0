from __future__ import annotations

import dataclasses
import hashlib
import io
from datetime import datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pdfplumber
import pypdfium2
import pytest
import segno

from mailroom.clock import FixedClock
from mailroom.config import Settings
from mailroom.errors import InvalidInput
from mailroom.intake import IntakeService
from mailroom.models import (
    Addressee,
    Annex,
    AreaRole,
    Channel,
    Document,
    DocumentId,
    Filing,
    FilingId,
    FilingStatus,
    Folio,
    NewFiling,
    Priority,
    Sender,
    Sha256,
    SyncStatus,
)
from mailroom.receipt import (
    CADENA_ORIGINAL_FIELD_NAMES,
    STAMP_BOX,
    UNSEALED_NOTICE,
    build_acuse,
    cadena_original,
)
from mailroom.samples import render_page_image
from mailroom.store import Store

ZONE = ZoneInfo("America/Mexico_City")
SHA_A = Sha256("a" * 64)
SHA_B = Sha256("0123456789abcdef" * 4)


def document(ordinal: int, sha256: str, pages: int, name: str = "escrito.pdf") -> Document:
    return Document(
        DocumentId(ordinal), ordinal, name, "application/pdf", Sha256(sha256), 1000, pages, None
    )


def known_filing(**changes: object) -> Filing:
    base = Filing(
        id=FilingId("0195d6a0-0000-7000-8000-000000000001"),
        folio=Folio("OPM-2026-C01-000007"),
        received_at=datetime(2026, 3, 9, 10, 30, tzinfo=ZONE),
        channel=Channel.VENTANILLA,
        sender=Sender(
            "María Peña Ávalos",
            curp="HEGT761003MDFRNN07",
            organization="Colonia Centro",
            position="Presidenta",
        ),
        subject="Solicitud de licencia de construcción",
        procedure_type=None,
        document_number="S/N",
        document_date=None,
        addressees=(Addressee("Desarrollo Urbano"), Addressee("Tesorería", AreaRole.COPIA)),
        fojas_declared=3,
        pages_scanned=3,
        annexes=(Annex("Copia de identificación", 1), Annex("Plano", 2)),
        priority=Priority.NORMAL,
        response_due=None,
        observations="",
        sensitive=False,
        clerk="ventanilla1",
        status=FilingStatus.REGISTRADA,
        sync_status=SyncStatus.PENDIENTE,
        institutional_folio=None,
        duplicate_override_reason=None,
        documents=(document(1, SHA_A, 2, "escrito.pdf"), document(2, SHA_B, 1, "plano.jpg")),
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def pdf_text(pdf: bytes) -> str:
    with pdfplumber.open(io.BytesIO(pdf)) as opened:
        return "\n".join(page.extract_text() or "" for page in opened.pages)


def squashed(text: str) -> str:
    return "".join(text.split())


def test_cadena_original_has_the_documented_fields_in_order(settings: Settings) -> None:
    assert cadena_original(known_filing(), settings) == (
        "||OPM|OPM-2026-C01-000007|2026-03-09T10:30:00-06:00|ventanilla|María Peña Ávalos|"
        "|HEGT761003MDFRNN07|Solicitud de licencia de construcción|"
        "Desarrollo Urbano:directo;Tesorería:copia|3|3|Copia de identificación:1;Plano:2|"
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa:2;"
        "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef:1|ventanilla1||"
    )
    assert len(CADENA_ORIGINAL_FIELD_NAMES) == 14


def test_pipes_and_line_breaks_cannot_break_the_structure(settings: Settings) -> None:
    filing = known_filing(
        subject="Queja | vecinal\r\n  sobre   el\tpar\x00que \x07",
        sender=Sender("Ana\nRuiz", rfc="RUAA800101AB1"),
        annexes=(Annex("Fotos; 3 | impresas", 3),),
        fojas_declared=None,
    )
    cadena = cadena_original(filing, settings)
    fields = cadena.removeprefix("||").removesuffix("||").split("|")
    assert len(fields) == len(CADENA_ORIGINAL_FIELD_NAMES)
    named = dict(zip(CADENA_ORIGINAL_FIELD_NAMES, fields, strict=True))
    assert named["subject"] == "Queja / vecinal sobre el parque"
    assert named["sender_name"] == "Ana Ruiz"
    assert named["sender_rfc"] == "RUAA800101AB1" and named["sender_curp"] == ""
    assert named["annexes"] == "Fotos, 3 / impresas:3"
    assert named["fojas_declared"] == ""
    assert "\n" not in cadena


def test_digest_is_the_sha256_of_the_cadena(settings: Settings) -> None:
    acuse = build_acuse(known_filing(), settings)
    assert acuse.cadena_original == cadena_original(known_filing(), settings)
    assert acuse.digest == hashlib.sha256(acuse.cadena_original.encode("utf-8")).hexdigest()
    query = parse_qs(urlsplit(acuse.verification_url).query)
    assert acuse.verification_url.startswith("https://verifica.example.gob.mx/acuse?")
    assert query == {"folio": ["OPM-2026-C01-000007"], "digest": [acuse.digest]}


def test_verification_url_encodes_the_folio(settings: Settings) -> None:
    acuse = build_acuse(
        known_filing(folio=Folio("OPM/2026 #7&x")),
        settings,
        verification_base_url="https://verifica.test/a?v=1",
    )
    assert acuse.verification_url.startswith(
        "https://verifica.test/a?v=1&folio=OPM%2F2026+%237%26x&"
    )
    assert parse_qs(urlsplit(acuse.verification_url).query)["folio"] == ["OPM/2026 #7&x"]


def test_a_reception_time_without_offset_is_refused(settings: Settings) -> None:
    with pytest.raises(InvalidInput, match="no tiene zona horaria"):
        cadena_original(known_filing(received_at=datetime(2026, 3, 9, 10, 30)), settings)


def scan(path: Path, line: str) -> Path:
    render_page_image([line], dpi=150).save(path, "JPEG", dpi=(150, 150), quality=80)
    return path


def test_acuse_of_a_registered_filing_shows_what_the_citizen_needs(
    store: Store, settings: Settings, tmp_path: Path
) -> None:
    service = IntakeService(
        store, settings, clock=FixedClock(datetime(2026, 3, 9, 10, 30, tzinfo=ZONE))
    )
    new = NewFiling(
        sender=Sender("José Ñúñez Güemes", rfc="NUGJ800101AB6", organization="Ejido San Ángel"),
        subject="Solicitud de licencia de construcción",
        addressees=(Addressee("Desarrollo Urbano"), Addressee("Tesorería", AreaRole.COPIA)),
        fojas_declared=2,
        annexes=(Annex("Copia de identificación", 1),),
    )
    files = [scan(tmp_path / "uno.jpg", "Escrito uno"), scan(tmp_path / "dos.jpg", "Escrito dos")]
    filing = service.register(new, files).filing
    acuse = build_acuse(filing, settings)
    text = pdf_text(acuse.pdf)
    flat = " ".join(text.split())
    assert "ACUSE DE RECIBO" in text and filing.folio in text
    assert "Oficialía de Partes Municipal" in text
    assert "José Ñúñez Güemes" in text and "Ejido San Ángel" in text and "NUGJ800101AB6" in text
    assert "9 de marzo de 2026, 10:30:00 (UTC-06:00)" in text
    assert "Sincronización pendiente" in flat and "Con copia Tesorería" in flat
    for stored in filing.documents:
        assert stored.sha256 in squashed(text)
    assert acuse.digest in squashed(text)
    assert " ".join(UNSEALED_NOTICE.split()) in flat
    assert "no coinciden" not in text  # 2 declared, 2 scanned


def test_a_fojas_mismatch_is_stated_plainly(settings: Settings) -> None:
    text = " ".join(pdf_text(build_acuse(known_filing(fojas_declared=5), settings).pdf).split())
    assert "Fojas declaradas 5" in text and "Páginas digitalizadas 3" in text
    assert "Las fojas declaradas (5) no coinciden con las páginas digitalizadas (3)" in text


def test_sealed_acuse_has_no_unsealed_notice_and_shows_the_institutional_folio(
    settings: Settings,
) -> None:
    filing = known_filing(sync_status=SyncStatus.SINCRONIZADA, institutional_folio="EDO-2026-99")
    text = " ".join(pdf_text(build_acuse(filing, settings, sealed=True).pdf).split())
    assert "SIN SELLO" not in text
    assert "Sincronización sincronizada" in text and "Folio institucional EDO-2026-99" in text


def qr_modules_on_page(pdf: bytes, url: str) -> tuple[list[list[bool]], list[list[bool]]]:
    """Sample the rendered QR at each module's centre, next to what segno makes of ``url``."""
    qr = segno.make(url, error="m", micro=False)
    expected = [[bool(v) for v in row] for row in qr.matrix]
    with pdfplumber.open(io.BytesIO(pdf)) as opened:
        [image] = opened.pages[0].images
        box = (image["x0"], image["top"], image["x1"], image["bottom"])
    scale = 4
    bitmap = pypdfium2.PdfDocument(pdf)[0].render(scale=scale).to_pil().convert("L")
    quiet = 4  # segno's default border, in modules
    modules = len(expected) + 2 * quiet
    step = (box[2] - box[0]) / modules
    seen = [
        [
            bitmap.getpixel(
                (
                    int((box[0] + (col + quiet + 0.5) * step) * scale),
                    int((box[1] + (row + quiet + 0.5) * step) * scale),
                )
            )
            < 128
            for col in range(len(expected))
        ]
        for row in range(len(expected))
    ]
    return seen, expected


def test_the_qr_carries_the_verification_url(settings: Settings) -> None:
    # No QR decoder is installed here: compare the printed modules with segno's matrix for the
    # URL instead, which fails for any other content (a different digest changes the matrix).
    acuse = build_acuse(known_filing(), settings)
    seen, expected = qr_modules_on_page(acuse.pdf, acuse.verification_url)
    assert seen == expected
    _, other = qr_modules_on_page(acuse.pdf, acuse.verification_url.replace("digest=", "digest=0"))
    assert seen != other


def test_the_stamp_box_on_the_last_page_stays_empty(settings: Settings) -> None:
    many = tuple(
        document(i, hashlib.sha256(str(i).encode()).hexdigest(), 1, f"anexo_{i:02d}.pdf")
        for i in range(40)
    )
    x0, y0, x1, y1 = STAMP_BOX
    for sealed in (False, True):
        for filing in (known_filing(), known_filing(documents=many, pages_scanned=40)):
            pdf = build_acuse(filing, settings, sealed=sealed).pdf
            with pdfplumber.open(io.BytesIO(pdf)) as opened:
                last = opened.pages[-1]
                if filing.documents == many:
                    assert len(opened.pages) > 1
                inside = [
                    c["text"]
                    for c in last.chars
                    if c["x1"] > x0 and c["x0"] < x1 and c["y1"] > y0 and c["y0"] < y1
                ]
                assert inside == []
                covered = [
                    i
                    for i in last.images
                    if i["x1"] > x0 and i["x0"] < x1 and i["y1"] > y0 and i["y0"] < y1
                ]
                assert covered == []


def test_the_same_filing_always_gives_the_same_bytes(settings: Settings) -> None:
    assert build_acuse(known_filing(), settings).pdf == build_acuse(known_filing(), settings).pdf


def test_acuses_built_in_parallel_threads_match_the_serial_ones(settings: Settings) -> None:
    # The faces are parsed once per process and shared; what fpdf2 mutates is per document.
    from concurrent.futures import ThreadPoolExecutor

    filings = [known_filing(folio=Folio(f"OPM-2026-C01-{n:06d}")) for n in range(1, 13)]
    serial = [build_acuse(f, settings, sealed=n % 2 == 0).pdf for n, f in enumerate(filings)]
    with ThreadPoolExecutor(max_workers=6) as pool:
        parallel = list(
            pool.map(
                lambda item: build_acuse(item[1], settings, sealed=item[0] % 2 == 0).pdf,
                enumerate(filings),
            )
        )
    assert parallel == serial
    assert "OPM-2026-C01-000012" in pdf_text(parallel[-1])


def test_a_name_outside_the_common_scripts_still_prints(settings: Settings) -> None:
    # Armenian is not in the reduced faces; the acuse is laid out again with the full fonts.
    filing = known_filing(sender=Sender("Արամ Խաչատրյան"), subject="Trámite ☃ ⌘")
    text = pdf_text(build_acuse(filing, settings).pdf)
    assert "Արամ Խաչատրյան" in text and "☃" in text
