"""The archive on real files in temporary workspaces: numbering, dedup, bytes kept
read-only, hostile files, withdraw, the hash-chained audit log, verify, concurrency."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from docx import Document

from fupin_docs.archive import Archive, ArchiveError
from fupin_docs.archive.extract import inspect_file
from fupin_docs.cli.main import cli
from fupin_docs.workspace.config import open_workspace
from conftest import make_workspace

ARCHIVE_NO = re.compile(r"^Z001-WS·(\d{4})-(Y|D30|D10)-ZFB-(\d{4})$")
PNG_1PX = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cfc0f01f0005000201a5ad8b"
    "c20000000049454e44ae426082")


def make_docx(path: Path, paragraphs, table=None, title=None) -> Path:
    document = Document()
    for text in paragraphs:
        document.add_paragraph(text)
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, value in enumerate(row):
                grid.cell(r, c).text = value
    if title:
        document.core_properties.title = title
    document.save(path)
    return path


def make_pdf(path: Path, *pages: str) -> Path:
    from weasyprint import HTML
    body = "".join(f'<p style="break-before: page">{p}</p>' if i else f"<p>{p}</p>" for i, p in enumerate(pages))
    path.write_bytes(HTML(string=f'<html><body style="font-family: Noto Sans CJK SC">{body}</body></html>').write_pdf())
    return path


def make_xlsx(path: Path, rows) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "问题台账"
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("files")
    return {
        "docx": make_docx(d / "会议纪要.docx", ["三星村危房改造专题会议纪要", "会议研究了危房改造整改事项。"],
                          table=[["问题", "责任人"], ["饮水安全隐患", "张三"]], title="危房改造专题会议纪要"),
        "pdf": make_pdf(d / "督查通知.pdf", "关于开展脱贫攻坚督查的通知", "第二页：整改销号要求"),
        "xlsx": make_xlsx(d / "台账.xlsx", [["编号", "问题", "状态"], ["P001", "饮水管道漏水", "已销号"]]),
        "txt": _write(d / "说明.txt", "这是一份说明，提到问题清零。".encode("utf-8")),
        "md": _write(d / "记录.md", "# 工作记录\n\n入户核查两不愁三保障。".encode("gb18030")),
        "png": _write(d / "现场照片.png", PNG_1PX),
    }


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


@pytest.fixture
def ws(tmp_path):
    root = tmp_path / "ws"
    root.mkdir()
    (root / "fupin.toml").write_text("# test workspace\n", encoding="utf-8")  # the CLI needs a workspace
    return make_workspace(root)


def journal_records(ws) -> list[dict]:
    """The archive journal's records, oldest first, wherever the workspace keeps them."""
    return Archive(ws).events()


def test_every_kind_is_archived_with_metadata_and_text(ws, files):
    archive = Archive(ws)
    results = {kind: archive.add(path, date="2020-03-15", unit="三星村") for kind, path in files.items()}
    numbers = [r.item.archive_no for r in results.values()]
    assert [ARCHIVE_NO.match(n).group(3) for n in numbers] == ["0001", "0002", "0003", "0004", "0005", "0006"]
    assert all(ARCHIVE_NO.match(n).group(1) == "2020" for n in numbers)
    assert {k: r.item.format for k, r in results.items()} == {
        "docx": "docx", "pdf": "pdf", "xlsx": "xlsx", "txt": "txt", "md": "md", "png": "png"}
    assert results["pdf"].item.pages == 2
    assert results["png"].item.pages == 1 and results["png"].item.kind == "照片"
    assert results["docx"].item.title == "危房改造专题会议纪要"  # from the document's properties
    assert results["txt"].item.title == "说明"  # from the file name
    item = results["docx"].item
    assert item.size == files["docx"].stat().st_size and len(item.sha256) == 64 and item.added_at
    data = item.to_json()
    for key in ("archive_no", "title", "kind", "unit", "date", "doc_number", "issuer", "secrecy", "retention",
                "pages", "format", "file_name", "size", "sha256", "tags", "added_at", "added_by", "how",
                "withdrawn", "renditions"):
        assert key in data
    # text from paragraphs and tables, pdf pages, xlsx cells, gb18030 text
    assert "饮水安全隐患" in inspect_file(files["docx"]).text
    assert "整改销号" in inspect_file(files["pdf"]).text.replace(" ", "")
    assert "已销号" in inspect_file(files["xlsx"]).text
    assert "两不愁三保障" in inspect_file(files["md"]).text
    assert archive.verify().ok


def test_numbers_count_per_year_and_retention(ws, files, tmp_path):
    archive = Archive(ws)
    a = archive.add(files["txt"], date="2020-01-02").item
    b = archive.add(files["md"], date="2021-05-01").item
    c = archive.add(files["png"], date="2020-06-01", retention="Y").item
    d = archive.add(files["xlsx"], date="2020-07-01").item
    assert a.archive_no == "Z001-WS·2020-D30-ZFB-0001"
    assert b.archive_no == "Z001-WS·2021-D30-ZFB-0001"
    assert c.archive_no == "Z001-WS·2020-Y-ZFB-0001"
    assert d.archive_no == "Z001-WS·2020-D30-ZFB-0002"
    assert archive.get("z001-ws.2020-d30-zfb-0002").archive_no == d.archive_no  # typed with '.' and lower case
    (ws.root / "fupin.toml").write_text('[archive]\nfonds = "X9"\norg_code = "FPB"\nretention = "D10"\n', encoding="utf-8")
    e = Archive(open_workspace(ws.root)).add(files["docx"], date="2020-01-01").item
    assert e.archive_no == "X9-WS·2020-D10-FPB-0001"


def test_same_bytes_are_stored_once(ws, files, tmp_path):
    archive = Archive(ws)
    first = archive.add(files["docx"], date="2020-05-01")
    copy = tmp_path / "另一个名字.docx"
    copy.write_bytes(files["docx"].read_bytes())
    second = archive.add(copy, date="2020-05-01", title="别的题名")
    assert first.created and not second.created
    assert second.item.archive_no == first.item.archive_no
    assert len(archive.items()) == 1
    assert len([p for p in (ws.archive_dir / "objects").rglob("*") if p.is_file()]) == 1


def test_bytes_are_kept_unchanged_and_read_only(ws, files):
    archive = Archive(ws)
    item = archive.add(files["pdf"], date="2020-05-01", renditions=[files["docx"]]).item
    stored = archive.file_path(item)
    assert stored.read_bytes() == files["pdf"].read_bytes()
    assert stat.S_IMODE(stored.stat().st_mode) == 0o444
    assert stored.resolve().is_relative_to(ws.archive_dir.resolve())
    [rendition] = archive.rendition_paths(item)
    assert rendition.read_bytes() == files["docx"].read_bytes()
    assert item.renditions[0]["format"] == "docx"


def test_hostile_files_get_a_message_and_change_nothing(ws, files, tmp_path):
    archive = Archive(ws)
    archive.add(files["txt"], date="2020-05-01")
    before = journal_records(ws)
    fake_docx = _write(tmp_path / "坏文件.docx", b"this is not a zip at all")
    zip_not_docx = tmp_path / "压缩包.docx"
    import zipfile
    with zipfile.ZipFile(zip_not_docx, "w") as z:
        z.writestr("hello.txt", "hi")
    fake_pdf = _write(tmp_path / "假的.pdf", b"<html>not a pdf</html>")
    fake_png = _write(tmp_path / "照片.png", b"GIF89a....")
    huge = tmp_path / "扫描件.pdf"
    with open(huge, "wb") as handle:
        handle.truncate(200 * 1024 * 1024)  # sparse: 200 MB without writing them
    cases = [(fake_docx, "Word"), (zip_not_docx, "Word"), (fake_pdf, "不是 PDF"), (fake_png, "PNG"),
             (huge, "太大"), (tmp_path / "不存在.txt", "找不到"), (tmp_path, "不是普通文件")]
    for path, words in cases:
        with pytest.raises(ArchiveError) as err:
            archive.add(path, date="2020-05-01")
        assert words in str(err.value)
    assert journal_records(ws) == before
    assert len(archive.items()) == 1
    assert not any((ws.archive_dir / "tmp").iterdir())
    # names: only the last component is kept, whatever separator; paths with .. are fine
    odd = _write(tmp_path / "..\\..\\windows\\evil.txt", "名字里有反斜杠".encode())
    item = archive.add(odd, date="2020-05-01").item
    assert item.file_name == "evil.txt"
    sub = tmp_path / "sub"
    sub.mkdir()
    via_dotdot = archive.add(sub / ".." / "记录.md" if (tmp_path / "记录.md").exists() else
                             _write(tmp_path / "记录2.md", "内容".encode()), date="2020-05-01").item
    assert ".." not in via_dotdot.file_name and "/" not in via_dotdot.file_name
    for path in (ws.archive_dir / "objects").rglob("*"):
        assert path.resolve().is_relative_to((ws.archive_dir / "objects").resolve())


def test_cli_rejects_a_200mb_file_with_exit_1(ws, tmp_path):
    huge = tmp_path / "huge.docx"
    with open(huge, "wb") as handle:
        handle.truncate(200 * 1024 * 1024)
    result = CliRunner().invoke(cli, ["--workspace", str(ws.root), "archive", "add", str(huge)])
    assert result.exit_code == 1
    assert "超过单个文件归档上限" in result.output


def test_withdraw_keeps_bytes_and_is_logged(ws, files):
    archive = Archive(ws)
    item = archive.add(files["txt"], date="2020-05-01").item
    with pytest.raises(ArchiveError):
        archive.withdraw(item.archive_no, "  ")
    archive.withdraw(item.archive_no, "误归档", who="李四")
    assert archive.items() == []
    [kept] = archive.items(include_withdrawn=True)
    assert kept.withdrawn and kept.withdraw_reason == "误归档"
    assert archive.file_path(kept).read_bytes() == files["txt"].read_bytes()
    last = journal_records(ws)[-1]
    assert last["action"] == "withdraw" and last["who"] == "李四"
    with pytest.raises(ArchiveError):
        archive.withdraw(item.archive_no, "再次")
    # re-adding the same bytes files them again as a new item, sharing the stored object
    objects = sorted(p.name for p in (ws.archive_dir / "objects").rglob("*") if p.is_file())
    again = archive.add(files["txt"], date="2020-05-01")
    assert again.created and again.item.archive_no != item.archive_no
    assert sorted(p.name for p in (ws.archive_dir / "objects").rglob("*") if p.is_file()) == objects


def test_audit_log_is_hash_chained_and_other_stages_can_append(ws, files):
    archive = Archive(ws)
    archive.add(files["txt"], date="2020-05-01")
    event = archive.log_event("ledger.close", {"problem": "P001", "archive_nos": ["x"]}, who="王五")
    assert event["seq"] == 2
    records = journal_records(ws)
    assert records[1]["prev"] == records[0]["hash"]
    with pytest.raises(ArchiveError):
        archive.log_event("add", {})
    assert archive.verify().ok


def _damaged(ws) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--workspace", str(ws.root), "archive", "verify"])
    return result.exit_code, result.output


def test_verify_catches_a_flipped_byte(ws, files):
    archive = Archive(ws)
    item = archive.add(files["docx"], date="2020-05-01").item
    archive.add(files["txt"], date="2020-05-01")
    from fupin_docs.search import rebuild_index
    rebuild_index(ws)
    assert _damaged(ws)[0] == 0
    path = archive.file_path(item)
    os.chmod(path, 0o644)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    code, output = _damaged(ws)
    assert code == 3 and "真实性" in output and item.archive_no in output
    report = archive.verify()
    assert not report.ok and report.to_json()["problems"][0]["category"] == "真实性"


def test_verify_catches_a_missing_file(ws, files):
    archive = Archive(ws)
    item = archive.add(files["pdf"], date="2020-05-01").item
    archive.file_path(item).unlink()
    report = archive.verify()
    assert any("丢失" in p for p in report.problems)
    assert _damaged(ws)[0] == 3


@pytest.mark.embedded  # the journal file itself (the database's chain: test_catalog_backends.py)
def test_verify_catches_a_rewritten_or_truncated_audit_log(ws, files):
    archive = Archive(ws)
    archive.add(files["txt"], date="2020-05-01", title="原题名")
    archive.add(files["md"], date="2020-05-01")
    archive.add(files["png"], date="2020-05-01")
    log = ws.archive_dir / "journal.jsonl"
    original = log.read_text(encoding="utf-8")
    log.write_text(original.replace("原题名", "改过的题名"), encoding="utf-8")
    code, output = _damaged(ws)
    assert code == 3 and "哈希不符" in output
    log.write_text("".join(original.splitlines(keepends=True)[:2]), encoding="utf-8")  # last line cut off
    report = archive.verify()
    assert any("截短" in p for p in report.problems)
    lines = original.splitlines(keepends=True)
    log.write_text(lines[0] + lines[2], encoding="utf-8")  # a middle line removed
    assert not archive.verify().ok


def test_verify_reports_an_index_out_of_step(ws, files):
    from fupin_docs import filing
    filed = filing.file_document(ws, files["txt"], date="2020-05-01")
    assert filed.index_error is None and filing.verify(ws).ok
    Archive(ws).add(files["md"], date="2020-05-01")  # filed without the index update, as if that had failed
    report = filing.verify(ws)
    assert any("可用性" in p and "检索索引" in p for p in report.problems)
    code, output = _damaged(ws)
    assert code == 3 and "fupin index rebuild" in output
    assert CliRunner().invoke(cli, ["--workspace", str(ws.root), "index", "rebuild"]).exit_code == 0
    assert filing.verify(ws).ok


@pytest.mark.embedded  # the journal file itself (the database's chain: test_catalog_backends.py)
def test_a_killed_add_leaves_no_half_item(ws, files):
    # The process dies right before the journal line is written (after the file was stored).
    script = (
        "import os, sys\n"
        "from fupin_docs.workspace.config import open_workspace\n"
        "from fupin_docs.archive import Archive, journal\n"
        "journal.Journal.append = lambda *a, **k: os._exit(9)\n"
        "Archive(open_workspace(sys.argv[1])).add(sys.argv[2], date='2020-05-01')\n")
    run = subprocess.run([sys.executable, "-c", script, str(ws.root), str(files["docx"])])
    assert run.returncode == 9
    archive = Archive(ws)
    assert archive.items() == []
    # A stored file and no record at all looks exactly like a deleted journal, so
    # verify cannot call it harmless (issue 9); filing the file again settles it.
    assert [p for p in archive.verify().problems if "没有任何归档记录" in p]
    # an append torn mid-line is ignored and cut off by the next add
    with open(ws.archive_dir / "journal.jsonl", "ab") as handle:
        handle.write(b'{"seq": 1, "action": "add", "detail": {"arch')
    item = archive.add(files["docx"], date="2020-05-01").item
    assert item.archive_no.endswith("-0001")
    assert archive.verify().ok and len(journal_records(ws)) == 1


# Each process waits at a barrier (a file per process in a folder) until both are
# ready, then files its batch: the adds really contend for the archive lock.
CONTENDER = """
import json, pathlib, sys, time
from fupin_docs.filing import file_documents
from fupin_docs.workspace import open_workspace
root, me, barrier, *paths = sys.argv[1:]
pathlib.Path(barrier, me).touch()
deadline = time.monotonic() + 60
while len(list(pathlib.Path(barrier).iterdir())) < 2 and time.monotonic() < deadline:
    time.sleep(0.001)
batch = file_documents(open_workspace(root), paths, date="2020-05-01")
print(json.dumps([f.item.archive_no for f in batch.filed]))
"""


def test_two_processes_adding_at_once_get_distinct_numbers(ws, tmp_path):
    barrier = tmp_path / "barrier"
    barrier.mkdir()
    procs = []
    for proc in range(2):
        paths = [str(_write(tmp_path / f"p{proc}-{n}.txt", f"进程{proc}的第{n}份材料".encode())) for n in range(6)]
        procs.append(subprocess.Popen([sys.executable, "-c", CONTENDER, str(ws.root), f"p{proc}", str(barrier), *paths],
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE))
    outputs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [o[1].decode() for o in outputs]
    numbers = [no for out, _ in outputs for no in json.loads(out)]
    assert len(numbers) == 12 and len(set(numbers)) == 12
    assert sorted(int(n[-4:]) for n in numbers) == list(range(1, 13))
    archive = Archive(ws)
    assert archive.verify().ok, archive.verify().problems


def test_cli_add_list_show_withdraw(ws, files):
    runner = CliRunner()
    base = ["--workspace", str(ws.root)]
    result = runner.invoke(cli, base + ["archive", "add", str(files["docx"]), "--kind", "会议纪要", "--unit", "三星村",
                                        "--date", "2020-03-15", "--tag", "危房", "--tag", "专题会"])
    assert result.exit_code == 0, result.output
    number = result.output.split()[0]
    assert number == "Z001-WS·2020-D30-ZFB-0001"
    again = runner.invoke(cli, base + ["archive", "add", str(files["docx"]), "--json"])
    assert json.loads(again.output)[0] == {**json.loads(again.output)[0], "archive_no": number, "created": False}
    bad = runner.invoke(cli, base + ["archive", "add", str(files["txt"]), "--date", "2020-13-01"])
    assert bad.exit_code == 1 and "不存在" in bad.output and "月份" in bad.output
    listed = json.loads(runner.invoke(cli, base + ["archive", "list", "--json"]).output)
    assert [i["archive_no"] for i in listed] == [number]
    assert listed[0]["kind"] == "minutes" and listed[0]["kind_label"] == "会议纪要"
    assert listed[0]["tags"] == ["危房", "专题会"]
    shown = json.loads(runner.invoke(cli, base + ["archive", "show", number, "--json"]).output)
    assert Path(shown["path"]).read_bytes() == files["docx"].read_bytes()
    assert shown["history"][0]["action"] == "add"
    text = runner.invoke(cli, base + ["archive", "show", number]).output
    assert "题名：危房改造专题会议纪要" in text
    assert runner.invoke(cli, base + ["archive", "show", "Z001-WS·2020-D30-ZFB-0099"]).exit_code == 1
    out = runner.invoke(cli, base + ["archive", "withdraw", number, "--reason", "重复"])
    assert out.exit_code == 0 and "文件仍保留" in out.output
    assert json.loads(runner.invoke(cli, base + ["archive", "list", "--json"]).output) == []
    verify = runner.invoke(cli, base + ["archive", "verify", "--json"])
    assert verify.exit_code == 0 and json.loads(verify.output)["withdrawn"] == 1


# ---- clerk acceptance findings ---------------------------------------------------

def _cli(ws, *args):
    return CliRunner().invoke(cli, ["--workspace", str(ws.root), *map(str, args)])


def _set_app_xml(path: Path, pages: int, words: int, characters: int) -> Path:
    """Rewrite docProps/app.xml as Word would after counting (python-docx leaves its template's)."""
    import zipfile
    with zipfile.ZipFile(path) as src:
        entries = {name: src.read(name) for name in src.namelist()}
    entries["docProps/app.xml"] = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
        f"<Pages>{pages}</Pages><Words>{words}</Words><Characters>{characters}</Characters>"
        "<Application>Microsoft Office Word</Application></Properties>").encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dest:
        for name, data in entries.items():
            dest.writestr(name, data)
    return path


def test_page_count_comes_from_the_pdf_rendition_or_is_unknown(ws, tmp_path):
    archive = Archive(ws)
    # python-docx's template says <Pages>1</Pages> with no words counted: that is no page count
    generated = make_docx(tmp_path / "生成.docx", ["通知正文"] * 3)
    assert "<Pages>1</Pages>" in __import__("zipfile").ZipFile(generated).read("docProps/app.xml").decode()
    lone = archive.add(generated, date="2020-03-01").item
    assert lone.pages is None
    assert "页数：—" in _cli(ws, "archive", "show", lone.archive_no).output
    # the same kind of .docx with its PDF: the PDF's pages
    docx = make_docx(tmp_path / "方案.docx", ["实施方案正文"])
    pdf = make_pdf(tmp_path / "方案.pdf", "一", "二", "三")
    item = archive.add(docx, date="2020-03-02", renditions=[pdf]).item
    assert item.pages == 3 and archive.get(item.archive_no).pages == 3
    assert "页数：3" in _cli(ws, "archive", "show", item.archive_no).output
    # a .docx saved by Word: its own count when the text fits on those pages
    counted = _set_app_xml(make_docx(tmp_path / "Word存.docx", ["正文"] * 5), pages=4, words=120, characters=300)
    assert archive.add(counted, date="2020-03-03").item.pages == 4
    stale = _set_app_xml(make_docx(tmp_path / "过期.docx", ["很长的正文" * 800]), pages=1, words=10, characters=10)
    assert archive.add(stale, date="2020-03-04").item.pages is None
    assert archive.add(make_pdf(tmp_path / "两页.pdf", "甲", "乙"), date="2020-03-05").item.pages == 2
    assert archive.verify().ok


def test_items_filed_with_a_wrong_page_count_read_right(ws, tmp_path):
    """An item filed before the fix (pages 1 from the template, PDF rendition of 3 pages)."""
    archive = Archive(ws)
    docx = make_docx(tmp_path / "旧.docx", ["正文"])
    pdf = make_pdf(tmp_path / "旧.pdf", "一", "二", "三")
    item = archive.add(docx, date="2020-04-01", renditions=[pdf]).item
    detail = {k: v for k, v in item.to_json().items()
              if k not in ("kind_label", "retention_label", "withdrawn", "withdraw_reason", "withdrawn_at")}
    detail.update(pages=1, archive_no=item.archive_no[:-4] + "0002", sha256="0" * 64)
    with archive.catalog.writing() as writer:
        writer.append("add", detail, "老版本")
    old = archive.get(item.archive_no[:-4] + "0002")
    assert old.pages == 3
    assert json.loads(_cli(ws, "archive", "list", "--json").stdout)[1]["pages"] == 3


def test_render_archive_records_the_pdf_page_count(tmp_path):
    from pypdf import PdfReader
    from fupin_docs.pipeline import render_files
    root = tmp_path / "ws"
    ws = make_workspace(root)
    example = Path(__file__).resolve().parents[1] / "examples" / "notice-回头看督查通知.yaml"
    [outcome] = render_files([example], ws, formats=("docx", "pdf"), archive=True)
    pages = len(PdfReader(str(outcome.outputs["pdf"])).pages)
    assert pages > 1
    item = Archive(ws).get(outcome.archive_no)
    assert item.pages == pages and item.format == "docx"
    assert f"页数：{pages}" in _cli(ws, "archive", "show", outcome.archive_no).output


def test_archive_numbers_can_be_typed_without_the_middle_dot(ws, files):
    archive = Archive(ws)
    a = archive.add(files["txt"], date="2020-01-02").item  # Z001-WS·2020-D30-ZFB-0001
    b = archive.add(files["md"], date="2020-01-03").item  # …-0002
    c = archive.add(files["png"], date="2021-01-03").item  # Z001-WS·2021-D30-ZFB-0001
    for typed in ("Z001-WS-2020-D30-ZFB-0002", " z001-ws.2020-d30-zfb-0002 ", "Z001-WS．2020-D30-ZFB-0002",
                  "Z001－WS－2020－D30－ZFB－0002", "z001-ws-2020-d30-zfb-2", "0002", "2", "ZFB-0002"):
        assert archive.get(typed).archive_no == b.archive_no, typed
    assert archive.get("0003") is None
    with pytest.raises(ArchiveError) as err:
        archive.get("1")  # 0001 of 2020 and of 2021
    assert a.archive_no in str(err.value) and c.archive_no in str(err.value) and "完整档号" in str(err.value)
    shown = _cli(ws, "archive", "show", "z001-ws-2021-d30-zfb-0001")
    assert shown.exit_code == 0 and f"档号：{c.archive_no}" in shown.output
    ambiguous = _cli(ws, "archive", "show", "0001")
    assert ambiguous.exit_code == 1 and a.archive_no in ambiguous.output and c.archive_no in ambiguous.output
    out = _cli(ws, "archive", "withdraw", "2", "--reason", "误归档")
    assert out.exit_code == 0 and b.archive_no in out.output
    assert archive.get(b.archive_no).withdrawn
    # ledger close --evidence goes through Archive.get
    from fupin_docs.ledger.evidence import check_evidence
    [evidence] = check_evidence(ws, ["z001-ws-2021-d30-zfb-0001"], archive=archive)
    assert evidence.archive_no == c.archive_no


def test_pack_id_accepts_a_hyphenated_number(ws, files, tmp_path):
    item = Archive(ws).add(files["pdf"], date="2020-05-01").item
    target = tmp_path / "包.zip"
    result = _cli(ws, "pack", "--id", item.archive_no.replace("·", "-").lower(), "-o", target)
    assert result.exit_code == 0, result.output
    assert target.exists()


def test_add_date_uses_the_shared_date_words(ws, files):
    impossible = _cli(ws, "archive", "add", files["txt"], "--date", "2020-02-30")
    assert impossible.exit_code == 1 and "不存在" in impossible.output and "YYYY-MM-DD" not in impossible.output
    chinese = _cli(ws, "archive", "add", files["txt"], "--date", "2020年6月8日", "--json")
    assert chinese.exit_code == 0
    assert json.loads(chinese.stdout)[0]["date"] == "2020-06-08"
    assert Archive(ws).items()[0].date == "2020-06-08"


def test_add_without_date_takes_the_date_at_the_end_of_the_document(ws, tmp_path):
    signed = make_docx(tmp_path / "通知.docx", ["关于开展督查的通知", "请各村认真落实。", "三星镇人民政府", "2020年2月28日"])
    result = _cli(ws, "archive", "add", signed)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Z001-WS·2020-D30-ZFB-0001")
    assert "成文日期 2020-02-28" in result.stderr and "--date" in result.stderr
    item = Archive(ws).get("0001")
    assert item.date == "2020-02-28" and item.date_source == "成文日期"
    # a deadline inside a sentence at the end is no 成文日期: no date, so no 档号 — this
    # year's would put the file in the wrong year's sequence for good (issue 16)
    deadline = make_docx(tmp_path / "要求.docx", ["整改要求", "完成时限：2019年5月31日"])
    result = _cli(ws, "archive", "add", deadline, "--json")
    assert result.exit_code == 1 and "找不到“要求.docx”的日期" in result.stderr and "--date" in result.stderr
    assert len(Archive(ws).items()) == 1
    # an explicit --date wins and prints no note
    given = _cli(ws, "archive", "add", make_docx(tmp_path / "另一份.docx", ["正文", "2020年2月28日"]),
                 "--date", "2019-12-01")
    assert given.stdout.startswith("Z001-WS·2019-") and "注意" not in given.stderr


def test_show_prints_local_times_and_chinese_actions(ws, files, monkeypatch):
    import time
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    try:
        item = Archive(ws).add(files["txt"], date="2020-01-02").item
        Archive(ws).withdraw(item.archive_no, "误归档")
        monkeypatch.setenv("TZ", "Asia/Shanghai")
        time.tzset()
        text = _cli(ws, "archive", "show", item.archive_no).output
        data = json.loads(_cli(ws, "archive", "show", item.archive_no, "--json").output)
    finally:
        monkeypatch.undo()
        time.tzset()
    from datetime import datetime, timedelta
    utc = datetime.fromisoformat(data["added_at"])
    assert utc.utcoffset() == timedelta(0)  # JSON keeps the ISO time with its offset
    local = (utc + timedelta(hours=8)).strftime("%Y-%m-%d %H:%M:%S")
    assert f"归档时间：{local}" in text and "+00:00" not in text and "T" not in text.split("归档时间：")[1][:20]
    assert " 归档" in text and " 撤回" in text and " add" not in text and " withdraw" not in text
    assert [h["action_label"] for h in data["history"]] == ["归档", "撤回"]
    assert [h["action"] for h in data["history"]] == ["add", "withdraw"]


def test_verify_names_damaged_items_by_title_and_file_name(ws, files):
    archive = Archive(ws)
    item = archive.add(files["pdf"], title="督查通知原件", date="2020-02-01").item
    archive.file_path(item).unlink()
    code, output = _damaged(ws)
    line = next(line for line in output.splitlines() if "丢失" in line)
    assert code == 3 and item.archive_no in line and "督查通知原件" in line and "督查通知.pdf" in line


def test_add_a_folder_of_photos(ws, tmp_path):
    folder = tmp_path / "现场照片"
    (folder / "子文件夹").mkdir(parents=True)
    _write(folder / "入户1.png", PNG_1PX)
    _write(folder / "入户2.png", PNG_1PX + b"\x00")
    _write(folder / ".DS_Store", b"junk")
    _write(folder / "子文件夹" / "别的.png", PNG_1PX + b"\x01")
    result = _cli(ws, "archive", "add", folder, "--date", "2020-03-15")
    assert result.exit_code == 0, result.output
    assert "2 个文件" in result.output and "归档 2 件，已存在 0 件，失败 0 件" in result.output
    assert sorted(i.file_name for i in Archive(ws).items()) == ["入户1.png", "入户2.png"]
    empty = tmp_path / "空"
    empty.mkdir()
    assert _cli(ws, "archive", "add", empty).exit_code == 1


def test_a_mixed_batch_reports_what_happened(ws, files, tmp_path):
    Archive(ws).add(files["md"], date="2020-01-01")
    result = _cli(ws, "archive", "add", files["txt"], files["md"], tmp_path / "missing.docx", "--date", "2020-01-02")
    assert result.exit_code == 1
    assert "找不到" in result.stderr
    assert result.stdout.strip().splitlines()[-1] == "归档 1 件，已存在 1 件，失败 1 件"
    as_json = _cli(ws, "archive", "add", files["png"], tmp_path / "missing.docx", "--date", "2020-01-02", "--json")
    assert as_json.exit_code == 1 and len(json.loads(as_json.stdout)) == 1
    assert "归档 1 件，已存在 0 件，失败 1 件" in as_json.stderr


def test_json_output_keeps_chinese_readable(ws, files):
    item = Archive(ws).add(files["docx"], unit="三星村", date="2020-03-15").item
    outputs = [_cli(ws, "archive", "add", files["txt"], "--date", "2020-03-16", "--json").stdout,
               _cli(ws, "archive", "list", "--json").stdout,
               _cli(ws, "archive", "show", item.archive_no, "--json").stdout,
               _cli(ws, "archive", "verify", "--json").stdout]
    for output in outputs:
        json.loads(output)
        assert "\\u" not in output and ("三星村" in output or "说明" in output or "ok" in output)


# ---- metadata correction (archive edit) -------------------------------------------

def test_edit_corrects_metadata_keeps_bytes_and_number_and_is_logged(ws, files):
    from fupin_docs.search import search
    archive = Archive(ws)
    item = archive.add(files["docx"], kind="会议纪要", unit="三星村", date="2020-03-15", tags=["危房"]).item
    before = archive.file_path(item).read_bytes()
    out = _cli(ws, "archive", "edit", item.archive_no[-4:], "--title", "五星村饮水工程验收纪要",
               "--date", "2020年12月5日", "--unit", "五星村", "--kind", "other", "--doc-number", "某政发〔2021〕3号",
               "--issuer", "某镇人民政府", "--secrecy", "内部", "--tag", "饮水安全", "--tag", "验收",
               "--reason", "题名和日期登记错误，按原件更正")
    assert out.exit_code == 0, out.output
    assert "档号不变" in out.output and "题名 “危房改造专题会议纪要” → “五星村饮水工程验收纪要”" in out.output
    again = Archive(ws).get(item.archive_no)
    assert (again.title, again.date, again.unit, again.kind, again.doc_number, again.issuer, again.secrecy,
            again.tags) == ("五星村饮水工程验收纪要", "2020-12-05", "五星村", "other", "某政发〔2021〕3号",
                            "某镇人民政府", "内部", ["饮水安全", "验收"])
    assert again.archive_no == item.archive_no == "Z001-WS·2020-D30-ZFB-0001"
    assert again.sha256 == item.sha256 and archive.file_path(again).read_bytes() == before
    assert again.changed_at and again.changed_by
    record = journal_records(ws)[-1]
    assert record["action"] == "change" and record["detail"]["reason"] == "题名和日期登记错误，按原件更正"
    assert record["detail"]["changes"]["date"] == {"old": "2020-03-15", "new": "2020-12-05"}
    assert record["detail"]["changes"]["tags"] == {"old": ["危房"], "new": ["饮水安全", "验收"]}
    assert record["prev"] == journal_records(ws)[-2]["hash"]
    # list / show read the new values; show lists the change with its label and reason
    listed = json.loads(_cli(ws, "archive", "list", "--json").output)
    assert listed[0]["title"] == "五星村饮水工程验收纪要" and listed[0]["date"] == "2020-12-05"
    text = _cli(ws, "archive", "show", item.archive_no).output
    assert "题名：五星村饮水工程验收纪要" in text and "日期：2020-12-05" in text
    assert " 修改：" in text and "原因：题名和日期登记错误" in text and " change" not in text
    shown = json.loads(_cli(ws, "archive", "show", item.archive_no, "--json").output)
    assert [h["action_label"] for h in shown["history"]] == ["归档", "修改"]
    assert shown["history"][1]["changes"]["unit"] == {"old": "三星村", "new": "五星村"}
    # the index finds it by the new title and filters, not by the old unit/date
    assert [h.archive_no for h in search(ws, "饮水工程验收")] == [item.archive_no]
    assert [h.title for h in search(ws, "纪要", unit="五星村")] == ["五星村饮水工程验收纪要"]
    assert search(ws, "纪要", unit="三星村") == []
    assert [h.archive_no for h in search(ws, "纪要", date_from="2020-12-01", date_to="2020-12-31")] \
        == [item.archive_no]
    assert search(ws, "纪要", date_from="2020-03-01", date_to="2020-03-31") == []
    hit = json.loads(_cli(ws, "search", "验收", "--json").output)["hits"][0]
    assert hit["title"] == "五星村饮水工程验收纪要" and hit["date"] == "2020-12-05"
    verify = _cli(ws, "archive", "verify")
    assert verify.exit_code == 0, verify.output


def test_edit_json_and_clearing_a_field(ws, files):
    item = Archive(ws).add(files["txt"], unit="三星村", tags=["旧"], date="2020-05-01").item
    out = _cli(ws, "archive", "edit", item.archive_no, "--unit", "", "--tag", "", "--reason", "误填", "--json")
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert data["changes"] == {"unit": {"old": "三星村", "new": None}, "tags": {"old": ["旧"], "new": []}}
    assert data["item"]["unit"] is None and data["item"]["tags"] == [] and data["reason"] == "误填"
    assert data["seq"] == 2 and data["index_error"] is None
    assert Archive(ws).verify().ok


@pytest.mark.embedded  # the journal file itself (the database's chain: test_catalog_backends.py)
def test_edit_tampered_change_entry_is_caught_by_verify(ws, files):
    from fupin_docs.filing import edit_document, file_document
    archive = Archive(ws)
    item = file_document(ws, files["txt"], title="原题名", date="2020-05-01").item
    edit_document(ws, item.archive_no, title="更正后的题名", reason="题名有误", who="李四")
    assert _damaged(ws)[0] == 0
    log = ws.archive_dir / "journal.jsonl"
    original = log.read_text(encoding="utf-8")
    log.write_text(original.replace("更正后的题名", "被篡改的题名"), encoding="utf-8")
    code, output = _damaged(ws)
    assert code == 3 and "哈希不符" in output and "第 2 行" in output
    log.write_text(original.replace("题名有误", "无"), encoding="utf-8")  # the reason is covered too
    assert _damaged(ws)[0] == 3
    log.write_text(original.splitlines(keepends=True)[0], encoding="utf-8")  # the change line cut off
    assert any("截短" in p for p in archive.verify().problems)


def test_edit_is_refused_for_withdrawn_unknown_and_empty_changes(ws, files):
    archive = Archive(ws)
    item = archive.add(files["txt"], title="原题名", date="2020-05-01").item
    lines = len(journal_records(ws))
    no_reason = _cli(ws, "archive", "edit", item.archive_no, "--title", "新题名")
    assert no_reason.exit_code == 2 and "--reason" in no_reason.output
    with pytest.raises(ArchiveError, match="原因"):
        archive.change(item.archive_no, title="新题名", reason="  ")
    same = _cli(ws, "archive", "edit", item.archive_no, "--title", "原题名", "--reason", "核对")
    assert same.exit_code == 1 and "没有需要修改的内容" in same.output
    nothing = _cli(ws, "archive", "edit", item.archive_no, "--reason", "核对")
    assert nothing.exit_code == 1 and "没有给出要修改的内容" in nothing.output
    with pytest.raises(ArchiveError, match="不能修改“retention、sha256”"):
        archive.change(item.archive_no, retention="Y", sha256="0" * 64, reason="试试")
    with pytest.raises(ArchiveError, match="题名不能改为空"):
        archive.change(item.archive_no, title=" ", reason="试试")
    bad_date = _cli(ws, "archive", "edit", item.archive_no, "--date", "2020-02-30", "--reason", "核对")
    assert bad_date.exit_code == 1 and "不存在" in bad_date.output
    bad_secrecy = _cli(ws, "archive", "edit", item.archive_no, "--secrecy", "很秘密", "--reason", "核对")
    assert bad_secrecy.exit_code == 1 and "密级" in bad_secrecy.output
    missing = _cli(ws, "archive", "edit", "Z001-WS·2020-D30-ZFB-0099", "--title", "x", "--reason", "核对")
    assert missing.exit_code == 1 and "没有档号" in missing.output
    with pytest.raises(ArchiveError):
        archive.log_event("change", {"archive_no": item.archive_no})
    assert len(journal_records(ws)) == lines  # nothing refused was logged
    archive.withdraw(item.archive_no, "误归档")
    refused = _cli(ws, "archive", "edit", item.archive_no, "--title", "新题名", "--reason", "更正")
    assert refused.exit_code == 1 and "撤回的文件不能修改" in refused.output
    assert Archive(ws).get(item.archive_no).title == "原题名"


def test_a_future_date_is_refused_because_its_year_would_stay_in_the_number(ws, tmp_path):
    note = tmp_path / "note.txt"
    note.write_text("签到册", encoding="utf-8")
    result = CliRunner().invoke(cli, ["--workspace", str(ws.root), "archive", "add", str(note), "--date", "2099-01-01"])
    assert result.exit_code == 1 and "晚于今天" in result.output
    assert Archive(ws).items() == []


def test_a_withdrawn_file_can_be_filed_again_as_a_new_item(ws, tmp_path):
    note = tmp_path / "b.txt"
    note.write_text("第二份材料 饮水安全", encoding="utf-8")
    archive = Archive(ws)
    first = archive.add(note, date="2020-02-29").item
    archive.withdraw(first.archive_no, "误归档")
    again = archive.add(note, date="2020-02-29", title="重新归档")
    assert again.created and again.item.archive_no != first.archive_no
    assert [item.title for item in archive.items()] == ["重新归档"]
    assert archive.verify().ok


def test_catalog_reads_see_what_another_process_appended(ws, files, tmp_path):
    archive = Archive(ws)
    first = archive.add(files["txt"], date="2020-05-01").item
    assert [i.archive_no for i in archive.items()] == [first.archive_no]  # folded and kept
    other = _write(tmp_path / "另一进程.txt", "另一个进程归档的材料".encode())
    script = ("import sys\nfrom fupin_docs.archive import Archive\nfrom fupin_docs.workspace import open_workspace\n"
              "Archive(open_workspace(sys.argv[1])).add(sys.argv[2], date='2020-05-02')\n")
    subprocess.run([sys.executable, "-c", script, str(ws.root), str(other)], check=True)
    assert len(archive.items()) == 2  # the kept fold noticed the journal grew
    assert Archive(ws).withdraw(first.archive_no, "误归档").withdrawn
    assert [i.withdrawn for i in sorted(Archive(ws).items(include_withdrawn=True), key=lambda i: i.archive_no)] \
        == [True, False]


def test_items_handed_out_are_not_changed_by_later_writes(ws, files):
    archive = Archive(ws)
    item = archive.add(files["txt"], title="原题名", date="2020-05-01").item
    held = archive.get(item.archive_no)
    archive.change(item.archive_no, title="新题名", reason="题名有误")
    archive.withdraw(item.archive_no, "误归档")
    assert held.title == "原题名" and not held.withdrawn  # a reader's copy stays as it was read
    now = archive.get(item.archive_no)
    assert now.title == "新题名" and now.withdrawn


def test_an_edit_that_moves_the_date_to_another_year_is_refused_with_the_way_out(ws, files):
    archive = Archive(ws)
    item = archive.add(files["txt"], date="2020-03-15").item
    before = journal_records(ws)
    out = _cli(ws, "archive", "edit", item.archive_no, "--date", "2019-12-30", "--reason", "日期登记错误")
    assert out.exit_code == 1 and "按 2020 年度编号" in out.output and "2019 年度" in out.output
    assert "fupin archive withdraw" in out.output  # the CLI names the way out: withdraw, then file again
    assert journal_records(ws) == before
    # the way out works: withdrawn, filed again from the stored copy, numbered in its own year
    assert _cli(ws, "archive", "withdraw", item.archive_no, "--reason", "日期登记错误").exit_code == 0
    again = Archive(ws).add(Archive(ws).file_path(item), title=item.title, date="2019-12-30").item
    assert again.archive_no == "Z001-WS·2019-D30-ZFB-0001" and Archive(ws).verify().ok


def test_a_photo_is_dated_by_when_it_was_taken(ws, tmp_path):
    from PIL import Image
    photo = tmp_path / "现场.jpg"
    exif = Image.Exif()
    exif.get_ifd(0x8769)[0x9003] = "2020:06:05 10:31:00"  # DateTimeOriginal
    Image.new("RGB", (64, 48), "white").save(photo, exif=exif)
    result = _cli(ws, "archive", "add", str(photo), "--json")
    assert result.exit_code == 0, result.output
    [entry] = json.loads(result.stdout)
    assert entry["date"] == "2020-06-05" and entry["date_source"] == "拍摄日期"
    assert entry["archive_no"].startswith("Z001-WS·2020-")
    undated = tmp_path / "无日期.png"
    Image.new("RGB", (8, 8)).save(undated)
    refused = _cli(ws, "archive", "add", str(undated))
    assert refused.exit_code == 1 and "照片没有拍摄日期" in refused.stderr
