"""The OFD package (GB/T 33190-2016 §7): a zip holding

    OFD.xml                         entry: DocInfo (metadata) and DocRoot
    Doc_0/Document.xml              CommonData (page area, resources) and the pages
    Doc_0/PublicRes.xml             the embedded fonts
    Doc_0/Res/font_N.ttf            the fonts, cut to the glyphs used
    Doc_0/Pages/Page_N/Content.xml  each page's text and paths

The document's 标题, 发文机关, 成文日期 and 发文字号 go into DocInfo (Title,
Author, CreationDate) and its CustomDatas, under their Chinese names.
The same document gives the same bytes (the DocID is derived from the
document, the zip entries carry the 成文日期), so re-rendering does not make a
new archive item.
"""

from __future__ import annotations

import datetime as dt
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from .capture import PageDrawing, TextRun
from .fonts import EmbeddedFace, GlyphCache, subset_face
from .page import NSMAP, Ids, box, content_xml, q

DOC_ROOT = "Doc_0"
CREATOR = "fupin-docs"
# uuid5 namespace of our DocIDs (a fixed random value: DocIDs are stable per document)
DOC_ID_NAMESPACE = uuid.UUID("9b0f6a53-7b0e-4f43-9d1e-1f3c9e0b6a21")

# DocInfo CustomData names and the ComposedDocument.metadata keys they come from.
CUSTOM_DATA = (("标题", "title"), ("发文机关", "issuer"), ("成文日期", "date"), ("发文字号", "doc_number"),
               ("文种", "kind_label"), ("密级", "secrecy"))


@dataclass(frozen=True)
class OfdPackage:
    files: dict  # zip name -> bytes, in writing order
    pages: int
    faces: tuple  # EmbeddedFace, in Font ID order


def _xml(root) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("fupin-docs")
    except Exception:  # noqa: BLE001 — an uninstalled checkout has no version
        return "0"


def ofd_xml(metadata: dict) -> bytes:
    root = etree.Element(q("OFD"), nsmap=NSMAP, Version="1.0", DocType="OFD")
    body = etree.SubElement(root, q("DocBody"))
    info = etree.SubElement(body, q("DocInfo"))
    key = "|".join(str(metadata.get(k) or "") for _, k in CUSTOM_DATA)
    etree.SubElement(info, q("DocID")).text = uuid.uuid5(DOC_ID_NAMESPACE, key).hex
    etree.SubElement(info, q("Title")).text = metadata.get("title") or ""
    etree.SubElement(info, q("Author")).text = metadata.get("issuer") or ""
    if metadata.get("date"):
        etree.SubElement(info, q("CreationDate")).text = str(metadata["date"])
    etree.SubElement(info, q("Creator")).text = CREATOR
    etree.SubElement(info, q("CreatorVersion")).text = _version()
    customs = etree.SubElement(info, q("CustomDatas"))
    for name, field in CUSTOM_DATA:
        if metadata.get(field):
            etree.SubElement(customs, q("CustomData"), Name=name).text = str(metadata[field])
    etree.SubElement(body, q("DocRoot")).text = f"{DOC_ROOT}/Document.xml"
    return _xml(root)


def document_xml(pages: list[PageDrawing], max_id: int) -> bytes:
    root = etree.Element(q("Document"), nsmap=NSMAP)
    common = etree.SubElement(root, q("CommonData"))
    etree.SubElement(common, q("MaxUnitID")).text = str(max_id)
    area = etree.SubElement(common, q("PageArea"))
    first = pages[0] if pages else None
    etree.SubElement(area, q("PhysicalBox")).text = box(0, 0, first.width if first else 210,
                                                        first.height if first else 297)
    etree.SubElement(common, q("PublicRes")).text = "PublicRes.xml"
    listing = etree.SubElement(root, q("Pages"))
    for number in range(len(pages)):
        etree.SubElement(listing, q("Page"), ID=str(number + 1), BaseLoc=f"Pages/Page_{number}/Content.xml")
    return _xml(root)


def public_res_xml(faces: list[tuple[str, EmbeddedFace, str]]) -> bytes:
    root = etree.Element(q("Res"), nsmap=NSMAP, BaseLoc="Res")
    fonts = etree.SubElement(root, q("Fonts"))
    for font_id, face, file_name in faces:
        font = etree.SubElement(fonts, q("Font"), ID=font_id, FontName=face.family, FamilyName=face.family)
        etree.SubElement(font, q("FontFile")).text = file_name
    return _xml(root)


def build_package(pages: list[PageDrawing], fonts_by_hash: dict, metadata: dict,
                  cache: GlyphCache | None = None) -> OfdPackage:
    """The files of the OFD of PAGES (as captured), with METADATA in DocInfo;
    CACHE keeps the faces' converted outlines."""
    used: dict[str, tuple[set, set, dict]] = {}
    for drawing in pages:
        for item in drawing.items:
            if isinstance(item, TextRun):
                gids, chars, glyph_of = used.setdefault(item.font.hash, (set(), set(), {}))
                for glyph in item.glyphs:
                    gids.add(glyph.gid)
                    chars.update(glyph.text)
                    if len(glyph.text) == 1:
                        glyph_of.setdefault(glyph.text, glyph.gid)
    # Page IDs 1..n (Document.xml) come first; fonts and page objects follow.
    ids = Ids()
    ids.last = len(pages)
    faces, font_ids = [], {}
    for number, (font_hash, (gids, chars, glyph_of)) in enumerate(sorted(used.items())):
        face = subset_face(fonts_by_hash[font_hash], gids, "".join(sorted(chars)), glyph_of, cache)
        font_ids[font_hash] = ids.next()
        faces.append((font_ids[font_hash], face, f"font_{number}{face.suffix}"))
    contents = [content_xml(drawing, font_ids, ids) for drawing in pages]
    files = {"OFD.xml": ofd_xml(metadata),
             f"{DOC_ROOT}/Document.xml": document_xml(pages, ids.last),
             f"{DOC_ROOT}/PublicRes.xml": public_res_xml(faces)}
    for _font_id, face, name in faces:
        files[f"{DOC_ROOT}/Res/{name}"] = face.data
    for number, xml in enumerate(contents):
        files[f"{DOC_ROOT}/Pages/Page_{number}/Content.xml"] = xml
    return OfdPackage(files=files, pages=len(pages), faces=tuple(face for _, face, _ in faces))


def _stamp(metadata: dict) -> tuple:
    try:
        day = dt.date.fromisoformat(str(metadata.get("date")))
        if day.year >= 1980:
            return (day.year, day.month, day.day, 0, 0, 0)
    except ValueError:
        pass
    return (1980, 1, 1, 0, 0, 0)


def write_package(package: OfdPackage, target: str | Path, metadata: dict) -> None:
    """Write PACKAGE as a zip at TARGET (the caller makes the write atomic)."""
    stamp = _stamp(metadata)
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in package.files.items():
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
