"""The archive's catalog on both backends: the embedded journal and the county
PostgreSQL database (a real cluster the tests start, tests/pg_cluster.py).
The same filing, correcting, withdrawing and verifying must behave the same;
the database must also keep 档号 gap-free under writers in parallel processes,
keep each township to its own chain, and show any rewritten record."""

from __future__ import annotations

import json
import multiprocessing
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner

from conftest import county_workspace, make_workspace
from fupin_docs.archive import Archive, ArchiveError
from fupin_docs.cli.main import cli
from fupin_docs.filing import edit_document, file_document, verify, withdraw_document
from fupin_docs.search import search
from fupin_docs.workspace.config import open_workspace

@pytest.fixture
def cluster(pg_cluster):
    return pg_cluster


@pytest.fixture
def workspace(any_workspace):
    return any_workspace


def a_document(folder: Path, number: int, year: int = 2020) -> Path:
    path = folder / f"通知{number}.txt"
    path.write_text(f"关于第{number}批危房改造的通知\n各村：请于{year}年6月底前完成。\n三星镇人民政府\n{year}年6月{number % 27 + 1}日\n",
                    encoding="utf-8")
    return path


def test_file_correct_withdraw_and_verify(workspace, tmp_path):
    ws = workspace
    numbers = []
    for n in range(1, 6):
        filed = file_document(ws, a_document(tmp_path, n), kind="notice", who="办事员甲")
        numbers.append(filed.item.archive_no)
    assert numbers == [f"Z001-WS·2020-D30-ZFB-{n:04d}" for n in range(1, 6)], numbers
    edit_document(ws, numbers[1], title="关于第2批危房改造的通知（更正）", reason="标题漏字", who="办事员甲")
    withdraw_document(ws, numbers[2], "重复归档", who="办事员甲")
    items = Archive(ws).catalog.items()
    assert items[numbers[1]].title.endswith("（更正）")
    assert items[numbers[2]].withdrawn
    assert [i.archive_no for i in Archive(ws).items()] == [numbers[0], numbers[1], numbers[3], numbers[4]]
    report = verify(ws)
    assert report.ok, report.problems
    head = Archive(ws).head()
    assert head.seq == len(Archive(ws).events()) and len(head.hash) == 64


def test_cli_lists_what_was_filed(workspace, tmp_path):
    file_document(workspace, a_document(tmp_path, 1), kind="notice")
    result = CliRunner().invoke(cli, ["--workspace", str(workspace.root), "archive", "list", "--json"])
    assert result.exit_code == 0, result.output
    assert "Z001-WS·2020-D30-ZFB-0001" in result.output and "通知1" in result.output
    result = CliRunner().invoke(cli, ["--workspace", str(workspace.root), "search", "危房改造", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["hits"][0]["archive_no"] == "Z001-WS·2020-D30-ZFB-0001"


def test_database_chain_tampering_is_found(cluster, tmp_path):
    url = cluster.new_database()
    ws = county_workspace(tmp_path / "镇", url)
    for n in range(1, 4):
        file_document(ws, a_document(tmp_path, n), kind="notice")
    assert verify(ws).ok
    with psycopg.connect(url, autocommit=True) as conn:
        # the table refuses a rewrite …
        with pytest.raises(psycopg.errors.RaiseException):
            conn.execute("UPDATE catalog_event SET record = replace(record, '通知2', '通知9') WHERE seq = 2")
        with pytest.raises(psycopg.errors.RaiseException):
            conn.execute("DELETE FROM catalog_event WHERE seq = 3")
        # … and someone who gets round it is still seen
        conn.execute("ALTER TABLE catalog_event DISABLE TRIGGER catalog_event_append_only")
        conn.execute("UPDATE catalog_event SET record = replace(record, '通知2', '通知9') WHERE seq = 2")
    report = verify(open_workspace(ws.root))
    assert not report.ok
    assert any("第 2 条内容与其哈希不符" in p for p in report.problems), report.problems


def test_database_chain_cut_short_is_found(cluster, tmp_path):
    url = cluster.new_database()
    ws = county_workspace(tmp_path / "镇", url)
    for n in range(1, 4):
        file_document(ws, a_document(tmp_path, n), kind="notice")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("ALTER TABLE catalog_event DISABLE TRIGGER catalog_event_append_only")
        conn.execute("DELETE FROM catalog_event WHERE seq = (SELECT max(seq) FROM catalog_event)")
    report = verify(open_workspace(ws.root))
    assert any("被截短" in p for p in report.problems), report.problems


def test_townships_keep_their_own_numbers_and_chains(cluster, tmp_path):
    url = cluster.new_database()
    east = county_workspace(tmp_path / "东镇", url, fonds="Z101", org="DZ")
    west = county_workspace(tmp_path / "西镇", url, fonds="Z102", org="XZ")
    file_document(east, a_document(tmp_path, 1), kind="notice")
    file_document(west, a_document(tmp_path, 2), kind="notice")
    file_document(east, a_document(tmp_path, 3), kind="notice")
    assert sorted(Archive(east).catalog.items()) == ["Z101-WS·2020-D30-DZ-0001", "Z101-WS·2020-D30-DZ-0002"]
    assert sorted(Archive(west).catalog.items()) == ["Z102-WS·2020-D30-XZ-0001"]
    assert verify(east).ok and verify(west).ok


def test_without_the_tables_the_message_says_what_to_do(cluster, tmp_path):
    url = cluster.new_database()
    root = tmp_path / "镇"
    make_workspace(root)
    with open(root / "fupin.toml", "a", encoding="utf-8") as handle:
        handle.write(f'\n[database]\nurl = "{url}"\n')
    result = CliRunner().invoke(cli, ["--workspace", str(root), "archive", "list"])
    assert result.exit_code == 1
    assert "尚未建好" in result.output and "fupin db upgrade" in result.output
    assert "Traceback" not in result.output
    upgraded = CliRunner().invoke(cli, ["--workspace", str(root), "db", "upgrade"])
    assert upgraded.exit_code == 0 and "县级数据库已就绪" in upgraded.output, upgraded.output
    assert CliRunner().invoke(cli, ["--workspace", str(root), "archive", "list"]).exit_code == 0


def test_an_unreachable_database_is_a_clear_message(tmp_path):
    root = tmp_path / "镇"
    make_workspace(root)
    with open(root / "fupin.toml", "a", encoding="utf-8") as handle:
        handle.write(f'\n[database]\nurl = "postgresql://fupin@/fupin?host={tmp_path}/nowhere"\n')
    result = CliRunner().invoke(cli, ["--workspace", str(root), "archive", "list"])
    assert result.exit_code == 1
    assert "连接不上县级数据库" in result.output and "Traceback" not in result.output


def test_db_status_says_where_the_data_lives(cluster, tmp_path):
    url = cluster.new_database()
    ws = county_workspace(tmp_path / "镇", url)
    result = CliRunner().invoke(cli, ["--workspace", str(ws.root), "db", "status", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["catalog"] == "postgresql" and data["versions"]["catalog"] == data["needed"]["catalog"] >= 1
    embedded = make_workspace(tmp_path / "另一镇")
    result = CliRunner().invoke(cli, ["--workspace", str(embedded.root), "db", "status"])
    assert "保存在工作目录内" in result.output


# ---- several writers at once ------------------------------------------------------

def _file_many(root: str, start: int, count: int, folder: str) -> None:
    ws = open_workspace(root)
    for n in range(start, start + count):
        file_document(ws, a_document(Path(folder), n), kind="notice", who=f"办事员{start}")


def test_four_processes_filing_at_once_keep_numbers_gap_free(cluster, tmp_path):
    url = cluster.new_database()
    ws = county_workspace(tmp_path / "镇", url)
    folders = []
    for writer in range(4):
        folder = tmp_path / f"w{writer}"
        folder.mkdir()
        folders.append(str(folder))
    context = multiprocessing.get_context("spawn")  # no connection shared across a fork
    per_writer = 200  # 800 items in all, as the county must take them
    processes = [context.Process(target=_file_many, args=(str(ws.root), 1 + w * per_writer, per_writer, folders[w]))
                 for w in range(4)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(300)
        assert process.exitcode == 0
    items = Archive(open_workspace(ws.root)).catalog.items()
    assert sorted(items) == [f"Z001-WS·2020-D30-ZFB-{n:04d}" for n in range(1, 4 * per_writer + 1)]
    assert verify(open_workspace(ws.root)).ok


def test_killed_writers_leave_no_half_filed_item(cluster, tmp_path):
    url = cluster.new_database()
    ws = county_workspace(tmp_path / "镇", url)
    script = tmp_path / "writer.py"
    script.write_text(
        "import sys\nfrom pathlib import Path\n"
        f"sys.path.insert(0, {str(Path(__file__).parent)!r})\n"
        "from test_catalog_backends import _file_many\n"
        "_file_many(sys.argv[1], int(sys.argv[2]), 1000, sys.argv[3])\n", encoding="utf-8")
    delays = random.Random(13)
    for round_ in range(20):
        folder = tmp_path / f"k{round_}"
        folder.mkdir()
        writer = subprocess.Popen([sys.executable, str(script), str(ws.root), str(1 + round_ * 1000), str(folder)])
        time.sleep(delays.uniform(0.9, 2.2))  # after start-up, somewhere inside a filing
        os.kill(writer.pid, signal.SIGKILL)
        writer.wait()
        fresh = open_workspace(ws.root)
        report = Archive(fresh).verify()  # the catalog and the files; the index may lag one filing behind
        assert report.ok, report.problems
        search(fresh, "危房改造")  # … which the next search brings in step
        assert verify(fresh).ok
        items = Archive(fresh).catalog.items()
        numbers = sorted(int(no.rsplit("-", 1)[1]) for no in items)
        assert numbers == list(range(1, len(numbers) + 1))  # gap-free: nothing half there
        for item in items.values():
            assert Archive(fresh).file_path(item).exists()


def test_init_with_a_database_is_ready_to_file(cluster, tmp_path):
    url = cluster.new_database()
    root = tmp_path / "新镇"
    result = CliRunner().invoke(cli, ["init", str(root), "--database", url])
    assert result.exit_code == 0, result.output
    assert "县级数据库已就绪" in result.output and "postgres@" in result.output
    ws = open_workspace(root)
    assert (ws.config.archive.catalog, ws.config.search.backend) == ("postgresql", "postgresql")
    file_document(ws, a_document(tmp_path, 1), kind="notice")
    assert verify(ws).ok
    again = CliRunner().invoke(cli, ["init", str(root), "--database", url])
    assert again.exit_code == 0, again.output  # an existing workspace that has the URL: tables upgraded, nothing lost
    assert len(Archive(open_workspace(root)).items()) == 1
    wrong = CliRunner().invoke(cli, ["init", str(tmp_path / "错"), "--database", "mysql://x"])
    assert wrong.exit_code == 2 and "postgresql://" in wrong.output


def test_a_password_is_never_shown(cluster, tmp_path):
    url = cluster.new_database() + "&password=S3cretPW"
    root = tmp_path / "镇"
    result = CliRunner().invoke(cli, ["init", str(root), "--database", url])
    assert result.exit_code == 0, result.output
    assert "S3cretPW" not in result.output
    assert (root / "fupin.toml").stat().st_mode & 0o077 == 0  # the file holding it is its owner's only
    status = CliRunner().invoke(cli, ["--workspace", str(root), "db", "status"])
    assert status.exit_code == 0 and "S3cretPW" not in status.output and "password=***" in status.output
    broken = tmp_path / "错"
    make_workspace(broken)
    with open(broken / "fupin.toml", "a", encoding="utf-8") as handle:
        handle.write('\n[database]\nurl = "postgresql://u:S3cretPW@[::1/db"\n')
    for command in (["archive", "list"], ["search", "危房"], ["db", "status"]):
        result = CliRunner().invoke(cli, ["--workspace", str(broken), *command])
        assert result.exit_code == 1, (command, result.output)
        assert "S3cretPW" not in result.output and "Traceback" not in result.output
        assert "地址写法不对" in result.output


def test_a_database_restored_to_an_earlier_state_is_followed_not_overwritten(cluster, tmp_path):
    url = cluster.new_database()
    ws = county_workspace(tmp_path / "镇", url)
    for n in range(1, 4):
        file_document(ws, a_document(tmp_path, n), kind="notice")
    with psycopg.connect(url) as conn:  # the backup taken after 3: what the index says then
        backup = conn.execute("SELECT scope, digest, head::text FROM search_state").fetchall()
    for n in range(4, 6):
        file_document(ws, a_document(tmp_path, n), kind="notice")
    assert len(Archive(ws).catalog.items()) == 5  # this process has the chain up to 5 in hand
    with psycopg.connect(url, autocommit=True) as conn:  # the whole database goes back to that backup
        conn.execute("DELETE FROM search_doc WHERE archive_no > 'Z001-WS·2020-D30-ZFB-0003'")
        conn.execute("DELETE FROM search_state")
        for row in backup:
            conn.execute("INSERT INTO search_state (scope, digest, head) VALUES (%s, %s, %s::jsonb)", row)
        conn.execute("ALTER TABLE catalog_event DISABLE TRIGGER catalog_event_append_only")
        conn.execute("DELETE FROM catalog_event WHERE scope = 'Z001/ZFB' AND seq > 3")
        conn.execute("UPDATE catalog_head SET seq = 3, hash = (SELECT hash FROM catalog_event "
                     "WHERE scope = 'Z001/ZFB' AND seq = 3) WHERE scope = 'Z001/ZFB'")
        conn.execute("ALTER TABLE catalog_event ENABLE TRIGGER catalog_event_append_only")
    filed = file_document(ws, a_document(tmp_path, 6), kind="notice")
    assert filed.item.archive_no == "Z001-WS·2020-D30-ZFB-0004"
    assert sorted(Archive(ws).catalog.items())[-1] == "Z001-WS·2020-D30-ZFB-0004"
    assert Archive(ws).verify().ok


def test_a_forked_child_uses_connections_of_its_own(cluster, tmp_path):
    url = cluster.new_database()
    ws = county_workspace(tmp_path / "镇", url)
    file_document(ws, a_document(tmp_path, 1), kind="notice")
    assert len(Archive(ws).catalog.items()) == 1  # the parent holds pooled connections now
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # the child files and reads through the pool it inherited the module of
        try:
            file_document(ws, a_document(tmp_path, 2), kind="notice")
            os.write(write, str(len(Archive(open_workspace(ws.root)).catalog.items())).encode())
        finally:
            os._exit(0)
    os.waitpid(child, 0)
    assert os.read(read, 16) == b"2"
    assert sorted(Archive(ws).catalog.items()) == ["Z001-WS·2020-D30-ZFB-0001", "Z001-WS·2020-D30-ZFB-0002"]
    assert verify(ws).ok


def test_one_transaction_commits_catalog_and_index_together_or_not_at_all(cluster, tmp_path):
    from fupin_docs.workspace.database import one_transaction
    url = cluster.new_database()
    ws = county_workspace(tmp_path / "镇", url)
    with pytest.raises(RuntimeError):
        with one_transaction(url):
            file_document(ws, a_document(tmp_path, 1), kind="notice")
            raise RuntimeError("stopped before the end")
    fresh = open_workspace(ws.root)
    assert Archive(fresh).catalog.items() == {}
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT count(*) FROM search_doc").fetchone()[0] == 0
    with one_transaction(url):
        filed = file_document(ws, a_document(tmp_path, 2), kind="notice")
    assert filed.item.archive_no == "Z001-WS·2020-D30-ZFB-0001"  # the number the stopped filing never kept
    assert verify(open_workspace(ws.root)).ok


def test_a_database_failure_is_a_message_never_an_index_rebuild(cluster, tmp_path):
    url = cluster.new_database()
    ws = county_workspace(tmp_path / "镇", url)
    file_document(ws, a_document(tmp_path, 1), kind="notice")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("ALTER TABLE search_doc RENAME TO search_doc_moved")
    result = CliRunner().invoke(cli, ["--workspace", str(ws.root), "search", "危房改造"])
    assert result.exit_code == 1, result.output
    assert "县级数据库出错" in result.output and "Traceback" not in result.output
    with psycopg.connect(url, autocommit=True) as conn:
        assert conn.execute("SELECT to_regclass('search_doc') IS NULL").fetchone()[0]  # nothing rebuilt in its place
        assert conn.execute("SELECT count(*) FROM search_doc_moved").fetchone()[0] == 1


def test_two_folders_configured_alike_cannot_share_one_townships_numbers(cluster, tmp_path):
    """Two township folders left at the same 全宗号/机构代码 (a copied fupin.toml): the
    first to file owns them; the second is refused with the fix, files nothing, and
    `init` warned it. A copy of the first folder (a backup restored, a second server
    on the shared disk) is the same owner."""
    url = cluster.new_database()
    first = county_workspace(tmp_path / "东镇", url)
    file_document(first, a_document(tmp_path, 1), kind="notice")
    result = CliRunner().invoke(cli, ["init", str(tmp_path / "西镇"), "--database", url])
    assert result.exit_code == 0 and "已属于“三星镇人民政府”的工作目录" in result.output
    second = open_workspace(tmp_path / "西镇")
    with pytest.raises(ArchiveError, match="两个单位不能共用一套档号") as err:
        file_document(second, a_document(tmp_path, 2), kind="notice")
    assert "fonds（全宗号）" in str(err.value)
    refused = CliRunner().invoke(cli, ["--workspace", str(second.root), "archive", "add", str(a_document(tmp_path, 3))])
    assert refused.exit_code == 1 and "Traceback" not in refused.output
    assert [item.archive_no for item in Archive(first).items()] == ["Z001-WS·2020-D30-ZFB-0001"]
    assert verify(open_workspace(first.root)).ok
    copy = tmp_path / "东镇备份"
    shutil.copytree(first.root, copy)
    file_document(open_workspace(copy), a_document(tmp_path, 4), kind="notice")  # the same folder, restored
    assert len(Archive(first).items()) == 2


def test_init_with_a_database_that_is_not_there_says_how_to_go_on(cluster, tmp_path):
    url = cluster.url("no_such_database")
    result = CliRunner().invoke(cli, ["init", str(tmp_path / "镇"), "--database", url])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "fupin db upgrade" in result.output and "不必重新 init" in result.output
    config = (tmp_path / "镇" / "fupin.toml").read_text(encoding="utf-8")
    assert "no_such_database" in config  # kept, as the message says: corrected there, then upgraded
