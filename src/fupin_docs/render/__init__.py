"""Stage 3 — render: the document tree to DOCX (docxtpl) and PDF (WeasyPrint)."""
