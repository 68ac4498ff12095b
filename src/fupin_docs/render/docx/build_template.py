"""Build the built-in Word template templates/gongwen.docx from layout.py.

    python -m fupin_docs.render.docx.build_template [OUT]

The template carries (1) the page setup — A4, GB/T 9704 margins, the 22 × 28
document grid, odd/even page-number footers — (2) one named style per 公文
element, with East Asian fonts in w:eastAsia, so an office can restyle it in
Word or WPS, and (3) the docxtpl tags that walk the document tree
(render/docx/context.py builds the context they read). Geometry that depends
on the text (标志 size, 署名/日期 position, 出席 hanging indent, table column
widths, page breaks) is set after rendering by render/docx/finish.py, keyed by
the style ids below, so an office template that keeps those ids gets it too.
"""

from __future__ import annotations

import sys
from pathlib import Path

import docx
from docx.oxml.ns import qn
from docx.shared import Mm

from ...atomic import atomic_path
from ...workspace.config import FontConfig
from .. import layout as L
from .ooxml import (LATIN, LINE_TWIPS, MARK_COLOR_HEX, MARK_SPACE_BEFORE_PT, TEXT_WIDTH_TWIPS, border_eighths,
                    chars, el, font_names, rfonts, set_font_table, size, twips_mm, twips_pt)

# Style ids (ASCII, stable: the renderer finds paragraphs by them) → Chinese names.
STYLE_NAMES = {
    "GwHeaderLine": "公文版头信息",
    "GwMark": "公文发文机关标志",
    "GwDocNumber": "公文发文字号",
    "GwDocNumberSigned": "公文发文字号（含签发人）",
    "GwSigners": "公文签发人（多行时的前几行）",
    "GwTitle": "公文标题",
    "GwAddressees": "公文主送机关",
    "GwBody": "公文正文",
    "GwHeading1": "公文一级标题",
    "GwHeading2": "公文二级标题",
    "GwHeading3": "公文三级标题",
    "GwHeading4": "公文四级标题",
    "GwAttachmentNote": "公文附件说明",
    "GwSignature": "公文发文机关署名",
    "GwDate": "公文成文日期",
    "GwNote": "公文附注",
    "GwAttendance": "公文纪要出席",
    "GwAttachmentLabel": "公文附件标识",
    "GwTableText": "公文表格文字",
    "GwTableHeader": "公文表格表头",
    "GwColophonCc": "公文版记抄送",
    "GwColophonPrint": "公文版记印发",
    "GwColophonSpacer": "公文版记上方留白",
    "GwPageNumber": "公文页码",
    "GwBlank": "公文空行",
    "GwSectionBreak": "公文分节符",
    "GwHei": "公文黑体字符",
    "GwKai": "公文楷体字符",
}


def _exact(line_twips: int = LINE_TWIPS, before: int = 0) -> str:
    return f'<w:spacing w:before="{before}" w:after="0" w:line="{line_twips}" w:lineRule="exact"/>'


def _pstyle(style_id: str, ppr: str = "", rpr: str = "", based: str = "Normal", extra: str = "") -> str:
    name = STYLE_NAMES[style_id]
    return (f'<w:style w:type="paragraph" w:customStyle="1" w:styleId="{style_id}">'
            f'<w:name w:val="{name}"/><w:basedOn w:val="{based}"/>{extra}<w:qFormat/>'
            f"<w:pPr>{ppr}</w:pPr><w:rPr>{rpr}</w:rPr></w:style>")


def _cstyle(style_id: str, rpr: str) -> str:
    name = STYLE_NAMES[style_id]
    return (f'<w:style w:type="character" w:customStyle="1" w:styleId="{style_id}">'
            f'<w:name w:val="{name}"/><w:qFormat/><w:rPr>{rpr}</w:rPr></w:style>')


def _border(side: str, mm: float, color: str = "000000", space_pt: int = 0) -> str:
    return (f'<w:{side} w:val="single" w:sz="{border_eighths(mm)}" w:space="{space_pt}" '
            f'w:color="{color}"/>')


# The red separator 4 mm under the 发文字号's characters (§7.2.6), drawn as the
# paragraph's bottom border; its w:space counts from the bottom of the line.
_SEPARATOR = ('<w:pBdr>' + _border("bottom", L.SEPARATOR_THICKNESS_MM, MARK_COLOR_HEX,
                                   round(L.mm_to_pt(L.SEPARATOR_BELOW_DOC_NUMBER_MM)
                                         - L.DOCX_EM_BOTTOM_ABOVE_LINE_BOTTOM_PT)) + '</w:pBdr>')


def style_xml(fonts: FontConfig) -> list[str]:
    body, title, hei, kai = fonts.docx_body, fonts.docx_title, fonts.docx_heading1, fonts.docx_heading2
    indent2 = f'<w:ind w:firstLine="{chars(L.FIRST_LINE_INDENT_CHARS)}"/>'
    no_indent = '<w:ind w:left="0" w:firstLine="0"/>'
    no_autospace = '<w:autoSpaceDE w:val="0"/><w:autoSpaceDN w:val="0"/>'
    colophon_side = twips_pt(L.COLOPHON_SIDE_INDENT_CHARS * L.COLOPHON_SIZE_PT)
    colophon_label = twips_pt(L.LABEL_CHARS * L.COLOPHON_SIZE_PT)
    mark_space = twips_pt(MARK_SPACE_BEFORE_PT)
    mark_size = L.MARK_MAX_SIZE_PT
    return [
        _pstyle("GwHeaderLine", _exact() + '<w:jc w:val="left"/>' + no_indent),
        _pstyle("GwMark", _exact(twips_pt(mark_size), mark_space) + '<w:jc w:val="center"/>' + no_indent,
                rfonts(title, title) + f'<w:b w:val="0"/><w:color w:val="{MARK_COLOR_HEX}"/>' + size(mark_size)),
        _pstyle("GwDocNumber", _SEPARATOR + _exact() + '<w:jc w:val="center"/>' + no_indent),
        # The 签发人 tab stops depend on the names: finish.signers sets them.
        _pstyle("GwDocNumberSigned", _SEPARATOR
                + f'<w:tabs><w:tab w:val="left" w:pos="{chars(L.DOC_NUMBER_LEFT_INDENT_CHARS)}"/></w:tabs>'
                + _exact() + '<w:jc w:val="left"/>' + no_indent),
        _pstyle("GwSigners", _exact() + '<w:jc w:val="left"/>' + no_indent),
        # snapToGrid off: LibreOffice would give a 22 pt line two grid lines.
        _pstyle("GwTitle", '<w:keepNext/><w:snapToGrid w:val="0"/>' + _exact() + '<w:jc w:val="center"/>'
                + no_indent,
                rfonts(title, title) + '<w:b w:val="0"/>' + size(L.TITLE_SIZE_PT)),
        _pstyle("GwAddressees", _exact() + '<w:jc w:val="both"/>' + no_indent),
        _pstyle("GwBody", _exact() + '<w:jc w:val="both"/>' + indent2),
        _pstyle("GwHeading1", '<w:keepNext/>' + _exact() + '<w:jc w:val="both"/>' + indent2
                + '<w:outlineLvl w:val="0"/>', rfonts(hei, hei) + '<w:b w:val="0"/>'),
        _pstyle("GwHeading2", '<w:keepNext/>' + _exact() + '<w:jc w:val="both"/>' + indent2
                + '<w:outlineLvl w:val="1"/>', rfonts(kai) + '<w:b w:val="0"/>'),
        _pstyle("GwHeading3", '<w:keepNext/>' + _exact() + '<w:jc w:val="both"/>' + indent2
                + '<w:outlineLvl w:val="2"/>', rfonts(body) + '<w:b w:val="0"/>'),
        _pstyle("GwHeading4", _exact() + '<w:jc w:val="both"/>' + indent2
                + '<w:outlineLvl w:val="3"/>', rfonts(body) + '<w:b w:val="0"/>'),
        # 附件说明: first line starts 2 字 in; later lines align after “附件：” (+ the
        # number, reached by the implicit tab stop at the left indent).
        _pstyle("GwAttachmentNote", _exact() + '<w:jc w:val="left"/>'
                + f'<w:ind w:left="{chars(L.FIRST_LINE_INDENT_CHARS + L.LABEL_CHARS + 1)}" '
                  f'w:hanging="{chars(L.LABEL_CHARS + 1)}"/>'),
        # No extra Asian/Latin spacing in 署名/日期: “2020年6月8日” keeps the width it was placed by.
        _pstyle("GwSignature", '<w:keepNext/>' + no_autospace + _exact() + '<w:jc w:val="left"/>' + no_indent),
        _pstyle("GwDate", no_autospace + _exact() + '<w:jc w:val="left"/>' + no_indent),
        _pstyle("GwNote", _exact() + '<w:jc w:val="both"/>' + indent2),
        _pstyle("GwAttendance", _exact() + '<w:jc w:val="left"/>'
                + f'<w:ind w:left="{chars(L.FIRST_LINE_INDENT_CHARS + L.LABEL_CHARS)}" '
                  f'w:hanging="{chars(L.LABEL_CHARS)}"/>'),
        _pstyle("GwAttachmentLabel", _exact() + '<w:jc w:val="left"/>' + no_indent,
                rfonts(hei, hei)),
        _pstyle("GwTableText", '<w:snapToGrid w:val="0"/>' + _exact(twips_pt(L.TABLE_LINE_PITCH_PT))
                + '<w:jc w:val="left"/>' + no_indent, size(L.TABLE_FONT_SIZE_PT)),
        _pstyle("GwTableHeader", '<w:keepNext/><w:snapToGrid w:val="0"/>'
                + _exact(twips_pt(L.TABLE_LINE_PITCH_PT)) + '<w:jc w:val="center"/>' + no_indent,
                rfonts(hei, hei) + size(L.TABLE_FONT_SIZE_PT), based="GwTableText"),
        # 版记: paragraphs in a one-column table (the table draws the rules as
        # wide as the 版心; see _colophon_table), below a spacer whose exact
        # height finish.colophon_spacer sets.
        _pstyle("GwColophonSpacer", '<w:snapToGrid w:val="0"/>' + _exact() + no_indent),
        _pstyle("GwColophonCc", '<w:keepNext/><w:keepLines/>' + _exact() + '<w:jc w:val="left"/>'
                + f'<w:ind w:left="{colophon_side + colophon_label}" w:right="{colophon_side}" '
                  f'w:hanging="{colophon_label}"/>',
                size(L.COLOPHON_SIZE_PT)),
        _pstyle("GwColophonPrint", '<w:keepLines/>'
                + f'<w:tabs><w:tab w:val="right" w:pos="{TEXT_WIDTH_TWIPS - colophon_side}"/></w:tabs>'
                + no_autospace + _exact() + '<w:jc w:val="left"/>' + f'<w:ind w:left="{colophon_side}" w:firstLine="0"/>',
                size(L.COLOPHON_SIZE_PT)),
        _pstyle("GwPageNumber", '<w:snapToGrid w:val="0"/><w:spacing w:before="0" w:after="0" '
                'w:line="240" w:lineRule="auto"/>',
                rfonts(fonts.docx_page_number, fonts.docx_page_number, hint=True) + size(L.PAGE_NUMBER_SIZE_PT)),
        _pstyle("GwBlank", _exact() + no_indent),
        _pstyle("GwSectionBreak", '<w:snapToGrid w:val="0"/>' + _exact(twips_pt(1)) + no_indent, size(1)),
        _cstyle("GwHei", rfonts(hei, hei)),
        _cstyle("GwKai", rfonts(kai)),
    ]


# 孤行控制 off: a 公文 page holds its 22 lines; widow control would move a
# paragraph's last line(s) over and leave a page 20 or 21 lines long.
_NO_WIDOW = '<w:widowControl w:val="0"/>'
# Full-width punctuation at a line end: w:overflowPunct says "1". Word and WPS
# read it as the spec says (the mark may hang past the 28th character, Word's
# own default, and is drawn); LibreOffice (writerfilter, 7.x) reads it
# inverted: overflowPunct 0 or absent turns its hanging punctuation on, which
# leaves a line-final “；” or “：” outside the 版心 or not drawn at all, while
# "1" turns it off, so the line breaks before the last character instead.
_NO_HANGING = '<w:overflowPunct w:val="1"/>'


def _set_defaults(document, fonts: FontConfig) -> None:
    """docDefaults and Normal: 三号 仿宋 in w:eastAsia, Times New Roman Latin, exact pitch."""
    styles = document.styles.element
    defaults = styles.find(qn("w:docDefaults"))
    if defaults is not None:
        styles.remove(defaults)
    styles.insert(0, el(
        f"<w:docDefaults><w:rPrDefault><w:rPr>{rfonts(fonts.docx_body, LATIN)}"
        f'<w:spacing w:val="{L.DOCX_CHAR_SPACING_TWENTIETHS}"/><w:kern w:val="0"/>{size(L.BODY_SIZE_PT)}'
        '<w:lang w:val="en-US" w:eastAsia="zh-CN" w:bidi="ar-SA"/></w:rPr></w:rPrDefault>'
        f'<w:pPrDefault><w:pPr>{_NO_WIDOW}{_NO_HANGING}{_exact()}<w:jc w:val="both"/></w:pPr></w:pPrDefault>'
        "</w:docDefaults>"))
    normal = document.styles["Normal"].element
    for child in list(normal):
        if child.tag in (qn("w:pPr"), qn("w:rPr")):
            normal.remove(child)
    normal.append(el(f'<w:pPr>{_NO_WIDOW}{_NO_HANGING}{_exact()}<w:jc w:val="both"/></w:pPr>'))
    normal.append(el(f"<w:rPr>{rfonts(fonts.docx_body, LATIN)}"
                     f'<w:spacing w:val="{L.DOCX_CHAR_SPACING_TWENTIETHS}"/>{size(L.BODY_SIZE_PT)}</w:rPr>'))
    # Drop the theme-font attributes python-docx's default styles carry, so no
    # style falls back to the theme's (Latin) faces.
    for node in styles.iter(qn("w:rFonts")):
        for attr in ("asciiTheme", "hAnsiTheme", "eastAsiaTheme", "cstheme"):
            node.attrib.pop(qn(f"w:{attr}"), None)
    for style_xml_text in style_xml(fonts):
        styles.append(el(style_xml_text))


def _rewrite_theme(document, fonts: FontConfig) -> None:
    """Theme fonts: Latin Times New Roman, East Asian 仿宋/黑体, so Word/WPS never substitutes."""
    import re

    for part in document.part.package.iter_parts():
        if str(part.partname).startswith("/word/theme/"):
            xml = part.blob.decode("utf-8")

            def fix(block: str, east_asia: str) -> str:
                block = re.sub(r'<a:latin typeface="[^"]*"', f'<a:latin typeface="{LATIN}"', block)
                block = re.sub(r'<a:ea typeface="[^"]*"', f'<a:ea typeface="{east_asia}"', block)
                return re.sub(r'<a:font script="Hans" typeface="[^"]*"/>',
                              f'<a:font script="Hans" typeface="{east_asia}"/>', block)

            xml = re.sub(r"<a:majorFont>.*?</a:majorFont>", lambda m: fix(m.group(0), fonts.docx_heading1),
                         xml, flags=re.S)
            xml = re.sub(r"<a:minorFont>.*?</a:minorFont>", lambda m: fix(m.group(0), fonts.docx_body),
                         xml, flags=re.S)
            part._blob = xml.encode("utf-8")


def _theme_language(document) -> None:
    """Theme fonts resolve for Simplified Chinese (python-docx's default names
    ja-JP, which makes Word take the theme's Japanese face, ＭＳ 明朝, wherever a
    style or a pasted run refers to a theme font)."""
    settings = document.settings.element
    node = settings.find(qn("w:themeFontLang"))
    if node is None:
        node = el("<w:themeFontLang/>")
        settings.find(qn("w:clrSchemeMapping")).addprevious(node)
    node.set(qn("w:val"), "en-US")
    node.set(qn("w:eastAsia"), "zh-CN")


def _page_number_field() -> str:
    """“— N —”: the number is a PAGE field, the dashes plain text (hint eastAsia → 宋体 一字线)."""
    dash = L.PAGE_NUMBER_DASH

    def run(inner: str) -> str:
        return f'<w:r><w:rPr><w:rFonts w:hint="eastAsia"/></w:rPr>{inner}</w:r>'

    return (run(f'<w:t xml:space="preserve">{dash} </w:t>')
            + run('<w:fldChar w:fldCharType="begin"/>')
            + run('<w:instrText xml:space="preserve"> PAGE </w:instrText>')
            + run('<w:fldChar w:fldCharType="separate"/>') + run("<w:t>1</w:t>")
            + run('<w:fldChar w:fldCharType="end"/>')
            + run(f'<w:t xml:space="preserve"> {dash}</w:t>'))


def _footer(section_footer, odd: bool) -> None:
    footer = section_footer._element
    for child in list(footer):
        footer.remove(child)
    side = twips_pt(L.PAGE_NUMBER_SIDE_INDENT_CHARS * L.PAGE_NUMBER_SIZE_PT)
    ind = f'<w:ind w:right="{side}"/>' if odd else f'<w:ind w:left="{side}"/>'
    jc = "right" if odd else "left"
    footer.append(el(f'<w:p><w:pPr><w:pStyle w:val="GwPageNumber"/>{ind}<w:jc w:val="{jc}"/></w:pPr>'
                     f"{_page_number_field()}</w:p>"))


def _section(document) -> None:
    section = document.sections[0]
    section.page_width, section.page_height = Mm(L.PAGE_WIDTH_MM), Mm(L.PAGE_HEIGHT_MM)
    section.top_margin, section.bottom_margin = Mm(L.MARGIN_TOP_MM), Mm(L.MARGIN_BOTTOM_MM)
    section.left_margin, section.right_margin = Mm(L.MARGIN_LEFT_MM), Mm(L.MARGIN_RIGHT_MM)
    section.header_distance = Mm(L.HEADER_DISTANCE_MM)
    section.footer_distance = Mm(L.PAGE_NUMBER_FOOTER_DISTANCE_MM)
    section.gutter = 0
    document.settings.odd_and_even_pages_header_footer = True
    _footer(section.footer, odd=True)
    _footer(section.even_page_footer, odd=False)
    sect = section._sectPr
    old = sect.find(qn("w:docGrid"))
    if old is not None:
        sect.remove(old)
    # Grid of 22 lines; 28 characters come from the runs' −0.25 pt spacing (layout.py).
    sect.append(el(f'<w:docGrid w:type="lines" w:linePitch="{LINE_TWIPS}"/>'))


def _colophon_section(document) -> None:
    """版记 in its own last section, which starts on an even page (§7.4, §7.5).

    公文 are printed on both sides and the 版记 belongs on the last side (封四),
    an even page. The section break before it is w:type="evenPage": when the
    body ends on an odd page the 版记 page is the next, even, page; when it ends
    on an even page, Word, WPS and LibreOffice insert a blank odd page first.
    The 版记 section keeps the body's numbered odd/even footers (linked to the
    previous section) and numbering continues, so the 版记 page carries its
    number (§7.5 lets only a blank page and the 版记 page after it go
    unnumbered). On that page a spacer paragraph, sized by
    finish.colophon_spacer from the 版记's line count, pushes the 版记 table down
    so its last rule lies on the 版心's bottom edge; the page holds nothing
    else, so its height is known.

    Tried and rejected: a footer field IF PAGE < NUMPAGES (LibreOffice prints
    the nested fields' results, “141”, instead of evaluating it); the 版记 as
    paragraphs in a frame at the bottom of the margin (w:framePr
    yAlign="bottom": LibreOffice 7.4 makes no frame when the framed paragraphs'
    borders differ, as the 0.35/0.25 mm rules must, and left the 版记 at the
    top of the page); a floating table with tblpYSpec="bottom" and section
    vAlign="bottom" (LibreOffice 7.4 ignores both); the 版记 in the section's
    footer (exact, but text readers that walk the body — python-docx
    paragraphs, archive text extraction — lose it).

    This section is right when the body ends on an odd page; render/docx/
    colophon.py changes it after rendering for the other two cases (the body
    ends on an even page with room: one section, the 版记 a floating table at
    its bottom; without room: this section's footers emptied, so the blank
    page and the 版记 page go unnumbered).
    """
    from docx.enum.section import WD_SECTION

    section = document.add_section(WD_SECTION.EVEN_PAGE)
    # No document grid on the 版记 page (its lines are exact anyway): LibreOffice
    # gives an even-page section a page style with a shorter footer area and
    # centres the 22-line grid in the taller body, which moved the 版记 8.8 pt
    # below the 版心's bottom edge.
    grid = section._sectPr.find(qn("w:docGrid"))
    if grid is not None:
        section._sectPr.remove(grid)
    # The paragraph holding the body section's sectPr takes no visible room.
    body = document.element.body
    holder = body.findall(qn("w:p"))[-1]
    holder.get_or_add_pPr().insert(0, el('<w:pStyle w:val="GwSectionBreak"/>'))


# --- the body: docxtpl tags walking the context of render/docx/context.py -------

def _text(text: str, style: str | None = None) -> str:
    """A run of text, hinted East Asian so shared punctuation takes the CJK face."""
    rstyle = f'<w:rStyle w:val="{style}"/>' if style else ""
    return f'<w:r><w:rPr>{rstyle}<w:rFonts w:hint="eastAsia"/></w:rPr><w:t xml:space="preserve">{text}</w:t></w:r>'


def _tag_run(tag: str) -> str:
    return f"<w:r><w:t>{tag}</w:t></w:r>"


def _p(style: str, *runs: str) -> str:
    return f'<w:p><w:pPr><w:pStyle w:val="{style}"/></w:pPr>{"".join(runs)}</w:p>'


def _tag(tag: str) -> str:
    """A paragraph holding only a {%p … %} tag (docxtpl removes the paragraph)."""
    return f"<w:p><w:r><w:t>{tag}</w:t></w:r></w:p>"


def _blank(n: int) -> list[str]:
    return [_p("GwBlank") for _ in range(n)]


def _role_runs(var: str) -> list[str]:
    """Runs of a paragraph whose runs carry font roles (h1 黑体, h2 楷体, else 仿宋)."""
    return [
        _tag_run(f"{{%r for run in {var} %}}"),
        _tag_run("{%r if run.role == 'h1' %}"), _text("{{ run.text }}", "GwHei"),
        _tag_run("{%r elif run.role == 'h2' %}"), _text("{{ run.text }}", "GwKai"),
        _tag_run("{%r else %}"), _text("{{ run.text }}"),
        _tag_run("{%r endif %}"),
        _tag_run("{%r endfor %}"),
    ]


def _cell(content: str, width: int) -> str:
    return f'<w:tc><w:tcPr><w:tcW w:w="{width}" w:type="dxa"/></w:tcPr>{content}</w:tc>'


def _table() -> str:
    width = TEXT_WIDTH_TWIPS // 3
    margin = twips_mm(L.TABLE_CELL_MARGIN_MM)
    rule_mm = L.TABLE_RULE_PT * L.MM_PER_PT
    borders = "".join(_border(side, rule_mm) for side in ("top", "left", "bottom", "right", "insideH", "insideV"))
    tblpr = (f'<w:tblPr><w:tblW w:w="{TEXT_WIDTH_TWIPS}" w:type="dxa"/><w:jc w:val="center"/>'
             f"<w:tblBorders>{borders}</w:tblBorders><w:tblLayout w:type=\"fixed\"/>"
             f'<w:tblCellMar><w:left w:w="{margin}" w:type="dxa"/><w:right w:w="{margin}" w:type="dxa"/>'
             "</w:tblCellMar></w:tblPr>")
    grid = "<w:tblGrid>" + f'<w:gridCol w:w="{width}"/>' * 3 + "</w:tblGrid>"
    header = ('<w:tr><w:trPr><w:tblHeader/><w:cantSplit/></w:trPr>'
              + _cell(_tag("{%tc for col in b.columns %}"), width)
              + _cell(_p("GwTableHeader", _text("{{ col.header }}")), width)
              + _cell(_tag("{%tc endfor %}"), width) + "</w:tr>")

    def tag_row(tag: str) -> str:
        """A row holding only a {%tr … %} tag (docxtpl removes the row)."""
        return "<w:tr>" + _cell(_tag(tag), width) + _cell(_p("GwBlank"), width) * 2 + "</w:tr>"

    row = ('<w:tr><w:trPr><w:cantSplit/></w:trPr>'
           + _cell(_tag("{%tc for cell in row %}"), width)
           + _cell(_p("GwTableText", _text("{{ cell }}")), width)
           + _cell(_tag("{%tc endfor %}"), width) + "</w:tr>")
    return f"<w:tbl>{tblpr}{grid}{header}{tag_row('{%tr for row in b.rows %}')}{row}{tag_row('{%tr endfor %}')}</w:tbl>"


def _colophon_table() -> str:
    """版记 (§7.4) as a one-column table as wide as the 版心: top and bottom rules
    0.35 mm, the rule between 抄送 and 印发 0.25 mm. A table, not paragraph
    borders: Word and LibreOffice draw a paragraph's border from its indents,
    and 抄送/印发机关 sit 1 字 in, so the rules would fall short of the 版心."""
    borders = (_border("top", L.COLOPHON_OUTER_RULE_MM) + '<w:left w:val="nil"/>'
               + _border("bottom", L.COLOPHON_OUTER_RULE_MM) + '<w:right w:val="nil"/>'
               + _border("insideH", L.COLOPHON_INNER_RULE_MM) + '<w:insideV w:val="nil"/>')
    tblpr = (f'<w:tblPr><w:tblW w:w="{TEXT_WIDTH_TWIPS}" w:type="dxa"/><w:jc w:val="center"/>'
             f'<w:tblBorders>{borders}</w:tblBorders><w:tblLayout w:type="fixed"/>'
             '<w:tblCellMar><w:top w:w="0" w:type="dxa"/><w:left w:w="0" w:type="dxa"/>'
             '<w:bottom w:w="0" w:type="dxa"/><w:right w:w="0" w:type="dxa"/></w:tblCellMar></w:tblPr>')

    def row(content: str) -> str:
        return f"<w:tr><w:trPr><w:cantSplit/></w:trPr>{_cell(content, TEXT_WIDTH_TWIPS)}</w:tr>"

    return (f'<w:tbl>{tblpr}<w:tblGrid><w:gridCol w:w="{TEXT_WIDTH_TWIPS}"/></w:tblGrid>'
            + row(_tag("{%tr if colophon.cc %}"))
            + row(_p("GwColophonCc", _text("{{ colophon.cc }}")))
            + row(_tag("{%tr endif %}"))
            + row(_p("GwColophonPrint", _text("{{ colophon.printer }}"), "<w:r><w:tab/></w:r>",
                     _text("{{ colophon.print_date }}")))
            + "</w:tbl>")


def body_xml() -> list[str]:
    h = []
    # 版头: 份号/密级/紧急程度 on lines 1–3 (context pads to BANNER_INFO_LINES,
    # so the 标志's space-before lands its top 35 mm below the 版心 top).
    h += [_tag("{%p for line in header.lines %}"),
          _p("GwHeaderLine", _tag_run("{%r if line.role == 'hei' %}"), _text("{{ line.text }}", "GwHei"),
             _tag_run("{%r else %}"), _text("{{ line.text }}"), _tag_run("{%r endif %}")),
          _tag("{%p endfor %}")]
    h += [_p("GwMark", _text("{{ header.mark }}"))]
    h += _blank(L.BLANK_LINES_MARK_TO_DOC_NUMBER)
    names = [_tag_run("{%r if line.first %}"), _text("签发人："), _tag_run("{%r endif %}"),
             _text("{{ line.names[0] }}", "GwKai"),
             _tag_run("{%r if line.names|length > 1 %}"), "<w:r><w:tab/></w:r>",
             _text("{{ line.names[1] }}", "GwKai"), _tag_run("{%r endif %}")]
    h += [_tag("{%p if header.signers %}"), _tag("{%p for line in header.signer_lines %}"),
          _tag("{%p if line.last %}"),
          _p("GwDocNumberSigned", "<w:r><w:tab/></w:r>", _text("{{ header.doc_number }}"),
             "<w:r><w:tab/></w:r>", *names),
          _tag("{%p else %}"),
          _p("GwSigners", "<w:r><w:tab/></w:r>", *names),
          _tag("{%p endif %}"), _tag("{%p endfor %}"),
          _tag("{%p else %}"),
          _p("GwDocNumber", _text("{{ header.doc_number }}")),
          _tag("{%p endif %}")]
    h += _blank(L.BLANK_LINES_SEPARATOR_TO_TITLE)

    b = [_tag("{%p for b in blocks %}")]
    b += [_tag("{%p if b.type == 'title' %}"),
          _tag("{%p for line in b.lines %}"), _p("GwTitle", _text("{{ line }}")), _tag("{%p endfor %}")]
    # One blank line below the title, before the 主送机关 (§7.3.2) or, where there
    # is none (纪要), before the 正文.
    b += _blank(L.BLANK_LINES_TITLE_TO_ADDRESSEES)
    b += [_tag("{%p elif b.type == 'addressees' %}"), _p("GwAddressees", _text("{{ b.text }}"))]
    for level in (1, 2, 3, 4):
        b += [_tag(f"{{%p elif b.type == 'heading' and b.level == {level} %}}"),
              _p(f"GwHeading{level}", _text("{{ b.text }}"))]
    b += [_tag("{%p elif b.type == 'paragraph' %}"), _p("GwBody", *_role_runs("b.runs"))]
    b += [_tag("{%p elif b.type == 'table' %}"), _table(), _p("GwBlank")]
    b += [_tag("{%p elif b.type == 'attachment_note' %}")] + _blank(L.BLANK_LINES_BEFORE_ATTACHMENT_NOTE) \
        + [_tag("{%p for item in b.entries %}"),
           _p("GwAttachmentNote", _text("{{ item.label }}{{ item.number }}"),
              _tag_run("{%r if item.tab %}"), "<w:r><w:tab/></w:r>", _tag_run("{%r endif %}"),
              _text("{{ item.name }}")),
           _tag("{%p endfor %}")]
    b += [_tag("{%p elif b.type == 'signature' %}")] + _blank(L.BLANK_LINES_BEFORE_SIGNATURE) \
        + [_tag("{%p for _ in range(b.extra_blank_lines) %}"), _p("GwBlank"), _tag("{%p endfor %}"),
           _p("GwSignature", _text("{{ b.issuer }}")), _p("GwDate", _text("{{ b.date }}"))]
    b += [_tag("{%p elif b.type == 'note' %}"), _p("GwNote", _text("{{ b.text }}"))]
    b += [_tag("{%p elif b.type == 'attendance' %}"),
          _tag("{%p if b.first %}")] + _blank(L.BLANK_LINES_BEFORE_ATTENDANCE) + [_tag("{%p endif %}"),
          _p("GwAttendance", _text("{{ b.label }}", "GwHei"), _text("{{ b.names }}"))]
    b += [_tag("{%p elif b.type == 'page_break' %}"),
          '<w:p><w:pPr><w:pStyle w:val="GwBlank"/></w:pPr><w:r><w:br w:type="page"/></w:r></w:p>']
    b += [_tag("{%p elif b.type == 'attachment_heading' %}"),
          _p("GwAttachmentLabel", _text("{{ b.label }}", "GwHei"))] + _blank(L.ATTACHMENT_TITLE_LINE - 2) \
        + [_tag("{%p for line in b.title_lines %}"), _p("GwTitle", _text("{{ line }}")), _tag("{%p endfor %}")] \
        + _blank(L.BLANK_LINES_TITLE_TO_ADDRESSEES)  # one blank line below the title, as under the document's
    b += [_tag("{%p endif %}"), _tag("{%p endfor %}")]

    # 版记 (§7.4), pushed to the bottom of the last page (see _colophon_section).
    c = [_p("GwColophonSpacer"), _colophon_table(), _p("GwSectionBreak")]
    return h + b, c


def build(out: Path, fonts: FontConfig | None = None) -> Path:
    fonts = fonts or FontConfig()
    document = docx.Document()
    body = document.element.body
    for child in list(body):
        if child.tag != qn("w:sectPr"):
            body.remove(child)
    _set_defaults(document, fonts)
    _rewrite_theme(document, fonts)
    _theme_language(document)
    set_font_table(document, font_names(fonts))
    _section(document)
    main, colophon = body_xml()
    sect = body.find(qn("w:sectPr"))
    for xml in main:
        sect.addprevious(el(xml))
    _colophon_section(document)
    sect = body.find(qn("w:sectPr"))
    for xml in colophon:
        sect.addprevious(el(xml))
    props = document.core_properties
    props.title, props.author, props.comments = "公文模板（GB/T 9704-2012）", "fupin-docs", \
        "由 python -m fupin_docs.render.docx.build_template 生成"
    # Fixed timestamps and revision so a rebuild is byte-for-byte comparable in content.
    import datetime as dt
    props.created = props.modified = dt.datetime(2020, 1, 1)
    props.last_modified_by, props.revision = "fupin-docs", 1
    with atomic_path(out) as tmp:
        document.save(str(tmp))
    return out


def default_path() -> Path:
    import fupin_docs

    return Path(fupin_docs.__file__).resolve().parents[2] / "templates" / "gongwen.docx"


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    out = Path(argv[0]) if argv else default_path()
    build(out)
    print(f"已生成模板：{out}")


if __name__ == "__main__":
    main()
