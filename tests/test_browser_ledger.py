"""The problem ledger in a real Chromium (Debian's /usr/bin/chromium through Playwright)
against `fupin serve`: a bad check sheet shows its 行:列 errors and imports nothing,
a good one is previewed and imported, a problem is closed with evidence chosen by
searching the archive inside the dialog (htmx), the dashboard changes, and an
inspector's write is refused."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from fupin_docs.archive import Archive
from fupin_docs.ledger import load_ledger
from test_browser import browser_page, login  # noqa: F401  (the fixture)
from conftest import ledger_state, write_workbook
from test_server import Server, fill_workspace

HEADER = ["村", "户编号", "户主姓名", "家庭收入", "基本生活", "义务教育", "基本医疗", "住房安全", "饮水安全", "备注"]


def sheet_of(path, rows):
    """A check sheet with the standard header and ROWS (conftest.write_workbook)."""
    return write_workbook(path, [HEADER, *rows])


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("browser-ledger") / "三星镇"
    ws = fill_workspace(root)
    server = Server(root)
    yield server, ws
    server.stop()


def test_import_close_with_evidence_and_see_the_dashboard_change(site, browser_page, tmp_path):
    server, ws = site
    page = browser_page
    before = ledger_state(ws)
    assert before[0] == []  # no problems yet
    login(page, server.base, "办事员乙")
    page.click("header nav >> text=问题台账")
    expect(page.locator("h1")).to_have_text("问题台账")
    page.click("text=导入排查表")

    # a bad sheet: every wrong cell as 行:列 with its text, nothing imported
    bad = sheet_of(tmp_path / "坏表.xlsx", [
        ["三星村", "800001", "赵甲", "达标", "达标", "达标", "达标", "不达标", "达标", "墙体开裂"],
        ["三星村", "800002", "钱乙", "达标", "差不多", "达标", "达标", "达标", "达标", None],
    ])
    page.set_input_files("input[name=sheet]", str(bad))
    page.fill("input[name=date]", "2020-06-08")
    page.click("#upload-submit")
    errors = page.locator("#upload-errors")
    expect(errors).to_contain_text("台账没有任何改动")
    expect(errors.locator("tbody tr")).to_have_count(1)
    expect(errors.locator("tbody tr td").first).to_have_text("3:5")
    expect(errors).to_contain_text("E3（基本生活）的值“差不多”不是允许的值")
    assert ledger_state(ws) == before  # nothing imported: neither problems nor history

    # a good sheet: preview (nothing written yet), then confirm
    good = sheet_of(tmp_path / "排查表.xlsx", [
        ["三星村", "800001", "赵甲", "达标", "达标", "达标", "达标", "不达标", "达标", "墙体开裂"],
        ["三星村", "800002", "钱乙", "达标", "达标", "达标", "达标", "达标", "不达标", "饮用塘水"],
        ["四方村", "800003", "孙丙", "达标", "达标", "达标", "达标", "达标", "达标", None],
    ])
    page.set_input_files("input[name=sheet]", str(good))
    page.fill("input[name=date]", "2020-06-08")
    page.fill("input[name=deadline]", "2020年6月底前")
    page.click("#upload-submit")
    expect(page.locator("#preview-count")).to_have_text("2")
    expect(page.locator("#preview-table tbody tr")).to_have_count(2)
    assert ledger_state(ws) == before  # nothing imported: neither problems nor history
    page.click("#confirm-import")
    expect(page.locator("#import-result")).to_contain_text("新登记问题 2 个")
    assert [p.category for p in load_ledger(ws)] == ["住房安全", "饮水安全"]

    # the dashboard before
    page.goto(f"{server.base}/ledger/dashboard")
    expect(page.locator("#rate-overall")).to_have_text("0.0%")
    expect(page.locator("#count-closed")).to_have_text("0")
    expect(page.locator("#chart-village [data-name='三星村']")).to_have_attribute("data-rate", "0.0")

    # close the 饮水安全 problem with evidence found by searching inside the dialog
    pid = next(p.pid for p in load_ledger(ws) if p.category == "饮水安全")
    page.goto(f"{server.base}/ledger")
    page.click(f"#ledger-table a:text('{pid}')")
    expect(page.locator("#problem-title")).to_contain_text(pid)
    page.click("#close-dialog summary")
    page.click("#close-submit")  # no evidence: refused as the CLI refuses it
    expect(page.locator("#problem-error")).to_contain_text("销号须至少附一件佐证材料")
    expect(page.locator("#close-dialog")).to_have_attribute("open", "")  # still open, with the message
    page.fill("#evidence-q", "饮水安全整改报告")
    report = next(i for i in Archive(ws).items() if i.title == "三星村饮水安全整改报告")
    tick = page.locator(f"#evidence-hits input[value='{report.archive_no}']")
    expect(tick).to_be_visible()
    tick.check()
    page.click("#close-submit")
    expect(page.locator("#problem-status")).to_have_text("已销号")
    expect(page.locator("#problem-fields")).to_contain_text(report.archive_no)
    expect(page.locator("#problem-history")).to_contain_text("销号")
    assert load_ledger(ws).get(pid).evidence == [report.archive_no]

    # the dashboard after: one of two done, in the village's bar and this week's column
    page.goto(f"{server.base}/ledger/dashboard")
    expect(page.locator("#rate-overall")).to_have_text("50.0%")
    expect(page.locator("#count-closed")).to_have_text("1")
    expect(page.locator("#chart-village [data-name='三星村']")).to_have_attribute("data-rate", "50.0")
    expect(page.locator("#chart-weekly .week").last).to_have_attribute("data-closed", "1")
    # printable: the print stylesheet hides the menus and the print button
    page.emulate_media(media="print")
    expect(page.locator("header.top")).to_be_hidden()
    expect(page.locator("#print-dashboard")).to_be_hidden()
    expect(page.locator("#chart-village")).to_be_visible()
    page.emulate_media(media="screen")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 1366


@pytest.fixture(scope="module")
def inspected(tmp_path_factory):
    """A workspace whose ledger has problems from the start (imported by the CLI)."""
    from click.testing import CliRunner
    from fupin_docs.cli.main import cli
    root = tmp_path_factory.mktemp("browser-ledger-inspector") / "三星镇"
    ws = fill_workspace(root)
    sheet = sheet_of(root.parent / "排查表.xlsx", [
        ["三星村", "800009", "李丁", "不达标", "达标", "达标", "达标", "达标", "达标", None]])
    result = CliRunner().invoke(cli, ["--workspace", str(ws.root), "ledger", "import-check", str(sheet)])
    assert result.exit_code == 0, result.output
    server = Server(root)
    yield server, ws
    server.stop()


def test_inspector_sees_the_ledger_read_only(inspected, browser_page):
    server, ws = inspected
    page = browser_page
    login(page, server.base, "督查组1")
    page.goto(f"{server.base}/ledger")
    expect(page.locator("h1")).to_have_text("问题台账")
    expect(page.locator(".ledger-tabs")).not_to_contain_text("导入排查表")
    pid = page.locator("#ledger-table tbody tr[data-id]").first.get_attribute("data-id")
    page.click(f"#ledger-table a:text('{pid}')")
    expect(page.locator("#problem-title")).to_contain_text(pid)
    expect(page.locator("#set-form")).to_have_count(0)
    expect(page.locator("#close-form")).to_have_count(0)
    before = ledger_state(ws)
    token = page.locator("input[name=csrf_token]").first.get_attribute("value")
    response = page.request.post(f"{server.base}/ledger/problem/{pid}/set", form={"unit": "督查组", "csrf_token": token})
    assert response.status == 403 and "没有此项操作的权限" in response.text()
    assert ledger_state(ws) == before
    page.goto(f"{server.base}/ledger/upload")
    expect(page.locator("[role=alert]")).to_contain_text("没有此项操作的权限")
    page.goto(f"{server.base}/ledger/dashboard")
    expect(page.locator("#dashboard h1")).to_contain_text("问题整改进度")
    assert re.fullmatch(r"[\d.]+%", page.locator("#rate-overall").inner_text())
