"""Spanish (es_MX) for what Qt itself draws: the standard buttons («Cancelar», «Guardar»), the file
and print dialogs, the context menu of a text box («Copiar», «Pegar»), and dates.

Our own texts are already Spanish in ``tr()``; these are Qt's, from the ``qtbase_es`` catalogue that
ships in PySide6's translations folder, corrected by our small ``translations/oficialia_qt_es``
catalogue where it falls short: Qt 6 added mnemonics to two file dialog labels ("&Look in:",
"Files of &type:") that the Spanish catalogue still has without them, so those showed in English,
and it says "fichero" where Mexico says "archivo". ``QLocale.setDefault(es_MX)`` makes
locale-aware widgets write dates and numbers the Mexican way (15/03/2026); screens that show a
date still set the ``dd/MM/yyyy`` display format themselves, because Qt's short es_MX format has
a two-digit year.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

LOCALE_NAME = "es_MX"
QT_CATALOGUES = ("qtbase",)  # the dialogs and buttons of QtWidgets and QtPrintSupport live here
OWN_CATALOGUES = ("oficialia_qt",)  # ours: what qtbase_es lacks (see translations/*.ts)
OWN_FOLDER = Path(__file__).resolve().parent / "translations"
_PROPERTY = "oficialia_translators"


def install_translations(app: QCoreApplication) -> list[QTranslator]:
    """Install Qt's Spanish catalogues on ``app`` and make es_MX the default locale. Returns the
    translators installed (kept alive as children of ``app``); calling it again does nothing."""
    QLocale.setDefault(QLocale(QLocale.Language.Spanish, QLocale.Country.Mexico))
    if app.property(_PROPERTY):
        return []
    qt_folder = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    catalogues = [(name, qt_folder) for name in QT_CATALOGUES]
    # Installed last, so asked first: Qt looks a text up in the newest translator first.
    catalogues += [(name, str(OWN_FOLDER)) for name in OWN_CATALOGUES]
    installed = []
    for catalogue, folder in catalogues:
        translator = QTranslator(app)
        translator.setObjectName(f"{_PROPERTY}:{catalogue}")
        # QTranslator.load falls back from es_MX to es, which is the catalogue Qt ships.
        if translator.load(QLocale(LOCALE_NAME), catalogue, "_", folder):
            app.installTranslator(translator)
            installed.append(translator)
        else:
            translator.deleteLater()
    app.setProperty(_PROPERTY, bool(installed))
    return installed


def remove_translations(app: QCoreApplication) -> None:
    """Undo :func:`install_translations`'s catalogues (tests; a later language switch)."""
    for translator in app.findChildren(QTranslator):
        if not translator.objectName().startswith(_PROPERTY):
            continue
        app.removeTranslator(translator)
        translator.deleteLater()
    app.setProperty(_PROPERTY, False)
