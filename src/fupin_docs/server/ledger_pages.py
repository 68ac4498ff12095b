"""The problem ledger in the browser: check-sheet upload, the ledger table and its /api/ twin,
a problem's page, 销号 with archived evidence, the dashboard and the export (issue 12)."""

from __future__ import annotations


def register(app) -> None:
    """No pages yet."""
