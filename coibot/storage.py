"""Data directories and the content-addressed document store."""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from pathlib import Path

from coibot.errors import DataDirError

log = logging.getLogger(__name__)


def ensure_writable_dir(path: Path, what: str) -> Path:
    """Create `path` if needed and prove it is writable; DataDirError says which directory failed."""
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".write-test-"):
            pass
    except OSError as exc:
        raise DataDirError(f"the {what} directory {path} is not writable: {exc.strerror or exc}") from None
    return path


def atomic_write(target: Path, data: bytes) -> Path:
    """Write `data` to `target` durably: a temporary file, fsync, then rename over the target."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        Path(tmp).replace(target)
        _fsync_dir(target.parent)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def _fsync_dir(directory: Path) -> None:
    # The rename is durable only once the directory entry is on disk.
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class DocumentStore:
    """Bytes stored once under their sha256: `<root>/ab/cdef….bin`."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path_for(self, sha256: str) -> Path:
        if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
            raise ValueError(f"not a sha256 hex digest: {sha256!r}")
        return self.root / sha256[:2] / f"{sha256[2:]}.bin"

    def put(self, data: bytes) -> tuple[str, Path]:
        """Store `data` durably (fsync, atomic rename) and return its digest and path."""
        digest = hashlib.sha256(data).hexdigest()
        target = self.path_for(digest)
        if target.exists() and target.stat().st_size == len(data):
            return digest, target
        atomic_write(target, data)
        log.debug("stored document %s (%d bytes)", digest, len(data))
        return digest, target

    def get(self, sha256: str) -> bytes:
        return self.path_for(sha256).read_bytes()
