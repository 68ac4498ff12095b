"""销号 with real archived evidence: the archive decides what counts as evidence."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import Workbook

from fupin_docs.archive import Archive
from fupin_docs.cli.main import cli
from fupin_docs.ledger import (LedgerError, close_problem, import_check_sheet,
                               load_ledger, set_fields, summarize)
from conftest import BACKENDS, workspace_on
from fupin_docs.ledger.store import read_history

HEADER = ["村", "户编号", "户主姓名", "家庭收入", "基本生活", "义务教育", "基本医疗", "住房安全", "饮水安全", "备注"]


def ledger_state(ws) -> tuple:
    """What the ledger holds and says happened, on either backend."""
    return [p.to_record() for p in load_ledger(ws)], read_history(ws)


@pytest.fixture(params=BACKENDS)
def ws(tmp_path, request):
    """Every test here runs on the ledger files and on the county database."""
    ws = workspace_on(request.param, tmp_path / "ws", request)
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADER)
    sheet.append(["东风村", "001", "王一", "达标", "达标", "达标", "达标", "不达标", "达标", "墙体开裂，疑似危房"])
    sheet.append(["红旗村", "002", "李二", "达标", "达标", "达标", "达标", "达标", "不达标", "饮用露天塘水"])
    workbook.save(tmp_path / "排查表.xlsx")
    import_check_sheet(ws, tmp_path / "排查表.xlsx", date=dt.date(2020, 6, 8), deadline="2020-06-30")
    return ws


def archived(ws, tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    result = Archive(ws).add(path, title=path.stem, unit="东风村", date="2020-06-20")
    assert result.created
    return result.item.archive_no


def test_close_with_archived_evidence(ws, tmp_path):
    report = archived(ws, tmp_path, "王一户住房安全鉴定报告.txt", "经鉴定，王一户住房为C级，已完成加固改造。")
    photo = archived(ws, tmp_path, "王一户改造后照片说明.txt", "改造后房屋照片三张。")
    problem, items = close_problem(ws, "WT-2020-0001", [report, photo.lower()], date=dt.date(2020, 6, 25), who="张三")
    assert [i.archive_no for i in items] == [report, photo]
    assert items[0].title == "王一户住房安全鉴定报告"
    stored = load_ledger(ws).get("WT-2020-0001")
    assert (stored.status, stored.closed_on, stored.evidence) == ("已销号", dt.date(2020, 6, 25), [report, photo])
    # The ledger history and the archive's audit log both record the 销号.
    entries = read_history(ws)
    closing = [(e["字段"], e["原值"], e["新值"]) for e in entries if e["操作"] == "销号"]
    assert closing == [("整改状态", "未整改", "已销号"), ("销号日期", None, "2020-06-25"),
                       ("佐证材料", [], [report, photo])]
    events = [e for e in Archive(ws).events() if e.get("action") == "ledger.close"]
    assert len(events) == 1 and events[0]["detail"]["问题编号"] == "WT-2020-0001"
    assert events[0]["detail"]["佐证材料"] == [report, photo]
    figures = summarize(load_ledger(ws), today=dt.date(2020, 7, 1))
    assert figures["by_status"]["已销号"] == 1 and figures["rate"] == 0.5 and figures["overdue"] == 1


def test_close_is_refused_without_good_evidence(ws, tmp_path):
    good = archived(ws, tmp_path, "证明.txt", "已通自来水。")
    before = ledger_state(ws)
    with pytest.raises(LedgerError, match="至少附一件佐证材料"):
        close_problem(ws, "WT-2020-0002", [])
    with pytest.raises(LedgerError, match="档案中没有 Z001·WS·2020·D30·9999"):
        close_problem(ws, "WT-2020-0002", [good, "Z001·WS·2020·D30·9999"])
    withdrawn = archived(ws, tmp_path, "错误材料.txt", "传错的文件。")
    Archive(ws).withdraw(withdrawn, "传错文件")
    with pytest.raises(LedgerError, match="已撤回"):
        close_problem(ws, "WT-2020-0002", [withdrawn])
    with pytest.raises(LedgerError, match="没有问题编号“WT-2020-0099”"):
        close_problem(ws, "WT-2020-0099", [good])
    assert ledger_state(ws) == before
    close_problem(ws, "WT-2020-0002", [good], date=dt.date(2020, 6, 28))
    with pytest.raises(LedgerError, match="已于 2020-06-28 销号，不能重复销号"):
        close_problem(ws, "WT-2020-0002", [good])


def test_reopen_then_close_again(ws, tmp_path):
    first = archived(ws, tmp_path, "第一次.txt", "第一次整改材料。")
    close_problem(ws, "WT-2020-0001", [first], date=dt.date(2020, 6, 20))
    problem, changed = set_fields(ws, "WT-2020-0001", status="整改中")
    assert changed == ["整改状态", "销号日期"] and problem.closed_on is None and problem.evidence == [first]
    second = archived(ws, tmp_path, "回头看.txt", "回头看后补充加固。")
    problem, _ = close_problem(ws, "WT-2020-0001", [second], date=dt.date(2020, 7, 10))
    assert problem.evidence == [first, second] and problem.closed_on == dt.date(2020, 7, 10)


def test_cli_close(ws, tmp_path):
    good = archived(ws, tmp_path, "饮水证明.txt", "已通自来水，水质检测合格。")
    runner = CliRunner()
    base = ["--workspace", str(ws.root), "ledger"]
    unknown = runner.invoke(cli, base + ["close", "WT-2020-0002", "--evidence", "Z001·WS·2020·D30·0404"])
    assert unknown.exit_code == 1 and "档案中没有" in unknown.stderr
    done = runner.invoke(cli, base + ["close", "WT-2020-0002", "--evidence", good, "--date", "2020-06-29"])
    assert done.exit_code == 0, done.output
    assert "已于 2020-06-29 销号" in done.stdout and good in done.stdout
    twice = runner.invoke(cli, base + ["close", "WT-2020-0002", "--evidence", good])
    assert twice.exit_code == 1 and "不能重复销号" in twice.stderr
    shown = json.loads(runner.invoke(cli, base + ["show", "WT-2020-0002", "--json"]).stdout)
    assert shown["整改状态"] == "已销号" and shown["销号日期"] == "2020-06-29" and shown["佐证材料"] == [good]
    assert any(r["操作"] == "销号" for r in shown["变更记录"])
    withdrawn = runner.invoke(cli, ["--workspace", str(ws.root), "archive", "withdraw", good, "--reason", "误归档"])
    assert withdrawn.exit_code == 0
    assert "是台账问题 WT-2020-0002 的销号佐证材料" in withdrawn.stderr


def test_close_date_after_today_is_refused(ws, tmp_path):
    good = archived(ws, tmp_path, "饮水证明.txt", "已通自来水，水质检测合格。")
    before = ledger_state(ws)
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    with pytest.raises(LedgerError, match="晚于今天"):
        close_problem(ws, "WT-2020-0002", [good], date=tomorrow)
    runner = CliRunner()
    base = ["--workspace", str(ws.root), "ledger", "close", "WT-2020-0002", "--evidence", good]
    future = runner.invoke(cli, base + ["--date", "2030-01-01"])
    assert future.exit_code == 1
    assert "销号日期 2030-01-01 晚于今天" in future.stderr and "--date" in future.stderr
    assert ledger_state(ws) == before
    assert load_ledger(ws).get("WT-2020-0002").status == "未整改"
    # today itself is fine, and so is the Chinese form of a date
    today = dt.date.today()
    done = runner.invoke(cli, base + ["--date", f"{today.year}年{today.month}月{today.day}日"])
    assert done.exit_code == 0, done.output
    assert load_ledger(ws).get("WT-2020-0002").closed_on == today


@pytest.mark.parametrize("args", [
    ["close", "WT-2020-0002", "--evidence", "X", "--date", "2020-02-30"],
    ["import-check", "排查表.xlsx", "--date", "2020-02-30"],
    ["list", "--today", "2020-02-30"],
    ["show", "WT-2020-0002", "--today", "2020-02-30"],
    ["summary", "--today", "2020-02-30"],
    ["export", "x.xlsx", "--today", "2020-02-30"],
    ["set", "WT-2020-0002", "--deadline", "2020-02-30"],
    ["import-check", "排查表.xlsx", "--deadline", "2020-02-30"],
])
def test_every_impossible_date_is_an_input_error(ws, tmp_path, args):
    """A mistyped date is the clerk's input (exit 1, parse_date's words), never a usage error (exit 2)."""
    args = [str(tmp_path / a) if a.endswith(".xlsx") else a for a in args]
    before = ledger_state(ws)
    result = CliRunner().invoke(cli, ["--workspace", str(ws.root), "ledger", *args])
    assert result.exit_code == 1, result.output
    assert "日期“2020-02-30”不存在（2020年2月没有30日），请核对" in result.stderr
    assert "取值不对" not in result.stderr and "用法" not in result.stderr
    assert ledger_state(ws) == before
    assert not (tmp_path / "x.xlsx").exists()
