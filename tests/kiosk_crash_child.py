"""Child processes for tests/test_kiosk_crash.py.

``scan DATA``: a kiosk citizen mid-scan — the kiosk's desk reads the feeder of SANE's ``test``
scanner (slowed by the parent's SANE configuration) and prints ``pagina`` as each page lands in
the session's work folder; the parent SIGKILLs it there.

``register DATA``: a kiosk registering escritos one after another (each from a photo of a page,
through the same capture and registration as a citizen's), printing each folio once committed,
until the parent cuts the power (SIGKILL) at an arbitrary moment.

``restart DATA``: the kiosk started again through the command line's entry (offscreen, in a
window), left running until its citizen screens are up, then closed.
"""

from __future__ import annotations

import sys
from pathlib import Path


def scan(data_dir: Path) -> None:
    from kiosk.desk import KioskDesk
    from mailroom.capture.sane_options import ScanSettings
    from mailroom.config import load_settings
    from mailroom.entry import temporary_files

    with temporary_files(["--data-dir", str(data_dir), "kiosk"]):
        desk = KioskDesk(load_settings(data_dir))
        capture = desk.new_capture()
        photo = desk.photo_folder() / "foto-1.png"
        photo.write_bytes(b"\x89PNG pagina fotografiada")

        def landed(page: object) -> None:
            print("pagina", flush=True)

        capture.read("sane:test:0", scan=ScanSettings(resolution=150, source="adf"), on_page=landed)
        print("terminado", flush=True)


def register(data_dir: Path) -> None:
    from kiosk.desk import KioskDesk
    from kiosk.session import Answers, Identity, Topic
    from mailroom.config import load_settings
    from mailroom.entry import temporary_files
    from mailroom.samples import render_page_image

    with temporary_files(["--data-dir", str(data_dir), "kiosk"]):
        desk = KioskDesk(load_settings(data_dir, default_dpi=100))
        for n in range(1_000_000):
            page = desk.photo_folder() / f"hoja-{n}.png"
            render_page_image([f"Escrito del quiosco {n}", "Solicitud"], dpi=100).save(page)
            capture = desk.new_capture()
            capture.add(capture.read(f"file:{page}"))
            topic = Topic(subject=f"Asunto {n}", unsure=True)
            answers = Answers("a" * 64, Identity(name=f"Ciudadana {n}"), topic, pages=1, fojas=1)
            print(desk.register(answers, capture).folio, flush=True)
            desk.discard_capture()


def restart(data_dir: Path) -> int:
    from PySide6.QtCore import QTimer

    from mailroom.entry import main
    from mailroom.ui.shell import application

    app = application()
    started: list[bool] = []

    def watch() -> None:
        from kiosk.app import KioskShell

        shells = [w for w in app.topLevelWidgets() if isinstance(w, KioskShell)]
        if shells and shells[0].parts is not None and not started:
            started.append(True)
            print("bienvenida", flush=True)
            # exit(), not quit(): quit() first asks every window to close, and the locked-down
            # kiosk refuses.
            QTimer.singleShot(200, lambda: app.exit(0))

    timer = QTimer()
    timer.timeout.connect(watch)
    timer.start(50)
    QTimer.singleShot(60_000, lambda: app.exit(1))
    main(["--data-dir", str(data_dir), "kiosk", "--ventana"])
    return 0 if started else 1


if __name__ == "__main__":
    action, folder = sys.argv[1], Path(sys.argv[2])
    if action == "scan":
        scan(folder)
    elif action == "register":
        register(folder)
    else:
        sys.exit(restart(folder))
