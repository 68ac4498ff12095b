"""A BagIt 1.0 bag (RFC 8493), made with the `bagit` library and zipped.

`bagit.make_bag` still writes ``BagIt-Version: 0.97``; the bag is turned into
a 1.0 bag by rewriting bagit.txt and letting ``Bag.save()`` rebuild the tag
manifest, so every tag file's hash stays right. The zip is written beside the
target and renamed only when complete.

The SHA-256 manifests are BagIt's own. The SM3 (GB/T 32905) of every payload
file goes in a tag file of our own, fupin-sm3.txt, in a manifest's line format
("DIGEST  data/NAME"): BagIt validators ignore a tag file they do not know
(RFC 8493, 2.2.4) but the tag manifest covers it, so a changed line is caught
by any validator and the SM3 itself by `pack verify`. A manifest-sm3.txt would
not do: validators refuse a manifest whose algorithm they do not know.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import bagit

from ..atomic import atomic_path
from ..hashing import Digests, copy_and_hash, new_sm3

BAGIT_VERSION = "1.0"
BAGIT_TXT = f"BagIt-Version: {BAGIT_VERSION}\nTag-File-Character-Encoding: UTF-8\n"
ALGORITHM = "sha256"
SM3_TAG_FILE = "fupin-sm3.txt"  # "SM3  data/NAME" for every payload file, covered by the tag manifest

# Files that are already compressed gain nothing from deflate; store them.
_STORED_EXTS = {".jpg", ".jpeg", ".png", ".gif", ".zip", ".docx", ".xlsx", ".pptx",
                ".mp4", ".mp3", ".webp", ".heic", ".7z", ".rar", ".gz"}


@dataclass
class PayloadFile:
    """One file under data/: copied from SOURCE, or written from DATA."""

    name: str  # relative to data/, forward slashes
    source: Path | None = None
    data: bytes | None = None
    sha256: str = ""  # filled by stage_payload
    sm3: str = ""  # filled by stage_payload
    size: int = 0


def copy_to(source: Path, dest: Path) -> Digests:
    """Copy SOURCE to DEST, hashing the bytes as they pass; return Digests(sha256, sm3, size)."""
    with open(dest, "wb") as out:
        return copy_and_hash(source, out)


def stage_payload(staging: Path, payload: PayloadFile) -> None:
    """Put PAYLOAD in the staging directory and record its hash and size."""
    dest = staging / payload.name
    dest.parent.mkdir(parents=True, exist_ok=True)
    if payload.data is not None:
        dest.write_bytes(payload.data)
        payload.sha256 = hashlib.sha256(payload.data).hexdigest()
        payload.sm3 = new_sm3(payload.data).hexdigest()
        payload.size = len(payload.data)
    else:
        payload.sha256, payload.sm3, payload.size = copy_to(payload.source, dest)


def sm3_lines(payload) -> bytes:
    """fupin-sm3.txt for PAYLOAD (PayloadFile objects): one "SM3  data/NAME" line each,
    names as the SHA-256 manifest writes them, in name order."""
    return "".join(f"{p.sm3}  data/{_manifest_name(p.name)}\n"
                   for p in sorted(payload, key=lambda p: p.name)).encode("utf-8")


def _manifest_name(name: str) -> str:
    # RFC 8493 2.1.3: CR, LF and % in a path are percent-encoded
    return name.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def make_bag_1_0(bag_dir: Path, bag_info: dict, tag_files: dict[str, bytes]) -> bagit.Bag:
    """Turn BAG_DIR (holding only the payload) into a BagIt 1.0 bag."""
    bagit.make_bag(str(bag_dir), bag_info=dict(bag_info), checksums=[ALGORITHM])
    for name, data in tag_files.items():
        (bag_dir / name).write_bytes(data)
    (bag_dir / "bagit.txt").write_text(BAGIT_TXT, encoding="utf-8")
    bag = bagit.Bag(str(bag_dir))
    # save() rewrites bag-info.txt unchanged and rebuilds the tag manifest over
    # bagit.txt, bag-info.txt, the manifest and our own tag files.
    bag.save(manifests=False)
    return bagit.Bag(str(bag_dir))


def zip_bag(bag_dir: Path, target: Path, payload_names: list[str]) -> None:
    """Zip BAG_DIR under its own directory name: tag files first, then data/ in order."""
    top = bag_dir.name
    tag_names = sorted(p.name for p in bag_dir.iterdir() if p.is_file())
    order = ["bagit.txt", "bag-info.txt"]
    tag_names = [n for n in order if n in tag_names] + [n for n in tag_names if n not in order]
    with atomic_path(target) as tmp:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
            zf.writestr(zipfile.ZipInfo(f"{top}/"), b"")
            for name in tag_names:
                zf.write(bag_dir / name, f"{top}/{name}")
            zf.writestr(zipfile.ZipInfo(f"{top}/data/"), b"")
            for name in payload_names:
                stored = os.path.splitext(name)[1].lower() in _STORED_EXTS
                zf.write(bag_dir / "data" / name, f"{top}/data/{name}",
                         compress_type=zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED)


class BagWriter:
    """Stage payload files in a temporary directory, then write the zipped bag.

    Use as a context manager; the staging directory goes away on exit, and
    nothing is written at the target before `finish` succeeds.
    """

    def __init__(self, top_name: str):
        self.top_name = top_name
        self._tmp: tempfile.TemporaryDirectory | None = None
        self.payload: dict[str, PayloadFile] = {}

    def __enter__(self) -> "BagWriter":
        self._tmp = tempfile.TemporaryDirectory(prefix="fupin-pack-")
        self.bag_dir = Path(self._tmp.name) / self.top_name
        self.bag_dir.mkdir()
        return self

    def __exit__(self, *exc) -> None:
        self._tmp.cleanup()

    def path(self, name: str) -> Path:
        """Where payload NAME is staged (valid once added)."""
        return self.bag_dir / name

    def add(self, payload: PayloadFile) -> PayloadFile:
        """Stage PAYLOAD; OSError if its source cannot be read (nothing is left behind)."""
        try:
            stage_payload(self.bag_dir, payload)
        except OSError:
            self.path(payload.name).unlink(missing_ok=True)
            raise
        self.payload[payload.name] = payload
        return payload

    def remove(self, name: str) -> None:
        self.payload.pop(name, None)
        self.path(name).unlink(missing_ok=True)

    def finish(self, target: Path, bag_info: dict, tag_files: dict[str, bytes] | None = None,
               order: list[str] | None = None) -> bagit.Bag:
        """Make the staged payload a BagIt 1.0 bag and zip it to TARGET.

        The manifest the library wrote is checked against the hashes taken
        while staging, so the manifest says what was actually copied.
        """
        names = order or sorted(self.payload)
        if sorted(names) != sorted(self.payload):
            raise RuntimeError("zip order must list every staged payload file once")
        tags = dict(tag_files or {})
        tags[SM3_TAG_FILE] = sm3_lines(self.payload.values())
        bag = make_bag_1_0(self.bag_dir, bag_info, tags)
        for item in self.payload.values():
            entry = bag.entries.get(f"data/{item.name}", {})
            if entry.get(ALGORITHM) != item.sha256:
                raise RuntimeError(f"manifest disagrees with the staged copy of {item.name}")
        zip_bag(self.bag_dir, Path(target), names)
        return bag
