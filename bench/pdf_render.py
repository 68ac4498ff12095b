"""PDF rendering speed: `python -m bench.pdf_render [--runs N] [--batch N]`.

Measures, in one process:
  1. the example plan (examples/plan-*.yaml, about 8–10 pages): one warm-up,
     then the median of N renders (goal ≤ 0.5 s);
  2. a batch of documents (default 100, the four examples in turn) on both
     cores with a progress line on stderr, wall time and per document;
  3. peak resident memory of this process and of the batch workers (goal ≤ 400 MB);
  4. beside it, the same plan written as .docx by the DOCX renderer and
     converted by `soffice --headless --convert-to pdf` (median of 3).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from fupin_docs.compose import compose
from fupin_docs.inputs import load_document
from fupin_docs.render.pdf import render_pdf, render_pdfs
from fupin_docs.workspace.config import Config

ROOT = Path(__file__).resolve().parents[1]


def _examples() -> list[Path]:
    return sorted((ROOT / "examples").glob("*.yaml"))


def _max_rss_mb(who) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # Linux: KiB


def bench_single(doc, config, runs: int, out: Path) -> tuple[float, list[float], int]:
    target = out / "plan.pdf"
    result = render_pdf(doc, target, config=config)  # warm-up: fonts, cmaps, CSS
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        render_pdf(doc, target, config=config)
        times.append(time.perf_counter() - start)
    return statistics.median(times), times, result.pages


def _progress_line(done: int, total: int) -> None:
    """render_pdfs progress: one overwritten line on stderr."""
    print(f"\r正在生成 PDF {done}/{total}", end="\n" if done == total else "", file=sys.stderr, flush=True)


def bench_batch(docs, config, count: int, out: Path, jobs: int) -> tuple[float, int]:
    items = [(docs[i % len(docs)], out / "batch" / f"{i:03d}.pdf") for i in range(count)]
    start = time.perf_counter()
    results = render_pdfs(items, config=config, jobs=jobs, progress=_progress_line)
    elapsed = time.perf_counter() - start
    return elapsed, sum(r.pages for r in results)


def bench_soffice(doc, config, out: Path, runs: int = 3) -> str:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice:
        return "未安装 LibreOffice（soffice），跳过"
    try:
        from fupin_docs.render.docx import render_docx
    except ImportError:
        return "DOCX 渲染器尚未就绪（pending）"
    docx_path = out / "plan.docx"
    render_docx(doc, docx_path, config=config)
    profile = out / "lo-profile"
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([soffice, f"-env:UserInstallation=file://{profile}", "--headless",
                        "--convert-to", "pdf", "--outdir", str(out / "soffice"), str(docx_path)],
                       check=True, capture_output=True, timeout=300)
        times.append(time.perf_counter() - start)
    pdf = out / "soffice" / "plan.pdf"
    pages = "?"
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    for line in info.splitlines():
        if line.startswith("Pages:"):
            pages = line.split()[1]
    return (f"median {statistics.median(times):.2f} s ({pages} 页；每次启动 soffice，"
            f"含首次 {times[0]:.2f} s)")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--no-soffice", action="store_true")
    args = parser.parse_args(argv)

    config = Config()
    examples = _examples()
    plan_file = next((p for p in examples if p.name.startswith("plan")), None)
    if plan_file is None:
        print("examples/plan*.yaml 不存在", file=sys.stderr)
        return 1
    plan = compose(load_document(plan_file), config)
    docs = [compose(load_document(p), config) for p in examples]

    with tempfile.TemporaryDirectory(prefix="bench-pdf-") as tmp:
        out = Path(tmp)
        median, times, pages = bench_single(plan, config, args.runs, out)
        single_rss = _max_rss_mb(resource.RUSAGE_SELF)
        print(f"plan example: {pages} pages; median {median:.3f} s over {args.runs} runs "
              f"(min {min(times):.3f}, max {max(times):.3f}); goal ≤ 0.5 s per 8 pages "
              f"→ {median / pages * 8:.3f} s per 8 pages")
        elapsed, total_pages = bench_batch(docs, config, args.batch, out, args.jobs)
        print(f"batch: {args.batch} documents ({total_pages} pages) on {args.jobs} processes in "
              f"{elapsed:.2f} s → {elapsed / args.batch:.3f} s per document")
        print(f"peak RSS: main process {single_rss:.0f} MB; largest batch worker "
              f"{_max_rss_mb(resource.RUSAGE_CHILDREN):.0f} MB (goal ≤ 400 MB)")
        if not args.no_soffice:
            print(f"same plan via DOCX + soffice --headless --convert-to pdf: {bench_soffice(plan, config, out)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
