"""A county inspection team searches every township at once: two townships on one
county database (a real PostgreSQL cluster), searched from one township's
workspace by the library, the CLI (`search --county`) and `fupin serve` (a
county-wide account; a township's account is refused); an embedded workspace
says it has no county to search."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest
from click.testing import CliRunner

from conftest import county_workspace
from fupin_docs.accounts import Accounts
from fupin_docs.audit import AccessLog
from fupin_docs.cli.main import cli
from fupin_docs.filing import file_document
from fupin_docs.search import SearchError, search
from fupin_docs.workspace import init_workspace, open_workspace
from test_server import Client, Server

# township -> (全宗号, 机构代码, office, documents filed: (title, date, kind, body))
TOWNSHIPS = {
    "东镇": ("Z101", "DZ", "东镇人民政府", [
        ("东镇危房改造实施方案", "2020-03-02", "plan", "全镇危房改造对象逐户鉴定，C级D级危房年内全部改造到位。"),
        ("东镇饮水安全督查通知", "2020-05-11", "notice", "各村开展饮水安全排查，发现问题立即整改。")]),
    "西镇": ("Z102", "XZ", "西镇人民政府", [
        ("西镇危房改造整改报告", "2021-06-20", "rectification", "督查发现的三户危房已改造，住房安全有保障。"),
        ("西镇产业扶贫会议纪要", "2021-08-03", "minutes", "会议研究了茶叶产业扶贫项目的资金安排。")]),
}


def township_workspace(root, url, fonds, org, office):
    ws = county_workspace(root, url, fonds=fonds, org=org)
    config = root / "fupin.toml"
    text = config.read_text(encoding="utf-8")
    name_line = next(line for line in text.splitlines() if line.startswith("name = "))
    config.write_text(text.replace(name_line, f'name = "{office}"', 1), encoding="utf-8")
    return open_workspace(root)


@pytest.fixture(scope="module")
def county(tmp_path_factory, pg_cluster):
    url = pg_cluster.new_database()
    base = tmp_path_factory.mktemp("county-search")
    spaces = {}
    for name, (fonds, org, office, documents) in TOWNSHIPS.items():
        ws = township_workspace(base / name, url, fonds, org, office)
        for title, date, kind, body in documents:
            text = base / f"{title}.txt"
            text.write_text(f"{title}\n{body}\n{office}\n", encoding="utf-8")
            file_document(ws, text, title=title, date=date, kind=kind, who="办事员")
        spaces[name] = ws
    return spaces


def titles(hits) -> list[str]:
    return [hit.title for hit in hits]


def test_a_county_search_finds_every_townships_documents_and_names_the_township(county):
    east = county["东镇"]
    assert titles(search(east, "危房改造")) == ["东镇危房改造实施方案"]  # a township sees its own only
    hits = search(east, "危房改造", county=True)
    assert sorted(titles(hits)) == ["东镇危房改造实施方案", "西镇危房改造整改报告"]
    assert {hit.title: hit.township for hit in hits} == {"东镇危房改造实施方案": "东镇人民政府",
                                                         "西镇危房改造整改报告": "西镇人民政府"}
    assert hits.total == 2
    # the same answer from either township's workspace, and the union of both townships' own searches
    west_view = search(county["西镇"], "危房改造", county=True)
    assert [(h.archive_no, h.township) for h in west_view] == [(h.archive_no, h.township) for h in hits]
    own = {h.archive_no for ws in county.values() for h in search(ws, "危房改造")}
    assert {h.archive_no for h in hits} == own
    assert all(hit.archive_no.startswith(("Z101-", "Z102-")) for hit in hits)


def test_filters_apply_across_the_county(county):
    east = county["东镇"]
    in_2021 = search(east, "危房 OR 饮水 OR 产业", county=True, date_from="2021-01-01", date_to="2021-12-31")
    assert sorted(titles(in_2021)) == ["西镇产业扶贫会议纪要", "西镇危房改造整改报告"]
    assert titles(search(east, "危房 OR 饮水 OR 产业", county=True, kind="minutes")) == ["西镇产业扶贫会议纪要"]
    assert titles(search(east, '"茶叶产业"', county=True)) == ["西镇产业扶贫会议纪要"]
    assert search(east, '"茶叶产业"') == []


def test_an_embedded_workspace_has_no_county_to_search(tmp_path):
    init_workspace(tmp_path / "ws", with_examples=False)  # embedded, whichever pass this is
    ws = open_workspace(tmp_path / "ws")
    with pytest.raises(SearchError) as err:
        search(ws, "危房", county=True)
    assert "没有接入县级数据库" in str(err.value)
    result = CliRunner().invoke(cli, ["--workspace", str(ws.root), "search", "危房", "--county"])
    assert result.exit_code == 1
    assert "没有接入县级数据库" in result.output and "去掉 --county" in result.output
    assert "Traceback" not in result.output


def test_the_cli_lists_the_township_of_each_hit(county):
    east = county["东镇"]
    runner = CliRunner()
    data = json.loads(runner.invoke(cli, ["--workspace", str(east.root), "search", "危房改造", "--county",
                                          "--json"]).stdout)
    assert {hit["title"]: hit["township"] for hit in data["hits"]} == {"东镇危房改造实施方案": "东镇人民政府",
                                                                      "西镇危房改造整改报告": "西镇人民政府"}
    assert data["total"] == 2
    text = runner.invoke(cli, ["--workspace", str(east.root), "search", "危房改造", "--county"]).output
    assert "西镇人民政府" in text and "西镇危房改造整改报告" in text


@pytest.fixture(scope="module")
def served(county):
    east = county["东镇"]
    accounts = Accounts(east)
    accounts.add_user("东镇管理员甲", "admin", "Admin2020x")
    accounts.add_user("东镇办事员甲", "clerk", "Clerk2020x")
    accounts.add_user("县督查组甲", "inspector", "Jiancha2020", expires="3d", county_wide=True)
    server = Server(east.root)
    yield server, east
    server.stop()


def test_a_county_account_searches_every_township_on_one_server(served):
    server, east = served
    client = Client(server.port)
    assert client.login("县督查组甲", "Jiancha2020").status == 302
    assert client.get("/api/me").json()["county_wide"] is True
    answer = client.get("/api/search?q=" + "危房改造" + "&county=1").json()
    cli_answer = json.loads(CliRunner().invoke(cli, ["--workspace", str(east.root), "search", "危房改造",
                                                     "--county", "--json"]).stdout)
    assert answer == cli_answer  # the /api/ page answers what the CLI's --json answers
    page = client.get("/search?q=危房改造&county=1")
    assert page.status == 200
    body = page.text
    assert "西镇人民政府" in body and "东镇人民政府" in body and 'name="county"' in body
    # this township's document opens here; the other township's is named, not linked
    own = next(h["archive_no"] for h in answer["hits"] if h["township"] == "东镇人民政府")
    other = next(h["archive_no"] for h in answer["hits"] if h["township"] == "西镇人民政府")
    assert f'/item/{quote(own)}"' in body and f'/item/{quote(other)}"' not in body
    assert client.get(f"/item/{other}").status == 404
    searches = AccessLog(east).records(user="县督查组甲", actions=("search",))
    assert [r["detail"].get("county") for r in searches] == [True, True]


def test_a_township_account_may_not_search_the_county(served):
    server, east = served
    client = Client(server.port)
    assert client.login("东镇办事员甲", "Clerk2020x").status == 302
    assert client.get("/api/me").json()["county_wide"] is False
    refused = client.get("/api/search?q=危房改造&county=1")
    assert refused.status == 403 and "只有全县账号" in refused.json()["error"]
    page = client.get("/search?q=危房改造&county=1")
    assert page.status == 403 and "只有全县账号" in page.text and "督查组账号只能查阅" not in page.text
    assert 'name="county"' not in client.get("/search?q=危房改造").text  # not offered
    denied = AccessLog(east).records(user="东镇办事员甲", actions=("denied",))
    assert len(denied) == 2 and denied[0]["detail"]["reason"] == "仅限全县账号"


def test_in_chromium_the_county_team_ticks_every_township(served, tmp_path):
    """The search form in a real Chromium (Playwright): the box 全县各乡镇 is there
    for the county's account, and ticking it lists both townships' documents."""
    from playwright.sync_api import expect, sync_playwright
    from test_browser import ARGS, CHROMIUM
    server, _east = served
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        page = browser.new_page(viewport={"width": 1366, "height": 768}, locale="zh-CN")
        page.goto(f"{server.base}/login")
        page.fill("input[name=username]", "县督查组甲")
        page.fill("input[name=password]", "Jiancha2020")
        page.click("button[type=submit]")
        page.fill("input[name=q]", "危房改造")
        page.click("form.searchbar button[type=submit]")
        expect(page.locator("ol.hits li.hit")).to_have_count(1)  # this township's own
        page.check("input[name=county]")
        page.click("form.searchbar button[type=submit]")
        hits = page.locator("ol.hits li.hit")
        expect(hits).to_have_count(2)
        assert sorted(page.locator("ol.hits .township").all_inner_texts()) == ["东镇人民政府", "西镇人民政府"]
        expect(page.locator("ol.hits a.title")).to_have_count(1)  # only this township's opens here
        expect(page.locator("#packform")).to_have_count(0)
        browser.close()


def test_a_bad_limit_is_refused_and_a_long_query_is_audited_shortened(served):
    server, east = served
    client = Client(server.port)
    assert client.login("县督查组甲", "Jiancha2020").status == 302
    for limit in ("abc", "0", "-1", "10001", "1.5"):
        answer = client.get(f"/api/search?q=危房&limit={limit}")
        assert answer.status == 400 and answer.json()["field"] == "limit", limit
    long_query = "危房" * 2000
    assert client.get("/api/search?county=1&q=" + long_query).status == 200
    [last] = AccessLog(east).records(user="县督查组甲", actions=("search",))[-1:]
    assert last["detail"]["query"] == long_query[:500]


def test_a_page_past_the_results_says_so(served):
    server, _east = served
    client = Client(server.port)
    assert client.login("县督查组甲", "Jiancha2020").status == 302
    past = client.get("/search?q=危房改造&county=1&page=3")
    assert past.status == 200 and "第 3 页之后没有更多结果（共 2 件）" in past.text
    assert "没有找到相关的文件" not in past.text
