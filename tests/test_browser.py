"""fupin serve in a real Chromium: Debian's /usr/bin/chromium driven by
Playwright, against `fupin serve` on a free loopback port, at 1366×768."""

from __future__ import annotations

import io
import time
import zipfile

import pytest
from playwright.sync_api import expect, sync_playwright

from fupin_docs.accounts import Accounts
from fupin_docs.archive import Archive
from test_server import PASSWORDS, Server, fill_workspace

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("browser") / "三星镇"
    ws = fill_workspace(root)
    server = Server(root)
    yield server, ws
    server.stop()


@pytest.fixture
def browser_page(tmp_path):
    """A fresh Chromium profile per test; console errors (a CSP violation …) fail the test."""
    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=CHROMIUM, headless=True, args=ARGS,
            viewport={"width": 1366, "height": 768}, accept_downloads=True, locale="zh-CN")
        page = context.pages[0] if context.pages else context.new_page()
        errors = []
        page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        yield page
        context.close()
        assert not [e for e in errors if "Content Security Policy" in e or "Refused" in e], errors


def login(page, base, name):
    page.goto(f"{base}/login")
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", PASSWORDS[name])
    page.click("button[type=submit]")
    expect(page.locator("header .who")).to_contain_text(name)


def test_login_and_logout(site, browser_page):
    server, _ws = site
    page = browser_page
    page.goto(f"{server.base}/search")
    assert "/login" in page.url
    page.fill("input[name=username]", "办事员乙")
    page.fill("input[name=password]", "Wrong2020x")
    page.click("button[type=submit]")
    expect(page.locator("[role=alert]")).to_contain_text("用户名或密码不正确")
    login(page, server.base, "办事员乙")
    assert page.url.endswith("/search")
    page.click("#logout")
    expect(page.locator(".notice")).to_contain_text("已退出登录")
    page.goto(f"{server.base}/archive")
    assert "/login" in page.url


def test_inspector_searches_with_a_filter_opens_an_item_and_downloads(site, browser_page, tmp_path):
    server, ws = site
    page = browser_page
    login(page, server.base, "督查组1")
    page.fill("input[name=q]", "饮水安全")
    page.press("input[name=q]", "Enter")
    expect(page.locator("#total")).to_have_text("5")
    kind_facet = page.locator("[data-facet=kind] a", has_text="会议纪要")
    expect(kind_facet.locator("xpath=..")).to_contain_text("1")
    kind_facet.click()
    expect(page.locator("#total")).to_have_text("1")
    expect(page.locator(".hit .title")).to_have_text("三星村饮水安全专题会议纪要")
    expect(page.locator(".hit mark").first).to_be_visible()
    page.click(".hit .title")
    expect(page.locator("#item-title")).to_have_text("三星村饮水安全专题会议纪要")
    expect(page.locator("table.history")).to_contain_text("归档")
    with page.expect_download() as info:
        page.click("#download")
    download = info.value
    assert download.suggested_filename == "纪要.txt"
    saved = tmp_path / "got.txt"
    download.save_as(saved)
    assert saved.read_text(encoding="utf-8").startswith("三星村饮水安全专题会议纪要")
    from fupin_docs.audit import AccessLog
    actions = [r["action"] for r in AccessLog(ws).records(user="督查组1")]
    assert {"login", "search", "view", "download"} <= set(actions)


def test_inspector_combines_facets_and_takes_one_off(site, browser_page):
    """保管期限 and 单位 clicked one after the other narrow the result together; the
    current filters can be taken off one by one; the 保管期限 box of the search bar
    filters too (every document here was filed 定期30年, the workspace's default)."""
    server, _ws = site
    page = browser_page
    login(page, server.base, "督查组1")
    page.goto(f"{server.base}/search?q=饮水安全")
    expect(page.locator("#total")).to_have_text("5")
    retention = page.locator("[data-facet=retention] a", has_text="定期30年")
    expect(retention.locator("xpath=..")).to_contain_text("5")
    retention.click()
    expect(page.locator("#total")).to_have_text("5")
    expect(page.locator("select[name=retention]")).to_have_value("D30")
    unit = page.locator("[data-facet=unit] a", has_text="三星村")
    expect(unit.locator("xpath=..")).to_contain_text("3")
    unit.click()
    expect(page.locator("#total")).to_have_text("3")
    current = page.locator("[aria-label=当前筛选]")
    expect(current).to_contain_text("保管期限：定期30年")
    expect(current).to_contain_text("单位：三星村")
    current.locator("a[aria-label=去掉单位筛选]").click()
    expect(page.locator("#total")).to_have_text("5")
    expect(page.locator("[aria-label=当前筛选]")).not_to_contain_text("单位：")
    page.select_option("select[name=retention]", "Y")
    page.click("form.searchbar button[type=submit]")
    expect(page.locator(".results")).to_contain_text("没有找到相关的文件")
    assert "retention=Y" in page.url


def test_hostile_title_shows_as_text(site, browser_page):
    server, _ws = site
    page = browser_page
    login(page, server.base, "督查组1")
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(f"{server.base}/search?q=恶意标题")
    expect(page.locator(".hit .title")).to_have_text('<script>alert("标题")</script>危房改造')
    page.click(".hit .title")
    expect(page.locator("#item-title")).to_have_text('<script>alert("标题")</script>危房改造')
    assert dialogs == []


def test_build_and_download_a_pack_the_cli_would_build(site, browser_page, tmp_path):
    server, ws = site
    page = browser_page
    login(page, server.base, "督查组1")
    page.goto(f"{server.base}/search?q=饮水安全")
    page.check("input[name=scope][value=all]")
    page.fill("input[name=purpose]", "迎接县督查组检查")
    page.click("#packform button[type=submit]")
    expect(page.locator("#pack-status")).to_have_attribute("data-state", "done", timeout=60_000)
    with page.expect_download() as info:
        page.click("#pack-download")
    web_zip = tmp_path / "web.zip"
    info.value.save_as(web_zip)
    # the same selection through the CLI
    from click.testing import CliRunner
    from fupin_docs.cli.main import cli
    cli_zip = tmp_path / "cli.zip"
    result = CliRunner().invoke(cli, ["--workspace", str(ws.root), "pack", "饮水安全", "--purpose", "迎接县督查组检查",
                                      "-o", str(cli_zip)])
    assert result.exit_code == 0, result.output

    def payload(path):
        with zipfile.ZipFile(path) as z:
            manifest = next(n for n in z.namelist() if n.endswith("manifest-sha256.txt"))
            lines = z.read(manifest).decode("utf-8").splitlines()
            return sorted(line.split(None, 1)[1].split("/", 1)[1] + " " + line.split()[0]
                          for line in lines if "目录" not in line)

    assert payload(web_zip) == payload(cli_zip)
    assert len(payload(web_zip)) >= 4
    verify = CliRunner().invoke(cli, ["--workspace", str(ws.root), "pack", "verify", str(web_zip)])
    assert verify.exit_code == 0, verify.output


def test_ticked_results_make_a_pack(site, browser_page):
    server, _ws = site
    page = browser_page
    login(page, server.base, "办事员乙")
    page.goto(f"{server.base}/search?q=危房")
    boxes = page.locator(".hit input[type=checkbox]")
    boxes.first.check()
    page.fill("input[name=purpose]", "专项检查")
    page.click("#packform button[type=submit]")
    expect(page.locator("#pack-status")).to_have_attribute("data-state", "done", timeout=60_000)
    expect(page.locator("#pack-status")).to_contain_text("已生成：1 件材料")


def test_inspector_write_refused(site, browser_page):
    server, ws = site
    page = browser_page
    login(page, server.base, "督查组1")
    no = next(item.archive_no for item in Archive(ws).items() if item.title == "危房改造实施方案")
    page.goto(f"{server.base}/item/{no}")
    expect(page.locator("form.withdraw")).to_have_count(0)
    # a hand-made form with the page's own CSRF token: the server still refuses
    response = page.request.post(f"{server.base}/item/{no}/withdraw",
                                 form={"reason": "试图撤回", "csrf_token": page.locator("input[name=csrf_token]").first.get_attribute("value")})
    assert response.status == 403
    assert "没有此项操作的权限" in response.text()
    assert not Archive(ws).get(no).withdrawn
    page.goto(f"{server.base}/admin/verify")
    expect(page.locator("[role=alert]")).to_contain_text("没有此项操作的权限")


def test_admin_runs_verify_with_htmx(site, browser_page):
    server, _ws = site
    page = browser_page
    login(page, server.base, "管理员甲")
    page.goto(f"{server.base}/admin/verify")
    page.click("#run-verify")
    expect(page.locator("#verify-result")).to_contain_text("核验通过", timeout=60_000)
    assert page.url.endswith("/admin/verify")  # answered in place by htmx, with the CSRF header


def test_expiry_ends_the_inspector_session(site, browser_page):
    server, ws = site
    page = browser_page
    Accounts(ws).add_user("督查组3", "inspector", "Jiancha2022", expires=time.time() + 4)
    PASSWORDS["督查组3"] = "Jiancha2022"
    login(page, server.base, "督查组3")
    page.goto(f"{server.base}/archive")
    expect(page.locator("table.list")).to_be_visible()
    time.sleep(4.5)
    page.goto(f"{server.base}/archive")
    assert "/login" in page.url
    expect(page.locator(".notice")).to_contain_text("登录已结束")


def test_pages_fit_a_1366_screen(site, browser_page):
    server, ws = site
    page = browser_page
    login(page, server.base, "管理员甲")
    no = next(item.archive_no for item in Archive(ws).items() if item.title == "三星村饮水安全整改报告")
    for path in ("/search?q=饮水安全", "/archive", f"/item/{no}", "/packs", "/admin/audit", "/admin/users"):
        page.goto(server.base + path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 1366, (path, width)
    shot = page.screenshot()
    assert shot[:8] == b"\x89PNG\r\n\x1a\n" and len(io.BytesIO(shot).getvalue()) > 1000
