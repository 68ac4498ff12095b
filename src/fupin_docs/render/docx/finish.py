"""Geometry that depends on the text, applied to the rendered document.

The template fixes styles and order; what a static template cannot know is set
here, on paragraphs found by their style id (see build_template.STYLE_NAMES):
the 标志's size (shrunk to fit the 版心 width), 署名/日期 positions (§7.3.5),
附件说明 and 出席 hanging indents, table column widths, page breaks (turned
into “page break before” so a 附件 label sits on line 1), and w:hint on runs
with punctuation shared by Latin and CJK.
"""

from __future__ import annotations

import math
import re

from docx.oxml.ns import qn

from ...compose.tree import AttachmentNote, Attendance, Colophon, ComposedDocument, Header, Signature, Table
from ...workspace.config import Config, FontConfig
from .. import layout as L
from .colophon import COLOPHON_SLACK_TWIPS, place_colophon
from .ooxml import (LINE_TWIPS, MARK_SPACE_BEFORE_PT, TEXT_WIDTH_TWIPS, chars, el, font_names, needs_hint,
                    set_east_asia_hint, set_font_table, twips_mm, twips_pt, width_chars)

W = qn


def _style(p) -> str | None:
    ppr = p.find(W("w:pPr"))
    if ppr is None:
        return None
    ps = ppr.find(W("w:pStyle"))
    return None if ps is None else ps.get(W("w:val"))


def _paragraphs(body, style: str) -> list:
    return [p for p in body.iter(W("w:p")) if _style(p) == style]


def _ppr(p):
    ppr = p.find(W("w:pPr"))
    if ppr is None:
        ppr = el("<w:pPr/>")
        p.insert(0, ppr)
    return ppr


# CT_PPrBase child order (subset we touch), so inserted elements stay schema-valid.
_PPR_ORDER = ["pStyle", "keepNext", "keepLines", "pageBreakBefore", "framePr", "widowControl", "numPr",
              "suppressLineNumbers", "pBdr", "shd", "tabs", "suppressAutoHyphens", "kinsoku", "wordWrap",
              "overflowPunct", "topLinePunct", "autoSpaceDE", "autoSpaceDN", "bidi", "adjustRightInd",
              "snapToGrid", "spacing", "ind", "contextualSpacing", "mirrorIndents", "suppressOverlap", "jc",
              "textDirection", "textAlignment", "textboxTightWrap", "outlineLvl", "divId", "cnfStyle", "rPr",
              "sectPr", "pPrChange"]


def _set_ppr_child(p, xml: str) -> None:
    ppr = _ppr(p)
    new = el(xml)
    name = new.tag.split("}")[1]
    old = ppr.find(new.tag)
    if old is not None:
        ppr.replace(old, new)
        return
    rank = _PPR_ORDER.index(name)
    for child in ppr:
        child_name = child.tag.split("}")[1]
        if child_name in _PPR_ORDER and _PPR_ORDER.index(child_name) > rank:
            child.addprevious(new)
            return
    ppr.append(new)


def _indent(p, left_chars: float, hanging_chars: float = 0.0) -> None:
    left = chars(max(0.0, left_chars))
    hanging = chars(max(0.0, hanging_chars))
    attr = f'w:hanging="{hanging}"' if hanging else 'w:firstLine="0"'
    _set_ppr_child(p, f'<w:ind w:left="{left}" w:right="0" {attr}/>')


def _text(p) -> str:
    return "".join(t.text or "" for t in p.iter(W("w:t")))


def fit_mark(body) -> None:
    """发文机关标志: the largest size ≤ MARK_MAX that fits 156 mm (never below MARK_MIN)."""
    for p in _paragraphs(body, "GwMark"):
        n = max(1.0, width_chars(_text(p)))
        size = math.floor(L.TEXT_WIDTH_PT / n * 2) / 2  # half points
        size = max(L.MARK_MIN_SIZE_PT, min(L.MARK_MAX_SIZE_PT, size))
        half = int(size * 2)
        for run in p.iter(W("w:r")):
            rpr = run.find(W("w:rPr"))
            if rpr is None:
                rpr = el("<w:rPr/>")
                run.insert(0, rpr)
            for tag in ("w:sz", "w:szCs"):
                old = rpr.find(W(tag))
                if old is not None:
                    rpr.remove(old)
            rpr.append(el(f'<w:sz w:val="{half}"/>'))
            rpr.append(el(f'<w:szCs w:val="{half}"/>'))
        # Exact line as tall as the type, so the glyphs' top edge is the line top.
        _set_ppr_child(p, f'<w:spacing w:before="{twips_pt(MARK_SPACE_BEFORE_PT)}" w:after="0" '
                          f'w:line="{twips_pt(size)}" w:lineRule="exact"/>')
        # The grid would stretch a wide mark's characters to the 28-per-line pitch.
        _set_ppr_child(p, '<w:snapToGrid w:val="0"/>')


def signers(body, header: Header) -> None:
    """§7.2.5: 签发人 1 字 from the right, two names a line in order, wrapped
    names under the first name; the 发文字号, 1 字 from the left, on the last
    line. Left tab stops: where “签发人：” starts (first line) or the first name
    (later lines), and the second name."""
    lines = [p for p in body.iter(W("w:p")) if _style(p) in ("GwSigners", "GwDocNumberSigned")]
    names = list(header.signers)
    if not lines or not names:
        return
    per = L.SIGNERS_PER_LINE
    first_col = max(width_chars(n) for n in names[::per])
    second = [n for i, n in enumerate(names) if i % per]
    second_col = max((width_chars(n) for n in second), default=0.0)
    label = width_chars("签发人：")
    block = label + first_col + ((L.SIGNER_NAME_GAP_CHARS + second_col) if second else 0.0)
    # In twips: the block ends 1 字 from the 版心's right edge; a long 发文字号
    # pushes it right (a hostile name then wraps the line).
    number_end = chars(L.DOC_NUMBER_LEFT_INDENT_CHARS + width_chars(header.doc_number or "") + 1)
    start = max(TEXT_WIDTH_TWIPS - chars(L.SIGNER_RIGHT_INDENT_CHARS + block), number_end)
    name_col = start + chars(label)
    second_at = name_col + chars(first_col + L.SIGNER_NAME_GAP_CHARS)
    for i, p in enumerate(lines):
        stops = [start if i == 0 else name_col, second_at]
        if _style(p) == "GwDocNumberSigned":
            stops = [chars(L.DOC_NUMBER_LEFT_INDENT_CHARS)] + stops
        _set_ppr_child(p, "<w:tabs>" + "".join(f'<w:tab w:val="left" w:pos="{x}"/>' for x in stops)
                       + "</w:tabs>")


def page_breaks(body) -> None:
    """An empty paragraph holding only a page break → “page break before” on the next one."""
    for p in list(body.iter(W("w:p"))):
        breaks = [br for br in p.iter(W("w:br")) if br.get(W("w:type")) == "page"]
        if not breaks or _text(p).strip():
            continue
        nxt = p.getnext()
        if nxt is None or nxt.tag != W("w:p"):
            continue
        _set_ppr_child(nxt, "<w:pageBreakBefore/>")
        p.getparent().remove(p)


# LibreOffice's DOCX import drops w:autoSpaceDE/w:autoSpaceDN (writerfilter:
# “case NS_ooxml::LN_CT_PPrBase_autoSpaceDE: break;”), so it puts 1/5 em
# between Han and Latin script even where the template turns that spacing off;
# Word and the PDF put none. The character spacing (−0.25 pt) then applies only
# between characters of one script. Measured in LibreOffice 7.4 (三号):
# “2020年6月8日” is 31.2 + 16 + 8 + 16 + 8 + 16 pt plus 5 × 3.2 pt = 111.2 pt.
LO_SWITCH_PT = L.BODY_SIZE_PT / 5


def lo_width_pt(text: str) -> float:
    """TEXT's width in pt as LibreOffice sets it in a 署名/date line."""
    total, previous = 0.0, None
    for ch in text:
        narrow = width_chars(ch, switch=0.0) < 1.0
        total += L.BODY_SIZE_PT * (0.5 if narrow else 1.0)
        if previous is not None:
            total += LO_SWITCH_PT if narrow != previous else L.DOCX_CHAR_SPACING_PT
        previous = narrow
    return total


def signatures(body, blocks: list[Signature]) -> None:
    """§7.3.5: 署名 and 成文日期 positions, with and without a seal.

    Both lines, with a seal or without, are placed by their widths without Asian/Latin spacing, which
    the template turns off in them (as the PDF has none): “2020年6月28日” is
    6.5 字, shorter than a 7-字 署名, which then ends 2 字 from the right with
    the date starting 2 字 right of its first character. Word, WPS and the PDF
    set it so.

    LibreOffice (7.4) ignores that switch (see LO_SWITCH_PT) and sets the same
    date 7.5 字 wide. Its lines start where Word's do (the indents are the
    same), so the 署名 and the start of the date are where the standard puts
    them there too; only the date's end moves right. Where that end would pass
    the 版心's right edge the date paragraph gets a negative right indent as
    large as the overhang, so LibreOffice keeps the date on one line (its end
    then stands up to ½ 字 into the margin) and Word, whose date is shorter,
    is not affected. Placing the lines by LibreOffice's width instead (as
    before) put the 署名 4.5 字 from the right in Word and 4.6 in LibreOffice."""
    names = _paragraphs(body, "GwSignature")
    dates = _paragraphs(body, "GwDate")
    for sig, p_name, p_date in zip(blocks, names, dates):
        name_left, date_left = L.signature_columns(width_chars(sig.issuer, switch=0.0),
                                                   width_chars(sig.date, switch=0.0), sig.seal)
        _indent(p_name, name_left)
        _indent(p_date, date_left)
        room = (TEXT_WIDTH_TWIPS - chars(date_left)) / L.TWIPS_PER_PT
        overhang = lo_width_pt(sig.date) - room
        if overhang > 0:
            ind = p_date.find(f"{W('w:pPr')}/{W('w:ind')}")
            ind.set(W("w:right"), str(-math.ceil(overhang * L.TWIPS_PER_PT + LO_OVERHANG_SLACK_TWIPS)))
        keep_with_text_above(p_name)


# Added to the date's negative right indent: LibreOffice measures the Times
# digits to a fraction of a point, and a line short by less breaks it.
LO_OVERHANG_SLACK_TWIPS = 20


def keep_with_text_above(p) -> None:
    """§7.3.5: a page must not hold the 署名 and date alone. Keep the 署名 with
    the blank lines and 附件说明 above it and with the last 正文 paragraph:
    whole when it is short (w:keepNext), else by widow/orphan control on that
    paragraph alone, so a page break inside it moves at least two of its lines
    along and never the whole paragraph (LibreOffice does not split a
    keep-with-next paragraph; the rest of the document keeps 孤行控制 off)."""
    prev = p.getprevious()
    while prev is not None and prev.tag == W("w:p"):
        if _style(prev) in ("GwBlank", "GwAttachmentNote"):
            _set_ppr_child(prev, "<w:keepNext/>")
            prev = prev.getprevious()
            continue
        if paragraph_lines(prev) <= L.DOCX_KEEP_WHOLE_MAX_LINES:
            _set_ppr_child(prev, "<w:keepNext/>")
        else:
            _set_ppr_child(prev, "<w:widowControl/>")
        break  # the last paragraph of text


def paragraph_lines(p) -> int:
    """Lines a body paragraph takes on the 28-字 grid (first line indented 2 字)."""
    width = L.CHARS_PER_LINE * L.DOCX_CHAR_ADVANCE_PT
    indent = L.FIRST_LINE_INDENT_CHARS * L.DOCX_CHAR_ADVANCE_PT
    return wrapped_lines(_text(p), width - indent, width, L.DOCX_CHAR_ADVANCE_PT)


def attachment_notes(body, blocks: list[AttachmentNote]) -> None:
    """附件说明: “附件：1.名称”; later numbers under the first, wrapped lines under the name."""
    paragraphs = _paragraphs(body, "GwAttachmentNote")
    label = L.LABEL_CHARS
    start = L.FIRST_LINE_INDENT_CHARS
    for note in blocks:
        group, paragraphs = paragraphs[:len(note.names)], paragraphs[len(note.names):]
        number = width_chars(f"{len(note.names)}.") if len(note.names) > 1 else 0.0
        left = start + label + number
        for i, p in enumerate(group):
            _indent(p, left, left - start if i == 0 else number)


def attendance(body, blocks: list[Attendance]) -> None:
    """纪要 出席/请假/列席: names wrap aligned after the colon."""
    for block, p in zip(blocks, _paragraphs(body, "GwAttendance")):
        label = width_chars(f"{block.label}：")
        _indent(p, L.FIRST_LINE_INDENT_CHARS + label, label)


def column_widths(block: Table) -> list[int]:
    """Widths in twips, summing to 156 mm: the PDF's (pdf/html.table_widths: by
    weight, each at least as wide as its header and its short cells need), so
    the two renderers wrap cells alike and break a table at the same rows."""
    from ..pdf.html import table_widths

    widths = [int(TEXT_WIDTH_TWIPS * share / 100) for share in table_widths(block)]
    widths[-1] += TEXT_WIDTH_TWIPS - sum(widths)
    return widths


def tables(body, blocks: list[Table]) -> None:
    """Column widths from the tree's weights, 156 mm in all; header row repeats."""
    found = [t for t in body.iter(W("w:tbl"))
             if any(_style(p) in ("GwTableText", "GwTableHeader") for p in t.iter(W("w:p")))]
    for table, block in zip(found, blocks):
        widths = column_widths(block)
        grid = table.find(W("w:tblGrid"))
        for col in list(grid):
            grid.remove(col)
        for w in widths:
            grid.append(el(f'<w:gridCol w:w="{w}"/>'))
        rows = table.findall(W("w:tr"))
        for r, row in enumerate(rows):
            for c, cell in enumerate(row.findall(W("w:tc"))):
                if c >= len(widths):
                    break
                tcpr = cell.find(W("w:tcPr"))
                if tcpr is None:
                    tcpr = el("<w:tcPr/>")
                    cell.insert(0, tcpr)
                old = tcpr.find(W("w:tcW"))
                if old is not None:
                    tcpr.remove(old)
                tcpr.insert(0, el(f'<w:tcW w:w="{widths[c]}" w:type="dxa"/>'))
                if tcpr.find(W("w:vAlign")) is None:
                    tcpr.append(el('<w:vAlign w:val="center"/>'))
                if r > 0 and block.columns[c].align == "center":
                    for p in cell.findall(W("w:p")):
                        _set_ppr_child(p, '<w:jc w:val="center"/>')
        if rows:
            trpr = rows[0].find(W("w:trPr"))
            if trpr is None:
                trpr = el("<w:trPr/>")
                rows[0].insert(0, trpr)
            if trpr.find(W("w:tblHeader")) is None:
                trpr.append(el("<w:tblHeader/>"))


def wrapped_lines(text: str, first_pt: float, rest_pt: float, char_pt: float) -> int:
    """Lines TEXT takes when the first line holds FIRST_PT and later lines REST_PT
    (a CJK character CHAR_PT wide, Latin and digits half; no break is
    assumed inside a run of Latin letters or digits — they move as a word)."""
    lines, used, width = 1, 0.0, first_pt
    for word in re.findall(r"[\x21-\x7e]+|.", text):
        w = width_chars(word) * char_pt
        if used and used + w > width + 0.01:
            lines, used, width = lines + 1, 0.0, rest_pt
        used += w
    return lines


def colophon_lines(colophon: Colophon) -> int:
    """Lines of the 版记 table: the 抄送 paragraph (1 字 in, wrapped lines after
    “抄送：”, 1 字 from the right) and the 印发 line."""
    if not colophon.cc:
        return 1
    char = L.COLOPHON_SIZE_PT + L.DOCX_CHAR_SPACING_PT
    side = L.COLOPHON_SIDE_INDENT_CHARS * L.COLOPHON_SIZE_PT
    width = L.TEXT_WIDTH_PT
    label = width_chars("抄送：") * L.COLOPHON_SIZE_PT
    return 1 + wrapped_lines(f"抄送：{colophon.cc}", width - 2 * side, width - 2 * side - label, char)


def colophon_spacer(body, colophon: Colophon) -> None:
    """Size the spacer above the 版记 so its last rule lands on the 版心's bottom edge (§7.4)."""
    height = twips_mm(L.TEXT_HEIGHT_MM) - colophon_lines(colophon) * LINE_TWIPS - COLOPHON_SLACK_TWIPS
    for p in _paragraphs(body, "GwColophonSpacer"):
        _set_ppr_child(p, f'<w:spacing w:before="0" w:after="0" w:line="{max(20, height)}" w:lineRule="exact"/>')


def drop_empty_runs(root) -> None:
    """docxtpl leaves an empty run where each {%r %} tag stood; remove them."""
    for run in list(root.iter(W("w:r"))):
        children = [c for c in run if c.tag != W("w:rPr")]
        if children and all(c.tag == W("w:t") and not c.text for c in children):
            run.getparent().remove(run)


def hints(root) -> None:
    for run in root.iter(W("w:r")):
        text = "".join(t.text or "" for t in run.iter(W("w:t")))
        if needs_hint(text):
            set_east_asia_hint(run)


def apply_font_config(document, fonts: FontConfig) -> None:
    """Built-in template only: swap the default face names for the configured ones."""
    default = FontConfig()
    mapping = {getattr(default, name): getattr(fonts, name)
               for name in ("docx_title", "docx_body", "docx_heading1", "docx_heading2", "docx_page_number")
               if getattr(default, name) != getattr(fonts, name)}
    if not mapping:
        return
    for node in document.styles.element.iter(W("w:rFonts")):
        for attr in ("w:eastAsia", "w:ascii", "w:hAnsi"):
            value = node.get(W(attr))
            if value in mapping:
                node.set(W(attr), mapping[value])
    set_font_table(document, font_names(fonts))


# The page number's line: exactly one 四号 em tall, so where its glyphs sit in
# it depends on the face alone, not on the face's line gap.
PAGE_NUMBER_LINE_TWIPS = twips_pt(L.PAGE_NUMBER_SIZE_PT)


def dash_stroke_below_line_top_em(fonts: FontConfig) -> float:
    """How far below the top of the page number's exact one-em line the upper
    edge of its 一字线's stroke lies, in em, with the face that draws 宋体 here.

    LibreOffice (7.4, measured: a 10, 14 and 20 pt exact line moved the stroke
    by 80 % of the change with FandolSong, ascent 0.8 em, descent 0.2 em) puts
    the baseline of an exact line at ascent / (ascent + descent) of its height.
    Without a readable face the stroke is taken at mid-line."""
    from ..pdf.fonts import DASH_STROKE_TOP_EM_UNKNOWN, dash_metrics, resolve_faces

    face = resolve_faces(fonts).get("page")
    metrics = None
    if face is not None and face.primary is not None:
        metrics = dash_metrics(face.primary.file, face.primary.index, L.PAGE_NUMBER_DASH)
    if metrics is None:
        return DASH_STROKE_TOP_EM_UNKNOWN
    return metrics.ascent / (metrics.ascent + metrics.descent) - metrics.stroke_top


def page_number_footer_distance_mm(stroke_below_line_top_em: float) -> float:
    """Footer distance (page bottom edge → bottom of the page number's line) that
    puts the 一字线's stroke PAGE_NUMBER_BELOW_TEXT_MM below the 版心 (§7.5)."""
    above_line_bottom_pt = (1 - stroke_below_line_top_em) * L.PAGE_NUMBER_SIZE_PT
    return L.MARGIN_BOTTOM_MM - L.PAGE_NUMBER_BELOW_TEXT_MM - above_line_bottom_pt * L.MM_PER_PT


def page_number_position(document, fonts: FontConfig) -> None:
    """Built-in template only: the page number's line exactly one em tall, and
    the footer distance of every section from the face's 一字线 (§7.5: its
    stroke, not its em box, 7 mm below the 版心), as the PDF does
    (pdf/html.page_number_padding)."""
    from docx.shared import Twips

    style = next((s for s in document.styles.element.iter(W("w:style"))
                  if s.get(W("w:styleId")) == "GwPageNumber"), None)
    if style is not None:
        ppr = style.find(W("w:pPr"))
        spacing = ppr.find(W("w:spacing")) if ppr is not None else None
        if spacing is not None:
            spacing.set(W("w:line"), str(PAGE_NUMBER_LINE_TWIPS))
            spacing.set(W("w:lineRule"), "exact")
    distance = Twips(twips_mm(page_number_footer_distance_mm(dash_stroke_below_line_top_em(fonts))))
    for section in document.sections:
        section.footer_distance = distance


def finish(document, doc: ComposedDocument, config: Config, builtin: bool) -> None:
    body = document.element.body
    drop_empty_runs(body)
    fit_mark(body)
    signers(body, doc.header)
    page_breaks(body)
    signatures(body, [b for b in doc.blocks if isinstance(b, Signature)])
    attachment_notes(body, [b for b in doc.blocks if isinstance(b, AttachmentNote)])
    attendance(body, [b for b in doc.blocks if isinstance(b, Attendance)])
    tables(body, [b for b in doc.blocks if isinstance(b, Table)])
    colophon_spacer(body, doc.colophon)
    place_colophon(document, doc, config, colophon_lines(doc.colophon))
    hints(body)
    for section in document.sections:
        for footer in (section.footer, section.even_page_footer):
            if not footer.is_linked_to_previous:
                hints(footer._element)
    if builtin:
        apply_font_config(document, config.fonts)
        page_number_position(document, config.fonts)
