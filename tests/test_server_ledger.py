"""The problem ledger in `fupin serve` (issue 12, ledger half), through the Flask app
in-process (the same create_app `fupin serve` runs) against a real workspace:
the /api/ twins compared with the real CLI's --json, the check-sheet upload
(preview, one-time confirm, 行:列 errors, nothing imported), 销号 with archived
evidence refused exactly as the CLI refuses it, the dashboard's figures, the
.xlsx export read back with openpyxl, and the inspector's read-only view."""

from __future__ import annotations

import datetime as dt
import importlib.util
import io
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from fupin_docs.archive import Archive
from fupin_docs.audit import AccessLog
from fupin_docs.cli.main import cli
from fupin_docs.ledger import load_ledger
from fupin_docs.server.app import create_app
from conftest import ledger_state, write_workbook
from test_server import PASSWORDS, fill_workspace

ROOT = Path(__file__).resolve().parents[1]
TODAY = "2020-07-01"  # the figures' 截至 date: deadlines 2020-06-30 are one day overdue
HEADER = ["村", "户编号", "户主姓名", "家庭收入", "基本生活", "义务教育", "基本医疗", "住房安全", "饮水安全", "备注"]


def make_sheet(path: Path, **kw) -> dict:
    spec = importlib.util.spec_from_file_location("make_check_sheet", ROOT / "scripts" / "make_check_sheet.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.make_check_sheet(path, **kw)


def write_rows(path, rows):
    """A check sheet with the standard header and ROWS (conftest.write_workbook)."""
    return write_workbook(path, [HEADER, *rows])


def run_cli(ws, *args) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--workspace", str(ws.root), *args], catch_exceptions=False)
    return result.exit_code, result.output


def cli_json(ws, *args):
    result = CliRunner().invoke(cli, ["--workspace", str(ws.root), *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A workspace with the archive of test_server and a ledger of 60 problems in 14 villages."""
    root = tmp_path_factory.mktemp("ledger-serve") / "三星镇"
    ws = fill_workspace(root)
    sheet = root.parent / "排查表.xlsx"
    stats = make_sheet(sheet, households=300, failing=60, mixed=True)
    code, output = run_cli(ws, "ledger", "import-check", str(sheet), "--date", "2020-06-08", "--deadline", "2020-06-30",
                           "--unit", "镇扶贫工作站")
    assert code == 0, output
    app = create_app(ws)
    app.config["TESTING"] = True
    return app, ws, stats


class Browser:
    """Flask's test client with the login form and the pages' CSRF token, as a browser uses them."""

    def __init__(self, app, name):
        self.client = app.test_client()
        page = self.client.get("/login").get_data(as_text=True)
        response = self.client.post("/login", data={"username": name, "password": PASSWORDS[name],
                                                    "csrf_token": self.token(page)})
        assert response.status_code == 302, response.get_data(as_text=True)

    @staticmethod
    def token(page: str) -> str:
        return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)

    def get(self, path, **kw):
        return self.client.get(path, **kw)

    def post(self, path, data=None, page="/ledger", **kw):
        data = dict(data or {})
        if "csrf_token" not in data:
            data["csrf_token"] = self.token(self.client.get(page).get_data(as_text=True))
        return self.client.post(path, data=data, **kw)


def text(response) -> str:
    return response.get_data(as_text=True)


def first_open(ws, **kw) -> str:
    return next(p.pid for p in load_ledger(ws) if not p.done and all(getattr(p, k) == v for k, v in kw.items()))


# --- the /api/ twins are the CLI's --json ----------------------------------------------

@pytest.mark.parametrize("query, args", [
    ("", []),
    ("status=未整改", ["--status", "未整改"]),
    ("category=住房安全", ["--category", "住房安全"]),
    ("village=东风村", ["--village", "东风村"]),
    ("source=自查&unit=镇扶贫工作站", ["--source", "自查", "--unit", "镇扶贫工作站"]),
    ("overdue=1", ["--overdue"]),
    ("status=未整改、整改中&overdue=1", ["--status", "未整改、整改中", "--overdue"]),
])
def test_api_ledger_and_summary_are_the_cli_json(site, query, args):
    app, ws, _ = site
    browser = Browser(app, "督查组1")
    for path, command in (("/api/ledger", "list"), ("/api/ledger/summary", "summary")):
        response = browser.get(f"{path}?{query}&today={TODAY}")
        assert response.status_code == 200, text(response)
        expected = cli_json(ws, "ledger", command, *args, "--today", TODAY, "--json")
        assert response.get_json() == expected
        # the same keys in the same order
        assert json.dumps(response.get_json(), ensure_ascii=False) == json.dumps(expected, ensure_ascii=False)
    listed = browser.get(f"/api/ledger?{query}&today={TODAY}").get_json()
    if "overdue" in query:
        assert listed and all(item["逾期"] and item["逾期天数"] == 1 for item in listed)


def test_api_problem_is_the_cli_show_json(site):
    app, ws, _ = site
    pid = next(iter(load_ledger(ws))).pid
    response = Browser(app, "督查组1").get(f"/api/ledger/problem/{pid}?today={TODAY}")
    assert response.get_json() == cli_json(ws, "ledger", "show", pid, "--today", TODAY, "--json")


def test_api_refuses_a_bad_filter_as_the_cli_does(site):
    app, ws, _ = site
    response = Browser(app, "督查组1").get("/api/ledger?status=办结")
    assert response.status_code == 400
    code, output = run_cli(ws, "ledger", "list", "--status", "办结", "--json")
    assert code == 1
    message = response.get_json()["error"]
    assert message.startswith("整改状态“办结”不是允许的值") and message in output
    bad_day = Browser(app, "督查组1").get("/api/ledger?today=2020-02-30")
    assert bad_day.status_code == 400 and bad_day.get_json()["field"] == "today"
    assert "不存在" in bad_day.get_json()["error"]


# --- the table -----------------------------------------------------------------------------

def test_ledger_table_filters_sorts_and_pages(site):
    app, ws, stats = site
    browser = Browser(app, "督查组1")
    page = text(browser.get(f"/ledger?today={TODAY}"))
    total = len(load_ledger(ws))
    assert total == stats["failing"] == 60
    assert re.search(r'id="ledger-count">(\d+)<', page).group(1) == "60"
    assert page.count('<tr class="') == 50  # one page of 50
    second = text(browser.get(f"/ledger?today={TODAY}&page=2"))
    assert second.count('<tr class="') == 10
    # a village's filter shows what `ledger list --village` lists, in the chosen order
    village = "东风村"
    expected = [item["id"] for item in cli_json(ws, "ledger", "list", "--village", village, "--json")]
    shown = re.findall(r'data-id="([^"]+)"', text(browser.get(f"/ledger?village={village}&sort=pid&order=desc")))
    assert shown == sorted(expected, reverse=True) and shown
    # overdue rows are marked with their days
    overdue = text(browser.get(f"/ledger?overdue=1&today={TODAY}"))
    listed = cli_json(ws, "ledger", "list", "--overdue", "--today", TODAY, "--json")
    assert re.search(r'id="ledger-count">(\d+)<', overdue).group(1) == str(len(listed))
    assert overdue.count("（逾期1天）") == min(50, len(listed))


def test_export_is_the_filtered_ledger_with_formula_text_neutralised(site, tmp_path):
    app, ws, _ = site
    clerk = Browser(app, "办事员乙")
    pid = first_open(ws, village="红旗村")
    hostile = "=HYPERLINK(\"http://x\",\"点我\")"
    assert clerk.post(f"/ledger/problem/{pid}/set", {"unit": hostile}, page=f"/ledger/problem/{pid}").status_code == 302
    try:
        response = Browser(app, "督查组1").get(f"/ledger/export.xlsx?village=红旗村&today={TODAY}")
        assert response.status_code == 200
        assert "attachment" in response.headers["Content-Disposition"]
        book = load_workbook(io.BytesIO(response.data))
        sheet = book.active
        header = [c.value for c in sheet[1]]
        rows = list(sheet.iter_rows(min_row=2))
        expected = cli_json(ws, "ledger", "list", "--village", "红旗村", "--json")
        assert [r[0].value for r in rows] == [item["id"] for item in expected]
        unit = next(r[header.index("责任单位")] for r in rows if r[0].value == pid)
        assert unit.value == hostile and unit.data_type == "s" and unit.quotePrefix
    finally:
        clerk.post(f"/ledger/problem/{pid}/set", {"unit": "镇扶贫工作站"}, page=f"/ledger/problem/{pid}")


# --- a problem: set fields, 销号 --------------------------------------------------------------

def test_problem_page_sets_fields_and_keeps_the_history(site):
    app, ws, _ = site
    clerk = Browser(app, "办事员乙")
    pid = first_open(ws, village="前进村")
    response = clerk.post(f"/ledger/problem/{pid}/set", {"unit": "镇水利站", "person": "王五", "deadline": "2020年7月底前",
                                                         "measures": "接通自来水"}, page=f"/ledger/problem/{pid}")
    assert response.status_code == 302
    problem = load_ledger(ws).get(pid)
    assert (problem.unit, problem.person, problem.deadline) == ("镇水利站", "王五", dt.date(2020, 7, 31))
    page = text(clerk.get(f"/ledger/problem/{pid}"))
    assert "办事员乙" in page and "镇水利站" in page and "2020-07-31" in page
    history = cli_json(ws, "ledger", "history", pid, "--json")
    assert {(h["字段"], h["新值"], h["操作人"]) for h in history if h["字段"]} >= {("责任单位", "镇水利站", "办事员乙"),
                                                                 ("完成时限", "2020-07-31", "办事员乙")}
    bad = clerk.post(f"/ledger/problem/{pid}/set", {"deadline": "下个月"}, page=f"/ledger/problem/{pid}")
    assert bad.status_code == 400
    assert "完成时限“下个月”不是日期" in text(bad) and 'aria-invalid="true"' in text(bad)
    assert load_ledger(ws).get(pid).deadline == dt.date(2020, 7, 31)


def test_close_refused_without_archived_evidence_as_the_cli_refuses(site):
    app, ws, _ = site
    clerk = Browser(app, "办事员乙")
    pid = first_open(ws, village="和平村")
    before = ledger_state(ws)
    # no evidence: 400; a 档号 not in the archive: 404 (the server's one table of statuses)
    for numbers, status in (("", 400), ("Z001-WS·2020-D30-ZFB-9999", 404)):
        response = clerk.post(f"/ledger/problem/{pid}/close", {"numbers": numbers}, page=f"/ledger/problem/{pid}")
        assert response.status_code == status
        message = re.search(r'id="problem-error"[^>]*>([^<]+)<', text(response)).group(1)
        code, output = run_cli(ws, "ledger", "close", pid, *(["--evidence", numbers] if numbers else []))
        assert code == 1
        assert message.split("。")[0] in output  # the library's message; the page adds its own hint
    assert "销号须至少附一件佐证材料" in text(clerk.post(f"/ledger/problem/{pid}/close", {},
                                                          page=f"/ledger/problem/{pid}"))
    assert ledger_state(ws) == before


def test_evidence_search_and_close(site):
    app, ws, _ = site
    clerk = Browser(app, "办事员乙")
    pid = first_open(ws, village="新民村")
    fragment = text(clerk.get(f"/ledger/problem/{pid}/evidence?q=饮水安全整改报告"))
    report = next(i for i in Archive(ws).items() if i.title == "三星村饮水安全整改报告")
    assert f'value="{report.archive_no}"' in fragment and 'name="evidence"' in fragment
    none = text(clerk.get(f"/ledger/problem/{pid}/evidence?q=根本不存在的材料名称"))
    assert "须先归档" in none
    response = clerk.post(f"/ledger/problem/{pid}/close", {"evidence": [report.archive_no]},
                          page=f"/ledger/problem/{pid}")
    assert response.status_code == 302, text(response)
    problem = load_ledger(ws).get(pid)
    assert problem.status == "已销号" and problem.evidence == [report.archive_no]
    assert problem.closed_on == dt.date.today()
    code, output = run_cli(ws, "ledger", "verify")
    assert code == 0, output
    again = clerk.post(f"/ledger/problem/{pid}/close", {"evidence": [report.archive_no]}, page="/ledger")
    assert again.status_code == 400 and "不能重复销号" in text(again)
    assert 'id="close-form"' not in text(clerk.get(f"/ledger/problem/{pid}"))  # the page no longer offers it
    actions = [r["action"] for r in AccessLog(ws).records(user="办事员乙")]
    assert "ledger.close" in actions


# --- the dashboard ------------------------------------------------------------------------

def test_dashboard_figures_are_the_summary_and_the_rates_per_village(site):
    app, ws, _ = site
    page = text(Browser(app, "督查组1").get(f"/ledger/dashboard?today={TODAY}"))
    summary = cli_json(ws, "ledger", "summary", "--today", TODAY, "--json")
    assert re.search(r'id="rate-overall">([\d.]+)%<', page).group(1) == str(summary["rate_percent"])
    assert re.search(r'id="count-overdue">(\d+)<', page).group(1) == str(summary["overdue"])
    listed = cli_json(ws, "ledger", "list", "--today", TODAY, "--json")
    for village in {item["村"] for item in listed}:
        mine = [item for item in listed if item["村"] == village]
        done = sum(1 for item in mine if item["整改状态"] in ("已整改", "已销号") and not item["存疑"])
        rate = round(100 * done / len(mine), 1)
        shown = re.search(rf'data-name="{village}" data-rate="([\d.]+)"', page).group(1)
        assert float(shown) == rate, village
    assert '<svg id="chart-weekly"' in page and '<svg id="chart-category"' in page
    assert "<script" not in page.split("</head>", 1)[1]  # charts drawn on the server, no chart script
    # closing one problem this week shows in this week's column (the last one)
    clerk = Browser(app, "办事员乙")
    pid = first_open(ws, village="石桥村")
    report = next(i for i in Archive(ws).items() if i.title == "三星村饮水安全整改报告")
    today = dt.date.today()
    week = (today - dt.timedelta(days=today.weekday())).isoformat()

    def this_week():
        now = text(Browser(app, "督查组1").get("/ledger/dashboard"))
        return int(re.search(rf'data-week="{week}" data-closed="(\d+)"', now).group(1))

    before = this_week()
    assert clerk.post(f"/ledger/problem/{pid}/close", {"evidence": [report.archive_no]},
                      page=f"/ledger/problem/{pid}").status_code == 302
    assert this_week() == before + 1


# --- check-sheet upload ----------------------------------------------------------------------

def upload(browser, path: Path, name: str | None = None, **form):
    data = {"sheet": (io.BytesIO(path.read_bytes()), name or path.name), **form}
    return browser.post("/ledger/upload", data, page="/ledger/upload", content_type="multipart/form-data")


def test_bad_sheet_lists_row_and_column_and_imports_nothing(site, tmp_path):
    app, ws, _ = site
    clerk = Browser(app, "办事员乙")
    sheet = write_rows(tmp_path / "坏表.xlsx", [
        ["柳河村", "900001", "赵甲", "达标", "达标", "达标", "达标", "不达标", "达标", "墙体开裂"],
        ["柳河村", "900002", "钱乙", "达标", "也许", "达标", "达标", "达标", "达标", None],
        ["柳河村", None, "孙丙", "达标", "达标", "达标", "达标", "达标", "达标", None],
    ])
    before = ledger_state(ws)
    response = upload(clerk, sheet, date="2020-06-10")
    page = text(response)
    assert response.status_code == 400
    rows = re.findall(r'<td class="no">(\d+:\d+)</td><td>([^<]+)</td>', page)
    assert ("3:5", "E3（基本生活）的值“也许”不是允许的值，请填写 达标/不达标（也可写 是/否 或 ✓/✗）") in rows
    assert any(cell == "4:2" and "户编号为空" in message for cell, message in rows)
    assert "台账没有任何改动" in page
    assert str(tmp_path) not in page and "/tmp" not in page  # no server path shown
    assert ledger_state(ws) == before
    # the CLI refuses the same sheet at the same cells
    code, output = run_cli(ws, "ledger", "import-check", str(sheet), "--date", "2020-06-10")
    assert code == 1 and ":3:5: E3（基本生活）的值“也许”" in output


def test_good_sheet_previews_then_imports_once(site, tmp_path):
    app, ws, _ = site
    clerk = Browser(app, "办事员乙")
    sheet = write_rows(tmp_path / "复查表.xlsx", [
        ["柳河村", "900011", "周丁", "达标", "达标", "达标", "达标", "不达标", "不达标", "房屋漏雨；水窖干涸"],
        ["柳河村", "900012", "吴戊", "达标", "达标", "不达标", "达标", "达标", "达标", "子女辍学"],
    ])
    before = ledger_state(ws)
    preview = upload(clerk, sheet, source="暗访督查", date="2020-06-20", deadline="2020年7月底前", unit="镇教办")
    page = text(preview)
    assert preview.status_code == 200, page
    assert re.search(r'id="preview-count">(\d+)<', page).group(1) == "3"
    assert page.count("<td>镇教办</td>") == 3 and "2020-07-31" in page
    assert ledger_state(ws) == before  # a preview writes nothing
    token = re.search(r'name="token" value="([^"]+)"', page).group(1)
    # the same import through the CLI, in a copy of the ledger: the same problems
    expected_ids = re.findall(r'<td class="no">(WT-[\d-]+)</td>', page)
    done = clerk.post("/ledger/upload/confirm", {"token": token}, page="/ledger/upload")
    assert done.status_code == 200, text(done)
    assert "新登记问题 3 个" in text(done)
    ledger = load_ledger(ws)
    added = [p for p in ledger if p.household in ("900011", "900012")]
    assert [p.pid for p in added] == expected_ids
    assert {(p.source, p.category, p.unit, p.found_on) for p in added} == {
        ("暗访督查", "住房安全", "镇教办", dt.date(2020, 6, 20)), ("暗访督查", "饮水安全", "镇教办", dt.date(2020, 6, 20)),
        ("暗访督查", "义务教育", "镇教办", dt.date(2020, 6, 20))}
    history = cli_json(ws, "ledger", "history", expected_ids[0], "--json")
    assert history[0]["操作"] == "排查导入" and history[0]["操作人"] == "办事员乙"
    # the token is one-time: a resent confirmation imports nothing
    again = clerk.post("/ledger/upload/confirm", {"token": token}, page="/ledger/upload")
    assert again.status_code == 400 and "预览已失效" in text(again)
    assert len(load_ledger(ws)) == len(ledger)
    # another user cannot confirm someone's preview
    preview = upload(clerk, sheet, source="审计", date="2020-06-20")
    token = re.search(r'name="token" value="([^"]+)"', text(preview)).group(1)
    other = Browser(app, "管理员甲").post("/ledger/upload/confirm", {"token": token}, page="/ledger/upload")
    assert other.status_code == 400 and len(load_ledger(ws)) == len(ledger)


def test_upload_type_and_size_limits(site, tmp_path):
    app, ws, _ = site
    clerk = Browser(app, "办事员乙")
    sheet = write_rows(tmp_path / "表.xlsx", [["柳河村", "900021", "郑己", "达标", "达标", "达标", "达标", "达标", "达标", None]])
    wrong_name = upload(clerk, sheet, name="排查表.xls")
    assert wrong_name.status_code == 400 and "只能上传 Excel 工作簿（.xlsx 文件）" in text(wrong_name)
    not_xlsx = tmp_path / "伪装.xlsx"
    not_xlsx.write_text("村,户编号\n", encoding="utf-8")
    refused = upload(clerk, not_xlsx)
    assert refused.status_code == 400 and "1:1" in text(refused)
    big = tmp_path / "大.xlsx"
    big.write_bytes(sheet.read_bytes() + b"\0" * (1 << 20))
    assert upload(clerk, big).status_code == 413


# --- roles and CSRF ------------------------------------------------------------------------

def test_inspector_reads_but_every_write_is_refused_and_audited(site, tmp_path):
    app, ws, _ = site
    inspector = Browser(app, "督查组1")
    for path in ("/ledger", "/ledger/dashboard", "/api/ledger", f"/ledger/problem/{first_open(ws)}"):
        assert inspector.get(path).status_code == 200, path
    page = text(inspector.get(f"/ledger/problem/{first_open(ws)}"))
    assert 'id="set-form"' not in page and 'id="close-form"' not in page and "导入排查表" not in page
    before = ledger_state(ws)
    denied_before = len(AccessLog(ws).records(user="督查组1", actions={"denied"}))
    pid = first_open(ws)
    report = next(i for i in Archive(ws).items() if i.title == "三星村饮水安全整改报告")
    sheet = write_rows(tmp_path / "表.xlsx", [["柳河村", "900031", "王庚", "不达标", "达标", "达标", "达标", "达标", "达标", None]])
    attempts = [
        inspector.post(f"/ledger/problem/{pid}/set", {"unit": "督查组"}),
        inspector.post(f"/ledger/problem/{pid}/close", {"evidence": [report.archive_no]}),
        inspector.post("/ledger/upload", {"sheet": (io.BytesIO(sheet.read_bytes()), "表.xlsx")},
                       content_type="multipart/form-data"),
        inspector.post("/ledger/upload/confirm", {"token": "x" * 32}),
        inspector.get("/ledger/upload"),
        inspector.get(f"/ledger/problem/{pid}/evidence?q=饮水"),
    ]
    assert [r.status_code for r in attempts] == [403] * len(attempts)
    assert all("没有此项操作的权限" in text(r) for r in attempts)
    assert ledger_state(ws) == before
    denied = AccessLog(ws).records(user="督查组1", actions={"denied"})
    assert len(denied) - denied_before == len(attempts)
    assert {r["detail"]["path"] for r in denied[denied_before:]} >= {f"/ledger/problem/{pid}/set", "/ledger/upload"}


def test_every_ledger_form_needs_its_csrf_token(site):
    app, ws, _ = site
    clerk = Browser(app, "办事员乙")
    pid = first_open(ws)
    before = ledger_state(ws)
    for path, data in ((f"/ledger/problem/{pid}/set", {"unit": "无令牌"}),
                       (f"/ledger/problem/{pid}/close", {"numbers": "x"}),
                       ("/ledger/upload/confirm", {"token": "x" * 32})):
        response = clerk.client.post(path, data=data)
        assert response.status_code == 400 and "安全校验未通过" in text(response), path
    assert ledger_state(ws) == before
    page = text(clerk.get(f"/ledger/problem/{pid}"))
    forms = re.findall(r"<form method=\"post\".*?</form>", page, re.S)
    assert len(forms) >= 2 and all('name="csrf_token"' in form for form in forms)
