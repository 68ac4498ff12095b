"""`fupin archive export --year`: a year's archive as a DA/T 93 transfer package (移交包),
and the 四性检测 of a received one (archive/handover.py), on real archives.

The year's documents are the four examples rendered and filed as `render --archive
-f pdf,ofd` files them (PDF/A with an OFD copy), a photo, a workbook with its PDF/A
copy, and one item withdrawn; a 2021 document stays out. Everything in the package
is read back the way a receiving 档案馆 would: the metadata XML with lxml, the
目录 with openpyxl and pdftotext, every manifest line recomputed; then the package
is damaged in each way a hostile or broken package can be, and the check names
the item every time.
"""

from __future__ import annotations

import hashlib
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
from lxml import etree

from conftest import make_workspace, squash, write_workbook
from fupin_docs.archive import Archive
from fupin_docs.archive.handover import PackageHoldings, check_package, export_year
from fupin_docs.archive.four_properties import check_holdings
from fupin_docs.errors import IntegrityError, UserError
from fupin_docs.filing import file_document, withdraw_document
from fupin_docs.hashing import new_sm3

EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "examples").glob("*.yaml"))
# DA/T 22-2015 归档文件目录: the columns, in the standard's order.
DAT22_COLUMNS = ["序号", "档号", "文号", "责任者", "题名", "日期", "密级", "页数", "备注"]
# GB/T 32905-2016 附录 A.1: SM3("abc").
SM3_ABC = "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
FORMULA_TITLE = "=HYPERLINK(\"http://example.invalid\",\"点此\")三星村入户核查照片"


def sm3(data: bytes) -> str:
    digest = new_sm3()
    digest.update(data)
    return digest.hexdigest()


def test_the_sm3_the_test_recomputes_with_is_the_standards():
    assert sm3(b"abc") == SM3_ABC


def extra_documents(root: Path) -> dict:
    """A photo, a workbook and the workbook's PDF/A copy, as real files."""
    from PIL import Image
    from weasyprint import HTML

    root.mkdir(parents=True, exist_ok=True)
    photo = root / "入户核查照片.jpg"
    image = Image.new("RGB", (160, 120), (180, 120, 60))
    for x in range(0, 160, 4):
        image.putpixel((x, x % 120), (x % 256, 30, 200))
    image.save(photo, "JPEG", quality=90)
    other = root / "误传的照片.jpg"
    Image.new("RGB", (120, 90), (20, 160, 90)).save(other, "JPEG", quality=90)
    sheet = write_workbook(root / "饮水安全排查台账.xlsx", [["户主", "村", "饮水安全"], ["张三", "三星村", "达标"]])
    sheet_pdf = root / "饮水安全排查台账.pdf"
    HTML(string="<html lang='zh-CN'><body style='font-family: \"Noto Serif CJK SC\"'><table>"
                "<tr><td>户主</td><td>村</td><td>饮水安全</td></tr><tr><td>张三</td><td>三星村</td><td>达标</td></tr>"
                "</table></body></html>").write_pdf(sheet_pdf, pdf_variant="pdf/a-2b")
    return {"photo": photo, "other": other, "sheet": sheet, "sheet_pdf": sheet_pdf}


def file_extras(ws, files: dict) -> dict:
    filed = {"photo": file_document(ws, files["photo"], kind="照片", date="2020-06-05", unit="三星村",
                                    title=FORMULA_TITLE).item.archive_no,
             "sheet": file_document(ws, files["sheet"], kind="台账", date="2020-06-06", unit="三星村",
                                    renditions=(files["sheet_pdf"],)).item.archive_no}
    later = file_document(ws, files["sheet_pdf"], kind="台账", date="2021-01-08", unit="三星村",
                          title="2021年饮水安全排查台账").item.archive_no
    wrong = file_document(ws, files["other"], kind="照片", date="2020-07-01", unit="四合村",
                          title="误归档的照片", retention="D10").item.archive_no
    withdraw_document(ws, wrong, reason="误归档，照片不属于本镇")
    filed["withdrawn"], filed["later"] = wrong, later
    return filed


@pytest.fixture(scope="module")
def year(tmp_path_factory):
    """An embedded workspace holding the year 2020 as above, and its package."""
    from fupin_docs.pipeline import render_files

    root = tmp_path_factory.mktemp("handover")
    ws = make_workspace(root / "ws")
    render_files(EXAMPLES, ws, formats=("pdf", "ofd"), out_dir=root / "out", archive=True, pdfa=True)
    filed = file_extras(ws, extra_documents(root / "材料"))
    started = time.monotonic()
    result = export_year(ws, 2020, root / "2020年度移交包")
    seconds = time.monotonic() - started
    return {"ws": ws, "filed": filed, "result": result, "package": root / "2020年度移交包", "seconds": seconds}


def package_files(package: Path) -> set[str]:
    return {p.relative_to(package).as_posix() for p in package.rglob("*") if p.is_file()}


def test_the_package_holds_every_item_of_the_year_by_its_archive_number(year):
    package, ws, filed = year["package"], year["ws"], year["filed"]
    items = {i.archive_no: i for i in Archive(ws).items(include_withdrawn=True)}
    of_2020 = sorted(no for no in items if "·2020-" in no)
    assert filed["later"] not in of_2020 and len(of_2020) == 4 + 2 + 1
    assert sorted(p.name for p in (package / "档案").iterdir()) == of_2020
    assert sorted(p.stem for p in (package / "元数据").iterdir()) == of_2020
    result = year["result"]
    assert (result.items, result.withdrawn, result.withdrawn_nos) == (6, 1, [filed["withdrawn"]])
    for no in of_2020:
        item = items[no]
        names = sorted(p.name for p in (package / "档案" / no).iterdir())
        assert names == sorted([item.file_name] + [r["file_name"] for r in item.renditions])
    rendered = [items[no] for no in of_2020 if items[no].how.startswith("fupin render")]
    assert len(rendered) == 4 and all(i.format == "pdf" and [r["format"] for r in i.renditions] == ["ofd"]
                                      for i in rendered)
    # the files are the filed bytes, kept read-only
    for no in of_2020:
        original = package / "档案" / no / items[no].file_name
        assert hashlib.sha256(original.read_bytes()).hexdigest() == items[no].sha256
        assert not os.stat(original).st_mode & 0o222
    assert not [p for p in package.parent.iterdir() if "生成中" in p.name]


def test_every_metadata_xml_reads_back_with_the_items_values_and_its_files_digests(year):
    package, ws = year["package"], year["ws"]
    archive = Archive(ws)
    items = {i.archive_no: i for i in archive.items(include_withdrawn=True)}
    for path in sorted((package / "元数据").glob("*.xml")):
        root = etree.parse(str(path)).getroot()
        no = path.stem
        item = items[no]
        assert root.tag == "文件实体元数据" and root.findtext("聚合层次") == "文件"
        number = root.find("档号")
        assert number.get("值") == no
        fonds, rest = no.split("-", 1)
        assert number.findtext("全宗号") == fonds == ws.config.archive.fonds
        assert number.findtext("年度") == "2020"
        assert number.findtext("保管期限") == item.retention and number.findtext("机构或问题") == ws.config.archive.org_code
        assert number.findtext("室编件号") == no[-4:]
        assert root.findtext("内容描述/题名") == item.title
        assert root.findtext("内容描述/日期") == item.date
        assert (root.findtext("内容描述/责任者") or None) == item.issuer
        assert (root.findtext("内容描述/文件编号") or None) == item.doc_number
        assert root.findtext("内容描述/文种") == item.kind_label
        assert root.findtext("形式特征/页数") == (str(item.pages) if item.pages else None)
        assert root.findtext("来源/立档单位名称") == ws.config.office.name
        entries = root.findall("电子属性/计算机文件")
        assert [e.get("角色") for e in entries] == ["原件"] + ["副本"] * len(item.renditions)
        for entry in entries:
            data = (package / "档案" / no / entry.findtext("计算机文件名")).read_bytes()
            assert int(entry.findtext("计算机文件大小")) == len(data)
            assert entry.find("数字摘要[@算法='SHA-256']").text == hashlib.sha256(data).hexdigest()
            assert entry.find("数字摘要[@算法='SM3']").text == sm3(data)
        withdrawn = root.find("管理过程/撤回")
        assert (withdrawn is not None) == item.withdrawn
        if item.withdrawn:
            assert withdrawn.get("状态") == "已撤回" and withdrawn.text == item.withdraw_reason
    info = etree.parse(str(package / "移交说明.xml")).getroot()
    assert (info.findtext("年度"), info.findtext("件数"), info.findtext("撤回件数")) == ("2020", "6", "1")


def test_every_manifest_line_recomputes_and_every_file_is_listed_once(year):
    package = year["package"]
    listed = {}
    for manifest, digest in (("manifest-sha256.txt", lambda b: hashlib.sha256(b).hexdigest()),
                             ("manifest-sm3.txt", sm3)):
        lines = (package / manifest).read_text(encoding="utf-8").splitlines()
        paths = []
        for line in lines:
            value, relative = line.split("  ", 1)
            assert digest((package / relative).read_bytes()) == value, (manifest, relative)
            paths.append(relative)
        assert len(paths) == len(set(paths))
        listed[manifest] = set(paths)
    everything = package_files(package) - {"manifest-sha256.txt", "manifest-sm3.txt"}
    assert listed["manifest-sha256.txt"] == listed["manifest-sm3.txt"] == everything
    assert {"归档文件目录.pdf", "归档文件目录.xlsx", "四性检测报告.pdf", "移交说明.xml"} <= everything


def test_the_catalog_xlsx_has_the_dat22_columns_a_row_per_item_and_text_cells(year):
    from openpyxl import load_workbook

    package, filed = year["package"], year["filed"]
    sheet = load_workbook(package / "归档文件目录.xlsx")["归档文件目录"]
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0][:9]) == DAT22_COLUMNS
    numbers = [row[1] for row in rows[1:]]
    assert numbers == sorted(p.name for p in (package / "档案").iterdir())
    assert [row[0] for row in rows[1:]] == [str(n) for n in range(1, len(numbers) + 1)]
    photo = next(r for r in sheet.iter_rows(min_row=2) if r[1].value == filed["photo"])
    assert photo[4].value == FORMULA_TITLE and photo[4].data_type == "s"  # text, never a live formula
    withdrawn = next(row for row in rows[1:] if row[1] == filed["withdrawn"])
    assert "已撤回" in withdrawn[8] and "误归档" in withdrawn[8]


def test_the_catalog_pdf_and_the_report_read_back(year):
    package, ws = year["package"], year["ws"]
    text = squash(subprocess.run(["pdftotext", "-layout", str(package / "归档文件目录.pdf"), "-"],
                                 capture_output=True, text=True, check=True).stdout)
    assert "归档文件目录" in text and ws.config.office.name in text
    for item in Archive(ws).items(include_withdrawn=True):
        if "·2020-" in item.archive_no:
            assert squash(item.archive_no) in text
    assert "已撤回" in text
    report = squash(subprocess.run(["pdftotext", str(package / "四性检测报告.pdf"), "-"],
                                   capture_output=True, text=True, check=True).stdout)
    assert "电子档案四性检测报告" in report and "移交环节" in report and "在档6件" in report
    assert year["result"].report.ok, [c.to_json() for c in year["result"].report.checks if c.result == "不通过"]


def test_the_package_passes_its_own_check_as_a_received_package(year):
    report = check_holdings(PackageHoldings(year["package"]), "移交")
    assert report.ok, [c.explanation for c in report.checks if c.result == "不通过"]
    assert (report.items_on_file, report.withdrawn) == (6, 1)
    assert report.files == 4 * 2 + 1 + 2 + 1  # four PDFs with OFD copies, the photo, the workbook and copy, the withdrawn
    received_report = check_package(year["package"])
    assert received_report.ok and received_report.office == year["ws"].config.office.name
    assert received_report.fonds == year["ws"].config.archive.fonds


# ---- a hostile or broken package --------------------------------------------------------

def received(year, tmp_path) -> Path:
    copy = tmp_path / "收到的移交包"
    shutil.copytree(year["package"], copy)
    for path in copy.rglob("*"):
        if path.is_file():
            os.chmod(path, 0o644)  # as a copy from a USB drive or a share arrives
    return copy


def test_a_received_copy_with_writable_files_still_passes(year, tmp_path):
    report = check_package(received(year, tmp_path))
    assert report.ok
    read_only = next(c for c in report.checks if c.key == "security.read_only")
    assert read_only.result == "不适用" and "12 个文件可被改写" in read_only.notes[0]


def failures(report) -> str:
    assert not report.ok
    return "\n".join(line for c in report.checks for line in c.failures)


def writable(path: Path) -> Path:
    os.chmod(path, 0o644)
    return path


def test_a_flipped_byte_fails_naming_the_item(year, tmp_path):
    package, no = received(year, tmp_path), year["filed"]["sheet"]
    target = next(p for p in (package / "档案" / no).iterdir() if p.suffix == ".pdf")
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0x01
    target.write_bytes(bytes(data))
    report = check_package(package)
    fixity = next(c for c in report.checks if c.key == "authenticity.fixity")
    assert fixity.result == "不通过" and no in fixity.failures[0]
    assert "的校验值（SHA-256）与清单 manifest-sha256.txt 不符" in failures(report) and f"档号 {no}" in failures(report)


def test_a_manifest_line_for_a_missing_file_fails_naming_the_item(year, tmp_path):
    package, no = received(year, tmp_path), year["filed"]["photo"]
    target = next((package / "档案" / no).iterdir())
    target.unlink()
    text = failures(check_package(package))
    assert f"所列的 档案/{no}/{target.name} 不在包中（档号 {no}）" in text
    assert f"{no}《{FORMULA_TITLE}》 的文件不在存储中" in text


def test_an_extra_unlisted_file_fails_naming_the_item(year, tmp_path):
    package, no = received(year, tmp_path), year["filed"]["photo"]
    (package / "档案" / no / "说明.exe").write_bytes(b"MZ\x90\x00")
    report = check_package(package)
    text = failures(report)
    assert f"未列的文件 档案/{no}/说明.exe（档号 {no}）" in text
    extra = next(c for c in report.checks if c.key == "security.extra_files")
    assert extra.result == "不通过" and "说明.exe" in extra.failures[0]


def test_a_path_leading_out_of_the_package_is_refused_naming_the_item(year, tmp_path):
    package, no = received(year, tmp_path), year["filed"]["sheet"]
    outside = tmp_path / "包外的文件.pdf"
    outside.write_bytes(b"%PDF-1.7 not ours")
    metadata = writable(package / "元数据" / f"{no}.xml")
    text = metadata.read_text(encoding="utf-8")
    name = etree.fromstring(metadata.read_bytes()).findtext("电子属性/计算机文件/计算机文件名")
    metadata.write_text(text.replace(f"<计算机文件名>{name}</计算机文件名>",
                                     "<计算机文件名>../../../包外的文件.pdf</计算机文件名>", 1), encoding="utf-8")
    manifest = writable(package / "manifest-sha256.txt")
    manifest.write_text(manifest.read_text(encoding="utf-8")
                        + f"{hashlib.sha256(outside.read_bytes()).hexdigest()}  ../包外的文件.pdf\n", encoding="utf-8")
    holdings = PackageHoldings(package)
    assert all(package in path.parents for paths in holdings._paths.values() for path in paths)
    text = failures(check_holdings(holdings, "移交"))
    assert f"{no} 的元数据所列文件“../../../包外的文件.pdf”" in text and "指向包外" in text
    assert "“../包外的文件.pdf”指向包外或不规范，已拒绝" in text


def test_a_link_out_of_the_package_is_refused_naming_the_item(year, tmp_path):
    package, no = received(year, tmp_path), year["filed"]["photo"]
    target = next((package / "档案" / no).iterdir())
    target.unlink()
    target.symlink_to(year["package"] / "档案" / no / target.name)  # the same bytes, outside the package
    text = failures(check_package(package))
    assert f"包中的 档案/{no}/{target.name} 是链接" in text and f"档号 {no}" in text


def test_an_xml_entity_bomb_is_refused_naming_the_item_without_expanding_it(year, tmp_path):
    package, no = received(year, tmp_path), year["filed"]["sheet"]
    bomb = ['<?xml version="1.0"?>', '<!DOCTYPE 文件实体元数据 [', '<!ENTITY a0 "哈哈哈哈哈哈哈哈哈哈">']
    bomb += [f'<!ENTITY a{n} "{("&a%d;" % (n - 1)) * 10}">' for n in range(1, 10)]
    bomb += [']>', '<文件实体元数据><档号 值="%s"/><内容描述><题名>&a9;</题名></内容描述></文件实体元数据>' % no]
    writable(package / "元数据" / f"{no}.xml").write_text("\n".join(bomb), encoding="utf-8")
    started = time.monotonic()
    report = check_package(package)
    assert time.monotonic() - started < 30
    text = failures(report)
    assert f"{no} 的元数据 元数据/{no}.xml 含 DTD 或实体声明" in text
    assert no not in PackageHoldings(package).items()


def test_a_broken_metadata_file_or_manifest_is_a_finding_never_a_crash(year, tmp_path):
    package, no = received(year, tmp_path), year["filed"]["photo"]
    writable(package / "元数据" / f"{no}.xml").write_bytes(b"<\xff\xfe not xml")
    writable(package / "manifest-sm3.txt").write_text("这一行不是清单\n", encoding="utf-8")
    text = failures(check_package(package))
    assert f"{no} 的元数据 元数据/{no}.xml 不是完整的 XML" in text
    assert "清单 manifest-sm3.txt 第 1 行格式不对" in text


# ---- refusals, the CLI, a killed export, the county database ----------------------------------

def test_a_year_with_nothing_filed_and_a_used_target_are_refused_in_office_words(year, tmp_path):
    with pytest.raises(UserError) as err:
        export_year(year["ws"], 2019, tmp_path / "2019")
    assert "2019 年度没有归档文件" in str(err.value) and not (tmp_path / "2019").exists()
    used = tmp_path / "用过的"
    used.mkdir()
    (used / "旧文件.txt").write_text("x", encoding="utf-8")
    with pytest.raises(UserError) as err:
        export_year(year["ws"], 2020, used)
    assert "不是空文件夹" in str(err.value) and sorted(p.name for p in used.iterdir()) == ["旧文件.txt"]
    for message in (str(err.value),):
        assert "sha256" not in message.lower() and "yaml" not in message.lower()


def _cli():
    from fupin_docs.cli.main import cli
    return cli


def test_the_command_writes_the_package_and_answers_json(year, tmp_path):
    ws = year["ws"]
    result = CliRunner().invoke(_cli(), ["--workspace", str(ws.root), "archive", "export", "--year", "2020",
                                         "--to", str(tmp_path / "包"), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["year"], data["items"], data["withdrawn"], data["ok"]) == (2020, 6, 1, True)
    assert check_package(tmp_path / "包").ok
    shown = CliRunner().invoke(_cli(), ["--workspace", str(ws.root), "archive", "export", "--year", "2020",
                                        "--to", str(tmp_path / "包2")])
    assert shown.exit_code == 0, shown.output
    assert "已生成 2020 年度移交包" in shown.output and "在档 6 件，另有已撤回 1 件" in shown.output
    assert "四性检测（移交环节）全部通过" in shown.output
    again = CliRunner().invoke(_cli(), ["--workspace", str(ws.root), "archive", "export", "--year", "2019",
                                        "--to", str(tmp_path / "空")])
    assert again.exit_code == 1 and "2019 年度没有归档文件" in again.output and "Traceback" not in again.output


def test_an_export_killed_anywhere_leaves_no_half_package(year, tmp_path):
    """kill -9 the export at random moments: the target is absent or a whole package
    that passes its check; what a killed run left is cleared by the next one."""
    script = ("import sys; from fupin_docs.workspace.config import open_workspace; "
              "from fupin_docs.archive.handover import export_year; "
              "export_year(open_workspace(sys.argv[1]), 2020, sys.argv[2])")
    run = [sys.executable, "-c", script, str(year["ws"].root)]
    started = time.monotonic()
    whole = subprocess.run([*run, str(tmp_path / "计时")], capture_output=True, text=True)
    assert whole.returncode == 0, whole.stderr
    seconds = time.monotonic() - started
    moments = random.Random(11)
    target = tmp_path / "移交包"
    outcomes = []
    for _round in range(8):
        writer = subprocess.Popen([*run, str(target)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(moments.uniform(0.4, 0.98) * seconds)
        os.kill(writer.pid, signal.SIGKILL)
        writer.wait()
        building = [p for p in tmp_path.iterdir() if "生成中" in p.name]
        outcomes.append("whole" if target.exists() else "building" if building else "not begun")
        if target.exists():
            assert check_package(target).ok
            shutil.rmtree(target)
    finished = subprocess.run([*run, str(target)], capture_output=True, text=True)
    assert finished.returncode == 0, finished.stderr
    assert check_package(target).ok
    assert [p.name for p in tmp_path.iterdir() if "生成中" in p.name] == []
    assert "building" in outcomes, outcomes


def test_a_year_exports_and_checks_on_either_backend(any_workspace, tmp_path):
    ws = any_workspace
    filed = file_extras(ws, extra_documents(tmp_path / "材料"))
    result = export_year(ws, 2020, tmp_path / "包")
    assert result.report.ok, [c.explanation for c in result.report.checks if c.result == "不通过"]
    assert (result.items, result.withdrawn, result.files) == (2, 1, 4)
    report = check_package(tmp_path / "包")
    assert report.ok and (report.items_on_file, report.withdrawn) == (2, 1)
    assert filed["later"] not in PackageHoldings(tmp_path / "包").items()
    logged = [e for e in Archive(ws).events() if e.get("action") == "check"]
    assert logged[-1]["detail"]["stage"] == "移交" and logged[-1]["detail"]["year"] == 2020


def test_a_damaged_file_in_the_archive_is_not_handed_over(tmp_path):
    ws = make_workspace(tmp_path / "ws")
    filed = file_extras(ws, extra_documents(tmp_path / "材料"))
    archive = Archive(ws)
    stored = archive.file_path(archive.get(filed["photo"]))
    os.chmod(stored, 0o644)
    data = bytearray(stored.read_bytes())
    data[-3] ^= 0xFF
    stored.write_bytes(bytes(data))
    with pytest.raises(IntegrityError) as err:
        export_year(ws, 2020, tmp_path / "包")
    assert filed["photo"] in str(err.value) and "不能移交" in str(err.value)
    assert not (tmp_path / "包").exists() and not [p for p in tmp_path.iterdir() if "生成中" in p.name]


def test_a_package_that_is_no_folder_or_has_no_description_is_named(year, tmp_path):
    with pytest.raises(UserError) as err:
        PackageHoldings(tmp_path / "没有这个文件夹")
    assert "不是文件夹" in str(err.value)
    package = received(year, tmp_path)
    (package / "移交说明.xml").unlink()
    assert "包的说明文件 移交说明.xml 缺失" in failures(check_package(package))


def test_the_receiving_office_checks_the_package_from_the_command_line(year, tmp_path):
    """`fupin archive check --stage 移交 DIR` where the package is received: no workspace
    needed, exit 0 for a whole package, exit 3 naming the 档号 for a changed file."""
    package = received(year, tmp_path)
    elsewhere = tmp_path / "接收单位"
    elsewhere.mkdir()
    ok = CliRunner().invoke(_cli(), ["--workspace", str(elsewhere), "archive", "check", "--stage", "移交",
                                     str(package), "--json"])
    assert ok.exit_code == 0, ok.output
    data = json.loads(ok.stdout)
    assert data["ok"] is True and data["stage"] == "移交" and data["fonds"] == year["ws"].config.archive.fonds
    no = year["filed"]["sheet"]
    target = next(p for p in (package / "档案" / no).iterdir() if p.suffix == ".pdf")
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0x01
    target.write_bytes(bytes(data))
    report_pdf = tmp_path / "接收检测报告.pdf"
    bad = CliRunner().invoke(_cli(), ["--workspace", str(elsewhere), "archive", "check", str(package),
                                      "--report", str(report_pdf)])
    assert bad.exit_code == 3 and no in bad.output and "Traceback" not in bad.output
    text = subprocess.run(["pdftotext", "-layout", str(report_pdf), "-"], capture_output=True, text=True).stdout
    assert "不通过" in text and "移交" in text
