"""Run by tests/test_crash.py: register filings and OCR them in a loop until killed."""

from __future__ import annotations

import os
import random
import sys
import time

from mailroom import tmpfiles
from mailroom.config import load_settings
from mailroom.filings import ocr_progress
from mailroom.intake import IntakeService
from mailroom.models import NewFiling, Sender
from mailroom.ocr.worker import OcrWorker
from mailroom.samples import render_page_image
from mailroom.store import Store

WORDS = ("licencia", "petición", "alumbrado", "predio", "queja", "año", "señal", "jardín")


def main(data_dir: str, seed: int) -> None:
    rng = random.Random(seed)
    settings = load_settings(data_dir, clerk="crash", ocr_workers=2, default_dpi=100)
    store = Store(settings.data_dir)
    worker = OcrWorker(store, settings)
    worker.start()  # resumes whatever the previous, killed, process left pending
    service = IntakeService(store, settings, on_registered=worker.notify)
    # Where the app itself keeps work: a killed child's pages go with the next command's sweep.
    scratch = tmpfiles.work_folder(settings.data_dir, "paginas-")
    for n in range(1_000_000):
        lines = [f"Escrito {seed}-{n} {os.getpid()}", " ".join(rng.sample(WORDS, 4))]
        pages = []
        for p in range(rng.choice((1, 1, 2))):
            path = scratch / f"{n}-{p}.jpg"
            render_page_image([*lines, f"hoja {p + 1}"], dpi=100).save(path, "JPEG", dpi=(100, 100))
            pages.append(path)
        filing = service.register(NewFiling(Sender("Prueba de caída"), f"Asunto {n}"), pages)
        print(filing.filing.folio, flush=True)
        # Keep OCR busy but not hopelessly behind, so kills land in both registration and OCR.
        while ocr_progress(store.reader()).pages_pending > 2:
            worker.notify()
            time.sleep(0.05)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
