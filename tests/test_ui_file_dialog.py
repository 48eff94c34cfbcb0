"""«Agregar archivo…»: the file dialog opens in the folder files were last added from (after a
restart too), in the demo's samples before that, and speaks Spanish throughout — checked on the
dialog Qt really shows (offscreen: Qt's own widgets), by reading what is on it."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("pytestqt", reason="pytest-qt no está instalado")

from PySide6.QtCore import QLocale, Qt, QThreadPool  # noqa: E402
from PySide6.QtWidgets import (  # noqa: E402
    QAbstractButton,
    QComboBox,
    QFileDialog,
    QLabel,
    QToolButton,
    QTreeView,
    QWidget,
)

from mailroom.config import Settings, load_settings  # noqa: E402
from mailroom.store import Store  # noqa: E402
from mailroom.ui import i18n  # noqa: E402
from mailroom.ui.app import build_app  # noqa: E402
from mailroom.ui.capture_view import CaptureView  # noqa: E402
from mailroom.ui.tasks import TaskRunner  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
JPEG = ROOT / "resources" / "samples" / "solicitud.jpg"
ENGLISH = (
    "Look in",
    "Files of type",
    "File name",
    "Cancel",
    "Open",
    "Detail View",
    "List View",
    "Back",
    "Forward",
    "Parent Directory",
    "Create New Folder",
    "Folder",
    "Name",
    "Size",
    "Type",
    "Date Modified",
    "Rename",
    "Delete",
    "Show hidden files",
    "New Folder",
)
READ_TIMEOUT = 60_000


@pytest.fixture
def runner(qapp, store) -> Iterator[TaskRunner]:  # type: ignore[no-untyped-def]
    # Asks for the store so that it is closed only after this waits for the tasks: a task
    # still reading a closed SQLite connection on a worker crashes the process.
    before = QLocale()
    i18n.install_translations(qapp)  # as application() does for the app's own QApplication
    pool = QThreadPool()
    pool.setMaxThreadCount(2)
    tasks = TaskRunner(pool)
    yield tasks
    assert tasks.wait_all(READ_TIMEOUT)
    pool.waitForDone(READ_TIMEOUT)
    i18n.remove_translations(qapp)
    QLocale.setDefault(before)


def capture_view(qtbot, runner: TaskRunner, settings: Settings, store: Store) -> CaptureView:  # type: ignore[no-untyped-def]
    view = CaptureView(runner, settings, store)
    qtbot.addWidget(view)
    view.show()
    return view


def open_file_dialog(qtbot, view: CaptureView) -> QFileDialog:  # type: ignore[no-untyped-def]
    qtbot.mouseClick(view.file_button, Qt.MouseButton.LeftButton)
    dialog = view._file_dialog
    assert dialog is not None
    qtbot.waitExposed(dialog)
    return dialog


def choose(qtbot, view: CaptureView, dialog: QFileDialog, path: Path) -> None:  # type: ignore[no-untyped-def]
    """What selecting ``path`` and pressing «Abrir» does; waits for the file to arrive."""
    with qtbot.waitSignal(
        view.busy_changed, check_params_cb=lambda busy: not busy, timeout=READ_TIMEOUT
    ):
        dialog.filesSelected.emit([str(path)])
    dialog.close()


def test_it_opens_in_the_folder_last_used_even_after_a_restart(
    qtbot, runner: TaskRunner, settings: Settings, store: Store, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "Digitalización del día"
    folder.mkdir()
    shutil.copy(JPEG, folder / "solicitud.jpg")
    first = capture_view(qtbot, runner, settings, store)
    dialog = open_file_dialog(qtbot, first)
    assert Path(dialog.directory().absolutePath()) == Path.home()  # not the process's folder
    choose(qtbot, first, dialog, folder / "solicitud.jpg")
    assert first.page_count() == 1

    again = capture_view(qtbot, runner, settings, store)
    assert Path(open_file_dialog(qtbot, again).directory().absolutePath()) == folder

    # A new process (the app opened tomorrow) reads the same choice from the data folder.
    read_back = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from pathlib import Path; from mailroom.ui.preferences import Preferences;"
            "print(Preferences(Path(sys.argv[1])).import_folder())",
            str(settings.data_dir),
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    assert read_back.stdout.strip() == str(folder)


def test_a_folder_that_is_gone_is_not_offered(
    qtbot, runner: TaskRunner, settings: Settings, store: Store, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    stick = tmp_path / "memoria-usb"
    stick.mkdir()
    shutil.copy(JPEG, stick / "solicitud.jpg")
    view = capture_view(qtbot, runner, settings, store)
    choose(qtbot, view, open_file_dialog(qtbot, view), stick / "solicitud.jpg")
    shutil.rmtree(stick)  # the stick was taken out
    assert Path(open_file_dialog(qtbot, view).directory().absolutePath()) == Path.home()


def test_in_the_demo_it_opens_in_the_samples_folder(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from mailroom.demo_profile import DEMO_ACCOUNTS, prepare_demo_profile

    profile = prepare_demo_profile(tmp_path / "demo")
    running = build_app(
        load_settings(profile.data_dir),
        start_background=False,
        samples_dir=profile.samples_dir,
        actor=DEMO_ACCOUNTS[1].actor,
    )
    try:
        running.window.show()
        running.window.add_file()  # «Agregar archivo…» of the Ventanilla menu (Ctrl+O)
        dialog = running.window.intake.capture._file_dialog
        assert dialog is not None and dialog.isVisible()
        assert Path(dialog.directory().absolutePath()) == profile.samples_dir
        dialog.close()
    finally:
        running.close()


def visible_texts(dialog: QFileDialog) -> list[str]:
    """Every text the clerk can read on the dialog: labels, buttons and their tooltips, the
    lists' entries, the columns and the type of each entry, the context menu's actions."""
    texts = [dialog.windowTitle()]
    for widget in dialog.findChildren(QWidget):
        if not widget.isVisible():
            continue
        texts += [widget.toolTip(), widget.accessibleName()]
        if isinstance(widget, QLabel | QAbstractButton):
            texts.append(widget.text())
        if isinstance(widget, QComboBox):
            texts += [widget.itemText(i) for i in range(widget.count())]
        if isinstance(widget, QTreeView):
            model, root = widget.model(), widget.rootIndex()
            columns = range(model.columnCount(root))
            texts += [model.headerData(c, Qt.Orientation.Horizontal) for c in columns]
            texts += [model.index(r, 2, root).data() for r in range(model.rowCount(root))]
    texts += [action.text() for action in dialog.findChildren(type(dialog.actions()[0]))]
    return [str(text).replace("&", "") for text in texts if text]


def test_the_file_dialog_speaks_spanish(
    qtbot, runner: TaskRunner, settings: Settings, store: Store, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "entrada"
    (folder / "Oficios").mkdir(parents=True)  # a folder, so the detail view has a type to show
    shutil.copy(JPEG, folder / "solicitud.jpg")
    view = capture_view(qtbot, runner, settings, store)
    view.preferences.remember_import_folder(folder)
    dialog = open_file_dialog(qtbot, view)
    detail = dialog.findChild(QToolButton, "detailModeButton")
    qtbot.mouseClick(detail, Qt.MouseButton.LeftButton)
    files = next(v for v in dialog.findChildren(QTreeView) if v.isVisible())
    qtbot.waitUntil(lambda: files.model().rowCount(files.rootIndex()) == 2)

    texts = visible_texts(dialog)

    english = [
        text
        for text in texts
        for word in ENGLISH
        if re.search(rf"\b{word}\b", text.rstrip(":"), re.IGNORECASE)
    ]
    assert english == []
    for spanish in ("Buscar en:", "Nombre de archivo:", "Archivos de tipo:", "Abrir", "Cancelar"):
        assert spanish in texts  # fails too if Qt showed a native dialog we cannot read
    assert "Carpeta" in texts  # the type of «Oficios» in the detail view
    assert "Vista detallada" in texts and "Crear nueva carpeta" in texts
    assert not any("fichero" in text.lower() for text in texts)  # Mexico says «archivo»
    dialog.close()


def test_the_compiled_catalogue_is_its_source(tmp_path: Path) -> None:
    """``oficialia_qt_es.qm`` is what ``pyside6-lrelease`` makes of the ``.ts`` beside it: an
    edit of the source that was not compiled (or the reverse) fails here."""
    lrelease = Path(sys.executable).with_name("pyside6-lrelease")
    if not lrelease.exists():
        pytest.skip("pyside6-lrelease no está en el entorno")
    source = i18n.OWN_FOLDER / "oficialia_qt_es.ts"
    compiled = tmp_path / "oficialia_qt_es.qm"
    subprocess.run(
        [str(lrelease), str(source), "-qm", str(compiled)], check=True, capture_output=True
    )
    assert compiled.read_bytes() == (i18n.OWN_FOLDER / "oficialia_qt_es.qm").read_bytes()
