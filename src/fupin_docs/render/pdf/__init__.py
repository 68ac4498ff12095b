"""PDF output: the document tree → HTML + GB/T 9704 CSS → WeasyPrint."""

from .fonts import FontSetupError, resolve_faces
from .renderer import PdfResult, render_pdf, render_pdfs

__all__ = ["FontSetupError", "PdfResult", "render_pdf", "render_pdfs", "resolve_faces"]
