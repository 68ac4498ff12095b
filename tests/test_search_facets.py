"""Facets over the whole result and the 保管期限 filter (issue 11).

An archive of 85 documents, 75 of them about 饮水安全 (more than a page lists),
filed with every 保管期限, several 文种, two years, four units and a tag. The
expected numbers are counted here from the documents this file writes, never
taken from the code: the library's filter and Hits.matched, the search page's
facet counts and links (each followed, alone and combined), and /api/search
against `fupin search --json` with the same filters.
"""

from __future__ import annotations

import html
import json
import re
from collections import Counter
from urllib.parse import unquote

import pytest
from click.testing import CliRunner

from conftest import make_workspace
from fupin_docs.cli.main import cli
from test_server import Client, Server

RETENTIONS = ["Y", "D30", "D10"]  # DA/T 22: 永久, 定期30年, 定期10年
RETENTION_LABELS = {"Y": "永久", "D30": "定期30年", "D10": "定期10年"}
KINDS = ["minutes", "notice", "plan", "rectification", "other"]
KIND_LABELS = {"minutes": "会议纪要", "notice": "督查通知", "plan": "实施方案", "rectification": "整改报告", "other": "其他"}
UNITS = ["三星村", "龙潭村", "镇扶贫工作站", "青山村"]
PASSWORD = "Facet2020x"
WORD = "饮水安全"


def _specs():
    specs = []
    for n in range(85):
        about = n < 75
        specs.append({
            "n": n,
            "text": (f"第{n}号：{WORD}入户核查记录，逐户登记。" if about else f"第{n}号：危房改造鉴定记录。"),
            "title": f"{'饮水安全核查' if about else '危房改造鉴定'}第{n}号",
            "kind": KINDS[n % 5], "retention": RETENTIONS[n % 3], "unit": UNITS[n % 4],
            "date": f"{2019 + n % 2}-0{1 + n % 9}-1{n % 10}",
            "tags": ["督查"] if n % 7 == 0 else [],
        })
    return specs


SPECS = _specs()


@pytest.fixture(scope="module")
def archive_ws(tmp_path_factory):
    """The 85 documents in a real archive and index; SPECS gain their archive numbers."""
    from fupin_docs.accounts import Accounts
    from fupin_docs.archive import Archive
    from fupin_docs.search import rebuild_index

    root = tmp_path_factory.mktemp("facets") / "三星镇"
    ws = make_workspace(root)
    archive = Archive(ws)
    source = root.parent / "来源"
    source.mkdir()
    for spec in SPECS:
        path = source / f"材料{spec['n']:03d}.txt"
        path.write_text(spec["text"], encoding="utf-8")
        added = archive.add(path, kind=spec["kind"], unit=spec["unit"], date=spec["date"], title=spec["title"],
                            tags=tuple(spec["tags"]), retention=spec["retention"])
        spec["archive_no"] = added.item.archive_no
    rebuild_index(ws)
    accounts = Accounts(ws)
    accounts.add_user("管理员9", "admin", PASSWORD)
    accounts.add_user("督查组9", "inspector", PASSWORD, expires="3d")
    return ws


def about(**where) -> list[dict]:
    """The documents about WORD that satisfy WHERE (field -> value or predicate)."""
    out = []
    for spec in SPECS[:75]:
        if all(value(spec[key]) if callable(value) else spec[key] == value for key, value in where.items()):
            out.append(spec)
    return out


def numbers(specs) -> list[str]:
    return sorted(spec["archive_no"] for spec in specs)


# --- the library ---------------------------------------------------------------------

@pytest.mark.parametrize("asked, code", [("Y", "Y"), ("永久", "Y"), ("定期30年", "D30"), ("d10", "D10"), ("10年", "D10")])
def test_retention_filter_finds_exactly_that_retention(archive_ws, asked, code):
    from fupin_docs.search import search

    hits = search(archive_ws, WORD, retention=asked, limit=100)
    assert sorted(hit.archive_no for hit in hits) == numbers(about(retention=code))
    assert hits.total == len(about(retention=code)) == 25
    assert all(f"-{code}-" in hit.archive_no for hit in hits)


def test_retention_filter_combines_with_the_others(archive_ws):
    from fupin_docs.search import search

    hits = search(archive_ws, WORD, retention="Y", kind="minutes", date_from="2020-01-01", date_to="2020-12-31",
                  limit=100)
    expected = about(retention="Y", kind="minutes", date=lambda d: d.startswith("2020"))
    assert expected and sorted(hit.archive_no for hit in hits) == numbers(expected)
    by_unit = search(archive_ws, WORD, retention="D30", unit="龙潭村", date_from="2020-01-01", limit=100)
    expected = about(retention="D30", unit="龙潭村", date=lambda d: d >= "2020")
    assert expected and sorted(hit.archive_no for hit in by_unit) == numbers(expected)
    tagged = search(archive_ws, WORD, retention="D30", tags=("督查",), limit=100)
    assert sorted(hit.archive_no for hit in tagged) == numbers(about(retention="D30", tags=["督查"]))


def test_retention_alone_lists_every_item_of_it(archive_ws):
    """Filters without words: every document of that retention, about WORD or not."""
    from fupin_docs.search import search

    hits = search(archive_ws, "", retention="D10", limit=100, matched=True)
    expected = sorted(spec["archive_no"] for spec in SPECS if spec["retention"] == "D10")
    assert sorted(hit.archive_no for hit in hits) == expected and hits.total == len(expected) > 25
    assert sorted(hits.matched) == expected
    assert [hit.date for hit in hits] == sorted((hit.date for hit in hits), reverse=True)


def test_a_retention_that_does_not_exist_says_how_to_write_it(archive_ws):
    from fupin_docs.search import SearchError, search

    with pytest.raises(SearchError) as caught:
        search(archive_ws, WORD, retention="五年")
    assert caught.value.field == "retention"
    assert "保管期限“五年”无效" in str(caught.value) and "永久" in str(caught.value)


@pytest.mark.parametrize("query, where", [
    (WORD, {}),
    ('"饮水安全"', {}),
    (WORD, {"kind": "notice"}),
    ("饮水 登记", {"unit": "龙潭村"}),
])
def test_matched_names_every_match_not_only_those_shown(archive_ws, query, where):
    from fupin_docs.search import search

    hits = search(archive_ws, query, limit=5, matched=True, **where)
    expected = numbers(about(**where))
    assert len(hits) == 5 and hits.total == len(expected) > 5
    assert sorted(hits.matched) == expected
    assert search(archive_ws, query, limit=5, **where).matched is None  # only when asked


def test_matched_of_an_archive_number_query(archive_ws):
    from fupin_docs.search import search

    spec = SPECS[3]
    hits = search(archive_ws, spec["archive_no"], matched=True)
    assert hits[0].archive_no == spec["archive_no"] and spec["archive_no"] in hits.matched
    assert len(hits.matched) == hits.total


# --- the page and its JSON twin --------------------------------------------------------

@pytest.fixture(scope="module")
def page_client(archive_ws):
    server = Server(archive_ws.root)
    client = Client(server.port)
    token = client.csrf("/login")
    response = client.post("/login", {"username": "督查组9", "password": PASSWORD, "csrf_token": token})
    assert response.status == 302, response.text
    yield client
    server.stop()


def facets(page: str) -> dict:
    """{facet: {label: (count, href)}} as the page shows them."""
    out = {}
    for name, body in re.findall(r'<section class="facet" data-facet="(\w+)">(.*?)</section>', page, re.S):
        out[name] = {html.unescape(label): (int(count), html.unescape(href)) for href, label, count in
                     re.findall(r'<a href="([^"]+)">([^<]+)</a> <span class="count">(\d+)</span>', body)}
    return out


def total_of(page: str) -> int:
    return int(re.search(r'<strong id="total">(\d+)</strong>', page).group(1))


def test_page_facets_count_every_match(page_client):
    page = page_client.get(f"/search?q={WORD}")
    assert page.status == 200
    shown = facets(page.text)
    assert total_of(page.text) == 75
    assert {label: count for label, (count, _) in shown["retention"].items()} == \
        {RETENTION_LABELS[code]: n for code, n in Counter(s["retention"] for s in about()).items()}
    assert {label: count for label, (count, _) in shown["kind"].items()} == \
        {KIND_LABELS[kind]: n for kind, n in Counter(s["kind"] for s in about()).items()}
    assert {label: count for label, (count, _) in shown["year"].items()} == \
        dict(Counter(s["date"][:4] for s in about()))
    assert {label: count for label, (count, _) in shown["unit"].items()} == dict(Counter(s["unit"] for s in about()))
    assert shown["tag"]["督查"][0] == len(about(tags=["督查"]))
    assert sum(count for count, _ in shown["kind"].values()) == 75  # every match, not the best 60
    assert "相关度最高的" not in page.text


@pytest.mark.parametrize("facet", ["kind", "year", "unit", "tag", "retention"])
def test_every_facet_link_filters_to_its_count(page_client, facet):
    page = page_client.get(f"/search?q={WORD}")
    for label, (count, href) in facets(page.text)[facet].items():
        followed = page_client.get(unquote(href))
        assert followed.status == 200, (facet, label)
        assert total_of(followed.text) == count, (facet, label, href)


def test_facets_combine_and_come_off_one_by_one(page_client):
    first = page_client.get(f"/search?q={WORD}")
    count, href = facets(first.text)["retention"]["永久"]
    by_retention = page_client.get(unquote(href))
    assert total_of(by_retention.text) == count == len(about(retention="Y"))
    kind_count, kind_href = facets(by_retention.text)["kind"]["会议纪要"]
    both = page_client.get(unquote(kind_href))
    expected = about(retention="Y", kind="minutes")
    assert total_of(both.text) == kind_count == len(expected)
    year_count, year_href = facets(both.text)["year"]["2020"]
    three = page_client.get(unquote(year_href))
    assert total_of(three.text) == year_count == len(about(retention="Y", kind="minutes",
                                                              date=lambda d: d.startswith("2020")))
    # the retention is shown as a current filter, and taking it off keeps the others
    current = re.search(r'aria-label="当前筛选">(.*?)</section>', three.text, re.S).group(1)
    assert "保管期限：永久" in current
    off = re.search(r'<a href="([^"]+)" class="remove" aria-label="去掉保管期限筛选">', current).group(1)
    without = page_client.get(unquote(html.unescape(off)))
    assert total_of(without.text) == len(about(kind="minutes", date=lambda d: d.startswith("2020")))
    assert 'value="Y" selected' not in without.text


def cli_json(ws, *args):
    result = CliRunner().invoke(cli, ["--workspace", str(ws.root), *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.mark.parametrize("query, cli_args", [
    (f"q={WORD}&retention=Y", [WORD, "--retention", "Y"]),
    (f"q={WORD}&retention=定期30年&kind=notice", [WORD, "--retention", "定期30年", "--kind", "notice"]),
    ("retention=D10&limit=50", ["--retention", "D10", "--limit", "50"]),
])
def test_api_search_with_retention_is_the_cli_json(archive_ws, page_client, query, cli_args):
    expected = cli_json(archive_ws, "search", *cli_args, "--json")
    response = page_client.get(f"/api/search?{query}")
    assert response.status == 200, response.text
    assert json.dumps(response.json(), ensure_ascii=False) == json.dumps(expected, ensure_ascii=False)
    assert expected["total"] > 0


def test_api_search_refuses_an_unknown_retention_with_its_field(page_client):
    response = page_client.get(f"/api/search?q={WORD}&retention=五年")
    assert response.status == 400
    body = response.json()
    assert body["field"] == "retention" and "保管期限" in body["error"]


def test_pack_of_all_results_takes_the_retention_too(page_client):
    """"All results" of a search filtered by 保管期限 packs exactly those results, not more."""
    import io
    import time
    import zipfile
    token = page_client.csrf(f"/search?q={WORD}&retention=Y")
    response = page_client.post("/packs", {"csrf_token": token, "scope": "all", "q": WORD, "retention": "Y",
                                           "purpose": "迎接县督查组检查"})
    assert response.status == 302, response.text
    job = response.headers["Location"].rstrip("/").rsplit("/", 1)[1]
    for _ in range(300):
        state = page_client.get(f"/api/packs/{job}").json()
        if state["state"] in ("done", "failed"):
            break
        time.sleep(0.2)
    assert state["state"] == "done", state
    with zipfile.ZipFile(io.BytesIO(page_client.get(f"/packs/{job}/download").body)) as bag:
        listing = json.loads(bag.read(next(n for n in bag.namelist() if n.endswith("fupin-pack.json"))))
    assert sorted(item["archive_no"] for item in listing["items"]) == numbers(about(retention="Y"))
    assert listing["selection"]["retention"] == "Y"
