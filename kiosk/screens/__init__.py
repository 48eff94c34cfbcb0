"""The citizen's screens, one module each; ``SCREENS`` in the order of the flow."""

from __future__ import annotations

from kiosk.screens.base import Flow, KioskScreen
from kiosk.screens.document import DocumentScreen
from kiosk.screens.done import DoneScreen
from kiosk.screens.fojas import FojasScreen
from kiosk.screens.identity import IdentityScreen
from kiosk.screens.lookup import LookupScreen
from kiosk.screens.lookup_result import LookupResultScreen
from kiosk.screens.privacy import PrivacyScreen
from kiosk.screens.review import ReviewScreen
from kiosk.screens.topic import TopicScreen
from kiosk.screens.welcome import WelcomeScreen

SCREENS: tuple[type[KioskScreen], ...] = (
    WelcomeScreen,
    PrivacyScreen,
    IdentityScreen,
    TopicScreen,
    DocumentScreen,
    FojasScreen,
    ReviewScreen,
    DoneScreen,
    LookupScreen,
    LookupResultScreen,
)

__all__ = ["SCREENS", "Flow", "KioskScreen"]
