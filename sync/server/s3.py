"""The S3-compatible object store (AWS S3, SeaweedFS, MinIO, Ceph RGW) through boto3.

SigV4, path-style addressing (``host/bucket/key``: works with any endpoint, no wildcard DNS),
bounded timeouts and a few retries so a dead store turns into a 503 for the device within about a
minute instead of a hung worker. Large objects go up as a multipart upload of
:data:`~sync.server.objects.PART_SIZE` parts; a crash mid-way leaves an incomplete upload that
:meth:`S3Store.sweep_assemblies` aborts once it is old.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import unquote, urlsplit

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from sync.server.errors import BackendError
from sync.server.objects import (
    PART_SIZE,
    READ_BLOCK,
    Assembly,
    ObjectMissing,
    ObjectStore,
    ObjectStoreError,
    StoredObject,
    as_utc,
    query_options,
)

T = TypeVar("T")
MISSING_CODES = {"404", "NoSuchKey", "NotFound"}
DELETE_BATCH = 1000  # the most keys S3 takes in one DeleteObjects


@dataclass(frozen=True)
class S3Settings:
    endpoint: str  # http(s)://host:port
    bucket: str
    prefix: str = ""  # keys live under it ("" or ending in "/")
    access_key: str | None = None
    secret_key: str | None = None
    region: str = "us-east-1"
    timeout: float = 60.0
    attempts: int = 3

    @classmethod
    def from_url(cls, url: str) -> S3Settings:
        parts = urlsplit(url)
        tls = parts.scheme != "s3+http"
        path = parts.path.strip("/")
        bucket, _, prefix = path.partition("/")
        if not parts.hostname or not bucket:
            raise BackendError(
                "La dirección S3 debe decir servidor y cubeta: "
                "s3://CLAVE:SECRETO@servidor:puerto/cubeta[/prefijo].",
                code="almacen_invalido",
            )
        options = query_options(parts.query)
        try:
            timeout = float(options.get("timeout", 60))
            attempts = int(options.get("intentos", 3))
        except ValueError as error:
            raise BackendError(
                "timeout e intentos de la dirección S3 deben ser números.",
                code="almacen_invalido",
            ) from error
        host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
        return cls(
            endpoint=f"{'https' if tls else 'http'}://{host}"
            + (f":{parts.port}" if parts.port else ""),
            bucket=bucket,
            prefix=f"{prefix.strip('/')}/" if prefix.strip("/") else "",
            access_key=unquote(parts.username) if parts.username else None,
            secret_key=unquote(parts.password) if parts.password else None,
            region=options.get("region", "us-east-1"),
            timeout=timeout,
            attempts=max(1, attempts),
        )


class S3Store(ObjectStore):
    def __init__(self, settings: S3Settings) -> None:
        self.settings = settings
        self.bucket = settings.bucket
        self.prefix = settings.prefix
        self.client: Any = boto3.session.Session().client(
            "s3",
            endpoint_url=settings.endpoint,
            region_name=settings.region,
            aws_access_key_id=settings.access_key or os.environ.get("AWS_ACCESS_KEY_ID"),
            aws_secret_access_key=settings.secret_key or os.environ.get("AWS_SECRET_ACCESS_KEY"),
            config=Config(
                signature_version="s3v4",
                s3={"addressing_style": "path"},
                connect_timeout=min(10.0, settings.timeout),
                read_timeout=settings.timeout,
                retries={"max_attempts": settings.attempts, "mode": "standard"},
                max_pool_connections=64,  # the server's thread pool shares one client
                request_checksum_calculation="when_required",
                response_checksum_validation="when_required",
            ),
        )

    def describe(self) -> str:
        return f"{self.settings.endpoint}/{self.bucket}/{self.prefix}"

    def _key(self, key: str) -> str:
        return self.prefix + key

    def size(self, key: str) -> int | None:
        try:
            head = self._call(self.client.head_object, Bucket=self.bucket, Key=self._key(key))
        except ObjectMissing:
            return None
        return int(head["ContentLength"])

    def chunks(self, key: str) -> Iterator[bytes]:
        answer = self._call(self.client.get_object, Bucket=self.bucket, Key=self._key(key))
        body = answer["Body"]
        try:
            yield from body.iter_chunks(READ_BLOCK)
        except (BotoCoreError, ClientError) as error:
            raise _unavailable(self, error) from error
        finally:
            body.close()

    def put(self, key: str, data: bytes) -> None:
        self._call(self.client.put_object, Bucket=self.bucket, Key=self._key(key), Body=data)

    def delete(self, key: str) -> None:
        self._call(self.client.delete_object, Bucket=self.bucket, Key=self._key(key))

    def delete_many(self, keys: list[str]) -> None:
        for first in range(0, len(keys), DELETE_BATCH):
            batch = keys[first : first + DELETE_BATCH]
            answer = self._call(
                self.client.delete_objects,
                Bucket=self.bucket,
                Delete={"Objects": [{"Key": self._key(key)} for key in batch], "Quiet": True},
            )
            failed = [item for item in answer.get("Errors", []) if item.get("Code") != "NoSuchKey"]
            if failed:
                raise _unavailable(
                    self, RuntimeError(f"{len(failed)} objetos no se borraron: {failed[0]}")
                )

    def list(self, prefix: str = "") -> Iterator[StoredObject]:
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self._key(prefix)
        )
        try:
            for page in pages:
                for item in page.get("Contents", []):
                    yield StoredObject(
                        item["Key"][len(self.prefix) :],
                        int(item["Size"]),
                        as_utc(item["LastModified"]),
                    )
        except (BotoCoreError, ClientError) as error:
            raise _unavailable(self, error) from error

    def assemble(self, key: str) -> Assembly:
        return _MultipartAssembly(self, self._key(key))

    def sweep_assemblies(self, older_than: datetime) -> int:
        aborted = 0
        pages = self.client.get_paginator("list_multipart_uploads").paginate(
            Bucket=self.bucket, Prefix=self.prefix
        )
        try:
            for page in pages:
                for upload in page.get("Uploads", []):
                    if as_utc(upload["Initiated"]) < older_than:
                        self.client.abort_multipart_upload(
                            Bucket=self.bucket, Key=upload["Key"], UploadId=upload["UploadId"]
                        )
                        aborted += 1
        except (BotoCoreError, ClientError) as error:
            raise _unavailable(self, error) from error
        return aborted

    def _call(self, operation: Callable[..., T], **arguments: Any) -> T:
        try:
            return operation(**arguments)
        except ClientError as error:
            code = str(error.response.get("Error", {}).get("Code", ""))
            if code in MISSING_CODES:
                raise ObjectMissing(f"No existe el objeto {arguments.get('Key')}.") from error
            raise _unavailable(self, error) from error
        except BotoCoreError as error:
            raise _unavailable(self, error) from error


class _MultipartAssembly(Assembly):
    """Buffers up to one part; a small object becomes one PUT, a large one a multipart upload."""

    def __init__(self, store: S3Store, key: str) -> None:
        self.store = store
        self.key = key
        self.buffer = bytearray()
        self.upload_id: str | None = None
        self.parts: list[dict[str, Any]] = []

    def write(self, data: bytes) -> None:
        self.buffer += data
        # Only past a whole part: an object of exactly PART_SIZE is then one PUT, not three calls.
        while len(self.buffer) > PART_SIZE:
            self._send_part(PART_SIZE)

    def _send_part(self, size: int | None = None) -> None:
        client, bucket = self.store.client, self.store.bucket
        if self.upload_id is None:
            started = self.store._call(client.create_multipart_upload, Bucket=bucket, Key=self.key)
            self.upload_id = str(started["UploadId"])
        number = len(self.parts) + 1
        answer = self.store._call(
            client.upload_part,
            Bucket=bucket,
            Key=self.key,
            UploadId=self.upload_id,
            PartNumber=number,
            Body=bytes(self.buffer[:size]),
        )
        self.parts.append({"PartNumber": number, "ETag": answer["ETag"]})
        del self.buffer[:size]

    def commit(self) -> None:
        client, bucket = self.store.client, self.store.bucket
        if self.upload_id is None:
            self.store._call(
                client.put_object, Bucket=bucket, Key=self.key, Body=bytes(self.buffer)
            )
            return
        if self.buffer:
            self._send_part()
        self.store._call(
            client.complete_multipart_upload,
            Bucket=bucket,
            Key=self.key,
            UploadId=self.upload_id,
            MultipartUpload={"Parts": self.parts},
        )

    def abort(self) -> None:
        self.buffer.clear()
        if self.upload_id is not None:
            with contextlib.suppress(BotoCoreError, ClientError):  # else the sweep aborts it
                self.store.client.abort_multipart_upload(
                    Bucket=self.store.bucket, Key=self.key, UploadId=self.upload_id
                )


def _unavailable(store: S3Store, error: Exception) -> ObjectStoreError:
    return ObjectStoreError(
        f"El almacén de archivos ({store.describe()}) no respondió bien: {error}. "
        "Se reintentará; si sigue, revise que el servicio S3 esté en marcha.",
    )
