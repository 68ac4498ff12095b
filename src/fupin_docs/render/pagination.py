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

A heading right above a table is predicted too. Both layouts keep the heading
with the table's header row and first body row and split the table between
rows, the header row repeated on the next page: the PDF's table rows are set
as the DOCX's (no vertical cell padding, the DOCX's column widths and character
spacing), so a table breaks at the same row in both. (With 2 pt of padding and
unspaced characters WeasyPrint carried the heading and the whole table over to
the next page where LibreOffice split the table, and the DOCX fell back to an
even-page section.)

Without WeasyPrint or the faces (a machine set up for Word output only) there
is no prediction: predict_body_end returns None, and the caller takes the rule
that needs none.
"""

from __future__ import annotations

from ..compose.tree import ComposedDocument
from ..workspace.config import Config
from .pdf import BodyEnd, FontSetupError, body_end

__all__ = ["BodyEnd", "predict_body_end"]


def predict_body_end(doc: ComposedDocument, config: Config) -> BodyEnd | None:
    """Page and lines of DOC's body end in the PDF layout (render/pdf's public
    body_end), or None when no layout can be made here (WeasyPrint or the
    faces missing)."""
    try:
        return body_end(doc, config=config)
    except FontSetupError:
        return None
