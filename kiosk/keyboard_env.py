"""The on-screen keyboard's choice, made before the ``QApplication`` exists (see
``kiosk.keyboard``): whether this Qt has Qt Virtual Keyboard and the platform can show it, and
the environment variables that load it. Apart from ``kiosk.keyboard`` so the kiosk's start can
ask without importing Qt Quick (20 ms) before its first welcome is painted."""

from __future__ import annotations

import logging
import os
from collections.abc import MutableMapping
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLibraryInfo
from PySide6.QtGui import QGuiApplication

log = logging.getLogger("kiosk.keyboard")  # one logger for the keyboard, as staff read it

ENVIRONMENT = {"QT_IM_MODULE": "qtvirtualkeyboard", "QT_VIRTUALKEYBOARD_DESKTOP_DISABLE": "1"}
NO_PANEL_PLATFORMS = frozenset({"offscreen", "minimal", "vnc"})
_PLUGIN = Path("plugins", "platforminputcontexts", "libqtvirtualkeyboardplugin.so")
_QML_MODULE = Path("qml", "QtQuick", "VirtualKeyboard", "InputPanel.qml")


def shipped(qt_prefix: Path | None = None) -> bool:
    """Whether the Qt build at ``qt_prefix`` (this one's by default) has the plugin and its QML
    module (the PySide6 wheel does)."""
    prefix = qt_prefix or Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.PrefixPath))
    if os.name == "nt":  # qtvirtualkeyboardplugin.dll beside the other input contexts
        plugin_dir = prefix / "plugins" / "platforminputcontexts"
        has_plugin = any(plugin_dir.glob("qtvirtualkeyboardplugin*.dll"))
    else:
        has_plugin = (prefix / _PLUGIN).is_file()
    return has_plugin and (prefix / _QML_MODULE).is_file()


def prepare_environment(
    environ: MutableMapping[str, str] | None = None, *, qt_prefix: Path | None = None
) -> bool:
    """Before the ``QApplication`` exists: choose the virtual keyboard as the input method
    (in ``environ``, the process's by default). False (and the kiosk works with a physical
    keyboard) when it is too late, the platform cannot show the panel, or the build lacks it."""
    env = os.environ if environ is None else environ
    platform = env.get("QT_QPA_PLATFORM", "").split(":")[0]
    if platform in NO_PANEL_PLATFORMS:
        log.info("on-screen keyboard: not on the %s platform", platform)
        return False
    if not shipped(qt_prefix):
        log.warning("on-screen keyboard: Qt Virtual Keyboard is not installed; "
                    "the kiosk needs a physical keyboard")  # fmt: skip
        return False
    if QCoreApplication.instance() is not None:
        if env.get("QT_IM_MODULE") == ENVIRONMENT["QT_IM_MODULE"]:
            return True  # prepared before this application was made
        log.warning("on-screen keyboard: the application already exists, it is not loaded")
        return False
    env.update(ENVIRONMENT)
    return True


def wanted() -> bool:
    """Whether the running application loaded the virtual keyboard (``prepare_environment``)."""
    app = QGuiApplication.instance()
    return (
        app is not None
        and os.environ.get("QT_IM_MODULE") == ENVIRONMENT["QT_IM_MODULE"]
        and QGuiApplication.platformName() not in NO_PANEL_PLATFORMS
    )
