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

from ..compose.tree import ComposedDocument, Heading, Table
from ..workspace.config import Config
from .pdf import BodyEnd, FontSetupError, body_end

__all__ = ["BodyEnd", "layouts_agree", "predict_body_end"]


def layouts_agree(doc: ComposedDocument) -> bool:
    """Whether the PDF layout's page breaks hold for the DOCX (see above)."""
    return not any(isinstance(a, Heading) and isinstance(b, Table) for a, b in zip(doc.blocks, doc.blocks[1:]))


def predict_body_end(doc: ComposedDocument, config: Config) -> BodyEnd | None:
    """Page and lines of DOC's body end in the PDF layout (render/pdf's public
    body_end), or None when no layout can be made here (WeasyPrint or the
    faces missing) or it would not hold for the DOCX."""
    if not layouts_agree(doc):
        return None
    try:
        return body_end(doc, config=config)
    except FontSetupError:
        return None
