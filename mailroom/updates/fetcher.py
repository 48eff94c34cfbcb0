"""The HTTP side of the update client: python-tuf's urllib3 fetcher, spooling under the data folder.

python-tuf buffers every download (metadata and installers) in ``tempfile.TemporaryFile()``, the
system temp folder. Ours go to a work folder under the data folder's ``tmp/`` instead (see
:mod:`mailroom.tmpfiles`): nothing of ours lands in the system temp folder, and a download cut
short by a crash is swept with its process's folder.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from tuf.api import exceptions
from tuf.ngclient import Urllib3Fetcher


class SpoolingFetcher(Urllib3Fetcher):
    def __init__(self, spool_dir: Path, *, timeout_seconds: int, user_agent: str) -> None:
        super().__init__(socket_timeout=timeout_seconds, app_user_agent=user_agent)
        self._spool_dir = spool_dir

    @contextmanager
    def download_file(self, url: str, max_length: int) -> Iterator[IO[bytes]]:
        # The same contract as FetcherInterface.download_file: never more than max_length bytes
        # (the length the signed metadata gives), so a server cannot fill the disk.
        with tempfile.TemporaryFile(dir=self._spool_dir) as spool:
            received = 0
            for chunk in self.fetch(url):
                received += len(chunk)
                if received > max_length:
                    raise exceptions.DownloadLengthMismatchError(
                        f"more than the {max_length} bytes expected from {url}"
                    )
                spool.write(chunk)
            spool.seek(0)
            yield spool
