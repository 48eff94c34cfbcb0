"""«Administración»: the administrator's screens in the clerk's app, one tab each: accounts,
settings, trusted authorities, this device's enrolment, the privacy notice.

Each tab calls a Qt-free service through the task helper, and each service checks the
permission itself (``mailroom.permissions``): an account that is not an administrator sees the
refusal in Spanish and nothing changes. The menu item is shown to everyone who may administer
(``allowed``); hiding it is only a courtesy on top of the services' own check.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from mailroom.permissions import Action, acting, allowed
from mailroom.ui.admin_accounts import AccountsTab
from mailroom.ui.admin_device import DeviceTab
from mailroom.ui.admin_privacy import PrivacyTab
from mailroom.ui.admin_trust import TrustTab
from mailroom.ui.arco_view import ArcoView
from mailroom.ui.tasks import TaskRunner

if TYPE_CHECKING:
    from mailroom.config import Settings
    from mailroom.ui.settings_dialog import SettingsDialog
    from mailroom.workstation import Workstation

ADMIN_ACTIONS = (Action.CUENTAS, Action.AJUSTES, Action.CONFIANZA, Action.ENROLAR, Action.ARCO)


def may_administer(settings: Settings) -> bool:
    """Whether to offer «Administración» to whoever is acting now."""
    actor = acting(settings)
    return any(allowed(actor, action) for action in ADMIN_ACTIONS)


class AdminDialog(QDialog):
    def __init__(
        self, workstation: Workstation, runner: TaskRunner, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Administración"))
        self.setMinimumSize(760, 560)
        self.workstation = workstation
        self.runner = runner
        self.settings_dialog: SettingsDialog | None = None
        store, settings = workstation.store, workstation.settings
        self.accounts = AccountsTab(store, settings, runner, self)
        self.trust = TrustTab(store, settings, runner, self)
        self.device = DeviceTab(store, settings, runner, self)
        self.privacy = PrivacyTab(store, settings, runner, self)
        self.arco = ArcoView(runner, workstation, self)
        self.tabs = QTabWidget(self)
        self.tabs.addTab(self.accounts, self.tr("&Cuentas"))
        self.tabs.addTab(self._settings_tab(), self.tr("A&justes"))
        self.tabs.addTab(self.trust, self.tr("Con&fianza"))
        self.tabs.addTab(self.device, self.tr("&Equipo"))
        self.tabs.addTab(self.privacy, self.tr("A&viso de privacidad"))
        self.tabs.addTab(self.arco, self.tr("Derechos A&RCO"))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)
        layout.addWidget(buttons)

    def _settings_tab(self) -> QWidget:
        page = QWidget(self)
        text = QLabel(
            self.tr(
                "La clave y el nombre de la oficina, la clave de este equipo, el patrón de folio, "
                "el servidor estatal, el escáner y los idiomas del OCR. Se guardan en la carpeta "
                "de datos y se aplican al volver a abrir Oficialía."
            ),
            page,
        )
        text.setWordWrap(True)
        self.settings_button = QPushButton(self.tr("Abrir los &ajustes…"), page)
        self.settings_button.clicked.connect(self.open_settings)
        layout = QVBoxLayout(page)
        layout.addWidget(text)
        layout.addWidget(self.settings_button, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addStretch(1)
        return page

    @Slot()
    def open_settings(self) -> None:
        from mailroom.ui.settings_dialog import SettingsDialog

        if self.settings_dialog is None:
            self.settings_dialog = SettingsDialog(
                self.workstation.settings, self.runner, self, store=self.workstation.store
            )
        self.settings_dialog.open()


def open_admin(parent: QWidget | None, workstation: Workstation, runner: TaskRunner) -> AdminDialog:
    """Show «Administración» without blocking (``open()``); closed, it is deleted."""
    dialog = AdminDialog(workstation, runner, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog
