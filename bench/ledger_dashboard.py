"""Benchmark: the ledger dashboard's server time (issue 12) at the seed town's size.

    .venv/bin/python -m bench.ledger_dashboard [--households 701] [--problems 300] [--runs 9]

Builds a workspace as bench/ledger_import does (scripts/make_check_sheet.py, the
real import), with a third of the problems 销号 with archived evidence over the
last weeks and a sixth 已整改, then times, each as the median of RUNS requests
through the Flask app `fupin serve` runs (in-process, logged in, audit included):
  dashboard     GET /ledger/dashboard (figures, SVG charts, overdue table)
  api-summary   GET /api/ledger/summary
  ledger-page   GET /ledger (first page of 50)
Goal: dashboard ≤ 0.5 s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench.stats import print_timings

from bench.ledger_import import _generator
from fupin_docs.accounts import Accounts
from fupin_docs.filing import file_document
from fupin_docs.ledger import close_problem, import_check_sheet, load_ledger, set_fields
from fupin_docs.server.app import create_app
from fupin_docs.workspace import init_workspace, open_workspace

GOAL_SECONDS = 0.5
PASSWORD = "Bench2020x"


def build(root: Path, households: int, problems: int) -> tuple:
    init_workspace(root, with_examples=False)
    ws = open_workspace(root)
    sheet = root.parent / "排查表.xlsx"
    villages = min(14, max(1, households // 20))
    stats = _generator().make_check_sheet(sheet, households=households, villages=villages, failing=problems,
                                          mixed=True)
    today = dt.date.today()
    found = today - dt.timedelta(days=90)
    import_check_sheet(ws, sheet, date=found, deadline=found + dt.timedelta(days=60), who="基准")
    evidence = root.parent / "整改佐证.txt"
    evidence.write_text("整改完成情况说明：已入户核实，整改到位。", encoding="utf-8")
    item = file_document(ws, evidence, kind="other", unit="镇扶贫工作站", date=today.isoformat(),
                         title="整改完成情况说明")
    number = item.item.archive_no
    ids = [p.pid for p in load_ledger(ws)]
    for index, pid in enumerate(ids):
        if index % 3 == 0:
            close_problem(ws, pid, [number], date=today - dt.timedelta(days=(index * 7) % 80), who="基准")
        elif index % 6 == 1:
            set_fields(ws, pid, status="已整改", who="基准")
    Accounts(ws).add_user("基准办事员", "clerk", PASSWORD)
    return ws, stats, len(ids)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="台账整改进度页基准测试")
    parser.add_argument("--households", type=int, default=701)
    parser.add_argument("--problems", type=int, default=300)
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="bench-dashboard-"))
    try:
        started = time.perf_counter()
        ws, stats, count = build(tmp / "ws", args.households, args.problems)
        setup = time.perf_counter() - started
        app = create_app(ws)
        client = app.test_client()
        login_page = client.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', login_page).group(1)
        response = client.post("/login", data={"username": "基准办事员", "password": PASSWORD, "csrf_token": token})
        assert response.status_code == 302, response.get_data(as_text=True)
        timings: dict[str, list[float]] = {"dashboard": [], "api-summary": [], "ledger-page": []}
        paths = {"dashboard": "/ledger/dashboard", "api-summary": "/api/ledger/summary", "ledger-page": "/ledger"}
        client.get("/ledger/dashboard")  # templates compiled once, as in a running server
        for _ in range(args.runs):
            for name, path in paths.items():
                start = time.perf_counter()
                response = client.get(path)
                timings[name].append(time.perf_counter() - start)
                assert response.status_code == 200, (path, response.status_code)
        print(f"台账：{stats['households']} 户 {stats['villages']} 个村，问题 {count} 个"
              f"（准备用时 {setup:.1f} s）；每项 {args.runs} 次")
        print_timings(timings)
        median = statistics.median(timings["dashboard"])
        verdict = "met" if median <= GOAL_SECONDS else "NOT met"
        print(f"goal: dashboard ≤ {GOAL_SECONDS} s at {count} problems: {verdict} (median {median:.3f} s)")
        return 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
