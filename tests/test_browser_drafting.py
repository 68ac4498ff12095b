"""Drafting in a real Chromium against `fupin serve`: fill a notice with a mistake, see the
CLI's message by the field, fix it, see the preview, download Word and PDF and read them
back, file it and find it by search; repeated groups added, reordered and removed."""

from __future__ import annotations

import subprocess

import docx
import pytest
from playwright.sync_api import expect

from fupin_docs.archive import Archive
from test_browser import browser_page, login  # noqa: F401  (fixture)
from test_server import Server, fill_workspace


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("browser-drafting") / "三星镇"
    ws = fill_workspace(root)
    server = Server(root)
    yield server, ws
    server.stop()


def field(page, path):
    return page.locator(f'[data-path="{path}"] [data-field]')


def test_draft_a_notice_preview_download_file_and_search(site, browser_page, tmp_path):
    server, ws = site
    page = browser_page
    login(page, server.base, "办事员乙")
    page.click("header nav >> text=起草公文")
    page.click("#new-notice")
    expect(page.locator("h1")).to_have_text("起草督查通知")
    field(page, "标题").fill("关于开展住房安全专项督查的通知")
    field(page, "发文机关").fill("三星镇人民政府")
    field(page, "印发机关").fill("三星镇党政综合办公室")
    field(page, "导语").fill("为检验住房安全问题整改成效，决定开展专项督查。")
    field(page, "成文日期").fill("2020-06-31")  # no such day
    error = page.locator('[data-path="成文日期"] > .field-error')
    expect(error).to_contain_text("日期“2020-06-31”不存在（2020年6月没有31日），请核对")
    expect(page.locator("#download-pdf")).to_be_disabled()
    # a 督查组 row, added, with its 组别 left out: the message is by that row's field
    page.click('[data-path="督查组"] > .add-item')
    field(page, "督查组.0.组长").fill("张志强")
    expect(page.locator('[data-path="督查组.0.组别"] > .field-error')).to_contain_text("缺少必填项“组别”")
    field(page, "督查组.0.组别").fill("第二督查组")
    page.click('[data-path="督查组"] > .add-item')
    field(page, "督查组.1.组别").fill("第一督查组")
    field(page, "督查组.1.组长").fill("刘红梅")
    page.locator('[data-path="督查组.1"] .move-up').click()  # reorder: 第一督查组 first
    expect(field(page, "督查组.0.组别")).to_have_value("第一督查组")
    field(page, "成文日期").fill("2020年6月30日")
    expect(error).to_be_empty()
    expect(page.locator("#preview-status")).to_contain_text("预览已更新", timeout=30_000)
    first = page.locator("#pages img.page").first
    expect(first).to_be_visible()
    page.wait_for_function("() => { const i = document.querySelector('#pages img.page'); "
                           "return i && i.complete && i.naturalWidth > 300; }")
    with page.expect_download() as got:
        page.click("#download-docx")
    word = tmp_path / "通知.docx"
    got.value.save_as(word)
    text = "\n".join(p.text for p in docx.Document(word).paragraphs)
    assert "关于开展住房安全专项督查的通知" in text and "2020年6月30日" in text
    assert text.index("第一督查组") < text.index("第二督查组")
    with page.expect_download() as got:
        page.click("#download-pdf")
    pdf = tmp_path / "通知.pdf"
    got.value.save_as(pdf)
    plain = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout.replace(" ", "")
    assert "关于开展住房安全专项督查的通知" in plain and "刘红梅" in plain
    page.click("#file-draft")
    expect(page.locator("h1")).to_have_text("已归档")
    archive_no = page.locator("#filed-item").inner_text()
    assert Archive(ws).require(archive_no).title == "关于开展住房安全专项督查的通知"
    page.goto(f"{server.base}/search?q=住房安全专项督查")
    expect(page.get_by_role("link", name="关于开展住房安全专项督查的通知").first).to_be_visible()
    expect(page.locator("main")).to_contain_text(archive_no)
    # the draft stays on the start page, as typed
    page.goto(f"{server.base}/drafts")
    expect(page.locator("#drafts")).to_contain_text("关于开展住房安全专项督查的通知")


def test_a_closed_tab_loses_nothing_and_rows_can_be_removed(site, browser_page):
    server, _ws = site
    page = browser_page
    login(page, server.base, "办事员乙")
    page.goto(f"{server.base}/drafts")
    page.click("#new-plan")
    field(page, "方案名称").fill("饮水安全巩固提升实施方案")
    page.click('[data-path="主要任务"] > .add-item')
    field(page, "主要任务.0.名称").fill("管网延伸")
    field(page, "主要任务.0.责任单位").fill("镇水务站")
    field(page, "主要任务.0.完成时限").fill("2020年9月底前")
    page.click('[data-path="主要任务"] > .add-item')
    field(page, "主要任务.1.名称").fill("多余的一项")
    with page.expect_response(lambda r: r.url.endswith("/preview") and r.status == 200, timeout=30_000):
        page.locator('[data-path="主要任务.1"] .remove-item').click()  # saved the moment typing pauses
    url = page.url
    page.goto("about:blank")  # the tab is gone; the draft is not
    page.goto(url)
    expect(field(page, "方案名称")).to_have_value("饮水安全巩固提升实施方案")
    expect(field(page, "主要任务.0.完成时限")).to_have_value("2020年9月底前")
    expect(page.locator('[data-path="主要任务"] .repeat-item')).to_have_count(1)


def test_inspector_has_no_drafting(site, browser_page):
    server, _ws = site
    page = browser_page
    login(page, server.base, "督查组1")
    expect(page.locator("header nav")).not_to_contain_text("起草公文")
    response = page.goto(f"{server.base}/drafts")
    assert response.status == 403
