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
not supported"). Converted outlines are kept per machine (GlyphCache), as
reading CFF glyphs and converting them is most of an OFD's cost.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

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


def _outline(glyph_set, name: str, cubic: bool) -> bytes:
    """The TrueType glyph of NAME (quadratic curves, clockwise contours), compiled."""
    from fontTools.pens.cu2quPen import Cu2QuPen
    from fontTools.pens.ttGlyphPen import TTGlyphPen

    pen = TTGlyphPen(None)
    if cubic:  # CFF contours run counter-clockwise, TrueType's clockwise
        glyph_set[name].draw(Cu2QuPen(pen, MAX_CURVE_ERROR, reverse_direction=True))
    else:
        glyph_set[name].draw(Cu2QuPen(pen, MAX_CURVE_ERROR))  # already quadratic: passed through
    return pen.glyph().compile(None)


class GlyphCache:
    """TrueType outlines already made from a face's glyphs, kept on this machine
    (SQLite, beside the PDF renderer's face copies), so a face's glyph is turned
    into TrueType once, not in every document. Anything going wrong (no cache
    folder, a locked or damaged file) only means converting again."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path is not None else _default_cache_path()

    def _connect(self):
        import sqlite3

        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(str(self.path), timeout=2)
        db.execute("CREATE TABLE IF NOT EXISTS glyphs (face TEXT, glyph TEXT, data BLOB, PRIMARY KEY (face, glyph))")
        return db

    def get(self, face: str, names) -> dict:
        try:
            db = self._connect()
            try:
                found = {}
                wanted = list(names)
                for start in range(0, len(wanted), 500):
                    chunk = wanted[start:start + 500]
                    rows = db.execute(f"SELECT glyph, data FROM glyphs WHERE face = ? AND glyph IN "
                                      f"({','.join('?' * len(chunk))})", [face, *chunk])
                    found.update((name, bytes(data)) for name, data in rows)
                return found
            finally:
                db.close()
        except Exception:  # noqa: BLE001 — a cache that cannot be read is an empty one
            return {}

    def put(self, face: str, outlines: dict) -> None:
        if not outlines:
            return
        try:
            db = self._connect()
            try:
                with db:
                    db.executemany("INSERT OR IGNORE INTO glyphs VALUES (?, ?, ?)",
                                   [(face, name, data) for name, data in outlines.items()])
            finally:
                db.close()
        except Exception:  # noqa: BLE001 — not kept: converted again next time
            pass


def _default_cache_path() -> Path:
    from ..pdf.fontcache import cache_dir

    return cache_dir() / f"ofd-glyphs-{CACHE_VERSION}.sqlite3"


CACHE_VERSION = 1  # part of the cache's name: change it when _outline changes


def _face_key(font) -> str:
    return f"{hashlib.blake2b(font.file_content, digest_size=16).hexdigest()}-{font.index or 0}"


def subset_face(font, glyph_ids, characters: str, glyph_of: dict | None = None,
                cache: GlyphCache | None = None) -> EmbeddedFace:
    """A TrueType face holding the glyphs GLYPH_IDS of FONT (WeasyPrint's Font: the
    face's file and index) and mapping CHARACTERS to them. GLYPH_OF maps a
    character to the glyph id the layout drew it with; a character not in it
    maps through the face's own cmap. CACHE keeps converted outlines (None: convert all)."""
    from fontTools.fontBuilder import FontBuilder
    from fontTools.ttLib import TTFont
    from fontTools.ttLib.tables._g_l_y_f import Glyph

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
    face_key = _face_key(font) if cache is not None else ""
    outlines = cache.get(face_key, names) if cache is not None else {}
    made = {name: _outline(glyph_set, name, cubic) for name in names if name not in outlines}
    if cache is not None:
        cache.put(face_key, made)
    glyphs = {}
    for name in names:
        glyph = Glyph(outlines.get(name, made.get(name)))
        glyph.expand(None)  # simple glyphs only: no composite needs the glyf table
        glyphs[name] = glyph
    builder.setupGlyf(glyphs)
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
