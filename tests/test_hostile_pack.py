"""Hostile evidence packs: forgeries, zip tricks and malformed pack metadata.

Each test builds a real pack from a real archive in a temporary workspace,
tampers with it the way an attacker would (unzip, change, recompute the
manifests with the `bagit` library, zip again; or write zip entries by hand),
and checks that `fupin pack verify` refuses it with exit 3 and a message.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import shutil
import stat
import zipfile
from pathlib import Path

import bagit
import pytest
from click.testing import CliRunner
from docx import Document
from pypdf import PdfWriter

from conftest import make_workspace
from fupin_docs.archive import Archive
from fupin_docs.archive.journal import record_hash
from fupin_docs.cli.main import cli
from fupin_docs.hashing import sm3_hex
from fupin_docs.pack import Selection, build_pack, verify_pack

UNIT = "三星镇人民政府"


def make_ws(root: Path, fonds: str = ""):
    root.mkdir(parents=True, exist_ok=True)
    archive = f'\n[archive]\nfonds = "{fonds}"\n' if fonds else ""
    (root / "fupin.toml").write_text(f'[office]\nname = "{UNIT}"\n{archive}', encoding="utf-8")
    return make_workspace(root)


@pytest.fixture
def town(tmp_path):
    """A workspace holding a .docx (with a PDF rendition) and a .txt; (ws, archive, {key: 档号})."""
    ws = make_ws(tmp_path / "ws")
    src = tmp_path / "src"
    src.mkdir()
    doc = Document()
    doc.add_paragraph("三星村危房改造推进会会议纪要")
    doc.save(src / "纪要.docx")
    blank = PdfWriter()
    blank.add_blank_page(width=595, height=842)
    blank.write(str(src / "纪要.pdf"))
    (src / "签到.txt").write_text("签到册：张三、李四", encoding="utf-8")
    archive = Archive(ws)
    nos = {
        "minutes": archive.add(src / "纪要.docx", kind="minutes", title="危房改造推进会会议纪要",
                               date="2020-06-05", renditions=[src / "纪要.pdf"]).item.archive_no,
        "sign": archive.add(src / "签到.txt", title="推进会签到册", date="2020-06-05").item.archive_no,
    }
    return ws, archive, nos


@pytest.fixture
def built(town, tmp_path):
    ws, archive, nos = town
    target = tmp_path / "pack.zip"
    build_pack(ws, Selection(ids=tuple(nos.values())), target, purpose="检查")
    return ws, archive, nos, target


def unzip(path: Path, dest: Path) -> Path:
    with zipfile.ZipFile(path) as zf:
        zf.extractall(dest)
    (top,) = [p for p in dest.iterdir() if p.is_dir()]
    return top


def rebag(bag_dir: Path, target: Path) -> Path:
    """Recompute every manifest of the (tampered) bag, the SM3 list (fupin-sm3.txt)
    included, and zip it, as a forger would."""
    sm3_list = bag_dir / "fupin-sm3.txt"
    if sm3_list.exists():
        sm3_list.write_text("".join(f"{sm3_hex(p.read_bytes())}  {p.relative_to(bag_dir).as_posix()}\n"
                                    for p in sorted((bag_dir / "data").rglob("*")) if p.is_file()),
                            encoding="utf-8")
    bagit.Bag(str(bag_dir)).save(manifests=True)
    target.unlink(missing_ok=True)
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        for p in sorted(bag_dir.rglob("*")):
            zf.write(p, p.relative_to(bag_dir.parent).as_posix())
    return target


def verify_cli(ws, path, *extra):
    args = (["--workspace", str(ws.root)] if ws is not None else []) + ["pack", "verify", str(path), *extra]
    return CliRunner().invoke(cli, args)


def outside(tmp_path, path, *extra):
    """`fupin pack verify` run from a folder that is no workspace (an inspector's laptop)."""
    away = tmp_path / "inspector"
    away.mkdir(exist_ok=True)
    with contextlib.chdir(away):
        return CliRunner().invoke(cli, ["pack", "verify", str(path), *extra], env={"FUPIN_WORKSPACE": None})


def no_traceback(res):
    assert res.exception is None or isinstance(res.exception, SystemExit), res.exception


def payload(bag_dir: Path, no: str, suffix: str) -> Path:
    (found,) = [p for p in (bag_dir / "data").iterdir() if no in p.name and p.suffix == suffix]
    return found


def pack_head(bag_dir: Path) -> dict:
    return json.loads((bag_dir / "fupin-pack.json").read_text(encoding="utf-8"))["archive_head"]


# --- 4. a forged pack: every check a forger can recompute ---------------------------


def test_pack_without_its_own_listing_is_incomplete(built, tmp_path):
    """Replace the .docx, delete fupin-pack.json, recompute the manifests."""
    ws, archive, nos, target = built
    bag_dir = unzip(target, tmp_path / "x")
    doc = Document()
    doc.add_paragraph("伪造的会议纪要")
    doc.save(payload(bag_dir, nos["minutes"], ".docx"))
    (bag_dir / "fupin-pack.json").unlink()
    forged = rebag(bag_dir, tmp_path / "forged.zip")
    bagit.Bag(str(bag_dir)).validate()  # as a bare bag it is valid

    report = verify_pack(forged)
    assert not report.ok
    assert any(p.kind == "structure" and "不完整" in p.detail for p in report.problems)
    for res in (outside(tmp_path, forged), verify_cli(ws, forged), verify_cli(ws, forged, "--no-archive")):
        no_traceback(res)
        assert res.exit_code == 3, res.output
        assert "不完整" in res.output and "完好" not in res.output
    # inside the workspace the archive is still consulted, file by file
    inside = verify_pack(forged, ws)
    assert inside.checked_against == "archive"
    assert any(p.kind == "archive" for p in inside.problems)


def test_inside_a_workspace_every_payload_file_is_checked_against_the_archive(built, tmp_path):
    """A file slipped in under a 档号 the archive never had, every listing recomputed."""
    ws, archive, nos, target = built
    bag_dir = unzip(target, tmp_path / "x")
    extra = bag_dir / "data" / "0003_Z999-WS·2020-Y-ZFB-0001_补充材料.txt"
    extra.write_text("后来补的材料", encoding="utf-8")
    listing = json.loads((bag_dir / "fupin-pack.json").read_text(encoding="utf-8"))
    listing["items"].append({"seq": 3, "archive_no": "Z999-WS·2020-Y-ZFB-0001", "title": "补充材料",
                             "status": "ok", "problem": "", "merged_pages": None,
                             "files": [{"path": f"data/{extra.name}", "role": "original",
                                        "sha256": hashlib.sha256(extra.read_bytes()).hexdigest(),
                                        "size": extra.stat().st_size, "archived_sha256": ""}]})
    (bag_dir / "fupin-pack.json").write_text(json.dumps(listing, ensure_ascii=False), encoding="utf-8")
    forged = rebag(bag_dir, tmp_path / "forged.zip")
    # internally consistent: outside a workspace it passes, and says how little that is
    alone = verify_pack(forged)
    assert alone.ok and alone.checked_against == "pack_only"
    res = outside(tmp_path, forged)
    assert res.exit_code == 0, res.output
    data = json.loads(outside(tmp_path, forged, "--json").output)
    assert data["checked_against"] == "pack_only" and data["archive_note"] == "当前不在工作目录中"
    head = pack_head(bag_dir)
    assert "仅核对了材料包内部的一致性" in res.output
    assert f"{head['seq']}:{head['hash'][:12]}" in res.output
    # inside the workspace the unknown 档号 is damage, not a footnote
    report = verify_pack(forged, ws)
    assert report.checked_against == "archive"
    problems = [(p.kind, p.path) for p in report.problems]
    assert problems[0] == ("archive", f"data/{extra.name}")
    # … and the 目录, made when the pack was built, never listed it
    assert set(problems[1:]) == {("checksum", "data/0000_目录.pdf")}
    assert report.archive_unknown == ["Z999-WS·2020-Y-ZFB-0001"]
    res = verify_cli(ws, forged)
    assert res.exit_code == 3 and "Z999-WS·2020-Y-ZFB-0001" in res.output


def test_a_payload_file_the_listing_does_not_claim_is_extra(built, tmp_path):
    """In the manifest but in no item of fupin-pack.json: nobody can say which 档号 it is."""
    ws, archive, nos, target = built
    bag_dir = unzip(target, tmp_path / "x")
    (bag_dir / "data" / "0003_补充.txt").write_text("来历不明", encoding="utf-8")
    forged = rebag(bag_dir, tmp_path / "forged.zip")
    report = verify_pack(forged)
    assert [(p.kind, p.path) for p in report.problems] == [("extra", "data/0003_补充.txt")]
    assert outside(tmp_path, forged).exit_code == 3


def test_a_file_passed_off_as_the_catalog_or_claimed_twice_is_refused(built, tmp_path):
    ws, archive, nos, target = built
    bag_dir = unzip(target, tmp_path / "x")
    listing = json.loads((bag_dir / "fupin-pack.json").read_text(encoding="utf-8"))
    docx = listing["items"][0]["files"][0]["path"]
    listing["catalog"] = docx  # the 目录 is never compared with the archive: hide the forgery there
    listing["items"][1]["files"].append(dict(listing["items"][0]["files"][0]))
    (bag_dir / "fupin-pack.json").write_text(json.dumps(listing, ensure_ascii=False), encoding="utf-8")
    forged = rebag(bag_dir, tmp_path / "forged.zip")
    report = verify_pack(forged)
    assert not report.ok and {p.kind for p in report.problems} == {"structure"}
    assert outside(tmp_path, forged).exit_code == 3


# --- the anchor: the chain head each pack was built at -------------------------------


def test_pack_carries_the_chain_head_it_was_built_at(town, tmp_path):
    import subprocess

    ws, archive, nos = town
    head = archive.head()
    target = tmp_path / "p.zip"
    build_pack(ws, Selection(ids=(nos["sign"],)), target)
    bag_dir = unzip(target, tmp_path / "x")
    assert pack_head(bag_dir) == {"seq": head.seq, "hash": head.hash} and head.seq == 2
    assert bagit.Bag(str(bag_dir)).info["Fupin-Archive-Head"] == f"{head.seq}:{head.hash}"
    catalog = subprocess.run(["pdftotext", "-raw", str(bag_dir / "data" / "0000_目录.pdf"), "-"],
                             capture_output=True, text=True, check=True).stdout
    assert f"{head.seq}:{head.hash[:12]}" in "".join(catalog.split())
    report = verify_pack(target, ws)
    assert report.ok and report.archive_head == f"{head.seq}:{head.hash}"
    data = json.loads(verify_cli(ws, target, "--json").output)
    assert data["archive_head"] == f"{head.seq}:{head.hash}" and data["checked_against"] == "archive"
    res = verify_cli(ws, target)
    assert res.exit_code == 0 and f"{head.seq}:{head.hash[:12]}" in res.output and "未被改写" in res.output


def rewrite_journal(ws, change) -> None:
    """Rewrite the archive's whole chain as someone with the files would: CHANGE each
    record, recompute every hash and link, and the head record."""
    path = ws.archive_dir / "journal.jsonl"
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    prev = "0" * 64
    out = []
    for record in records:
        record = change(record)
        record["prev"] = prev
        record["hash"] = record_hash(record)
        prev = record["hash"]
        out.append(json.dumps(record, ensure_ascii=False, sort_keys=True, separators=(",", ":")))
    path.chmod(0o644)
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    head = path.with_name(path.name + ".head")
    head.write_text(json.dumps({"seq": records[-1]["seq"], "hash": prev}), encoding="utf-8")


@pytest.mark.embedded
def test_verify_names_an_archive_rewritten_since_the_pack(built, tmp_path):
    ws, archive, nos, target = built

    def retitle(record):
        if record["action"] == "add" and record["detail"]["archive_no"] == nos["minutes"]:
            record["detail"]["title"] = "改过的题名"
        return record

    rewrite_journal(ws, retitle)
    assert Archive(ws).verify().ok  # the rewritten chain is consistent in itself
    report = verify_pack(target, ws)
    assert [p.kind for p in report.problems] == ["anchor"]
    assert "改写" in report.problems[0].detail
    res = verify_cli(ws, target)
    assert res.exit_code == 3 and "改写" in res.output and "--no-archive" in res.output
    assert verify_cli(ws, target, "--no-archive").exit_code == 0


def test_verify_names_an_archive_cut_short_or_another_archive(built, tmp_path):
    ws, archive, nos, target = built
    other = make_ws(tmp_path / "other")
    (tmp_path / "o.txt").write_text("别处的材料", encoding="utf-8")
    Archive(other).add(tmp_path / "o.txt", title="别处的材料", date="2020-01-01")
    report = verify_pack(target, other)
    kinds = [p.kind for p in report.problems]
    assert kinds[0] == "anchor" and "archive" in kinds
    assert "不是由本工作目录的档案生成" in report.problems[0].detail


def test_an_archive_that_cannot_be_opened_is_said_not_skipped(built, tmp_path):
    ws, archive, nos, target = built
    config = ws.root / "fupin.toml"
    config.write_text(config.read_text(encoding="utf-8") + '\n[archive]\nfonds = "!!"\n', encoding="utf-8")
    res = verify_cli(ws, target)
    no_traceback(res)
    assert res.exit_code == 3 and "完好" not in res.output
    assert "档案" in res.output and "未能与档案核对" in res.output


@pytest.mark.embedded
def test_an_archive_whose_chain_is_damaged_is_said(built, tmp_path):
    """A record edited in place (hash not recomputed): the pack cannot be vouched for."""
    ws, archive, nos, target = built
    journal = ws.archive_dir / "journal.jsonl"
    journal.chmod(0o644)
    journal.write_text(journal.read_text(encoding="utf-8").replace("推进会签到册", "推进会签到薄"), encoding="utf-8")
    report = verify_pack(target, ws)
    assert [p.kind for p in report.problems] == ["archive"] and "损坏" in report.problems[0].detail
    res = verify_cli(ws, target)
    assert res.exit_code == 3 and "archive verify" in res.output


def test_a_workspace_without_an_archive_says_it_checked_the_pack_only(built, tmp_path):
    ws, archive, nos, target = built
    empty = make_ws(tmp_path / "empty")
    report = verify_pack(target, empty)
    assert report.ok and report.checked_against == "pack_only" and report.archive_note
    res = verify_cli(empty, target)
    assert res.exit_code == 0 and "仅核对了材料包内部的一致性" in res.output


def test_an_old_pack_without_a_chain_head_is_incomplete(built, tmp_path):
    ws, archive, nos, target = built
    bag_dir = unzip(target, tmp_path / "x")
    listing = json.loads((bag_dir / "fupin-pack.json").read_text(encoding="utf-8"))
    del listing["archive_head"]
    (bag_dir / "fupin-pack.json").write_text(json.dumps(listing, ensure_ascii=False), encoding="utf-8")
    info = (bag_dir / "bag-info.txt").read_text(encoding="utf-8")
    (bag_dir / "bag-info.txt").write_text(
        "".join(line for line in info.splitlines(True) if not line.startswith("Fupin-Archive-Head")),
        encoding="utf-8")
    forged = rebag(bag_dir, tmp_path / "forged.zip")
    report = verify_pack(forged)
    assert not report.ok and any("链头" in p.detail for p in report.problems)
    assert outside(tmp_path, forged).exit_code == 3


def test_the_two_copies_of_the_chain_head_must_agree(built, tmp_path):
    ws, archive, nos, target = built
    bag_dir = unzip(target, tmp_path / "x")
    info = (bag_dir / "bag-info.txt").read_text(encoding="utf-8")
    (bag_dir / "bag-info.txt").write_text(info.replace("Fupin-Archive-Head: 2:", "Fupin-Archive-Head: 1:"),
                                          encoding="utf-8")
    forged = rebag(bag_dir, tmp_path / "forged.zip")
    report = verify_pack(forged)
    assert [(p.kind, p.path) for p in report.problems] == [("structure", "bag-info.txt")]


# --- 5. zip entries that unzip would turn into something else ------------------------


def add_entries(src: Path, dest: Path, entries) -> None:
    """Copy SRC to DEST, then append ENTRIES: (ZipInfo or name, bytes)."""
    shutil.copy(src, dest)
    with zipfile.ZipFile(dest, "a") as zf:
        for info, data in entries:
            zf.writestr(info, data)


def add_manifest_lines(bag_dir: Path, lines: list[str]) -> None:
    manifest = bag_dir / "manifest-sha256.txt"
    manifest.write_text(manifest.read_text(encoding="utf-8") + "".join(f"{l}\n" for l in lines), encoding="utf-8")


def retag(bag_dir: Path) -> None:
    """Recompute only the tag manifest (the forger keeps the hand-made manifest lines)."""
    tags = sorted(p for p in bag_dir.iterdir() if p.is_file() and not p.name.startswith("tagmanifest-"))
    (bag_dir / "tagmanifest-sha256.txt").write_text(
        "".join(f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {p.name}\n" for p in tags), encoding="utf-8")


def zip_dir(bag_dir: Path, target: Path, extra=()) -> Path:
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        for p in sorted(bag_dir.rglob("*")):
            zf.write(p, p.relative_to(bag_dir.parent).as_posix())
        for info, data in extra:
            zf.writestr(info, data)
    return target


def test_a_symlink_entry_listed_in_the_manifest_is_refused(built, tmp_path):
    ws, archive, nos, target = built
    bag_dir = unzip(target, tmp_path / "x")
    link = zipfile.ZipInfo(f"{bag_dir.name}/data/9999_link.pdf")
    link.create_system = 3
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    add_manifest_lines(bag_dir, [f"{hashlib.sha256(b'/etc/passwd').hexdigest()}  data/9999_link.pdf"])
    retag(bag_dir)
    forged = zip_dir(bag_dir, tmp_path / "link.zip", [(link, b"/etc/passwd")])
    report = verify_pack(forged)
    assert any(p.kind == "structure" and p.path == "data/9999_link.pdf" and "链接" in p.detail
               for p in report.problems)
    res = outside(tmp_path, forged)
    no_traceback(res)
    assert res.exit_code == 3 and "9999_link.pdf" in res.output


def test_duplicate_entry_names_are_refused(built, tmp_path):
    ws, archive, nos, target = built
    with zipfile.ZipFile(target) as zf:
        (name,) = [n for n in zf.namelist() if nos["sign"] in n]
        data = zf.read(name)
    twice = tmp_path / "twice.zip"
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate name
        add_entries(target, twice, [(name, b"second copy: unzip may keep either one")])
    report = verify_pack(twice)
    assert any(p.kind == "structure" and "同名" in p.detail for p in report.problems)
    assert outside(tmp_path, twice).exit_code == 3
    # the same name up to letter case overwrites its twin on Windows and macOS
    upper = tmp_path / "upper.zip"
    add_entries(target, upper, [(name.replace(".txt", ".TXT"), data)])
    report = verify_pack(upper)
    assert any(p.kind == "structure" and "大小写" in p.detail for p in report.problems)


@pytest.mark.parametrize("method", [zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA])
def test_entries_compressed_other_than_stored_or_deflated_are_refused(built, tmp_path, method):
    ws, archive, nos, target = built
    odd = tmp_path / "odd.zip"
    with zipfile.ZipFile(target) as zin, zipfile.ZipFile(odd, "w") as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, zin.read(info), compress_type=method)
    report = verify_pack(odd)
    assert not report.ok and {p.kind for p in report.problems} == {"structure"}
    entries = [p for p in report.problems if p.path]  # then one line: nothing further was read
    assert entries and all("压缩方式" in p.detail for p in entries)


# --- 6. manifest paths that alias one file ---------------------------------------------


def test_aliased_manifest_paths_are_refused_and_hashed_once(built, tmp_path):
    """`data/./x`, `data/././x` …: each used to re-hash the same file."""
    ws, archive, nos, target = built
    bag_dir = unzip(target, tmp_path / "x")
    big = bag_dir / "data" / "0003_大文件.txt"
    big.write_bytes(b"0" * (8 << 20))  # compresses about 1000:1
    rebag(bag_dir, tmp_path / "forged-base.zip")  # the big file in the manifest, once
    digest = hashlib.sha256(big.read_bytes()).hexdigest()
    add_manifest_lines(bag_dir, [f"{digest}  data/{big.name}", f"{digest}  data//{big.name}"]
                       + [f"{digest}  data/{'./' * n}{big.name}" for n in range(1, 201)])
    retag(bag_dir)
    forged = zip_dir(bag_dir, tmp_path / "aliases.zip")
    assert forged.stat().st_size < 1_000_000
    report = verify_pack(forged)
    alias = [p for p in report.problems if p.kind == "structure" and p.path.startswith("manifest")]
    assert alias and all("manifest-sha256.txt" == p.path for p in alias)
    assert any("重复" in p.detail for p in alias) and any("写法不规范" in p.detail for p in alias)
    assert "另有 182 行" in alias[-1].detail  # 20 lines shown, the rest counted
    # every member is read once, whatever the manifest says: the work is bounded by the zip
    with zipfile.ZipFile(forged) as zf:
        total = sum(i.file_size for i in zf.infolist())
    assert report.hashed_bytes <= total
    assert outside(tmp_path, forged).exit_code == 3


# --- 7. a hostile fupin-pack.json -------------------------------------------------------


@pytest.mark.parametrize("listing", [
    {"items": 5},
    {"items": ["Z001"]},
    {"items": [{"archive_no": {"a": 1}, "files": []}]},
    {"items": [{"archive_no": "Z001", "files": 3}]},
    {"items": [{"archive_no": "Z001", "files": [{"path": ["x"], "sha256": 1}]}]},
    [],
    "fupin",
    None,
    {"format": "fupin-pack/2", "archive_head": {"seq": "x", "hash": 5}, "items": []},
], ids=lambda v: json.dumps(v)[:40])
def test_a_hostile_pack_listing_is_exit_3_with_a_message(built, tmp_path, listing):
    ws, archive, nos, target = built
    bag_dir = unzip(target, tmp_path / "x")
    good = json.loads((bag_dir / "fupin-pack.json").read_text(encoding="utf-8"))
    if isinstance(listing, dict) and "format" not in listing:
        listing = {**good, **listing}
    (bag_dir / "fupin-pack.json").write_text(json.dumps(listing, ensure_ascii=False), encoding="utf-8")
    forged = rebag(bag_dir, tmp_path / "forged.zip")
    report = verify_pack(forged, ws)
    assert not report.ok
    assert any(p.path == "fupin-pack.json" and "材料清单" in p.detail for p in report.problems)
    for res in (verify_cli(ws, forged), outside(tmp_path, forged), verify_cli(ws, forged, "--json")):
        no_traceback(res)
        assert res.exit_code == 3, res.output
    assert "材料清单" in verify_cli(ws, forged).output


def test_a_deeply_nested_pack_listing_is_exit_3(built, tmp_path):
    ws, archive, nos, target = built
    bag_dir = unzip(target, tmp_path / "x")
    (bag_dir / "fupin-pack.json").write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    forged = rebag(bag_dir, tmp_path / "forged.zip")
    res = verify_cli(ws, forged)
    no_traceback(res)
    assert res.exit_code == 3 and "材料清单" in res.output


# --- 8. probe findings: what the pack must not let through ------------------------------


@pytest.mark.embedded
def test_a_pack_is_not_built_from_a_tampered_archive(town, tmp_path):
    """A record edited by hand, the chain hash not recomputed: no pack vouches for it."""
    from fupin_docs.errors import IntegrityError

    ws, archive, nos = town
    journal = ws.archive_dir / "journal.jsonl"
    journal.chmod(0o644)
    journal.write_text(journal.read_text(encoding="utf-8").replace("推进会签到册", "推进会签到薄"), encoding="utf-8")
    target = tmp_path / "p.zip"
    with pytest.raises(IntegrityError, match="档案审计日志已损坏.*请先核验档案"):
        build_pack(ws, Selection(ids=(nos["minutes"],)), target)
    assert not target.exists()
    res = CliRunner().invoke(cli, ["--workspace", str(ws.root), "pack", "--id", nos["minutes"], "-o", str(target)])
    no_traceback(res)
    assert res.exit_code == 3 and "档案审计日志已损坏" in res.output and not target.exists()


def test_a_file_that_is_no_zip_is_said_in_chinese(tmp_path):
    bogus = tmp_path / "材料包.zip"
    bogus.write_text("这不是压缩包", encoding="utf-8")
    report = verify_pack(bogus)
    assert [p.kind for p in report.problems] == ["structure"]
    detail = report.problems[0].detail
    assert "不是 zip 格式的材料包" in detail and "zip file" not in detail.lower()
    res = outside(tmp_path, bogus)
    no_traceback(res)
    assert res.exit_code == 3 and "不是 zip 格式的材料包" in res.output
    assert not any(word in res.output for word in ("File is not", "zip file", "Error"))


@pytest.fixture
def five(town, tmp_path):
    """The town's two items (records 1–2) and three more (records 3–5), all in one pack."""
    ws, archive, nos = town
    for n in range(3):
        source = tmp_path / "src" / f"台账{n}.txt"
        source.write_text(f"第 {n} 份台账", encoding="utf-8")
        nos[f"ledger{n}"] = archive.add(source, title=f"危房改造台账（第{n}册）", date="2020-06-08").item.archive_no
    target = tmp_path / "five.zip"
    build_pack(ws, Selection(ids=tuple(nos.values())), target)
    assert Archive(ws).head().seq == 5
    return ws, archive, nos, target


def test_a_chain_head_moved_back_is_refused(five, tmp_path):
    """archive_head set to record 1 (its real hash) in both places, tag manifest recomputed:
    the head still "holds", but items filed at records 2–5 cannot be in a pack made then."""
    ws, archive, nos, target = five
    first = Archive(ws).events()[0]
    assert first["seq"] == 1 and first["detail"]["archive_no"] == nos["minutes"]
    bag_dir = unzip(target, tmp_path / "x")
    listing = json.loads((bag_dir / "fupin-pack.json").read_text(encoding="utf-8"))
    listing["archive_head"] = {"seq": 1, "hash": first["hash"]}
    (bag_dir / "fupin-pack.json").write_text(json.dumps(listing, ensure_ascii=False), encoding="utf-8")
    info = bag_dir / "bag-info.txt"
    info.write_text("".join(f"Fupin-Archive-Head: 1:{first['hash']}\n" if line.startswith("Fupin-Archive-Head")
                            else line for line in info.read_text(encoding="utf-8").splitlines(True)),
                    encoding="utf-8")
    forged = rebag(bag_dir, tmp_path / "forged.zip")
    assert verify_pack(forged).ok  # consistent in itself
    report = verify_pack(forged, ws)
    late = [p for p in report.problems if p.kind == "anchor"]
    assert len(late) == 4 and len(report.problems) == 4
    assert all(p.path == "fupin-pack.json" and "改早" in p.detail for p in late)
    assert [no for no in nos.values() if any(no in p.detail for p in late)] == list(nos.values())[1:]
    res = verify_cli(ws, forged)
    no_traceback(res)
    assert res.exit_code == 3 and nos["sign"] in res.output and "完好" not in res.output


def test_an_edited_title_in_the_listing_is_refused(built, tmp_path):
    ws, archive, nos, target = built
    bag_dir = unzip(target, tmp_path / "x")
    listing = json.loads((bag_dir / "fupin-pack.json").read_text(encoding="utf-8"))
    listing["items"][1]["title"] = "推进会签到册（已补签）"
    (bag_dir / "fupin-pack.json").write_text(json.dumps(listing, ensure_ascii=False), encoding="utf-8")
    forged = rebag(bag_dir, tmp_path / "forged.zip")
    report = verify_pack(forged, ws)
    titled = [p for p in report.problems if p.path == "fupin-pack.json"]
    assert titled and "题名" in titled[0].detail and nos["sign"] in titled[0].detail
    res = verify_cli(ws, forged)
    assert res.exit_code == 3 and "fupin-pack.json" in res.output


def test_a_title_changed_after_the_pack_is_no_forgery(built, tmp_path):
    """The listing is compared with the item as it was at the pack's head, not as it is now."""
    ws, archive, nos, target = built
    Archive(ws).change(nos["sign"], title="推进会签到册（更正）", reason="题名有误")
    report = verify_pack(target, ws)
    assert report.ok, report.problems


def test_a_forged_catalog_is_refused(town, tmp_path):
    """The 目录 of a pack of both items put in a pack of one: it claims an item not packed."""
    ws, archive, nos = town
    one, both = tmp_path / "one.zip", tmp_path / "both.zip"
    build_pack(ws, Selection(ids=(nos["sign"],)), one)
    build_pack(ws, Selection(ids=(nos["minutes"], nos["sign"])), both)
    assert verify_pack(one, ws).ok
    bag_dir = unzip(one, tmp_path / "x")
    with zipfile.ZipFile(both) as zf:
        (name,) = [n for n in zf.namelist() if n.endswith("0000_目录.pdf")]
        (bag_dir / "data" / "0000_目录.pdf").write_bytes(zf.read(name))
    listing = json.loads((bag_dir / "fupin-pack.json").read_text(encoding="utf-8"))
    forged = rebag(bag_dir, tmp_path / "forged.zip")
    assert verify_pack(forged).ok  # the pack alone cannot tell
    report = verify_pack(forged, ws)
    assert report.problems and {p.path for p in report.problems} == {"data/0000_目录.pdf"}
    assert any(nos["minutes"] in p.detail for p in report.problems)
    res = verify_cli(ws, forged)
    assert res.exit_code == 3 and "0000_目录.pdf" in res.output
    # a 目录 rendered afresh with one title changed
    from fupin_docs.pack.catalog import CatalogFile, CatalogHeader, CatalogRow, render_catalog

    entry = listing["items"][0]
    item = Archive(ws).get(nos["sign"])
    rows = [CatalogRow(seq=1, archive_no=entry["archive_no"], title="推进会签到册（补）", date=str(item.date),
                       doc_number=item.doc_number or "", issuer=item.issuer or item.unit or "",
                       secrecy=item.secrecy or "", pages=item.pages,
                       files=[CatalogFile(f["path"][5:], f["sha256"], f["sm3"]) for f in entry["files"]])]
    header = CatalogHeader(title="佐证材料", unit=UNIT, date=listing["date"], item_count=1, file_count=1,
                           archive_head=f"{listing['archive_head']['seq']}:{listing['archive_head']['hash']}")
    (bag_dir / "data" / "0000_目录.pdf").write_bytes(render_catalog(header, rows))
    forged = rebag(bag_dir, tmp_path / "forged2.zip")
    report = verify_pack(forged, ws)
    assert [(p.path, "题名" in p.detail) for p in report.problems] == [("data/0000_目录.pdf", True)]
    # the same 目录 with the right title passes: the check is not fooled by re-rendering
    rows[0].title = entry["title"]
    (bag_dir / "data" / "0000_目录.pdf").write_bytes(render_catalog(header, rows))
    assert verify_pack(rebag(bag_dir, tmp_path / "again.zip"), ws).ok


def test_a_forged_merge_is_refused(town, tmp_path):
    ws, archive, nos = town
    src = tmp_path / "src"
    pages = PdfWriter()
    for _ in range(3):
        pages.add_blank_page(width=595, height=842)
    pages.write(str(src / "通知.pdf"))
    nos["notice"] = archive.add(src / "通知.pdf", title="危房改造工作通知", date="2020-06-01").item.archive_no
    target = tmp_path / "merged.zip"
    build_pack(ws, Selection(ids=tuple(nos.values())), target, merge=True)
    assert verify_pack(target, ws).ok
    bag_dir = unzip(target, tmp_path / "x")
    merged = bag_dir / "data" / "合并打印本.pdf"
    real = merged.read_bytes()
    # 1. a page slipped in
    from pypdf import PdfReader

    writer = PdfWriter(clone_from=PdfReader(merged))
    writer.add_blank_page(width=595, height=842)
    writer.write(str(merged))
    report = verify_pack(rebag(bag_dir, tmp_path / "f1.zip"), ws)
    assert [p.path for p in report.problems] == ["data/合并打印本.pdf"] and "页" in report.problems[0].detail
    # 2. the right number of pages, without their 档号 stamps
    unstamped = PdfWriter()
    for _ in range(4):
        unstamped.add_blank_page(width=595, height=842)
    unstamped.write(str(merged))
    report = verify_pack(rebag(bag_dir, tmp_path / "f2.zip"), ws)
    assert [p.path for p in report.problems] == ["data/合并打印本.pdf"] and "戳记" in report.problems[0].detail
    res = verify_cli(ws, tmp_path / "f2.zip")
    assert res.exit_code == 3 and "合并打印本.pdf" in res.output
    # 3. stamps of the right pages in the wrong order: the 通知 stamped as the 纪要
    reader = PdfReader(__import__("io").BytesIO(real))
    swapped = PdfWriter()
    for index in (1, 2, 3, 0):
        swapped.add_page(reader.pages[index])
    swapped.write(str(merged))
    report = verify_pack(rebag(bag_dir, tmp_path / "f3.zip"), ws)
    assert [p.path for p in report.problems] == ["data/合并打印本.pdf"]
    merged.write_bytes(real)
    assert verify_pack(rebag(bag_dir, tmp_path / "again.zip"), ws).ok
