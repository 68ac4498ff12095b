"""Hostile inputs to the problem ledger: what an attacker (or a very unlucky clerk) hands it.

Every test builds the real thing — .xlsx files from openpyxl or as raw zip XML,
FIFOs, tmpfs mounts, real archives — and runs the real library or the real
`fupin` program in a subprocess with a timeout, so a hang fails the test
instead of hanging the suite.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook

from fupin_docs.archive import Archive
from fupin_docs.inputs.problems import InputError
from fupin_docs.ledger import (LedgerError, close_problem, export_ledger, history_path, import_check_sheet,
                               ledger_path, load_ledger, set_fields)
from fupin_docs.ledger.store import read_history
from conftest import ledger_state, make_workspace, write_workbook

FUPIN = Path(sys.executable).with_name("fupin")
HEADER = ["村", "户编号", "户主姓名", "家庭收入", "基本生活", "义务教育", "基本医疗", "住房安全", "饮水安全", "备注"]
OK6 = ["达标"] * 6


def run(ws, *args, timeout=60, cwd=None):
    """The real CLI in a subprocess; a hang becomes a test failure after TIMEOUT seconds."""
    env = {**os.environ, "FUPIN_USER": "测试员"}
    return subprocess.run([str(FUPIN), "--workspace", str(ws.root), *args], capture_output=True, text=True,
                          timeout=timeout, env=env, cwd=cwd)


@pytest.fixture
def ws(tmp_path):
    return make_workspace(tmp_path / "ws")


def write_sheet(path: Path, rows: list[list], header=HEADER) -> Path:
    return write_workbook(path, [header, *rows])


def two_households(path: Path) -> Path:
    return write_sheet(path, [["东风村", "001", "王一", "达标", "达标", "达标", "达标", "不达标", "达标", "墙体开裂"],
                              ["红旗村", "002", "李二", *OK6, None]])


# --- raw .xlsx parts ------------------------------------------------------------------

CONTENT_TYPES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>
<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>
</Types>"""
ROOT_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>
</Relationships>"""
WORKBOOK = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">
<sheets><sheet name="排查表" sheetId="1" r:id="rId1"/></sheets></workbook>"""
WORKBOOK_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>
</Relationships>"""
SHEET_HEAD = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
              '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')


def column_letter(col: int) -> str:
    letters = ""
    while col:
        col, rest = divmod(col - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def xml_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def xml_row(row: int, values: list) -> str:
    cells = []
    for col, value in enumerate(values, start=1):
        ref = f"{column_letter(col)}{row}"
        if value is None:
            continue
        if isinstance(value, tuple):  # ("f", formula) without a cached value
            cells.append(f'<c r="{ref}"><f>{xml_text(value[1])}</f></c>')
        else:
            cells.append(f'<c r="{ref}" t="inlineStr"><is><t>{xml_text(str(value))}</t></is></c>')
    return f'<row r="{row}">{"".join(cells)}</row>'


def raw_xlsx(path: Path, rows: list[list], *, before_rows: str = "", after_rows: str = "", header=HEADER) -> Path:
    """An .xlsx written as zip XML by hand: header in row 1, ROWS from row 2."""
    body = "".join(xml_row(i, values) for i, values in enumerate([header, *rows], start=1))
    raw_with_sheet(path, f"{SHEET_HEAD}{before_rows}<sheetData>{body}</sheetData>{after_rows}</worksheet>")
    return path


def bomb_xlsx(path: Path, chunks, *, head="", tail="") -> Path:
    """A raw .xlsx whose sheet XML is streamed from CHUNKS (so it can be huge unpacked, tiny packed)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", ROOT_RELS)
        archive.writestr("xl/workbook.xml", WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write((SHEET_HEAD + "<sheetData>" + xml_row(1, HEADER) + head).encode())
            for chunk in chunks:
                sheet.write(chunk)
            sheet.write(tail.encode() + b"</sheetData></worksheet>")
    return path


def problems_of(result) -> list[str]:
    return [line for line in result.stderr.splitlines() if re.match(r"^.+:\d+:\d+: ", line)]


# --- 12. a stray cell at XFD1048576 -----------------------------------------------------


def test_stray_cell_at_the_last_cell_of_the_sheet_is_read_in_bounded_time(ws, tmp_path):
    path = two_households(tmp_path / "排查表.xlsx")
    workbook = load_workbook(path)
    workbook.active["XFD1048576"] = "x"
    workbook.save(path)
    assert path.stat().st_size < 10_000
    started = time.monotonic()
    result = run(ws, "ledger", "import-check", str(path), "--date", "2020-06-08", "--json", timeout=60)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["created"] == ["WT-2020-0001"]
    assert time.monotonic() - started < 30


def test_stray_cell_in_an_exchanged_ledger_is_read_in_bounded_time(ws, tmp_path):
    path = write_sheet(tmp_path / "台账.xlsx", [["WT-2020-0001", "自查", "住房不安全", "未整改"]],
                       header=["问题编号", "问题来源", "问题描述", "整改状态"])
    workbook = load_workbook(path)
    workbook.active["XFD1048576"] = "x"
    workbook.active["XFD2"] = "y"  # a wide row too
    workbook.save(path)
    result = run(ws, "ledger", "import", str(path), "--json", timeout=60)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["created"] == ["WT-2020-0001"]


def test_row_numbers_beyond_excel_are_not_followed(ws, tmp_path):
    """<row r="999999999999"> would make the reader fill a trillion empty rows."""
    path = raw_xlsx(tmp_path / "排查表.xlsx", [["东风村", "001", "王一", *OK6, None]],
                    after_rows="")
    data = path.read_bytes()
    with zipfile.ZipFile(path) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml").decode()
    sheet = sheet.replace("</sheetData>", '<row r="999999999999"><c r="A999999999999" t="inlineStr">'
                                          '<is><t>x</t></is></c></row></sheetData>')
    raw_with_sheet(path, sheet)
    assert path.read_bytes() != data
    result = run(ws, "ledger", "import-check", str(path), "--date", "2020-06-08", timeout=60)
    assert result.returncode == 1, result.stdout
    assert "行号超出" in result.stderr and "Traceback" not in result.stderr


def raw_with_sheet(path: Path, sheet_xml: str) -> None:
    """A minimal .xlsx package around SHEET_XML, its only sheet."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", ROOT_RELS)
        archive.writestr("xl/workbook.xml", WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        archive.writestr("xl/worksheets/sheet1.xml", sheet_xml)


# --- 11. non-regular files ---------------------------------------------------------------


@pytest.mark.parametrize("command", [["import-check"], ["import"]])
def test_a_fifo_is_refused_not_waited_on(ws, tmp_path, command):
    fifo = tmp_path / "排查表.xlsx"
    os.mkfifo(fifo)
    result = run(ws, "ledger", *command, str(fifo), timeout=20)
    assert result.returncode == 1
    assert f"{fifo}:1:1: " in result.stderr and "不是普通文件" in result.stderr


def test_a_fifo_roster_and_a_device_are_refused(ws, tmp_path):
    sheet = two_households(tmp_path / "排查表.xlsx")
    fifo = tmp_path / "户名册.xlsx"
    os.mkfifo(fifo)
    result = run(ws, "ledger", "import-check", str(sheet), "--roster", str(fifo), timeout=20)
    assert result.returncode == 1 and "不是普通文件" in result.stderr
    device = tmp_path / "zero.xlsx"
    os.symlink("/dev/zero", device)
    result = run(ws, "ledger", "import-check", str(device), timeout=20)
    assert result.returncode == 1 and "不是普通文件" in result.stderr
    assert ledger_state(ws) == ([], [])  # no ledger yet


# --- other formats renamed .xlsx, zip bombs ----------------------------------------------


def test_an_xls_renamed_xlsx_is_named_for_what_it_is(ws, tmp_path):
    fake = tmp_path / "排查表.xlsx"
    fake.write_bytes(bytes.fromhex("d0cf11e0a1b11ae1") + b"\0" * 1024)  # the OLE2 (Excel 97-2003) signature
    result = run(ws, "ledger", "import-check", str(fake))
    assert result.returncode == 1
    assert f"{fake}:1:1: " in result.stderr and "97-2003" in result.stderr and "另存为" in result.stderr


def test_a_csv_renamed_xlsx_is_named_for_what_it_is(ws, tmp_path):
    fake = tmp_path / "排查表.xlsx"
    fake.write_text(",".join(HEADER) + "\n东风村,001,王一,达标,达标,达标,达标,不达标,达标,\n", encoding="utf-8")
    result = run(ws, "ledger", "import", str(fake))
    assert result.returncode == 1
    assert "文本文件" in result.stderr and "CSV" in result.stderr and "另存为" in result.stderr


def test_a_zip_bomb_is_refused_before_it_is_unpacked(ws, tmp_path):
    # 300 MB of sheet XML packed into well under 1 MB
    path = bomb_xlsx(tmp_path / "排查表.xlsx", (b" " * (1 << 20) for _ in range(300)))
    assert path.stat().st_size < 2_000_000
    started = time.monotonic()
    result = run(ws, "ledger", "import-check", str(path), timeout=60)
    assert result.returncode == 1, result.stdout
    assert "解压后" in result.stderr and "Traceback" not in result.stderr
    assert time.monotonic() - started < 20


def test_a_one_row_bomb_is_refused(ws, tmp_path):
    """40 MB of empty cells in one row: tiny packed, gigabytes once the reader builds every cell."""
    cell = b'<c r="B2"/>'
    path = bomb_xlsx(tmp_path / "排查表.xlsx", (cell * 400_000 for _ in range(9)), head='<row r="2">',
                     tail="</row>")
    with zipfile.ZipFile(path) as archive:
        assert archive.getinfo("xl/worksheets/sheet1.xml").file_size > 35_000_000
    result = run(ws, "ledger", "import-check", str(path), timeout=60)
    assert result.returncode == 1
    assert "解压后" in result.stderr or "压缩" in result.stderr


# --- cells that attack the terminal, formulas, merged cells ---------------------------------


def test_terminal_escapes_in_cells_are_refused_and_never_echoed(ws, tmp_path):
    # openpyxl refuses C0 controls, but C1 ones (\x9b is a one-byte CSI) and bidi overrides pass
    path = write_sheet(tmp_path / "排查表.xlsx", [
        ["东风村", "001", "王一\u202e", *OK6, None],
        ["红旗村", "002", "李二", "达标", "达标", "达标", "达标", "不\x9b2J达标", "达标", "\x9d0;owned\x9c墙体开裂"],
    ])
    result = run(ws, "ledger", "import-check", str(path), "--date", "2020-06-08")
    assert result.returncode == 1
    shown = result.stderr + result.stdout
    assert not re.search("[\x80-\x9f\u202e]", shown)
    located = problems_of(result)
    assert [line.split(": ")[0] for line in located] == [f"{path}:2:3", f"{path}:3:8", f"{path}:3:10"]
    assert all("控制字符" in line for line in located)
    assert ledger_state(ws) == ([], [])  # no ledger yet


def test_control_characters_in_raw_xml_are_refused(ws, tmp_path):
    # a character reference puts a C1 control into the cell whatever wrote the file
    path = raw_xlsx(tmp_path / "排查表.xlsx", [["东风村", "001", "王一", *OK6, None]])
    with zipfile.ZipFile(path) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml").decode()
    raw_with_sheet(path, sheet.replace("<t>东风村</t>", "<t>东风村&#x9b;31m&#x2066;</t>"))
    result = run(ws, "ledger", "import-check", str(path), "--date", "2020-06-08")
    assert result.returncode == 1 and not re.search("[\x80-\x9f\u2066]", result.stderr)
    assert f"{path}:2:1: A2（村）" in result.stderr and "控制字符" in result.stderr


def test_control_characters_typed_into_set_are_refused(ws, tmp_path):
    import_check_sheet(ws, two_households(tmp_path / "排查表.xlsx"), date=dt.date(2020, 6, 8))
    before = ledger_state(ws)
    with pytest.raises(LedgerError) as caught:
        set_fields(ws, "WT-2020-0001", unit="镇国土所\x1b[31m")
    assert "控制字符" in str(caught.value) and "\x1b" not in str(caught.value)
    result = run(ws, "ledger", "set", "WT-2020-0001", "--measures", "加固\x9b31m")
    assert result.returncode == 1 and "控制字符" in result.stderr
    assert ledger_state(ws) == before  # neither the problems nor the history


@pytest.mark.embedded  # the ledger's files themselves; the database twin is in tests/test_county_ledger.py
def test_control_characters_in_a_hand_edited_ledger_are_located(ws, tmp_path):
    import_check_sheet(ws, two_households(tmp_path / "排查表.xlsx"), date=dt.date(2020, 6, 8))
    text = ledger_path(ws).read_text(encoding="utf-8")
    ledger_path(ws).write_text(text.replace("问题描述: 住房安全不达标：墙体开裂",
                                            '问题描述: "住房安全不达标\\e[2J"'), encoding="utf-8")
    result = run(ws, "ledger", "list")
    assert result.returncode == 1 and "\x1b" not in result.stdout + result.stderr
    assert re.search(r"问题台账\.yaml:\d+:\d+: .*控制字符", result.stderr)


def test_formulas_without_saved_results_are_located(ws, tmp_path):
    path = raw_xlsx(tmp_path / "排查表.xlsx", [
        ["东风村", "001", "王一", "达标", "达标", "达标", "达标", ("f", 'IF(1,"达标","不达标")'), "达标", None],
    ])
    result = run(ws, "ledger", "import-check", str(path), "--date", "2020-06-08")
    assert result.returncode == 1
    assert f"{path}:2:8: H2（住房安全）" in result.stderr and "公式" in result.stderr and "保存" in result.stderr


def test_merged_village_cells_count_for_every_row_they_cover(ws, tmp_path):
    path = write_sheet(tmp_path / "排查表.xlsx", [
        ["东风村", "001", "王一", *OK6, None],
        [None, "002", "李二", "达标", "达标", "达标", "达标", "不达标", "达标", None],
        [None, "003", "张三", *OK6, None],
        ["红旗村", "004", "赵四", *OK6, None],
    ])
    workbook = load_workbook(path)
    workbook.active.merge_cells("A2:A4")
    workbook.save(path)
    result = import_check_sheet(ws, path, date=dt.date(2020, 6, 8))
    assert (result.villages, result.households) == (2, 4)
    assert load_ledger(ws).get("WT-2020-0001").village == "东风村"


def test_a_sheet_over_the_row_limit_is_refused_in_bounded_time(ws, tmp_path):
    rows = (xml_row(i, ["东风村", f"{i:06d}", None, *OK6]).encode() for i in range(2, 100_003))
    path = bomb_xlsx(tmp_path / "排查表.xlsx", rows)
    started = time.monotonic()
    result = run(ws, "ledger", "import-check", str(path), timeout=120)
    assert result.returncode == 1
    assert "100000" in result.stderr and "分" in result.stderr and "Traceback" not in result.stderr
    assert time.monotonic() - started < 60
    assert ledger_state(ws) == ([], [])  # no ledger yet


# --- 14. formula injection on export ------------------------------------------------------


def sheet_cells(path: Path) -> dict[str, str]:
    """cell reference → its raw <c> XML, straight from the written file."""
    with zipfile.ZipFile(path) as archive:
        xml = archive.read("xl/worksheets/sheet1.xml").decode("utf-8")
    return {m.group(1): m.group(0) for m in re.finditer(r'<c r="([A-Z]+\d+)"[^>]*?(?:/>|>.*?</c>)', xml)}


def test_exported_cells_that_look_like_formulas_are_text(ws, tmp_path):
    import_check_sheet(ws, two_households(tmp_path / "排查表.xlsx"), date=dt.date(2020, 6, 8))
    typed = {"unit": "=cmd|' /C calc'!A0", "measures": "\t=1+2", "person": " @SUM(1)"}
    result = run(ws, "ledger", "set", "WT-2020-0001", "--unit", typed["unit"], "--measures", typed["measures"],
                 "--person", typed["person"])
    assert result.returncode == 0, result.stderr
    set_fields(ws, "WT-2020-0001", deadline="2020-06-30")
    out = tmp_path / "台账.xlsx"
    result = run(ws, "ledger", "export", str(out))
    assert result.returncode == 0, result.stderr
    cells = sheet_cells(out)
    assert not any("<f>" in c or "<f " in c for c in cells.values())
    row = {name: cells[f"{column_letter(i)}2"] for i, name in enumerate(
        ["问题编号", "问题来源", "问题描述", "类别", "村", "户", "整改措施", "责任单位", "责任人"], start=1)}
    for name in ("整改措施", "责任单位", "责任人"):
        assert re.search(r't="(s|inlineStr|str)"', row[name]), row[name]
    back = load_workbook(out).active
    values = {back.cell(1, c).value: back.cell(2, c).value for c in range(1, back.max_column + 1)}
    stored = load_ledger(ws).get("WT-2020-0001")
    assert values["责任单位"] == stored.unit == "=cmd|' /C calc'!A0"
    assert values["整改措施"] == stored.measures == "=1+2"
    assert values["责任人"] == stored.person == "@SUM(1)"
    assert back.cell(2, 8).quotePrefix  # Excel/WPS keep it text when the cell is edited


def test_every_text_field_is_exported_as_text(ws, tmp_path):
    """Descriptions, villages, household ids from a sheet: -, +, = and @ at the start stay text."""
    path = raw_xlsx(tmp_path / "排查表.xlsx", [  # text cells that start with =, not formulas
        ["=HYPERLINK(\"http://x\",\"村\")", "001", "+王一", "达标", "达标", "达标", "达标", "不达标", "达标", "-2+3"],
    ])
    import_check_sheet(ws, path, date=dt.date(2020, 6, 8))
    out = tmp_path / "台账.xlsx"
    export_ledger(ws, out)
    cells = sheet_cells(out)
    assert not any("<f>" in c for c in cells.values())
    back = load_workbook(out).active
    row = [back.cell(2, c).value for c in range(1, back.max_column + 1)]
    assert "=HYPERLINK(\"http://x\",\"村\")" in row and "+王一" in row and "住房安全不达标：-2+3" in row


# --- a full or read-only disk: the ledger and its history together or not at all ------------


@pytest.fixture
def small_disk(tmp_path):
    """A real 200 KB tmpfs; the test fails (never skips) if it cannot be mounted."""
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=200k", "tmpfs", str(mount_point)], check=True,
                   capture_output=True)
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=True)


def many_failing(path: Path, households: int) -> Path:
    rows = [["东风村", f"{i:05d}", f"户主{i}", "达标", "达标", "达标", "达标", "不达标", "不达标",
             "房屋墙体开裂，疑似危房，未做安全鉴定；饮用露天塘水"] for i in range(1, households + 1)]
    return write_sheet(path, rows)


def ledger_folder(ws) -> tuple:
    """Every file in the embedded ledger's folder, bytes and all (temporary parts included)."""
    folder = ledger_path(ws).parent
    return tuple(sorted((p.name, p.read_bytes()) for p in folder.iterdir() if not p.name.endswith(".lock")))


@pytest.mark.embedded  # the ledger's files themselves; the database twin is in tests/test_county_ledger.py
def test_a_full_disk_leaves_the_ledger_and_history_as_they_were(small_disk, tmp_path):
    ws = make_workspace(small_disk / "ws")
    import_check_sheet(ws, two_households(tmp_path / "first.xlsx"), date=dt.date(2020, 6, 8))
    failures = 0
    # Sizes around the edge: with the old two-step write, some of these wrote the
    # ledger and then ran out of space for the history.
    for households in range(20, 300, 24):
        before = ledger_folder(ws)
        sheet = many_failing(tmp_path / f"s{households}.xlsx", households)
        result = run(ws, "ledger", "import-check", str(sheet), "--date", "2020-06-08", "--source", "暗访督查")
        after = ledger_folder(ws)
        if result.returncode == 0:
            problems = load_ledger(ws).problems
            registered = [e for e in map(json.loads, history_path(ws).read_text(encoding="utf-8").splitlines())
                          if e["操作"] in ("排查导入",)]
            assert len(problems) == len(registered), households
            # start again from the small ledger for the next size
            shutil.rmtree(ledger_path(ws).parent)
            import_check_sheet(ws, two_households(tmp_path / "first.xlsx"), date=dt.date(2020, 6, 8))
            continue
        failures += 1
        assert result.returncode == 1, result.stderr
        assert "磁盘空间已满" in result.stderr and "Traceback" not in result.stderr
        assert after == before, households  # no half-written ledger, history or temporary part
    assert failures >= 3


@pytest.mark.embedded  # the ledger's files themselves; the database twin is in tests/test_county_ledger.py
def test_a_read_only_disk_is_a_message_not_a_traceback(small_disk, tmp_path):
    ws = make_workspace(small_disk / "ws")
    import_check_sheet(ws, two_households(tmp_path / "first.xlsx"), date=dt.date(2020, 6, 8))
    before = ledger_folder(ws)
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    result = run(ws, "ledger", "set", "WT-2020-0001", "--unit", "镇国土所", timeout=30)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "没有权限写入" in result.stderr or "只读" in result.stderr
    result = run(ws, "ledger", "import-check", str(many_failing(tmp_path / "s.xlsx", 3)), timeout=30)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert ledger_folder(ws) == before
    assert run(ws, "ledger", "summary").returncode == 0  # reading still works


# --- 15. a hand-edited 已销号 is found, and not counted as closed ------------------------------


def archived(ws, tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return Archive(ws).add(path, title=path.stem, unit="东风村", date="2020-06-20").item.archive_no


@pytest.fixture
def closed_one(ws, tmp_path):
    """WT-2020-0001 closed properly with archived evidence; WT-2020-0002 open."""
    path = write_sheet(tmp_path / "排查表.xlsx", [
        ["东风村", "001", "王一", "达标", "达标", "达标", "达标", "不达标", "达标", "墙体开裂"],
        ["红旗村", "002", "李二", "达标", "达标", "达标", "达标", "达标", "不达标", "饮用塘水"]])
    import_check_sheet(ws, path, date=dt.date(2020, 6, 8), deadline="2020-06-30")
    number = archived(ws, tmp_path, "王一户鉴定报告.txt", "经鉴定为C级，已加固。")
    close_problem(ws, "WT-2020-0001", [number], date=dt.date(2020, 6, 25))
    return ws, number


def hand_close(ws, pid: str, evidence: str) -> None:
    """What a clerk does in a text editor: 已销号 with a 档号, no `ledger close`."""
    text = ledger_path(ws).read_text(encoding="utf-8")
    block_start = text.index(f"问题编号: {pid}")
    block_end = text.find("  - 问题编号:", block_start)
    block = text[block_start:block_end if block_end > 0 else len(text)]
    edited = block.replace("整改状态: 未整改", f"整改状态: 已销号\n    销号日期: 2020-06-28\n    佐证材料:\n      - {evidence}")
    assert edited != block
    ledger_path(ws).write_text(text.replace(block, edited), encoding="utf-8")


@pytest.mark.embedded  # the ledger's files themselves; the database twin is in tests/test_county_ledger.py
def test_a_hand_edited_close_with_missing_evidence_is_damage(closed_one):
    ws, number = closed_one
    from fupin_docs.ledger import verify_ledger
    assert verify_ledger(ws).ok
    fake = number.rsplit("-", 1)[0] + "-9999"
    hand_close(ws, "WT-2020-0002", fake)
    report = verify_ledger(ws)
    assert not report.ok and report.unverified_ids == ["WT-2020-0002"]
    messages = [str(f) for f in report.problems]
    assert any(m.startswith("WT-2020-0002：") and "变更记录" in m for m in messages)
    assert any(m.startswith("WT-2020-0002：") and fake in m and "不存在" in m for m in messages)
    data = report.to_json()
    assert data["ok"] is False and {p["id"] for p in data["problems"]} == {"WT-2020-0002"}

    result = run(ws, "ledger", "verify")
    assert result.returncode == 3
    assert "WT-2020-0002：" in result.stdout and fake in result.stdout and "WT-2020-0001" not in result.stdout
    as_json = run(ws, "ledger", "verify", "--json")
    assert as_json.returncode == 3 and json.loads(as_json.stdout)["unverified_ids"] == ["WT-2020-0002"]


@pytest.mark.embedded  # the ledger's files themselves; the database twin is in tests/test_county_ledger.py
def test_summary_and_list_do_not_count_an_unbacked_close(closed_one):
    ws, number = closed_one
    hand_close(ws, "WT-2020-0002", number)  # real evidence, but no history of the close
    from fupin_docs.ledger import ledger_summary
    figures = ledger_summary(ws, today=dt.date(2020, 7, 1))
    assert figures["by_status"]["已销号"] == 1 and figures["done"] == 1 and figures["rate"] == 0.5
    assert figures["unverified"] == 1 and figures["unverified_ids"] == ["WT-2020-0002"]
    assert figures["overdue_ids"] == ["WT-2020-0002"]
    summary = run(ws, "ledger", "summary", "--json", "--today", "2020-07-01")
    assert summary.returncode == 0 and json.loads(summary.stdout)["unverified_ids"] == ["WT-2020-0002"]
    text = run(ws, "ledger", "summary")
    assert "存疑 1 个" in text.stdout and "WT-2020-0002" in text.stderr and "fupin ledger verify" in text.stderr
    listed = run(ws, "ledger", "list")
    assert "WT-2020-0002  已销号（存疑）" in listed.stdout and "WT-2020-0001  已销号  " in listed.stdout
    rows = json.loads(run(ws, "ledger", "list", "--json").stdout)
    assert [(r["id"], r["存疑"]) for r in rows] == [("WT-2020-0001", False), ("WT-2020-0002", True)]


def withdraw_the_evidence(ws, number):
    """The only 佐证材料 of WT-2020-0001's close withdrawn: found, on either backend."""
    from fupin_docs.ledger import verify_ledger
    Archive(ws).withdraw(number, reason="上传错了文件")
    report = verify_ledger(ws)
    assert [str(f) for f in report.problems] == [f"WT-2020-0001：已销号，但佐证材料 {number} 已撤回（作废），"
                                                  f"销号无据，未计入整改完成数；请改附有效的档案"]


def test_withdrawn_evidence_is_found(closed_one):
    withdraw_the_evidence(*closed_one)


@pytest.mark.embedded  # the ledger's files themselves; the database twin is in tests/test_county_ledger.py
def test_withdrawn_evidence_and_a_hand_reopened_status_are_found(closed_one):
    ws, number = closed_one
    from fupin_docs.ledger import verify_ledger
    withdraw_the_evidence(ws, number)
    text = ledger_path(ws).read_text(encoding="utf-8")
    ledger_path(ws).write_text(text.replace("整改状态: 未整改", "整改状态: 已整改"), encoding="utf-8")
    report = verify_ledger(ws)
    assert report.unverified_ids == ["WT-2020-0001", "WT-2020-0002"]
    assert "最后记下的是“未整改”" in str(report.problems[-1])


@pytest.mark.embedded  # the ledger's files themselves; the database twin is in tests/test_county_ledger.py
def test_the_report_counts_only_what_is_backed(closed_one):
    ws, number = closed_one
    hand_close(ws, "WT-2020-0002", number + "X")
    from fupin_docs.ledger import select_summary
    figures = select_summary(ws, today=dt.date(2020, 7, 1))
    assert figures["done"] == 1 and figures["unverified_ids"] == ["WT-2020-0002"]


# --- 16. the archive journal is the witness of every 销号 -------------------------------------


def forge_history(ws, pid: str, evidence: str, date: str = "2020-06-28") -> None:
    """The history lines `ledger close` would have written, appended by hand (the history is not chained)."""
    lines = [{"时间": "2020-06-28T10:00:00+08:00", "操作人": "张三", "操作": "销号", "问题编号": pid,
              "字段": field, "原值": old, "新值": new}
             for field, old, new in (("整改状态", "未整改", "已销号"), ("销号日期", None, date),
                                     ("佐证材料", [], [evidence]))]
    with history_path(ws).open("a", encoding="utf-8") as handle:
        for line in lines:
            handle.write(json.dumps(line, ensure_ascii=False) + "\n")


def ledger_events(ws) -> list[tuple[str, str]]:
    return [(e["action"], e["detail"].get("问题编号")) for e in Archive(ws).events()
            if e.get("action", "").startswith("ledger.")]


@pytest.mark.embedded  # the ledger's files themselves; the database twin is in tests/test_county_ledger.py
def test_a_forged_close_with_a_forged_history_is_damage(closed_one):
    """Finding 1: ledger and history both edited, real archived evidence: only the journal knows."""
    ws, number = closed_one
    from fupin_docs.ledger import ledger_summary, verify_ledger
    hand_close(ws, "WT-2020-0002", number)
    forge_history(ws, "WT-2020-0002", number)
    report = verify_ledger(ws)
    assert report.unverified_ids == ["WT-2020-0002"]
    assert [str(f) for f in report.problems] == [
        "WT-2020-0002：已销号，但档案日志中没有这次销号的记录（销号须用 fupin ledger close 办理，"
        "可能是直接改了台账文件和变更记录），销号无据，未计入整改完成数"]
    figures = ledger_summary(ws, today=dt.date(2020, 7, 1))
    assert figures["done"] == 1 and figures["unverified_ids"] == ["WT-2020-0002"]
    result = run(ws, "ledger", "verify")
    assert result.returncode == 3 and "WT-2020-0002：" in result.stdout and "档案日志" in result.stdout
    assert "WT-2020-0001" not in result.stdout
    archive_check = run(ws, "archive", "verify")
    assert archive_check.returncode == 3, archive_check.stdout
    assert "WT-2020-0002" in archive_check.stdout + archive_check.stderr
    listed = run(ws, "ledger", "list")
    assert "WT-2020-0002  已销号（存疑）" in listed.stdout


@pytest.mark.embedded  # the ledger's files themselves; the database twin is in tests/test_county_ledger.py
def test_a_forged_close_date_or_extra_evidence_differs_from_the_journal(closed_one, tmp_path):
    ws, number = closed_one
    from fupin_docs.ledger import verify_ledger
    other = archived(ws, tmp_path, "另一份材料.txt", "与本问题无关的材料。")
    text = ledger_path(ws).read_text(encoding="utf-8")
    assert "销号日期: '2020-06-25'" in text
    ledger_path(ws).write_text(text.replace("销号日期: '2020-06-25'", "销号日期: '2020-06-20'"), encoding="utf-8")
    with history_path(ws).open("a", encoding="utf-8") as handle:
        handle.write(json.dumps({"时间": "2020-06-28T10:00:00+08:00", "操作人": "张三", "操作": "修改",
                                 "问题编号": "WT-2020-0001", "字段": "销号日期", "原值": "2020-06-25",
                                 "新值": "2020-06-20"}, ensure_ascii=False) + "\n")
    report = verify_ledger(ws)
    assert report.unverified_ids == ["WT-2020-0001"]
    assert "档案日志记下的销号日期是“2020-06-25”" in str(report.problems[0])
    # back to the true date, but one more 档号 slipped into the evidence (and the history)
    text = ledger_path(ws).read_text(encoding="utf-8")
    ledger_path(ws).write_text(text.replace("销号日期: '2020-06-20'", "销号日期: '2020-06-25'")
                               .replace(f"      - {number}", f"      - {number}\n      - {other}"), encoding="utf-8")
    with history_path(ws).open("a", encoding="utf-8") as handle:
        for field, old, new in (("销号日期", "2020-06-20", "2020-06-25"), ("佐证材料", [number], [number, other])):
            handle.write(json.dumps({"时间": "2020-06-28T10:00:00+08:00", "操作人": "张三", "操作": "修改",
                                     "问题编号": "WT-2020-0001", "字段": field, "原值": old, "新值": new},
                                    ensure_ascii=False) + "\n")
    report = verify_ledger(ws)
    assert report.unverified_ids == ["WT-2020-0001"]
    assert "档案日志记下的销号佐证材料" in str(report.problems[0]) and other in str(report.problems[0])


@pytest.mark.embedded  # the ledger's files themselves; the database twin is in tests/test_county_ledger.py
def test_deleting_the_ledger_folder_is_damage_when_the_journal_has_closes(closed_one):
    """Finding 2: no ledger at all, yet the journal says WT-2020-0001 was closed."""
    ws, number = closed_one
    shutil.rmtree(ledger_path(ws).parent)
    from fupin_docs.ledger import verify_ledger
    report = verify_ledger(ws)
    assert not report.ok
    assert [str(f) for f in report.problems] == [
        "台账文件不存在，但档案日志记有问题 WT-2020-0001 的销号记录，台账可能被删除或移走，请从备份恢复 ledger 文件夹"]
    result = run(ws, "ledger", "verify")
    assert result.returncode == 3 and "WT-2020-0001" in result.stdout
    archive_check = run(ws, "archive", "verify")
    assert archive_check.returncode == 3 and "WT-2020-0001" in archive_check.stdout + archive_check.stderr


@pytest.mark.embedded  # the ledger's files themselves; the database twin is in tests/test_county_ledger.py
def test_deleting_a_closed_problem_from_the_ledger_is_damage(closed_one):
    ws, number = closed_one
    text = ledger_path(ws).read_text(encoding="utf-8")
    start = text.index("  - 问题编号: WT-2020-0001")
    end = text.index("  - 问题编号: WT-2020-0002")
    ledger_path(ws).write_text(text[:start] + text[end:], encoding="utf-8")
    lines = history_path(ws).read_text(encoding="utf-8").splitlines()
    history_path(ws).write_text("".join(l + "\n" for l in lines if "WT-2020-0001" not in l), encoding="utf-8")
    assert [p.pid for p in load_ledger(ws)] == ["WT-2020-0002"]
    from fupin_docs.ledger import verify_ledger
    report = verify_ledger(ws)
    assert report.unverified_ids == ["WT-2020-0001"]
    assert "台账中没有这个问题" in str(report.problems[0]) and number in str(report.problems[0])
    assert run(ws, "ledger", "verify").returncode == 3
    assert run(ws, "archive", "verify").returncode == 3


@pytest.mark.embedded  # the ledger's files themselves; the database twin is in tests/test_county_ledger.py
def test_a_hand_reopened_close_without_any_record_is_damage(closed_one):
    """The close is in the journal; the ledger and history were edited back to 未整改 with no 撤销销号."""
    ws, number = closed_one
    text = ledger_path(ws).read_text(encoding="utf-8")
    text = text.replace(f"整改状态: 已销号\n    销号日期: '2020-06-25'\n    佐证材料:\n      - {number}\n",
                        "整改状态: 未整改\n")
    ledger_path(ws).write_text(text, encoding="utf-8")
    lines = history_path(ws).read_text(encoding="utf-8").splitlines()
    history_path(ws).write_text("".join(l + "\n" for l in lines if '"操作": "销号"' not in l), encoding="utf-8")
    assert load_ledger(ws).get("WT-2020-0001").status == "未整改"
    from fupin_docs.ledger import verify_ledger
    report = verify_ledger(ws)
    assert report.unverified_ids == ["WT-2020-0001"]
    assert len(report.problems) == 1 and "都没有撤销销号的记录" in str(report.problems[0])


def reopen_by_the_cli(ws, number):
    """Finding 3: `ledger set --status 整改中` on a 已销号 problem is recorded, and is not damage."""
    from fupin_docs.ledger import verify_ledger
    result = run(ws, "ledger", "set", "WT-2020-0001", "--status", "整改中")
    assert result.returncode == 0, result.stderr
    assert ledger_events(ws) == [("ledger.close", "WT-2020-0001"), ("ledger.reopen", "WT-2020-0001")]
    reopen = [e for e in Archive(ws).events() if e["action"] == "ledger.reopen"][0]
    assert reopen["who"] == "测试员" and reopen["detail"]["原销号日期"] == "2020-06-25"
    assert verify_ledger(ws).ok, verify_ledger(ws).problems
    assert run(ws, "ledger", "verify").returncode == 0
    assert run(ws, "index", "rebuild").returncode == 0
    archive_check = run(ws, "archive", "verify")
    assert archive_check.returncode == 0, archive_check.stdout + archive_check.stderr


def test_reopening_is_recorded_and_closing_again_is_backed(closed_one, tmp_path):
    """Reopened by the CLI, then closed again properly: backed, on either backend."""
    ws, number = closed_one
    from fupin_docs.ledger import verify_ledger
    reopen_by_the_cli(ws, number)
    second = archived(ws, tmp_path, "回头看.txt", "回头看后补充加固。")
    close_problem(ws, "WT-2020-0001", [second], date=dt.date(2020, 7, 10))
    report = verify_ledger(ws)
    assert report.ok, report.problems
    assert load_ledger(ws).get("WT-2020-0001").evidence == [number, second]
    assert ledger_events(ws) == [("ledger.close", "WT-2020-0001"), ("ledger.reopen", "WT-2020-0001"),
                                 ("ledger.close", "WT-2020-0001")]


@pytest.mark.embedded  # the ledger's files themselves; the database twin is in tests/test_county_ledger.py
def test_reopening_is_recorded_in_the_journal_and_is_not_damage(closed_one, tmp_path):
    """Reopened by the CLI; then a hand edit of the files back to 已销号; then closed again."""
    ws, number = closed_one
    from fupin_docs.ledger import verify_ledger
    reopen_by_the_cli(ws, number)
    # a hand edit back to 已销号 (with a forged history) is caught: the journal's last word is the reopening
    text = ledger_path(ws).read_text(encoding="utf-8")
    ledger_path(ws).write_text(text.replace("整改状态: 整改中", "整改状态: 已销号\n    销号日期: 2020-06-25", 1),
                               encoding="utf-8")
    with history_path(ws).open("a", encoding="utf-8") as handle:
        for field, old, new in (("整改状态", "整改中", "已销号"), ("销号日期", None, "2020-06-25")):
            handle.write(json.dumps({"时间": "2020-06-28T10:00:00+08:00", "操作人": "张三", "操作": "修改",
                                     "问题编号": "WT-2020-0001", "字段": field, "原值": old, "新值": new},
                                    ensure_ascii=False) + "\n")
    report = verify_ledger(ws)
    assert report.unverified_ids == ["WT-2020-0001"] and "撤销销号" in str(report.problems[0])
    # undo the hand edit, then close again properly: backed again
    set_fields(ws, "WT-2020-0001", status="整改中")
    second = archived(ws, tmp_path, "回头看.txt", "回头看后补充加固。")
    close_problem(ws, "WT-2020-0001", [second], date=dt.date(2020, 7, 10))
    report = verify_ledger(ws)
    assert report.ok, report.problems
    assert load_ledger(ws).get("WT-2020-0001").evidence == [number, second]


def test_a_reopening_known_only_to_the_history_is_accepted(closed_one):
    """A reopening made before the journal recorded them: the history's 撤销销号 after the 销号 suffices."""
    ws, number = closed_one
    set_fields(ws, "WT-2020-0001", status="整改中")
    # An older fupin wrote no ledger.reopen; the journal's chain cannot be edited to
    # remove ours, so the rule is checked on the journal's ledger.close records alone.
    from fupin_docs.ledger import verify as ledger_verify
    report = ledger_verify.LedgerVerifyReport()
    entries = read_history(ws)
    journal = {"WT-2020-0001": [e for e in Archive(ws).events() if e["action"] == "ledger.close"]}
    ledger_verify.check_journal(ws, True, list(load_ledger(ws)), report, entries, journal)
    assert report.ok, report.problems
    without = [e for e in entries if e["操作"] != "撤销销号"]
    ledger_verify.check_journal(ws, True, list(load_ledger(ws)), report, without, journal)
    assert report.unverified_ids == ["WT-2020-0001"]


def test_an_imported_close_stays_doubtful(closed_one, tmp_path):
    """Another office's 已销号 rows: not witnessed by our journal, whether or not the 档号 exists here."""
    ws, number = closed_one
    header = ["问题编号", "问题来源", "问题描述", "整改状态", "销号日期", "佐证材料"]
    path = write_sheet(tmp_path / "县台账.xlsx", [
        ["SK-7", "省考反馈", "帮扶干部走访记录不全", "已销号", "2020-06-01", "Z001-WS-2020-D30-0001"],
        ["SK-8", "省考反馈", "项目资产台账不全", "已销号", "2020-06-02", number],
    ], header=header)
    result = run(ws, "ledger", "import", str(path), "--json")
    assert result.returncode == 0, result.stderr
    from fupin_docs.ledger import verify_ledger
    report = verify_ledger(ws)
    assert report.unverified_ids == ["SK-7", "SK-8"]
    messages = [str(f) for f in report.problems]
    assert any(m.startswith("SK-7：") and "不存在" in m for m in messages)
    assert [m for m in messages if m.startswith("SK-8：")] == [
        "SK-8：已销号是从导入的台账中带来的，本单位档案日志中没有这次销号的记录，销号无从核实，未计入整改完成数；"
        "如已整改到位，请把佐证材料归档后用 fupin ledger close 在本单位销号"]
    listed = run(ws, "ledger", "list")
    assert "SK-7  已销号（存疑）" in listed.stdout and "SK-8  已销号（存疑）" in listed.stdout
    assert run(ws, "ledger", "verify").returncode == 3



# --- 17. a cell longer than Excel keeps ----------------------------------------------------


def test_export_refuses_a_cell_excel_would_cut_off(ws, tmp_path):
    """Finding 4: Excel/WPS keep 32,767 characters in a cell; a longer 整改措施 would be cut without a word."""
    import_check_sheet(ws, two_households(tmp_path / "排查表.xlsx"), date=dt.date(2020, 6, 8))
    long = "加固墙体，" * 6554  # 32,770 characters
    assert len(long) > 32_767
    set_fields(ws, "WT-2020-0001", measures=long)
    out = tmp_path / "台账.xlsx"
    with pytest.raises(LedgerError) as caught:
        export_ledger(ws, out)
    message = str(caught.value)
    assert "WT-2020-0001" in message and "整改措施" in message and "32767" in message and "截断" in message
    assert not out.exists()
    result = run(ws, "ledger", "export", str(out))
    assert result.returncode == 1 and "WT-2020-0001 的整改措施" in result.stderr and "Traceback" not in result.stderr
    assert not out.exists()
    # characters outside the BMP count twice in Excel (UTF-16): 16,384 of them are over the limit too
    set_fields(ws, "WT-2020-0001", measures="𠀀" * 16_384)
    with pytest.raises(LedgerError, match="WT-2020-0001 的整改措施"):
        export_ledger(ws, out)
    # just at the limit: exported whole
    set_fields(ws, "WT-2020-0001", measures="固" * 32_767)
    assert export_ledger(ws, out) == 1
    back = load_workbook(out).active
    assert back.cell(2, 7).value == "固" * 32_767
