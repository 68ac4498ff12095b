"""Where the bundled examples, skeletons and templates live.

In a source checkout (the README's editable install) they are the repo's
top-level folders; skeletons ship inside the package.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parents[1]
REPO_DIR = PACKAGE_DIR.parents[1]


def examples_dir() -> Path:
    return REPO_DIR / "examples"


def templates_dir() -> Path:
    return REPO_DIR / "templates"


def skeleton_path(kind: str) -> Path:
    return PACKAGE_DIR / "inputs" / "skeletons" / f"{kind}.yaml"
