"""Benchmark: an evidence pack of 200 archive items, with its 目录, without --merge.

    .venv/bin/python -m bench.pack_build [--items 200] [--runs 3] [--merge]

Builds a 200-item archive in a temporary workspace (set-up, not timed):
a quarter each of multi-page PDFs, .docx with a PDF rendition, ~1 MB JPEG
photos and .txt sign-in sheets. Then times `build_pack` (selection by 档号,
copy + hash, 目录 PDF, BagIt 1.0 bag, zip) and one `fupin pack` run in a new
process (start-up included). Goal (issue 5): ≤ 20 s for 200 items.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _base_pdf() -> bytes:
    from weasyprint import HTML

    pages = "".join(f'<p style="break-before: page">第{i}页：危房改造回头看工作情况。' + "入户核查，逐户建档。" * 40 + "</p>"
                    for i in range(1, 4))
    return HTML(string=f'<html><body style="font-family: FandolFang">{pages}</body></html>').write_pdf()


def _pdf_variant(base: bytes, n: int) -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(base)))
    writer.add_metadata({"/Title": f"材料{n}"})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _photo(n: int, rng: random.Random) -> bytes:
    from PIL import Image

    image = Image.frombytes("RGB", (800, 600), rng.randbytes(800 * 600 * 3))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


def make_archive(root: Path, count: int):
    from docx import Document

    from fupin_docs.archive import Archive
    from fupin_docs.workspace.config import open_workspace

    (root / "fupin.toml").write_text('[office]\nname = "三星镇人民政府"\n', encoding="utf-8")
    ws = open_workspace(root)
    archive = Archive(ws)
    src = root / "src"
    src.mkdir()
    rng = random.Random(12)
    base = _base_pdf()
    nos = []
    for n in range(count):
        kind = n % 4
        date = f"2020-{1 + n % 12:02d}-{1 + n % 28:02d}"
        renditions = []
        if kind == 0:
            path = src / f"通知{n}.pdf"
            path.write_bytes(_pdf_variant(base, n))
            title = f"关于开展危房改造回头看工作的通知（第{n}号）"
        elif kind == 1:
            path = src / f"纪要{n}.docx"
            doc = Document()
            for i in range(30):
                doc.add_paragraph(f"第{n}次推进会纪要第{i}段：会议研究了危房改造和饮水安全问题整改。")
            doc.save(path)
            rendition = src / f"纪要{n}.pdf"
            rendition.write_bytes(_pdf_variant(base, 10_000 + n))
            renditions = [rendition]
            title = f"危房改造推进会会议纪要（第{n}次）"
        elif kind == 2:
            path = src / f"现场{n}.jpg"
            path.write_bytes(_photo(n, rng))
            title = f"三星村第{n}户危房改造现场照片"
        else:
            path = src / f"签到{n}.txt"
            path.write_text("签到册\n" + "、".join(f"村民{i}" for i in range(60)) + f"\n{n}\n", encoding="utf-8")
            title = f"推进会签到册（第{n}次）"
        result = archive.add(path, title=title, date=date, renditions=renditions,
                             doc_number=f"三政发〔2020〕{n}号" if kind == 0 else None)
        nos.append(result.item.archive_no)
    return ws, nos


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--merge", action="store_true", help="also time --merge")
    args = parser.parse_args(argv)

    from fupin_docs.pack import Selection, build_pack

    with tempfile.TemporaryDirectory(prefix="bench-pack-") as tmp:
        root = Path(tmp) / "ws"
        root.mkdir()
        t0 = time.perf_counter()
        ws, nos = make_archive(root, args.items)
        print(f"set-up: {args.items}-item archive in {time.perf_counter() - t0:.1f} s")
        selection = Selection(ids=tuple(nos))
        cases = [("api", False)] + ([("api-merge", True)] if args.merge else [])
        rows = []
        for label, merge in cases:
            times = []
            for run in range(args.runs):
                target = Path(tmp) / f"{label}-{run}.zip"
                result = build_pack(ws, selection, target, purpose="基准测试", merge=merge)
                times.append(result.seconds)
            size = target.stat().st_size / 1048576
            rows.append((label, times, f"{result.file_count} files, zip {size:.1f} MB"))
        cmd = [sys.executable, "-m", "fupin_docs.cli.main", "--workspace", str(root), "pack",
               *[a for no in nos for a in ("--id", no)], "-o", str(Path(tmp) / "cli.zip")]
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True, env={**os.environ})
        rows.append(("cli", [time.perf_counter() - t0], "new process, start-up included"))

    print(f"\n{'case':<10} {'median':>8} {'min':>8} {'max':>8}  notes")
    for label, times, note in rows:
        print(f"{label:<10} {statistics.median(times):>7.2f}s {min(times):>7.2f}s {max(times):>7.2f}s  {note}")
    worst = max(statistics.median(times) for label, times, _ in rows if label != "api-merge")
    print(f"\ngoal ≤ 20 s for {args.items} items: {'met' if worst <= 20 else 'NOT met'} ({worst:.2f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
