"""Stage 1 — inputs: load YAML with positions, validate into typed models.

The names below are loaded on first use (PEP 562), so importing a light
submodule such as inputs.problems does not load pydantic and the models.
"""

from __future__ import annotations

import importlib

_WHERE = {
    "Document": "models", "KIND_LABELS": "choices", "MODELS": "models",
    "InputError": "problems", "Problem": "problems",
    "load_document": "validate", "load_document_text": "validate", "validate_files": "validate",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str):
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_WHERE))
