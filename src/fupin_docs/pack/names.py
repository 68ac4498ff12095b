"""File names inside a pack: safe on every system, unique, stable, readable.

A name is built only from the item's sequence number, 档号 and 题名, so the same
selection always gives the same names. Nothing from the outside world can
reach a path separator, a parent reference, a drive letter or a control
character: all of them are replaced before the name is used.
"""

from __future__ import annotations

import re
import unicodedata

# Characters no name may carry: separators, Windows-reserved punctuation, and
# '%' (BagIt 1.0 manifests percent-encode it; a name without it needs no encoding).
_FORBIDDEN = re.compile(r'[\\/:*?"<>|%\x00-\x1f\x7f]')
_SPACES = re.compile(r"\s+")
_EXT = re.compile(r"^[a-z0-9]{1,10}$")

# Names stay well under the 255-byte limit of common file systems, leaving
# room for the bag's own directory when it is unzipped.
MAX_NAME_BYTES = 180

CATALOG_NAME = "0000_目录.pdf"
MERGED_NAME = "合并打印本.pdf"  # CJK sorts after every numbered name


def clean_part(text: str) -> str:
    """One path component's worth of TEXT with every unsafe character removed."""
    text = unicodedata.normalize("NFC", str(text or ""))
    text = _SPACES.sub(" ", text).strip()
    text = _FORBIDDEN.sub("_", text)
    # '..' alone or leading dots would make a hidden or parent entry.
    text = re.sub(r"\.{2,}", ".", text)
    return text.strip(" .")


def extension(file_name: str | None) -> str:
    """The lowercase extension of FILE_NAME with its dot, or '' if it has none fit to keep."""
    if not file_name or "." not in file_name:
        return ""
    ext = file_name.rsplit(".", 1)[1].lower()
    return f".{ext}" if _EXT.match(ext) else ""


def _truncate_bytes(text: str, limit: int) -> str:
    encoded = text.encode("utf-8")
    if len(encoded) <= limit:
        return text
    return encoded[:max(limit, 0)].decode("utf-8", errors="ignore").rstrip(" ._")


def item_file_name(seq: int, archive_no: str, title: str | None, ext: str, *,
                   suffix: str = "", width: int = 4) -> str:
    """e.g. ``0001_Z001-WS·2020-Y-ZFB-0001_关于危房改造的通知.pdf``."""
    prefix = f"{seq:0{width}d}_{clean_part(archive_no) or '无档号'}"
    tail = f"{clean_part(suffix)}{ext}"
    room = MAX_NAME_BYTES - len(prefix.encode("utf-8")) - len(tail.encode("utf-8")) - 1
    title_part = _truncate_bytes(clean_part(title) or "", room)
    name = f"{prefix}_{title_part}{tail}" if title_part else f"{prefix}{tail}"
    return name


class UniqueNames:
    """Hands out names no two of which clash, even on case-insensitive systems."""

    def __init__(self, reserved=()):
        self._taken: set[str] = {self._key(name) for name in reserved}

    @staticmethod
    def _key(name: str) -> str:
        return unicodedata.normalize("NFC", name).casefold()

    def take(self, name: str) -> str:
        stem, dot, ext = name.rpartition(".")
        if not dot:
            stem, ext = name, ""
        candidate, n = name, 1
        while self._key(candidate) in self._taken:
            n += 1
            candidate = f"{stem}_{n}.{ext}" if dot else f"{stem}_{n}"
        self._taken.add(self._key(candidate))
        return candidate


def bag_dir_name(target_name: str) -> str:
    """The bag's top directory inside the zip: the zip's own name without .zip."""
    stem = target_name[:-4] if target_name.lower().endswith(".zip") else target_name
    return _truncate_bytes(clean_part(stem), 120) or "佐证材料"
