"""Shared test helpers."""

from __future__ import annotations

from pathlib import Path

from fupin_docs.workspace import init_workspace, open_workspace


def make_workspace(root: Path):
    """A real workspace (fupin.toml and folders, no examples), as `fupin init` makes it."""
    init_workspace(root, with_examples=False)
    return open_workspace(root)
