"""bench/ledger_dashboard.py still runs (tiny sizes; nothing about speed is asserted).
Marked `bench` like tests/test_bench_smoke.py: `pytest -m "not bench"` leaves it out."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.bench
def test_ledger_dashboard_benchmark_runs():
    result = subprocess.run([sys.executable, "-m", "bench.ledger_dashboard", "--households", "60", "--problems", "20",
                             "--runs", "1"], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert "Traceback" not in result.stderr, result.stderr[-2000:]
    assert result.returncode == 0, result.stderr[-2000:]
    assert "问题 20 个" in result.stdout  # the ledger it built holds the problems asked for
    assert re.search(r"^dashboard\s+\d+\.\d{3}", result.stdout, re.M), result.stdout
