"""What a file really is, judged by its first bytes rather than by its name.

A file's extension is a claim made by whoever named it; the magic bytes are what every program
that opens it will actually see. Intake trusts the bytes and refuses a file whose name says
otherwise, because a register entry must describe the document it holds.
"""

from __future__ import annotations

from pathlib import Path

PDF = "application/pdf"
JPEG = "image/jpeg"
PNG = "image/png"
TIFF = "image/tiff"

ACCEPTED_MIMES = (PDF, JPEG, PNG, TIFF)

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
ACCEPTED_LABEL = "PDF, JPEG, PNG o TIFF"

# Enough for every signature below, including a PDF header after leading junk: readers accept
# "%PDF-" anywhere in the first 1024 bytes, and so does pdfium.
HEAD_BYTES = 4096
_PDF_HEADER_WINDOW = 1024

_PREFIXES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", PNG),
    (b"\xff\xd8\xff", JPEG),
    (b"II*\x00", TIFF),
    (b"MM\x00*", TIFF),
    (b"II+\x00", TIFF),  # BigTIFF
    (b"MM\x00+", TIFF),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"\x00\x00\x00\x0cjP  \r\n\x87\n", "image/jp2"),
    (b"\xffO\xffQ", "image/jp2"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "application/x-ole-storage"),
    (b"{\\rtf", "application/rtf"),
    (b"%!PS", "application/postscript"),
    (b"7z\xbc\xaf\x27\x1c", "application/x-7z-compressed"),
    (b"Rar!\x1a\x07", "application/vnd.rar"),
    (b"\x1f\x8b", "application/gzip"),
)

# "BM" alone is too weak a signature; the info-header size that follows has only a few values.
_BMP_HEADER_SIZES = (b"\x0c\0\0\0", b"(\0\0\0", b"l\0\0\0", b"|\0\0\0")

_ISO_BRANDS = {
    b"heic": "image/heic",
    b"heix": "image/heic",
    b"mif1": "image/heic",
    b"msf1": "image/heic",
    b"avif": "image/avif",
}

_DESCRIPTIONS = {
    PDF: "un PDF",
    JPEG: "una imagen JPEG",
    PNG: "una imagen PNG",
    TIFF: "una imagen TIFF",
    "image/gif": "una imagen GIF",
    "image/bmp": "una imagen BMP",
    "image/webp": "una imagen WebP",
    "image/heic": "una foto HEIC (formato de iPhone)",
    "image/avif": "una imagen AVIF",
    "image/jp2": "una imagen JPEG 2000",
    "image/svg+xml": "un dibujo SVG",
    "application/x-ole-storage": "un documento antiguo de Office (.doc, .xls o .ppt)",
    DOCX: "un documento de Word (.docx)",
    XLSX: "una hoja de Excel (.xlsx)",
    PPTX: "una presentación de PowerPoint (.pptx)",
    "application/vnd.oasis.opendocument.text": "un documento de OpenDocument (.odt)",
    "application/zip": "un archivo comprimido ZIP",
    "application/x-7z-compressed": "un archivo comprimido 7z",
    "application/vnd.rar": "un archivo comprimido RAR",
    "application/gzip": "un archivo comprimido GZIP",
    "application/rtf": "un documento RTF",
    "application/postscript": "un archivo PostScript",
    "application/xml": "un archivo XML",
    "text/html": "una página web (HTML)",
    "text/plain": "texto simple",
    "video/mp4": "un video",
}

_EXTENSIONS = {
    ".pdf": PDF,
    ".jpg": JPEG,
    ".jpeg": JPEG,
    ".jpe": JPEG,
    ".jfif": JPEG,
    ".png": PNG,
    ".tif": TIFF,
    ".tiff": TIFF,
    ".gif": "image/gif",
    ".bmp": "image/bmp",
    ".webp": "image/webp",
    ".heic": "image/heic",
    ".heif": "image/heic",
    ".avif": "image/avif",
    ".jp2": "image/jp2",
    ".j2k": "image/jp2",
    ".jpx": "image/jp2",
    ".svg": "image/svg+xml",
    ".doc": "application/x-ole-storage",
    ".xls": "application/x-ole-storage",
    ".ppt": "application/x-ole-storage",
    ".docx": DOCX,
    ".xlsx": XLSX,
    ".pptx": PPTX,
    ".odt": "application/vnd.oasis.opendocument.text",
    ".zip": "application/zip",
    ".7z": "application/x-7z-compressed",
    ".rar": "application/vnd.rar",
    ".gz": "application/gzip",
    ".rtf": "application/rtf",
    ".ps": "application/postscript",
    ".xml": "application/xml",
    ".html": "text/html",
    ".htm": "text/html",
    ".txt": "text/plain",
    ".mp4": "video/mp4",
    ".mov": "video/mp4",
}


def sniff_mime(path: Path) -> str | None:
    """The MIME type ``path``'s content has, or ``None`` when it is not one we recognise.

    Recognises the accepted types and the usual wrong ones (Word, ZIP, HEIC photos, text...) so a
    refusal can say what the file really is. ``OSError`` from reading propagates.
    """
    with Path(path).open("rb") as handle:
        return sniff_bytes(handle.read(HEAD_BYTES))


def sniff_bytes(head: bytes) -> str | None:
    """Like :func:`sniff_mime`, for the first :data:`HEAD_BYTES` of a file."""
    if b"%PDF-" in head[:_PDF_HEADER_WINDOW]:
        return PDF
    for prefix, mime in _PREFIXES:
        if head.startswith(prefix):
            return mime
    return _sniff_containers(head) or _sniff_text(head)


def mime_for_extension(path: Path) -> str | None:
    """The type a file's extension claims, or ``None`` for no or an unfamiliar extension."""
    return _EXTENSIONS.get(Path(path).suffix.lower())


def describe(mime: str | None) -> str:
    """A Spanish noun phrase for a type, to use in messages ("una imagen PNG")."""
    if mime is None:
        return "de un tipo que no se reconoce"
    return _DESCRIPTIONS.get(mime, f"de tipo {mime}")


def _sniff_containers(head: bytes) -> str | None:
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "image/webp"
    if head[4:8] == b"ftyp":
        return _ISO_BRANDS.get(head[8:12], "video/mp4")
    if head.startswith(b"BM") and head[14:18] in _BMP_HEADER_SIZES:
        return "image/bmp"
    if head.startswith(b"PK\x03\x04"):
        return _sniff_zip(head)
    return None


def _sniff_zip(head: bytes) -> str:
    # Office files are ZIPs; the first entries' names say which kind (ODF stores its type first).
    if b"mimetypeapplication/vnd.oasis.opendocument.text" in head:
        return "application/vnd.oasis.opendocument.text"
    for marker, mime in (
        (b"word/", DOCX),
        (b"xl/", XLSX),
        (b"ppt/", PPTX),
    ):
        if marker in head:
            return mime
    return "application/zip"


def _sniff_text(head: bytes) -> str | None:
    if not head or b"\0" in head:
        return None
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as error:
        # The read may have cut a multi-byte character in two; otherwise it is likely a
        # Windows-1252 text, which Latin-1 decodes well enough to judge printability.
        cut = error.start >= len(head) - 3
        text = head[: error.start].decode("utf-8") if cut else head.decode("latin-1")
    start = text.lstrip("\ufeff \t\r\n").lower()
    if start.startswith(("<!doctype html", "<html")):
        return "text/html"
    if start.startswith("<?xml"):
        return "image/svg+xml" if "<svg" in start else "application/xml"
    if start.startswith("<svg"):
        return "image/svg+xml"
    printable = sum(1 for char in text if char.isprintable() or char in "\t\r\n\f")
    return "text/plain" if printable >= 0.95 * len(text) else None
