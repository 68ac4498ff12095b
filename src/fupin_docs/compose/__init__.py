"""Stage 2 — compose: a validated input model becomes the document tree."""

from __future__ import annotations

from ..inputs.models import Document, Minutes, Notice, Plan, Rectification
from ..workspace.config import Config, Workspace
from .minutes import compose_minutes
from .notice import compose_notice
from .plan import compose_plan
from .rectification import compose_rectification
from .tree import ComposedDocument


def compose(doc: Document, config: Config, workspace: Workspace | None = None) -> ComposedDocument:
    """The document tree for DOC; a report pointing at the ledger reads it from WORKSPACE."""
    if isinstance(doc, Plan):
        return compose_plan(doc, config)
    if isinstance(doc, Notice):
        return compose_notice(doc, config)
    if isinstance(doc, Minutes):
        return compose_minutes(doc, config)
    if isinstance(doc, Rectification):
        problems = None
        if doc.ledger is not None and workspace is not None:
            from ..ledger import select_problems  # the ledger is optional for other kinds

            wanted = doc.ledger if doc.ledger.source else doc.ledger.model_copy(update={"source": doc.source})
            problems = list(doc.problems) + list(select_problems(workspace, wanted))
        return compose_rectification(doc, config, problems)
    raise TypeError(f"unknown document model {type(doc).__name__}")


__all__ = ["ComposedDocument", "compose"]
