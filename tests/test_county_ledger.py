"""The problem ledger in the county database, attacked through the database itself.

The database twins of the embedded ledger's hand-edit tests (tests/test_hostile_ledger.py,
tests/test_ledger.py, marked `embedded`): someone with access to the county
database changes the tables ledger_problem and ledger_history by SQL instead of
editing 问题台账.yaml and 台账变更记录.jsonl. What the archive's journal witnesses
(every 销号) must still be checked, and nothing may be counted as done that the
history and the journal do not back. A real cluster (tests/pg_cluster.py); the
real `fupin` program in a subprocess.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from conftest import county_workspace, ledger_state, write_workbook
from fupin_docs.archive import Archive
from fupin_docs.ledger import (LedgerError, close_problem, import_check_sheet, ledger_summary, load_ledger,
                               select_summary, verify_ledger)
from fupin_docs.workspace.database import township

FUPIN = Path(sys.executable).with_name("fupin")
HEADER = ["村", "户编号", "户主姓名", "家庭收入", "基本生活", "义务教育", "基本医疗", "住房安全", "饮水安全", "备注"]


def run(ws, *args, timeout=60):
    env = {**os.environ, "FUPIN_USER": "测试员"}
    return subprocess.run([str(FUPIN), "--workspace", str(ws.root), *args], capture_output=True, text=True,
                          timeout=timeout, env=env)


def sql(ws, statement: str, params=None) -> list:
    """STATEMENT run on the workspace's county database, as anyone with its address can."""
    with psycopg.connect(ws.config.database.url) as conn:
        cursor = conn.execute(statement, params)
        return cursor.fetchall() if cursor.description else []


def stored_record(ws, pid: str) -> dict:
    (text,), = sql(ws, "SELECT record FROM ledger_problem WHERE scope = %s AND pid = %s", (township(ws), pid))
    return json.loads(text)


def set_record(ws, pid: str, record: dict) -> None:
    """PID's row rewritten by UPDATE (no `fupin ledger`, no history)."""
    sql(ws, "UPDATE ledger_problem SET record = %s WHERE scope = %s AND pid = %s",
        (json.dumps(record, ensure_ascii=False), township(ws), pid))


def append_history(ws, pid: str, changes: list[tuple], action: str = "销号") -> None:
    """History rows INSERTed by hand (the table refuses UPDATE and DELETE, not INSERT)."""
    scope = township(ws)
    (last,), = sql(ws, "SELECT coalesce(max(seq), 0) FROM ledger_history WHERE scope = %s", (scope,))
    for n, (field, old, new) in enumerate(changes, 1):
        entry = {"时间": "2020-06-28T10:00:00+08:00", "操作人": "张三", "操作": action, "问题编号": pid,
                 "字段": field, "原值": old, "新值": new}
        sql(ws, "INSERT INTO ledger_history (scope, seq, pid, entry) VALUES (%s, %s, %s, %s)",
            (scope, last + n, pid, json.dumps(entry, ensure_ascii=False)))


def sql_close(ws, pid: str, evidence: str, date: str = "2020-06-28") -> None:
    record = stored_record(ws, pid)
    assert record["整改状态"] == "未整改"
    set_record(ws, pid, {**record, "整改状态": "已销号", "销号日期": date, "佐证材料": [evidence]})


def archived(ws, tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return Archive(ws).add(path, title=path.stem, unit="东风村", date="2020-06-20").item.archive_no


@pytest.fixture
def ws(pg_cluster, tmp_path):
    return county_workspace(tmp_path / "ws", pg_cluster.new_database())


@pytest.fixture
def town(ws, tmp_path):
    """WT-2020-0001 (东风村, 住房安全) and WT-2020-0002 (红旗村, 饮水安全), both 未整改."""
    sheet = write_workbook(tmp_path / "排查表.xlsx", [
        HEADER, ["东风村", "001", "王一", "达标", "达标", "达标", "达标", "不达标", "达标", "墙体开裂"],
        ["红旗村", "002", "李二", "达标", "达标", "达标", "达标", "达标", "不达标", "饮用塘水"]])
    import_check_sheet(ws, sheet, date=dt.date(2020, 6, 8), deadline="2020-06-30")
    return ws


@pytest.fixture
def closed_one(town, tmp_path):
    """WT-2020-0001 closed properly with archived evidence; WT-2020-0002 open; everything verifies."""
    number = archived(town, tmp_path, "王一户鉴定报告.txt", "经鉴定为C级，已加固。")
    close_problem(town, "WT-2020-0001", [number], date=dt.date(2020, 6, 25))
    assert run(town, "index", "rebuild").returncode == 0
    assert verify_ledger(town).ok
    return town, number


def assert_archive_verify_names(ws, pid: str) -> None:
    result = run(ws, "archive", "verify")
    assert result.returncode == 3, result.stdout + result.stderr
    assert f"问题台账：{pid}：" in result.stdout


# --- records the program cannot have written ------------------------------------------


def test_a_status_set_by_sql_is_refused_with_the_problem_named(town):
    """Twin of test_ledger.test_hand_edited_ledger_errors_are_located: no 行:列 in a table,
    so the 问题编号 and the field say where."""
    set_record(town, "WT-2020-0002", {**stored_record(town, "WT-2020-0002"), "整改状态": "搞定了"})
    with pytest.raises(LedgerError) as caught:
        load_ledger(town)
    message = str(caught.value)
    assert message.startswith("县级数据库中的问题台账有记录无法读取：WT-2020-0002：")
    assert "整改状态“搞定了”不是允许的值" in message and "未整改、整改中、已整改、已销号" in message
    listed = run(town, "ledger", "list")
    assert listed.returncode == 1 and "Traceback" not in listed.stderr
    assert "WT-2020-0002" in listed.stderr and "“搞定了”不是允许的值" in listed.stderr
    checked = run(town, "ledger", "verify")
    assert checked.returncode == 3 and "“搞定了”不是允许的值" in checked.stdout


def test_control_characters_set_by_sql_are_refused_and_never_echoed(town):
    """Twin of test_hostile_ledger.test_control_characters_in_a_hand_edited_ledger_are_located."""
    record = stored_record(town, "WT-2020-0001")
    set_record(town, "WT-2020-0001", {**record, "问题描述": "住房安全不达标\x1b[2J\u202e", "责任单位": "镇国土所\x9b31m"})
    with pytest.raises(LedgerError, match="控制字符"):
        load_ledger(town)
    result = run(town, "ledger", "list")
    shown = result.stdout + result.stderr
    assert result.returncode == 1 and "Traceback" not in shown
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202e]", shown)
    assert "WT-2020-0001：问题描述" in result.stderr and "控制字符（U+001B" in result.stderr


# --- 销号 by SQL: the journal is the witness ------------------------------------------------


def test_a_close_set_by_sql_with_archived_evidence_is_damage(closed_one):
    ws, number = closed_one
    sql_close(ws, "WT-2020-0002", number)  # real evidence, no `ledger close`, no history
    report = verify_ledger(ws)
    assert report.unverified_ids == ["WT-2020-0002"]
    assert [str(f) for f in report.problems] == [
        "WT-2020-0002：台账中整改状态是“已销号”，但台账变更记录中最后记下的是“未整改”（可能是直接改了台账文件），"
        "未计入整改完成数",
        "WT-2020-0002：已销号，但档案日志中没有这次销号的记录（销号须用 fupin ledger close 办理，"
        "可能是直接改了台账文件和变更记录），销号无据，未计入整改完成数"]
    figures = ledger_summary(ws, today=dt.date(2020, 7, 1))
    assert figures["by_status"]["已销号"] == 1 and figures["done"] == 1 and figures["rate"] == 0.5
    assert figures["unverified"] == 1 and figures["unverified_ids"] == ["WT-2020-0002"]
    assert figures["overdue_ids"] == ["WT-2020-0002"]
    checked = run(ws, "ledger", "verify")
    assert checked.returncode == 3 and "WT-2020-0002：" in checked.stdout and "WT-2020-0001" not in checked.stdout
    as_json = run(ws, "ledger", "verify", "--json")
    assert as_json.returncode == 3 and json.loads(as_json.stdout)["unverified_ids"] == ["WT-2020-0002"]
    assert_archive_verify_names(ws, "WT-2020-0002")
    summary = run(ws, "ledger", "summary", "--json", "--today", "2020-07-01")
    assert summary.returncode == 0 and json.loads(summary.stdout)["done"] == 1
    assert json.loads(summary.stdout)["unverified_ids"] == ["WT-2020-0002"]
    listed = run(ws, "ledger", "list")
    assert "WT-2020-0002  已销号（存疑）" in listed.stdout and "WT-2020-0001  已销号  " in listed.stdout


def test_a_close_set_by_sql_with_a_made_up_number_is_damage(closed_one):
    ws, number = closed_one
    fake = number.rsplit("-", 1)[0] + "-9999"
    sql_close(ws, "WT-2020-0002", fake)
    report = verify_ledger(ws)
    assert report.unverified_ids == ["WT-2020-0002"]
    assert f"WT-2020-0002：已销号，但佐证材料 {fake} 在档案中不存在，销号无据，未计入整改完成数；" \
           f"请核对档号，或把佐证材料归档后重新销号" in [str(f) for f in report.problems]
    assert select_summary(ws, today=dt.date(2020, 7, 1))["done"] == 1
    checked = run(ws, "ledger", "verify")
    assert checked.returncode == 3 and fake in checked.stdout
    assert_archive_verify_names(ws, "WT-2020-0002")


def test_a_close_set_by_sql_with_inserted_history_is_damage(closed_one):
    """The history accepts INSERT: a forged 销号 there too, and only the journal knows."""
    ws, number = closed_one
    sql_close(ws, "WT-2020-0002", number)
    append_history(ws, "WT-2020-0002", [("整改状态", "未整改", "已销号"), ("销号日期", None, "2020-06-28"),
                                         ("佐证材料", [], [number])])
    report = verify_ledger(ws)
    assert [str(f) for f in report.problems] == [
        "WT-2020-0002：已销号，但档案日志中没有这次销号的记录（销号须用 fupin ledger close 办理，"
        "可能是直接改了台账文件和变更记录），销号无据，未计入整改完成数"]
    assert ledger_summary(ws, today=dt.date(2020, 7, 1))["unverified_ids"] == ["WT-2020-0002"]
    assert run(ws, "ledger", "verify").returncode == 3
    assert_archive_verify_names(ws, "WT-2020-0002")


def test_a_close_date_or_evidence_changed_by_sql_differs_from_the_journal(closed_one, tmp_path):
    ws, number = closed_one
    other = archived(ws, tmp_path, "另一份材料.txt", "与本问题无关的材料。")
    record = stored_record(ws, "WT-2020-0001")
    assert record["销号日期"] == "2020-06-25"
    set_record(ws, "WT-2020-0001", {**record, "销号日期": "2020-06-20"})
    append_history(ws, "WT-2020-0001", [("销号日期", "2020-06-25", "2020-06-20")], action="修改")
    report = verify_ledger(ws)
    assert [str(f) for f in report.problems] == [
        "WT-2020-0001：台账中销号日期是“2020-06-20”，但档案日志记下的销号日期是“2020-06-25”"
        "（可能是直接改了台账文件），未计入整改完成数"]
    set_record(ws, "WT-2020-0001", {**record, "佐证材料": [number, other]})
    append_history(ws, "WT-2020-0001", [("销号日期", "2020-06-20", "2020-06-25"), ("佐证材料", [number], [number, other])],
                   action="修改")
    report = verify_ledger(ws)
    assert report.unverified_ids == ["WT-2020-0001"]
    assert [str(f) for f in report.problems] == [
        f"WT-2020-0001：台账中佐证材料是“{number}、{other}”，但档案日志记下的销号佐证材料是“{number}”"
        f"（可能是直接改了台账文件），未计入整改完成数"]
    assert_archive_verify_names(ws, "WT-2020-0001")


# --- rows deleted, history rewritten, closes undone ------------------------------------------


def test_the_history_refuses_update_delete_and_truncate(closed_one):
    ws, _ = closed_one
    before = ledger_state(ws)
    for statement in ("UPDATE ledger_history SET entry = '{}'",
                      "DELETE FROM ledger_history WHERE entry LIKE '%销号%'",
                      "TRUNCATE ledger_history"):
        with pytest.raises(psycopg.errors.RaiseException, match="append-only .* refused on ledger_history"):
            sql(ws, statement)
    assert ledger_state(ws) == before


def test_deleting_a_closed_problem_row_is_damage(closed_one):
    """Twin of test_hostile_ledger.test_deleting_a_closed_problem_from_the_ledger_is_damage."""
    ws, number = closed_one
    sql(ws, "DELETE FROM ledger_problem WHERE scope = %s AND pid = 'WT-2020-0001'", (township(ws),))
    assert [p.pid for p in load_ledger(ws)] == ["WT-2020-0002"]
    report = verify_ledger(ws)
    assert report.unverified_ids == ["WT-2020-0001"]
    assert [str(f) for f in report.problems] == [
        f"WT-2020-0001：档案日志记有这个问题的销号（2020-06-25，佐证材料 {number}），"
        f"但台账中没有这个问题，可能被删除，请从备份恢复台账"]
    assert run(ws, "ledger", "verify").returncode == 3
    assert_archive_verify_names(ws, "WT-2020-0001")


def test_deleting_every_problem_row_is_damage(closed_one):
    """Twin of test_hostile_ledger.test_deleting_the_ledger_folder_is_damage_when_the_journal_has_closes:
    the history cannot be deleted with the problems, so the lost close is named."""
    ws, number = closed_one
    sql(ws, "DELETE FROM ledger_problem WHERE scope = %s", (township(ws),))
    assert len(load_ledger(ws)) == 0
    report = verify_ledger(ws)
    assert report.unverified_ids == ["WT-2020-0001"]
    assert "但台账中没有这个问题，可能被删除，请从备份恢复台账" in str(report.problems[0])
    result = run(ws, "ledger", "verify")
    assert result.returncode == 3 and "WT-2020-0001" in result.stdout
    assert_archive_verify_names(ws, "WT-2020-0001")


def test_a_close_undone_by_sql_without_a_reopening_is_damage(closed_one):
    """Twin of test_hostile_ledger.test_a_hand_reopened_close_without_any_record_is_damage."""
    ws, number = closed_one
    record = stored_record(ws, "WT-2020-0001")
    for key in ("销号日期", "佐证材料"):
        del record[key]
    set_record(ws, "WT-2020-0001", {**record, "整改状态": "未整改"})
    assert load_ledger(ws).get("WT-2020-0001").status == "未整改"
    report = verify_ledger(ws)
    assert report.unverified_ids == ["WT-2020-0001"]
    messages = [str(f) for f in report.problems]
    assert messages[0] == ("WT-2020-0001：台账中整改状态是“未整改”，但台账变更记录中最后记下的是“已销号”"
                           "（可能是直接改了台账文件），未计入整改完成数")
    assert "都没有撤销销号的记录" in messages[1] and "fupin ledger set WT-2020-0001 --status 整改中" in messages[1]
    assert run(ws, "ledger", "verify").returncode == 3
    assert_archive_verify_names(ws, "WT-2020-0001")


def test_a_close_undone_with_the_append_only_trigger_disabled_is_still_damage(closed_one):
    """The tables' owner can disable the trigger and delete the 销号 from the history as
    the embedded files allow: the hash-chained journal still witnesses the close."""
    ws, number = closed_one
    record = stored_record(ws, "WT-2020-0001")
    for key in ("销号日期", "佐证材料"):
        del record[key]
    with psycopg.connect(ws.config.database.url) as conn:
        conn.execute("ALTER TABLE ledger_history DISABLE TRIGGER ledger_history_append_only")
        deleted = conn.execute("DELETE FROM ledger_history WHERE scope = %s AND entry LIKE %s",
                               (township(ws), '%"操作": "销号"%')).rowcount
        conn.execute("ALTER TABLE ledger_history ENABLE TRIGGER ledger_history_append_only")
    assert deleted == 3
    set_record(ws, "WT-2020-0001", {**record, "整改状态": "未整改"})
    report = verify_ledger(ws)
    assert report.unverified_ids == ["WT-2020-0001"]
    assert len(report.problems) == 1 and "档案日志和台账变更记录都没有撤销销号的记录" in str(report.problems[0])
    assert run(ws, "ledger", "verify").returncode == 3
    assert_archive_verify_names(ws, "WT-2020-0001")


def test_a_close_restored_by_sql_after_a_real_reopening_is_damage(closed_one):
    """Twin of the second half of test_hostile_ledger.test_reopening_is_recorded_in_the_journal_and_is_not_damage."""
    ws, number = closed_one
    assert run(ws, "ledger", "set", "WT-2020-0001", "--status", "整改中").returncode == 0
    assert verify_ledger(ws).ok
    record = stored_record(ws, "WT-2020-0001")
    set_record(ws, "WT-2020-0001", {**record, "整改状态": "已销号", "销号日期": "2020-06-25"})
    append_history(ws, "WT-2020-0001", [("整改状态", "整改中", "已销号"), ("销号日期", None, "2020-06-25")],
                   action="修改")
    report = verify_ledger(ws)
    assert report.unverified_ids == ["WT-2020-0001"]
    assert re.fullmatch(r"WT-2020-0001：已销号，但档案日志最后记下的是 \d{4}-\d\d-\d\d 撤销销号，之后没有再销号的记录"
                        r"（可能是直接改了台账文件），销号无据，未计入整改完成数", str(report.problems[0]))
    assert_archive_verify_names(ws, "WT-2020-0001")


# --- a database that cannot write: all or nothing, a message not a traceback --------------------


def test_a_read_only_database_is_a_message_and_changes_nothing(town, tmp_path):
    """Twin of test_hostile_ledger.test_a_read_only_disk_is_a_message_not_a_traceback."""
    ws = town
    before = ledger_state(ws)
    (name,), = sql(ws, "SELECT current_database()")
    with psycopg.connect(ws.config.database.url, autocommit=True) as conn:
        conn.execute(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on')
    result = run(ws, "ledger", "set", "WT-2020-0001", "--unit", "镇国土所", timeout=30)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "本次操作没有完成，已全部撤销" in result.stderr and "只能读、不能写" in result.stderr
    assert "read-only" not in result.stderr and "ReadOnly" not in result.stderr  # office words, not the server's
    sheet = write_workbook(tmp_path / "复查表.xlsx", [
        HEADER, ["东风村", "003", "王三", "达标", "达标", "达标", "达标", "不达标", "达标", "墙体开裂"]])
    result = run(ws, "ledger", "import-check", str(sheet), "--date", "2020-06-08", timeout=30)
    assert result.returncode == 1 and "Traceback" not in result.stderr and "已全部撤销" in result.stderr
    assert ledger_state(ws) == before
    assert run(ws, "ledger", "summary").returncode == 0  # reading still works


def test_a_full_database_disk_leaves_the_problems_and_history_as_they_were(town, tmp_path):
    """Twin of test_hostile_ledger.test_a_full_disk_leaves_the_ledger_and_history_as_they_were: the
    server runs out of space after the problems are rewritten, at the first history row."""
    ws = town
    sql(ws, """CREATE FUNCTION test_disk_full() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
                   RAISE EXCEPTION 'could not extend file: No space left on device' USING ERRCODE = 'disk_full';
               END $$;
               CREATE TRIGGER test_disk_full BEFORE INSERT ON ledger_history
                   FOR EACH ROW EXECUTE FUNCTION test_disk_full();""")
    before = ledger_state(ws)
    sheet = write_workbook(tmp_path / "复查表.xlsx", [
        HEADER, *[["东风村", f"{n:03d}", f"户主{n}", "达标", "达标", "达标", "达标", "不达标", "不达标", "危房；塘水"]
                  for n in range(3, 40)]])
    result = run(ws, "ledger", "import-check", str(sheet), "--date", "2020-06-08", "--source", "暗访督查")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "本次操作没有完成，已全部撤销" in result.stderr and "磁盘已满" in result.stderr
    assert "No space" not in result.stderr and "DiskFull" not in result.stderr
    result = run(ws, "ledger", "set", "WT-2020-0002", "--status", "整改中")
    assert result.returncode == 1 and "已全部撤销" in result.stderr
    assert ledger_state(ws) == before  # not the 74 new problems without their history, not one changed status


def test_a_close_moved_into_another_townships_ledger_is_damage(closed_one, tmp_path):
    """One county database, two townships: a closed problem copied by SQL into the other
    township's ledger is backed by neither its history, its archive nor its journal."""
    ws, number = closed_one
    other = county_workspace(tmp_path / "ws2", ws.config.database.url, org="HQX")
    assert township(other) != township(ws) and len(load_ledger(other)) == 0
    sql(ws, "INSERT INTO ledger_problem (scope, position, pid, record) "
            "SELECT %s, position, pid, record FROM ledger_problem WHERE scope = %s AND pid = 'WT-2020-0001'",
        (township(other), township(ws)))
    assert load_ledger(other).get("WT-2020-0001").status == "已销号"
    report = verify_ledger(other)
    assert report.unverified_ids == ["WT-2020-0001"]
    assert [str(f) for f in report.problems] == [
        "WT-2020-0001：整改状态为“已销号”，但台账变更记录中没有这个问题的任何记录（可能是直接改了台账文件），"
        "状态无从核实，未计入整改完成数",
        f"WT-2020-0001：已销号，但佐证材料 {number} 在档案中不存在，销号无据，未计入整改完成数；"
        f"请核对档号，或把佐证材料归档后重新销号",
        "WT-2020-0001：已销号，但档案日志中没有这次销号的记录（销号须用 fupin ledger close 办理，"
        "可能是直接改了台账文件和变更记录），销号无据，未计入整改完成数"]
    assert ledger_summary(other, today=dt.date(2020, 7, 1))["done"] == 0
    assert run(other, "ledger", "verify").returncode == 3
    assert verify_ledger(ws).ok  # the first township's own ledger is untouched


# --- rows this program did not write: named, never a traceback, never half read ----------------


def no_traceback(result) -> str:
    assert "Traceback" not in result.stdout + result.stderr, result.stderr
    return result.stdout + result.stderr


def test_a_damaged_history_row_is_named_by_every_reader(closed_one):
    """The history takes new rows only, so a garbage row cannot be deleted again: every
    reader names it, verify reports it instead of stopping, nothing crashes."""
    ws, _number = closed_one
    sql(ws, "INSERT INTO ledger_history (scope, seq, pid, entry) "
            "SELECT scope, max(seq) + 1, 'WT-2020-0002', 'garbage' FROM ledger_history WHERE scope = %s GROUP BY scope",
        (township(ws),))
    (seq,), = sql(ws, "SELECT max(seq) FROM ledger_history WHERE scope = %s", (township(ws),))
    report = verify_ledger(ws)
    assert f"台账变更记录第{seq}条已损坏，无法读取（县级数据库）；请从备份恢复" in [str(p) for p in report.problems]
    for args in (("ledger", "verify"), ("archive", "verify")):
        result = run(ws, *args)
        assert result.returncode == 3 and f"第{seq}条已损坏" in no_traceback(result)
    for args in (("ledger", "list"), ("ledger", "summary")):  # the problems themselves are whole
        result = run(ws, *args)
        assert result.returncode == 0 and "问题" in no_traceback(result)
    result = run(ws, "ledger", "history", "WT-2020-0002")
    assert result.returncode == 1 and f"台账变更记录第 {seq} 条已损坏" in no_traceback(result)
    with pytest.raises(LedgerError, match="已损坏"):
        from fupin_docs.ledger.store import read_history
        read_history(ws)


@pytest.mark.parametrize("record", ["garbage", "[]", '"text"'])
def test_a_damaged_problem_row_is_named_and_refuses_edits(town, record):
    ws = town
    before_history = sql(ws, "SELECT count(*) FROM ledger_history WHERE scope = %s", (township(ws),))
    sql(ws, "UPDATE ledger_problem SET record = %s WHERE scope = %s AND pid = 'WT-2020-0002'", (record, township(ws)))
    with pytest.raises(LedgerError, match="WT-2020-0002 的记录已损坏"):
        load_ledger(ws)
    report = verify_ledger(ws)
    assert not report.ok and "WT-2020-0002 的记录已损坏" in str(report.problems[0])
    result = run(ws, "ledger", "list")
    assert result.returncode == 1 and "WT-2020-0002 的记录已损坏" in no_traceback(result)
    result = run(ws, "ledger", "set", "WT-2020-0001", "--unit", "镇国土所")
    assert result.returncode == 1 and "已损坏" in no_traceback(result)
    assert sql(ws, "SELECT count(*) FROM ledger_history WHERE scope = %s", (township(ws),)) == before_history
    assert run(ws, "archive", "verify").returncode == 3


def test_a_row_renumbered_to_hide_a_problem_is_refused(closed_one):
    """WT-2020-0002's row made to say it is WT-2020-0001: a problem would vanish silently
    and the ledger verify clean (two records of one number); refused by name."""
    ws, _number = closed_one
    record = stored_record(ws, "WT-2020-0002")
    record["问题编号"] = "WT-2020-0001"
    set_record(ws, "WT-2020-0002", record)
    with pytest.raises(LedgerError, match="另一个问题编号“WT-2020-0001”"):
        load_ledger(ws)
    assert not verify_ledger(ws).ok
    result = run(ws, "ledger", "verify")
    assert result.returncode == 3 and "WT-2020-0002" in no_traceback(result)
