"""A 整改报告 that points at the ledger: table and counts come from 问题台账."""

from __future__ import annotations

import importlib.util
import subprocess
from pathlib import Path

import docx
from click.testing import CliRunner

from fupin_docs.cli.main import cli
from fupin_docs.workspace import init_workspace

ROOT = Path(__file__).resolve().parents[1]

REPORT = """类型: 整改报告
标题: 关于“回头看”排查问题整改情况的报告
成文日期: 2020-07-10
问题来源: 自查
签发人: 李明华
主送机关: 县扶贫开发领导小组
导语: 现将“回头看”排查发现问题整改情况报告如下：
台账:
  村: {village}
下一步工作: 对未完成整改的问题实行挂牌督办。
"""


def make_sheet(path: Path) -> None:
    spec = importlib.util.spec_from_file_location("make_check_sheet", ROOT / "scripts" / "make_check_sheet.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.make_check_sheet(path)


def run(ws, *args):
    result = CliRunner().invoke(cli, ["--workspace", str(ws), *map(str, args)], catch_exceptions=False)
    return result


def test_report_from_the_ledger_lists_its_problems_and_counts(tmp_path):
    ws = tmp_path / "ws"
    init_workspace(ws, with_examples=False)
    sheet = tmp_path / "排查表.xlsx"
    make_sheet(sheet)
    assert run(ws, "ledger", "import-check", sheet, "--date", "2020-06-08").exit_code == 0
    import json

    problems = json.loads(run(ws, "ledger", "list", "--json").output)
    village = problems[0]["村"]
    mine = [p for p in problems if p["村"] == village]
    # close one with archived evidence, so the report shows a 销号
    photo = tmp_path / "整改后照片.txt"
    photo.write_text("整改后照片说明", encoding="utf-8")
    added = json.loads(run(ws, "archive", "add", photo, "--kind", "照片", "--title", "整改后照片",
                           "--date", "2020-06-20", "--json").output)
    archive_no = added[0]["archive_no"] if isinstance(added, list) else added["archive_no"]
    closed = run(ws, "ledger", "close", mine[0]["id"], "--evidence", archive_no, "--date", "2020-06-25")
    assert closed.exit_code == 0, closed.output

    source = tmp_path / "report.yaml"
    source.write_text(REPORT.format(village=village), encoding="utf-8")
    result = run(ws, "render", source, "-f", "docx,pdf", "-o", tmp_path / "out")
    assert result.exit_code == 0, result.output

    document = docx.Document(str(tmp_path / "out" / "report.docx"))
    [table] = [t for t in document.tables if t.rows[0].cells[0].text == "序号"]
    assert len(table.rows) == 1 + len(mine)
    statuses = [row.cells[-1].text for row in table.rows[1:]]
    assert statuses.count("已销号") == 1
    body = "".join(p.text for p in document.paragraphs)
    assert f"自查共指出问题{len(mine)}个，已完成整改1个（其中已销号1个）" in body
    pdf = subprocess.run(["pdftotext", "-raw", str(tmp_path / "out" / "report.pdf"), "-"],
                         capture_output=True, text=True, check=True).stdout
    assert f"自查共指出问题{len(mine)}个" in pdf.replace("\n", "")


def test_report_counts_only_its_own_source_and_an_empty_selection_is_located(tmp_path):
    ws = tmp_path / "ws"
    init_workspace(ws, with_examples=False)
    sheet = tmp_path / "排查表.xlsx"
    make_sheet(sheet)
    assert run(ws, "ledger", "import-check", sheet, "--date", "2020-06-08").exit_code == 0  # all 自查
    import json

    village = json.loads(run(ws, "ledger", "list", "--json").output)[0]["村"]
    source = tmp_path / "省考.yaml"
    source.write_text(REPORT.format(village=village).replace("问题来源: 自查", "问题来源: 省考反馈"), encoding="utf-8")
    result = run(ws, "render", source, "-f", "docx", "-o", tmp_path / "out")
    assert result.exit_code == 1
    assert f"{source}:8:1: 问题台账中没有符合条件（村={village}，问题来源=省考反馈）的问题" in result.output
    assert not (tmp_path / "out").exists()
    # an explicit 问题来源 in the filter is used as written
    source.write_text(REPORT.format(village=village).replace("问题来源: 自查", "问题来源: 省考反馈")
                      .replace(f"  村: {village}", f"  村: {village}\n  问题来源: 自查"), encoding="utf-8")
    assert run(ws, "render", source, "-f", "docx", "-o", tmp_path / "out").exit_code == 0


def test_bad_status_in_the_ledger_filter_is_caught_by_validate(tmp_path):
    source = tmp_path / "r.yaml"
    source.write_text(REPORT.format(village="三星村").replace("  村: 三星村", "  整改状态: 已完成"), encoding="utf-8")
    result = CliRunner().invoke(cli, ["validate", str(source)])
    assert result.exit_code == 1
    assert f"{source}:9:9: 整改状态“已完成”不是允许的值" in result.output
