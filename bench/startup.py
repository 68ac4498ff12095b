"""Start-up benchmark (issue 15 §5): wall time of short `fupin` commands.

    .venv/bin/python -m bench.startup [--docs 10000] [--runs 9] [--rebuild]
    .venv/bin/python -m bench.startup --docs 50 --runs 1      # quick smoke

Each case is a fresh subprocess, timed from start to exit; the cases run
interleaved (one of each per round) so load from other jobs falls on all alike.

  baseline  python -c pass                         (the interpreter alone)
  help      fupin --help
  validate  fupin validate examples/<plan>.yaml
  search    fupin --workspace WS search 危房       (an archive of DOCS documents)

The archive is built once with the library — Archive(ws).add(...) of small
generated .txt files (cut from tests/data/seed/) — then searched once, untimed,
so its index exists; it is kept under bench/results/ (gitignored) and reused
by later runs with the same --docs. Building 10,000 documents takes a while;
--rebuild builds it afresh.

Prints the median, min and max of --runs runs and the median's ratio to the
baseline. Goals: help ≤ 0.3 s, validate ≤ 0.5 s, search ≤ 0.5 s; a miss is
printed as "NOT met" and still exits 0. A command that fails exits 1.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SEED_DIR = ROOT / "tests" / "data" / "seed"
RESULTS = ROOT / "bench" / "results"
QUERY = "危房"
GOALS = {"help": 0.3, "validate": 0.5, "search": 0.5}
KINDS = ("plan", "notice", "minutes", "rectification", "other", "签到册", "台账")
TOPICS = ("危房改造", "饮水安全", "产业扶贫", "教育保障", "医疗保障", "易地扶贫搬迁", "就业帮扶", "兜底保障")


def fupin_command() -> list[str]:
    """The installed `fupin` console script beside this interpreter, else the module."""
    script = Path(sys.executable).with_name("fupin")
    return [str(script)] if script.exists() else [sys.executable, "-m", "fupin_docs.cli.main"]


def example_input() -> Path:
    found = sorted((ROOT / "examples").glob("plan-*.yaml")) or sorted((ROOT / "examples").glob("*.yaml"))
    if not found:
        sys.exit(f"找不到示例输入：{ROOT / 'examples'}")
    return found[0]


def seed_text() -> str:
    text = "".join(path.read_text(encoding="utf-8") for path in sorted(SEED_DIR.glob("*.txt")))
    if not text:
        sys.exit(f"找不到种子文本：{SEED_DIR}")
    return "".join(text.split())


def generate(count: int):
    """COUNT (title, kind, date, body) of 200–400 characters each, fixed seed;
    about one in four mentions 危房 in its title or body."""
    text = seed_text()
    doubled = text + text
    rng = random.Random(15)
    start_day = dt.date(2018, 1, 1)
    for number in range(1, count + 1):
        topic = TOPICS[number % len(TOPICS)]
        offset = rng.randrange(len(text))
        body = doubled[offset:offset + rng.randint(200, 400)]
        if number % 4 == 1 and QUERY not in body:
            body = f"关于{topic}和{QUERY}改造的情况。{body}"
        title = f"{topic}工作材料（第{number}号）"
        day = start_day + dt.timedelta(days=rng.randrange(3 * 365))
        yield title, KINDS[number % len(KINDS)], day.isoformat(), body


def build_archive(target: Path, count: int) -> None:
    """A workspace whose archive holds COUNT documents, filed through the library,
    with its search index built by one untimed search."""
    from fupin_docs.archive import Archive
    from fupin_docs.workspace import init_workspace, open_workspace

    building = target.with_name(target.name + ".building")
    shutil.rmtree(building, ignore_errors=True)
    init_workspace(building, with_examples=False)
    workspace = open_workspace(building)
    archive = Archive(workspace)
    sources = building / "bench-sources"
    sources.mkdir()
    started = time.perf_counter()
    for number, (title, kind, date, body) in enumerate(generate(count), 1):
        source = sources / f"{number:05d}.txt"
        source.write_text(f"{title}\n\n{body}\n", encoding="utf-8")
        archive.add(source, kind=kind, title=title, date=date)
        source.unlink()
        if number % 1000 == 0 or number == count:
            elapsed = time.perf_counter() - started
            print(f"  归档 {number}/{count}（{elapsed:.0f} s）", file=sys.stderr, flush=True)
    sources.rmdir()
    warm = subprocess.run([*fupin_command(), "--workspace", str(building), "search", QUERY],
                          capture_output=True, text=True)
    if warm.returncode != 0:
        sys.exit(f"建立检索索引失败（退出码 {warm.returncode}）：\n{warm.stderr}")
    (building / "bench-complete").write_text(f"{count}\n", encoding="utf-8")
    shutil.rmtree(target, ignore_errors=True)
    building.rename(target)


def archive_workspace(count: int, rebuild: bool) -> Path:
    target = RESULTS / f"startup-archive-{count}"
    marker = target / "bench-complete"
    if rebuild or not marker.exists() or marker.read_text(encoding="utf-8").strip() != str(count):
        print(f"建立 {count} 件文件的档案：{target}", file=sys.stderr, flush=True)
        started = time.perf_counter()
        build_archive(target, count)
        print(f"  完成，用时 {time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)
    else:
        print(f"使用已建立的档案：{target}", file=sys.stderr, flush=True)
    return target


def timed(command: list[str]) -> tuple[float, subprocess.CompletedProcess]:
    started = time.perf_counter()
    done = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return time.perf_counter() - started, done


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.startup", description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=10000, help="documents in the searched archive (10000)")
    parser.add_argument("--runs", type=int, default=9, help="runs of each case; the median is reported (9)")
    parser.add_argument("--rebuild", action="store_true", help="build the archive afresh even if cached")
    args = parser.parse_args(argv)
    if args.docs < 1 or args.runs < 1:
        parser.error("--docs and --runs must be at least 1")

    workspace = archive_workspace(args.docs, args.rebuild)
    fupin = fupin_command()
    cases = {
        "baseline": [sys.executable, "-c", "pass"],
        "help": [*fupin, "--help"],
        "validate": [*fupin, "validate", str(example_input())],
        "search": [*fupin, "--workspace", str(workspace), "search", QUERY],
    }
    times: dict[str, list[float]] = {name: [] for name in cases}
    for _round in range(args.runs):
        for name, command in cases.items():
            seconds, done = timed(command)
            if done.returncode != 0:
                print(f"{name} 失败（退出码 {done.returncode}）：{' '.join(command)}\n"
                      f"{done.stderr.decode('utf-8', 'replace')}", file=sys.stderr)
                return 1
            if name == "search" and QUERY.encode() not in done.stdout:
                print(f"search 没有找到“{QUERY}”：\n{done.stdout.decode('utf-8', 'replace')}", file=sys.stderr)
                return 1
            times[name].append(seconds)

    base = statistics.median(times["baseline"])
    print(f"\nstart-up, {args.runs} runs each, search over {args.docs} documents; "
          f"Python {sys.version.split()[0]}")
    print(f"{'case':<10} {'median s':>9} {'min s':>7} {'max s':>7} {'× base':>7}  goal")
    for name, values in times.items():
        median = statistics.median(values)
        goal = GOALS.get(name)
        verdict = "" if goal is None else f"≤ {goal} s {'met' if median <= goal else 'NOT met'}"
        print(f"{name:<10} {median:>9.3f} {min(values):>7.3f} {max(values):>7.3f} "
              f"{median / base:>7.1f}  {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
