"""Drafting in the browser: a form per kind built from the input models, the CLI's checks by
the field, live preview, download, filing, and drafts kept per user (issue 12)."""

from __future__ import annotations


def register(app) -> None:
    """No pages yet."""
