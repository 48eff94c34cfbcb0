"""What both apps' ``make screenshots`` scripts share: waiting on the app's own state through the
event loop (never a sleep), typing as a person would, and finding the texts a layout cut.

The clerk's script (``mailroom.ui.screenshots``) and the kiosk's (``kiosk.screenshots``) both use
it, so it is one of the Qt building blocks the kiosk may import (``tests/test_architecture.py``);
it knows no screen of either app.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6 import QtGui
from PySide6.QtCore import QCoreApplication, QEventLoop, Qt
from PySide6.QtGui import QFontMetrics, QTextDocument
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QAbstractButton,
    QLabel,
    QLineEdit,
    QPushButton,
    QStyle,
    QStyleOptionButton,
    QWidget,
)

from mailroom.errors import OficialiaError


class ScreenshotError(OficialiaError):
    code = "capturas"


def wait_until(condition: Callable[[], object], what: str, timeout: float = 60.0) -> None:
    """Run the event loop until ``condition()`` holds; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise ScreenshotError(f"Tiempo agotado esperando: {what}.")
        QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)


def settle(rounds: int = 5) -> None:
    """A few event-loop turns, so layouts and deferred deletes are done before a grab."""
    for _ in range(rounds):
        QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)


def _plain(label: QLabel) -> str:
    text = label.text()
    if label.textFormat() == Qt.TextFormat.RichText or (
        label.textFormat() == Qt.TextFormat.AutoText and QtGui.Qt.mightBeRichText(text)
    ):
        document = QTextDocument()
        document.setHtml(text)
        text = document.toPlainText()
    if label.buddy() is not None:
        text = text.replace("&&", "\0").replace("&", "").replace("\0", "&")
    return text


def cut_texts(root: QWidget, *, wrapped: bool = False) -> list[str]:
    """Visible, non-wrapping labels and buttons whose text is wider than the widget.

    With ``wrapped`` also what the kiosk's large type makes likely: a word-wrapping label with a
    word wider than the label (Qt wraps only between words) or more lines than its height holds,
    a label or button too short for one line, and a button text wider than the room its style
    sheet's border and padding leave (``PM_ButtonMargin`` is 0 under a style sheet).
    """
    problems = []
    for widget in root.findChildren(QWidget):
        if not widget.isVisible() or widget.window() is not root.window():
            continue
        if isinstance(widget, QLabel) and widget.pixmap().isNull():
            problem = _label_problem(widget, wrapped)
        elif isinstance(widget, QAbstractButton):
            problem = _button_problem(widget, wrapped)
        else:
            continue
        if problem:
            problems.append(f"{type(widget).__name__} {problem}")
    return problems


def _label_problem(label: QLabel, wrapped: bool) -> str | None:
    lines = _plain(label).splitlines()
    if not any(line.strip() for line in lines):
        return None
    room = label.contentsRect().width() - 2 * max(0, label.margin()) - max(0, label.indent())
    metrics = label.fontMetrics()
    if label.wordWrap():
        if not wrapped:
            return None
        words = [word for line in lines for word in line.split()]
        widest = max((metrics.horizontalAdvance(word) for word in words), default=0)
        if widest > room:
            return f"«{_short(lines)}»: una palabra de {widest} px en {room} px"
        needed = label.heightForWidth(label.width())
        if needed > label.height():
            return f"«{_short(lines)}»: {needed} px de alto en {label.height()} px"
        return None
    widest = max((metrics.horizontalAdvance(line) for line in lines), default=0)
    if widest > room:
        return f"«{' / '.join(lines)}»: {widest} px en {room} px"
    needed = len(lines) * metrics.height() + 2 * max(0, label.margin())
    if wrapped and needed > label.contentsRect().height():
        return f"«{' / '.join(lines)}»: {needed} px de alto en {label.contentsRect().height()} px"
    return None


def _button_problem(button: QAbstractButton, wrapped: bool) -> str | None:
    text = button.text().replace("&&", "\0").replace("&", "").replace("\0", "&")
    icon = 0 if button.icon().isNull() else button.iconSize().width()
    room, height = button.contentsRect().width() - icon, button.contentsRect().height()
    if isinstance(button, QPushButton):  # the frame's padding on both sides
        room -= 2 * button.style().pixelMetric(QStyle.PixelMetric.PM_ButtonMargin)
        if wrapped:
            option = QStyleOptionButton()
            button.initStyleOption(option)
            inside = button.style().subElementRect(
                QStyle.SubElement.SE_PushButtonContents, option, button
            )
            room, height = min(room, inside.width() - icon), min(height, inside.height())
    metrics: QFontMetrics = button.fontMetrics()
    widest = metrics.horizontalAdvance(text)
    if widest > room:
        return f"«{text}»: {widest} px en {room} px"
    if wrapped and text and metrics.height() > height:
        return f"«{text}»: {metrics.height()} px de alto en {height} px"
    return None


def _short(lines: list[str], limit: int = 70) -> str:
    text = " / ".join(lines)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def type_into(widget: QWidget, text: str) -> None:
    """Keys as typed at the counter; characters outside ASCII go in one insert."""
    widget.setFocus(Qt.FocusReason.OtherFocusReason)
    if text.isascii():
        QTest.keyClicks(widget, text)
    elif isinstance(widget, QLineEdit):
        widget.insert(text)
        widget.textEdited.emit(widget.text())


def leave(widget: QWidget) -> None:
    """Tab out of a field, as the clerk does (the form explains a field once left)."""
    widget.setFocus(Qt.FocusReason.TabFocusReason)
    wait_until(widget.hasFocus, "el foco en el campo", 5)
    QTest.keyClick(widget, Qt.Key.Key_Tab)
    wait_until(lambda: not widget.hasFocus(), "que el foco deje el campo", 5)
