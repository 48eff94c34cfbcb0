"""The on-screen keyboard inside the kiosk window: Qt Virtual Keyboard's ``InputPanel`` in a
``QQuickWidget`` that never takes focus, laid out by the kiosk window between its screens and
its footer, shown while a text box has the focus.

The plugin is chosen by environment variables read when the ``QApplication`` is made, so the
kiosk calls ``prepare_environment`` before ``application()`` (the clerk's app does not: it keeps
the desktop's input methods). ``QT_VIRTUALKEYBOARD_DESKTOP_DISABLE`` stops the plugin from
opening a window of its own: the only panel is ours, a child of the kiosk window. Where the
wheel lacks the plugin, or the platform cannot show it (offscreen, where its window would take
the focus), the kiosk runs with a physical keyboard and says so in the log.

Spanish (Mexico) is the layout (``es_MX``: ñ on its own key, accents on a long press of the
vowel); ``set_language("en_US")`` switches it for the English screens. No prediction, no
suggestion list, no handwriting: names are not dictionary words. The layout follows the box's
input-method hints: uppercase letters and a digits row for the CURP (``CODE_HINTS``), the dial
pad for the phone, the e-mail layout for the e-mail.

QTBUG-138256: the plugin keeps its own idea of the focused object, and where Qt forgets to tell
it of a change it types into the box that had the focus before. ``StaleFocusGuard`` delivers
what the keyboard typed to the box that has the focus now (the plugin cannot be patched from
Python; the events it sends can be redirected).
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import (
    QCoreApplication,
    QEvent,
    QObject,
    QPoint,
    QSize,
    Qt,
    QTimer,
    QUrl,
    Signal,
)
from PySide6.QtGui import QColor, QGuiApplication, QInputMethodEvent, QKeyEvent
from PySide6.QtQuick import QQuickItem
from PySide6.QtQuickWidgets import QQuickWidget
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QScrollArea,
    QScroller,
    QStackedWidget,
    QWidget,
)

from kiosk.keyboard_env import (  # noqa: F401 - re-exported: kiosk.keyboard is the API
    ENVIRONMENT,
    NO_PANEL_PLATFORMS,
    prepare_environment,
    shipped,
    wanted,
)

log = logging.getLogger(__name__)

QML = Path(__file__).with_name("keyboard.qml")
LANGUAGE = "es_MX"
LANGUAGES = ("es_MX", "en_US")
PANEL_WIDTH = 1280
"""On the 1920 px panel: 400 px of keyboard, letter keys about 90 px tall (≥ 64 px touch rule)
and 110 px wide; the full width would make it 600 px tall and leave the screens too little."""
CODE_HINTS = (
    Qt.InputMethodHint.ImhUppercaseOnly
    | Qt.InputMethodHint.ImhNoAutoUppercase
    | Qt.InputMethodHint.ImhLatinOnly
)
"""For the CURP, the folio and the lookup code: uppercase letters, and a row of digits above
them (keyboard.qml shows it for this combination)."""
BAND_COLOUR = "#263238"  # the default style's keyboard background


class StaleFocusGuard(QObject):
    """QTBUG-138256's workaround: what the keyboard sends to a box that no longer has the
    focus is sent to the one that has it. Installed on the application while the keyboard is
    visible; ``typing`` is set by the keyboard only while one of its keys is being pressed, so
    a physical key, or Qt's own events, are never moved."""

    def __init__(self, parent: QObject) -> None:
        super().__init__(parent)
        self.typing = False
        self.redirected = 0  # for the log and the tests: how often the bug showed

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        kind = event.type()
        if not self.typing or kind not in _TYPED:
            return False
        focus = QGuiApplication.focusObject()
        if focus is None or watched is focus or not isinstance(watched, QWidget):
            return False
        if isinstance(focus, QWidget) and watched.isAncestorOf(focus):
            return False  # a key the box ignored, on its way up to its parents
        copy = _copy(event)
        if copy is None:
            return False
        self.redirected += 1
        log.warning("on-screen keyboard: typed into a box without the focus (QTBUG-138256); "
                    "sent to the focused one")  # fmt: skip
        QCoreApplication.sendEvent(focus, copy)
        return True


_TYPED = frozenset({QEvent.Type.InputMethod, QEvent.Type.KeyPress, QEvent.Type.KeyRelease})


def _copy(event: QEvent) -> QEvent | None:
    if isinstance(event, QInputMethodEvent):
        copy = QInputMethodEvent(event.preeditString(), event.attributes())
        copy.setCommitString(
            event.commitString(), event.replacementStart(), event.replacementLength()
        )
        return copy
    if isinstance(event, QKeyEvent):
        return QKeyEvent(event.type(), event.key(), event.modifiers(), event.text(),
                         event.isAutoRepeat(), event.count())  # fmt: skip
    return None


class OnScreenKeyboard(QQuickWidget):
    """The keyboard band; hidden until a text box has the focus. ``shown_changed`` tells the
    window to bring the focused box into view."""

    shown_changed = Signal(bool)

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("tecladoEnPantalla")
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # a tap types into the box, it keeps focus
        self.setAttribute(Qt.WidgetAttribute.WA_AcceptTouchEvents, True)
        self.setResizeMode(QQuickWidget.ResizeMode.SizeRootObjectToView)
        self.setClearColor(QColor(BAND_COLOUR))  # the band, wherever the panel does not reach
        self.language = LANGUAGE
        self.guard = StaleFocusGuard(self)
        self.setSource(QUrl.fromLocalFile(str(QML)))
        root = self.rootObject()
        if self.status() != QQuickWidget.Status.Ready or root is None:
            errors = "; ".join(error.toString() for error in self.errors())
            raise RuntimeError(f"keyboard.qml: {errors or self.status()}")
        self.root: QQuickItem = root
        root.setProperty("panelWidth", PANEL_WIDTH)
        root.wantedHeightChanged.connect(self._fit)  # type: ignore[attr-defined] # QML's
        self.set_language(LANGUAGE)
        self.hide()
        self._fit()
        self.input_method = QGuiApplication.inputMethod()
        self.input_method.visibleChanged.connect(self._follow_input_method)
        QGuiApplication.instance().focusObjectChanged.connect(self._focus_moved)  # type: ignore[union-attr]

    # -- the API the kiosk uses --------------------------------------------------------------

    def set_language(self, language: str) -> None:
        """``es_MX`` or ``en_US`` (the kiosk's language button). A language the keyboard has no
        layout for (one an office added, say Náhuatl) keeps the Spanish one: its letters are
        the ones those languages are written with here."""
        if language not in LANGUAGES:
            log.info("on-screen keyboard: no layout for %s, Spanish kept", language)
            language = LANGUAGE
        self.language = language
        _invoke(self.root, "setLanguage", language)

    def forget(self) -> None:
        """The wipe: hidden, no shift, letters (not symbols), Spanish again."""
        self.input_method.hide()
        self.input_method.reset()
        self.language = LANGUAGE
        _invoke(self.root, "forget", LANGUAGE)
        self._show(False)

    def item_property(self, name: str) -> object:
        """A property of the QML root (``uppercase``, ``language``, ``layoutName``...)."""
        return self.root.property(name)

    # -- showing -----------------------------------------------------------------------------

    def _focus_moved(self, focus: QObject | None) -> None:
        if self.isVisible():
            self.raise_()  # a box in an overlay raised after the keyboard showed: keep it on top

    def _follow_input_method(self) -> None:
        self._show(self.input_method.isVisible())

    def _show(self, shown: bool) -> None:
        if shown == self.isVisible():
            return
        app = QApplication.instance()
        if shown:
            self._fit()
            # The screens give up their room first: showing a child lays its window out at
            # once, and with both at full height a top-level window would grow past the panel.
            self.shown_changed.emit(shown)
            self.show()
            self.raise_()  # above the window's overlays (its idle warning rises above later)
            if app is not None:
                app.installEventFilter(self.guard)
        else:
            self.hide()
            if app is not None:
                app.removeEventFilter(self.guard)
            self.shown_changed.emit(shown)

    def _fit(self) -> None:
        height = int(self.root.property("wantedHeight") or 0)
        if height > 0 and height != self.height():
            self.setFixedHeight(height)

    # -- typing: the guard watches only while a key is down ----------------------------------

    def event(self, event: QEvent) -> bool:
        kind = event.type()
        if kind in (QEvent.Type.MouseButtonPress, QEvent.Type.TouchBegin):
            self.guard.typing = True
        handled = super().event(event)
        if kind in (QEvent.Type.MouseButtonRelease, QEvent.Type.TouchEnd, QEvent.Type.TouchCancel):
            self.guard.typing = False
        return handled


def on_screen_keyboard(parent: QWidget) -> OnScreenKeyboard | None:
    """The keyboard for the kiosk window ``parent``, or None where the application runs without
    it (a warning says why when it should have had one)."""
    if not wanted():
        return None
    try:
        return OnScreenKeyboard(parent)
    except RuntimeError as error:
        log.warning("on-screen keyboard unavailable, a physical keyboard is needed: %s", error)
        return None


class ScreenArea(QScrollArea):
    """The window's screens (``stack``) in a scroll area that scrolls only while the keyboard is
    up: then the screens get what is left above it, and the focused box is scrolled into view
    where a screen does not fit (the identity screen needs 640 px; 450 are left). With the
    keyboard down it asks for the screens' own minimum, so the window lays out as without it.
    No scroll bars: it is scrolled for the citizen, to the box being typed in."""

    TITLE = 56  # px kept in view above the focused box: its title

    def __init__(self, stack: QWidget, keyboard: OnScreenKeyboard, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("areaPantallas")
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setWidgetResizable(True)
        self.setWidget(stack)
        # The window's own background shows through, as it did behind the stack.
        for widget in (self, self.viewport(), stack):
            widget.setAutoFillBackground(False)
        # Scoped to the viewport: a bare rule here would reach every button of every screen.
        self.viewport().setObjectName("vistaPantallas")
        self.viewport().setStyleSheet("QWidget#vistaPantallas { background: transparent; }")
        # A finger dragged on the screen scrolls it (touch only: a mouse click stays a click).
        QScroller.grabGesture(self.viewport(), QScroller.ScrollerGestureType.TouchGesture)
        self.keyboard = keyboard
        self.squeezed = False
        if isinstance(stack, QStackedWidget):
            stack.currentChanged.connect(self._fit_page)
        self._fit_page()
        keyboard.shown_changed.connect(self._keyboard_shown)
        QGuiApplication.instance().focusObjectChanged.connect(self._focus_moved)  # type: ignore[union-attr]

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        if self.squeezed:
            return QSize(0, 0)
        return QSize(0, self._page_height())

    def _page_height(self) -> int:
        """The screen showing needs this much (a stack asks for its tallest page, here the
        welcome screen's 860 px, which would push the identity screen's footer off the panel)."""
        stack = self.widget()
        page = stack.currentWidget() if isinstance(stack, QStackedWidget) else stack
        return page.minimumSizeHint().height() if page is not None else 0

    def _fit_page(self) -> None:
        stack = self.widget()
        if stack is not None and stack.minimumHeight() != self._page_height():
            stack.setMinimumHeight(self._page_height())  # what the area scrolls over
        self.updateGeometry()

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        widget = self.widget()
        return super().sizeHint() if widget is None else widget.sizeHint()

    def viewportEvent(self, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if event.type() == QEvent.Type.LayoutRequest:  # a screen's minimum changed
            self._fit_page()
        return super().viewportEvent(event)

    def bring_focus_into_view(self) -> None:
        """The focused box near the top, under its title: what follows it (the next box)
        shows below it, within a tap; what comes before is a swipe, or the keyboard's hide key,
        away."""
        focus = QApplication.focusWidget()
        widget = self.widget()
        if focus is not None and widget is not None and widget.isAncestorOf(focus):
            top = focus.mapTo(widget, QPoint(0, 0)).y() - self.TITLE
            self.verticalScrollBar().setValue(max(0, top))  # clamped to what can scroll

    def _keyboard_shown(self, shown: bool) -> None:
        self.squeezed = shown
        self.updateGeometry()
        # After the window's layout gave the area its new height (posted, like the layout's).
        QTimer.singleShot(0, self.bring_focus_into_view)

    def _focus_moved(self, focus: QObject | None) -> None:
        if self.squeezed:
            QTimer.singleShot(0, self.bring_focus_into_view)


def _invoke(item: QQuickItem, method: str, *arguments: object) -> None:
    from PySide6.QtCore import Q_ARG, QMetaObject

    ok = QMetaObject.invokeMethod(item, method, *(Q_ARG("QVariant", a) for a in arguments))
    if ok is False:
        log.warning("keyboard.qml: %s failed", method)
