"""bench/backend.py's drivers at CI size, on PostgreSQL and S3 with the backend in this process
(the bench itself starts ``serve-backend`` with 2 workers and prints the figures): the reconnect
storm drains exactly once, and the commit and ingest drivers do what they measure."""

from __future__ import annotations

from pathlib import Path

from bench.backend import measure_commits, measure_ingest, storm
from tests.backend_server import running_backend
from tests.backend_services import S3Bucket


def test_the_bench_drivers_run_and_the_storm_drains_exactly_once(
    tmp_path: Path, postgres_url: str, s3_bucket: S3Bucket
) -> None:
    with running_backend(
        tmp_path / "servidor", database_url=postgres_url, blob_url=s3_bucket.url
    ) as server:
        drained = storm(server, filings=30, device_count=6, seed=17)
        assert drained.exactly_once, drained.problems
        assert drained.requests >= 2 * 30 + 2  # a blob and a filing each, two sent twice
        commits = measure_commits(server, commits=12, clients=3)
        assert commits.per_second > 0 and 0 < commits.p50 <= commits.p95
        assert measure_ingest(server, [[b"a" * 300_000], [b"b" * 300_000]], 128 * 1024) > 0
