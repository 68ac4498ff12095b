"""The faces an OFD embeds: each face the layout drew with, cut down (fontTools)
to the glyphs the document uses, with its character map for those characters.

OFD readers find a TextCode's glyphs through the embedded face's cmap (GB/T
33190 §11: text is given as characters, the face as a file in the resources),
so the subset keeps the cmap entries of every character drawn, and the glyphs
the layout chose (WeasyPrint's glyph ids) besides.

Faces with PostScript (CFF) outlines — FandolFang, the Noto CJK faces — are
embedded with their outlines turned into TrueType quadratic curves (within
1 font unit, 1/1000 em), as OFD readers commonly handle TrueType faces only
(easyofd's renderer refuses CFF: "postscript outlines are not supported").
"""

from __future__ import annotations

import io
from dataclasses import dataclass


@dataclass(frozen=True)
class EmbeddedFace:
    family: str
    data: bytes
    suffix: str  # ".ttf": always TrueType outlines
    characters: str  # the characters the subset maps


def subset_face(font, glyph_ids, characters: str) -> EmbeddedFace:
    """FONT (WeasyPrint's Font: the face's file and index) cut to GLYPH_IDS and
    the cmap of CHARACTERS."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    face = TTFont(io.BytesIO(font.file_content), fontNumber=font.index or 0, lazy=True,
                  recalcTimestamp=False)  # the same document gives the same bytes
    options = subset.Options()
    options.layout_features = []  # the glyphs are already chosen: no shaping tables
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.notdef_outline = True
    options.hinting = True  # CFF hints go with the outlines turned to TrueType; removing them first costs time
    options.desubroutinize = False
    subsetter = subset.Subsetter(options=options)
    wanted = sorted({ord(ch) for ch in characters if not ch.isspace() or ch == " "})
    subsetter.populate(gids=sorted(set(glyph_ids) | {0}), unicodes=wanted)
    subsetter.subset(face)
    if "CFF " in face:
        _to_truetype(face)
    out = io.BytesIO()
    face.save(out)
    return EmbeddedFace(family=public_family(font.family), data=out.getvalue(), suffix=".ttf",
                        characters=characters)


def public_family(family: str) -> str:
    """The installed family a face of ours stands for: the PDF renderer loads its
    faces under names of its own (pdf/fontcache.py derived_family, exact_family);
    an OFD reader without the embedded file looks the face up by this name."""
    for suffix in (" GB2312 fupin", " fupin"):
        if family.endswith(suffix):
            return family[: -len(suffix)]
    return family


MAX_CURVE_ERROR = 1.0  # font units: how far a quadratic curve may stray from the cubic one


def _to_truetype(face) -> None:
    """Replace FACE's CFF outlines with TrueType (glyf) outlines, in place."""
    from fontTools.pens.cu2quPen import Cu2QuPen
    from fontTools.pens.ttGlyphPen import TTGlyphPen
    from fontTools.ttLib import newTable

    order = face.getGlyphOrder()
    cubic = face.getGlyphSet()
    glyf = newTable("glyf")
    glyf.glyphOrder = order
    glyf.glyphs = {}
    for name in order:
        pen = TTGlyphPen(None)
        # CFF contours run counter-clockwise, TrueType's clockwise.
        cubic[name].draw(Cu2QuPen(pen, MAX_CURVE_ERROR, reverse_direction=True))
        glyf.glyphs[name] = pen.glyph()
    del face["CFF "]
    if "VORG" in face:
        del face["VORG"]  # a CFF-only table
    face["glyf"] = glyf
    face["loca"] = newTable("loca")
    face["head"].glyphDataFormat = 0
    maxp = face["maxp"]
    maxp.tableVersion = 0x00010000
    for name in ("maxZones", "maxTwilightPoints", "maxStorage", "maxFunctionDefs", "maxInstructionDefs",
                 "maxStackElements", "maxSizeOfInstructions", "maxComponentElements", "maxComponentDepth"):
        setattr(maxp, name, 1 if name == "maxZones" else 0)
    for name in ("maxPoints", "maxContours", "maxCompositePoints", "maxCompositeContours"):
        setattr(maxp, name, 0)  # recomputed when the face is saved
    post = face["post"]
    post.formatType = 3.0  # no glyph names: readers map characters through the cmap
    face.sfntVersion = "\x00\x01\x00\x00"
