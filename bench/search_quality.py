"""Search quality on judged queries (issue 10): fupin beside a naive Whoosh + jieba index.

    .venv/bin/python -m bench.search_quality [--queries N] [--show-misses]

The judged set is tests/data/judged/judgments.json: 33 documents (the 12 corpus
texts, the seed text as one Traditional-script document, 20 township documents
written for the set, 5 of them in Traditional script) and 49 queries
(two-character words, 4–8 character phrases, two-term queries, Traditional
script, 发文字号, 档号, names of villages and people), each with the documents
judged relevant by reading them, graded 2 (about it) or 1 (speaks of it), and
why. The criterion is written in the file.

Every document is filed into a real archive in a temporary workspace (title,
kind, unit, date, 发文字号 as the file says) and indexed by fupin; the same
documents go into a naive index built in the same run: Whoosh, one TEXT field
(title, text and the same metadata) with jieba's ChineseAnalyzer, OpenCC t2s on
documents and queries so both scripts work there too, Whoosh's QueryParser
(terms ANDed) and BM25F. Three runs, side by side:

  naive     the naive index, top 20
  fupin     fupin's search(): every as-typed match first, then words-apart ones
  as-typed  fupin's search(as_typed=True): what an evidence pack takes

Figures, averaged over the queries (R = the number of relevant documents):
  recall@20      relevant documents in the top 20 / R
  R-precision    relevant documents in the top R / R
  precision@20   relevant documents among the hits shown (at most 20) / hits shown
                 (a query with no hits: 0)
  nDCG@10        graded (gain 2^grade − 1), ideal order from the judgments
Goals (issue 10): as-typed R-precision ≥ 0.97 and precision@20 ≥ 0.9.
Query time on 33 documents is printed for the record; the speed goal is
bench/search_index's (10,000 documents).
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "tests" / "data"
JUDGMENTS = DATA / "judged" / "judgments.json"
TOP = 20


def load() -> dict:
    if not JUDGMENTS.is_file():
        sys.exit(f"找不到评测集：{JUDGMENTS}")
    return json.loads(JUDGMENTS.read_text(encoding="utf-8"))


def file_documents(root: Path, documents: list[dict]) -> tuple[object, dict]:
    """A workspace in ROOT with every judged document filed; returns (workspace, {key: 档号})."""
    from fupin_docs.archive import Archive
    from fupin_docs.search import rebuild_index
    from fupin_docs.workspace import init_workspace, open_workspace

    init_workspace(root, with_examples=False)
    ws = open_workspace(root)
    archive = Archive(ws)
    numbers = {}
    for doc in documents:
        item = archive.add(DATA / doc["path"], title=doc["title"], kind=doc["kind"] or None,
                           unit=doc["unit"] or None, date=doc["date"], doc_number=doc["doc_number"] or None).item
        numbers[doc["key"]] = item.archive_no
    rebuild_index(ws)
    return ws, numbers


class Naive:
    """The naive way: Whoosh + jieba's ChineseAnalyzer over one field, QueryParser, BM25F."""

    def __init__(self, directory: Path, ws, numbers: dict):
        import jieba
        from jieba.analyse import ChineseAnalyzer
        from whoosh import index
        from whoosh.fields import ID, TEXT, Schema
        from whoosh.qparser import QueryParser

        from fupin_docs.archive import Archive
        from fupin_docs.archive.extract import extract_text
        from fupin_docs.search.normalize import to_simplified

        jieba.setLogLevel(logging.WARNING)
        self.t2s = to_simplified
        schema = Schema(key=ID(stored=True, unique=True), content=TEXT(analyzer=ChineseAnalyzer()))
        directory.mkdir()
        ix = index.create_in(str(directory), schema)
        writer = ix.writer()
        archive = Archive(ws)
        keys = {no: key for key, no in numbers.items()}
        for item in archive.items():
            text = extract_text(archive.file_path(item), item.file_name)
            meta = " ".join(v for v in (item.archive_no, item.doc_number, item.unit, item.kind) if v)
            writer.add_document(key=keys[item.archive_no], content=self.t2s(f"{item.title}\n{text}\n{meta}"))
        writer.commit()
        self.searcher = ix.searcher()
        self.parser = QueryParser("content", schema)

    def __call__(self, query: str) -> list[str]:
        results = self.searcher.search(self.parser.parse(self.t2s(query)), limit=TOP)
        return [hit["key"] for hit in results]


def metrics(ranked: list[str], relevant: dict) -> dict:
    grades = {key: value["grade"] for key, value in relevant.items()}
    r = len(grades)
    top = ranked[:TOP]
    found = sum(1 for key in top if key in grades)
    dcg = sum((2 ** grades.get(key, 0) - 1) / math.log2(i + 2) for i, key in enumerate(ranked[:10]))
    ideal = sorted(grades.values(), reverse=True)[:10]
    idcg = sum((2 ** g - 1) / math.log2(i + 2) for i, g in enumerate(ideal))
    return {"recall@20": found / r,
            "R-precision": sum(1 for key in ranked[:r] if key in grades) / r,
            "precision@20": found / len(top) if top else 0.0,
            "nDCG@10": dcg / idcg if idcg else 0.0}


NAMES = ("recall@20", "R-precision", "precision@20", "nDCG@10")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="检索质量基准：评测查询集上的召回率与准确率，与朴素 Whoosh + jieba 对照")
    parser.add_argument("--queries", type=int, default=None, help="只跑前 N 个查询（冒烟测试用）")
    parser.add_argument("--show-misses", action="store_true", help="列出每个未满分查询的排序")
    args = parser.parse_args(argv)

    from fupin_docs.search import search

    data = load()
    queries = data["queries"][:args.queries] if args.queries else data["queries"]
    work = Path(tempfile.mkdtemp(prefix="fupin-quality-"))
    try:
        ws, numbers = file_documents(work / "ws", data["documents"])
        keys = {no: key for key, no in numbers.items()}
        naive = Naive(work / "naive", ws, numbers)

        def resolve(query: str) -> str:
            return numbers[query[1:]] if query.startswith("@") else query  # @KEY: that document's 档号

        runs = {
            "naive": lambda q: naive(resolve(q)),
            "fupin": lambda q: [keys[h.archive_no] for h in search(ws, resolve(q), limit=TOP)],
            "as-typed": lambda q: [keys[h.archive_no] for h in search(ws, resolve(q), limit=TOP, as_typed=True)],
        }
        for run in runs.values():  # warm-up: jieba's dictionary, the searchers
            run(queries[0]["query"])
        results: dict = {name: [] for name in runs}
        times: dict = {name: [] for name in runs}
        misses = []
        for query in queries:
            for name, run in runs.items():
                start = time.perf_counter()
                ranked = run(query["query"])
                times[name].append((time.perf_counter() - start) * 1000)
                scores = metrics(ranked, query["relevant"])
                results[name].append(scores)
                if name != "naive" and scores["R-precision"] < 1:
                    misses.append((name, query, ranked))

        print(f"评测集：{len(data['documents'])} 件文档，{len(queries)} 个查询（{JUDGMENTS.relative_to(DATA.parents[1])}）")
        print()
        print("| 指标 | " + " | ".join(runs) + " | 目标（as-typed） |")
        print("|---|" + "---:|" * len(runs) + "---|")
        goals = {"R-precision": "≥ 0.97", "precision@20": "≥ 0.9"}
        means = {}
        for metric in NAMES:
            row = []
            for name in runs:
                value = statistics.mean(s[metric] for s in results[name])
                means[(name, metric)] = value
                row.append(f"{value:.3f}")
            print(f"| {metric} | " + " | ".join(row) + f" | {goals.get(metric, '')} |")
        row = [f"{statistics.median(times[name]):.1f} / {max(times[name]):.1f}" for name in runs]
        print("| 查询 ms 中位数 / 最慢 | " + " | ".join(row) + " | |")
        print()
        by_cat: dict = {}
        for query, scores in zip(queries, results["as-typed"]):
            by_cat.setdefault(query["category"], []).append(scores["R-precision"])
        print("as-typed 各类查询的 R-precision：" + "，".join(
            f"{cat} {statistics.mean(v):.2f}（{len(v)}）" for cat, v in by_cat.items()))
        for metric, goal in (("R-precision", 0.97), ("precision@20", 0.9)):
            value = means[("as-typed", metric)]
            print(f"目标 as-typed {metric} ≥ {goal}：{value:.3f}，{'达到' if value >= goal else 'NOT met'}")
        if misses:
            print()
            print("R-precision 未满分的查询（排序中 * 为相关）：" if args.show_misses else
                  f"R-precision 未满分的查询 {len(misses)} 个（--show-misses 列出）：")
            for name, query, ranked in misses:
                shown = " ".join(k + ("*" if k in query["relevant"] else "") for k in ranked[:12])
                if args.show_misses:
                    print(f"  [{name}] {query['id']} {query['query']}（R={len(query['relevant'])}）：{shown}")
                else:
                    print(f"  [{name}] {query['id']} {query['query']}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
