"""The files an access request is answered with: a JSON file and a PDF report (and, when asked
for, a ZIP with copies of the documents and acuses still held here), all written to the folder
the administrator chose.

Each file is written atomically (a temporary file beside it, fsynced, renamed), and the set as a
whole too: if one cannot be written, the ones already written are removed, so a failed export
leaves nothing behind to be handed over by mistake. Names carry the date and time, never the
person's CURP or name (a folder listing is not the place for them).
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from mailroom import arco_pdf, fsutil
from mailroom.arco import ArcoReport, ArcoRequest, HeldFiling, PersonData
from mailroom.config import Settings
from mailroom.corrections import as_texts
from mailroom.errors import IntegrityProblem, StorageError
from mailroom.store import BlobStore


@dataclass(frozen=True)
class ArcoExport:
    json_path: Path
    pdf_path: Path
    zip_path: Path | None
    filings: int
    documents: int
    sha256: dict[str, str]  # file name -> SHA-256 of what was written


def write_export(
    data: PersonData,
    report: ArcoReport,
    folder: Path,
    settings: Settings,
    blobs: BlobStore | None = None,
) -> ArcoExport:
    """Write the files (the ZIP only with ``blobs``); ``StorageError`` in Spanish and no file
    left when the folder cannot take them."""
    folder = _ready(Path(folder).expanduser())
    stem = _free_stem(folder, f"arco-{report.produced_at:%Y%m%d-%H%M%S}")
    contents = {
        f"{stem}.json": json_document(data, report).encode("utf-8"),
        f"{stem}.pdf": arco_pdf.render(data, report, settings),
    }
    written: list[Path] = []
    hashes: dict[str, str] = {}
    try:
        for name, payload in contents.items():
            written.append(_write(folder / name, lambda handle, p=payload: handle.write(p)))
            hashes[name] = _sha256(payload)
        zip_path = None
        if blobs is not None:
            zip_path = _write(folder / f"{stem}-documentos.zip", _zip_writer(data, blobs))
            written.append(zip_path)
            hashes[zip_path.name] = _sha256(zip_path.read_bytes())
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise
    return ArcoExport(
        folder / f"{stem}.json",
        folder / f"{stem}.pdf",
        zip_path,
        len(data.filings),
        data.documents,
        hashes,
    )


def json_document(data: PersonData, report: ArcoReport) -> str:
    """The report as JSON, with Spanish keys (it is handed to the person)."""
    document = {
        "documento": "Informe de datos personales (derecho de acceso)",
        "oficina": report.office_name,
        "generado_el": report.produced_at.isoformat(),
        "generado_por": report.produced_by,
        "solicitud": _request(report.request) if report.request else None,
        "busqueda": {"tipo": data.key.kind, "valor": data.key.value},
        "notas": list(data.notes),
        "escritos": [_filing(f) for f in data.filings],
        "solicitudes_arco": [_request(r) for r in data.requests],
    }
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


SENDER_KEYS = ("nombre", "curp", "rfc", "correo", "telefono", "organizacion", "cargo")


def _filing(filing: HeldFiling) -> dict[str, Any]:
    current = filing.current
    texts = as_texts(current)
    return {
        "folio": filing.folio,
        "folio_institucional": filing.institutional_folio,
        "recibido": filing.received_at.isoformat(),
        "canal": filing.channel.value,
        "estado": filing.status.value,
        "tramite": filing.procedure_type,
        "recibio": filing.clerk,
        "remitente": {key: texts[key] for key in SENDER_KEYS},
        **{key: texts[key] for key in ("asunto", "numero_oficio", "fecha_oficio")},
        "campos_corregidos": sorted(current.corrected),
        "documentos": [
            {
                "orden": d.ordinal,
                "archivo": d.filename,
                "tipo": d.mime,
                "sha256": d.sha256,
                "bytes": d.size,
                "paginas": d.pages,
                "copia_local": d.held_locally,
            }
            for d in filing.documents
        ],
        "acuse": None
        if filing.acuse is None
        else {
            "sello": filing.acuse.seal_state,
            "sha256": filing.acuse.sha256,
            "nivel_firma": filing.acuse.signature_level,
            "sellado_el": filing.acuse.sealed_at,
        },
        "correcciones": [
            {
                "campo": c.field,
                "antes": c.before,
                "despues": c.after,
                "motivo": c.reason,
                "fecha": c.at.isoformat(),
                "solicitud_arco": c.arco_request_id,
            }
            for c in filing.corrections
        ],
        "restricciones": [
            {
                "solicitud_arco": r.request_id,
                "tipo": r.kind,
                "conservar_hasta": r.keep_until.isoformat(),
                "fecha": r.at.isoformat(),
            }
            for r in filing.restrictions
        ],
        "historial": [{"fecha": e.at.isoformat(), "evento": e.label} for e in filing.events],
    }


def _request(request: ArcoRequest) -> dict[str, Any]:
    return {
        "numero": request.id,
        "tipo": request.kind,
        "solicitante": request.requester,
        "recibida": request.received_on.isoformat(),
        "detalle": request.details,
        "estado": request.status,
        "procedente": request.granted,
        "resolucion": request.resolution,
        "resuelta_el": request.resolved_at.isoformat() if request.resolved_at else None,
    }


def _zip_writer(data: PersonData, blobs: BlobStore) -> Any:
    """Copies of the documents and acuses held here, one folder per folio. A document whose
    local copy was removed by retention (or fails its hash) is listed in FALTANTES.txt."""

    def write(handle: IO[bytes]) -> None:
        missing: list[str] = []
        with zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for filing in data.filings:
                items = [
                    (f"{d.ordinal:02d}-{_safe(d.filename)}", d.sha256) for d in filing.documents
                ]
                if filing.acuse is not None:
                    items.append(("acuse.pdf", filing.acuse.sha256))
                for name, sha256 in items:
                    try:
                        archive.writestr(f"{_safe(filing.folio)}/{name}", blobs.read_bytes(sha256))
                    except (IntegrityProblem, OSError):
                        missing.append(f"{filing.folio}/{name} (sha256 {sha256})")
            if missing:
                note = "Sin copia en esta oficina (retirada al vencer su conservación):\n"
                archive.writestr("FALTANTES.txt", note + "\n".join(missing) + "\n")

    return write


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name) or "archivo"


def _sha256(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()


def _ready(folder: Path) -> Path:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise _storage_error(folder, error) from error
    if not folder.is_dir():
        raise StorageError(f"{folder} no es una carpeta; elija una carpeta.", path=folder)
    return folder


def _free_stem(folder: Path, stem: str) -> str:
    candidate, number = stem, 1
    while any(folder.glob(f"{candidate}.*")) or any(folder.glob(f"{candidate}-documentos.*")):
        number += 1
        candidate = f"{stem}-{number}"
    return candidate


def _write(path: Path, write: Any) -> Path:
    fsutil.write_atomically(path, write, mode=0o600, failed=_storage_error)
    return path


def _storage_error(path: Path, error: OSError) -> StorageError:
    return StorageError(
        f"No se pudo guardar el informe ARCO en {path}: {error.strerror or error}. Revise que "
        "la carpeta exista, que tenga permiso de escritura y que haya espacio libre; no se "
        "guardó ningún archivo.",
        path=path,
    )
