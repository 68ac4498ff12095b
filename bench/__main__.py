"""Run every benchmark in turn: `python -m bench` (or `make bench`).

Each benchmark is its own module (`python -m bench.NAME`) and prints its own
table of medians and ratios; see bench/README.md for what each measures.
"""

from __future__ import annotations

import subprocess
import sys

BENCHMARKS = ("startup", "serve_load", "pdf_render", "search_index", "search_quality", "pack_build", "ledger_import")


def main(argv: list[str]) -> int:
    names = argv or list(BENCHMARKS)
    failed = []
    for name in names:
        print(f"\n=== bench.{name} ===", flush=True)
        if subprocess.call([sys.executable, "-m", f"bench.{name}"]) != 0:
            failed.append(name)
    if failed:
        print(f"\n失败的基准测试：{', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
