"""The faces an OFD embeds: each face the layout drew with, cut down (fontTools)
to the glyphs the document uses, with its character map for those characters.

OFD readers find a TextCode's glyphs through the embedded face's cmap (GB/T
33190 §11: text is given as characters, the face as a file in the resources),
so the subset keeps the cmap entries of every character drawn, and the glyphs
the layout chose (WeasyPrint's glyph ids) besides.
"""

from __future__ import annotations

import io
from dataclasses import dataclass


@dataclass(frozen=True)
class EmbeddedFace:
    family: str
    data: bytes
    suffix: str  # ".otf" (CFF outlines) or ".ttf"
    characters: str  # the characters the subset maps


def subset_face(font, glyph_ids, characters: str) -> EmbeddedFace:
    """FONT (WeasyPrint's Font: the face's file and index) cut to GLYPH_IDS and
    the cmap of CHARACTERS."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    face = TTFont(io.BytesIO(font.file_content), fontNumber=font.index or 0, lazy=True)
    options = subset.Options()
    options.layout_features = []  # the glyphs are already chosen: no shaping tables
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.notdef_outline = True
    options.hinting = False
    options.desubroutinize = False
    subsetter = subset.Subsetter(options=options)
    wanted = sorted({ord(ch) for ch in characters if not ch.isspace() or ch == " "})
    subsetter.populate(gids=sorted(set(glyph_ids) | {0}), unicodes=wanted)
    subsetter.subset(face)
    suffix = ".otf" if "CFF " in face else ".ttf"
    out = io.BytesIO()
    face.save(out)
    return EmbeddedFace(family=public_family(font.family), data=out.getvalue(), suffix=suffix,
                        characters=characters)


def public_family(family: str) -> str:
    """The installed family a face of ours stands for: the PDF renderer loads its
    faces under names of its own (pdf/fontcache.py derived_family, exact_family);
    an OFD reader without the embedded file looks the face up by this name."""
    for suffix in (" GB2312 fupin", " fupin"):
        if family.endswith(suffix):
            return family[: -len(suffix)]
    return family
