"""The one SHA-256 file helper: the archive, verify and packs hash the same way."""

from __future__ import annotations

import hashlib
from pathlib import Path

CHUNK = 1 << 20


def sha256_file(path: str | Path) -> str:
    """Hex SHA-256 of the file at PATH, read in 1 MB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


class TooLarge(Exception):
    """copy_and_hash read more than its limit."""


def copy_and_hash(source: str | Path, out, limit: int | None = None) -> tuple[str, int]:
    """Copy the file at SOURCE into the open binary file OUT, hashing the bytes as
    they pass; return (sha256, size). TooLarge when more than LIMIT bytes come."""
    digest = hashlib.sha256()
    size = 0
    with open(source, "rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            digest.update(chunk)
            size += len(chunk)
            if limit is not None and size > limit:
                raise TooLarge(size)
            out.write(chunk)
    return digest.hexdigest(), size
