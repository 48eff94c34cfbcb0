"""The office's signer and upgrader, built from the settings (TSA, OCSP, trust bundle).

One place decides how the counter seals and how the background upgrade runs, so the CLI, the
clerk's app and the kiosk behave the same: the chain comes from the trust store (it is embedded
with every seal, so a validator without SAT's intermediates can still build the path), OCSP
answers are cached in the store, the TSA and OCSP come from ``tsa_url`` and ``ocsp_url``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from mailroom.clock import Clock, SystemClock
from mailroom.config import Settings
from mailroom.store import Store
from signing.credentials import Credentials
from signing.longterm import make_timestamper
from signing.revocation import (
    MemoryOcspCache,
    OcspCache,
    RevocationChecker,
    StoreOcspCache,
    checker_from_settings,
)
from signing.sign import PdfSigner
from signing.trust import TrustStore, trust_store_from_settings
from signing.upgrade import SignatureUpgrader


def revocation_checker(
    settings: Settings, *, store: Store | None = None, trust: TrustStore | None = None
) -> RevocationChecker | None:
    """The configured OCSP checker (``None`` when ``ocsp_url`` is empty)."""
    trust = trust if trust is not None else trust_store_from_settings(settings)
    cache: OcspCache = StoreOcspCache(store) if store is not None else MemoryOcspCache()
    return checker_from_settings(
        settings, cache=cache, responder_certificates=trust.ocsp_responders
    )


def office_signer(
    credentials: Credentials,
    settings: Settings,
    *,
    store: Store | None = None,
    trust: TrustStore | None = None,
    clock: Callable[[], datetime] | None = None,
) -> PdfSigner:
    """A signer for the shift: B-LT when the TSA and OCSP answer, B-B when offline."""
    trust = trust if trust is not None else trust_store_from_settings(settings)
    return PdfSigner(
        credentials,
        clock=clock,
        zone=settings.zone,
        timestamper=make_timestamper(settings.tsa_url, settings.network_timeout_seconds),
        revocation=revocation_checker(settings, store=store, trust=trust),
        chain=trust.issuers,
    )


def office_upgrader(
    store: Store,
    settings: Settings,
    *,
    trust: TrustStore | None = None,
    clock: Clock | None = None,
) -> SignatureUpgrader | None:
    """The background upgrader, or ``None`` when no OCSP responder is configured."""
    trust = trust if trust is not None else trust_store_from_settings(settings)
    checker = revocation_checker(settings, store=store, trust=trust)
    if checker is None:
        return None
    return SignatureUpgrader(
        store,
        revocation=checker,
        ca_certificates=trust.issuers,
        timestamper=make_timestamper(settings.tsa_url, settings.network_timeout_seconds),
        clock=clock or SystemClock(settings.zone),
    )
