"""Small WordprocessingML helpers shared by the template builder and the renderer.

Every length is derived from render/layout.py; this module only converts units
and spells XML.
"""

from __future__ import annotations

import re
from xml.sax.saxutils import quoteattr

from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn

from .. import layout as L

LATIN = "Times New Roman"  # the Latin face of every style


def twips_pt(pt: float) -> int:
    return int(round(pt * L.TWIPS_PER_PT))


def twips_mm(mm: float) -> int:
    return twips_pt(L.mm_to_pt(mm))


def chars(n: float) -> int:
    """N 字 of body text (a 三号 character plus the −0.25 pt spacing), in twips."""
    return twips_pt(n * L.DOCX_CHAR_ADVANCE_PT)


# The line pitch is floored to whole twips: 22 × 580 would overflow the 225 mm
# 版心 by 4 twips and leave only 21 lines; 22 × 579 fits.
LINE_TWIPS = int(L.LINE_PITCH_PT * L.TWIPS_PER_PT)
TEXT_WIDTH_TWIPS = twips_mm(L.TEXT_WIDTH_MM)
MARK_COLOR_HEX = L.MARK_COLOR.lstrip("#").upper()
# Space above the 标志 so its top edge lies MARK_TOP_FROM_TEXT_TOP_MM below the
# 版心 top, under the banner's lines (the 标志's exact line is as tall as its type).
MARK_SPACE_BEFORE_PT = L.mm_to_pt(L.MARK_TOP_FROM_TEXT_TOP_MM) - L.BANNER_INFO_LINES * LINE_TWIPS / L.TWIPS_PER_PT


def border_eighths(mm: float) -> int:
    """Border width in eighths of a point (w:sz), at least Word's minimum of 2."""
    return max(2, int(round(L.mm_to_pt(mm) * 8)))


def rfonts(east_asia: str | None, latin: str | None = LATIN, hint: bool = False) -> str:
    attrs = []
    if latin:
        attrs += [f"w:ascii={quoteattr(latin)}", f"w:hAnsi={quoteattr(latin)}", f"w:cs={quoteattr(latin)}"]
    if east_asia:
        attrs.append(f"w:eastAsia={quoteattr(east_asia)}")
    if hint:
        attrs.append('w:hint="eastAsia"')
    return f"<w:rFonts {' '.join(attrs)}/>"


def size(pt: float) -> str:
    half = int(round(pt * 2))
    return f'<w:sz w:val="{half}"/><w:szCs w:val="{half}"/>'


def el(xml: str):
    """Parse one element written with the w: prefix (the namespace is added here)."""
    pos = re.match(r"<[\w:]+", xml).end()
    return parse_xml(xml[:pos] + " " + nsdecls("w") + xml[pos:])


def set_east_asia_hint(run) -> None:
    """Mark a run's shared punctuation (“” — … ·) as East Asian (w:hint)."""
    rpr = run.find(qn("w:rPr"))
    if rpr is None:
        rpr = el("<w:rPr/>")
        run.insert(0, rpr)
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = el("<w:rFonts/>")
        # rFonts comes first after rStyle in CT_RPr's sequence
        style = rpr.find(qn("w:rStyle"))
        if style is not None:
            style.addnext(fonts)
        else:
            rpr.insert(0, fonts)
    fonts.set(qn("w:hint"), "eastAsia")


# Characters Word assigns to the Latin font unless the run says eastAsia.
SHARED_PUNCTUATION = set("“”‘’—–…·•§°±×÷‰′″※→←↑↓√")


def needs_hint(text: str) -> bool:
    return any(ch in SHARED_PUNCTUATION for ch in text)


def width_chars(text: str, switch: float = 0.25) -> float:
    """Width of TEXT in 字: CJK and full-width forms 1, ASCII and digits ½, plus
    SWITCH 字 (¼ unless told) at each switch between the two (the Asian/Latin
    spacing Word and LibreOffice add unless a paragraph turns it off; pass 0
    for a paragraph that turns it off in Word)."""
    total = 0.0
    previous = None
    for ch in text:
        narrow = ord(ch) < 0x2E80 and ch not in SHARED_PUNCTUATION
        total += 0.5 if narrow else 1.0
        if previous is not None and narrow != previous and not ch.isspace():
            total += switch
        previous = narrow
    return total


# --- font table (word/fontTable.xml) --------------------------------------------
# What Word and WPS need to substitute a face that is not installed: w:altName
# (the name they try next), then panose, charset and family. A stock Windows
# 10/11 has 仿宋 (FangSong), 楷体 (KaiTi), 黑体 (SimHei) and 宋体 (SimSun), not
# the GB2312 faces nor any 小标宋, which come with office font packs; so each
# standard face names the stock face of its style: 仿宋_GB2312 → 仿宋,
# 楷体_GB2312 → 楷体, 方正小标宋简体 → 宋体 (the stock serif; Office's 华文中宋 is
# not on every PC). Panose 2-1-6-9 is the fixed-pitch CJK class Windows gives
# 仿宋/楷体/黑体, 2-1-6-0 the 宋体 class; charset 86 is GB2312.
# The faces every zh-CN Windows 10/11 has (Chinese and English family names).
STOCK_WINDOWS_FACES = frozenset({"仿宋", "FangSong", "楷体", "KaiTi", "黑体", "SimHei", "宋体", "SimSun"})
# name: (altName or None, panose1, charset, family, pitch)
FONT_ENTRIES: dict[str, tuple[str | None, str, str, str, str]] = {
    "Times New Roman": (None, "02020603050405020304", "00", "roman", "variable"),
    "仿宋_GB2312": ("仿宋", "02010609030101010101", "86", "modern", "fixed"),
    "楷体_GB2312": ("楷体", "02010609030101010101", "86", "modern", "fixed"),
    "方正小标宋简体": ("宋体", "02010600030101010101", "86", "roman", "variable"),
    "黑体": ("SimHei", "02010609060101010101", "86", "modern", "fixed"),
    "宋体": ("SimSun", "02010600030101010101", "86", "auto", "variable"),
    "仿宋": ("FangSong", "02010609060101010101", "86", "modern", "fixed"),
    "楷体": ("KaiTi", "02010609060101010101", "86", "modern", "fixed"),
}


def font_table_xml(names: list[str]) -> bytes:
    """word/fontTable.xml declaring NAMES (unknown names get a bare entry)."""
    out = []
    for name in dict.fromkeys(names):
        alt, panose, charset, family, pitch = FONT_ENTRIES.get(name, (None, None, "86", "auto", "variable"))
        inner = (f'<w:altName w:val={quoteattr(alt)}/>' if alt else "") \
            + (f'<w:panose1 w:val="{panose}"/>' if panose else "") \
            + f'<w:charset w:val="{charset}"/><w:family w:val="{family}"/><w:pitch w:val="{pitch}"/>'
        out.append(f"<w:font w:name={quoteattr(name)}>{inner}</w:font>")
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<w:fonts xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
            + "".join(out) + "</w:fonts>").encode("utf-8")


def font_names(fonts) -> list[str]:
    """The faces a document made from FONTS (a FontConfig) names, Latin first."""
    return [LATIN, fonts.docx_body, fonts.docx_title, fonts.docx_heading1, fonts.docx_heading2,
            fonts.docx_page_number]


def set_font_table(document, names: list[str]) -> None:
    # Reach-in: python-docx keeps an unparsed part's bytes in Part._blob and
    # saves them from there (guarded in tests/test_private_api.py, as for the theme).
    for part in document.part.package.iter_parts():
        if str(part.partname) == "/word/fontTable.xml":
            part._blob = font_table_xml(names)
