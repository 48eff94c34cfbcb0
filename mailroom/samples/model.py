"""What a sample is made of: lines, tables and pages before they are drawn, and the result."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Sample:
    """One generated file, as recorded in the manifest."""

    filename: str
    kind: str  # "escaneado" | "digital"
    sender: str
    subject: str
    pages: int
    ground_truth: tuple[str, ...]


@dataclass(frozen=True)
class Line:
    """One line of a page; a plain ``str`` is a left-aligned, regular line."""

    text: str
    align: str = "left"  # "left" | "center" | "right"
    bold: bool = False


@dataclass(frozen=True)
class PageStyle:
    family: str = "serif"  # "serif" | "sans" (DejaVu)
    size: float = 12.0  # points
    leading: float = 1.5  # line height as a multiple of size (Mexican escritos use 1.5)

    @property
    def line_height(self) -> float:
        return self.size * self.leading

    @property
    def row_height(self) -> float:
        return self.size * 1.9


Row = tuple[str, ...]
Table = tuple[Row, ...]  # the first row is the header


@dataclass(frozen=True)
class Page:
    lines: tuple[Line, ...]
    table: Table | None = None
    table_at: int | None = None  # index in lines before which the table goes; None: at the end
    footer: str | None = None


@dataclass(frozen=True)
class Document:
    """What one sample file is made of, before it is drawn."""

    filename: str
    kind: str
    sender: str
    subject: str
    pages: tuple[Page, ...]
    style: PageStyle = field(default_factory=PageStyle)
