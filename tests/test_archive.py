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


def journal_lines(ws) -> list[str]:
    return (ws.archive_dir / "journal.jsonl").read_text(encoding="utf-8").splitlines()


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
    first = archive.add(files["docx"])
    copy = tmp_path / "另一个名字.docx"
    copy.write_bytes(files["docx"].read_bytes())
    second = archive.add(copy, title="别的题名")
    assert first.created and not second.created
    assert second.item.archive_no == first.item.archive_no
    assert len(archive.items()) == 1
    assert len([p for p in (ws.archive_dir / "objects").rglob("*") if p.is_file()]) == 1


def test_bytes_are_kept_unchanged_and_read_only(ws, files):
    archive = Archive(ws)
    item = archive.add(files["pdf"], renditions=[files["docx"]]).item
    stored = archive.file_path(item)
    assert stored.read_bytes() == files["pdf"].read_bytes()
    assert stat.S_IMODE(stored.stat().st_mode) == 0o444
    assert stored.resolve().is_relative_to(ws.archive_dir.resolve())
    [rendition] = archive.rendition_paths(item)
    assert rendition.read_bytes() == files["docx"].read_bytes()
    assert item.renditions[0]["format"] == "docx"


def test_hostile_files_get_a_message_and_change_nothing(ws, files, tmp_path):
    archive = Archive(ws)
    archive.add(files["txt"])
    before = journal_lines(ws)
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
            archive.add(path)
        assert words in str(err.value)
    assert journal_lines(ws) == before
    assert len(archive.items()) == 1
    assert not any((ws.archive_dir / "tmp").iterdir())
    # names: only the last component is kept, whatever separator; paths with .. are fine
    odd = _write(tmp_path / "..\\..\\windows\\evil.txt", "名字里有反斜杠".encode())
    item = archive.add(odd).item
    assert item.file_name == "evil.txt"
    sub = tmp_path / "sub"
    sub.mkdir()
    via_dotdot = archive.add(sub / ".." / "记录.md" if (tmp_path / "记录.md").exists() else
                             _write(tmp_path / "记录2.md", "内容".encode())).item
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
    item = archive.add(files["txt"]).item
    with pytest.raises(ArchiveError):
        archive.withdraw(item.archive_no, "  ")
    archive.withdraw(item.archive_no, "误归档", who="李四")
    assert archive.items() == []
    [kept] = archive.items(include_withdrawn=True)
    assert kept.withdrawn and kept.withdraw_reason == "误归档"
    assert archive.file_path(kept).read_bytes() == files["txt"].read_bytes()
    last = json.loads(journal_lines(ws)[-1])
    assert last["action"] == "withdraw" and last["who"] == "李四"
    with pytest.raises(ArchiveError):
        archive.withdraw(item.archive_no, "再次")
    # re-adding the same bytes reports the withdrawn item instead of copying again
    assert archive.add(files["txt"]).created is False


def test_audit_log_is_hash_chained_and_other_stages_can_append(ws, files):
    archive = Archive(ws)
    archive.add(files["txt"])
    event = archive.log_event("ledger.close", {"problem": "P001", "archive_nos": ["x"]}, who="王五")
    assert event["seq"] == 2
    records = [json.loads(line) for line in journal_lines(ws)]
    assert records[1]["prev"] == records[0]["hash"]
    with pytest.raises(ArchiveError):
        archive.log_event("add", {})
    assert archive.verify().ok


def _damaged(ws) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--workspace", str(ws.root), "archive", "verify"])
    return result.exit_code, result.output


def test_verify_catches_a_flipped_byte(ws, files):
    archive = Archive(ws)
    item = archive.add(files["docx"]).item
    archive.add(files["txt"])
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
    item = archive.add(files["pdf"]).item
    archive.file_path(item).unlink()
    report = archive.verify()
    assert any("丢失" in p for p in report.problems)
    assert _damaged(ws)[0] == 3


def test_verify_catches_a_rewritten_or_truncated_audit_log(ws, files):
    archive = Archive(ws)
    archive.add(files["txt"], title="原题名")
    archive.add(files["md"])
    archive.add(files["png"])
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
    archive = Archive(ws)
    archive.add(files["txt"], index=True)
    assert archive.verify().ok
    archive.add(files["md"], index=False)  # as if the index update had failed
    report = archive.verify()
    assert any("可用性" in p and "index rebuild" in p for p in report.problems)
    assert _damaged(ws)[0] == 3
    assert CliRunner().invoke(cli, ["--workspace", str(ws.root), "index", "rebuild"]).exit_code == 0
    assert archive.verify().ok


def test_a_killed_add_leaves_no_half_item(ws, files):
    # The process dies right before the journal line is written (after the file was stored).
    script = (
        "import os, sys\n"
        "from fupin_docs.workspace.config import open_workspace\n"
        "from fupin_docs.archive import Archive, journal\n"
        "journal.Journal.append = lambda *a, **k: os._exit(9)\n"
        "Archive(open_workspace(sys.argv[1])).add(sys.argv[2])\n")
    run = subprocess.run([sys.executable, "-c", script, str(ws.root), str(files["docx"])])
    assert run.returncode == 9
    archive = Archive(ws)
    assert archive.items() == []
    assert archive.verify().ok
    # an append torn mid-line is ignored and cut off by the next add
    with open(ws.archive_dir / "journal.jsonl", "ab") as handle:
        handle.write(b'{"seq": 1, "action": "add", "detail": {"arch')
    item = archive.add(files["docx"]).item
    assert item.archive_no.endswith("-0001")
    assert archive.verify().ok and len(journal_lines(ws)) == 1


def test_two_processes_adding_at_once_get_distinct_numbers(ws, tmp_path):
    batches = []
    for proc in range(2):
        paths = []
        for n in range(4):
            paths.append(str(_write(tmp_path / f"p{proc}-{n}.txt", f"进程{proc}的第{n}份材料".encode())))
        batches.append(paths)
    env = dict(os.environ, FUPIN_WORKSPACE=str(ws.root))
    cmd = [sys.executable, "-m", "fupin_docs.cli.main", "archive", "add", "--date", "2020-05-01", "--json"]
    procs = [subprocess.Popen(cmd + batch, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for batch in batches]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [o[1].decode() for o in outputs]
    numbers = [entry["archive_no"] for out, _ in outputs for entry in json.loads(out)]
    assert len(numbers) == 8 and len(set(numbers)) == 8
    assert sorted(int(n[-4:]) for n in numbers) == list(range(1, 9))
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
    assert bad.exit_code == 1 and "YYYY-MM-DD" in bad.output
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
