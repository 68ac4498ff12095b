"""Problem ledger (问题台账): check-sheet import, errors, set/history, overdue, summary, xlsx."""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from fupin_docs.cli.main import cli
from fupin_docs.inputs.models import LedgerFilter, ProblemItem
from fupin_docs.inputs.problems import InputError
from fupin_docs.ledger import (LedgerError, export_ledger, import_check_sheet, import_ledger, ledger_path,
                               load_ledger, select_problems, select_summary, set_fields, summarize)
from fupin_docs.ledger.store import read_history
from fupin_docs.ledger.xlsx import HEADER
from conftest import ledger_state, make_workspace, write_workbook

ROOT = Path(__file__).resolve().parents[1]
CHECK_DATE = dt.date(2020, 6, 8)
HEADER_ROW = ["村", "户编号", "户主姓名", "家庭收入", "基本生活", "义务教育", "基本医疗", "住房安全", "饮水安全", "备注"]


def _generator():
    spec = importlib.util.spec_from_file_location("make_check_sheet", ROOT / "scripts" / "make_check_sheet.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def town_sheet(tmp_path_factory):
    path = tmp_path_factory.mktemp("sheets") / "排查表.xlsx"
    stats = _generator().make_check_sheet(path)
    return path, stats


@pytest.fixture
def ws(tmp_path):
    return make_workspace(tmp_path / "ws")


def write_sheet(path: Path, rows: list[list], header=HEADER_ROW) -> Path:
    return write_workbook(path, [header, *rows])


def sheet_failures(path: Path) -> dict[tuple[str, str], tuple[str, str]]:
    """(户编号, 类别) → (村, 备注) for every 不达标 cell, read straight from the sheet."""
    rows = list(load_workbook(path, read_only=True).worksheets[0].iter_rows(values_only=True))
    header = [str(c).strip() for c in rows[0]]
    out = {}
    for row in rows[1:]:
        record = dict(zip(header, row))
        for item in HEADER_ROW[3:9]:
            if record[item] == "不达标":
                out[(record["户编号"], item)] = (record["村"], record["备注"])
    return out


# --- import-check -------------------------------------------------------------------


def test_generator_makes_the_seed_town(town_sheet):
    path, stats = town_sheet
    assert stats["households"] == 701 and stats["villages"] == 14 and stats["failing"] == 30
    rows = list(load_workbook(path, read_only=True).worksheets[0].iter_rows(values_only=True))
    assert list(rows[0]) == HEADER_ROW
    assert len(rows) == 702
    assert len({r[1] for r in rows[1:]}) == 701
    assert len({r[0] for r in rows[1:]}) == 14
    again = path.with_name("again.xlsx")
    _generator().make_check_sheet(again)
    assert list(load_workbook(again, read_only=True).worksheets[0].iter_rows(values_only=True)) == rows


def test_import_town_sheet_one_problem_per_failing_item(ws, town_sheet):
    path, stats = town_sheet
    result = import_check_sheet(ws, path, date=CHECK_DATE, deadline="2020年6月底前")
    assert (result.households, result.villages, result.failing) == (701, 14, 30)
    assert len(result.created) == 30 and not result.existing
    ledger = load_ledger(ws)
    assert len(ledger) == 30
    assert [p.pid for p in ledger] == [f"WT-2020-{n:04d}" for n in range(1, 31)]
    expected = sheet_failures(path)
    got = {(p.household, p.category): p for p in ledger}
    assert set(got) == set(expected)
    for key, (village, note) in expected.items():
        problem = got[key]
        assert problem.village == village
        assert problem.source == "自查" and problem.status == "未整改"
        assert problem.found_on == CHECK_DATE and problem.deadline == dt.date(2020, 6, 30)
        assert problem.description.startswith(f"{key[1]}不达标")
        assert note and note.split("；")[0] in problem.description
    # The history records each new problem with who and when.
    entries = read_history(ws)
    assert len(entries) == 30
    first = entries[0]
    assert first["操作"] == "排查导入" and first["问题编号"] == "WT-2020-0001" and first["操作人"]


def test_reimport_does_not_duplicate(ws, town_sheet):
    path, _ = town_sheet
    import_check_sheet(ws, path, date=CHECK_DATE)
    before = ledger_state(ws)
    result = import_check_sheet(ws, path, date=CHECK_DATE)
    assert result.created == [] and len(result.existing) == 30
    assert ledger_state(ws) == before  # neither the problems nor the history
    # Another source is another problem (the key is 户编号 + 类别 + 问题来源).
    other = import_check_sheet(ws, path, date=CHECK_DATE, source="暗访督查")
    assert len(other.created) == 30
    assert len(load_ledger(ws)) == 60


def test_mixed_sheet_gives_the_same_problems(tmp_path, town_sheet):
    mixed = tmp_path / "mixed.xlsx"
    _generator().make_check_sheet(mixed, mixed=True)
    raw = list(load_workbook(mixed, read_only=True).worksheets[0].iter_rows(values_only=True))
    assert raw[0][0].startswith("某某镇")  # title row above the header
    assert any(" " in str(c) or "\u3000" in str(c) for c in raw[1])  # spaced header cells
    values = {v for r in raw[2:] for v in r[4:10]}
    assert {"是", "否"} & values or {"✓", "✗"} & values
    ws_plain, ws_mixed = make_workspace(tmp_path / "a"), make_workspace(tmp_path / "b")
    import_check_sheet(ws_plain, town_sheet[0], date=CHECK_DATE)
    import_check_sheet(ws_mixed, mixed, date=CHECK_DATE)
    key = lambda ws: {(p.village, p.household, p.category) for p in load_ledger(ws)}
    assert key(ws_plain) == key(ws_mixed)


def test_passing_values_and_traditional_header(ws, tmp_path):
    header = ["村 ", " 戶編號", "戶主姓名", "家庭收入", "基本生活", "義務教育", "基本醫療", "住房安全", "飲水安全", "備註",
              "联系电话"]
    path = write_sheet(tmp_path / "t.xlsx", [
        ["东风村", "001", "王一", "是", "否", "✓", "✗", "達標", "不達標", "冬季衣被不足；水窖漏水", "138"],
        ["东风村", 2, "王二", "√", "√", "√", "√", "√", "×", None, None],
    ], header=header)
    result = import_check_sheet(ws, path, date=CHECK_DATE)
    problems = {(p.household, p.category): p for p in load_ledger(ws)}
    assert set(problems) == {("001", "基本生活"), ("001", "基本医疗"), ("001", "饮水安全"), ("2", "饮水安全")}
    assert problems[("001", "饮水安全")].description == "饮水安全不达标：冬季衣被不足；水窖漏水"
    assert problems[("2", "饮水安全")].description == "饮水安全不达标"
    assert result.households == 2


def test_now_passing_problems_are_reported(ws, tmp_path):
    first = write_sheet(tmp_path / "1.xlsx", [["东风村", "001", "王一", "达标", "达标", "达标", "达标", "不达标", "达标", "危房"]])
    import_check_sheet(ws, first, date=CHECK_DATE)
    second = write_sheet(tmp_path / "2.xlsx", [["东风村", "001", "王一", "达标", "达标", "达标", "达标", "达标", "达标", None]])
    result = import_check_sheet(ws, second, date=CHECK_DATE)
    assert result.now_passing == ["WT-2020-0001"] and result.created == []


# --- bad sheets: FILE:ROW:COLUMN, all or nothing --------------------------------------


def test_bad_sheet_lists_every_cell_and_leaves_ledger_untouched(ws, tmp_path):
    good = write_sheet(tmp_path / "good.xlsx", [["东风村", "001", "王一", "达标", "达标", "达标", "达标", "不达标", "达标", "危房"]])
    import_check_sheet(ws, good, date=CHECK_DATE)
    before = ledger_state(ws)
    assert len(before[0]) == 1 and len(before[1]) == 1
    header = HEADER_ROW + ["排查日期"]
    bad = write_sheet(tmp_path / "bad.xlsx", [
        ["东风村", "002", "王二", "达标", "达标", "达标", "达标", "达标", "不达标", "塘水", "2020-06-08"],  # row 2 fine
        ["东风村", None, "王三", "达标", "达标", "达标", "达标", "达标", "达标", None, None],  # row 3: empty id
        ["红旗村", "002", "王四", "达标", "达标", "达标", "达标", "达标", "达标", None, None],  # row 4: duplicate
        ["红旗村", "003", "王五", "良好", "达标", "达标", "达标", "达标", None, None, None],  # row 5: D and I
        ["红旗村", "张三", "王六", "达标", "达标", "达标", "达标", "达标", "达标", None, "2020-02-30"],  # row 6
        ["", "005", "王七", "达标", "达标", "达标", "达标", "达标", "达标", None, "下周"],  # row 7
        ["红旗村", "001", "王一", "达标", "达标", "达标", "达标", "不达标", "达标", None, None],  # row 8: village
    ], header=header)
    with pytest.raises(InputError) as caught:
        import_check_sheet(ws, bad, date=CHECK_DATE)
    located = [(p.line, p.column) for p in caught.value.problems]
    assert located == [(3, 2), (4, 2), (5, 4), (5, 9), (6, 2), (6, 11), (7, 1), (7, 11), (8, 1)]
    text = [str(p) for p in caught.value.problems]
    assert text[0] == f"{bad}:3:2: B3（户编号）户编号为空，请填写该户的户编号"
    assert "第2行已有" in text[1]
    assert "“良好”不是允许的值" in text[2] and "达标/不达标" in text[2]
    assert "未填写" in text[3]
    assert "不是有效的户编号" in text[4]
    assert "2020-02-30" in text[5] and "不存在" in text[5]
    assert "村名为空" in text[6]
    assert "在台账中属于“东风村”" in text[8]
    assert ledger_state(ws) == before  # neither the problems nor the history


def test_missing_columns_are_reported_at_the_header(ws, tmp_path):
    path = write_sheet(tmp_path / "m.xlsx", [["东风村", "001", "达标"]], header=["村", "户编号", "家庭收入"])
    with pytest.raises(InputError) as caught:
        import_check_sheet(ws, path)
    problems = caught.value.problems
    assert len(problems) == 5
    assert all((p.line, p.column) == (1, 1) for p in problems)
    assert "缺少“基本生活”列" in problems[0].message
    assert ledger_state(ws) == ([], [])  # no ledger yet


def test_not_an_xlsx(ws, tmp_path):
    path = tmp_path / "x.xlsx"
    path.write_text("村,户编号\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        import_check_sheet(ws, path)
    assert "不是有效的 .xlsx" in caught.value.problems[0].message


def test_roster_makes_unknown_ids_errors(ws, tmp_path):
    roster = write_sheet(tmp_path / "roster.xlsx", [["东风村", "001"], ["东风村", "002"]], header=["村", "户编号"])
    sheet = write_sheet(tmp_path / "s.xlsx", [
        ["东风村", "001", "王一", "达标", "达标", "达标", "达标", "达标", "不达标", None],
        ["东风村", "009", "王九", "达标", "达标", "达标", "达标", "达标", "达标", None],
    ])
    with pytest.raises(InputError) as caught:
        import_check_sheet(ws, sheet, roster=roster)
    assert [(p.line, p.column) for p in caught.value.problems] == [(3, 2)]
    assert "不在户名册中" in caught.value.problems[0].message
    # The workspace's own ledger/户名册.xlsx is used without --roster.
    (ws.root / "ledger").mkdir(parents=True, exist_ok=True)
    roster.replace(ws.root / "ledger" / "户名册.xlsx")
    with pytest.raises(InputError):
        import_check_sheet(ws, sheet)


def test_cli_import_check_errors_exit_1(tmp_path):
    bad = write_sheet(tmp_path / "bad.xlsx", [["东风村", "001", "王一", "达标", "达标", "达标", "达标", "差", "达标", None]])
    ws = make_workspace(tmp_path / "ws")
    result = CliRunner().invoke(cli, ["--workspace", str(tmp_path / "ws"), "ledger", "import-check", str(bad)])
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == f"{bad}:2:8: H2（住房安全）的值“差”不是允许的值，请填写 达标/不达标（也可写 是/否 或 ✓/✗）"
    assert ledger_state(ws) == ([], [])  # no ledger yet


# --- set, history, overdue, summary -------------------------------------------------------


@pytest.fixture
def town(ws, town_sheet):
    import_check_sheet(ws, town_sheet[0], date=CHECK_DATE, deadline="2020-06-30")
    return ws


def test_set_records_old_and_new(town):
    problem, changed = set_fields(town, "WT-2020-0003", measures="协调镇水保站接通自来水", unit="镇水保站",
                                  person="李四", status="整改中", who="张三")
    assert changed == ["整改措施", "责任单位", "责任人", "整改状态"]
    stored = load_ledger(town).get("WT-2020-0003")
    assert (stored.measures, stored.unit, stored.person, stored.status) == ("协调镇水保站接通自来水", "镇水保站", "李四", "整改中")
    entries = read_history(town)[30:]
    assert [(e["字段"], e["原值"], e["新值"]) for e in entries] == [
        ("整改措施", None, "协调镇水保站接通自来水"), ("责任单位", None, "镇水保站"),
        ("责任人", None, "李四"), ("整改状态", "未整改", "整改中")]
    assert all(e["操作人"] == "张三" and e["问题编号"] == "WT-2020-0003" for e in entries)
    with pytest.raises(LedgerError, match="销号须附佐证材料") as refused:
        set_fields(town, "WT-2020-0003", status="已销号")
    assert refused.value.hint == "ledger.close"
    with pytest.raises(LedgerError, match="整改状态“完成”不是允许的值"):
        set_fields(town, "WT-2020-0003", status="完成")
    with pytest.raises(LedgerError, match="没有问题编号“WT-2020-0999”"):
        set_fields(town, "WT-2020-0999", unit="x")
    with pytest.raises(LedgerError, match="不是日期"):
        set_fields(town, "WT-2020-0003", deadline="下个月")



def test_deadline_before_discovery_is_refused(town, tmp_path):
    """Found 2020-06-08: a 完成时限 of 2020-05-31 cannot be met, by set, import-check or import."""
    before = ledger_state(town)
    with pytest.raises(LedgerError, match="完成时限 2020-05-31 早于发现日期 2020-06-08"):
        set_fields(town, "WT-2020-0003", deadline="2020-05-31")
    with pytest.raises(LedgerError, match="早于发现日期"):
        set_fields(town, "WT-2020-0003", deadline="2020年5月底前", unit="镇水保站")
    assert ledger_state(town) == before
    base = ["--workspace", str(town.root), "ledger"]
    result = CliRunner().invoke(cli, base + ["set", "WT-2020-0003", "--deadline", "2020-05-31"])
    assert result.exit_code == 1 and "完成时限 2020-05-31 早于发现日期 2020-06-08" in result.stderr
    assert ledger_state(town) == before
    # the discovery day itself and 长期坚持 are fine
    set_fields(town, "WT-2020-0003", deadline="2020-06-08")
    set_fields(town, "WT-2020-0004", deadline="长期坚持")
    assert load_ledger(town).get("WT-2020-0003").deadline == CHECK_DATE
    # import-check: --deadline before --date
    sheet = write_sheet(tmp_path / "s.xlsx", [["东风村", "9001", "王一", "达标", "达标", "达标", "达标", "不达标", "达标", None]])
    before = ledger_state(town)
    early = CliRunner().invoke(cli, base + ["import-check", str(sheet), "--date", "2020-06-08", "--deadline", "2020-05-31"])
    assert early.exit_code == 1 and "早于排查（发现）日期 2020-06-08" in early.stderr
    assert ledger_state(town) == before
    # ledger import: a row's 完成时限 before its own 发现日期, or before the ledger's
    header = ["问题编号", "问题描述", "问题来源", "整改状态", "完成时限", "发现日期"]
    upper = write_sheet(tmp_path / "upper.xlsx", [
        ["WT-2020-0001", "家庭收入不达标", "自查", "整改中", "2020-05-31", None],
        ["X-1", "描述", "自查", "未整改", "2020-06-01", "2020-06-10"],
        ["X-2", "描述", "自查", "未整改", "2020-06-30", "2020-06-10"],
    ], header=header)
    with pytest.raises(InputError) as caught:
        import_ledger(town, upper)
    assert [(p.line, p.column) for p in caught.value.problems] == [(2, 5), (3, 5)]
    assert "完成时限 2020-05-31 早于发现日期 2020-06-08" in caught.value.problems[0].message
    assert ledger_state(town) == before


def test_export_and_import_only_xlsx(town, tmp_path):
    runner = CliRunner()
    base = ["--workspace", str(town.root), "ledger"]
    for name in ("台账.csv", "台账.xls", "台账"):
        result = runner.invoke(cli, base + ["export", str(tmp_path / name)])
        assert result.exit_code == 1
        stem = name.split(".")[0]
        assert f"只支持导出为 .xlsx 文件，请把文件名改为 {stem}.xlsx" in result.stderr
        assert not (tmp_path / name).exists()
    assert runner.invoke(cli, base + ["export", str(tmp_path / "台账.XLSX")]).exit_code == 0
    # a real workbook under another name is still refused on import
    (tmp_path / "台账.XLSX").replace(tmp_path / "台账.csv")
    before = ledger_state(town)
    for name, cmd in (("台账.csv", "import"), ("台账.csv", "import-check")):
        result = runner.invoke(cli, base + [cmd, str(tmp_path / name)])
        assert result.exit_code == 1 and "只支持导入 .xlsx 文件" in result.stderr and "另存为" in result.stderr
    assert ledger_state(town) == before


def test_help_keeps_json_keys_whole():
    """click re-wraps help paragraphs and would cut now_passing into now_pa ssing; keys sit in \\b blocks."""
    runner = CliRunner()
    for args, keys in ((["ledger", "import-check", "--help"], ["now_passing", "households", "existing"]),
                       (["ledger", "import", "--help"], ["created", "updated", "unchanged"]),
                       (["ledger", "summary", "--help"], ["rate_percent", "overdue_ids", "by_category"]),
                       (["ledger", "list", "--help"], ["佐证材料（档号列表）", "逾期天数"]),
                       (["ledger", "history", "--help"], ["操作人、操作、问题编号、字段、原值、新值"])):
        for width in (60, 80, 100):
            result = runner.invoke(cli, args, terminal_width=width)
            assert result.exit_code == 0
            for key in keys:
                assert key in result.stdout, (args, width, key)

def test_overdue_and_summary_figures(town):
    for pid in ("WT-2020-0001", "WT-2020-0002", "WT-2020-0003"):
        set_fields(town, pid, status="已整改", unit="镇扶贫工作站")
    set_fields(town, "WT-2020-0004", status="整改中", unit="镇国土所", deadline="2020-07-15")
    set_fields(town, "WT-2020-0005", deadline="长期坚持")
    ledger = load_ledger(town)
    figures = summarize(ledger, today=dt.date(2020, 7, 1))
    assert figures["total"] == 30
    assert figures["by_status"] == {"未整改": 26, "整改中": 1, "已整改": 3, "已销号": 0}
    assert figures["by_unit"] == {"（未明确）": 26, "镇扶贫工作站": 3, "镇国土所": 1}
    assert figures["by_source"] == {"自查": 30}
    assert figures["done"] == 3 and figures["rate"] == 0.1 and figures["rate_percent"] == 10.0
    # 30 − 3 done − WT-0004 (due 7-15) − WT-0005 (长期坚持) are past 2020-06-30.
    assert figures["overdue"] == 25 and "WT-2020-0004" not in figures["overdue_ids"]
    assert summarize(ledger, today=dt.date(2020, 6, 30))["overdue"] == 0
    assert summarize(ledger, today=dt.date(2020, 7, 16))["overdue"] == 26

    runner = CliRunner()
    base = ["--workspace", str(town.root), "ledger"]
    listed = runner.invoke(cli, base + ["list", "--overdue", "--today", "2020-07-16", "--json"])
    assert listed.exit_code == 0, listed.output
    items = json.loads(listed.stdout)
    assert len(items) == 26
    for key in ("id", "村", "户编号", "类别", "整改状态", "完成时限", "逾期", "逾期天数"):
        assert key in items[0]
    first = next(i for i in items if i["id"] == "WT-2020-0004")
    assert first["完成时限"] == "2020-07-15" and first["逾期天数"] == 1 and first["整改状态"] == "整改中"
    summary = runner.invoke(cli, base + ["summary", "--json", "--today", "2020-07-01"])
    assert json.loads(summary.stdout)["overdue"] == 25
    text = runner.invoke(cli, base + ["summary", "--today", "2020-07-01"]).stdout
    assert "整改率 10.0%" in text and "逾期 25 个" in text
    by_unit = runner.invoke(cli, base + ["list", "--unit", "镇扶贫工作站", "--json"])
    assert [i["id"] for i in json.loads(by_unit.stdout)] == ["WT-2020-0001", "WT-2020-0002", "WT-2020-0003"]
    bad = runner.invoke(cli, base + ["list", "--status", "完成"])
    assert bad.exit_code == 1 and "整改状态“完成”不是允许的值" in bad.stderr


def test_select_problems_for_the_report(town):
    set_fields(town, "WT-2020-0001", status="整改中", unit="镇人社所", measures="补缴医保")
    village = load_ledger(town).get("WT-2020-0001").village
    items = select_problems(town, LedgerFilter(village=village))
    assert items and all(isinstance(i, ProblemItem) for i in items)
    assert all(i.description.startswith(village) for i in items)
    chosen = select_problems(town, LedgerFilter.model_validate({"整改状态": "整改中", "责任单位": "镇人社所"}))
    assert [(i.number, i.status, i.unit, i.measures) for i in chosen] == [("WT-2020-0001", "整改中", "镇人社所", "补缴医保")]
    assert chosen[0].deadline == dt.date(2020, 6, 30)
    assert len(select_problems(town, LedgerFilter(status="未整改、整改中"))) == 30
    assert select_problems(town, LedgerFilter(source="审计")) == []
    counts = select_summary(town, LedgerFilter(village=village), today=dt.date(2020, 7, 1))
    assert counts["total"] == len(items) and counts["by_status"]["整改中"] == 1 and counts["overdue"] == len(items)


@pytest.mark.embedded  # the ledger file edited by hand; the database twin: tests/test_county_ledger.py
def test_hand_edited_ledger_errors_are_located(town):
    path = ledger_path(town)
    text = path.read_text(encoding="utf-8").replace("整改状态: 未整改", "整改状态: 搞定了", 1)
    path.write_text(text, encoding="utf-8")
    line = next(n for n, l in enumerate(text.splitlines(), 1) if "搞定了" in l)
    with pytest.raises(InputError) as caught:
        load_ledger(town)
    (problem,) = caught.value.problems
    assert (problem.line, problem.column) == (line, text.splitlines()[line - 1].index("搞定了") + 1)
    assert "整改状态“搞定了”不是允许的值" in problem.message


# --- xlsx export/import ----------------------------------------------------------------------


def test_xlsx_round_trip(town, tmp_path):
    set_fields(town, "WT-2020-0002", measures="危房改造 & 加固", unit="镇国土所", person="王五", status="整改中")
    set_fields(town, "WT-2020-0005", deadline="长期坚持")
    out = tmp_path / "台账.xlsx"
    assert export_ledger(town, out, today=dt.date(2020, 7, 1)) == 30
    sheet = load_workbook(out).worksheets[0]
    assert [c.value for c in sheet[1]] == list(HEADER)
    assert sheet["A2"].value == "WT-2020-0001"
    assert sheet.cell(2, HEADER.index("完成时限") + 1).value == dt.datetime(2020, 6, 30)
    assert sheet.cell(2, HEADER.index("完成时限") + 1).fill.fgColor.rgb.endswith("F8CBAD")  # overdue
    fresh = make_workspace(tmp_path / "fresh")
    result = import_ledger(fresh, out)
    assert len(result.created) == 30
    assert [p.to_record() for p in load_ledger(fresh)] == [p.to_record() for p in load_ledger(town)]
    again = import_ledger(town, out)
    assert again.created == [] and again.updated == [] and len(again.unchanged) == 30


def test_ledger_import_merges_and_validates(town, tmp_path):
    header = ["问题编号", "问题来源", "问题描述", "类别", "村", "户", "整改措施", "责任单位", "责任人", "完成时限",
              "整改状态", "销号日期", "佐证材料"]
    upper = write_sheet(tmp_path / "upper.xlsx", [
        ["WT-2020-0001", "自查", "家庭收入不达标", None, None, None, "落实公益岗位", "镇扶贫工作站", "赵六", "2020-06-30", "整改中", None, None],
        [None, "省考反馈", "部分村扶贫项目资产台账不全", "资金使用", None, None, None, "镇财政所", None, "2020年7月底前", "未整改", None, None],
        ["SK-7", "省考反馈", "帮扶干部走访记录不全", "干部作风", None, None, None, None, None, "长期坚持", "已销号", "2020-06-01", "Z001-WS-2020-D30-0001"],
    ], header=header)
    result = import_ledger(town, upper, who="县扶贫办", today=dt.date(2020, 7, 1))
    assert result.updated == ["WT-2020-0001"] and result.created == ["WT-2020-0031", "SK-7"]
    ledger = load_ledger(town)
    assert ledger.get("WT-2020-0031").deadline == dt.date(2020, 7, 31)
    updated = ledger.get("WT-2020-0001")
    assert (updated.measures, updated.person, updated.status) == ("落实公益岗位", "赵六", "整改中")
    assert updated.village and updated.household  # empty cells in the sender's sheet do not erase ours
    assert ledger.get("SK-7").status == "已销号" and ledger.get("SK-7").evidence == ["Z001-WS-2020-D30-0001"]
    entries = read_history(town)
    assert {(e["字段"], e["新值"]) for e in entries if e["操作"] == "台账导入" and e["问题编号"] == "WT-2020-0001"} == {
        ("问题描述", "家庭收入不达标"), ("整改措施", "落实公益岗位"), ("责任单位", "镇扶贫工作站"),
        ("责任人", "赵六"), ("整改状态", "整改中")}
    bad = write_sheet(tmp_path / "bad.xlsx", [
        ["X-1", "上级交办", "描述", None, None, None, None, None, None, "下月", "已完成", None, None],
        ["X-2", "自查", "描述", None, None, None, None, None, None, None, "已销号", None, None],
        ["X-2", "自查", None, None, None, None, None, None, None, None, "整改中", "2020-06-01", None],
    ], header=header)
    before = ledger_state(town)
    with pytest.raises(InputError) as caught:
        import_ledger(town, bad)
    assert [(p.line, p.column) for p in caught.value.problems] == [(2, 2), (2, 10), (2, 11), (3, 12), (4, 3)]
    assert "问题来源“上级交办”不是允许的值" in caught.value.problems[0].message
    assert "完成时限“下月”不是日期" in caught.value.problems[1].message
    assert "整改状态“已完成”不是允许的值" in caught.value.problems[2].message
    assert "没有销号日期" in caught.value.problems[3].message
    assert "问题描述不能为空" in caught.value.problems[4].message
    assert ledger_state(town) == before


def test_cli_round_trip(tmp_path, town_sheet):
    runner = CliRunner()
    make_workspace(tmp_path / "ws")
    base = ["--workspace", str(tmp_path / "ws"), "ledger"]
    assert json.loads(runner.invoke(cli, base + ["list", "--json"]).stdout) == []
    first = runner.invoke(cli, base + ["import-check", str(town_sheet[0]), "--date", "2020-06-08",
                                       "--deadline", "2020年6月底前", "--unit", "各村", "--who", "王站长"])
    assert first.exit_code == 0, first.output
    assert "14 个村 701 户，不达标 30 项" in first.stdout and "新登记问题 30 个（WT-2020-0001 至 WT-2020-0030）" in first.stdout
    again = runner.invoke(cli, base + ["import-check", str(town_sheet[0]), "--json"])
    assert json.loads(again.stdout)["created"] == [] and len(json.loads(again.stdout)["existing"]) == 30
    changed = runner.invoke(cli, base + ["set", "WT-2020-0007", "--status", "已整改", "--person", "刘七"])
    assert changed.exit_code == 0 and "整改状态" in changed.stdout
    out = tmp_path / "导出.xlsx"
    exported = runner.invoke(cli, base + ["export", str(out), "--status", "已整改"])
    assert exported.exit_code == 0 and "已导出 1 个问题" in exported.stdout
    make_workspace(tmp_path / "other")
    other = ["--workspace", str(tmp_path / "other"), "ledger"]
    imported = runner.invoke(cli, other + ["import", str(out), "--json"])
    assert json.loads(imported.stdout) == {"created": ["WT-2020-0007"], "updated": [], "unchanged": []}
    shown = json.loads(runner.invoke(cli, other + ["show", "WT-2020-0007", "--json"]).stdout)
    assert (shown["整改状态"], shown["责任人"], shown["责任单位"], shown["完成时限"]) == ("已整改", "刘七", "各村", "2020-06-30")
    history = json.loads(runner.invoke(cli, base + ["history", "WT-2020-0007", "--json"]).stdout)
    assert [h["操作"] for h in history] == ["排查导入", "修改", "修改"]
    assert history[0]["操作人"] == "王站长"
    missing = runner.invoke(cli, base + ["show", "WT-2020-0999"])
    assert missing.exit_code == 1 and "没有问题编号“WT-2020-0999”" in missing.stderr
    bad_date = runner.invoke(cli, base + ["close", "WT-2020-0001", "--evidence", "X", "--date", "2020-13-01"])
    assert bad_date.exit_code == 1 and "日期“2020-13-01”不存在（月份应为1到12），请核对" in bad_date.stderr
