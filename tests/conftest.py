"""Shared test helpers."""

from __future__ import annotations

import re
from pathlib import Path

from fupin_docs.workspace import init_workspace, open_workspace


def make_workspace(root: Path):
    """A real workspace (fupin.toml and folders, no examples), as `fupin init` makes it."""
    init_workspace(root, with_examples=False)
    return open_workspace(root)


def squash(text: str) -> str:
    """Text without whitespace: renderers break lines where they like."""
    return re.sub(r"\s+", "", text)


def in_order(words: list[str], text: str) -> list[str]:
    """The words NOT found in order in TEXT (empty when all are)."""
    missing, position = [], 0
    for word in words:
        word = squash(word)
        found = text.find(word, position)
        if found < 0:
            missing.append(word)
        else:
            position = found + len(word)
    return missing
