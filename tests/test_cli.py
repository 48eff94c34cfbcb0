from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from mailroom import tmpfiles
from mailroom.cli import main
from mailroom.samples import render_page_image
from mailroom.store import BlobStore


def run(data_dir: Path, capsys: pytest.CaptureFixture, *args: str) -> tuple[int, str, str]:
    code = main(["--data-dir", str(data_dir), *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def letter(tmp_path: Path) -> Path:
    path = tmp_path / "escrito.jpg"
    render_page_image(
        [
            "Solicitud de poda del árbol frente a la escuela",
            "ubicada en la calle Niños Héroes número 12.",
        ],
        dpi=300,
    ).save(path, "JPEG", dpi=(300, 300), quality=85)
    return path


def test_intake_show_list_search_status_audit_and_libro(
    data_dir: Path, letter: Path, capsys: pytest.CaptureFixture
) -> None:
    code, out, err = run(
        data_dir,
        capsys,
        "intake",
        str(letter),
        "--remitente",
        "Lucía Ñúñez",
        "--asunto",
        "Poda de árbol",
        "--area",
        "Servicios Públicos",
        "--fojas",
        "2",
        "--anexo",
        "Fotografías:3",
    )
    assert code == 0
    folio = out.strip()
    assert folio.startswith("OPM-") and folio.endswith("-C01-000001")
    assert "Se declararon 2 fojas y se digitalizaron 1 páginas" in err
    assert "1 páginas listas" in err

    code, out, _ = run(data_dir, capsys, "show", folio)
    assert code == 0 and "Lucía Ñúñez" in out and "2 declaradas, 1 digitalizadas" in out

    code, out, _ = run(data_dir, capsys, "show", folio, "--json")
    shown = json.loads(out)
    assert shown["folio"] == folio and shown["documents"][0]["pages"][0]["ocr_status"] == "hecha"

    code, out, _ = run(data_dir, capsys, "list", "--json")
    assert [row["folio"] for row in json.loads(out)] == [folio]

    code, out, _ = run(data_dir, capsys, "search", "ninos", "heroes", "--json")
    assert [hit["folio"] for hit in json.loads(out)["hits"]] == [folio]

    code, out, _ = run(data_dir, capsys, "ocr", "status", "--json")
    assert json.loads(out)["pages_done"] == 1

    code, out, _ = run(data_dir, capsys, "audit", "verify")
    assert code == 0 and "Bitácora íntegra: 2 eventos" in out

    day = json.loads(run(data_dir, capsys, "show", folio, "--json")[1])["received_at"][:10]
    code, out, _ = run(data_dir, capsys, "libro", "--fecha", day)
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["Folio"], r["Área turnada"], r["Anexos"]) for r in rows] == [
        (folio, "Servicios Públicos", "Fotografías (3 fojas)")
    ]


def test_duplicate_intake_exits_3_and_names_the_folio(
    data_dir: Path, letter: Path, capsys: pytest.CaptureFixture
) -> None:
    args = ["intake", str(letter), "--remitente", "Ana", "--asunto", "Queja", "--sin-esperar-ocr"]
    folio = run(data_dir, capsys, *args)[1].strip()
    code, out, err = run(data_dir, capsys, *args)
    assert code == 3 and out == ""
    assert f"ya se registró con el folio {folio}" in err
    code, out, _ = run(data_dir, capsys, *args, "--motivo-duplicado", "segunda presentación")
    assert code == 0 and out.strip().endswith("000002")


def test_unknown_folio_exits_4(data_dir: Path, capsys: pytest.CaptureFixture) -> None:
    code, _, err = run(data_dir, capsys, "show", "OPM-2026-C01-999999")
    assert code == 4 and "No existe un escrito con folio" in err


def test_tampered_audit_log_exits_2(
    data_dir: Path, letter: Path, capsys: pytest.CaptureFixture
) -> None:
    import sqlite3

    run(
        data_dir,
        capsys,
        "intake",
        str(letter),
        "--remitente",
        "Ana",
        "--asunto",
        "Queja",
        "--sin-esperar-ocr",
    )
    db = sqlite3.connect(data_dir / "oficialia.sqlite3")
    db.execute("DROP TRIGGER events_no_update")
    db.execute("UPDATE events SET payload = replace(payload, 'Queja', 'Felicitación')")
    db.commit()
    db.close()
    code, _, err = run(data_dir, capsys, "audit", "verify")
    assert code == 2 and "¡Bitácora alterada!" in err and "evento 1" in err


BAD_INPUTS = {
    "vacio.pdf": (b"", "está vacío"),
    "miente.pdf": (b"\x89PNG\r\n\x1a\n" + b"\0" * 64, "PNG"),
    "roto.pdf": (b"%PDF-1.7\n" + bytes(range(256)) * 8, "PDF"),
}


@pytest.mark.parametrize("name", sorted(BAD_INPUTS))
def test_bad_files_exit_65_with_a_spanish_message_and_register_nothing(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture, name: str
) -> None:
    content, message = BAD_INPUTS[name]
    path = tmp_path / name
    path.write_bytes(content)
    code, out, err = run(
        data_dir, capsys, "intake", str(path), "--remitente", "Ana", "--asunto", "Queja"
    )
    assert code == 65 and out == ""
    assert name in err and message in err
    code, out, _ = run(data_dir, capsys, "list", "--json")
    assert json.loads(out) == []


def test_directory_and_missing_path_are_refused(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    for target in (tmp_path, tmp_path / "no-existe.pdf"):
        code, _, err = run(
            data_dir, capsys, "intake", str(target), "--remitente", "Ana", "--asunto", "Queja"
        )
        assert code == 65 and str(target.name) in err


def test_missing_tesseract_says_how_to_install(
    data_dir: Path, letter: Path, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    code, out, err = run(
        data_dir, capsys, "intake", str(letter), "--remitente", "Ana", "--asunto", "Queja"
    )
    # The filing is registered (registration never waits for OCR); OCR stays queued.
    assert out.strip().endswith("000001")
    assert code == 69 and "tesseract-ocr-spa" in err
    monkeypatch.undo()
    code, out, _ = run(data_dir, capsys, "ocr", "status", "--json")
    assert json.loads(out)["pages_pending"] == 1


def test_store_check_reports_a_damaged_document(
    data_dir: Path, letter: Path, capsys: pytest.CaptureFixture
) -> None:
    folio = run(data_dir, capsys, "intake", str(letter), "--remitente", "Ana", "--asunto", "Queja")[
        1
    ].strip()
    code, out, _ = run(data_dir, capsys, "store", "check")
    assert code == 0 and "Todo en orden." in out
    assert json.loads(run(data_dir, capsys, "store", "check", "--json")[1])["ok"] is True

    sha = json.loads(run(data_dir, capsys, "show", folio, "--json")[1])["documents"][0]["sha256"]
    blob = data_dir / "blobs" / sha[:2] / sha[2:4] / sha
    blob.write_bytes(blob.read_bytes()[:-10])
    code, out, _ = run(data_dir, capsys, "store", "check")
    assert code == 2 and f"Archivo faltante o alterado: {sha}" in out
    assert "¡Se encontraron problemas!" in out


def _hostile_files(folder: Path) -> dict[str, tuple[Path, str]]:
    """Each kind of bad file a citizen or a scanner can hand over, and what the clerk is told."""
    from fpdf import FPDF

    from tests.test_capture_files import (
        jpeg_bytes,
        page_image,
        pdf_with_pages,
        png_header_only,
        scanned_pdf,
    )

    whole = scanned_pdf(folder / "completo.pdf", [jpeg_bytes(), jpeg_bytes()]).read_bytes()
    (folder / "cortado.pdf").write_bytes(whole[: len(whole) // 2])
    protected = FPDF()
    protected.set_encryption(owner_password="dueño", user_password="secreto")
    protected.add_page()
    protected.output(str(folder / "protegido.pdf"))
    frames = [page_image(), page_image()]
    frames[0].save(folder / "cortado.tif", save_all=True, append_images=frames[1:])
    tiff = (folder / "cortado.tif").read_bytes()
    (folder / "cortado.tif").write_bytes(tiff[: len(tiff) // 3])
    return {
        "truncated pdf": (folder / "cortado.pdf", "está incompleto"),
        "encrypted pdf": (folder / "protegido.pdf", "contraseña"),
        "truncated tiff": (folder / "cortado.tif", "está dañado o incompleto"),
        "bomb": (png_header_only(folder / "bomba.png", 30_000, 30_000), "900.0 megapíxeles"),
        "5000 pages": (pdf_with_pages(folder / "enorme.pdf", 5000), "max_pdf_pages"),
    }


@pytest.mark.parametrize(
    "kind", ["truncated pdf", "encrypted pdf", "truncated tiff", "bomb", "5000 pages"]
)
def test_hostile_files_are_refused_end_to_end(
    data_dir: Path, tmp_path: Path, letter: Path, capsys: pytest.CaptureFixture, kind: str
) -> None:
    path, message = _hostile_files(tmp_path)[kind]
    code, out, err = run(
        data_dir, capsys, "intake", str(letter), str(path), "--remitente", "Ana", "--asunto", "Q"
    )
    assert code == 65 and out == ""
    assert path.name in err and message in err
    assert json.loads(run(data_dir, capsys, "list", "--json")[1]) == []
    assert list(BlobStore(data_dir / "blobs").stored()) == []  # not even the good letter
    assert tmpfiles.work_left(data_dir) == []


def test_data_dir_may_follow_the_subcommand(
    data_dir: Path, letter: Path, capsys: pytest.CaptureFixture
) -> None:
    args = ["--remitente", "Ana", "--asunto", "Queja", "--sin-esperar-ocr"]
    assert main(["intake", str(letter), *args, "--data-dir", str(data_dir)]) == 0
    folio = capsys.readouterr().out.strip()
    assert main(["list", "--json", "--data-dir", str(data_dir)]) == 0
    assert [row["folio"] for row in json.loads(capsys.readouterr().out)] == [folio]
