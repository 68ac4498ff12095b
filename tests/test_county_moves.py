"""A township's workspace into the county database (`fupin db import`) and back
out (`fupin db export`): every 档号, date, digest and record unchanged, the
ledger and access log carried along, the chain head the same, and the journal
that comes back out byte for byte the one that went in. A real cluster."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import county_workspace, make_workspace, write_workbook
from fupin_docs.archive import Archive
from fupin_docs.audit import AccessLog
from fupin_docs.cli.main import cli
from fupin_docs.filing import file_document, withdraw_document
from fupin_docs.ledger.store import ledger_contents
from fupin_docs.workspace.config import open_workspace
from test_catalog_backends import a_document
from test_server import blank_pdf

@pytest.fixture
def cluster(pg_cluster):
    return pg_cluster


def run(*args) -> object:
    return CliRunner().invoke(cli, [str(a) for a in args])


def township(root: Path, tmp_path: Path):
    """An embedded township workspace with documents, a correction, a withdrawal,
    renditions, a ledger and an access log."""
    ws = make_workspace(root)
    tmp_path.mkdir(parents=True, exist_ok=True)
    for n in range(1, 5):
        file_document(ws, a_document(tmp_path, n), kind="notice", who="办事员甲")
    pdf = blank_pdf(tmp_path / "通知5.pdf")
    word = a_document(tmp_path, 5)
    file_document(ws, word, kind="notice", renditions=(pdf,), who="办事员甲")
    withdraw_document(ws, "Z001-WS·2020-D30-ZFB-0003", "重复归档", who="办事员甲")
    sheet = write_workbook(tmp_path / "排查表.xlsx", [
        ["村", "户编号", "户主姓名", "家庭收入", "基本生活", "义务教育", "基本医疗", "住房安全", "饮水安全", "备注"],
        ["东风村", "H001", "王某", "达标", "达标", "达标", "达标", "不达标", "达标", "房屋墙体开裂"],
    ])
    result = run("--workspace", root, "ledger", "import-check", sheet, "--date", "2020-06-08", "--deadline", "2020-06-30")
    assert result.exit_code == 0, result.output
    AccessLog(ws).record("search", who="督查组1", role="inspector", address="10.0.0.8", query="危房")
    return ws


def snapshot(ws) -> dict:
    archive = Archive(ws)
    return {no: (item.date, item.sha256, item.title, item.withdrawn, tuple(r["sha256"] for r in item.renditions))
            for no, item in archive.catalog.items().items()}


def test_import_then_export_keeps_everything(cluster, tmp_path):
    old = township(tmp_path / "三星镇", tmp_path)
    before, head = snapshot(old), Archive(old).head()
    county = county_workspace(tmp_path / "县服务器" / "三星镇", cluster.new_database())

    result = run("--workspace", county.root, "db", "import", old.root)
    assert result.exit_code == 0, result.output
    assert "核验通过" in result.output
    county = open_workspace(county.root)
    assert snapshot(county) == before
    assert Archive(county).head() == head
    hits = json.loads(run("--workspace", county.root, "search", "危房改造", "--json").output)
    assert hits["total"] == 4  # the withdrawn one is not shown
    assert ledger_contents(county) == ledger_contents(old)
    assert not (county.root / "ledger" / "问题台账.yaml").exists()  # the ledger is in the database now
    assert AccessLog(county).verify() == [] and len(AccessLog(county).records()) == 1

    out = tmp_path / "离开县服务器"
    result = run("--workspace", county.root, "db", "export", out)
    assert result.exit_code == 0, result.output
    back = open_workspace(out)
    assert back.config.database.url == "" and back.config.archive.catalog == "journal"
    assert snapshot(back) == before and Archive(back).head() == head
    assert (out / "archive" / "journal.jsonl").read_bytes() == (old.root / "archive" / "journal.jsonl").read_bytes()
    assert (out / "audit" / "access.jsonl").read_bytes() == (old.root / "audit" / "access.jsonl").read_bytes()
    for name in ("问题台账.yaml", "台账变更记录.jsonl"):
        assert (out / "ledger" / name).read_bytes() == (old.root / "ledger" / name).read_bytes()
    result = run("--workspace", out, "archive", "verify")
    assert result.exit_code == 0, result.output


def test_import_refuses_a_damaged_archive_and_a_full_target(cluster, tmp_path):
    old = township(tmp_path / "三星镇", tmp_path)
    county = county_workspace(tmp_path / "县" / "三星镇", cluster.new_database())
    assert run("--workspace", county.root, "db", "import", old.root).exit_code == 0
    other = township(tmp_path / "另一个三星镇", tmp_path / "另")
    file_document(other, a_document(tmp_path / "另", 9), kind="notice")  # a chain of its own
    again = run("--workspace", county.root, "db", "import", other.root)
    assert again.exit_code == 1 and "已有别的记录" in again.output and "Traceback" not in again.output

    journal = old.root / "archive" / "journal.jsonl"
    journal.write_text(journal.read_text(encoding="utf-8").replace("通知2", "通知9"), encoding="utf-8")
    fresh = county_workspace(tmp_path / "县2" / "三星镇", cluster.new_database())
    damaged = run("--workspace", fresh.root, "db", "import", old.root)
    assert damaged.exit_code == 3 and "记录链已损坏" in damaged.output
    assert not Archive(open_workspace(fresh.root)).catalog.exists()  # nothing half taken


def test_import_refuses_another_townships_numbers(cluster, tmp_path):
    old = township(tmp_path / "三星镇", tmp_path)
    other = county_workspace(tmp_path / "县" / "东镇", cluster.new_database(), fonds="Z101", org="DZ")
    result = run("--workspace", other.root, "db", "import", old.root)
    assert result.exit_code == 1
    assert "全宗号/机构代码不同" in result.output and "Traceback" not in result.output


def test_an_import_stopped_half_way_is_finished_by_running_it_again(cluster, tmp_path):
    from fupin_docs.archive.transfer import move_archive
    from fupin_docs.county import embedded
    old = township(tmp_path / "三星镇", tmp_path)
    county = county_workspace(tmp_path / "县" / "三星镇", cluster.new_database())
    move_archive(embedded(open_workspace(old.root)), county)  # stopped here: records in, access log and ledger not
    result = run("--workspace", county.root, "db", "import", old.root)
    assert result.exit_code == 0, result.output
    county = open_workspace(county.root)
    assert snapshot(county) == snapshot(old)
    assert ledger_contents(county) == ledger_contents(old)
    assert len(AccessLog(county).records()) == 1
    assert run("--workspace", county.root, "db", "import", old.root).exit_code == 0  # and again: nothing changes
    assert len(Archive(open_workspace(county.root)).events()) == len(Archive(old).events())


def test_export_refuses_a_folder_in_use_and_leaves_nothing_half_written(cluster, tmp_path):
    old = township(tmp_path / "三星镇", tmp_path)
    county = county_workspace(tmp_path / "县" / "三星镇", cluster.new_database())
    assert run("--workspace", county.root, "db", "import", old.root).exit_code == 0
    used = tmp_path / "用过的文件夹"
    (used / "ledger").mkdir(parents=True)
    (used / "ledger" / "x.json").write_text("{}", encoding="utf-8")
    result = run("--workspace", county.root, "db", "export", used)
    assert result.exit_code == 1 and "不是空文件夹" in result.output
    assert sorted(p.name for p in used.rglob("*")) == ["ledger", "x.json"]  # untouched
    config = county.root / "fupin.toml"
    config.write_text(config.read_text(encoding="utf-8").replace("[database]", "[ database ]  # 县服务器"),
                      encoding="utf-8")
    out = tmp_path / "离开"
    assert run("--workspace", county.root, "db", "export", out).exit_code == 0
    assert open_workspace(out).config.database.url == "" and "postgresql" not in (out / "fupin.toml").read_text(encoding="utf-8")
    assert not [p for p in tmp_path.iterdir() if "导出中" in p.name]


def test_an_export_killed_anywhere_leaves_no_half_workspace(cluster, tmp_path):
    """kill -9 `fupin db export` at random moments: the target is either absent or a
    whole workspace that verifies; what the killed run was building is cleared by
    the next export, which completes."""
    old = township(tmp_path / "三星镇", tmp_path / "材料")
    for n in range(6, 40):
        file_document(old, a_document(tmp_path / "材料", n), kind="notice", who="办事员甲")
    county = county_workspace(tmp_path / "县" / "三星镇", cluster.new_database())
    assert run("--workspace", county.root, "db", "import", old.root).exit_code == 0
    fupin = [sys.executable, "-m", "fupin_docs.cli.main", "--workspace", str(county.root), "db", "export"]
    started = time.monotonic()
    whole = subprocess.run([*fupin, str(tmp_path / "计时")], capture_output=True, text=True)
    assert whole.returncode == 0, whole.stderr
    seconds = time.monotonic() - started
    moments = random.Random(7)
    target = tmp_path / "离开"
    outcomes: list[str] = []
    for _round in range(8):
        writer = subprocess.Popen([*fupin, str(target)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(moments.uniform(0.3, 0.95) * seconds)
        os.kill(writer.pid, signal.SIGKILL)
        writer.wait()
        outcomes.append("whole" if target.exists() else
                        "building" if [p for p in tmp_path.iterdir() if "导出中" in p.name] else "not begun")
        if target.exists():  # it got to the rename: a whole workspace
            assert run("--workspace", target, "archive", "verify").exit_code == 0
            assert snapshot(open_workspace(target)) == snapshot(old)
            shutil.rmtree(target)
    finished = subprocess.run([*fupin, str(target)], capture_output=True, text=True)
    assert finished.returncode == 0, finished.stderr
    assert run("--workspace", target, "archive", "verify").exit_code == 0
    assert snapshot(open_workspace(target)) == snapshot(old)
    assert [p.name for p in tmp_path.iterdir() if "导出中" in p.name] == []
    assert "building" in outcomes, outcomes  # some kills did land inside the building


def test_import_goes_by_the_records_numbers_not_an_edited_fupin_toml(cluster, tmp_path):
    """A township folder whose fupin.toml was changed after filing (its records still
    say Z001/ZFB) cannot be imported as Z302/ZFB: two townships would hold one 档号."""
    old = township(tmp_path / "三星镇", tmp_path)
    config = old.root / "fupin.toml"
    config.write_text(config.read_text(encoding="utf-8").replace('fonds = "Z001"', 'fonds = "Z302"'), encoding="utf-8")
    target = county_workspace(tmp_path / "县" / "三星镇", cluster.new_database(), fonds="Z302")
    result = run("--workspace", target.root, "db", "import", old.root)
    assert result.exit_code == 1 and "不属于全宗号/机构代码 Z302/ZFB" in result.output
    assert "Z001-WS·2020-D30-ZFB-0001" in result.output and "Traceback" not in result.output
    assert not Archive(open_workspace(target.root)).catalog.exists()


def test_import_refuses_a_link_that_would_carry_in_another_file(cluster, tmp_path):
    old = township(tmp_path / "三星镇", tmp_path)
    secret = tmp_path / "别人的文件.txt"
    secret.write_text("不该被迁入的内容", encoding="utf-8")
    (old.root / "ledger" / "evidence.txt").symlink_to(secret)
    county = county_workspace(tmp_path / "县" / "三星镇", cluster.new_database())
    result = run("--workspace", county.root, "db", "import", old.root)
    assert result.exit_code == 1 and "链接" in result.output and "Traceback" not in result.output
    assert not [p for p in county.root.rglob("evidence.txt")]
    assert not Archive(open_workspace(county.root)).catalog.exists()  # refused before anything was written
