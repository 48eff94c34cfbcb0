"""Delivering one filing: missing blobs, resumable upload, commit, and a receipt we verified.

The filing counts as delivered only when the receipt's Ed25519 signature verifies against the key
pinned at enrolment and the receipt speaks of this filing, this device and this manifest. A lost
answer is harmless: the next attempt first asks for the receipt, then replays the identical
manifest with the same ``Idempotency-Key`` and gets the same receipt.
"""

from __future__ import annotations

from collections.abc import Callable

from mailroom.store import Store
from sync import protocol
from sync.enrolment import Enrolment
from sync.errors import Offline, ReceiptRejected, Rejected, SyncError
from sync.manifest import BlobRef, FilingManifest, build_manifest
from sync.transport import Transport, error_for, json_body
from sync.upload import BlobUploader, ChunkSizer

MAX_COMMITS = 3  # PUT, then up to two more after 409 {missing}


class SyncClient:
    def __init__(
        self,
        store: Store,
        transport: Transport,
        enrolment: Enrolment,
        sizer: ChunkSizer | None = None,
    ) -> None:
        self.store = store
        self.transport = transport
        self.enrolment = enrolment
        self.public_key = enrolment.public_key()
        self.sizer = sizer or ChunkSizer()

    def deliver(
        self,
        uuid: str,
        *,
        try_recovery: bool = False,
        on_progress: Callable[[int], None] | None = None,
    ) -> protocol.Receipt:
        """Send one filing and return its verified receipt; raises a :mod:`sync.errors` kind."""
        manifest = build_manifest(self.store.reader(), uuid)
        if try_recovery:
            receipt = self.recover_receipt(manifest)
            if receipt is not None:
                return receipt
        missing = self.missing(manifest.blobs)
        # Progress is what the server holds of this filing's blobs: those it already had count
        # in full from the start, so the figure never restarts from zero on a retry.
        held = {b.sha256: (0 if b in missing else b.size) for b in manifest.blobs}

        def acknowledged(sha256: str, bytes_held: int) -> None:
            if held.get(sha256) != bytes_held:
                held[sha256] = bytes_held
                if on_progress is not None:
                    on_progress(sum(held.values()))

        if on_progress is not None and any(held.values()):
            on_progress(sum(held.values()))
        uploader = BlobUploader(self.transport, self.sizer, acknowledged)
        self._upload(uploader, missing)
        for _ in range(MAX_COMMITS):
            response = self.transport.request(
                "PUT",
                f"{protocol.API_PREFIX}/filings/{uuid}",
                headers={
                    protocol.HEADER_IDEMPOTENCY_KEY: uuid,
                    "Content-Type": "application/json",
                },
                data=protocol.canonical_json(manifest.body),
            )
            if response.status_code in (200, 201):
                return self._verified(json_body(response), manifest)
            if response.status_code == 409:
                wanted = set(json_body(response).get("missing") or [])
                if not wanted:
                    raise error_for(response, "registrar el escrito")
                self._upload(uploader, [b for b in manifest.blobs if b.sha256 in wanted])
                continue
            raise error_for(response, "registrar el escrito")
        raise SyncError("El servidor sigue pidiendo archivos que ya se enviaron; se reintentará.")

    def missing(self, blobs: tuple[BlobRef, ...]) -> list[BlobRef]:
        if not blobs:
            return []
        response = self.transport.request(
            "POST",
            f"{protocol.API_PREFIX}/blobs:missing",
            json={"sha256": [b.sha256 for b in blobs]},
        )
        if response.status_code != 200:
            raise error_for(response, "consultar los archivos faltantes")
        wanted = set(json_body(response).get("missing") or [])
        return [b for b in blobs if b.sha256 in wanted]

    def recover_receipt(self, manifest: FilingManifest) -> protocol.Receipt | None:
        """The receipt of a commit whose answer was lost, or None if the server lacks it."""
        try:
            response = self.transport.request(
                "GET", f"{protocol.API_PREFIX}/filings/{manifest.uuid}/receipt"
            )
        except Offline:
            raise
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise error_for(response, "recuperar el recibo")
        return self._verified(json_body(response), manifest)

    def _upload(self, uploader: BlobUploader, blobs: list[BlobRef]) -> None:
        # The server has just said these are missing: start at 0 without asking (a HEAD per
        # blob); if it holds part of one after all, its 409 carries the offset to resume from.
        for blob in blobs:
            uploader.upload(blob, self.store.blobs.path(blob.sha256), known_missing=True)

    def _verified(self, body: dict[str, object], manifest: FilingManifest) -> protocol.Receipt:
        data = body.get("receipt", body)
        try:
            receipt = protocol.Receipt.from_dict(data)  # type: ignore[arg-type]
        except (ValueError, TypeError, AttributeError) as error:
            raise ReceiptRejected(
                f"El servidor respondió con un recibo incompleto ({error}); no se da por enviado."
            ) from error
        if not protocol.verify_receipt(self.public_key, receipt):
            raise ReceiptRejected(
                "El recibo del servidor no tiene una firma válida de la llave registrada al "
                "enrolar: no se da por enviado. Avise al administrador del servidor estatal."
            )
        expected = protocol.manifest_sha256(manifest.body)
        wrong = [
            name
            for name, got, want in (
                ("escrito", receipt.filing_uuid, manifest.uuid),
                ("equipo", receipt.device_id, self.enrolment.device_id),
                ("manifiesto", receipt.manifest_sha256, expected),
            )
            if got != want
        ]
        if wrong:
            raise ReceiptRejected(
                f"El recibo firmado no corresponde a este envío ({', '.join(wrong)} distinto): "
                "no se da por enviado."
            )
        return receipt


__all__ = ["Rejected", "SyncClient"]
