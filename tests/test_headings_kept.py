"""A heading never ends a page (GB/T 9704 practice: a heading stays with the
first lines under it), on a real multi-paragraph notice whose 督查组 headings
fall near page ends: a (三) heading once ended page 3 of the PDF alone while its
组长/成员/督查范围 lines went over to page 4."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import make_workspace
from fupin_docs.cli.main import cli

pytestmark = pytest.mark.storage_free  # renders or reads inputs only: the county pass leaves it out

DATA = Path(__file__).resolve().parent / "data"
LEVEL_HEADING = re.compile(r"^[（(][一二三四五六七八九十]+[）)]\S{1,20}$|^[一二三四五六七八九十]+、\S{1,20}$")


def page_last_lines(pdf: Path) -> list[str]:
    pages = int(re.search(r"Pages:\s+(\d+)", subprocess.run(["pdfinfo", str(pdf)], capture_output=True,
                                                             text=True, check=True).stdout)[1])
    last = []
    for page in range(1, pages + 1):
        text = subprocess.run(["pdftotext", "-f", str(page), "-l", str(page), "-layout", str(pdf), "-"],
                              capture_output=True, text=True, check=True).stdout
        lines = [line.strip() for line in text.splitlines() if line.strip() and "—" not in line]
        last.append(lines[-1] if lines else "")
    return last


def test_no_page_of_a_many_group_notice_ends_with_a_heading(tmp_path):
    ws = make_workspace(tmp_path / "ws")
    result = CliRunner().invoke(cli, ["--workspace", str(ws.root), "render", str(DATA / "notice_seven_groups.yaml"),
                                      "-f", "pdf", "-o", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    last = page_last_lines(tmp_path / "out" / "notice_seven_groups.pdf")
    assert len(last) >= 3
    assert not [line for line in last[:-1] if LEVEL_HEADING.match(line)], last
