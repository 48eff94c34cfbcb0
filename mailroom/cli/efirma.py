"""The e.firma commands: ``oficialia efirma info|check``, ``oficialia sign``, ``oficialia acuse``,
``oficialia acuses pendientes|sellar``, and the sealing options of ``oficialia intake``.

Only the acuse commands need the store; the others set ``needs_store=False`` so that checking a
certificate never creates a data folder. pyHanko and the acuse stack load when a command here
runs, never when the parser is built.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mailroom.config import Settings
from mailroom.errors import InvalidInput, OficialiaError, StorageError, UnreadableFile

if TYPE_CHECKING:
    from mailroom.acuses import StoredAcuse
    from mailroom.store import Store
    from signing import CertificateIdentity, Credentials, PdfSigner

PASSWORD_PROMPT = "Contraseña de la e.firma: "


def _now() -> datetime:
    """The instant credentials are checked and documents signed (tests freeze it here)."""
    return datetime.now(UTC)


def add_signing_commands(commands: Any, common: argparse.ArgumentParser) -> None:
    """Register the e.firma subcommands on ``commands`` (the top-level subparsers action)."""
    efirma = commands.add_parser("efirma", help="e.firma (FIEL) del SAT").add_subparsers(
        dest="efirma_command", required=True
    )
    info = efirma.add_parser("info", parents=[common], help="titular y vigencia de un .cer")
    info.add_argument("--cer", type=Path, required=True, help="certificado (.cer)")
    info.add_argument("--json", action="store_true")
    info.set_defaults(handler=cmd_efirma_info, needs_store=False)

    check = efirma.add_parser(
        "check", parents=[common], help="comprobar que la e.firma abre y puede firmar hoy"
    )
    _add_credential_options(check, required=True)
    check.set_defaults(handler=cmd_efirma_check, needs_store=False)

    sign = commands.add_parser("sign", parents=[common], help="firmar un PDF con la e.firma")
    sign.add_argument("input", type=Path, metavar="ENTRADA.pdf")
    sign.add_argument("-o", "--output", type=Path, required=True, metavar="SALIDA.pdf")
    sign.add_argument("--motivo", default="Firma electrónica", help="motivo de la firma")
    _add_credential_options(sign, required=True)
    sign.set_defaults(handler=cmd_sign, needs_store=False)

    acuse = commands.add_parser(
        "acuse", parents=[common], help="acuse de recibo guardado (se sella si se da la e.firma)"
    )
    acuse.add_argument("folio")
    acuse.add_argument("-o", "--output", type=Path, required=True, metavar="ARCHIVO.pdf")
    _add_credential_options(acuse, required=False)
    acuse.set_defaults(handler=cmd_acuse)

    # A group of its own: ``acuse FOLIO`` takes a positional folio, which a ``sellar`` subcommand
    # on the same parser would be mistaken for.
    acuses = commands.add_parser("acuses", help="acuses pendientes de sello").add_subparsers(
        dest="acuses_command", required=True
    )
    pending = acuses.add_parser(
        "pendientes", parents=[common], help="acuses que esperan el sello de la e.firma"
    )
    pending.add_argument("--json", action="store_true")
    pending.set_defaults(handler=cmd_acuses_pendientes)
    seal = acuses.add_parser(
        "sellar", parents=[common], help="sellar con la e.firma todos los acuses pendientes"
    )
    _add_credential_options(seal, required=True)
    seal.add_argument("--limite", type=int, help="sellar como máximo N acuses")
    seal.add_argument("--json", action="store_true")
    seal.set_defaults(handler=cmd_acuses_sellar)


def add_intake_sealing_options(intake: argparse.ArgumentParser) -> None:
    """``intake --cer --key [--password-file]``: seal the acuse right after registering."""
    _add_credential_options(intake, required=False)


def unlock_for_intake(
    args: argparse.Namespace, settings: Settings, store: Store | None = None
) -> PdfSigner | None:
    """The signer for ``intake``, opened BEFORE registering: a wrong password registers nothing."""
    _require_pair(args)
    if args.cer is None:
        return None
    return _office_signer(args, settings, store)


def seal_after_intake(
    store: Store, settings: Settings, folio: str, signer: PdfSigner | None
) -> StoredAcuse:
    """Seal the new filing's acuse if a signer is open; if sealing fails the filing stays
    registered and its acuse pending (``oficialia acuses sellar`` seals it later)."""
    from mailroom.acuses import AcuseService

    service = AcuseService(store, settings)
    if signer is not None:
        try:
            return service.seal(folio, signer)
        except OficialiaError as error:  # the filing is registered either way: say so, go on
            print(f"Aviso: no se pudo sellar el acuse: {error.message}", file=sys.stderr)
    return service.current(folio)


def _add_credential_options(parser: argparse.ArgumentParser, *, required: bool) -> None:
    parser.add_argument("--cer", type=Path, required=required, help="certificado (.cer)")
    parser.add_argument("--key", type=Path, required=required, help="llave privada (.key)")
    parser.add_argument(
        "--password-file",
        type=Path,
        help="archivo con la contraseña (si se omite, se pregunta sin mostrarla)",
    )


def cmd_efirma_info(args: argparse.Namespace, store: Store | None, settings: Settings) -> int:
    from signing import load_certificate

    _, identity = load_certificate(args.cer)
    if args.json:
        print(json.dumps(_identity_dict(identity), ensure_ascii=False, indent=2))
        return 0
    print(f"Titular:            {identity.name}")
    print(f"RFC:                {identity.rfc}")
    if identity.representative_rfc:
        print(f"RFC representante:  {identity.representative_rfc}")
    if identity.curp:
        print(f"CURP:               {identity.curp}")
    if identity.representative_curp:
        print(f"CURP representante: {identity.representative_curp}")
    print(f"Persona:            {'física' if identity.kind == 'fisica' else 'moral'}")
    print(f"Tipo:               {_kind_label(identity)}")
    print(f"Número de cert.:    {identity.certificate_number}")
    print(
        f"Vigencia:           del {identity.not_before:%Y-%m-%d %H:%M} al "
        f"{identity.not_after:%Y-%m-%d %H:%M} UTC ({_validity_label(identity)})"
    )
    print(f"Emisor:             {identity.issuer}")
    return 0


def cmd_efirma_check(args: argparse.Namespace, store: Store | None, settings: Settings) -> int:
    from signing import CertificateRevoked
    from signing.office import revocation_checker
    from signing.revocation import RevocationStatus
    from signing.trust import trust_store_from_settings

    credentials = _credentials(args, settings)
    identity = credentials.identity
    trust = trust_store_from_settings(settings)
    checker = revocation_checker(settings, trust=trust)
    issuer = trust.issuer_of(credentials.certificate_der)
    if checker is not None and issuer is not None:
        check = checker.check(credentials.certificate_der, issuer)
        if check.status is RevocationStatus.REVOCADO:
            raise CertificateRevoked(
                f"La e.firma de {identity.name} ({identity.rfc}) está REVOCADA: "
                f"{check.message} No la use; tramite una nueva en el SAT.",
                certificate_number=identity.certificate_number,
            )
        print(check.message)
    print(f"e.firma válida: {identity.name} ({identity.rfc}), vence {identity.not_after:%Y-%m-%d}")
    return 0


def cmd_sign(args: argparse.Namespace, store: Store | None, settings: Settings) -> int:
    if _same_file(args.input, args.output):
        raise InvalidInput(
            "El archivo de salida (-o) no puede ser el mismo que el de entrada; elija otro nombre.",
            field="output",
        )
    try:
        pdf = args.input.read_bytes()
    except OSError as error:
        raise UnreadableFile(
            f"No se pudo leer el PDF {args.input}: {error.strerror}.", path=args.input
        ) from error
    signer = _office_signer(args, settings, store)
    signed = signer.sign_document(pdf, reason=args.motivo, field_name="Firma")
    _write_atomically(args.output, signed.pdf)
    print(f"Firmado: {args.output} (PAdES {signed.level})")
    for note in signed.notes:
        print(f"Aviso: {note}", file=sys.stderr)
    return 0


def cmd_acuse(args: argparse.Namespace, store: Store | None, settings: Settings) -> int:
    from mailroom.acuses import AcuseService

    assert store is not None  # acuse keeps needs_store=True
    _require_pair(args)
    # Credentials first: a wrong password should fail before anything is sealed or written.
    signer = _office_signer(args, settings, store) if args.cer else None
    service = AcuseService(store, settings)
    acuse = service.current(args.folio)  # NotFound, or IntegrityProblem for a bad stored PDF
    if signer is not None and not acuse.sealed:
        acuse = service.seal(acuse.filing_id, signer)
    _write_atomically(args.output, acuse.pdf)
    print(args.output)
    print(f"Estado: {_state_label(acuse)}")
    print(f"Cadena original sha256: {acuse.cadena_digest}")
    if not acuse.sealed:
        print(
            "Aviso: acuse sin sello; indique --cer y --key para sellarlo "
            "(o «oficialia acuses sellar»).",
            file=sys.stderr,
        )
    return 0


def cmd_acuses_pendientes(args: argparse.Namespace, store: Store | None, settings: Settings) -> int:
    from mailroom.acuses import AcuseService

    assert store is not None
    pending = AcuseService(store, settings).pending()
    if args.json:
        rows = [
            {"folio": p.folio, "id": p.filing_id, "recibido": p.received_at.isoformat()}
            for p in pending
        ]
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    for item in pending:
        print(f"{item.folio}  recibido {item.received_at.isoformat()}")
    print(f"{len(pending)} acuses pendientes de sello.", file=sys.stderr)
    return 0


def cmd_acuses_sellar(args: argparse.Namespace, store: Store | None, settings: Settings) -> int:
    from mailroom.acuses import AcuseService

    assert store is not None
    signer = _office_signer(args, settings, store)
    report = AcuseService(store, settings).seal_pending(signer, limit=args.limite)
    if args.json:
        failures = [{"folio": f.folio, "error": f.message} for f in report.failures]
        result = {"sellados": list(report.sealed), "fallidos": failures}
        print(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        for folio in report.sealed:
            print(f"Sellado: {folio}")
        print(f"{len(report.sealed)} acuses sellados, {len(report.failures)} con error.")
    for failure in report.failures:
        print(f"Error: {failure.folio}: {failure.message}", file=sys.stderr)
    return 0 if report.ok else 1


def _require_pair(args: argparse.Namespace) -> None:
    if (args.cer is None) != (args.key is None):
        raise InvalidInput("Para sellar el acuse indique --cer y --key juntos.", field="cer")


def _state_label(acuse: StoredAcuse) -> str:
    if acuse.sealed:
        return f"sellado ({acuse.signature_level}, RFC {acuse.signer_rfc})"
    return "pendiente de sello"


def _credentials(args: argparse.Namespace, settings: Settings) -> Credentials:
    """Open the e.firma; warn (not refuse) when its issuer is not in the trust store.

    Not refused: when SAT starts issuing from a new authority (as it did with AC6 and AC7 in
    2023), refusing would lock out every office with a new e.firma until an admin adds that
    authority (``trust_extra_dir``) or an update ships it. ``signing.credentials.
    check_trusted_issuer`` is there for callers that must refuse."""
    from signing import load_credentials
    from signing.trust import trust_store_from_settings

    credentials = load_credentials(
        args.cer, args.key, _password(args), purpose="documento", now=_now()
    )
    trust = trust_store_from_settings(settings)
    if trust.issuer_of(credentials.certificate_der) is None:
        print(
            f"Aviso: la autoridad que emitió esta e.firma («{credentials.identity.issuer}») no "
            "está entre las de confianza de esta oficina; lo que selle no se podrá validar como "
            "confiable hasta que el administrador agregue su certificado (trust_extra_dir).",
            file=sys.stderr,
        )
    return credentials


def _office_signer(
    args: argparse.Namespace, settings: Settings, store: Store | None = None
) -> PdfSigner:
    """B-LT when the configured TSA and OCSP answer, B-B offline (see ``signing.office``). With
    the office's store, only who may open the office e.firma gets here (``permissions``)."""
    from signing.office import office_signer

    if store is not None:
        from mailroom.permissions import Action, authorize

        authorize(store.reader(), settings, Action.EFIRMA_OFICINA)
    return office_signer(_credentials(args, settings), settings, store=store, clock=_now)


def _password(args: argparse.Namespace) -> str:
    from signing import CredentialFileMissing

    if args.password_file is None:
        try:
            return getpass.getpass(PASSWORD_PROMPT)
        except EOFError as error:  # no terminal and nothing on standard input
            raise InvalidInput(
                "No se pudo leer la contraseña: no hay terminal. Use --password-file ARCHIVO.",
                field="password",
            ) from error
    try:
        text = Path(args.password_file).read_text(encoding="utf-8")
    except OSError as error:
        raise CredentialFileMissing(
            f"No se pudo leer el archivo de la contraseña: {args.password_file}.",
            path=args.password_file,
        ) from error
    # Only one newline: an editor adds it, but spaces may be part of the password.
    return text.removesuffix("\n").removesuffix("\r")


def _same_file(first: Path, second: Path) -> bool:
    if first.resolve() == second.resolve():
        return True
    return first.exists() and second.exists() and os.path.samefile(first, second)


def _write_atomically(path: Path, data: bytes) -> None:
    """Whole or untouched, never half a PDF under the name the user gave."""
    from mailroom.fsutil import write_bytes_atomically

    write_bytes_atomically(path, data, failed=_write_error)


def _write_error(path: Path, error: OSError) -> StorageError:
    return StorageError(
        f"No se pudo escribir {path}: {error.strerror or error}. Revise que la carpeta exista, "
        "que tenga permiso de escritura y que haya espacio libre.",
        path=path,
    )


def _identity_dict(identity: CertificateIdentity) -> dict[str, Any]:
    return {
        "nombre": identity.name,
        "rfc": identity.rfc,
        "rfc_representante": identity.representative_rfc,
        "curp": identity.curp,
        "curp_representante": identity.representative_curp,
        "numero_certificado": identity.certificate_number,
        "vigente_desde": identity.not_before.isoformat(),
        "vigente_hasta": identity.not_after.isoformat(),
        "vigente": _validity_label(identity) == "vigente",
        "emisor": identity.issuer,
        "persona": identity.kind,
        "tipo": "csd" if identity.is_csd else "efirma",
    }


def _kind_label(identity: CertificateIdentity) -> str:
    if identity.is_csd:
        return f"sello digital (CSD, {identity.organizational_unit}), no sirve para firmar"
    return "e.firma (FIEL)"


def _validity_label(identity: CertificateIdentity) -> str:
    now = _now()
    if now < identity.not_before:
        return "aún no vigente"
    return "vencido" if now > identity.not_after else "vigente"
