"""Search index benchmark (issue 4): indexing throughput and query latency.

    .venv/bin/python -m bench.search_index [--docs 10000] [--procs 2] [--rounds 5]

Corpus: the seed text (tests/data/seed/) converted to simplified script and cut
into DOCS documents of 600–700 characters at pseudo-random offsets (fixed seed).

Measured in one run, each in a fresh temporary directory:
  baseline  Whoosh's default writer, one TEXT field with jieba's ChineseAnalyzer,
            one process (the naive way)
  fupin     fupin_docs.search.whoosh_backend.WhooshBackend.rebuild: t2s, the body
            as character bigrams, the title also as jieba words, PROCS worker
            processes writing one segment per chunk
With --variants, two other index layouts through the same rebuild, for the
record of why the layout is what it is (bench/README.md):
  words+bi  schema 5: a second body field of jieba words (3+ characters)
  merged    jieba words (3+ characters) and bigrams in ONE body field
Then query latency of the fupin index over a set of queries (two-character
words, phrases, OR, exclusion, traditional script), each run ROUNDS times via
the backend's query() (parse + search + highlighted snippets, top 20), and the
same for the baseline index with Whoosh's QueryParser for reference.
Each index is built in a forked process, so its peak memory (ru_maxrss) is its
own; fupin's workers are reported separately. Queries run in the parent.
Goals: fupin ≥ 3× baseline docs/s; query median ≤ 30 ms, p95 ≤ 100 ms; ≤ 500 MB.
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench.stats import percentile

SEED_DIR = Path(__file__).resolve().parents[1] / "tests" / "data" / "seed"
QUERIES = [
    "整改", "销号", "危房", "督查", "脱贫攻坚", "挂牌督战", "饮水安全", "两不愁三保障",
    '"问题清零"', '"整改一件、销号一件"', "整改 OR 销号", "脱贫 -医疗", "产业扶贫 就业",
    "脫貧攻堅", "掛牌督戰", "易地扶贫搬迁", "责任落实", "考核", "防止返贫", "兜底保障",
]


def build_corpus(count: int) -> list[str]:
    from fupin_docs.search.normalize import to_simplified
    seed = "".join(p.read_text(encoding="utf-8") for p in sorted(SEED_DIR.glob("*.txt")))
    if not seed:
        sys.exit(f"找不到种子文本：{SEED_DIR}")
    text = to_simplified(seed)
    doubled = text + text
    rng = random.Random(4)
    docs = []
    for _ in range(count):
        start = rng.randrange(len(text))
        docs.append(doubled[start:start + rng.randint(600, 700)])
    return docs


def run_baseline(docs: list[str], directory: Path) -> float:
    import jieba
    from jieba.analyse import ChineseAnalyzer
    from whoosh import index
    from whoosh.fields import ID, TEXT, Schema
    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    schema = Schema(id=ID(stored=True, unique=True), content=TEXT(analyzer=ChineseAnalyzer(), stored=True))
    ix = index.create_in(str(directory), schema)
    start = time.perf_counter()
    writer = ix.writer()
    for number, doc in enumerate(docs):
        writer.add_document(id=str(number), content=doc)
    writer.commit()
    return time.perf_counter() - start


def run_fupin(docs: list[str], directory: Path, procs: int, limitmb: int = 128):
    from fupin_docs.search.backend import IndexDoc
    from fupin_docs.search.whoosh_backend import WhooshBackend
    kinds = ("plan", "notice", "minutes", "rectification", "签到册")
    backend = WhooshBackend(directory, procs=procs, limitmb=limitmb)
    items = (IndexDoc(archive_no=f"Z001-WS·2020-D30-ZFB-{n % 10000:04d}-{n}", sha256=f"{n:064x}",
                      title=doc[:18], text=doc, kind=kinds[n % 5], unit=f"{n % 14}村",
                      date=f"2020-{n % 12 + 1:02d}-{n % 28 + 1:02d}") for n, doc in enumerate(docs))
    start = time.perf_counter()
    count = backend.rebuild(items, workers=procs)
    elapsed = time.perf_counter() - start
    assert count == len(docs)
    return backend, elapsed


# ---- alternative layouts (--variants) ---------------------------------------

from fupin_docs.search.analysis import _Base  # noqa: E402


class LongWordTokenizer(_Base):
    """Schema 5's body word field: jieba words of 3+ characters and Latin/digit tokens."""

    def _tokens(self, text):
        from fupin_docs.search.normalize import words
        return [w for w in words(text) if len(w) > 2 or w[0] < "\u3400"]


class MergedTokenizer(_Base):
    """Bigrams and 3+-character jieba words as the postings of one field."""

    def _tokens(self, text):
        from fupin_docs.search.normalize import bigrams
        return bigrams(text) + LongWordTokenizer()._tokens(text)


def use_layout(layout: str) -> None:
    """Switch whoosh_backend to LAYOUT in this (forked) process and its workers."""
    from fupin_docs.search import whoosh_backend as wb
    from fupin_docs.search.analysis import CountedText
    if layout == "bigrams":
        return
    make_schema, fields_of = wb.make_schema, wb._fields

    def schema():
        s = make_schema()
        if layout == "words+bi":
            s.add("body", CountedText(analyzer=LongWordTokenizer(), phrase=False))
        else:
            s.remove("body_bi")
            s.add("body_bi", CountedText(analyzer=MergedTokenizer(), phrase=False))
        return s

    def fields(doc):
        f = fields_of(doc)
        if layout == "words+bi":
            f["body"] = f["body_bi"]
        return f
    wb.make_schema, wb._fields = schema, fields


def run_layout(layout, docs, directory, procs, limitmb):
    use_layout(layout)
    return run_fupin(docs, directory, procs, limitmb)


def _in_child(queue, func, args):
    try:
        elapsed = func(*args)
    except BaseException:
        import traceback
        queue.put(traceback.format_exc())  # the parent raises it: a crash is not a hang
        raise
    if isinstance(elapsed, tuple):
        elapsed = elapsed[1]
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime
    queue.put((elapsed, me.ru_maxrss / 1024, kids.ru_maxrss / 1024, cpu))


def measured(func, *args) -> tuple[float, float, float, float]:
    """Run FUNC(*ARGS) in a forked process: (seconds, its peak MB, its workers' peak MB,
    CPU seconds of it and its workers, set-up included)."""
    import multiprocessing
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    process = ctx.Process(target=_in_child, args=(queue, func, args))
    process.start()
    import queue as queue_module
    while True:
        try:
            result = queue.get(timeout=1)
            break
        except queue_module.Empty:
            if not process.is_alive():  # died without a word (killed, os._exit)
                raise RuntimeError(f"benchmark child for {func.__name__} exited {process.exitcode} without a result")
    process.join()
    if isinstance(result, str):
        raise RuntimeError(f"benchmark child for {func.__name__} failed:\n{result}")
    return result


def time_queries(run, rounds: int) -> tuple[list[float], dict]:
    times, counts = [], {}
    for query in QUERIES:  # warm-up (first use of a term's postings, jieba's dictionary)
        counts[query] = run(query)
    for _ in range(rounds):
        for query in QUERIES:
            start = time.perf_counter()
            run(query)
            times.append((time.perf_counter() - start) * 1000)
    return times, counts



def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="检索索引基准：建索引速度与查询延迟")
    parser.add_argument("--docs", type=int, default=10_000, help="文档数（默认 10000）")
    parser.add_argument("--procs", type=int, default=2, help="fupin 建索引的并行进程数（默认 2）")
    parser.add_argument("--rounds", type=int, default=5, help="每个查询计时的轮数（默认 5）")
    parser.add_argument("--limitmb", type=int, default=None, help="每个写入进程的内存上限 MB（默认取 fupin 的设置）")
    parser.add_argument("--skip-baseline", action="store_true", help="不跑基线（只测 fupin）")
    parser.add_argument("--variants", action="store_true",
                        help="另测两种索引结构：正文另设词字段（第 5 版）、词与二元组合为一个字段")
    args = parser.parse_args(argv)

    from fupin_docs.search.normalize import init_jieba
    from fupin_docs.search.backend import Filters
    from fupin_docs.search.query import parse_query
    init_jieba()
    docs = build_corpus(args.docs)
    chars = sum(len(d) for d in docs)
    print(f"语料：{len(docs)} 篇，平均 {chars / len(docs):.0f} 字（种子文本转简体后切片）", flush=True)
    work = Path(tempfile.mkdtemp(prefix="fupin-bench-"))
    try:
        from fupin_docs.search.whoosh_backend import WhooshBackend
        base_s = base_mem = None
        if not args.skip_baseline:
            (work / "baseline").mkdir()
            base_s, base_mem, _, base_cpu = measured(run_baseline, docs, work / "baseline")
            print(f"基线建索引：{base_s:.1f} 秒", flush=True)
        ours_s, ours_mem, workers_mem, ours_cpu = measured(run_fupin, docs, work / "fupin", args.procs,
                                                args.limitmb or WhooshBackend(work).limitmb)
        print(f"fupin 建索引：{ours_s:.1f} 秒", flush=True)
        variants = []
        if args.variants:
            import bench.search_index as me  # classes pickled by their importable name
            for layout in ("words+bi", "merged"):
                seconds, _, vmem, vcpu = measured(me.run_layout, layout, docs, work / layout, args.procs,
                                                  args.limitmb or WhooshBackend(work).limitmb)
                variants.append((layout, seconds, vmem, vcpu))
                print(f"{layout} 建索引：{seconds:.1f} 秒", flush=True)
        backend = WhooshBackend(work / "fupin")

        filters = Filters()
        ours_times, ours_counts = time_queries(
            lambda q: len(backend.query(parse_query(q), filters, 20)), args.rounds)
        base_times = None
        if base_s is not None:
            from whoosh import index
            from whoosh.qparser import QueryParser
            ix = index.open_dir(str(work / "baseline"))
            searcher = ix.searcher()
            qparser = QueryParser("content", ix.schema)

            def base_query(q):
                results = searcher.search(qparser.parse(q), limit=20)
                for hit in results:
                    hit.highlights("content")
                return len(results)
            base_times, _ = time_queries(base_query, args.rounds)
            searcher.close()

        self_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        ours_rate = len(docs) / ours_s
        print()
        print("| 指标 | 基线 (ChineseAnalyzer, 单进程) | fupin | 目标 |")
        print("|---|---|---|---|")
        if base_s is not None:
            base_rate = len(docs) / base_s
            print(f"| 建索引 文档/秒 | {base_rate:.0f} | {ours_rate:.0f}（{ours_rate / base_rate:.2f}×）| ≥ 3× 基线 |")
            print(f"| 建索引 用时 | {base_s:.1f} s | {ours_s:.1f} s | |")
            print(f"| 建索引 CPU 时间（含工作进程） | {base_cpu:.1f} s | {ours_cpu:.1f} s（{base_cpu / ours_cpu:.2f}× 省）| |")
        else:
            print(f"| 建索引 文档/秒 | — | {ours_rate:.0f} | |")
        for layout, seconds, vmem, vcpu in variants:
            rate = len(docs) / seconds
            vs = f"（{rate / base_rate:.2f}×）" if base_s is not None else ""
            print(f"| 建索引 {layout} 文档/秒 · CPU | | {rate:.0f}{vs} · {vcpu:.1f} s，工作进程 ≤ {vmem:.0f} MB | 对照 |")
        print(f"| 机器负载（1 分钟平均，结束时） | {os.getloadavg()[0]:.2f} | | 其他进程会拉低并行的 fupin |")
        bm = f"{statistics.median(base_times):.1f} ms" if base_times else "—"
        bp = f"{percentile(base_times, 95):.1f} ms" if base_times else "—"
        print(f"| 查询 中位数 | {bm} | {statistics.median(ours_times):.1f} ms | ≤ 30 ms |")
        print(f"| 查询 p95 | {bp} | {percentile(ours_times, 95):.1f} ms | ≤ 100 ms |")
        print(f"| 查询 最慢 | | {max(ours_times):.1f} ms | |")
        bmem = f"{base_mem:.0f} MB" if base_mem else "—"
        print(f"| 建索引峰值内存 | {bmem} | 主进程 {ours_mem:.0f} MB，每个工作进程 ≤ {workers_mem:.0f} MB | ≤ 500 MB |")
        print(f"| 查询进程峰值内存 | | {self_mb:.0f} MB（含两套索引的查询与语料） | ≤ 500 MB |")
        print()
        print("每个查询的命中数（前 20 条以内）：" + "，".join(f"{q} {n}" for q, n in ours_counts.items()))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
