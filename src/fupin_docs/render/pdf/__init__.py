"""PDF output: the document tree → HTML + GB/T 9704 CSS → WeasyPrint."""

from .fonts import FontSetupError, resolve_faces
from .renderer import BodyEnd, PdfResult, body_end, render_pdf, render_pdfs

__all__ = ["BodyEnd", "FontSetupError", "PdfResult", "body_end", "render_pdf", "render_pdfs", "resolve_faces"]
