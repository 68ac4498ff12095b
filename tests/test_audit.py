"""The access journal: hash-chained, apart from the archive's chain, listed by
`fupin audit list`, printed as a 查阅登记."""

from __future__ import annotations

import json
import subprocess

from click.testing import CliRunner

from conftest import make_workspace, on_county_database, squash
from fupin_docs.accounts import Accounts
from fupin_docs.archive import Archive
from fupin_docs.audit import AccessLog, audit_json
from fupin_docs.cli.main import cli


def test_records_are_chained_apart_from_the_archive(any_workspace):
    ws = any_workspace
    log = AccessLog(ws)
    before = Archive(ws).head()
    first = log.record("login", who="督查组1", role="inspector", address="192.0.2.7")
    second = log.record("search", who="督查组1", role="inspector", address="192.0.2.7", query="饮水安全", total=3)
    assert second["prev"] == first["hash"] and second["seq"] == 2
    assert Archive(ws).head() == before  # searches do not grow the archive's chain
    assert log.verify() == []
    assert [r["action"] for r in AccessLog(ws).records(user="督查组1")] == ["login", "search"]
    assert AccessLog(ws).records(user="别人") == []
    assert AccessLog(ws).records(since="2999-01-01") == []


def test_tampering_is_found(tmp_path):
    ws = make_workspace(tmp_path / "ws")
    log = AccessLog(ws)
    log.record("download", who="督查组1", role="inspector", address="192.0.2.7", archive_no="Z001-WS·2020-D30-ZFB-0001")
    log.record("download", who="督查组1", role="inspector", address="192.0.2.7", archive_no="Z001-WS·2020-D30-ZFB-0002")
    if on_county_database(ws):  # someone who can get round the table's refusal to rewrite
        import psycopg
        with psycopg.connect(ws.config.database.url, autocommit=True) as conn:
            conn.execute("ALTER TABLE catalog_event DISABLE TRIGGER catalog_event_append_only")
            changed = conn.execute("UPDATE catalog_event SET record = replace(record, '0002', '0003') "
                                   "WHERE scope LIKE 'access:%%' AND seq = 2").rowcount
            assert changed == 1
    else:
        path = ws.root / "audit" / "access.jsonl"
        path.write_text(path.read_text(encoding="utf-8").replace("0002", "0003"), encoding="utf-8")
    problems = AccessLog(ws).verify()
    assert problems and "访问日志" in problems[0]
    result = CliRunner().invoke(cli, ["--workspace", str(ws.root), "audit", "verify"])
    assert result.exit_code == 3


def test_cli_audit_list(any_workspace):
    ws = any_workspace
    log = AccessLog(ws)
    log.record("login", who="督查组1", role="inspector", address="192.0.2.7")
    log.record("view", who="张三", role="clerk", address="192.0.2.8", archive_no="Z001-WS·2020-D30-ZFB-0001",
               title="会议纪要")
    runner = CliRunner()
    out = json.loads(runner.invoke(cli, ["--workspace", str(ws.root), "audit", "list", "--json"]).stdout)
    assert out == audit_json(AccessLog(ws).records())
    assert out[1] == {"seq": 2, "at": out[1]["at"], "who": "张三", "role": "clerk", "address": "192.0.2.8",
                      "action": "view", "action_label": "查看",
                      "detail": {"archive_no": "Z001-WS·2020-D30-ZFB-0001", "title": "会议纪要"}}
    mine = json.loads(runner.invoke(cli, ["--workspace", str(ws.root), "audit", "list", "--user", "督查组1",
                                          "--json"]).stdout)
    assert [r["who"] for r in mine] == ["督查组1"]
    text = runner.invoke(cli, ["--workspace", str(ws.root), "audit", "list"]).output
    assert "查看 Z001-WS·2020-D30-ZFB-0001 《会议纪要》" in text and "共 2 条" in text
    bad = runner.invoke(cli, ["--workspace", str(ws.root), "audit", "list", "--since", "昨天"])
    assert bad.exit_code == 1 and "写法不对" in bad.output


def test_visit_sheet_pdf(tmp_path):
    ws = make_workspace(tmp_path / "ws")
    Accounts(ws).add_user("督查组1", "inspector", "Jiancha2020", expires="3d")
    log = AccessLog(ws)
    log.record("login", who="督查组1", role="inspector", address="192.0.2.7")
    log.record("search", who="督查组1", role="inspector", address="192.0.2.7", query="危房改造", total=4)
    log.record("download", who="督查组1", role="inspector", address="192.0.2.7",
               archive_no="Z001-WS·2020-D30-ZFB-0001", title="危房改造实施方案", file_name="方案.pdf")
    out = tmp_path / "查阅登记.pdf"
    result = CliRunner().invoke(cli, ["--workspace", str(ws.root), "audit", "sheet", "督查组1", "-o", str(out)])
    assert result.exit_code == 0, result.output
    text = subprocess.run(["pdftotext", "-layout", str(out), "-"], capture_output=True, text=True, check=True).stdout
    for words in ("档案查阅登记", "督查组1", "检索“危房改造”", "Z001-WS·2020-D30-ZFB-0001", "方案.pdf", "192.0.2.7",
                  "3条"):
        assert squash(words) in squash(text), words


def test_tampering_in_the_county_database_is_found(pg_cluster, tmp_path):
    import psycopg
    from conftest import county_workspace
    url = pg_cluster.new_database()
    ws = county_workspace(tmp_path / "ws", url)
    log = AccessLog(ws)
    for n in (1, 2):
        log.record("download", who="督查组1", role="inspector", address="192.0.2.7",
                   archive_no=f"Z001-WS·2020-D30-ZFB-000{n}")
    assert AccessLog(ws).verify() == []
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("ALTER TABLE catalog_event DISABLE TRIGGER catalog_event_append_only")
        conn.execute("UPDATE catalog_event SET record = replace(record, '0002', '0003') WHERE scope LIKE 'access:%'")
    problems = AccessLog(ws).verify()
    assert problems and problems[0].startswith("访问日志第 2 条"), problems
    result = CliRunner().invoke(cli, ["--workspace", str(ws.root), "audit", "verify"])
    assert result.exit_code == 3
