"""What the archive needs of an OFD file (GB/T 33190): that it is one, its pages,
its title and its text for the index, read from the package's XML alone.

An OFD is a zip: OFD.xml names the document's root (DocBody/DocRoot), the
document lists its pages (Pages/Page BaseLoc), and each page's content holds
TextObjects whose TextCodes carry the characters. Paths are relative to the
part that names them, or to the package when they begin with "/". The package
comes from outside, so every part is size-checked before it is read, paths may
not leave the package, and the XML parser resolves no entities and fetches
nothing.
"""

from __future__ import annotations

import posixpath
import zipfile
from pathlib import Path

NS = "{http://www.ofdspec.org/2016}"
MAX_PART_BYTES = 64 * 1024 * 1024  # one XML part, unpacked: far above any real page
MAX_PAGES = 10000
LINE_GAP_MM = 1.0  # text objects whose tops differ by more are on different lines


def read_ofd(path: str | Path) -> tuple[int, str, str | None]:
    """(page count, text: lines joined by a line break and pages by a form feed,
    DocInfo's title or None).
    Raises ValueError (or zipfile/XML errors) when PATH is not a readable OFD."""
    with zipfile.ZipFile(path) as package:
        root = _part(package, "OFD.xml")
        if root.tag != f"{NS}OFD":
            raise ValueError("OFD.xml is not an OFD root")
        body = root.find(f"{NS}DocBody")
        if body is None:
            raise ValueError("no DocBody")
        title = (body.findtext(f"{NS}DocInfo/{NS}Title") or "").strip() or None
        document_name = _resolve("", (body.findtext(f"{NS}DocRoot") or "").strip())
        document = _part(package, document_name)
        pages = document.findall(f"{NS}Pages/{NS}Page")
        if len(pages) > MAX_PAGES:
            raise ValueError(f"{len(pages)} pages")
        base = posixpath.dirname(document_name)
        texts = [_page_text(_part(package, _resolve(base, page.get("BaseLoc") or ""))) for page in pages]
    return len(pages), "\f".join(texts), title


def _resolve(base: str, location: str) -> str:
    """LOCATION (relative to the folder BASE, or to the package with a leading /) as a
    member name; never outside the package."""
    if not location:
        raise ValueError("an empty location")
    joined = location.lstrip("/") if location.startswith("/") else posixpath.join(base, location)
    name = posixpath.normpath(joined)
    if name.startswith("..") or name.startswith("/"):
        raise ValueError(f"{location} leaves the package")
    return name


def _part(package: zipfile.ZipFile, name: str):
    from lxml import etree

    info = package.getinfo(name)
    if info.file_size > MAX_PART_BYTES:
        raise ValueError(f"{name} unpacks to {info.file_size} bytes")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    return etree.fromstring(package.read(info), parser=parser)


def _page_text(content) -> str:
    lines: list[str] = []
    last_top = None
    for text_object in content.iter(f"{NS}TextObject"):
        text = "".join(code.text or "" for code in text_object.iter(f"{NS}TextCode"))
        if not text:
            continue
        try:
            top = float((text_object.get("Boundary") or "0 0").split()[1])
        except (IndexError, ValueError):
            top = None
        if lines and last_top is not None and top is not None and abs(top - last_top) <= LINE_GAP_MM:
            lines[-1] += text
        else:
            lines.append(text)
        last_top = top
    return "\n".join(lines)
