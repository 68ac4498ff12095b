"""Stage 2 — compose: a validated input model becomes the document tree."""

from __future__ import annotations

from ..inputs.models import Document, Minutes, Notice, Plan, Rectification
from ..workspace.config import Config
from .minutes import compose_minutes
from .notice import compose_notice
from .plan import compose_plan
from .rectification import compose_rectification
from .tree import ComposedDocument


def compose(doc: Document, config: Config, ledger_problems=None) -> ComposedDocument:
    """The document tree for DOC. LEDGER_PROBLEMS: the rows a report that points at
    the problem ledger takes from it (the caller reads the ledger; compose does not)."""
    if isinstance(doc, Plan):
        return compose_plan(doc, config)
    if isinstance(doc, Notice):
        return compose_notice(doc, config)
    if isinstance(doc, Minutes):
        return compose_minutes(doc, config)
    if isinstance(doc, Rectification):
        problems = None
        if ledger_problems is not None:
            problems = list(doc.problems) + list(ledger_problems)
        return compose_rectification(doc, config, problems)
    raise TypeError(f"unknown document model {type(doc).__name__}")


__all__ = ["ComposedDocument", "compose"]
