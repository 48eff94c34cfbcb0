"""The headless demo behind ``make run``: register the sample filings, OCR them, search them."""

from __future__ import annotations

import sys
import time

from mailroom import audit, search
from mailroom.config import Settings
from mailroom.errors import DuplicateDocument
from mailroom.intake import IntakeService
from mailroom.models import Addressee, AreaRole, Channel, NewFiling, Sender
from mailroom.ocr.engine import check_tesseract
from mailroom.ocr.worker import OcrWorker
from mailroom.samples import generate_samples, samples_dir
from mailroom.store import Store

AREAS = ("Dirección de Desarrollo Urbano", "Tesorería Municipal", "Secretaría del Ayuntamiento")
QUERIES = ("peticion", "clave catastral", "Tesoreria")


def run_demo(settings: Settings) -> int:
    print(f"Oficialía — demostración sin interfaz\nCarpeta de datos: {settings.data_dir}")
    print(
        f"Tesseract {check_tesseract(settings.ocr_languages)} con idioma {settings.ocr_languages}"
    )
    started = time.perf_counter()
    # The page JPEGs of the 10-page letter are listed too (for the OCR benchmark); the demo files
    # the letter once, as its PDF.
    sample_dir = samples_dir(settings.data_dir)
    samples = [s for s in generate_samples(sample_dir) if "/" not in s.filename]
    print(f"Muestras en {sample_dir} ({time.perf_counter() - started:.1f} s)")
    with Store(settings.data_dir) as store:
        worker = OcrWorker(store, settings)
        service = IntakeService(store, settings)
        for index, sample in enumerate(samples):
            new = NewFiling(
                sender=Sender(sample.sender),
                subject=sample.subject,
                channel=Channel.VENTANILLA if sample.kind == "escaneado" else Channel.CORREO,
                addressees=(
                    Addressee(AREAS[index % len(AREAS)]),
                    Addressee(AREAS[(index + 1) % len(AREAS)], AreaRole.COPIA),
                ),
                fojas_declared=sample.pages,
            )
            t0 = time.perf_counter()
            try:
                registration = service.register(new, [sample_dir / sample.filename])
            except DuplicateDocument as duplicate:
                print(f"  {sample.filename}: ya registrado con folio {', '.join(duplicate.folios)}")
                continue
            filing = registration.filing
            print(
                f"  {filing.folio}  {sample.filename:<24} {filing.pages_scanned:>2} p.  "
                f"registrado en {(time.perf_counter() - t0) * 1000:.0f} ms (el OCR sigue aparte)"
            )
        t0 = time.perf_counter()
        progress = worker.run_until_idle()
        elapsed = time.perf_counter() - t0
        print(
            f"OCR: {progress.pages_done} páginas listas, {progress.pages_failed} fallidas "
            f"en {elapsed:.1f} s"
        )
        first_folio = next(
            iter(
                store.reader().query("SELECT folio FROM filings ORDER BY device, year, seq LIMIT 1")
            )
        )["folio"]
        for query in (*QUERIES, first_folio):
            results = search.search(store.reader(), query, limit=3)
            print(f"Búsqueda «{query}»: {len(results.hits)} resultado(s)")
            for hit in results.hits:
                print(f"  {hit.folio}  {hit.subject[:50]}\n      {hit.snippet}")
        report = audit.verify_chain(store.reader())
        print(
            f"Bitácora: {'íntegra' if report.ok else 'ALTERADA'}, {report.events_checked} eventos"
        )
    print(
        "Siguiente paso: oficialia search TEXTO · oficialia show FOLIO · oficialia libro",
        file=sys.stderr,
    )
    return 0 if report.ok else 2
