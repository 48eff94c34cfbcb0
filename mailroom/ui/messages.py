"""How the administration screens tell the clerk what happened: one line under the screen, red
for what went wrong, green for what was done."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel

ERROR_STYLE = "color: #b71c1c;"
DONE_STYLE = "color: #1b5e20;"


def show_message(label: QLabel, text: str, style: str = "") -> None:
    label.setStyleSheet(style)
    label.setText(text)
