"""The visible seal on the acuse: its text must fit its box (fonts of any units per em)."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

from pyhanko.pdf_utils.reader import PdfFileReader

from mailroom.acuses import AcuseService
from mailroom.config import Settings
from mailroom.store import Store
from tests.test_acuses import register, self_made_signer


def _widths(cid_font) -> dict[int, float]:  # type: ignore[no-untyped-def]
    widths: dict[int, float] = {}
    entries = list(cid_font["/W"])
    for first, run in zip(entries[0::2], entries[1::2], strict=True):
        for offset, width in enumerate(run):
            widths[int(first) + offset] = float(width)
    return widths


def test_the_stamp_text_fits_inside_its_box(
    store: Store, settings: Settings, tmp_path: Path
) -> None:
    folio = register(store, settings, tmp_path)
    sealed = AcuseService(store, settings).seal(folio, self_made_signer())
    reader = PdfFileReader(BytesIO(sealed.pdf))
    field = reader.root["/AcroForm"]["/Fields"][0].get_object()
    appearance = field["/AP"]["/N"].get_object()
    left, _, right, _ = (float(v) for v in appearance["/BBox"])
    font = appearance["/Resources"]["/Font"]["/F1"].get_object()
    widths = _widths(font["/DescendantFonts"][0].get_object())
    # In thousandths of an em, as PDF reads them: no Latin glyph is wider than an em. With the
    # font's own 2048 units (what pyHanko wrote) the digits came out at 1303.
    assert max(widths.values()) <= 1000
    content = appearance.data.decode("latin-1")
    font_size = float(content.split("/F1 ")[1].split(" Tf")[0])
    for hex_run in content.split("[<")[1:]:
        cids = bytes.fromhex(hex_run.split(">]")[0])
        line = sum(widths[int.from_bytes(cids[i : i + 2], "big")] for i in range(0, len(cids), 2))
        assert line * font_size / 1000 < right - left, "una línea del sello se sale del recuadro"
