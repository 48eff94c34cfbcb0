"""How the kiosk looks: normal, large text, high contrast — one style sheet made for each.

The reference panel is 1920 × 1080 at about 4 px/mm, seen from about 50 cm. The numbers the
kiosk answers to (Section 508 §402, EN 301 549, WCAG 2.2 AAA) are measured by the audit
(``kiosk.audit``) from what is painted; the sizes here are chosen to meet them:

- text: a capital letter at least 20 px tall (5 mm) in the normal look and 25 px (6.1 mm) with
  large text. DejaVu Sans, the kiosk's font on Linux, has a cap height of 0.73 em, so the least
  font size is 28 px normal and 35 px large (``BODY``);
- contrast: at least 7:1 between text and what is behind it in the normal look, 15:1 in high
  contrast (white or yellow on black: 21:1 and 19.6:1);
- touch targets at least 64 px (16 mm) a side; the kiosk's buttons are 72 px or more.

The wipe puts the normal look back: the next citizen starts from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from string import Template


@dataclass(frozen=True)
class Look:
    large: bool = False
    contrast: bool = False

    @property
    def name(self) -> str:
        """For the audit's table and the screenshots' file names."""
        if self.large and self.contrast:
            return "grande-contraste"
        return "grande" if self.large else "contraste" if self.contrast else "normal"


NORMAL = Look()
LARGE = Look(large=True)
CONTRAST = Look(contrast=True)
LOOKS = (NORMAL, LARGE, CONTRAST)

# Font sizes in px by role; the least of each look is ``body``.
_SIZES = {
    False: {
        "body": 28, "title": 56, "question": 42, "step": 30, "office": 28, "label": 30,
        "value": 30, "folio": 96, "big": 44, "number": 72, "banner": 28, "button": 30,
        "huge": 44, "edit": 34, "browser": 28, "stepper": 56,
    },
    True: {
        "body": 36, "title": 64, "question": 50, "step": 36, "office": 36, "label": 38,
        "value": 38, "folio": 96, "big": 52, "number": 80, "banner": 36, "button": 38,
        "huge": 52, "edit": 40, "browser": 36, "stepper": 64,
    },
}  # fmt: skip
BODY = {large: sizes["body"] for large, sizes in _SIZES.items()}

_COLOURS = {
    False: {
        "page": "#ffffff", "text": "#111111", "soft": "#333333", "accent": "#0b3d91",
        "on_accent": "#ffffff", "pressed": "#dde6f5", "error": "#9a001c",
        "info_bg": "#e6eefb", "info_edge": "#0b3d91", "warning_bg": "#fff4d6",
        "warning_edge": "#8a5300", "error_bg": "#fde7ea", "error_edge": "#b00020",
        "disabled_edge": "#8a8a8a", "disabled_text": "#3d3d3d", "disabled_bg": "#e0e0e0",
        "edit_edge": "#555555", "frame": "#999999", "bar": "#e3e7ea", "handle": "#4a5a66",
        "veil": "rgba(0, 0, 0, 150)", "card": "#ffffff",
    },
    True: {
        "page": "#000000", "text": "#ffffff", "soft": "#ffffff", "accent": "#ffff00",
        "on_accent": "#000000", "pressed": "#ffffff", "error": "#ffff00",
        "info_bg": "#000000", "info_edge": "#ffffff", "warning_bg": "#000000",
        "warning_edge": "#ffff00", "error_bg": "#000000", "error_edge": "#ffff00",
        "disabled_edge": "#ffffff", "disabled_text": "#ffffff", "disabled_bg": "#000000",
        "edit_edge": "#ffffff", "frame": "#ffffff", "bar": "#000000", "handle": "#ffffff",
        "veil": "rgba(0, 0, 0, 220)", "card": "#000000",
    },
}  # fmt: skip

_STYLE = Template("""
QWidget#quiosco, QWidget#pantalla, QWidget#inicio, QScrollArea,
QScrollArea > QWidget > QWidget { background: $page; }
QWidget { color: $text; font-size: ${body}px; }
QLabel#titulo { font-size: ${title}px; font-weight: bold; }
QLabel#pregunta { font-size: ${question}px; font-weight: bold; }
QLabel#paso { font-size: ${step}px; color: $soft; }
QLabel#oficina { font-size: ${office}px; color: $soft; }
QLabel#explicacion { font-size: ${body}px; color: $soft; }
QLabel#etiqueta { font-size: ${label}px; font-weight: bold; }
QLabel#dato { font-size: ${value}px; }
QLabel#folio { font-size: ${folio}px; font-weight: bold; }
QLabel#grande { font-size: ${big}px; font-weight: bold; }
QLabel#errorCampo { color: $error; font-size: ${body}px; font-weight: bold; }
QLabel#numero { font-size: ${number}px; font-weight: bold; }
QLabel#banner { padding: 18px 24px; font-size: ${banner}px; }
QLabel#banner[kind="info"] { background: $info_bg; border-left: 14px solid $info_edge; }
QLabel#banner[kind="warning"] { background: $warning_bg; border-left: 14px solid $warning_edge; }
QLabel#banner[kind="error"] { background: $error_bg; border-left: 14px solid $error_edge; }
QPushButton { font-size: ${button}px; padding: 8px 32px; border: 3px solid $accent;
    border-radius: 14px; background: $page; color: $accent; font-weight: bold; }
QPushButton[kind="primary"] { background: $accent; color: $on_accent; }
QPushButton[kind="huge"] { font-size: ${huge}px; background: $accent; color: $on_accent; }
QPushButton[kind="stepper"] { font-size: ${stepper}px; padding: 0; }
QPushButton[kind="tile"] { padding: 8px 12px; }
QPushButton:checked { background: $accent; color: $on_accent; }
QPushButton:pressed { background: $pressed; color: $on_accent; }
QPushButton:disabled { border: 3px dashed $disabled_edge; color: $disabled_text;
    background: $disabled_bg; }
QLineEdit { font-size: ${edit}px; padding: 4px 16px; border: 3px solid $edit_edge;
    border-radius: 10px; background: $page; color: $text; }
QLineEdit:focus { border: 5px solid $accent; }
QLineEdit[problem="true"] { border-color: $error_edge; }
QTextBrowser { font-size: ${browser}px; border: 2px solid $frame; background: $page;
    color: $text; }
QScrollBar:vertical { width: 44px; background: $bar; border: none; margin: 0; }
QScrollBar:horizontal { height: 44px; background: $bar; border: none; margin: 0; }
QScrollBar::handle { background: $handle; border-radius: 10px; margin: 5px; }
QScrollBar::handle:vertical { min-height: 96px; }
QScrollBar::handle:horizontal { min-width: 96px; }
QScrollBar::add-line, QScrollBar::sub-line { width: 0; height: 0; border: none; }
QScrollBar::add-page, QScrollBar::sub-page { background: none; }
QFrame#hoja { border: 2px solid $frame; border-radius: 10px; }
QWidget#aviso { background: $veil; }
QFrame#tarjeta { background: $card; border-radius: 24px; border: 3px solid $frame; }
""")

_MADE: dict[Look, str] = {}


def style_sheet(look: Look = NORMAL) -> str:
    """The kiosk's style sheet in ``look`` (made once per look)."""
    made = _MADE.get(look)
    if made is None:
        made = _STYLE.substitute(_SIZES[look.large], **_COLOURS[look.contrast])
        _MADE[look] = made
    return made


def font_px(look: Look, role: str) -> int:
    """A role's font size in ``look`` (for the few widgets that size themselves by it)."""
    return _SIZES[look.large][role]
