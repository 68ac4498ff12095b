"""The README's "Using fupin_docs from Python" example runs as written."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_readme_python_example_runs(tmp_path, monkeypatch):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Using fupin_docs from Python", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # the library must not depend on the current directory
    monkeypatch.delenv("FUPIN_WORKSPACE", raising=False)
    namespace = {"WORKDIR": str(tmp_path), "EXAMPLES": ROOT / "examples"}
    exec(compile(code, "README.md", "exec"), namespace)
    assert list(elsewhere.iterdir()) == []  # nothing written where the program happened to run
