"""The faces an OFD embeds: each face the layout drew with, cut down to the
glyphs the document uses, as a small TrueType face built with fontTools.

OFD readers find a TextCode's glyphs through the embedded face's cmap (GB/T
33190 §11: text is given as characters, the face as a file in the resources),
so the embedded face maps every character drawn to the glyph the layout chose
for it (WeasyPrint's glyph ids), with that glyph's outline and advance.

The faces are built rather than cut with fontTools' subsetter: only the glyphs
used are read from the installed face, and PostScript (CFF) outlines —
FandolFang, the Noto CJK faces — are turned into TrueType quadratic curves
(within 1 font unit, 1/1000 em) on the way, as OFD readers commonly handle
TrueType faces only (easyofd's renderer refuses CFF: "postscript outlines are
not supported"). Building costs a third of subsetting the CFF face and then
converting it (notice example: 0.55 s of fonts down to about 0.2 s).
"""

from __future__ import annotations

import io
from dataclasses import dataclass

MAX_CURVE_ERROR = 1.0  # font units: how far a quadratic curve may stray from the cubic one


@dataclass(frozen=True)
class EmbeddedFace:
    family: str
    data: bytes
    suffix: str  # ".ttf": always TrueType outlines
    characters: str  # the characters the face maps


def public_family(family: str) -> str:
    """The installed family a face of ours stands for: the PDF renderer loads its
    faces under names of its own (pdf/fontcache.py derived_family, exact_family);
    an OFD reader without the embedded file looks the face up by this name."""
    for suffix in (" GB2312 fupin", " fupin"):
        if family.endswith(suffix):
            return family[: -len(suffix)]
    return family


def _outline(glyph_set, name: str, cubic: bool):
    """The TrueType glyph of NAME (quadratic curves, clockwise contours)."""
    from fontTools.pens.cu2quPen import Cu2QuPen
    from fontTools.pens.ttGlyphPen import TTGlyphPen

    pen = TTGlyphPen(None)
    if cubic:  # CFF contours run counter-clockwise, TrueType's clockwise
        glyph_set[name].draw(Cu2QuPen(pen, MAX_CURVE_ERROR, reverse_direction=True))
    else:
        glyph_set[name].draw(Cu2QuPen(pen, MAX_CURVE_ERROR))  # already quadratic: passed through
    return pen.glyph()


def subset_face(font, glyph_ids, characters: str, glyph_of: dict | None = None) -> EmbeddedFace:
    """A TrueType face holding the glyphs GLYPH_IDS of FONT (WeasyPrint's Font: the
    face's file and index) and mapping CHARACTERS to them. GLYPH_OF maps a
    character to the glyph id the layout drew it with; a character not in it
    maps through the face's own cmap."""
    from fontTools.fontBuilder import FontBuilder
    from fontTools.ttLib import TTFont

    source = TTFont(io.BytesIO(font.file_content), fontNumber=font.index or 0, lazy=True,
                    recalcTimestamp=False)
    order = source.getGlyphOrder()
    best = source.getBestCmap() or {}
    glyph_of = glyph_of or {}
    mapping = {}
    for ch in characters:
        gid = glyph_of.get(ch)
        name = order[gid] if gid is not None and 0 < gid < len(order) else best.get(ord(ch))
        if name is not None:
            mapping[ord(ch)] = name
    names = [order[0]]
    for name in [order[g] for g in sorted(set(glyph_ids)) if 0 < g < len(order)] + sorted(set(mapping.values())):
        if name not in names:
            names.append(name)
    cubic = "CFF " in source or "CFF2" in source
    glyph_set = source.getGlyphSet()
    hmtx = source["hmtx"]
    head, hhea, os2 = source["head"], source["hhea"], source["OS/2"]
    builder = FontBuilder(head.unitsPerEm, isTTF=True)
    builder.font.recalcTimestamp = False  # the same document gives the same bytes
    builder.setupGlyphOrder(names)
    builder.setupCharacterMap(mapping)
    builder.setupGlyf({name: _outline(glyph_set, name, cubic) for name in names})
    builder.setupHorizontalMetrics({name: hmtx[name] for name in names})
    builder.setupHorizontalHeader(ascent=hhea.ascent, descent=hhea.descent, lineGap=hhea.lineGap)
    family = public_family(font.family)
    builder.setupNameTable({"familyName": family, "styleName": "Regular",
                            "psName": "".join(ch for ch in family if ch.isalnum() or ch == "-") or "Face"})
    builder.setupOS2(sTypoAscender=os2.sTypoAscender, sTypoDescender=os2.sTypoDescender,
                     sTypoLineGap=os2.sTypoLineGap, usWinAscent=os2.usWinAscent, usWinDescent=os2.usWinDescent,
                     usWeightClass=os2.usWeightClass, fsType=os2.fsType)  # the face's own embedding rights
    builder.setupPost(keepGlyphNames=False)
    builder.setupHead(unitsPerEm=head.unitsPerEm, created=head.created, modified=head.created)
    out = io.BytesIO()
    builder.font.save(out)
    return EmbeddedFace(family=family, data=out.getvalue(), suffix=".ttf", characters=characters)
