"""bench/draft_preview.py still runs (one run; nothing about speed is asserted).
Marked `bench` like tests/test_bench_smoke.py: `pytest -m "not bench"` leaves it out."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.bench
def test_draft_preview_benchmark_runs():
    result = subprocess.run([sys.executable, "-m", "bench.draft_preview", "--runs", "1"], cwd=ROOT,
                            capture_output=True, text=True, timeout=600)
    assert "Traceback" not in result.stderr, result.stderr[-2000:]
    assert result.returncode == 0, result.stderr[-2000:]
    assert "：10 页" in result.stdout  # the plan example previews as the 10 pages it prints on
    assert re.search(r"^edit-to-page\s+\d+\.\d{3}", result.stdout, re.M), result.stdout
