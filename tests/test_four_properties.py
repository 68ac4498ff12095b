"""`fupin archive check`: the DA/T 70-2018 四性检测 on real archives, on both backends.

A clean archive of real documents (the examples rendered to DOCX with their PDF/A
copies, a photo, a workbook with a PDF/A copy) passes every item; each kind of damage
that can be made to a real archive fails the item it belongs to and names the 档号.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import make_workspace, write_workbook
from fupin_docs.archive import Archive
from fupin_docs.archive.four_properties import check_archive
from fupin_docs.cli.main import cli

EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "examples").glob("*.yaml"))
# What each example is, as the office files it (its 文种 and 成文日期 are in the YAML).
FILED_AS = {"plan": ("plan", "2020-03-02"), "notice": ("notice", "2020-05-20"),
            "minutes": ("minutes", "2020-06-05"), "rectification": ("rectification", "2020-08-01")}

# DA/T 70-2018's 归档环节 item numbers (表 GD-x-y): 真实性 1, 完整性 2, 可用性 3, 安全性 4.
FIXITY, SPECIAL_CHARS, ARCHIVE_NO, ATTRIBUTES = "GD-1-1", "GD-1-6", "GD-1-7", "GD-1-10"
REASONABLE = "GD-1-5"
COUNT, BYTES, METADATA, SEQUENCE, CONTENT = "GD-2-1", "GD-2-2", "GD-2-3", "GD-2-6", "GD-2-7"
LONG_TERM = "GD-3-3"
EXTRA_FILES, PROCESS = "GD-4-3", "GD-4-7"


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """The four examples rendered once (DOCX, and PDF as PDF/A), a photo, a workbook and its PDF/A copy."""
    from PIL import Image
    from weasyprint import HTML

    from fupin_docs.pipeline import render_files

    root = tmp_path_factory.mktemp("rendered")
    scratch = make_workspace(root / "ws")
    outcomes = render_files(EXAMPLES, scratch, formats=("docx", "pdf"), out_dir=root / "out", pdfa=True)
    docs = {}
    for example, outcome in zip(EXAMPLES, outcomes):
        kind = example.name.split("-")[0]
        docs[kind] = (outcome.outputs["docx"], outcome.outputs["pdf"])
    photo = root / "入户核查照片.jpg"
    image = Image.new("RGB", (320, 240), (180, 120, 60))
    for x in range(0, 320, 8):
        for y in range(0, 240, 8):
            image.putpixel((x, y), (x % 256, y % 256, (x + y) % 256))
    image.save(photo, "JPEG", quality=90)
    sheet = write_workbook(root / "饮水安全排查台账.xlsx", [["户主", "村", "饮水安全"], ["张三", "三星村", "达标"],
                                                       ["李四", "三星村", "整改中"]])
    sheet_pdf = root / "饮水安全排查台账.pdf"
    HTML(string="<html lang='zh-CN'><body style='font-family: \"Noto Serif CJK SC\"'><table>"
                "<tr><td>户主</td><td>村</td><td>饮水安全</td></tr><tr><td>张三</td><td>三星村</td><td>达标</td></tr>"
                "<tr><td>李四</td><td>三星村</td><td>整改中</td></tr></table></body></html>").write_pdf(
        sheet_pdf, pdf_variant="pdf/a-2b")
    return {"docs": docs, "photo": photo, "sheet": sheet, "sheet_pdf": sheet_pdf}


def fill(ws, rendered) -> dict:
    """File everything RENDERED into WS through the library as a clerk would; kind -> 档号."""
    from fupin_docs.filing import file_document

    filed = {}
    for kind, (docx, pdf) in rendered["docs"].items():
        filed[kind] = file_document(ws, docx, kind=FILED_AS[kind][0], date=FILED_AS[kind][1], unit="镇扶贫工作站",
                                    renditions=(pdf,)).item.archive_no
    filed["photo"] = file_document(ws, rendered["photo"], kind="照片", date="2020-06-05", unit="三星村",
                                   title="三星村饮水安全入户核查照片").item.archive_no
    filed["sheet"] = file_document(ws, rendered["sheet"], kind="台账", date="2020-06-06", unit="三星村",
                                   renditions=(rendered["sheet_pdf"],)).item.archive_no
    return filed


def run(ws, *args):
    return CliRunner().invoke(cli, ["--workspace", str(ws.root), "archive", "check", *args])


def checked(ws) -> tuple[int, dict]:
    result = run(ws, "--json")
    assert result.exit_code in (0, 3), result.output
    return result.exit_code, json.loads(result.stdout)


def row(data: dict, code_or_key: str) -> dict:
    return next(c for c in data["checks"] if code_or_key in (c["code"], c["key"]))


def failing(data: dict) -> dict:
    return {c["code"] or c["key"]: c for c in data["checks"] if c["result"] == "不通过"}


def writable(path: Path) -> Path:
    os.chmod(path, 0o644)  # as an attacker would: the archive keeps its files read-only
    return path


# ---- a clean archive ------------------------------------------------------------------


def test_a_clean_archive_of_real_documents_passes_every_item(any_workspace, rendered, tmp_path):
    ws = any_workspace
    filed = fill(ws, rendered)
    report = tmp_path / "报告" / "四性检测报告.pdf"
    result = run(ws, "--report", str(report))
    assert result.exit_code == 0, result.output
    code, data = checked(ws)
    assert code == 0 and data["ok"] and not failing(data)
    assert data["items"] == len(filed) == 6 and data["files"] == 6 + 5  # four DOCX and the workbook have a copy
    for number in (FIXITY, ARCHIVE_NO, ATTRIBUTES, COUNT, BYTES, METADATA, SEQUENCE, CONTENT, LONG_TERM, EXTRA_FILES):
        assert row(data, number)["result"] == "通过", row(data, number)
    assert "5 件有 PDF/A" in row(data, LONG_TERM)["basis"] and "1 件照片" in row(data, LONG_TERM)["basis"]
    assert f"核对 11 个文件的 SHA-256，其中 11 个同时核对 SM3" in row(data, FIXITY)["basis"]
    assert {c["property"] for c in data["checks"]} == {"真实性", "完整性", "可用性", "安全性"}
    assert data["environment"]["python"] and data["environment"]["tool"].startswith("fupin-docs ")
    # the report on paper: header, every item with its result, totals, signatures
    text = subprocess.run(["pdftotext", "-layout", str(report), "-"], capture_output=True, text=True,
                          check=True).stdout
    squashed = re.sub(r"\s+", "", text)
    for words in ("电子档案四性检测报告", "DA/T70—2018", "全宗号/机构", "Z001", ws.config.office.name, "检测阶段",
                  "归档环节", "检测时间", "检测软件", data["tool"].replace(" ", ""), "检测人（签字）", "审核人（签字）",
                  "日期："):
        assert words in squashed, words
    for item in data["checks"]:
        if item["code"]:
            assert item["code"] in squashed, item["code"]
    assert f"检测项目{len(data['checks'])}项，通过{len(data['checks'])}项，不通过0项" in squashed


def test_the_check_is_logged_with_its_stage_and_counts(any_workspace, rendered):
    ws = any_workspace
    fill(ws, rendered)
    _code, data = checked(ws)
    records = [e for e in Archive(ws).events() if e["action"] == "check"]
    assert len(records) == 1 and records[0]["seq"] == data["logged_seq"]
    detail = records[0]["detail"]
    assert detail["stage"] == "归档" and detail["passed"] == data["counts"]["通过"]
    assert detail["failed"] == 0 and detail["items"] == 6
    result = run(ws, "--stage", "保存")
    assert result.exit_code == 0 and f"记入审计日志第 {data['logged_seq'] + 1} 条" in result.output
    assert [e["detail"]["stage"] for e in Archive(ws).events() if e["action"] == "check"] == ["归档", "保存"]
    # the log record is an ordinary appended record: the chain still verifies
    assert CliRunner().invoke(cli, ["--workspace", str(ws.root), "archive", "verify"]).exit_code == 0


def test_a_stage_that_does_not_exist_is_refused(any_workspace):
    result = run(any_workspace, "--stage", "接收")
    assert result.exit_code == 1 and "归档、移交、保存" in result.output


# ---- damage, each kind named by its item and 档号 ------------------------------------


def test_a_flipped_byte_fails_fixity_naming_the_item(any_workspace, rendered):
    ws = any_workspace
    filed = fill(ws, rendered)
    archive = Archive(ws)
    item = archive.get(filed["notice"])
    path = writable(archive.rendition_paths(item)[0])
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    code, data = checked(ws)
    assert code == 3 and not data["ok"]
    failed = failing(data)
    assert filed["notice"] in " ".join(failed[FIXITY]["failures"]) and "SHA-256" in failed[FIXITY]["failures"][0]
    assert filed["notice"] in " ".join(failed["security.read_only"]["failures"])
    # the same size, still a PDF; but the damaged PDF/A copy no longer counts as the item's long-term form
    assert set(failed) == {FIXITY, "security.read_only", LONG_TERM}
    assert filed["notice"] in failed[LONG_TERM]["failures"][0]


def test_a_deleted_object_fails_content_integrity(any_workspace, rendered):
    ws = any_workspace
    filed = fill(ws, rendered)
    archive = Archive(ws)
    archive.file_path(archive.get(filed["photo"])).unlink()
    code, data = checked(ws)
    failed = failing(data)
    assert code == 3 and filed["photo"] in failed[CONTENT]["failures"][0]
    assert BYTES in failed and LONG_TERM in failed  # the photo, gone, is no longer kept in any form


def test_a_missing_rendition_is_named(any_workspace, rendered):
    ws = any_workspace
    filed = fill(ws, rendered)
    archive = Archive(ws)
    item = archive.get(filed["sheet"])
    archive.rendition_paths(item)[0].unlink()
    code, data = checked(ws)
    failed = failing(data)
    assert code == 3 and len(failed[CONTENT]["failures"]) == 1
    assert filed["sheet"] in failed[CONTENT]["failures"][0] and "副本 饮水安全排查台账.pdf" in failed[CONTENT]["failures"][0]
    # the workbook is now kept only as XLSX: no long-term form left
    assert filed["sheet"] in failed[LONG_TERM]["failures"][0]


def test_an_extra_file_in_the_object_store_is_found(any_workspace, rendered):
    ws = any_workspace
    fill(ws, rendered)
    stray = Archive(ws).objects_dir / "ff" / ("f" * 64 + ".pdf")
    stray.parent.mkdir(exist_ok=True)
    stray.write_bytes(rendered["docs"]["plan"][1].read_bytes())
    code, data = checked(ws)
    failed = failing(data)
    assert code == 3 and set(failed) == {EXTRA_FILES} and stray.name in failed[EXTRA_FILES]["failures"][0]


def test_a_writable_stored_file_fails_security(any_workspace, rendered):
    ws = any_workspace
    filed = fill(ws, rendered)
    archive = Archive(ws)
    writable(archive.file_path(archive.get(filed["minutes"])))
    code, data = checked(ws)
    failed = failing(data)
    assert code == 3 and set(failed) == {"security.read_only"}
    assert filed["minutes"] in failed["security.read_only"]["failures"][0]


def test_a_file_whose_extension_lies_is_named(any_workspace, rendered, tmp_path):
    ws = any_workspace
    fill(ws, rendered)
    liar = tmp_path / "督查通知.doc"  # a Word 97 document by its name (kept by metadata only), a PDF by its bytes
    liar.write_bytes(rendered["docs"]["notice"][1].read_bytes())
    no = Archive(ws).add(liar, kind="notice", date="2020-05-21", unit="镇扶贫工作站").item.archive_no
    code, data = checked(ws)
    failed = failing(data)
    assert code == 3 and no in failed[ATTRIBUTES]["failures"][0] and "实为 PDF" in failed[ATTRIBUTES]["failures"][0]
    assert len(failed[ATTRIBUTES]["failures"]) == 1


def _forged_add(archive, **changes) -> dict:
    """An 'add' record appended through the catalog (either backend) that no clerk made:
    a copy of the first item's record with CHANGES."""
    first = archive.events()[0]["detail"]
    detail = dict(first, **changes)
    with archive.catalog.writing() as writer:
        return writer.append("add", detail, "冒充者")


def test_a_gap_in_the_item_numbers_is_named_and_a_withdrawn_item_is_no_gap(any_workspace, rendered):
    ws = any_workspace
    filed = fill(ws, rendered)
    from fupin_docs.filing import withdraw_document
    withdraw_document(ws, filed["minutes"], "重复归档")
    _code, data = checked(ws)
    assert row(data, SEQUENCE)["result"] == "通过" and data["withdrawn"] == 1
    archive = Archive(ws)
    last = max(int(no[-4:]) for no in filed.values())
    prefix = filed["plan"][:-4]
    _forged_add(archive, archive_no=f"{prefix}{last + 3:04d}")
    code, data = checked(ws)
    failed = failing(data)
    assert code == 3 and SEQUENCE in failed
    message = failed[SEQUENCE]["failures"][0]
    assert f"{prefix}{last + 1:04d}" in message and f"{prefix}{last + 2:04d}" in message
    assert f"{prefix}{last + 3:04d}" not in message and filed["minutes"] not in message


def test_a_date_in_the_future_is_named(any_workspace, rendered):
    ws = any_workspace
    filed = fill(ws, rendered)
    archive = Archive(ws)
    forged = filed["plan"].replace("·2020-", "·2099-")[:-4] + "0001"
    _forged_add(archive, archive_no=forged, date="2099-01-01")
    code, data = checked(ws)
    failed = failing(data)
    assert code == 3 and forged in failed[REASONABLE]["failures"][0] and "2099-01-01" in failed[REASONABLE]["failures"][0]


def test_a_duplicate_archive_number_and_missing_metadata_are_named(any_workspace, rendered):
    ws = any_workspace
    filed = fill(ws, rendered)
    archive = Archive(ws)
    _forged_add(archive, archive_no=filed["photo"], date=None, kind=None)
    code, data = checked(ws)
    failed = failing(data)
    assert code == 3 and filed["photo"] in failed["GD-1-8"]["failures"][0]
    assert filed["photo"] in failed[METADATA]["failures"][0] and "日期、文种" in failed[METADATA]["failures"][0]


def test_the_stage_moves_the_numbers_it_has(any_workspace, rendered):
    ws = any_workspace
    fill(ws, rendered)
    report = check_archive(Archive(ws), "移交", office=ws.config.office.name, log=False)
    assert report.stage == "移交" and all(c.code is None for c in report.checks)
    assert next(c for c in report.checks if c.key == "security.logged").result == "不适用"
    assert report.ok


def test_a_damaged_report_names_the_failures_on_paper(any_workspace, rendered, tmp_path):
    ws = any_workspace
    filed = fill(ws, rendered)
    archive = Archive(ws)
    archive.file_path(archive.get(filed["rectification"])).unlink()
    report = tmp_path / "检测报告.pdf"
    result = run(ws, "--report", str(report))
    assert result.exit_code == 3 and "不通过" in result.output and filed["rectification"] in result.output
    text = re.sub(r"\s+", "", subprocess.run(["pdftotext", str(report), "-"], capture_output=True, text=True,
                                             check=True).stdout)
    assert filed["rectification"] in text and "不通过" in text and "结论：" in text


# ---- the 档案核验 page and /api/check --------------------------------------------------


def test_the_admin_page_shows_the_same_items_as_the_json(tmp_path, rendered):
    from test_server import PASSWORDS, Client, Server
    from fupin_docs.accounts import Accounts

    root = tmp_path / "三星镇"
    ws = make_workspace(root)
    filed = fill(ws, rendered)
    Accounts(ws).add_user("管理员甲", "admin", PASSWORDS["管理员甲"])
    Accounts(ws).add_user("督查组1", "inspector", PASSWORDS["督查组1"], expires="3d")
    Archive(ws).rendition_paths(Archive(ws).get(filed["sheet"]))[0].unlink()  # one item fails
    server = Server(root)
    try:
        inspector = Client(server.port)
        inspector.login("督查组1")
        assert inspector.get("/api/check").status == 403
        client = Client(server.port)
        assert client.login("管理员甲").status == 302
        api = client.get("/api/check")
        assert api.status == 200
        data = api.json()
        cli_data = json.loads(run(ws, "--json").stdout)
        varying = ("checked_at", "logged_seq", "checks")
        assert {k: v for k, v in data.items() if k not in varying} == {k: v for k, v in cli_data.items() if k not in varying}
        assert list(data) == list(cli_data)  # the same keys in the same order
        same_rows = [(c["key"], c["code"], c["result"], c["failures"]) for c in data["checks"]]
        assert same_rows == [(c["key"], c["code"], c["result"], c["failures"]) for c in cli_data["checks"]]
        page = client.get("/admin/verify")
        assert 'id="run-check"' in page.text
        token = client.csrf("/admin/verify")
        shown = client.post("/admin/check", {"csrf_token": token, "stage": "归档"}, headers={"HX-Request": "true"})
        assert shown.status == 200
        rows = re.findall(r'<tr data-key="([^"]+)"[^>]*><td>([^<]*)</td><td>[^<]*</td><td>[^<]*</td>'
                          r'<td class="result">([^<]*)</td>', shown.text)
        assert rows == [(c["key"], c["code"] or "—", c["result"]) for c in data["checks"]]
        assert f"四性检测有 {data['counts']['不通过']} 项不通过" in shown.text and data["counts"]["不通过"] >= 1
        assert filed["sheet"] in shown.text and "处理办法" in shown.text
        whole = client.post("/admin/check", {"csrf_token": token, "stage": "保存"})  # without htmx: the whole page
        assert whole.status == 200 and "<h1>档案核验</h1>" in whole.text and "保存环节" in whole.text
        link = re.search(r'id="check-pdf" href="([^"]+)"', shown.text).group(1)
        pdf = client.get(link.replace("&amp;", "&"))
        assert pdf.status == 200 and pdf.body.startswith(b"%PDF-")
        assert pdf.headers["Content-Type"] == "application/pdf"
    finally:
        server.stop()
    stages = [e["detail"]["stage"] for e in Archive(ws).events() if e["action"] == "check"]
    # the API, the CLI, the page (twice) and the PDF each ran and logged a check
    assert stages == ["归档", "归档", "归档", "保存", "归档"]


def test_an_ofd_copy_is_a_long_term_form_that_opens(any_workspace, rendered, tmp_path):
    from fupin_docs.filing import file_document
    from fupin_docs.pipeline import render_files

    ws = any_workspace
    example = next(p for p in EXAMPLES if p.name.startswith("notice"))
    [outcome] = render_files([example], ws, formats=("ofd",), out_dir=tmp_path / "out")
    ofd = outcome.outputs["ofd"]
    docx = rendered["docs"]["notice"][0]
    no = file_document(ws, docx, kind="notice", date="2020-05-20", unit="镇扶贫工作站", renditions=(ofd,)).item.archive_no
    code, data = checked(ws)
    assert code == 0, failing(data)
    assert "1 件有 OFD" in row(data, LONG_TERM)["basis"] and "0 件有 PDF/A" in row(data, LONG_TERM)["basis"]
    assert "2 个文件按格式打开" in row(data, "usability.opens")["basis"]
    # the OFD's pages broken: it no longer opens, and the item has no long-term form left
    path = writable(Archive(ws).rendition_paths(Archive(ws).get(no))[0])
    import zipfile
    with zipfile.ZipFile(path) as package:
        parts = {name: package.read(name) for name in package.namelist()}
    with zipfile.ZipFile(path, "w") as package:
        for name, data_ in parts.items():
            package.writestr(name, b"<broken" if name == "OFD.xml" else data_)
    _code, data = checked(ws)
    failed = failing(data)
    assert no in failed[FIXITY]["failures"][0] and no in failed[LONG_TERM]["failures"][0]
