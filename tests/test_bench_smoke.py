"""Every benchmark still runs (tiny sizes, nothing timed or asserted about speed).

Benchmarks are not tests of speed; this only keeps them from rotting when the
code they drive changes (e.g. a command that starts needing a workspace).
A missed speed goal is printed ("NOT met") and still exits 0, so anything but
exit 0 is a real error. Marked `bench`: `pytest -m "not bench"` leaves them out.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

CASES = {
    "pdf_render": ["--runs", "1", "--batch", "2", "--jobs", "1", "--no-soffice"],
    "search_index": ["--docs", "60", "--rounds", "1", "--procs", "1"],
    "search_quality": ["--queries", "3"],
    "pack_build": ["--items", "6", "--runs", "1"],
    "ledger_import": ["--runs", "1"],
    "startup": ["--docs", "50", "--runs", "1"],
    "serve_load": ["--docs", "50", "--seconds", "2", "--sessions", "2"],
    "county_scale": ["--sizes", "200", "--townships", "3", "--rounds", "1", "--filers", "2", "--filing-docs", "10"],
}


@pytest.mark.bench
@pytest.mark.parametrize("name", sorted(CASES))
def test_benchmark_runs(name):
    result = subprocess.run([sys.executable, "-m", f"bench.{name}", *CASES[name]], cwd=ROOT,
                            capture_output=True, text=True, timeout=600)
    assert "Traceback" not in result.stderr, result.stderr[-2000:]
    assert result.returncode == 0, f"bench.{name} exited {result.returncode}:\n{result.stderr[-2000:]}"
    assert result.stdout.strip()
