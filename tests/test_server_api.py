"""Every /api/ page answers exactly what the CLI's --json answers to the same
question (the same keys in the same order, the same values)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from fupin_docs.cli.main import cli
from test_server import archive_no_of, logged_in, served  # noqa: F401  (the fixture)


def cli_json(ws, *args):
    result = CliRunner().invoke(cli, ["--workspace", str(ws.root), *args], catch_exceptions=False)
    assert result.exit_code in (0, 3), result.output
    return json.loads(result.stdout)


def api(client, path):
    response = client.get(path)
    assert response.status == 200, (path, response.text)
    return response.body.decode("utf-8")


def same(api_text: str, cli_data) -> None:
    data = json.loads(api_text)
    assert data == cli_data
    assert json.dumps(data, ensure_ascii=False) == json.dumps(cli_data, ensure_ascii=False)  # key order too


@pytest.mark.parametrize("query, cli_args", [
    ("q=饮水安全&kind=minutes", ["饮水安全", "--kind", "minutes"]),
    ("q=饮水安全", ["饮水安全"]),
    ("q=危房&limit=1", ["危房", "--limit", "1"]),
    ("q=饮水&unit=三星村&from=2020-01-01&to=2020-12-31", ["饮水", "--unit", "三星村", "--from", "2020-01-01",
                                                          "--to", "2020-12-31"]),
    ("q=饮水安全&tag=督查", ["饮水安全", "--tag", "督查"]),
    ("q=脫貧 OR 饮水", ["脫貧", "OR", "饮水"]),
])
def test_api_search_is_the_cli_search_json(served, query, cli_args):
    _server, ws = served
    client = logged_in(served, "督查组1")
    cli_json(ws, "search", *cli_args, "--json")  # any repair of the index happens here, not in between
    expected = cli_json(ws, "search", *cli_args, "--json")
    same(api(client, f"/api/search?{query}"), expected)


def test_api_archive_list_and_show_are_the_cli_json(served):
    _server, ws = served
    client = logged_in(served, "督查组1")
    same(api(client, "/api/archive"), cli_json(ws, "archive", "list", "--json"))
    same(api(client, "/api/archive?all=1"), cli_json(ws, "archive", "list", "--all", "--json"))
    no = archive_no_of(ws, "危房改造实施方案")
    same(api(client, f"/api/item/{no}"), cli_json(ws, "archive", "show", no, "--json"))


def test_api_admin_twins_are_the_cli_json(served):
    _server, ws = served
    client = logged_in(served, "管理员甲")
    same(api(client, "/api/verify"), cli_json(ws, "archive", "verify", "--json"))
    same(api(client, "/api/users"), cli_json(ws, "user", "list", "--json"))
    same(api(client, "/api/audit?user=督查组1"), cli_json(ws, "audit", "list", "--user", "督查组1", "--json"))
    same(api(client, "/api/audit?since=2000-01-01"), cli_json(ws, "audit", "list", "--since", "2000-01-01", "--json"))


def test_api_errors_carry_status_and_field(served):
    client = logged_in(served, "督查组1")
    response = client.get("/api/search?q=饮水&from=2020-12-31&to=2020-01-01")
    assert response.status == 400
    body = response.json()
    assert body["field"] == "date_from" and "起始日期" in body["error"] and body["status"] == 400
    missing = client.get("/api/item/Z001-WS·2020-D30-ZFB-9999")
    assert missing.status == 404 and "档案中没有档号" in missing.json()["error"]
