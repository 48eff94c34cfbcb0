"""The local PostgreSQL and SeaweedFS that the backend's tests at state scale run on
(sync/server/local_services.py, tests/backend_services.py), used as a client would."""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import requests
from botocore.exceptions import ClientError
from psycopg_pool import ConnectionPool

from sync.server.local_processes import descendants, process_alive
from sync.server.local_services import PostgresCluster, SeaweedS3, main
from tests.backend_services import S3Bucket, cluster_folder

MIB = 1024 * 1024


def _processes_naming(folder: Path) -> list[str]:
    """Every process whose command line names ``folder``: what a stopped service left running."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if entry.name.isdigit() and str(folder) in command and process_alive(int(entry.name)):
            found.append(f"{entry.name}: {command}")
    return found


def _status(error: ClientError) -> int:
    return int(error.response["ResponseMetadata"]["HTTPStatusCode"])


def test_postgres_takes_connections_on_loopback_with_the_password_only(
    postgres_cluster: PostgresCluster, postgres_url: str
) -> None:
    with psycopg.connect(postgres_url) as connection:
        settings = connection.execute(
            "SELECT host(inet_server_addr()), current_setting('listen_addresses'),"
            " current_setting('unix_socket_directories'), current_setting('fsync'),"
            " current_setting('synchronous_commit'), current_setting('server_encoding')"
        ).fetchone()
    assert settings == ("127.0.0.1", "127.0.0.1", str(postgres_cluster.folder), "on", "on", "UTF8")
    with psycopg.connect(postgres_url.replace("@127.0.0.1:", "@localhost:")) as connection:
        assert connection.execute("SELECT 1").fetchone() == (1,)
    wrong = postgres_url.replace(postgres_cluster.password, "otra-clave")
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(wrong, connect_timeout=5)


def test_each_test_gets_its_own_database_that_takes_a_pool_of_writers(
    postgres_cluster: PostgresCluster, postgres_url: str
) -> None:
    with ConnectionPool(postgres_url, min_size=4, max_size=4, open=True) as pool:
        with pool.connection() as connection:
            connection.execute("CREATE TABLE escritos (folio TEXT PRIMARY KEY, asunto TEXT)")
        for number in range(8):
            with pool.connection() as connection:
                connection.execute(
                    "INSERT INTO escritos VALUES (%s, %s)", (f"F-{number}", "Petición ñandú")
                )
        with pool.connection() as connection:
            rows = connection.execute("SELECT count(*), min(asunto) FROM escritos").fetchone()
    assert rows == (8, "Petición ñandú")
    other = postgres_cluster.create_database("otra_base_de_prueba")
    try:
        with psycopg.connect(other) as connection, pytest.raises(psycopg.errors.UndefinedTable):
            connection.execute("SELECT * FROM escritos")
    finally:
        postgres_cluster.drop_database("otra_base_de_prueba")


@pytest.fixture
def cluster_of_its_own() -> Iterator[PostgresCluster]:
    cluster = PostgresCluster(cluster_folder("oficialia-postgresql-reinicio"))
    yield cluster
    cluster.stop()
    shutil.rmtree(cluster.folder)


def test_a_commit_survives_a_stop_and_a_start_and_nothing_keeps_running(
    cluster_of_its_own: PostgresCluster,
) -> None:
    cluster, folder = cluster_of_its_own, cluster_of_its_own.folder
    with cluster:
        url = cluster.create_database("reinicio")
        with psycopg.connect(url) as connection:
            connection.execute("CREATE TABLE acuses (folio TEXT)")
            connection.execute("INSERT INTO acuses VALUES ('F-1')")
        unfinished = psycopg.connect(url)
        unfinished.execute("INSERT INTO acuses VALUES ('F-2')")  # never committed
        postmaster = cluster.postmaster_pid()
        assert postmaster is not None
        processes = descendants(postmaster) | {postmaster}
        port = cluster.port
    unfinished.close()
    assert not [pid for pid in processes if process_alive(pid)]
    assert _processes_naming(folder) == []
    with cluster, psycopg.connect(cluster.url("reinicio")) as connection:
        assert cluster.port == port
        assert connection.execute("SELECT folio FROM acuses").fetchall() == [("F-1",)]
    assert _processes_naming(folder) == []


def test_objects_are_put_listed_read_and_deleted(s3_bucket: S3Bucket) -> None:
    s3 = s3_bucket.client()
    for key in ("blobs/aa/1", "blobs/aa/2", "otros/3"):
        s3.put_object(Bucket=s3_bucket.name, Key=key, Body=key.encode() * 1000)
    listed = s3.list_objects_v2(Bucket=s3_bucket.name, Prefix="blobs/")
    assert [item["Key"] for item in listed["Contents"]] == ["blobs/aa/1", "blobs/aa/2"]
    body = s3.get_object(Bucket=s3_bucket.name, Key="blobs/aa/2")["Body"].read()
    assert body == b"blobs/aa/2" * 1000
    s3.delete_object(Bucket=s3_bucket.name, Key="blobs/aa/2")
    with pytest.raises(ClientError) as missing:
        s3.head_object(Bucket=s3_bucket.name, Key="blobs/aa/2")
    assert _status(missing.value) == 404


def test_a_wrong_secret_and_an_unsigned_request_are_refused(s3_bucket: S3Bucket) -> None:
    s3_bucket.client().put_object(Bucket=s3_bucket.name, Key="privado", Body=b"datos")
    with pytest.raises(ClientError) as refused:
        s3_bucket.client(secret_key="otra-llave").get_object(Bucket=s3_bucket.name, Key="privado")
    assert _status(refused.value) == 403
    unsigned = requests.get(f"{s3_bucket.endpoint_url}/{s3_bucket.name}/privado", timeout=10)
    assert unsigned.status_code == 403
    assert b"datos" not in unsigned.content


def test_multipart_uploads_take_parts_of_5_mib_and_refuse_smaller_ones(
    s3_bucket: S3Bucket,
) -> None:
    s3, bucket = s3_bucket.client(), s3_bucket.name
    first, last = os.urandom(5 * MIB), os.urandom(MIB + 7)
    upload = s3.create_multipart_upload(Bucket=bucket, Key="grande")["UploadId"]
    parts = [
        {"PartNumber": number, "ETag": s3.upload_part(
            Bucket=bucket, Key="grande", UploadId=upload, PartNumber=number, Body=body
        )["ETag"]}
        for number, body in ((1, first), (2, last))
    ]  # fmt: skip
    s3.complete_multipart_upload(
        Bucket=bucket, Key="grande", UploadId=upload, MultipartUpload={"Parts": parts}
    )
    stored = s3.get_object(Bucket=bucket, Key="grande")["Body"].read()
    assert hashlib.sha256(stored).digest() == hashlib.sha256(first + last).digest()
    # As in AWS S3, every part but the last must be at least 5 MiB.
    small = s3.create_multipart_upload(Bucket=bucket, Key="chica")["UploadId"]
    parts = [
        {"PartNumber": number, "ETag": s3.upload_part(
            Bucket=bucket, Key="chica", UploadId=small, PartNumber=number, Body=b"x" * MIB
        )["ETag"]}
        for number in (1, 2)
    ]  # fmt: skip
    with pytest.raises(ClientError, match="EntityTooSmall"):
        s3.complete_multipart_upload(
            Bucket=bucket, Key="chica", UploadId=small, MultipartUpload={"Parts": parts}
        )
    s3.abort_multipart_upload(Bucket=bucket, Key="chica", UploadId=small)
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []


def test_seaweed_keeps_objects_across_a_restart_and_leaves_nothing_running(
    tmp_path: Path,
) -> None:
    store = SeaweedS3(tmp_path / "seaweedfs")
    with store:
        store.create_bucket("reinicio")
        store.client().put_object(Bucket="reinicio", Key="acuse", Body=b"recibido")
        pid, ports = store.pid, dict(store.ports)
    assert pid is not None and not process_alive(pid)
    assert _processes_naming(store.folder) == []
    with store:
        assert store.ports == ports
        body = store.client().get_object(Bucket="reinicio", Key="acuse")["Body"].read()
    assert body == b"recibido"
    left = [
        path.name
        for port in ports.values()
        for number in (port, port + 10000)
        for path in Path("/tmp").glob(f"seaweedfs-*-{number}.sock")
    ]
    assert left == []
    assert _processes_naming(store.folder) == []


def test_the_command_says_what_is_missing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr("sync.server.local_processes.DEBIAN_POSTGRESQL", tmp_path / "ninguno")
    assert main(["--carpeta", str(tmp_path / "servicios")]) == 69
    assert "apt-get install postgresql" in capsys.readouterr().err
