"""Two `fupin serve` processes, one per township, on one county database (a real
PostgreSQL cluster): each township's clerk works on their own server only, the
county's inspection team (a county-wide account) logs in to both, each server
searches and lists only its own township's archive, and every access lands in
that township's access log in the database."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from conftest import county_workspace
from fupin_docs.accounts import Accounts
from fupin_docs.audit import AccessLog
from fupin_docs.cli.main import cli
from fupin_docs.filing import file_document
from fupin_docs.workspace.config import open_workspace
from test_server import Client, Server

TOWNSHIPS = {"东镇": ("Z101", "DZ", "东镇饮水安全整改报告"), "西镇": ("Z102", "XZ", "西镇危房改造实施方案")}


@pytest.fixture(scope="module")
def county(tmp_path_factory, pg_cluster):
    url = pg_cluster.new_database()
    base = tmp_path_factory.mktemp("county")
    servers, spaces = {}, {}
    for name, (fonds, org, title) in TOWNSHIPS.items():
        ws = county_workspace(base / name, url, fonds=fonds, org=org)
        text = base / f"{name}.txt"
        text.write_text(f"{title}\n正文：饮水安全与危房改造的整改情况。\n{name}人民政府\n2020年6月8日\n", encoding="utf-8")
        file_document(ws, text, title=title, kind="rectification", who="办事员")
        accounts = Accounts(ws)
        accounts.add_user(f"{name}管理员", "admin", "Admin2020x")
        accounts.add_user(f"{name}办事员", "clerk", "Clerk2020x")
        spaces[name] = open_workspace(ws.root)
    Accounts(spaces["东镇"]).add_user("县督查组", "inspector", "Jiancha2020", expires="3d", county_wide=True)
    for name, ws in spaces.items():
        servers[name] = Server(ws.root)
    yield servers, spaces
    for server in servers.values():
        server.stop()


def client_of(server, name, password) -> tuple[Client, int]:
    client = Client(server.port)
    return client, client.login(name, password).status


def test_each_clerk_works_on_their_own_townships_server_only(county):
    servers, _spaces = county
    east, status = client_of(servers["东镇"], "东镇办事员", "Clerk2020x")
    assert status == 302
    # a cookie of the township's own: a browser logged in to both servers keeps both sessions
    assert list(east.cookies) == ["fupin_session_Z101_DZ"]
    _c, status = client_of(servers["西镇"], "东镇办事员", "Clerk2020x")
    assert status == 401


def test_the_county_team_searches_each_township_on_its_server(county):
    servers, spaces = county
    seen = {}
    for name, server in servers.items():
        client, status = client_of(server, "县督查组", "Jiancha2020")
        assert status == 302
        hits = client.get("/api/search?q=整改").json()
        seen[name] = [hit["title"] for hit in hits["hits"]]
        listing = client.get("/api/archive").json()
        assert [item["archive_no"].split("-")[0] for item in listing] == [TOWNSHIPS[name][0]]
    assert seen == {name: [title] for name, (_f, _o, title) in TOWNSHIPS.items()}
    for name, ws in spaces.items():
        searches = AccessLog(ws).records(user="县督查组", actions=("search",))
        assert len(searches) == 1 and searches[0]["detail"]["query"] == "整改"
        assert AccessLog(ws).verify() == []


def test_the_database_going_away_is_a_plain_message_and_the_server_recovers(tmp_path):
    """The county database stopped under a running `fupin serve` (a cluster of this
    test's own): pages and /api/ answer 503 in office words without the database's
    address or the driver's text, /healthz says so, and once the database is back
    the same server answers again without a restart."""
    from pg_cluster import Cluster
    from fupin_docs.server.errors import DATABASE_DOWN
    own = Cluster()
    server = None
    try:
        ws = county_workspace(tmp_path / "东镇", own.new_database(), fonds="Z101", org="DZ")
        text = tmp_path / "通知.txt"
        text.write_text("东镇饮水安全整改报告\n正文：整改情况。\n", encoding="utf-8")
        file_document(ws, text, title="东镇饮水安全整改报告", kind="rectification", date="2020-06-08")
        Accounts(ws).add_user("东镇管理员", "admin", "Admin2020x")
        server = Server(ws.root)
        client, status = client_of(server, "东镇管理员", "Admin2020x")
        assert status == 302 and client.get("/api/search?q=整改").status == 200
        own.stop_server()
        for path in ("/api/search?q=整改", "/search?q=整改", "/api/archive"):
            answer = client.get(path)
            assert answer.status == 503, (path, answer.status, answer.text[:300])
            assert DATABASE_DOWN in answer.text, answer.text[:300]
            assert "postgresql" not in answer.text and "socket" not in answer.text and "Traceback" not in answer.text
        stranger = Client(server.port)
        refused = stranger.login("东镇管理员", "Admin2020x")
        assert refused.status == 503 and "postgresql" not in refused.text and str(own.root) not in refused.text
        assert Client(server.port).get("/healthz").status == 503
        # a batch filed meanwhile stops at the first file, not once per file
        papers = []
        for n in range(5):
            papers.append(tmp_path / f"材料{n}.txt")
            papers[-1].write_text(f"材料{n}\n", encoding="utf-8")
        batch = CliRunner().invoke(cli, ["--workspace", str(ws.root), "archive", "add", *map(str, papers),
                                         "--date", "2020-06-09"])
        assert batch.exit_code == 1 and "Traceback" not in batch.output
        assert batch.output.count("县级数据库") <= 2 and "另有 4 件未归档" in batch.output, batch.output
        status = CliRunner().invoke(cli, ["--workspace", str(ws.root), "db", "status"])
        assert status.exit_code == 1 and "现在连不上" in status.output and str(ws.archive_dir) in status.output
        own.start_server()
        assert Client(server.port).get("/healthz").status == 200
        assert client.get("/api/search?q=整改").status == 200  # the same session, the same server
    finally:
        if server is not None:
            server.stop()
        own.stop()
