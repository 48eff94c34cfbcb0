"""Realistic sample filings (scans and a born-digital oficio) for demos, tests and benchmarks.

Everything is drawn from fixed seeds, so the files and their ground truth are the same on every
run of the same library versions. The ground truth of a page is the text drawn on it, one line per
"\\n"; a table row counts as its non-empty cells joined by single spaces; blank lines are not
text.

Run ``python -m mailroom.samples [--out DIR] [--force]``.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import random
import re
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from functools import cache, lru_cache
from pathlib import Path

from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont

from mailroom.errors import ToolMissing

# Bump whenever the output changes, so stale sample folders are regenerated.
VERSION = 2
MANIFEST = "manifest.json"

PAGE_WIDTH_PT, PAGE_HEIGHT_PT = 612.0, 792.0  # US letter, what Mexican offices print on
MARGIN_PT = 72.0
BODY_BOTTOM_PT = PAGE_HEIGHT_PT - 72.0
FOOTER_BASELINE_PT = PAGE_HEIGHT_PT - 40.0
TEXT_WIDTH_PT = PAGE_WIDTH_PT - 2 * MARGIN_PT

_FONT_DIRS = (
    "/usr/share/fonts/truetype/dejavu",  # Debian, Ubuntu (fonts-dejavu-core)
    "/usr/share/fonts/dejavu",  # Fedora
    "/usr/share/fonts/TTF",  # Arch
    "/usr/local/share/fonts",
)
_FONT_FILES = {
    ("serif", False): "DejaVuSerif.ttf",
    ("serif", True): "DejaVuSerif-Bold.ttf",
    ("sans", False): "DejaVuSans.ttf",
    ("sans", True): "DejaVuSans-Bold.ttf",
}
_NUMERIC = re.compile(r"-?[$\d.,%]+")
_MEASURE_PX = 200  # widths are measured once at this size and scaled to points

# Scan look: toner is never pure black, paper never pure white, and the scanner lid shows
# around a skewed sheet.
_INK, _PAPER, _SCANNER_LID = 28, 238, 196


@dataclass(frozen=True)
class Sample:
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


@dataclass(frozen=True)
class Page:
    lines: tuple[Line, ...]
    table: tuple[tuple[str, ...], ...] | None = None
    table_at: int | None = None  # index in lines before which the table goes; None: at the end
    footer: str | None = None


_Rule = tuple[float, float, float, float]  # a table rule from (x1, y1) to (x2, y2), in points


@dataclass(frozen=True)
class _Text:
    x: float
    baseline: float
    text: str
    bold: bool
    size: float


@dataclass(frozen=True)
class _Document:
    """What one sample file is made of, before it is drawn."""

    filename: str
    kind: str
    sender: str
    subject: str
    pages: tuple[Page, ...]
    style: PageStyle = field(default_factory=PageStyle)


def default_out_dir() -> Path:
    return Path(__file__).resolve().parents[1] / "resources" / "samples"


@cache
def _font_path(family: str, bold: bool) -> Path:
    name = _FONT_FILES[(family, bold)]
    for folder in _FONT_DIRS:
        candidate = Path(folder) / name
        if candidate.is_file():
            return candidate
    raise ToolMissing(
        f"No se encontró la fuente {name}. Instale las fuentes DejaVu (paquete fonts-dejavu-core).",
        font=name,
    )


@lru_cache(maxsize=64)
def _font(family: str, bold: bool, size_px: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(_font_path(family, bold)), size_px)


def _width(text: str, family: str, bold: bool, size: float) -> float:
    """Width of text in points at size points."""
    return _font(family, bold, _MEASURE_PX).getlength(text) * size / _MEASURE_PX


def wrap(text: str, style: PageStyle, *, bold: bool = False) -> list[str]:
    """Greedy word wrap to the text width of a page."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}" if current else word
        if current and _width(candidate, style.family, bold, style.size) > TEXT_WIDTH_PT:
            lines.append(current)
            candidate = word
        current = candidate
    if current:
        lines.append(current)
    return lines


def _as_line(line: str | Line) -> Line:
    return line if isinstance(line, Line) else Line(line)


def _make_page(
    lines: Sequence[str | Line],
    table: Sequence[Sequence[str]] | None,
    table_at: int | None,
    footer: str | None,
) -> Page:
    rows = tuple(tuple(row) for row in table) if table else None
    return Page(tuple(_as_line(line) for line in lines), rows, table_at, footer)


def page_ground_truth(
    lines: Sequence[str | Line],
    *,
    table: Sequence[Sequence[str]] | None = None,
    table_at: int | None = None,
    footer: str | None = None,
) -> str:
    """The exact text a page rendered from these arguments shows, in reading order."""
    return _page_text(_make_page(lines, table, table_at, footer))


def _page_text(page: Page) -> str:
    at = len(page.lines) if page.table_at is None else page.table_at
    texts = [line.text for line in page.lines[:at]]
    texts += [" ".join(cell for cell in row if cell) for row in page.table or ()]
    texts += [line.text for line in page.lines[at:]]
    texts.append(page.footer or "")
    return "\n".join(text for text in texts if text)


def _table_height(rows: Sequence[Sequence[str]], style: PageStyle) -> float:
    # Half a line of air above and below keeps the rules clear of the text around them.
    return len(rows) * style.row_height + style.line_height


def _column_widths(rows: Sequence[Sequence[str]], style: PageStyle) -> list[float]:
    """Each column as wide as its widest cell plus padding; the spare width shared evenly."""
    widths = [
        max(_width(row[col], style.family, i == 0, style.size) for i, row in enumerate(rows))
        + style.size
        for col in range(len(rows[0]))
    ]
    spare = TEXT_WIDTH_PT - sum(widths)
    if spare < 0:
        raise ValueError(f"La tabla no cabe en la página (sobran {-spare:.0f} pt): {rows[0]}")
    return [width + spare / len(widths) for width in widths]


def _layout_table(
    rows: Sequence[Sequence[str]], top: float, style: PageStyle
) -> tuple[list[_Text], list[_Rule], float]:
    pad = style.size * 0.5
    widths = _column_widths(rows, style)
    lefts = [MARGIN_PT + sum(widths[:col]) for col in range(len(widths))]
    y = top + style.line_height / 2
    texts: list[_Text] = []
    for i, row in enumerate(rows):
        baseline = y + i * style.row_height + style.row_height / 2 + style.size * 0.35
        for col, cell in enumerate(row):
            x = lefts[col] + pad
            if i > 0 and _NUMERIC.fullmatch(cell):  # amounts line up on the right
                x = lefts[col] + widths[col] - pad - _width(cell, style.family, False, style.size)
            texts.append(_Text(x, baseline, cell, i == 0, style.size))
    bottom = y + len(rows) * style.row_height
    right = MARGIN_PT + TEXT_WIDTH_PT
    rules = [
        (MARGIN_PT, y + i * style.row_height, right, y + i * style.row_height)
        for i in range(len(rows) + 1)
    ]
    rules += [(x, y, x, bottom) for x in [*lefts, right]]
    return texts, rules, top + _table_height(rows, style)


def _line_text(line: Line, y: float, style: PageStyle) -> _Text:
    width = _width(line.text, style.family, line.bold, style.size)
    x = {
        "left": MARGIN_PT,
        "center": (PAGE_WIDTH_PT - width) / 2,
        "right": MARGIN_PT + TEXT_WIDTH_PT - width,
    }[line.align]
    return _Text(x, y + style.size, line.text, line.bold, style.size)


def _layout(page: Page, style: PageStyle) -> tuple[list[_Text], list[_Rule]]:
    """Where every piece of text and every table rule goes, in points from the top left."""
    texts: list[_Text] = []
    rules: list[_Rule] = []
    at = len(page.lines) if page.table_at is None else page.table_at
    y = MARGIN_PT
    for i, line in enumerate([*page.lines, None]):
        if i == at and page.table:
            table_texts, table_rules, y = _layout_table(page.table, y, style)
            texts += table_texts
            rules += table_rules
        if line is not None:
            if line.text:
                texts.append(_line_text(line, y, style))
            y += style.line_height
    if page.footer:
        size = style.size - 2
        width = _width(page.footer, style.family, False, size)
        texts.append(
            _Text((PAGE_WIDTH_PT - width) / 2, FOOTER_BASELINE_PT, page.footer, False, size)
        )
    return texts, rules


def _draw(page: Page, style: PageStyle, dpi: int) -> Image.Image:
    scale = dpi / 72
    image = Image.new("L", (round(PAGE_WIDTH_PT * scale), round(PAGE_HEIGHT_PT * scale)), 255)
    draw = ImageDraw.Draw(image)
    texts, rules = _layout(page, style)
    for text in texts:
        font = _font(style.family, text.bold, round(text.size * scale))
        draw.text(
            (text.x * scale, text.baseline * scale), text.text, font=font, fill=0, anchor="ls"
        )
    for rule in rules:
        draw.line([coordinate * scale for coordinate in rule], fill=0, width=max(1, round(scale)))
    return image


def render_page_image(
    lines: Sequence[str | Line],
    *,
    dpi: int = 300,
    skew_degrees: float = 0.0,
    noise: float = 0.0,
    seed: int = 0,
    table: Sequence[Sequence[str]] | None = None,
    table_at: int | None = None,
    footer: str | None = None,
    style: PageStyle | None = None,
) -> Image.Image:
    """A letter-size grayscale page at dpi; scan-degraded when skew_degrees or noise is set."""
    image = _draw(_make_page(lines, table, table_at, footer), style or PageStyle(), dpi)
    if skew_degrees or noise:
        image = degrade(image, skew_degrees=skew_degrees, noise=noise, seed=seed)
    return image


def degrade(image: Image.Image, *, skew_degrees: float, noise: float, seed: int) -> Image.Image:
    """Make a clean page look scanned: dull contrast, skew, optics blur, dust and grain.

    noise is the grain's standard deviation as a fraction of full scale (0.04 is a tired office
    scanner); dust specks grow with it.
    """
    rng = random.Random(seed)
    scale = image.width / PAGE_WIDTH_PT * 72 / 300  # 1.0 at 300 dpi
    page = image.convert("L").point([_INK + v * (_PAPER - _INK) // 255 for v in range(256)])
    if skew_degrees:
        page = page.rotate(skew_degrees, resample=Image.Resampling.BILINEAR, fillcolor=_SCANNER_LID)
    page = page.filter(ImageFilter.GaussianBlur(0.6 * scale))
    if noise <= 0:
        return page
    draw = ImageDraw.Draw(page)
    for _ in range(int(400 * noise * page.width * page.height / 8.4e6)):
        x, y, r = rng.randrange(page.width), rng.randrange(page.height), rng.uniform(0.8, 2.5)
        draw.ellipse(
            (x - r * scale, y - r * scale, x + r * scale, y + r * scale),
            fill=rng.randrange(40, 150),
        )
    return ImageChops.add(page, _grain(page.size, noise, rng), offset=-128)


def _grain(size: tuple[int, int], noise: float, rng: random.Random) -> Image.Image:
    """Noise centred on 128 with standard deviation noise * 255.

    It is drawn at half resolution and enlarged, so it clumps like paper texture and toner
    instead of per-pixel static (which also keeps the JPEGs about a quarter smaller).
    """
    small = ((size[0] + 1) // 2, (size[1] + 1) // 2)
    pixels = small[0] * small[1]
    # The mean of two uniform byte planes is a triangular grain centred on 127.5 (sd ~52).
    first, second = (Image.frombytes("L", small, rng.randbytes(pixels)) for _ in range(2))
    gain = noise * 255 / 52
    lut = [max(0, min(255, round(128 + (v - 127.5) * gain))) for v in range(256)]
    grain = ImageChops.add(first, second, scale=2.0).point(lut)
    return grain.resize(size, Image.Resampling.BILINEAR)


@dataclass(frozen=True)
class _Jpeg:
    data: bytes
    width: int
    height: int
    colors: str  # the PDF colour space


def _jpeg(image: Image.Image, *, dpi: int, quality: int) -> _Jpeg:
    mode = image.mode if image.mode in ("L", "RGB") else "L"
    buffer = io.BytesIO()
    image.convert(mode).save(buffer, "JPEG", quality=quality, dpi=(dpi, dpi))
    colors = "DeviceRGB" if mode == "RGB" else "DeviceGray"
    return _Jpeg(buffer.getvalue(), image.width, image.height, colors)


def _stream(entries: str, data: bytes) -> bytes:
    return f"<< {entries} /Length {len(data)} >>\nstream\n".encode() + data + b"\nendstream"


def write_scanned_pdf(
    images: Sequence[Image.Image], path: Path, *, dpi: int = 300, quality: int = 75
) -> None:
    """A PDF with one JPEG (DCTDecode) per page and no text, the way scanners write them."""
    pages = [_jpeg(image, dpi=dpi, quality=quality) for image in images]
    Path(path).write_bytes(_scanned_pdf(pages, dpi=dpi))


def _scanned_pdf(pages: Sequence[_Jpeg], *, dpi: int) -> bytes:
    kids = " ".join(f"{3 + 3 * i} 0 R" for i in range(len(pages)))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>".encode(),
    ]
    for i, jpeg in enumerate(pages):
        objects += _scanned_page_objects(jpeg, 3 + 3 * i, dpi=dpi)
    return _pdf_bytes(objects)


def _scanned_page_objects(jpeg: _Jpeg, number: int, *, dpi: int) -> list[bytes]:
    """The page (object number), its content stream and its image, in that order."""
    width, height = jpeg.width * 72 / dpi, jpeg.height * 72 / dpi
    page = (
        f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {width:.2f} {height:.2f}] "
        f"/Resources << /XObject << /Im0 {number + 2} 0 R >> >> /Contents {number + 1} 0 R >>"
    )
    image = (
        f"/Type /XObject /Subtype /Image /Width {jpeg.width} /Height {jpeg.height} "
        f"/ColorSpace /{jpeg.colors} /BitsPerComponent 8 /Filter /DCTDecode"
    )
    return [
        page.encode(),
        _stream("", f"q {width:.2f} 0 0 {height:.2f} 0 0 cm /Im0 Do Q".encode()),
        _stream(image, jpeg.data),
    ]


def _pdf_bytes(objects: Sequence[bytes]) -> bytes:
    """A PDF file of objects numbered from 1, the first being the catalog."""
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\n".encode()
    out += f"startxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def _write_digital_pdf(document: _Document, path: Path) -> None:
    from fpdf import FPDF  # only the born-digital sample needs it

    style = document.style
    pdf = FPDF(orientation="P", unit="pt", format="letter")
    pdf.set_auto_page_break(False)
    # A fixed date keeps the bytes (and the manifest's digest) the same on every run.
    pdf.set_creation_date(datetime(2025, 3, 3, 10, 0, tzinfo=UTC))
    pdf.set_title(document.subject)
    pdf.set_author(document.sender)
    pdf.set_creator("Oficialía, generador de muestras")
    for bold in (False, True):
        pdf.add_font("DejaVu", "B" if bold else "", str(_font_path(style.family, bold)))
    pdf.set_line_width(0.8)
    for page in document.pages:
        pdf.add_page()
        texts, rules = _layout(page, style)
        for text in texts:
            pdf.set_font("DejaVu", "B" if text.bold else "", text.size)
            pdf.text(text.x, text.baseline, text.text)
        for x1, y1, x2, y2 in rules:
            pdf.line(x1, y1, x2, y2)
    pdf.output(str(path))


# A block of a document: a Line, a paragraph (str, wrapped), a keep-together group (list of
# Lines), a table (tuple of rows, the first one the header) or None for a page break.
Block = Line | str | list[Line] | tuple[tuple[str, ...], ...] | None


class _Paginator:
    def __init__(self, style: PageStyle) -> None:
        self.style = style
        self.capacity = BODY_BOTTOM_PT - MARGIN_PT
        self.pages: list[Page] = []
        self._start()

    def _start(self) -> None:
        self.lines: list[Line] = []
        self.table: tuple[tuple[str, ...], ...] | None = None
        self.table_at: int | None = None
        self.used = 0.0

    def flush(self) -> None:
        if self.lines or self.table:
            self.pages.append(Page(tuple(self.lines), self.table, self.table_at))
        self._start()

    def add_line(self, line: Line) -> None:
        if _width(line.text, self.style.family, line.bold, self.style.size) > TEXT_WIDTH_PT:
            raise ValueError(f"La línea no cabe en la página: {line.text!r}")
        if self.used + self.style.line_height > self.capacity:
            self.flush()
        if line.text or self.lines or self.table:  # no blank lines at the top of a page
            self.lines.append(line)
            self.used += self.style.line_height

    def add_group(self, lines: Sequence[Line]) -> None:
        if self.used + len(lines) * self.style.line_height > self.capacity:
            self.flush()
        for line in lines:
            self.add_line(line)

    def add_paragraph(self, lines: Sequence[Line]) -> None:
        # No paragraph starts on a page's last line or leaves its last line alone on the next.
        head, body, tail = lines[:2], lines[2:-2], lines[-2:]
        if len(lines) <= 3:
            head, body, tail = lines, [], []
        self.add_group(head)
        for line in body:
            self.add_line(line)
        self.add_group(tail)
        self.add_line(Line(""))

    def add_table(self, rows: tuple[tuple[str, ...], ...]) -> None:
        _column_widths(rows, self.style)  # fail here, before anything is drawn
        height = _table_height(rows, self.style)
        if self.table is not None or self.used + height > self.capacity:
            self.flush()
        self.table, self.table_at = rows, len(self.lines)
        self.used += height


def _paginate(blocks: Sequence[Block], style: PageStyle, *, numbered: bool = True) -> list[Page]:
    paginator = _Paginator(style)
    for block in blocks:
        if block is None:
            paginator.flush()
        elif isinstance(block, Line):
            paginator.add_line(block)
        elif isinstance(block, str):
            paginator.add_paragraph([Line(text) for text in wrap(block, style)])
        elif isinstance(block, list):
            paginator.add_group(block)
        else:
            paginator.add_table(block)
    paginator.flush()
    total = len(paginator.pages)
    if not numbered:
        return paginator.pages
    return [
        Page(page.lines, page.table, page.table_at, f"Página {number} de {total}")
        for number, page in enumerate(paginator.pages, start=1)
    ]


def _fit(build: Callable[[int], list[Block]], style: PageStyle, pages: int) -> list[Page]:
    """Paginate build(extra) with the largest extra that still gives exactly pages pages.

    Growing the filler this way keeps the page count fixed even if another DejaVu version
    measures text slightly differently, and it leaves the last text page well filled.
    """
    best: list[Page] | None = None
    for extra in range(40):
        paged = _paginate(build(extra), style)
        if len(paged) > pages:
            break
        if len(paged) == pages:
            best = paged
    if best is None:
        raise RuntimeError(f"El contenido de muestra no llena exactamente {pages} páginas.")
    return best


# ---- Content: a fictional but typical municipality, its people and its paperwork ----

_PLACE = "San Martín Texmelucan, Puebla"
_GIVEN = "José|Rosa|Jesús|Ana|Martín|Verónica|Ramón|Leticia|Raúl|Beatriz|Joaquín|Mónica|Tomás|Inés"
_SURNAMES = (
    "Hernández|García|López|Pérez|Sánchez|Ramírez|Cruz|Gómez|Flores|Reyes|Díaz|Muñoz|Ávila|Peña"
    "|Núñez|Ibáñez|Méndez|Ordóñez|Zúñiga|Solís"
)
_STREETS = (
    "Niños Héroes|Benito Juárez|Francisco I. Madero|Emiliano Zapata|Miguel Hidalgo"
    "|Ignacio Zaragoza|Cuauhtémoc|Belisario Domínguez"
)
_LOCALITIES = (
    "San Baltazar Temaxcalac|San Jerónimo Tianguismanalco|Santa María Moyotzingo"
    "|San Lucas Atoyatenco|San Cristóbal Tepatlaxco|Álvaro Obregón"
)
_MONTHS = "enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|octubre|noviembre|diciembre"
_ORDINALS = (
    "PRIMERO|SEGUNDO|TERCERO|CUARTO|QUINTO|SEXTO|SÉPTIMO|OCTAVO|NOVENO|DÉCIMO|UNDÉCIMO|DUODÉCIMO"
    "|DECIMOTERCERO|DECIMOCUARTO|DECIMOQUINTO|DECIMOSEXTO"
)

# Sentences for the citizens' escrito and the agency's oficio; {slots} are filled per use.
_CITIZEN_SENTENCES = (
    "Desde hace más de {anos} años las familias de la colonia habitamos de manera pacífica, "
    "pública y continua los predios ubicados sobre la calle {calle}.",
    "A la fecha la calle {calle} carece de pavimento, banquetas y guarniciones, por lo que en "
    "temporada de lluvias se vuelve intransitable para peatones y vehículos.",
    "El día {fecha} presentamos ante la Dirección de Obras Públicas una solicitud similar, a la "
    "que se asignó el folio {folio}, sin que hasta el momento hayamos recibido respuesta.",
    "Los vecinos hemos cubierto puntualmente el impuesto predial y los derechos por el servicio "
    "de agua potable, como se acredita con los recibos que se anexan al presente.",
    "En reiteradas ocasiones los camiones recolectores de basura y las pipas de agua se han "
    "negado a ingresar a la colonia debido al mal estado del camino.",
    "La falta de alumbrado público entre las calles {calle} y {calle2} ha propiciado robos a "
    "transeúntes, sobre todo a estudiantes que regresan de la secundaria por la noche.",
    "Durante la sesión de cabildo celebrada el {fecha} se informó que la colonia sería "
    "considerada en el programa de obra pública del siguiente ejercicio fiscal.",
    "Personal de la Dirección de Catastro realizó un levantamiento topográfico de {n} predios, "
    "cuyos resultados nunca fueron notificados a los poseedores.",
    "Los escurrimientos pluviales arrastran lodo y piedras hacia las viviendas de la parte baja, "
    "lo que ha provocado daños en muros y bardas.",
    "Estamos dispuestos a aportar mano de obra y una parte del costo de los materiales, bajo el "
    "esquema de participación ciudadana que establece el reglamento municipal.",
    "La asamblea general de colonos, reunida el {fecha}, acordó por unanimidad presentar esta "
    "petición y nombrar a la mesa directiva como su representante ante el Ayuntamiento.",
    "Según el padrón de la asociación, en la colonia viven {n} familias, muchas de ellas con "
    "adultos mayores y personas con discapacidad.",
    "¿Cómo es posible que después de tantos años sigamos sin los servicios más básicos que la "
    "ley obliga a prestar al municipio?",
    "No omitimos mencionar que varios vecinos han sufrido caídas y lesiones al transitar de "
    "noche por la calle, situación que pudo haberse evitado.",
    "La acumulación de agua estancada ha favorecido la proliferación del mosco transmisor del "
    "dengue, según informó el Centro de Salud de la localidad.",
    "Hemos acudido en diversas ocasiones a las oficinas de la Presidencia Municipal, donde se "
    "nos ha pedido paciencia en tanto se autoriza el presupuesto.",
    "La calle {calle} es la única vía de acceso al jardín de niños Josefa Ortiz de Domínguez y "
    "al centro de salud de la colonia.",
    "En {anio} se instaló de manera provisional una toma de agua comunitaria, que resulta "
    "insuficiente para abastecer a todas las familias.",
    "La Comisión Estatal del Agua señaló mediante el oficio {oficio} que la red de drenaje "
    "de la colonia requiere una ampliación de {metros} metros lineales.",
    "¡Nuestros hijos merecen caminar a la escuela por calles seguras y limpias!",
    "Los postes instalados sobre la calle {calle2} carecen de luminarias desde hace {anos} "
    "meses, a pesar de los reportes levantados ante la Dirección de Servicios Públicos.",
    "Los trabajos de introducción de drenaje iniciados en {anio} quedaron inconclusos y los "
    "registros permanecen abiertos, con el riesgo que ello implica para los niños.",
    "El transporte público dejó de circular por la colonia, por lo que los vecinos deben "
    "caminar más de un kilómetro hasta la carretera federal.",
    "En la parte alta de la colonia el agua llega únicamente dos veces por semana y con muy "
    "baja presión.",
    "Los predios fueron adquiridos mediante contratos privados celebrados con el ejidatario "
    "original, quien falleció sin haber concluido la escrituración.",
    "La Dirección de Catastro nos informó verbalmente que la regularización requiere un plano "
    "de lotificación autorizado, el cual nunca ha sido elaborado.",
    "Varios vecinos han intentado tramitar su licencia de construcción, pero les ha sido negada "
    "por no contar con escritura pública.",
    "En la temporada de secas el polvo que levantan los vehículos provoca enfermedades "
    "respiratorias, sobre todo en niños y adultos mayores.",
    "Los vecinos organizamos faenas para rellenar los baches con grava, pero las lluvias del "
    "{fecha} arrastraron el material.",
    "Se reunieron {n} firmas de vecinos que respaldan esta petición, mismas que se relacionan "
    "al final del presente escrito.",
    "La ambulancia de Protección Civil tardó más de una hora en llegar a un domicilio de la "
    "calle {calle} porque no pudo cruzar el arroyo.",
    "Los vecinos de la calle {calle2} ofrecieron donar una franja de terreno para ampliar la "
    "vialidad a ocho metros de sección.",
    "A pesar de los escritos enviados, la autoridad no ha realizado ninguna visita de "
    "inspección para constatar las condiciones de la colonia.",
)
_AGENCY_SENTENCES = (
    "Las acciones que se describen fueron priorizadas con base en el diagnóstico de cobertura "
    "elaborado conjuntamente con el organismo operador municipal.",
    "La ejecución de las obras estará sujeta a la disponibilidad presupuestal y a la firma del "
    "convenio de coordinación correspondiente.",
    "Se solicita que el Ayuntamiento designe a un servidor público como enlace técnico, "
    "responsable de dar seguimiento a los avances físicos y financieros.",
    "Es indispensable que el municipio acredite la propiedad o posesión legal de los terrenos "
    "donde se construirán los tanques de regulación.",
    "Los proyectos ejecutivos cumplen con las normas oficiales mexicanas en materia de agua "
    "potable y con los lineamientos de la Comisión Nacional del Agua.",
    "La aportación municipal deberá depositarse en la cuenta bancaria que se indique para tal "
    "efecto, a más tardar el {fecha}.",
    "De no contar con la aportación comprometida, los recursos podrán reasignarse a otros "
    "municipios de la región conforme a las reglas de operación.",
    "El organismo operador deberá garantizar la operación y el mantenimiento de la "
    "infraestructura una vez concluida y entregada formalmente.",
    "La supervisión estará a cargo de personal de esta Comisión, con la participación del "
    "comité de contraloría social de cada localidad.",
    "Se estima que las acciones beneficiarán a {n} habitantes y elevarán la cobertura de agua "
    "potable en {pct} puntos porcentuales.",
    "La planta de tratamiento de aguas residuales de la cabecera municipal presenta un rezago en "
    "su mantenimiento que compromete su eficiencia.",
    "Se recomienda actualizar el padrón de usuarios y las tarifas del servicio, a fin de asegurar "
    "la autosuficiencia financiera del organismo operador.",
    "La rehabilitación de la línea de conducción se hará por tramos para no interrumpir el "
    "suministro por más de {horas} horas.",
    "Las localidades de {localidad} y {localidad2} presentan la mayor incidencia de enfermedades "
    "de origen hídrico, según datos de la Jurisdicción Sanitaria.",
    "Cualquier modificación a las metas o a los montos deberá solicitarse por escrito y quedará "
    "sujeta a la autorización de la Dirección de Planeación.",
    "Al término de cada obra se levantará el acta de entrega-recepción, en la que participarán el "
    "municipio, esta Comisión y el comité de contraloría social.",
    "Los volúmenes de extracción deberán corresponder a los títulos de concesión vigentes "
    "expedidos por la Comisión Nacional del Agua.",
    "Los precios unitarios se integraron conforme al tabulador de la Secretaría de "
    "Infraestructura vigente para el presente ejercicio.",
    "Las obras se licitarán de manera pública y los fallos se publicarán en el sistema "
    "electrónico de compras gubernamentales.",
    "Cada localidad contará con un cartel que indique el monto, la fuente de los recursos y el "
    "plazo de ejecución de la obra.",
    "Para la ampliación de las redes se utilizará tubería de polietileno de alta densidad, salvo "
    "en los cruces con vialidades primarias.",
    "El municipio deberá tramitar los permisos de construcción y los derechos de vía ante las "
    "autoridades federales y estatales.",
    "Los avances físicos y financieros se reportarán cada mes en el sistema de seguimiento de "
    "esta Comisión.",
    "La calidad del agua se verificará mediante muestreos trimestrales de cloro residual libre "
    "en la red de distribución de {localidad}.",
    "Las economías que se generen podrán aplicarse a metas adicionales en las mismas "
    "localidades, previa autorización.",
    "Las tomas domiciliarias que se instalen deberán contar con medidor, a fin de promover el "
    "uso eficiente del agua.",
)


def _pick(options: str, rng: random.Random, count: int = 1) -> list[str]:
    return rng.sample(options.split("|"), count)


def _values(rng: random.Random) -> dict[str, str]:
    street, street2 = _pick(_STREETS, rng, 2)
    locality, locality2 = _pick(_LOCALITIES, rng, 2)
    date = f"{rng.randint(1, 28)} de {_pick(_MONTHS, rng)[0]} de {rng.choice((2023, 2024))}"
    return {
        "calle": street, "calle2": street2, "localidad": locality, "localidad2": locality2,
        "fecha": date, "anio": str(rng.choice((2019, 2020, 2021))),
        "folio": f"DOP/{rng.randint(100, 999)}/{rng.choice((2023, 2024))}",
        "oficio": f"CEAS/DT/{rng.randint(100, 999)}/2024", "n": str(rng.randint(120, 480)),
        "metros": f"{rng.randint(3, 18) * 50:,}", "anos": str(rng.randint(12, 30)),
        "pct": str(rng.randint(3, 12)), "horas": str(rng.choice((6, 8, 12))),
    }  # fmt: skip


def _prose(pool: Sequence[str], rng: random.Random, count: int) -> list[str]:
    """count paragraphs of two to four sentences, using every sentence before repeating one."""
    queue: list[str] = []
    paragraphs = []
    for _ in range(count):
        sentences = []
        for _ in range(rng.randint(2, 4)):
            queue = queue or rng.sample(list(pool), len(pool))
            sentences.append(queue.pop().format(**_values(rng)))
        paragraphs.append(" ".join(sentences))
    return paragraphs


def _numbered(paragraphs: Sequence[str]) -> list[str]:
    ordinals = _ORDINALS.split("|")
    names = [ordinals[i] if i < len(ordinals) else f"{i + 1}o" for i in range(len(paragraphs))]
    return [f"{name}.- {text}" for name, text in zip(names, paragraphs, strict=True)]


def _person(rng: random.Random) -> str:
    return " ".join(_pick(_GIVEN, rng) + _pick(_SURNAMES, rng, 2))


def _money(amount: float) -> str:
    return f"${amount:,.2f}".replace("$-", "-$")


def _lines(*specs: str) -> list[Line]:
    """Lines from a small markup: a leading ">" aligns right, "^" centres, then "*" is bold."""
    lines = []
    for spec in specs:
        align = {">": "right", "^": "center"}.get(spec[:1], "left")
        text = spec[1:] if align != "left" else spec
        bold = text.startswith("*")
        lines.append(Line(text[1:] if bold else text, align, bold))
    return lines


def _heading(text: str) -> list[Line]:
    return _lines(f"^*{text}", "")


def _signature(name: str, *lines: str, slogan: str = "") -> list[Line]:
    # Three blank lines leave room for the handwritten signature.
    head = ["^*ATENTAMENTE", f"^{slogan}"] if slogan else ["^*ATENTAMENTE"]
    return _lines(*head, "", "", "", f"^*{name}", *(f"^{text}" for text in lines), "")


_MAYOR = _lines(
    "*C. MARÍA GUADALUPE IBÁÑEZ SÁNCHEZ", "*PRESIDENTA MUNICIPAL CONSTITUCIONAL",
    "*DE SAN MARTÍN TEXMELUCAN, PUEBLA.", "*PRESENTE", "",
)  # fmt: skip
_COLONOS = "Asociación de Colonos de Lomas de San Isidro, A.C."
_COLONOS_SENDER = "José Ángel Muñoz Córdova"
_BUDGET = (
    ("Trazo y nivelación del terreno", "m²", 1860, 12.0),
    ("Excavación para guarniciones", "m³", 148, 280.0),
    ("Guarnición de concreto", "m", 620, 500.0),
    ("Banqueta de concreto de 10 cm", "m²", 930, 469.0),
    ("Base hidráulica compactada", "m³", 372, 600.0),
    ("Carpeta asfáltica de 5 cm", "m²", 1860, 600.0),
    ("Señalamiento horizontal", "m", 620, 60.0),
)
_LAW = (
    "El artículo 115 de la Constitución Política de los Estados Unidos Mexicanos dispone que los "
    "municipios tendrán a su cargo los servicios de agua potable, drenaje, alumbrado público y "
    "calles, y la Ley Orgánica Municipal del Estado de Puebla confiere al Ayuntamiento la "
    "prestación de esos servicios y la ejecución de la obra pública.",
    "La Ley General de Asentamientos Humanos, Ordenamiento Territorial y Desarrollo Urbano "
    "reconoce la necesidad de regularizar la tenencia de la tierra en los asentamientos humanos "
    "y prevé la concurrencia de los tres órdenes de gobierno para lograrlo.",
    "La Ley de Participación Ciudadana del Estado establece mecanismos de colaboración entre "
    "vecinos y autoridades para ejecutar obras de beneficio colectivo, como la que se solicita.",
    "El derecho de petición obliga a la autoridad a responder por escrito, de manera fundada y "
    "motivada, en un plazo breve, y a notificar su respuesta al peticionario.",
)
_REQUESTS = (
    "PRIMERO.- Tenernos por presentados en los términos de este escrito, reconociendo la "
    "personalidad con que nos ostentamos.",
    "SEGUNDO.- Instruir a la Dirección de Obras Públicas para que incluya la pavimentación de la "
    "calle Niños Héroes en el programa de obra del ejercicio fiscal 2025.",
    "TERCERO.- Ordenar a la Dirección de Catastro que inicie la regularización de los predios "
    "relacionados en el presente escrito.",
    "CUARTO.- Dar respuesta por escrito a esta petición en el domicilio señalado.",
    "Sin otro particular, agradecemos la atención que se sirva prestar al presente y quedamos en "
    "espera de su respuesta.",
)


def _plots_table(rng: random.Random) -> tuple[tuple[str, ...], ...]:
    rows = [("Clave catastral", "Poseedor", "Sup. (m²)", "Adeudo")]
    for _ in range(9):
        key = f"132-{rng.randint(1, 60):03d}-{rng.randint(1, 40):03d}"
        area = f"{rng.randint(9000, 42000) / 100:,.2f}"
        rows.append((key, _person(rng), area, _money(rng.randint(800, 14000))))
    return tuple(rows)


def _budget_table() -> tuple[tuple[str, ...], ...]:
    rows = [("Concepto", "Unidad", "Cantidad", "Importe")]
    rows += [(name, unit, f"{qty:,}", _money(qty * price)) for name, unit, qty, price in _BUDGET]
    rows.append(("Total estimado", "", "", _money(sum(q * p for _, _, q, p in _BUDGET))))
    return tuple(rows)


def _signatories(rng: random.Random, first: int, count: int) -> tuple[tuple[str, ...], ...]:
    # The "Firma" cells stay empty: the signatures are handwritten on the original.
    rows = [("No.", "Nombre", "Domicilio", "Firma")]
    for number in range(first, first + count):
        address = f"{_pick(_STREETS, rng)[0]} {rng.randint(2, 240)}"
        rows.append((str(number), _person(rng), address, ""))
    return tuple(rows)


def _escrito_blocks(extra: int) -> list[Block]:
    rng = random.Random(1001)
    facts = _prose(_CITIZEN_SENTENCES, rng, 12 + extra)
    signatories: list[Block] = []
    for first in (1, 23, 45):
        signatories += [None, *_heading("RELACIÓN DE VECINOS QUE SUSCRIBEN")]
        signatories.append(_signatories(rng, first, 22))
    return [
        *_lines(f">{_PLACE}, a 14 de marzo de 2025.", ""),
        *_lines(">*ASUNTO: Se solicita la regularización de predios", ">*y la pavimentación de la "
                "calle Niños Héroes.", ""),
        *_MAYOR,
        f"Los que suscriben, integrantes de la mesa directiva de la {_COLONOS}, señalando como "
        "domicilio para oír y recibir notificaciones el ubicado en la calle Niños Héroes número "
        "148, colonia Lomas de San Isidro, de este municipio, y autorizando para los mismos "
        "efectos al C. Joaquín Peña Ríos, con el debido respeto comparecemos para exponer:",
        "Que con fundamento en el artículo 8o. de la Constitución Política de los Estados Unidos "
        "Mexicanos, que consagra el derecho de petición, venimos a solicitar su intervención "
        "para atender las necesidades de nuestra colonia, conforme a los siguientes:",
        *_heading("ANTECEDENTES"), *_numbered(facts[:5]),
        "Los predios que se relacionan a continuación se encuentran en posesión de sus actuales "
        "ocupantes, quienes cuentan con contratos privados de compraventa:",
        _plots_table(rng), Line(""), *_heading("HECHOS"), *_numbered(facts[5:]),
        "El cuadro siguiente resume los conceptos de obra y sus importes estimados, calculados con "
        "el catálogo de precios unitarios vigente:",
        _budget_table(), Line(""), *_heading("CONSIDERACIONES DE DERECHO"), *_LAW,
        *_heading("PETICIONES"), *_REQUESTS,
        _signature("JOSÉ ÁNGEL MUÑOZ CÓRDOVA", "Presidente de la Mesa Directiva de la", _COLONOS,
                   slogan="Sufragio Efectivo. No Reelección."),
        _lines("c.c.p. Lic. Arturo Cárdenas Ordóñez, Secretario del H. Ayuntamiento.",
               "c.c.p. Ing. Sofía Zúñiga Peña, Directora de Obras Públicas."),
        *signatories,
    ]  # fmt: skip


_OFICIO_NUMBER = "CEAS/DG/0457/2025"
_SCHEDULE = (
    ("Etapa", "Inicio", "Término"),
    ("Validación de proyectos ejecutivos", "3 de marzo", "28 de marzo"),
    ("Licitación y contratación", "1 de abril", "16 de mayo"),
    ("Ejecución de obras", "19 de mayo", "31 de octubre"),
    ("Pruebas y puesta en marcha", "3 de noviembre", "28 de noviembre"),
    ("Entrega-recepción", "1 de diciembre", "12 de diciembre"),
)
_FUNDING = (
    ("Fuente de financiamiento", "Participación", "Monto"),
    ("Programa federal de agua potable", "50%", "$9,850,000.00"),
    ("Gobierno del Estado", "30%", "$5,910,000.00"),
    ("Municipio de San Martín Texmelucan", "20%", "$3,940,000.00"),
    ("Total", "100%", "$19,700,000.00"),
)
_DOCUMENTS = _lines(
    "1. Acta de cabildo que autorice la participación del municipio en el programa.",
    "2. Constancia de propiedad o posesión de los terrenos para las obras.",
    "3. Oficio de designación del enlace técnico municipal.",
    "4. Contrato de la cuenta bancaria productiva específica.",
    "5. Dictamen de factibilidad emitido por el organismo operador.",
    "6. Padrón de beneficiarios por localidad.",
    "",
)


def _works_table(rng: random.Random) -> tuple[tuple[str, ...], ...]:
    actions = "Red de agua|Pozo profundo|Tanque elevado|Colector|Drenaje"
    rows = [("Localidad", "Acción", "Habitantes", "Inversión")]
    for locality in _LOCALITIES.split("|"):
        people = f"{rng.randint(8, 95) * 50:,}"
        rows.append(
            (locality, _pick(actions, rng)[0], people, _money(rng.randint(400, 5200) * 1e3))
        )
    return tuple(rows)


def _pipes_table(rng: random.Random, locality: str) -> list[Block]:
    rows = [("Tramo", "Calle", "Diámetro", "Longitud m", "Material")]
    for number in range(1, 23):
        diameter = rng.choice(("75 mm", "100 mm", "150 mm", "200 mm"))
        material = rng.choice(("PEAD", "PVC hidráulico", "Acero"))
        length = f"{rng.randint(40, 900):,}"
        rows.append((f"T-{number:02d}", _pick(_STREETS, rng)[0], diameter, length, material))
    return [None, *_heading("ANEXO TÉCNICO"), *_lines(f"*Localidad: {locality}", ""), tuple(rows)]


def _oficio_blocks(extra: int) -> list[Block]:
    rng = random.Random(2002)
    body = _prose(_AGENCY_SENTENCES, rng, 12 + extra)
    third = len(body) // 3
    annex = [block for name in _LOCALITIES.split("|")[:5] for block in _pipes_table(rng, name)]
    return [
        *_lines("^*GOBIERNO DEL ESTADO DE PUEBLA", "^*COMISIÓN ESTATAL DEL AGUA Y SANEAMIENTO",
                "^*DIRECCIÓN GENERAL", "", f">*Oficio número: {_OFICIO_NUMBER}",
                ">Asunto: Programa de obras de agua potable y saneamiento 2025.",
                ">Puebla, Pue., a 3 de marzo de 2025.", ""),
        *_MAYOR,
        "Con fundamento en la Ley del Agua para el Estado de Puebla, me permito hacer de su "
        "conocimiento el programa de obras de agua potable, alcantarillado y saneamiento que esta "
        "Comisión ejecutará en su municipio durante el ejercicio fiscal 2025.",
        *body[:third], "Las obras programadas por localidad son las siguientes:",
        _works_table(rng), Line(""), *body[third : 2 * third],
        "El calendario de ejecución previsto es el siguiente:", _SCHEDULE, Line(""),
        *body[2 * third :], "La estructura financiera del programa se resume a continuación:",
        _FUNDING, Line(""), "Para la firma del convenio, el municipio deberá remitir:", _DOCUMENTS,
        "Sin otro particular, le envío un cordial saludo.",
        _signature("ING. RODRIGO BÁEZ VILLASEÑOR", "DIRECTOR GENERAL",
                   slogan="SUFRAGIO EFECTIVO. NO REELECCIÓN."),
        _lines("c.c.p. Mtra. Elena Ríos Méndez, Secretaria de Infraestructura.", "c.c.p. Archivo."),
        *annex,
    ]  # fmt: skip


def _solicitud_blocks() -> list[Block]:
    return [
        *_lines(f">{_PLACE}, a 10 de marzo de 2025.", "",
                ">*ASUNTO: Solicitud de constancia de residencia.", "",
                "*LIC. ARTURO CÁRDENAS ORDÓÑEZ", "*SECRETARIO DEL H. AYUNTAMIENTO", "*PRESENTE",
                ""),
        "La que suscribe, María Fernanda Peña Ortiz, mexicana, mayor de edad, con domicilio en la "
        "calle Sor Juana Inés de la Cruz número 37, colonia Centro, de este municipio, "
        "respetuosamente solicito se me expida una constancia de residencia.",
        "La constancia es necesaria para inscribir a mi hijo en la escuela secundaria técnica "
        "número 12 y para tramitar la beca Benito Juárez. Habito en el domicilio señalado desde "
        "hace once años, lo que pueden confirmar mis vecinos y el jefe de manzana.",
        "Anexo copia de mi credencial para votar, comprobante de domicilio reciente y dos "
        "fotografías tamaño infantil. ¿Podrían indicarme, por favor, el costo del trámite y "
        "la fecha en que podré recogerla?",
        "Agradezco de antemano su atención.",
        _signature("MARÍA FERNANDA PEÑA ORTIZ", "Teléfono: 248 484 1296",
                   "Correo: mfernanda.pena@correo.mx"),
    ]  # fmt: skip


def _comprobante_blocks() -> list[Block]:
    concepts = (
        ("Impuesto predial", "2025", 1842.0),
        ("Alumbrado público", "2025", 320.0),
        ("Recolección de basura", "2025", 410.0),
        ("Descuento por pronto pago", "15%", -276.3),
    )
    rows = [("Concepto", "Periodo", "Importe")]
    rows += [(name, period, _money(amount)) for name, period, amount in concepts]
    rows.append(("Total pagado", "", _money(sum(amount for _, _, amount in concepts))))
    return [
        *_lines("^*H. AYUNTAMIENTO DE SAN MARTÍN TEXMELUCAN", "^*TESORERÍA MUNICIPAL",
                "^*RECIBO OFICIAL DE PAGO", "", ">*Folio: TM-2025-018734",
                "Fecha de pago: 10 de febrero de 2025, 11:42 h",
                "Contribuyente: Rubén Darío Núñez Álvarez", "Clave catastral: 132-045-007",
                "Ubicación: Calle Cuauhtémoc 215, colonia Santa Cruz Moxolahuac", ""),
        tuple(rows), Line(""),
        "Importe con letra: DOS MIL DOSCIENTOS NOVENTA Y CINCO PESOS 70/100 M.N.",
        *_lines("Forma de pago: efectivo. Caja 2, cajera Lucía Ordóñez.",
                "Este recibo no es válido si presenta tachaduras o enmendaduras.", "",
                "^*¡Gracias por cumplir con sus contribuciones!"),
    ]  # fmt: skip


def _anexos_blocks() -> list[Block]:
    rng = random.Random(3003)
    receipts = [("No.", "Contribuyente", "Recibo", "Importe")]
    receipts += [(str(i), _person(rng), f"TM-2025-{rng.randint(10000, 30000):06d}",
                  _money(rng.randint(600, 4200))) for i in range(1, 16)]  # fmt: skip
    photos = _prose(_CITIZEN_SENTENCES, rng, 4)
    return [
        *_heading("ANEXO 1"), *_heading("RELACIÓN DE RECIBOS DEL IMPUESTO PREDIAL 2025"),
        "Recibos de pago de los vecinos que respaldan la solicitud, cuyas copias se acompañan:",
        tuple(receipts), None, *_heading("ANEXO 2"), *_heading("EXTRACTO DEL ACTA DE ASAMBLEA"),
        "En San Martín Texmelucan, Puebla, siendo las dieciocho horas del día 2 de febrero de "
        f"2025, se celebró la asamblea general ordinaria de la {_COLONOS}",
        *_prose(_CITIZEN_SENTENCES, rng, 3),
        "No habiendo otro asunto que tratar, se cerró la sesión a las veinte horas con quince "
        "minutos, firmando al calce quienes en ella intervinieron.",
        None, *_heading("ANEXO 3"), *_heading("DESCRIPCIÓN DEL REPORTE FOTOGRÁFICO"),
        *(f"Fotografía {number}. {text}" for number, text in enumerate(photos, start=1)),
    ]  # fmt: skip


# ---- Generation ----

_SERIF = PageStyle()
_SANS = PageStyle("sans", 11.0, 1.45)
_SCAN_DPI = 300
_SCAN_NOISE = 0.035


def _scan(document: _Document, seed: int) -> list[Image.Image]:
    """Each page as a scanner would return it; skew varies per page like hand-fed sheets."""
    rng = random.Random(seed)
    skews = [rng.uniform(0.3, 1.5) * rng.choice((-1, 1)) for _ in document.pages]
    # Text is drawn on this thread (FreeType faces are shared); the degradation runs on all
    # cores because Pillow releases the GIL while it rotates, blurs and resizes.
    clean = [_draw(page, document.style, _SCAN_DPI) for page in document.pages]

    def scanned(number: int) -> Image.Image:
        return degrade(clean[number], skew_degrees=skews[number], noise=_SCAN_NOISE,
                       seed=seed + number)  # fmt: skip

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        return list(pool.map(scanned, range(len(clean))))


def _encode_all(images: Sequence[Image.Image], *, quality: int) -> list[_Jpeg]:
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        return list(pool.map(lambda image: _jpeg(image, dpi=_SCAN_DPI, quality=quality), images))


def _sample(
    document: _Document, filename: str | None = None, pages: Sequence[Page] | None = None
) -> Sample:
    pages = document.pages if pages is None else pages
    return Sample(
        filename or document.filename,
        document.kind,
        document.sender,
        document.subject,
        len(pages),
        tuple(_page_text(page) for page in pages),
    )


def _write_escrito(out: Path) -> list[Sample]:
    document = _Document(
        "escrito-10-fojas.pdf",
        "escaneado",
        _COLONOS_SENDER,
        "Solicitud de regularización de predios y pavimentación de la calle Niños Héroes",
        tuple(_fit(_escrito_blocks, _SERIF, 10)),
    )
    jpegs = _encode_all(_scan(document, seed=10), quality=75)
    # The page files hold the very bytes embedded in the PDF: the same scan, two containers.
    (out / document.filename).write_bytes(_scanned_pdf(jpegs, dpi=_SCAN_DPI))
    (out / "escrito-10-fojas").mkdir(exist_ok=True)
    samples = [_sample(document)]
    for number, (jpeg, page) in enumerate(zip(jpegs, document.pages, strict=True), start=1):
        name = f"escrito-10-fojas/pagina-{number:02d}.jpg"
        (out / name).write_bytes(jpeg.data)
        samples.append(_sample(document, name, [page]))
    return samples


def _write_single_scans(out: Path) -> list[Sample]:
    solicitud = _Document(
        "solicitud.jpg",
        "escaneado",
        "María Fernanda Peña Ortiz",
        "Solicitud de constancia de residencia",
        tuple(_paginate(_solicitud_blocks(), _SERIF, numbered=False)),
    )
    (image,) = _scan(solicitud, seed=20)
    (out / solicitud.filename).write_bytes(_jpeg(image, dpi=_SCAN_DPI, quality=80).data)
    comprobante = _Document(
        "comprobante.png",
        "escaneado",
        "Rubén Darío Núñez Álvarez",
        "Comprobante de pago del impuesto predial 2025",
        tuple(_paginate(_comprobante_blocks(), _SANS, numbered=False)),
        _SANS,
    )
    (image,) = _scan(comprobante, seed=30)
    image.save(out / comprobante.filename, "PNG")  # no dpi on purpose: many scanners omit it
    return [_sample(solicitud), _sample(comprobante)]


def _write_anexos(out: Path) -> Sample:
    document = _Document(
        "anexos.tif",
        "escaneado",
        _COLONOS_SENDER,
        "Anexos de la solicitud de regularización de predios",
        tuple(_paginate(_anexos_blocks(), _SERIF)),
    )
    # A bitonal scanner thresholds the page; G4 is what such scanners store.
    threshold = [255 if value > 150 else 0 for value in range(256)]
    frames = [image.point(threshold, "1") for image in _scan(document, seed=40)]
    frames[0].save(
        out / document.filename,
        save_all=True,
        append_images=frames[1:],
        compression="group4",
        dpi=(_SCAN_DPI, _SCAN_DPI),
    )
    return _sample(document)


def _write_oficio(out: Path) -> Sample:
    document = _Document(
        "oficio-digital.pdf",
        "digital",
        "Ing. Rodrigo Báez Villaseñor",
        f"Oficio {_OFICIO_NUMBER}: programa de obras de agua potable y saneamiento 2025",
        tuple(_fit(_oficio_blocks, _SANS, 10)),
        _SANS,
    )
    _write_digital_pdf(document, out / document.filename)
    return _sample(document)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _write_manifest(out: Path, samples: Sequence[Sample]) -> None:
    entries = [{**asdict(sample), "sha256": _sha256(out / sample.filename)} for sample in samples]
    text = json.dumps({"version": VERSION, "samples": entries}, ensure_ascii=False, indent=2)
    partial = out / f"{MANIFEST}.partial"
    partial.write_text(text + "\n", encoding="utf-8")
    partial.replace(out / MANIFEST)


def load_manifest(out_dir: Path | None = None) -> list[Sample]:
    """The samples recorded in out_dir's manifest, without regenerating anything."""
    out = Path(out_dir) if out_dir is not None else default_out_dir()
    data = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    return [
        Sample(
            entry["filename"],
            entry["kind"],
            entry["sender"],
            entry["subject"],
            entry["pages"],
            tuple(entry["ground_truth"]),
        )
        for entry in data["samples"]
    ]


def _is_current(out: Path) -> bool:
    try:
        data = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
        return data["version"] == VERSION and all(
            (out / entry["filename"]).is_file() for entry in data["samples"]
        )
    except (OSError, ValueError, KeyError, TypeError):
        return False


def generate_samples(out_dir: Path | None = None, *, force: bool = False) -> list[Sample]:
    """Write every sample and manifest.json into out_dir; reuse them when already current."""
    out = Path(out_dir) if out_dir is not None else default_out_dir()
    if not force and _is_current(out):
        return load_manifest(out)
    out.mkdir(parents=True, exist_ok=True)
    # The manifest is written last, so its presence means the set is complete.
    (out / MANIFEST).unlink(missing_ok=True)
    escrito, *page_images = _write_escrito(out)
    samples = [
        escrito,
        *_write_single_scans(out),
        _write_anexos(out),
        _write_oficio(out),
        *page_images,
    ]
    _write_manifest(out, samples)
    return samples


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m mailroom.samples",
        description="Genera escritos de muestra (escaneados y digitales) con su texto exacto.",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help=f"carpeta de salida (predeterminada: {default_out_dir()})",
    )
    parser.add_argument(
        "--force", action="store_true", help="regenerar aunque las muestras ya estén al día"
    )
    args = parser.parse_args(argv)
    out = args.out if args.out is not None else default_out_dir()
    if not args.force and _is_current(out):
        print(f"Las muestras de {out} ya están al día (use --force para regenerarlas).")
        return 0
    started = time.perf_counter()
    samples = generate_samples(out, force=True)
    elapsed = time.perf_counter() - started
    print(f"Se generaron {len(samples)} muestras en {out} ({elapsed:.1f} s).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
