"""A request body that tells a ``Reporter`` how many bytes of an upload went out.

Owns ``ProgressReader``, the file object ``KuduClient.zip_deploy`` hands to azure-core: it counts what
the HTTP stack reads, can be rewound for a retry, has a length (so a ``Content-Length`` is sent, not
chunked encoding) and never buffers. Must not: open, close or read files on its own.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any

from slotwise.events import Reporter

PROGRESS_STEP = 4 * 1024 * 1024  # report bytes sent at most every 4 MiB (and at the end)

__all__ = ["PROGRESS_STEP", "ProgressReader"]


class ProgressReader:
    """A file object that counts what is read from it and tells a ``Reporter`` (every few MiB).

    It passes ``read``/``seek``/``tell`` through, so azure-core can rewind it for a retry (progress
    then starts again from where it was rewound to), and has a length, so requests sends a
    ``Content-Length`` instead of chunked encoding. It never buffers: memory stays flat for any size.
    """

    def __init__(self, raw: IO[bytes], size: int, reporter: Reporter) -> None:
        self._raw = raw
        self._size = size
        self._reporter = reporter
        self._reported = -1

    def read(self, size: int = -1) -> bytes:
        chunk = self._raw.read(size)
        done = self._raw.tell()
        if done - self._reported >= PROGRESS_STEP or (done >= self._size and done != self._reported):
            self._reported = done
            self._reporter.progress(done, self._size)
        return chunk

    def seek(self, offset: int, whence: int = 0) -> int:
        position = self._raw.seek(offset, whence)
        self._reported = min(self._reported, position - 1)
        return position

    def tell(self) -> int:
        return self._raw.tell()

    def __len__(self) -> int:
        return self._size

    def __iter__(self) -> Iterator[bytes]:
        while chunk := self.read(PROGRESS_STEP):
            yield chunk

    def close(self) -> None:
        """The caller owns the file; the HTTP stack must not close it between retries."""

    def __deepcopy__(self, memo: dict[int, Any]) -> ProgressReader:
        return self  # azure-core copies a request for its retry history: a stream is not copied
