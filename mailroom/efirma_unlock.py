"""Open the office's e.firma for a shift: credentials, revocation, and the signer that seals acuses.

The clerk's app runs this off the GUI thread (decrypting the ``.key`` derives the password with
PBKDF2 and the OCSP question goes over the network). It does what ``oficialia efirma check`` and
the CLI's sealing do, in the same order, so the app refuses exactly what the CLI refuses: a CSD,
an expired or not-yet-valid certificate, a wrong password, a key of another certificate, a
revoked certificate. An issuer missing from the trust store is a warning, not a refusal, for the
reason ``mailroom.cli.efirma._credentials`` gives.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from mailroom.config import Settings
from mailroom.permissions import Action, authorize
from mailroom.store import Store
from signing import CertificateIdentity, CertificateRevoked, PdfSigner, load_credentials

if TYPE_CHECKING:
    import sqlite_utils


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class UnlockedEfirma:
    identity: CertificateIdentity
    # The signer holds the decrypted key; kept out of repr so it never reaches a log line.
    signer: PdfSigner = field(repr=False)
    warnings: tuple[str, ...] = ()


def open_office_efirma(
    cer: Path,
    key: Path,
    password: str,
    settings: Settings,
    *,
    store: Store | None = None,
    clock: Callable[[], datetime] = utc_now,
) -> UnlockedEfirma:
    """Open the e.firma and build the office signer; raise a ``SigningError`` if it may not seal.
    With a ``store``, only who may open the office e.firma gets this far (administrators,
    titular accounts, a kiosk behind its admin PIN), and the opening is an audit event."""
    if store is not None:
        authorize(store.reader(), settings, Action.EFIRMA_OFICINA)
    from signing.office import office_signer, revocation_checker
    from signing.revocation import RevocationStatus
    from signing.trust import trust_store_from_settings

    credentials = load_credentials(cer, key, password, purpose="acuse", now=clock())
    identity = credentials.identity
    trust = trust_store_from_settings(settings)
    issuer = trust.issuer_of(credentials.certificate_der)
    warnings: list[str] = []
    if issuer is None:
        warnings.append(
            f"La autoridad que emitió esta e.firma («{identity.issuer}») no está entre las de "
            "confianza de esta oficina; lo que selle no se podrá validar como confiable hasta "
            "que el administrador agregue su certificado (trust_extra_dir)."
        )
    checker = revocation_checker(settings, store=store, trust=trust)
    if checker is not None and issuer is not None:
        check = checker.check(credentials.certificate_der, issuer)
        if check.status is RevocationStatus.REVOCADO:
            raise CertificateRevoked(
                f"La e.firma de {identity.name} ({identity.rfc}) está REVOCADA: "
                f"{check.message} No la use; tramite una nueva en el SAT.",
                certificate_number=identity.certificate_number,
            )
        if check.status is not RevocationStatus.VIGENTE:
            warnings.append(check.message)
    signer = office_signer(credentials, settings, store=store, trust=trust, clock=clock)
    if store is not None:
        _record_opening(store, settings, identity, clock())
    return UnlockedEfirma(identity=identity, signer=signer, warnings=tuple(warnings))


def _record_opening(
    store: Store, settings: Settings, identity: CertificateIdentity, at: datetime
) -> None:
    from mailroom import audit

    def write(db: sqlite_utils.Database) -> None:
        actor = authorize(db, settings, Action.EFIRMA_OFICINA)
        audit.append_event(
            db,
            at=at,
            actor=actor.name,
            kind="efirma_abierta",
            filing_id=None,
            payload={
                "rfc": identity.rfc,
                "titular": identity.name,
                "numero_certificado": identity.certificate_number,
            },
        )

    store.write(write)
