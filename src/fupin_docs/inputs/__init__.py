"""Stage 1 — inputs: load YAML with positions, validate into typed models."""

from .models import KIND_LABELS, MODELS, Document
from .problems import InputError, Problem
from .validate import load_document, load_document_text, validate_files

__all__ = ["Document", "InputError", "KIND_LABELS", "MODELS", "Problem",
           "load_document", "load_document_text", "validate_files"]
