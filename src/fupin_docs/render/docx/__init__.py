"""DOCX renderer: document tree → GB/T 9704 Word document via a sandboxed docxtpl template."""

from .render import TemplateError, builtin_template, render_docx, resolve_template

__all__ = ["TemplateError", "builtin_template", "render_docx", "resolve_template"]
