"""Where a document's body ends: the page, and the grid lines used on it.

A .docx does not know where its pages fall; Word, WPS and LibreOffice each
break them when they open the file. What the DOCX renderer needs to know is
where the body ends, to put the 版记 on the right side of the sheet (§7.4,
§7.5: the bottom of an even page). The PDF renderer lays out the same content
model (compose/tree.py) on the same 22-line × 28-character grid with the real
faces, and the DOCX's running pages hold the same 22 lines; so the prediction
is the PDF layout's, taken before the PDF renderer's own §7.3.5 tightening
(the DOCX never tightens: it keeps the 署名 with the last lines of text
instead, as the untightened layout does), with the 版记 right after the body.

Measured on the bundled examples and on made-up documents through LibreOffice
(tests/test_docx_libreoffice.py): the page agrees; the line count may differ
by a line or two below a table (its rows are set 18 pt apart in both, but the
text under a table goes back on the grid differently). The DOCX renderer
therefore keeps a margin of lines before it trusts a page to have room.

Where the two layouts are known to break pages differently, there is no
prediction either: a heading right above a table. The PDF keeps a heading
with what follows (CSS break-after: avoid) and WeasyPrint then carries the
heading and the whole table over to the next page, where Word and LibreOffice
keep the heading with the table's first rows and split the table. Measured on
tests/docx_helpers.hostile_document: the PDF layout's body ended on p.4, the
DOCX's in LibreOffice on p.3.

Without WeasyPrint or the faces (a machine set up for Word output only) there
is no prediction: predict_body_end returns None, and the caller takes the rule
that needs none.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..compose.tree import ComposedDocument, Heading, Table
from ..workspace.config import Config
from . import layout as L

PT_PER_CSS_PX = 0.75  # WeasyPrint reports positions in CSS px (1/96 in)


@dataclass(frozen=True)
class BodyEnd:
    page: int  # 1-based page holding the body's last line
    lines: int  # grid lines (of LINES_PER_PAGE) that page uses down to that line


def lines_used(offset_pt: float) -> int:
    """Grid lines taken by text ending OFFSET_PT below the 版心's top (a line a
    fraction of a point into the next is not counted: rounding of the pitch)."""
    pitch = L.LINE_PITCH_PT
    return max(0, min(L.LINES_PER_PAGE, math.ceil(offset_pt / pitch - 0.05)))


def layouts_agree(doc: ComposedDocument) -> bool:
    """Whether the PDF layout's page breaks hold for the DOCX (see above)."""
    return not any(isinstance(a, Heading) and isinstance(b, Table) for a, b in zip(doc.blocks, doc.blocks[1:]))


def predict_body_end(doc: ComposedDocument, config: Config) -> BodyEnd | None:
    """Page and lines of DOC's body end in the PDF layout, or None when no
    layout can be made here (WeasyPrint or the faces missing) or it would not
    hold for the DOCX."""
    if not layouts_agree(doc):
        return None
    from .pdf.fonts import FontSetupError, require_faces
    from .pdf.html import COLOPHON_HERE, build_css, build_html, table_count
    from .pdf.renderer import BASE_URL, _stylesheet, _weasyprint, snap_gaps

    try:
        faces = require_faces(config.fonts)
        weasyprint, font_config = _weasyprint()
        stylesheet = _stylesheet(build_css(faces))
    except FontSetupError:
        return None

    def lay_out(snaps: tuple[float, ...]):
        html = build_html(doc, faces, COLOPHON_HERE, False, snaps)
        return weasyprint.HTML(string=html, base_url=BASE_URL).render(
            stylesheets=[stylesheet], font_config=font_config)

    # As the PDF renderer does: lay out again with the gaps below each table
    # that put the text after it back on the grid, until they settle.
    tables = table_count(doc)
    snaps = (0.0,) * tables
    document = lay_out(snaps)
    for _ in range(tables):
        wanted = snap_gaps(document, tables)
        if all(abs(a - b) < 0.01 for a, b in zip(wanted, snaps)):
            break
        snaps = wanted
        document = lay_out(snaps)
    top = L.mm_to_pt(L.MARGIN_TOP_MM)
    for number, page in enumerate(document.pages, 1):
        where = page.anchors.get("body-end")
        if where is not None:
            lines = lines_used(where[1] * PT_PER_CSS_PX - top)
            if lines == 0 and number > 1:  # the marker went over below a full page
                return BodyEnd(page=number - 1, lines=L.LINES_PER_PAGE)
            return BodyEnd(page=number, lines=lines)
    return None
