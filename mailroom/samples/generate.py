"""Writing the sample files and their manifest, and the ``python -m mailroom.samples`` command."""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from pathlib import Path

from PIL import Image

from mailroom.samples import documents
from mailroom.samples.digital import write_digital_pdf
from mailroom.samples.layout import page_text
from mailroom.samples.model import Document, Page, Sample
from mailroom.samples.render import Jpeg, degrade, draw_page, encode_jpeg, scanned_pdf

# Bump whenever the output changes, so stale sample folders are regenerated.
VERSION = 2
MANIFEST = "manifest.json"

_SCAN_DPI = 300
_SCAN_NOISE = 0.035


DATA_FOLDER_NAME = "muestras"


def default_out_dir() -> Path:
    """The source tree's ``resources/samples`` (tests, benchmarks, the samples command)."""
    return Path(__file__).resolve().parents[2] / "resources" / "samples"


def samples_dir(data_dir: Path) -> Path:
    """Where a demo keeps its samples: the source tree's folder in a checkout (made once for
    every demo profile and test run), else the data folder's ``muestras`` — a packaged or
    installed build never writes where it is installed."""
    from mailroom.resources import frozen

    checkout = default_out_dir()
    if not frozen() and (checkout / "README.md").is_file():
        return checkout
    return data_dir / DATA_FOLDER_NAME


def _scan(document: Document, seed: int) -> list[Image.Image]:
    """Each page as a scanner would return it; skew varies per page like hand-fed sheets."""
    rng = random.Random(seed)
    skews = [rng.uniform(0.3, 1.5) * rng.choice((-1, 1)) for _ in document.pages]
    # Text is drawn on this thread (FreeType faces are shared); the degradation runs on all
    # cores because Pillow releases the GIL while it rotates, blurs and resizes.
    clean = [draw_page(page, document.style, _SCAN_DPI) for page in document.pages]

    def scanned(number: int) -> Image.Image:
        return degrade(clean[number], skew_degrees=skews[number], noise=_SCAN_NOISE,
                       seed=seed + number)  # fmt: skip

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        return list(pool.map(scanned, range(len(clean))))


def _encode_all(images: Sequence[Image.Image], *, quality: int) -> list[Jpeg]:
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        return list(
            pool.map(lambda image: encode_jpeg(image, dpi=_SCAN_DPI, quality=quality), images)
        )


def _sample(
    document: Document, filename: str | None = None, pages: Sequence[Page] | None = None
) -> Sample:
    pages = document.pages if pages is None else pages
    return Sample(
        filename or document.filename,
        document.kind,
        document.sender,
        document.subject,
        len(pages),
        tuple(page_text(page) for page in pages),
    )


def _write_escrito(out: Path) -> list[Sample]:
    document = documents.escrito()
    jpegs = _encode_all(_scan(document, seed=10), quality=75)
    # The page files hold the very bytes embedded in the PDF: the same scan, two containers.
    (out / document.filename).write_bytes(scanned_pdf(jpegs, dpi=_SCAN_DPI))
    (out / "escrito-10-fojas").mkdir(exist_ok=True)
    samples = [_sample(document)]
    for number, (jpeg, page) in enumerate(zip(jpegs, document.pages, strict=True), start=1):
        name = f"escrito-10-fojas/pagina-{number:02d}.jpg"
        (out / name).write_bytes(jpeg.data)
        samples.append(_sample(document, name, [page]))
    return samples


def _write_single_scans(out: Path) -> list[Sample]:
    solicitud = documents.solicitud()
    (image,) = _scan(solicitud, seed=20)
    (out / solicitud.filename).write_bytes(encode_jpeg(image, dpi=_SCAN_DPI, quality=80).data)
    comprobante = documents.comprobante()
    (image,) = _scan(comprobante, seed=30)
    image.save(out / comprobante.filename, "PNG")  # no dpi on purpose: many scanners omit it
    return [_sample(solicitud), _sample(comprobante)]


def _write_anexos(out: Path) -> Sample:
    document = documents.anexos()
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
    document = documents.oficio()
    write_digital_pdf(document, out / document.filename)
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
