"""County database benchmark (issue 13): the PostgreSQL index and catalog at
county scale, beside the embedded Whoosh index, in one run.

    .venv/bin/python -m bench.county_scale [--sizes 10000,200000] [--townships 20]
        [--rounds 5] [--filers 4] [--filing-docs 400] [--compare REV]

A PostgreSQL cluster of its own (tests/pg_cluster.py: initdb in a temporary
folder, a Unix socket only) holds SIZE documents made from the seed text
(bench.search_index.build_corpus), spread over TOWNSHIPS townships and the
years 2016–2025. Measured at each size:
  index     documents/s written through PgSearchBackend.add (batches of 500)
  queries   p50/p95 over ROUNDS rounds for two-character words and phrases
            across the county, and phrases with a township or a year filter
At the first size the same queries run on a Whoosh index of the same documents
(one township's worth of filters: its year filter only).
Then FILERS processes file FILING_DOCS documents into one township's county
workspace at once (catalog + index, as `fupin archive add` does): documents/s,
gap-free 档号 and a valid chain checked after.
With --compare REV, the PostgreSQL rows are measured for REV's code too, in the
same run: at each size REV's code and this checkout's each build their own
database (their own schema and index), then each times its queries (one untimed
pass first) in a process of its own, REV first. The machine's load (1 minute) is
printed before each step.
Goals (issue 13): phrase queries with a township or year filter p95 ≤ 150 ms
at 200,000 documents; filing ≥ 50 documents/s from 4 processes.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.stats import percentile

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the test cluster helper

WORDS = ["整改", "销号", "危房", "督查", "考核"]
PHRASES = ["脱贫攻坚", "挂牌督战", "饮水安全", "两不愁三保障", "易地扶贫搬迁", "防止返贫", "兜底保障"]
YEARS = list(range(2016, 2026))
KINDS = ["plan", "notice", "minutes", "rectification"]



def documents(count: int, townships: int):
    from bench.search_index import build_corpus
    from fupin_docs.search.backend import IndexDoc
    rng = random.Random(13)
    texts = build_corpus(count)
    for n, text in enumerate(texts):
        year = rng.choice(YEARS)
        yield n % townships, IndexDoc(
            archive_no=f"Z{n % townships:03d}-WS·{year}-D30-ZFB-{n:06d}", sha256=f"{n:064x}", title=text[:18],
            text=text, kind=rng.choice(KINDS), date=f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
            fingerprint=f"{n:032x}")


def scope_of(township: int) -> str:
    return f"Z{township:03d}/ZFB"


def time_queries(backend_for, cases, rounds: int) -> dict:
    """group -> list of ms; CASES: (group, backend key, text, filters)."""
    from fupin_docs.search import parse_query
    from fupin_docs.search.backend import Filters
    out: dict = {}
    for _ in range(rounds):
        for group, key, text, filters in cases:
            started = time.perf_counter()
            backend_for(key).query(parse_query(text), Filters(**filters), 20)
            out.setdefault(group, []).append((time.perf_counter() - started) * 1000)
    return out


def query_cases(townships: int):
    cases = [("2-char word, county", None, w, {}) for w in WORDS]
    cases += [("phrase, county", None, p, {}) for p in PHRASES]
    cases += [("phrase + township", i % townships, p, {}) for i, p in enumerate(PHRASES)]
    cases += [("phrase + year", None, p, {"date_from": f"{y}-01-01", "date_to": f"{y}-12-31"})
              for p, y in zip(PHRASES, YEARS)]
    return cases


def build(url: str, size: int, townships: int) -> dict:
    """SIZE documents written into the database at URL; documents/s and MB."""
    from fupin_docs.search.pg_backend import PgSearchBackend, setup
    setup(url)
    backends = {t: PgSearchBackend(url, scope_of(t)) for t in range(townships)}
    batch: dict = {}
    started = time.perf_counter()
    for township, doc in documents(size, townships):
        batch.setdefault(township, []).append(doc)
        if len(batch[township]) >= 500:
            backends[township].add(batch.pop(township))
    for township, docs in batch.items():
        backends[township].add(docs)
    index_seconds = time.perf_counter() - started
    import psycopg
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE search_doc")
        size_mb = conn.execute("SELECT pg_total_relation_size('search_doc') / 1048576.0").fetchone()[0]
        schema = conn.execute("SELECT version FROM fupin_schema WHERE component = 'search'").fetchone()[0]
    return {"size": size, "index_docs_per_s": size / index_seconds, "index_mb": float(size_mb), "schema": schema}


def query_times(url: str, townships: int, rounds: int, warm: bool = False) -> dict:
    from fupin_docs.search.pg_backend import PgSearchBackend
    backends = {t: PgSearchBackend(url, scope_of(t)) for t in range(townships)}
    backends[None] = PgSearchBackend(url, None)
    if warm:  # a process of its own: its first queries load the word lists
        time_queries(lambda key: backends[key], query_cases(townships), 1)
    return time_queries(lambda key: backends[key], query_cases(townships), rounds)


def run_size(url: str, size: int, townships: int, rounds: int) -> dict:
    row = build(url, size, townships)
    row["times"] = query_times(url, townships, rounds)
    return row


def load() -> str:
    return f"{os.getloadavg()[0]:.2f}"


def in_process(source: Path | None, step: str, *args) -> dict:
    """STEP ('build' or 'query') with ARGS in a Python process of its own, on the code
    in SOURCE (a src/ folder; None: this checkout)."""
    env = dict(os.environ)
    if source is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(source), str(ROOT)])
    done = subprocess.run([sys.executable, "-m", "bench.county_scale", "--step", step, *map(str, args)],
                          cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{step} failed:\n{done.stdout}{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def compare_size(cluster, size: int, townships: int, rounds: int, versions) -> list:
    """VERSIONS: (label, src folder or None); a row per version, measured as the module says."""
    rows = []
    for label, source in versions:
        print(f"load {load()}: building {size} documents with {label}", file=sys.stderr, flush=True)
        row = in_process(source, "build", cluster.new_database(), size, townships)
        print(f"  index schema version {row['schema']}", file=sys.stderr, flush=True)
        rows.append((label, source, row))
    for label, source, row in rows:
        print(f"load {load()}: queries at {size} with {label}", file=sys.stderr, flush=True)
        row["times"] = in_process(source, "query", row["url"], townships, rounds)
        row["label"] = label
        row["load"] = load()
    return [row for _label, _source, row in rows]


def run_whoosh(size: int, townships: int, rounds: int) -> dict:
    from fupin_docs.search.whoosh_backend import WhooshBackend
    with tempfile.TemporaryDirectory() as folder:
        backend = WhooshBackend(folder)
        backend.rebuild(doc for _t, doc in documents(size, townships))
        cases = [(g, None, t, f) for g, _k, t, f in query_cases(townships) if g != "phrase + township"]
        times = time_queries(lambda key: backend, cases, rounds)
        backend.close()
    return {"size": size, "times": times}


def _filer(root: str, start: int, count: int, folder: str, out) -> None:
    from fupin_docs.filing import file_document
    from fupin_docs.workspace.config import open_workspace
    ws = open_workspace(root)
    texts_dir = Path(folder)
    for n in range(start, start + count):
        path = texts_dir / f"通知{n}.txt"
        path.write_text(f"关于第{n}批危房改造的通知\n各村：请按期完成整改。\n三星镇人民政府\n2020年6月{n % 27 + 1}日\n",
                        encoding="utf-8")
        file_document(ws, path, kind="notice", who=f"办事员{start}")
    out.put(count)


def run_filing(cluster, filers: int, total: int) -> dict:
    from click.testing import CliRunner
    from fupin_docs.archive import Archive
    from fupin_docs.cli.main import cli
    from fupin_docs.filing import verify
    from fupin_docs.workspace.config import open_workspace
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / "三星镇"
        url = cluster.new_database()
        result = CliRunner().invoke(cli, ["init", str(root), "--database", url])
        if result.exit_code != 0:
            raise SystemExit(f"{result.output}\n{result.exception!r}")
        context = multiprocessing.get_context("spawn")
        queue = context.Queue()
        each = total // filers
        texts = []
        for w in range(filers):
            texts.append(Path(folder) / f"w{w}")
            texts[-1].mkdir()
        processes = [context.Process(target=_filer, args=(str(root), 1 + w * each, each, str(texts[w]), queue))
                     for w in range(filers)]
        started = time.perf_counter()
        for process in processes:
            process.start()
        for process in processes:
            process.join()
        seconds = time.perf_counter() - started
        failed = [p.exitcode for p in processes if p.exitcode != 0]
        ws = open_workspace(root)
        numbers = sorted(int(no.rsplit("-", 1)[1]) for no in Archive(ws).catalog.items())
        return {"docs": len(numbers), "seconds": seconds, "docs_per_s": len(numbers) / seconds,
                "gap_free": numbers == list(range(1, len(numbers) + 1)), "failed": failed, "verify": verify(ws).ok}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10000,200000")
    parser.add_argument("--townships", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--filers", type=int, default=4)
    parser.add_argument("--filing-docs", type=int, default=400)
    parser.add_argument("--compare", metavar="REV", default=None,
                        help="also measure the PostgreSQL rows with the code of git revision REV")
    parser.add_argument("--step", nargs="+", help=argparse.SUPPRESS)  # one step of --compare (in_process)
    args = parser.parse_args(argv)
    if args.step:
        step, url, *rest = args.step
        if step == "build":
            row = build(url, int(rest[0]), int(rest[1]))
            row["url"] = url
        else:
            row = query_times(url, int(rest[0]), int(rest[1]), warm=True)
        print(json.dumps(row))
        return 0
    from pg_cluster import Cluster
    sizes = [int(s) for s in args.sizes.split(",")]
    cluster = Cluster()
    ok = True
    try:
        rows = []
        print(f"load {load()}: start", file=sys.stderr, flush=True)
        embedded = run_whoosh(sizes[0], args.townships, args.rounds)
        versions = None
        if args.compare:
            from bench.serve_load import git_source
            versions = [(f"before {args.compare}", git_source(args.compare)), ("after", None)]
        for size in sizes:
            if versions:
                rows += compare_size(cluster, size, args.townships, args.rounds, versions)
            else:
                rows.append(run_size(cluster.new_database(), size, args.townships, args.rounds))
                rows[-1]["load"] = load()
        print("| backend | documents | index docs/s | index MB | query group | p50 ms | p95 ms |")
        print("|---|---:|---:|---:|---|---:|---:|")
        for group, values in embedded["times"].items():
            print(f"| Whoosh | {embedded['size']} | | | {group} | {statistics.median(values):.1f} | "
                  f"{percentile(values, 95):.1f} |")
        for row in rows:
            name = f"PostgreSQL ({row['label']})" if "label" in row else "PostgreSQL"
            for group, values in row["times"].items():
                print(f"| {name} | {row['size']} | {row['index_docs_per_s']:.0f} | {row['index_mb']:.0f} | {group} | "
                      f"{statistics.median(values):.1f} | {percentile(values, 95):.1f} |")
        print("load (1 minute) after each row's queries: " + ", ".join(
            f"{row.get('label', 'PostgreSQL')} {row['size']}: {row['load']}" for row in rows))
        last = rows[-1]
        worst = max(percentile(last["times"][g], 95) for g in ("phrase + township", "phrase + year"))
        met = worst <= 150
        print(f"goal: filtered phrase p95 ≤ 150 ms at {last['size']} documents: {worst:.1f} ms — "
              f"{'met' if met else 'NOT met'}")
        filing = run_filing(cluster, args.filers, args.filing_docs)
        print(f"filing: {filing['docs']} documents from {args.filers} processes in {filing['seconds']:.1f} s = "
              f"{filing['docs_per_s']:.1f} documents/s — {'met' if filing['docs_per_s'] >= 50 else 'NOT met'} "
              f"(goal ≥ 50); gap-free 档号: {filing['gap_free']}; archive verify: {'ok' if filing['verify'] else 'FAILED'}")
        ok = filing["gap_free"] and filing["verify"] and not filing["failed"]
    finally:
        cluster.stop()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
