"""The 版记 on the last side of the sheet (GB/T 9704 §7.4, §7.5 as read in docs/GBT9704.md).

The template puts the 版记 in a section of its own that starts on an even page
(w:type="evenPage"), below a spacer that pushes it to the 版心's bottom edge.
That alone is right when the body ends on an odd page (the 版记 goes to the
bottom of the next, even page, numbered). It is wrong in the other two cases:

- the body ends on an even page with room for the 版记: the 版记 belongs at
  the bottom of that same page (numbered); the even-page break would add a
  blank page and a page for the 版记 alone;
- the body ends on an even page without room: a blank odd page and an even
  版记 page follow, and both go unnumbered (§7.5), while the section kept the
  body's numbered footers.

A .docx does not know where its pages fall, so the page on which the body
ends is predicted (render/pagination.py: the PDF layout of the same tree on
the same grid). The prediction decides:

- HERE: the 版记's section is merged into the body's, the spacer dropped, and
  the 版记 table made a floating table placed absolutely from the 版心's top
  (w:tblpPr vertAnchor="margin", tblpY), so it sits on the 版心's bottom edge
  of the page the body ends on wherever the body's last line falls on it.
  Only when the predicted room exceeds the 版记 by ROOM_MARGIN_LINES: a body
  that ran into a floating 版记 would be pushed past it onto the next page.
- AFTER_BLANK: the even-page section stays, with footers of its own that are
  empty, so the blank page and the 版记 page carry no number.
- NEXT_EVEN, and no prediction at all: the even-page section as the template
  has it. It is the safe rule: the 版记 always lands on an even page, at worst
  after a blank page (which Word, WPS and LibreOffice print without text).
"""

from __future__ import annotations

from docx.oxml.ns import qn

from ...compose.tree import ComposedDocument
from ...workspace.config import Config
from .. import layout as L
from ..pagination import BodyEnd, predict_body_end
from .ooxml import LINE_TWIPS, el, twips_mm

W = qn

HERE = "here"  # bottom of the page the body ends on (an even page with room)
NEXT_EVEN = "next-even"  # bottom of the next page, an even one, numbered
AFTER_BLANK = "after-blank"  # a blank odd page, then an even page; both unnumbered

# Lines of room kept beyond the 版记's own before it may share the body's last
# page: the prediction was measured up to 2 lines off under a table (the
# rectification: 7 predicted, 5 in LibreOffice), and a body that runs into the
# floating 版记 is pushed past it. A choice of this project, not a number of
# GB/T 9704 (§7.4 only says the 版记 ends on the 版心's bottom edge).
ROOM_MARGIN_LINES = 1

# Room left under the 版记 table for what the estimate leaves out: the table's
# rules (0.35 + 0.25 + 0.35 mm ≈ 2.7 pt, drawn inside or outside the rows
# depending on the program) and the 1 pt paragraph that must follow a table;
# measured in LibreOffice 7.4: 4 pt still pushes that paragraph onto a new page.
COLOPHON_SLACK_TWIPS = 6 * L.TWIPS_PER_PT


def colophon_height_twips(lines: int) -> int:
    """Height given to a 版记 of LINES lines, its rules and slack included."""
    return lines * LINE_TWIPS + COLOPHON_SLACK_TWIPS


def decide(end: BodyEnd | None, colophon_lines: int) -> str:
    """Where the 版记 goes when the body ends at END (None: not known)."""
    if end is None or end.page % 2:
        return NEXT_EVEN
    need = -(-colophon_height_twips(colophon_lines) // LINE_TWIPS)  # whole grid lines, rounded up
    if end.lines + need + ROOM_MARGIN_LINES <= L.LINES_PER_PAGE:
        return HERE
    return AFTER_BLANK


def _style(p) -> str | None:
    node = p.find(f"{W('w:pPr')}/{W('w:pStyle')}")
    return None if node is None else node.get(W("w:val"))


def _parts(body):
    """(holder, spacer, table) of the template's 版记 section, or None when an
    office's own template laid the 版记 out otherwise."""
    spacer = next((p for p in body.iter(W("w:p")) if _style(p) == "GwColophonSpacer"), None)
    if spacer is None or spacer.getparent() is not body:
        return None
    holder, table = spacer.getprevious(), spacer.getnext()
    if holder is None or holder.find(f"{W('w:pPr')}/{W('w:sectPr')}") is None:
        return None
    if table is None or table.tag != W("w:tbl"):
        return None
    return holder, spacer, table


def _float_to_bottom(table, lines: int) -> None:
    """Make TABLE a floating table whose last rule lies on the 版心's bottom edge.

    Horizontally it is placed from the page's edge (at the left margin, where
    the 版心 starts), not from the margin: LibreOffice 7.4 (writerfilter,
    SectionPropertyMap::FloatingTableConversion) keeps a floating table in
    the text flow when it is nearly as wide as the text area, unless it is
    positioned from the page's edge and narrower than the page less a margin.
    Vertically it is placed from the margin (the 版心's top): a table placed
    from the page's edge on both axes, in the page's lower left quarter, is
    kept in the flow too."""
    tblpr = table.find(W("w:tblPr"))
    jc = tblpr.find(W("w:jc"))
    if jc is not None:
        tblpr.remove(jc)
    x = twips_mm(L.MARGIN_LEFT_MM)
    y = twips_mm(L.TEXT_HEIGHT_MM) - colophon_height_twips(lines)
    position = el('<w:tblpPr w:leftFromText="0" w:rightFromText="0" w:topFromText="0" w:bottomFromText="0" '
                  f'w:vertAnchor="margin" w:horzAnchor="page" w:tblpX="{x}" w:tblpY="{y}"/>')
    overlap = el('<w:tblOverlap w:val="never"/>')
    style = tblpr.find(W("w:tblStyle"))
    if style is not None:
        style.addnext(position)
    else:
        tblpr.insert(0, position)
    position.addnext(overlap)


def _merge_into_body(body, holder) -> None:
    """One section: the body's section properties become the document's last."""
    sect = holder.find(f"{W('w:pPr')}/{W('w:sectPr')}")
    last = body.find(W("w:sectPr"))
    body.replace(last, sect)
    body.remove(holder)


def _unnumbered(document) -> None:
    """The last section's own footers, empty: no page number on its pages."""
    section = document.sections[-1]
    for footer in (section.footer, section.even_page_footer):
        footer.is_linked_to_previous = False
        element = footer._element
        for child in list(element):
            element.remove(child)
        element.append(el("<w:p/>"))


def place_colophon(document, doc: ComposedDocument, config: Config, colophon_lines: int) -> str:
    """Put the 版记 where §7.4/§7.5 want it; returns the case taken."""
    body = document.element.body
    parts = _parts(body)
    if parts is None:
        return NEXT_EVEN
    holder, spacer, table = parts
    place = decide(predict_body_end(doc, config), colophon_lines)
    if place == HERE:
        body.remove(spacer)
        _float_to_bottom(table, colophon_lines)
        _merge_into_body(body, holder)
    elif place == AFTER_BLANK:
        _unnumbered(document)
    return place
