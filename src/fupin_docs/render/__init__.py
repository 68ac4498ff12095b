"""Stage 3 — render: the document tree to DOCX (docxtpl), PDF (WeasyPrint) and OFD
(GB/T 33190, written from the PDF's own layout)."""
