"""The counter's wiring: register + seal in one call, and the background work it wakes."""

from __future__ import annotations

import time
from pathlib import Path

from mailroom.config import Settings
from mailroom.models import Addressee, NewFiling, Sender
from mailroom.workstation import Workstation
from tests.test_acuses import scan, self_made_signer, text_of


def _new(subject: str = "Licencia de construcción") -> NewFiling:
    return NewFiling(
        sender=Sender("María Pérez López"),
        subject=subject,
        addressees=(Addressee("Dirección de Desarrollo Urbano"),),
        fojas_declared=1,
    )


def test_registering_with_the_efirma_open_hands_over_a_sealed_acuse(
    settings: Settings, tmp_path: Path
) -> None:
    with Workstation(settings) as workstation:
        outcome = workstation.register(
            _new(), [scan(tmp_path / "a.jpg")], signer=self_made_signer()
        )
        assert outcome.seal_problem is None
        assert outcome.acuse.sealed
        assert outcome.acuse.folio == outcome.registration.filing.folio
        assert outcome.registration.filing.folio in text_of(outcome.acuse.pdf)


def test_with_the_efirma_closed_the_filing_is_registered_and_the_acuse_waits(
    settings: Settings, tmp_path: Path
) -> None:
    with Workstation(settings) as workstation:
        outcome = workstation.register(_new(), [scan(tmp_path / "a.jpg")])
        assert not outcome.acuse.sealed
        assert outcome.seal_problem == "La e.firma está cerrada: el acuse queda por sellar."
        assert [p.folio for p in workstation.acuses.pending()] == [
            outcome.registration.filing.folio
        ]


def test_a_registration_wakes_the_ocr_queue_and_closing_stops_it(
    settings: Settings, tmp_path: Path
) -> None:
    workstation = Workstation(settings)
    try:
        workstation.start()
        status = workstation.status()
        assert not status.enrolled and not status.sync_running  # not enrolled: no sync loop
        workstation.register(_new(), [scan(tmp_path / "a.jpg", "Solicitud de alineamiento")])
        # The OCR worker runs in its own thread; the status reports its progress.
        deadline = time.monotonic() + 60
        while workstation.status().ocr.pages_pending and time.monotonic() < deadline:
            time.sleep(0.1)
        progress = workstation.status().ocr
        assert progress.pages_pending == 0 and progress.pages_done == 1
    finally:
        workstation.close()
    assert workstation.ocr._thread is not None and not workstation.ocr._thread.is_alive()
