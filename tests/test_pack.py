"""Evidence packs built from real archives in temporary workspaces.

Each test builds a real zip, unzips it, and reads it back: with the `bagit`
library, pdftotext, and `fupin pack verify` through the CLI.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import zipfile
from pathlib import Path

import bagit
import pytest
from click.testing import CliRunner
from docx import Document

from fupin_docs.archive import Archive
from fupin_docs.errors import IntegrityError, UserError
from fupin_docs.hashing import sm3_hex
from fupin_docs.cli.main import cli
from fupin_docs.pack import Selection, build_pack, verify_pack
from fupin_docs.pack.names import UniqueNames, bag_dir_name, clean_part, item_file_name
from conftest import BACKENDS, workspace_on

UNIT = "三星镇人民政府"
PNG_1PX = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cfc0f01f0005000201a5ad8b"
    "c20000000049454e44ae426082")


def pdf_bytes(*pages: str) -> bytes:
    from weasyprint import HTML

    body = "".join(f'<p style="break-before: page">{p}</p>' if i else f"<p>{p}</p>"
                   for i, p in enumerate(pages))
    return HTML(string=f'<html><body style="font-family: Noto Sans CJK SC">{body}</body></html>').write_pdf()


@pytest.fixture(scope="session")
def pdfs():
    return {"notice": pdf_bytes("关于危房改造回头看的通知", "第二页：工作要求"),
            "report": pdf_bytes("危房改造鉴定报告"),
            "rendition": pdf_bytes("会议纪要（PDF版）")}


def make_ws(root: Path, backend: str = "embedded", request=None):
    root.mkdir(parents=True, exist_ok=True)
    (root / "fupin.toml").write_text(f'[office]\nname = "{UNIT}"\n', encoding="utf-8")
    return workspace_on(backend, root, request)


@pytest.fixture(params=BACKENDS)
def town(tmp_path, pdfs, request):
    """A workspace whose archive holds a PDF notice, a docx with a PDF rendition,
    a photo, a txt, and a PDF report; returns (workspace, archive, {key: archive_no}).
    Every test that builds on it runs on the embedded store and the county database."""
    ws = make_ws(tmp_path / "ws", request.param, request)
    src = tmp_path / "src"
    src.mkdir()
    archive = Archive(ws)
    (src / "通知.pdf").write_bytes(pdfs["notice"])
    doc = Document()
    doc.add_paragraph("三星村危房改造推进会会议纪要")
    doc.save(src / "纪要.docx")
    (src / "纪要.pdf").write_bytes(pdfs["rendition"])
    (src / "现场.png").write_bytes(PNG_1PX)
    (src / "签到.txt").write_text("签到册：张三、李四", encoding="utf-8")
    (src / "鉴定.pdf").write_bytes(pdfs["report"])
    nos = {}
    nos["notice"] = archive.add(src / "通知.pdf", kind="notice", title="关于开展危房改造回头看的通知",
                                unit=UNIT, date="2020-06-01", doc_number="三政发〔2020〕12号",
                                issuer=UNIT).item.archive_no
    nos["minutes"] = archive.add(src / "纪要.docx", kind="minutes", title="危房改造推进会会议纪要",
                                 date="2020-06-05", renditions=[src / "纪要.pdf"]).item.archive_no
    nos["photo"] = archive.add(src / "现场.png", title="../../etc/passwd 现场/照片\\一", date="2020-06-06",
                               tags=["回头看"]).item.archive_no
    nos["sign"] = archive.add(src / "签到.txt", title="推进会签到册", date="2020-06-05").item.archive_no
    nos["report"] = archive.add(src / "鉴定.pdf", title="危房鉴定报告", date="2020-06-10", secrecy="秘密").item.archive_no
    return ws, archive, nos


def unzip(path: Path, dest: Path) -> Path:
    with zipfile.ZipFile(path) as zf:
        zf.extractall(dest)
    (top,) = [p for p in dest.iterdir() if p.is_dir()]
    return top


def pdftext(path: Path, *args: str) -> str:
    return subprocess.run(["pdftotext", "-raw", *args, str(path), "-"], capture_output=True,
                          text=True, check=True).stdout


def zip_bag(bag_dir: Path, target: Path) -> None:
    """Zip an unpacked (possibly tampered) bag the way a forger would."""
    with zipfile.ZipFile(target, "w") as zf:
        for p in sorted(bag_dir.rglob("*")):
            zf.write(p, p.relative_to(bag_dir.parent).as_posix())


def rewrite_zip(src: Path, dest: Path, change) -> None:
    """Copy zip SRC to DEST passing each (name, bytes) through CHANGE (None drops it)."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = change(info.filename, zin.read(info.filename))
            if data is not None:
                zout.writestr(info.filename, data)


def all_ids(nos):
    return Selection(ids=tuple(nos.values()))


# --- building --------------------------------------------------------------------


def test_pack_is_a_valid_bagit_1_0_bag(town, tmp_path):
    ws, archive, nos = town
    target = tmp_path / "out" / "危房改造佐证材料.zip"
    result = build_pack(ws, all_ids(nos), target, purpose="迎接县督查组检查", title="危房改造佐证材料")
    assert target.is_file() and len(result.items) == 5
    bag_dir = unzip(target, tmp_path / "x")
    assert bag_dir.name == "危房改造佐证材料"
    bag = bagit.Bag(str(bag_dir))
    bag.validate()  # raises on any missing, extra or altered file
    assert bag.version_info == (1, 0)
    assert (bag_dir / "bagit.txt").read_text(encoding="utf-8").startswith("BagIt-Version: 1.0\n")
    info = bag.info
    assert info["Source-Organization"] == UNIT
    assert info["External-Description"] == "迎接县督查组检查"
    assert nos["notice"] in info["Fupin-Selection"]
    payload = sorted((bag_dir / "data").iterdir())
    assert info["Payload-Oxum"] == f"{sum(p.stat().st_size for p in payload)}.{len(payload)}"
    # the tag manifest covers bagit.txt, bag-info.txt, the manifest and the pack's own JSON
    tagged = {line.split()[1] for line in (bag_dir / "tagmanifest-sha256.txt").read_text().splitlines()}
    assert {"bagit.txt", "bag-info.txt", "manifest-sha256.txt", "fupin-pack.json"} <= tagged

    # 目录 first in the zip's data/ order, then items in selection order
    with zipfile.ZipFile(target) as zf:
        data_names = [n.split("/data/", 1)[1] for n in zf.namelist() if "/data/" in n and not n.endswith("/")]
    assert data_names[0] == "0000_目录.pdf"
    assert data_names[1].startswith(f"0001_{nos['notice']}_关于开展危房改造回头看的通知")
    # the docx and its PDF rendition both travel, under the same item number
    minutes = [n for n in data_names if n.startswith("0002_")]
    assert sorted(Path(n).suffix for n in minutes) == [".docx", ".pdf"]
    # every packed original is byte-identical to the archived one
    for no in nos.values():
        item = archive.get(no)
        packed = [p for p in payload if no in p.name and p.suffix == Path(item.file_name).suffix.lower()]
        assert packed and bagit.hashlib.sha256(packed[0].read_bytes()).hexdigest() == item.sha256
    # a 秘密 item is packed, with a warning to the clerk
    assert any("秘密" in w for w in result.warnings)


def test_catalog_pdf_lists_every_item(town, tmp_path):
    ws, archive, nos = town
    target = tmp_path / "p.zip"
    build_pack(ws, all_ids(nos), target, purpose="迎接县督查组检查", title="危房改造佐证材料")
    bag_dir = unzip(target, tmp_path / "x")
    text = pdftext(bag_dir / "data" / "0000_目录.pdf")
    flat = "".join(text.split())
    for head in ("序号", "档号", "文号", "责任者", "题名", "日期", "密级", "页数", "备注", "包内文件名", "SHA-256"):
        assert head in flat
    assert "危房改造佐证材料" in flat and UNIT in flat and "迎接县督查组检查" in flat
    assert "三政发〔2020〕12号" in flat and "2020-06-01" in flat and "秘密" in flat
    manifest = (bag_dir / "manifest-sha256.txt").read_text(encoding="utf-8").splitlines()
    for line in manifest:
        digest, path = line.split(None, 1)
        if path.endswith("0000_目录.pdf"):
            continue
        assert digest[:12] in flat, path  # each file's hash prefix is printed
    for no in nos.values():
        assert no.replace(" ", "") in flat or no.split("·")[1] in flat


def test_names_are_safe_unique_and_stable(town, tmp_path):
    ws, archive, nos = town
    first = tmp_path / "a.zip"
    second = tmp_path / "b.zip"
    build_pack(ws, all_ids(nos), first)
    build_pack(ws, all_ids(nos), second)
    with zipfile.ZipFile(first) as a, zipfile.ZipFile(second) as b:
        names_a = [n.split("/", 1)[1] for n in a.namelist()]
        names_b = [n.split("/", 1)[1] for n in b.namelist()]
    assert names_a == names_b  # same selection, same names
    for name in names_a:
        assert not name.startswith("/") and "\\" not in name and ".." not in name.split("/")
        assert name.count("/") <= 1
    photo = [n for n in names_a if nos["photo"] in n][0]
    assert photo.startswith("data/0003_") and "现场" in photo and "照片" in photo
    assert len({n.casefold() for n in names_a}) == len(names_a)


def test_name_helpers():
    assert clean_part("../../etc/passwd") == "_._etc_passwd"
    assert clean_part("  a\tb\nc ") == "a b c"
    assert clean_part("100%完成") == "100_完成"
    name = item_file_name(7, "Z001-WS·2020-Y-ZFB-0001", "标" * 200, ".pdf")
    assert name.startswith("0007_Z001-WS·2020-Y-ZFB-0001_标") and name.endswith(".pdf")
    assert len(name.encode("utf-8")) <= 180
    names = UniqueNames(reserved=["0000_目录.pdf"])
    assert names.take("a.PDF") == "a.PDF"
    assert names.take("A.pdf") == "A_2.pdf"
    assert names.take("0000_目录.pdf") == "0000_目录_2.pdf"
    assert bag_dir_name("../危房.zip") == "_危房"
    assert bag_dir_name(".zip") == "佐证材料"


# --- bad input and failure ----------------------------------------------------------


def test_selection_matching_nothing_is_an_error_and_writes_nothing(town, tmp_path):
    ws, archive, nos = town
    target = tmp_path / "none.zip"
    with pytest.raises(UserError, match="没有找到符合条件的材料"):
        build_pack(ws, Selection(ids=(nos["notice"],), kind="照片"), target)
    with pytest.raises(UserError, match="档案中没有档号"):
        build_pack(ws, Selection(ids=("Z001-WS·2020-Y-ZFB-9999",)), target)
    assert not target.exists() and list(tmp_path.glob("*.part")) == []
    runner = CliRunner()
    res = runner.invoke(cli, ["--workspace", str(ws.root), "pack", "--id", nos["notice"],
                              "--from", "2021-01-01", "-o", str(target)])
    assert res.exit_code == 1 and "没有找到符合条件的材料" in res.output
    assert not target.exists()


def _break_object(archive, no, how):
    path = archive.file_path(archive.get(no))
    path.chmod(0o644)
    if how == "delete":
        path.unlink()
    else:
        data = bytearray(path.read_bytes())
        data[len(data) // 2] ^= 0xFF
        path.write_bytes(bytes(data))


@pytest.mark.parametrize("how", ["delete", "flip"])
def test_unreadable_item_stops_the_pack_unless_skip_missing(town, tmp_path, how):
    ws, archive, nos = town
    _break_object(archive, nos["sign"], how)
    target = tmp_path / "p.zip"
    with pytest.raises(IntegrityError) as err:
        build_pack(ws, all_ids(nos), target)
    assert nos["sign"] in str(err.value) and err.value.hint == "pack.skip_missing"  # the CLI names its flag
    assert sorted(p.name for p in tmp_path.iterdir()) == ["src", "ws"]  # no zip, no leftovers

    result = build_pack(ws, all_ids(nos), target, skip_missing=True)
    assert [i.archive_no for i in result.missing] == [nos["sign"]]
    bag_dir = unzip(target, tmp_path / "x")
    bagit.Bag(str(bag_dir)).validate()
    assert not [p for p in (bag_dir / "data").iterdir() if nos["sign"] in p.name]
    text = "".join(pdftext(bag_dir / "data" / "0000_目录.pdf").split())
    assert "缺失" in text and nos["sign"].split("·")[1] in text
    assert nos["sign"] in bagit.Bag(str(bag_dir)).info["Fupin-Missing"]
    pack = json.loads((bag_dir / "fupin-pack.json").read_text(encoding="utf-8"))
    assert [i["status"] for i in pack["items"] if i["archive_no"] == nos["sign"]] == \
        ["missing" if how == "delete" else "damaged"]


def test_cli_unreadable_item_exit_3_names_it(town, tmp_path):
    ws, archive, nos = town
    _break_object(archive, nos["photo"], "delete")
    target = tmp_path / "p.zip"
    args = ["--workspace", str(ws.root), "pack", *sum((["--id", n] for n in nos.values()), []), "-o", str(target)]
    res = CliRunner().invoke(cli, args)
    assert res.exit_code == 3 and nos["photo"] in res.output and not target.exists()
    assert "--skip-missing" in res.output  # the CLI's way to go on, added to the library's message
    res = CliRunner().invoke(cli, args + ["--skip-missing"])
    assert res.exit_code == 0, res.output
    assert "缺失" in res.output and target.exists()


# --- verify ------------------------------------------------------------------------


@pytest.fixture
def built(town, tmp_path):
    ws, archive, nos = town
    target = tmp_path / "pack.zip"
    build_pack(ws, all_ids(nos), target, purpose="检查")
    return ws, archive, nos, target


def verify_cli(ws, path, *extra):
    return CliRunner().invoke(cli, ["--workspace", str(ws.root), "pack", "verify", str(path), *extra])


def test_verify_good_pack(built):
    ws, archive, nos, target = built
    report = verify_pack(target, ws)
    assert report.ok and report.bagit_version == "1.0"
    assert report.items == 5 and report.archive_checked == 6  # 5 originals + 1 rendition
    assert report.checked_against == "archive" and verify_pack(target).checked_against == "pack_only"
    res = verify_cli(ws, target)
    assert res.exit_code == 0 and "完好" in res.output and "建包后未被改写" in res.output
    res = verify_cli(ws, target, "--json")
    data = json.loads(res.output)
    assert data["ok"] is True and data["bag_info"]["Source-Organization"] == UNIT
    assert data["checked_against"] == "archive" and data["archive_head"] == str(archive.head())


def test_verify_catches_one_flipped_byte(built, tmp_path):
    ws, archive, nos, target = built
    bad = tmp_path / "bad.zip"
    victim = {}

    def flip(name, data):
        if nos["minutes"] in name and name.endswith(".docx"):
            victim["name"] = name.split("/", 1)[1]
            data = bytearray(data)
            data[100] ^= 0x01
            return bytes(data)
        return data

    rewrite_zip(target, bad, flip)
    res = verify_cli(ws, bad)
    assert res.exit_code == 3
    assert victim["name"] in res.output and "内容被改动" in res.output
    report = verify_pack(bad)
    # both digests catch it: the SHA-256 manifest and the SM3 list (fupin-sm3.txt)
    assert [p.kind for p in report.problems] == ["checksum", "checksum"]
    assert ["SM3" in p.detail for p in report.problems] == [False, True]
    assert report.damaged_paths() == [victim["name"]]


def test_verify_catches_extra_and_missing_files(built, tmp_path):
    ws, archive, nos, target = built
    extra = tmp_path / "extra.zip"
    with zipfile.ZipFile(target) as zf:
        top = zf.namelist()[0].split("/")[0]
    rewrite_zip(target, extra, lambda n, d: d)
    with zipfile.ZipFile(extra, "a") as zf:
        zf.writestr(f"{top}/data/0006_补充材料.txt", "后加的")
        zf.writestr(f"{top}/说明.txt", "后加的说明")
    res = verify_cli(ws, extra)
    assert res.exit_code == 3
    assert "data/0006_补充材料.txt" in res.output and "说明.txt" in res.output
    kinds = {p.kind for p in verify_pack(extra).problems}
    assert {"extra", "oxum"} <= kinds

    missing = tmp_path / "missing.zip"
    rewrite_zip(target, missing, lambda n, d: None if nos["sign"] in n else d)
    report = verify_pack(missing)
    assert not report.ok and any(p.kind == "missing" and nos["sign"] in p.path for p in report.problems)


def test_verify_catches_edited_bag_info(built, tmp_path):
    ws, archive, nos, target = built
    bad = tmp_path / "info.zip"
    rewrite_zip(target, bad, lambda n, d: d.replace("检查".encode(), "改过".encode())
                if n.endswith("bag-info.txt") else d)
    report = verify_pack(bad)
    assert [(p.kind, p.path) for p in report.problems] == [("tag", "bag-info.txt")]


def test_verify_against_archive_catches_a_rebagged_forgery(built, tmp_path):
    """Someone swaps a file and rebuilds every manifest: the bag is valid again,
    but the archive still knows the real hash."""
    ws, archive, nos, target = built
    bag_dir = unzip(target, tmp_path / "x")
    victim = [p for p in (bag_dir / "data").iterdir() if nos["sign"] in p.name][0]
    victim.write_text("签到册：张三、李四、王五", encoding="utf-8")
    bagit.Bag(str(bag_dir)).save(manifests=True)
    forged = tmp_path / "forged.zip"
    zip_bag(bag_dir, forged)
    # as a bag it is fine, but the SM3 list and the item list (under the tag manifest) still
    # have the real digests (one finding per damaged file: the SM3 list's) …
    alone = verify_pack(forged)
    assert [(p.kind, p.path) for p in alone.problems] == [("checksum", f"data/{victim.name}")]
    assert "SM3" in alone.problems[0].detail
    assert verify_cli(ws, forged, "--no-archive").exit_code == 3
    # … and the archive knows it too, even when the item list is forged as well
    pack_json = bag_dir / "fupin-pack.json"
    listing = json.loads(pack_json.read_text(encoding="utf-8"))
    for entry in listing["items"]:
        for listed in entry["files"]:
            if listed["path"] == f"data/{victim.name}":
                listed["sha256"] = hashlib.sha256(victim.read_bytes()).hexdigest()
                listed["sm3"] = sm3_hex(victim.read_bytes())
    pack_json.write_text(json.dumps(listing, ensure_ascii=False), encoding="utf-8")
    sm3_list = bag_dir / "fupin-sm3.txt"
    sm3_list.write_text("".join((f"{sm3_hex(victim.read_bytes())}  data/{victim.name}\n"
                                 if line.endswith(f"data/{victim.name}") else line + "\n")
                                for line in sm3_list.read_text(encoding="utf-8").splitlines()), encoding="utf-8")
    bagit.Bag(str(bag_dir)).save(manifests=True)
    forged.unlink()
    zip_bag(bag_dir, forged)
    assert verify_pack(forged).ok
    report = verify_pack(forged, ws)
    assert [(p.kind, p.path) for p in report.problems] == [("archive", f"data/{victim.name}")]
    assert verify_cli(ws, forged).exit_code == 3


def test_verify_rejects_non_bags(tmp_path, built):
    ws, archive, nos, target = built
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"not a zip at all")
    res = verify_cli(ws, junk)
    assert res.exit_code == 3 and "zip" in res.output
    plain = tmp_path / "plain.zip"
    with zipfile.ZipFile(plain, "w") as zf:
        zf.writestr("a.txt", "x")
    assert verify_cli(ws, plain).exit_code == 3
    res = verify_cli(ws, tmp_path / "nope.zip")
    assert res.exit_code == 1 and "找不到" in res.output


# --- merge -------------------------------------------------------------------------


def test_merge_stamps_each_page_with_pack_page_and_archive_no(town, tmp_path):
    ws, archive, nos = town
    target = tmp_path / "m.zip"
    sel = Selection(ids=(nos["notice"], nos["sign"], nos["minutes"], nos["report"]))
    result = build_pack(ws, sel, target, merge=True)
    assert result.merged_pages == 4  # notice 2 + minutes rendition 1 + report 1; txt has no PDF
    bag_dir = unzip(target, tmp_path / "x")
    bagit.Bag(str(bag_dir)).validate()
    merged = bag_dir / "data" / "合并打印本.pdf"
    expected = [(1, nos["notice"], "危房改造回头看"), (2, nos["notice"], "工作要求"),
                (3, nos["minutes"], "会议纪要"), (4, nos["report"], "鉴定报告")]
    for page, no, words in expected:
        text = "".join(pdftext(merged, "-f", str(page), "-l", str(page)).split())
        assert no in text and f"第{page:03d}页" in text and words in text, (page, text)
    catalog = "".join(pdftext(bag_dir / "data" / "0000_目录.pdf").split())
    assert "合并打印本第1–2页" in catalog and "合并打印本第4页" in catalog


def test_build_reports_progress_stage_by_stage(town, tmp_path):
    ws, archive, nos = town
    reported = []
    sel = Selection(ids=(nos["notice"], nos["sign"], nos["minutes"], nos["report"]))
    result = build_pack(ws, sel, tmp_path / "p.zip", merge=True,
                        progress=lambda stage, done, total: reported.append((stage, done, total)))
    assert result.merged_pages == 4
    stages = list(dict.fromkeys(stage for stage, _d, _t in reported))
    assert stages == ["正在复制材料", "正在合并打印本", "正在生成目录", "正在写入材料包"]
    for stage in stages:
        steps = [(d, t) for s, d, t in reported if s == stage]
        total = steps[0][1]
        assert steps[0] == (0, total) and steps[-1] == (total, total), (stage, steps)
        assert all(t == total for _d, t in steps)
        assert [d for d, _t in steps] == sorted(d for d, _t in steps)  # never goes back
    # each stage is reported whole before the next begins, one step an item while copying
    assert [s for s, _d, _t in reported] == sorted((s for s, _d, _t in reported), key=stages.index)
    assert [(d, t) for s, d, t in reported if s == "正在复制材料"] == [(i, 4) for i in range(5)]
    assert [(d, t) for s, d, t in reported if s == "正在合并打印本"] == [(0, 3), (3, 3)]  # three PDFs


def test_build_without_merge_reports_no_merge_stage_and_cli_shows_bars(town, tmp_path):
    ws, archive, nos = town
    reported = []
    build_pack(ws, all_ids(nos), tmp_path / "p.zip", progress=lambda *a: reported.append(a))
    assert list(dict.fromkeys(s for s, _d, _t in reported)) == ["正在复制材料", "正在生成目录", "正在写入材料包"]
    assert reported[-1] == ("正在写入材料包", 1, 1)
    with pytest.raises(TypeError):
        build_pack(ws, all_ids(nos), tmp_path / "q.zip", progress="yes")
    res = CliRunner().invoke(cli, ["--workspace", str(ws.root), "pack", "--id", nos["notice"], "-o",
                                   str(tmp_path / "c.zip")])
    assert res.exit_code == 0, res.output
    assert "正在复制材料" in res.output and "正在写入材料包" in res.output  # the bars, on stderr
    as_json = CliRunner().invoke(cli, ["--workspace", str(ws.root), "pack", "--id", nos["notice"], "-o",
                                       str(tmp_path / "j.zip"), "--json"])
    assert as_json.exit_code == 0 and "正在复制材料" not in as_json.output
    assert json.loads(as_json.output)["items"] == 1


# --- ledger problem ----------------------------------------------------------------


def test_pack_by_ledger_problem(town, tmp_path):
    from fupin_docs.ledger import close_problem, edit_ledger
    from fupin_docs.ledger.model import LedgerProblem

    ws, archive, nos = town
    with edit_ledger(ws, "测试") as session:
        session.add(LedgerProblem(pid="WT-2020-0001", source="自查", description="三星村某户住房未鉴定"))
    close_problem(ws, "WT-2020-0001", [nos["report"], nos["photo"]])
    target = tmp_path / "problem.zip"
    res = CliRunner().invoke(cli, ["--workspace", str(ws.root), "pack", "--problem", "WT-2020-0001",
                                   "-o", str(target), "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["items"] == 2
    bag = bagit.Bag(str(unzip(target, tmp_path / "x")))
    assert "WT-2020-0001" in bag.info["Fupin-Selection"]
    res = CliRunner().invoke(cli, ["--workspace", str(ws.root), "pack", "--problem", "WT-2099-9999",
                                   "-o", str(tmp_path / "n.zip")])
    assert res.exit_code == 1 and "WT-2099-9999" in res.output


# --- selection by query (search index) ---------------------------------------------


def test_pack_by_query_with_filters(town, tmp_path):
    from fupin_docs.search import rebuild_index

    ws, archive, nos = town
    rebuild_index(ws)
    target = tmp_path / "q.zip"
    res = CliRunner().invoke(cli, ["--workspace", str(ws.root), "pack", "危房", "-o", str(target),
                                   "--purpose", "迎检", "--json"])
    assert res.exit_code == 0, res.output
    bag_dir = unzip(target, tmp_path / "x")
    pack = json.loads((bag_dir / "fupin-pack.json").read_text(encoding="utf-8"))
    found = [i["archive_no"] for i in pack["items"]]
    assert nos["notice"] in found and nos["report"] in found and nos["sign"] not in found
    assert pack["selection"]["query"] == "危房"
    assert "检索词：危房" in bagit.Bag(str(bag_dir)).info["Fupin-Selection"]
    # filters narrow the query: only the 通知 is dated 2020-06-01
    target2 = tmp_path / "q2.zip"
    res = CliRunner().invoke(cli, ["--workspace", str(ws.root), "pack", "build", "危房", "--to", "2020-06-02",
                                   "-o", str(target2), "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["items"] == 1
    res = CliRunner().invoke(cli, ["--workspace", str(ws.root), "pack", "扶贫小额信贷", "-o",
                                   str(tmp_path / "none.zip")])
    assert res.exit_code == 1 and "没有找到" in res.output and not (tmp_path / "none.zip").exists()



def test_pack_by_query_and_retention(town, tmp_path):
    """保管期限 narrows a pack as it narrows a search: the CLI, and the items picked by 档号."""
    from fupin_docs.pack.select import select_items

    from fupin_docs.filing import file_document

    ws, archive, nos = town
    forever = tmp_path / "永久.txt"
    forever.write_text("危房改造工作总结（永久保存）", encoding="utf-8")
    kept_forever = file_document(ws, forever, title="危房改造工作总结", date="2020-06-30", retention="Y").item
    before = select_items(ws, Selection(query="危房"), archive)
    assert {nos["notice"], nos["report"], kept_forever.archive_no} <= {i.archive_no for i in before}
    kept = [i for i in before if i.retention == "D30"]
    assert kept and len(kept) < len(before)
    assert [i.archive_no for i in select_items(ws, Selection(query="危房", retention="永久"), archive)] == \
        [kept_forever.archive_no]
    target = tmp_path / "r.zip"
    res = CliRunner().invoke(cli, ["--workspace", str(ws.root), "pack", "危房", "--retention", "定期30年",
                                   "-o", str(target), "--purpose", "迎检", "--json"])
    assert res.exit_code == 0, res.output
    pack = json.loads((unzip(target, tmp_path / "r") / "fupin-pack.json").read_text(encoding="utf-8"))
    assert sorted(i["archive_no"] for i in pack["items"]) == sorted(i.archive_no for i in kept)
    assert pack["selection"]["retention"] == "定期30年"
    res = CliRunner().invoke(cli, ["--workspace", str(ws.root), "pack", "--id", nos["notice"], "--retention", "Y",
                                   "-o", str(tmp_path / "y.zip")])
    assert res.exit_code == 1 and not (tmp_path / "y.zip").exists()  # the notice is kept 30 years, not 永久


def test_merge_handles_rotated_and_unreadable_pdfs(tmp_path, pdfs):
    from pypdf import PdfReader, PdfWriter

    from fupin_docs.pack.merge import MergePart, merge_pdfs

    plain = tmp_path / "a.pdf"
    plain.write_bytes(pdfs["report"])
    writer = PdfWriter(clone_from=PdfReader(str(plain)))
    writer.pages[0].rotate(90)
    rotated = tmp_path / "r.pdf"
    writer.write(str(rotated))
    broken = tmp_path / "b.pdf"
    broken.write_bytes(b"%PDF-1.7\nnot really a pdf")
    out = tmp_path / "m.pdf"
    ranges = merge_pdfs([MergePart("Z001-WS·2020-Y-ZFB-0001", "甲", rotated),
                         MergePart("Z001-WS·2020-Y-ZFB-0002", "乙", broken),
                         MergePart("Z001-WS·2020-Y-ZFB-0003", "丙", plain)], out)
    assert [(r.first, r.last) if r else None for r in ranges] == [(1, 1), None, (2, 2)]
    merged = PdfReader(str(out))
    assert len(merged.pages) == 2
    # the rotation now lives in the content, so the stamp reads upright on the shown page
    assert not merged.pages[0].get("/Rotate")
    first = "".join(pdftext(out, "-f", "1", "-l", "1").split())
    assert "Z001-WS·2020-Y-ZFB-0001" in first and "第001页" in first


def test_verify_catches_a_flipped_byte_in_the_zip_itself(built, tmp_path):
    """Damage to the stored (compressed) bytes, as a bad USB stick would do it."""
    ws, archive, nos, target = built
    with zipfile.ZipFile(target) as zf:
        info = [i for i in zf.infolist() if nos["notice"] in i.filename][0]
    raw = bytearray(target.read_bytes())
    raw[info.header_offset + 30 + len(info.filename.encode()) + 200] ^= 0x01  # inside its data
    bad = tmp_path / "raw.zip"
    bad.write_bytes(bytes(raw))
    res = verify_cli(ws, bad)
    assert res.exit_code == 3 and info.filename.split("/", 1)[1] in res.output


# --- packs re-zipped by other tools, CLI guards ---------------------------------------


class LegacyNameInfo(zipfile.ZipInfo):
    """A member written the way Info-ZIP `zip -r` or Windows “发送到压缩文件夹” write it:
    the name in the writer's own encoding and the UTF-8 flag (bit 11) clear."""

    encoding = "utf-8"

    def _encodeFilenameFlags(self):
        return self.filename.encode(self.encoding), self.flag_bits & ~0x800


def rezip_without_utf8_flag(src: Path, dest: Path, encoding: str, change=lambda name, data: data) -> None:
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dest, "w") as zout:
        for info in zin.infolist():
            legacy = LegacyNameInfo(info.filename, info.date_time)
            legacy.encoding = encoding
            legacy.compress_type = zipfile.ZIP_DEFLATED
            zout.writestr(legacy, change(info.filename, zin.read(info)))


def flip_minutes(nos, victim):
    def flip(name, data):
        if nos["minutes"] in name and name.endswith(".docx"):
            victim["name"] = name.split("/", 1)[1]
            data = bytearray(data)
            data[100] ^= 0x01
            return bytes(data)
        return data
    return flip


@pytest.mark.parametrize("encoding", ["utf-8", "gbk"])
def test_verify_reads_names_zipped_without_utf8_flag(built, tmp_path, encoding):
    ws, archive, nos, target = built
    plain = tmp_path / f"plain-{encoding}.zip"
    rezip_without_utf8_flag(target, plain, encoding)
    with zipfile.ZipFile(plain) as zf:  # zipfile alone reads these names as cp437 mojibake
        assert not any(i.flag_bits & 0x800 for i in zf.infolist())
        assert not any("目录" in n for n in zf.namelist())
    report = verify_pack(plain, ws)
    assert report.ok, [str(p) for p in report.problems]
    assert report.payload_files == verify_pack(target).payload_files and report.archive_checked == 6
    bad = tmp_path / f"bad-{encoding}.zip"
    victim = {}
    rezip_without_utf8_flag(target, bad, encoding, flip_minutes(nos, victim))
    report = verify_pack(bad, ws)
    assert [p.kind for p in report.problems] == ["checksum", "checksum", "archive"]  # SHA-256, SM3, archive
    assert report.damaged_paths() == [victim["name"]]
    res = verify_cli(ws, bad)
    assert res.exit_code == 3 and victim["name"] in res.output and "缺少文件" not in res.output


@pytest.mark.skipif(shutil.which("zip") is None, reason="Info-ZIP zip not installed (scripts/setup-system.sh)")
def test_verify_pack_rezipped_by_info_zip(built, tmp_path):
    ws, archive, nos, target = built
    bag_dir = unzip(target, tmp_path / "un")
    (victim,) = [p for p in (bag_dir / "data").iterdir() if nos["minutes"] in p.name and p.suffix == ".docx"]
    data = bytearray(victim.read_bytes())
    data[100] ^= 0x01
    victim.write_bytes(bytes(data))
    rezipped = tmp_path / "rezipped.zip"
    subprocess.run(["zip", "-qr", str(rezipped), bag_dir.name], cwd=bag_dir.parent, check=True)
    report = verify_pack(rezipped)
    assert [p.kind for p in report.problems] == ["checksum", "checksum"]  # SHA-256 and SM3
    assert report.damaged_paths() == [f"data/{victim.name}"]


def test_pack_cli_needs_output_and_force(town, tmp_path):
    ws, archive, nos = town
    runner = CliRunner()
    base = ["--workspace", str(ws.root), "pack"]
    res = runner.invoke(cli, base + ["危房"])
    assert res.exit_code == 2
    assert res.stderr.strip() == ("错误：缺少 -o/--output：请指定佐证材料包的文件名，"
                                  "例如 fupin pack 危房 -o 危房佐证.zip")
    assert "pack build" not in res.output
    res = runner.invoke(cli, base + ["--id", nos["notice"]])
    assert res.exit_code == 2 and "fupin pack 危房 -o 危房佐证.zip" in res.stderr and "pack build" not in res.output
    target = tmp_path / "材料.zip"
    first = runner.invoke(cli, base + ["--id", nos["notice"], "-o", str(target)])
    assert first.exit_code == 0, first.output
    before = target.read_bytes()
    again = runner.invoke(cli, base + ["--id", nos["report"], "-o", str(target)])
    assert again.exit_code == 1 and "已存在；如需覆盖请加 --force" in again.stderr
    assert target.read_bytes() == before
    forced = runner.invoke(cli, base + ["--id", nos["report"], "-o", str(target), "--force"])
    assert forced.exit_code == 0, forced.output
    assert target.read_bytes() != before and verify_pack(target).ok


def test_pack_dates_are_input_errors(town, tmp_path):
    ws, archive, nos = town
    base = ["--workspace", str(ws.root), "pack", "--id", nos["notice"], "-o", str(tmp_path / "d.zip")]
    for option in ("--from", "--to"):
        res = CliRunner().invoke(cli, base + [option, "2020-02-30"])
        assert res.exit_code == 1, res.output
        assert f"{option}：日期“2020-02-30”不存在（2020年2月没有30日），请核对" in res.stderr
        assert not (tmp_path / "d.zip").exists()
    res = CliRunner().invoke(cli, base + ["--from", "2020年6月1日", "--to", "2020年6月1日", "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["items"] == 1


def test_pack_help_keeps_json_keys_whole():
    runner = CliRunner()
    for args, keys in ((["pack", "verify", "--help"], ["payload_bytes", "archive_checked", "archive_unknown",
                                                       "archive_head", "checked_against", "archive_note"]),
                       (["pack", "build", "--help"], ["merged_pages", "archive_no", "warnings"])):
        for width in (60, 80, 100):
            res = runner.invoke(cli, args, terminal_width=width)
            assert res.exit_code == 0
            for key in keys:
                assert key in res.stdout, (args, width, key)


def test_id_may_be_typed_with_hyphens_or_as_the_bare_item_number(town, tmp_path):
    ws, archive, nos = town
    typed = nos["notice"].replace("·", "-").lower()
    tail = str(int(nos["notice"].rsplit("-", 1)[1]))
    for spelling in (typed, tail):
        target = tmp_path / f"{spelling}.zip"
        result = build_pack(ws, Selection(ids=(spelling,)), target)
        assert [item.archive_no for item in result.items] == [nos["notice"]]


def test_verify_misses_no_file_removed_with_its_manifest_line(built, tmp_path):
    """A file deleted and every manifest rebuilt: the item list still names it."""
    ws, archive, nos, target = built
    bag_dir = unzip(target, tmp_path / "x")
    victim = [p for p in (bag_dir / "data").iterdir() if nos["sign"] in p.name][0]
    victim.unlink()
    bagit.Bag(str(bag_dir)).save(manifests=True)
    shrunk = tmp_path / "shrunk.zip"
    zip_bag(bag_dir, shrunk)
    report = verify_pack(shrunk)
    assert [(p.kind, p.path) for p in report.problems] == [("missing", f"data/{victim.name}")]
    assert verify_cli(ws, shrunk, "--no-archive").exit_code == 3


def test_pack_by_query_takes_only_documents_with_the_query_as_typed(tmp_path):
    """A 4-character bare query: the pack takes the documents that contain it as typed
    (either script) and not the one with only its words apart, which --loose adds;
    the 目录 names the rule that built it."""
    from fupin_docs.search import search

    ws = make_ws(tmp_path / "ws")
    src = tmp_path / "src"
    src.mkdir()
    archive = Archive(ws)
    texts = {
        "typed": ("三星村饮水安全排查情况", "对全村饮水安全情况逐户排查，发现2户水质不达标。"),
        "traditional": ("龍潭村飲水安全整改報告", "龍潭村對飲水安全問題逐項整改，已全部銷號。"),
        "apart": ("2023年乡村振兴重点工作", "巩固农村饮水工程建设成果。另，抓好粮食生产，确保国家粮食安全。"),
    }
    nos = {}
    for n, (key, (title, body)) in enumerate(texts.items(), 1):
        (src / f"{key}.txt").write_text(title + "\n" + body, encoding="utf-8")
        nos[key] = archive.add(src / f"{key}.txt", title=title, date=f"2020-06-0{n}").item.archive_no
    # the search lists the words-apart document too, after both as-typed ones
    hits = search(ws, "饮水安全")
    assert [h.archive_no for h in hits][-1] == nos["apart"] and len(hits) == 3
    assert [h.match for h in hits] == ["as_typed", "as_typed", "words"]

    strict = build_pack(ws, Selection(query="饮水安全"), tmp_path / "strict.zip")
    assert {item.archive_no for item in strict.items} == {nos["typed"], nos["traditional"]}
    catalog = pdftext(unzip(tmp_path / "strict.zip", tmp_path / "s") / "data" / strict.catalog_name)
    assert "原样匹配" in catalog and "宽松匹配" not in catalog

    loose = build_pack(ws, Selection(query="饮水安全", loose=True), tmp_path / "loose.zip")
    assert {item.archive_no for item in loose.items} == set(nos.values())  # the looser rule adds "apart"
    catalog = pdftext(unzip(tmp_path / "loose.zip", tmp_path / "l") / "data" / loose.catalog_name)
    assert "宽松匹配" in catalog and "原样匹配" not in catalog

    base = ["--workspace", str(ws.root), "pack", "飲水安全", "--json"]
    res = CliRunner().invoke(cli, base + ["-o", str(tmp_path / "c1.zip")])
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["items"] == 2
    res = CliRunner().invoke(cli, base + ["--loose", "-o", str(tmp_path / "c2.zip")])
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["items"] == 3
    manifest = json.loads((unzip(tmp_path / "c2.zip", tmp_path / "c2") / "fupin-pack.json").read_text("utf-8"))
    assert manifest["selection"]["match"] == "words"
    # nothing as typed: no pack, and the message says the looser rule exists
    with pytest.raises(UserError, match="宽松匹配"):
        build_pack(ws, Selection(query="饮水粮食"), tmp_path / "none.zip")
    assert not (tmp_path / "none.zip").exists()
