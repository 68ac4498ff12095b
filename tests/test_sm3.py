"""SM3 (GB/T 32905-2016) beside SHA-256: the digest itself (OpenSSL's and our
pure-Python one, against the standard's own example vectors), filing that takes
both digests in one read, the 'digest' records that give older items their SM3,
archive verify over both digests, and packs' fupin-sm3.txt."""

from __future__ import annotations

import hashlib
import json
import os
import random
import subprocess
import sys
import threading
import zipfile
from pathlib import Path

import bagit
import pytest
from click.testing import CliRunner

from fupin_docs.archive import Archive, ArchiveError
from fupin_docs.archive.digest import record_sm3
from fupin_docs.archive.numbering import format_archive_no
from fupin_docs.cli.main import cli
from fupin_docs.errors import IntegrityError
from fupin_docs.hashing import PureSM3, TooLarge, copy_and_hash, file_digests, new_sm3, sm3_backend
from fupin_docs.pack import Selection, build_pack, verify_pack
from fupin_docs.pack.catalog import CatalogFile, CatalogHeader, CatalogRow, catalog_html

# GB/T 32905-2016, Appendix A: example 1 ("abc", 24 bits) and example 2
# ("abcd" sixteen times, 512 bits), with the hash values the standard prints.
VECTORS = [
    (b"abc", "66c7f0f4 62eeedd9 d1f2d46b dc10e4e2 4167c487 5cf2f7a2 297da02b 8f4ba8e0"),
    (b"abcd" * 16, "debe9ff9 2275b8a1 38604889 c18e5a4d 6fdb70e5 387e5765 293dcba3 9c0c5732"),
]
VECTORS = [(message, words.replace(" ", "")) for message, words in VECTORS]
SRC = Path(__file__).resolve().parents[1] / "src"


def openssl_has_sm3() -> bool:
    try:
        hashlib.new("sm3")
        return True
    except ValueError:
        return False


# --- the digest ------------------------------------------------------------------------


@pytest.mark.parametrize("message,expected", VECTORS)
def test_pure_python_sm3_gives_the_standards_example_values(message, expected):
    assert PureSM3(message).hexdigest() == expected
    pieces = PureSM3()
    for byte in message:  # fed a byte at a time: the buffering across blocks
        pieces.update(bytes([byte]))
    assert pieces.hexdigest() == expected
    assert len(PureSM3(message).digest()) == 32


@pytest.mark.parametrize("message,expected", VECTORS)
def test_the_sm3_in_use_gives_the_standards_example_values(message, expected):
    """new_sm3 is OpenSSL's exactly when OpenSSL has SM3 (this machine's OpenSSL 3 does)."""
    assert new_sm3(message).hexdigest() == expected
    assert sm3_backend() == ("openssl" if openssl_has_sm3() else "python")
    if openssl_has_sm3():
        assert hashlib.new("sm3", message).hexdigest() == expected


def test_pure_and_openssl_sm3_agree_on_random_inputs_of_every_boundary_length():
    rng = random.Random(32905)
    # around the padding's edges (55/56: the length still fits the last block or not),
    # one block (64) either side, and 1 MB
    for length in (0, 1, 55, 56, 63, 64, 65, 119, 120, 127, 128, 129, 1 << 20):
        data = rng.randbytes(length)
        pure = PureSM3(data).hexdigest()
        split = PureSM3()
        cut = rng.randrange(length + 1)
        split.update(data[:cut])
        split.update(data[cut:])
        assert split.hexdigest() == pure, length
        if openssl_has_sm3():
            assert hashlib.new("sm3", data).hexdigest() == pure, length
        copy = split.copy()
        copy.update(b"x")
        assert split.hexdigest() == pure and copy.hexdigest() != pure


def test_without_openssls_sm3_the_pure_python_one_is_used_by_itself(tmp_path):
    """A Python without OpenSSL's hashlib (its _hashlib module absent): SM3 still works,
    files get the same digests."""
    sample = tmp_path / "sample.bin"
    sample.write_bytes(random.Random(1).randbytes(200_000))
    script = ("import sys; sys.modules['_hashlib'] = None\n"
              "import hashlib, json\n"
              "try:\n    hashlib.new('sm3'); has = True\nexcept ValueError:\n    has = False\n"
              "from fupin_docs import hashing\n"
              f"d = hashing.file_digests({str(sample)!r})\n"
              "print(json.dumps([has, hashing.sm3_backend(), hashing.sm3_hex(b'abc'), d.sha256, d.sm3, d.size]))\n")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": str(SRC)})
    has, backend, abc, sha, sm3, size = json.loads(out.stdout)
    assert (has, backend) == (False, "python")
    assert abc == VECTORS[0][1]
    assert (sha, sm3, size) == tuple(file_digests(sample))


def test_copy_and_hash_reads_the_source_once_for_both_digests(tmp_path):
    """The source is a pipe: its bytes can be read only once, so both digests (and the
    copy) come from that one read."""
    data = random.Random(7).randbytes(3 * (1 << 20) + 12345)
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)

    def feed():
        with open(fifo, "wb") as handle:
            handle.write(data)

    writer = threading.Thread(target=feed)
    writer.start()
    out = tmp_path / "copy"
    with open(out, "wb") as handle:
        digests = copy_and_hash(fifo, handle)
    writer.join()
    assert out.read_bytes() == data
    assert digests.size == len(data)
    assert digests.sha256 == hashlib.sha256(data).hexdigest()
    assert digests.sm3 == PureSM3(data).hexdigest()
    small = tmp_path / "small"
    small.write_bytes(b"x" * 100)
    with open(tmp_path / "copy2", "wb") as handle, pytest.raises(TooLarge):
        copy_and_hash(small, handle, limit=99)


# --- the archive -----------------------------------------------------------------------


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def sm3_of(path: Path) -> str:
    return PureSM3(Path(path).read_bytes()).hexdigest()


def file_as_before_sm3(archive: Archive, path: Path, date: str, renditions=()) -> str:
    """File PATH the way the archive did before it kept SM3: its bytes stored and an
    'add' record with SHA-256 only (what the older program appended)."""
    tmp, digests = archive._copy_in(path)
    archive._store_object(tmp, digests.sha256, path.name)
    rendition_records = []
    for rendition in renditions:
        rtmp, rdigests = archive._copy_in(rendition)
        archive._store_object(rtmp, rdigests.sha256, rendition.name)
        rendition_records.append({"file_name": rendition.name, "sha256": rdigests.sha256, "format": "txt",
                                  "size": rdigests.size, "pages": None})
    with archive.catalog.writing() as writer:
        year = int(date[:4])
        used = [int(no[-4:]) for no in writer.items if f"·{year}-" in no]
        no = format_archive_no(archive.fonds, archive.category, year, archive.default_retention, archive.org_code,
                               (max(used) + 1) if used else 1)
        writer.append("add", {
            "archive_no": no, "title": path.stem, "kind": "other", "unit": None, "date": date,
            "doc_number": None, "issuer": None, "secrecy": None, "retention": archive.default_retention,
            "pages": None, "format": "txt", "file_name": path.name, "size": digests.size,
            "sha256": digests.sha256, "tags": [], "added_at": "2020-06-01T10:00:00+08:00", "how": "手工添加",
            "renditions": rendition_records, "added_by": "老版本"}, "老版本")
    return no


def run(ws, *args):
    return CliRunner().invoke(cli, ["--workspace", str(ws.root), *args])


def test_filing_records_sm3_beside_sha256_for_the_file_and_its_renditions(any_workspace, tmp_path):
    ws = any_workspace
    doc = write(tmp_path / "纪要.txt", "三星村脱贫攻坚推进会会议纪要\n2020年3月15日\n")
    pdf_like = write(tmp_path / "纪要副本.txt", "同一纪要的另一格式\n")
    archive = Archive(ws)
    item = archive.add(doc, date="2020-03-15", renditions=[pdf_like]).item
    assert item.sm3 == sm3_of(doc) and item.sha256 == hashlib.sha256(doc.read_bytes()).hexdigest()
    assert [r["sm3"] for r in item.renditions] == [sm3_of(pdf_like)]
    (add,) = [e for e in Archive(ws).events() if e["action"] == "add"]
    assert add["detail"]["sm3"] == sm3_of(doc)  # in the hash-chained record itself
    assert add["detail"]["renditions"][0]["sm3"] == sm3_of(pdf_like)
    again = Archive(ws).get(item.archive_no)
    assert again.sm3 == sm3_of(doc)
    shown = json.loads(run(ws, "archive", "show", item.archive_no, "--json").output)
    assert shown["sm3"] == sm3_of(doc) and shown["renditions"][0]["sm3"] == sm3_of(pdf_like)
    text = run(ws, "archive", "show", item.archive_no).output
    assert f"SM3 摘要：{sm3_of(doc)}" in text
    report = Archive(ws).verify()
    assert report.ok and report.files_checked == 2 and report.sm3_checked == 2 and not report.warnings
    assert run(ws, "index", "rebuild").exit_code == 0  # filed through the archive alone: index it
    out = run(ws, "archive", "verify")
    assert out.exit_code == 0 and "校验值和 SM3 摘要全部一致" in out.output


def test_an_older_archive_gains_sm3_by_one_digest_record_per_item_never_by_rewriting(any_workspace, tmp_path):
    ws = any_workspace
    archive = Archive(ws)
    a = file_as_before_sm3(archive, write(tmp_path / "方案.txt", "实施方案\n"), "2020-03-01",
                           renditions=[write(tmp_path / "方案副本.txt", "实施方案副本\n")])
    b = file_as_before_sm3(archive, write(tmp_path / "通知.txt", "督查通知\n"), "2020-03-02")
    c = archive.add(write(tmp_path / "新.txt", "新归档的文件\n"), date="2020-03-03").item.archive_no
    Archive(ws).withdraw(b, "重复归档")  # withdrawn items keep their files: they get SM3 too
    assert Archive(ws).get(a).sm3 is None

    before = Archive(ws).verify()
    assert before.ok
    assert [m for m in before.warnings if "SM3" in m] and "2 件" in before.warnings[-1]
    assert before.hints == ["archive.digest"]
    assert run(ws, "index", "rebuild").exit_code == 0  # filed through the archive alone: index it
    shown = run(ws, "archive", "verify")
    assert shown.exit_code == 0 and "fupin archive digest" in shown.output
    assert "未记录" in run(ws, "archive", "show", a).output

    history = Archive(ws).events()
    out = run(ws, "archive", "digest")
    assert out.exit_code == 0, out.output
    assert "已为 2 件补记 SM3 摘要" in out.output and "1 件原已有" in out.output
    events = Archive(ws).events()
    assert events[:len(history)] == history  # every earlier record exactly as it was
    digests = events[len(history):]
    assert [(e["action"], e["detail"]["archive_no"]) for e in digests] == [("digest", a), ("digest", b)]
    assert digests[0]["detail"]["sm3"] == sm3_of(tmp_path / "方案.txt")
    assert digests[0]["detail"]["renditions"][0]["sm3"] == sm3_of(tmp_path / "方案副本.txt")
    items = {item.archive_no: item for item in Archive(ws).items(include_withdrawn=True)}
    assert items[a].sm3 == sm3_of(tmp_path / "方案.txt") and items[b].sm3 == sm3_of(tmp_path / "通知.txt")
    assert items[a].renditions[0]["sm3"] == sm3_of(tmp_path / "方案副本.txt")
    assert items[c].sm3 == sm3_of(tmp_path / "新.txt")

    again = run(ws, "archive", "digest", "--json")
    assert json.loads(again.output) == {"recorded": [], "recorded_count": 0, "complete": 3, "damaged": []}
    assert run(ws, "archive", "digest").output.strip() == "无需补记：3 件都已有 SM3 摘要"
    assert len(Archive(ws).events()) == len(events)  # run twice: nothing added

    after = Archive(ws).verify()
    assert after.ok and not after.warnings and after.sm3_checked == after.files_checked == 4
    assert "补记 SM3 摘要" in run(ws, "archive", "show", a).output  # in the item's history


def test_digest_refuses_an_unknown_archive_number_and_the_reserved_action(any_workspace, tmp_path):
    ws = any_workspace
    archive = Archive(ws)
    file_as_before_sm3(archive, write(tmp_path / "a.txt", "甲\n"), "2020-03-01")
    with pytest.raises(ArchiveError, match="没有档号"):
        record_sm3(archive, ["Z001-WS·2020-D30-ZFB-0099"])
    with pytest.raises(ArchiveError, match="保留"):
        archive.log_event("digest", {"archive_no": "Z001-WS·2020-D30-ZFB-0001", "sm3": "0" * 64})
    out = run(ws, "archive", "digest", "0099")
    assert out.exit_code == 1 and "没有档号" in out.output
    assert [e["action"] for e in Archive(ws).events()] == ["add"]


def test_digest_does_not_vouch_for_a_damaged_file(any_workspace, tmp_path):
    ws = any_workspace
    archive = Archive(ws)
    no = file_as_before_sm3(archive, write(tmp_path / "a.txt", "原件内容\n"), "2020-03-01")
    ok = file_as_before_sm3(archive, write(tmp_path / "b.txt", "另一件\n"), "2020-03-02")
    flip(archive.file_path(archive.get(no)))
    out = run(ws, "archive", "digest")
    assert out.exit_code == 3 and no in out.output and "校验值不符" in out.output
    assert Archive(ws).get(no).sm3 is None and Archive(ws).get(ok).sm3 == sm3_of(tmp_path / "b.txt")


def flip(path: Path) -> None:
    os.chmod(path, 0o644)
    data = bytearray(path.read_bytes())
    data[0] ^= 0x01
    path.write_bytes(bytes(data))
    os.chmod(path, 0o444)


def test_verify_names_the_item_whose_stored_file_was_flipped(any_workspace, tmp_path):
    ws = any_workspace
    archive = Archive(ws)
    item = archive.add(write(tmp_path / "签到册.txt", "签到册：张三、李四\n"), date="2020-03-15").item
    archive.add(write(tmp_path / "照片说明.txt", "照片说明\n"), date="2020-03-16")
    flip(archive.file_path(item))
    report = Archive(ws).verify()
    assert not report.ok
    assert [p for p in report.problems if item.archive_no in p and "改动" in p]
    assert all(item.archive_no in p for p in report.problems)


def test_verify_names_a_forged_digest_record(any_workspace, tmp_path):
    """A 'digest' record appended through the catalog's own writer (the library's log
    path) with a wrong SM3: the file's SHA-256 still matches, the SM3 does not."""
    ws = any_workspace
    archive = Archive(ws)
    no = file_as_before_sm3(archive, write(tmp_path / "a.txt", "原件\n"), "2020-03-01")
    wrong = PureSM3(b"something else").hexdigest()
    with archive.catalog.writing() as writer:
        forged = writer.append("digest", {"archive_no": no, "sm3": wrong, "renditions": []}, "某人")
    assert Archive(ws).get(no).sm3 == wrong  # the fold takes it …
    report = Archive(ws).verify()  # … verify does not
    assert not report.ok
    (problem,) = report.problems
    assert no in problem and f"第 {forged['seq']} 条" in problem and "SM3" in problem
    out = run(ws, "archive", "verify")
    assert out.exit_code == 3 and no in out.output


def test_verify_flags_a_digest_record_for_an_unknown_archive_number(any_workspace, tmp_path):
    ws = any_workspace
    archive = Archive(ws)
    archive.add(write(tmp_path / "a.txt", "原件\n"), date="2020-03-01")
    with archive.catalog.writing() as writer:
        forged = writer.append("digest", {"archive_no": "Z001-WS·2020-D30-ZFB-0042",
                                          "sm3": sm3_of(tmp_path / "a.txt"), "renditions": []}, "某人")
    report = Archive(ws).verify()
    assert [p for p in report.problems if "ZFB-0042" in p and f"第 {forged['seq']} 条" in p]


def test_verify_names_an_add_record_whose_sm3_disagrees_with_the_file(any_workspace, tmp_path):
    """SHA-256 right, SM3 wrong in the filing record itself (the record appended as the
    add would, but with another SM3): damage, named by 档号."""
    ws = any_workspace
    archive = Archive(ws)
    path = write(tmp_path / "a.txt", "原件\n")
    no = file_as_before_sm3(archive, path, "2020-03-01")
    good = Archive(ws).events()[-1]["detail"]
    other = dict(good, archive_no=no.replace("0001", "0002"), sm3=PureSM3(b"not it").hexdigest())
    with archive.catalog.writing() as writer:
        writer.append("add", other, "某人")
    report = Archive(ws).verify()
    assert [p for p in report.problems if other["archive_no"] in p and "SM3" in p]


# --- packs -----------------------------------------------------------------------------


def sm3_lines(zf: zipfile.ZipFile, top: str) -> dict[str, str]:
    lines = zf.read(f"{top}/fupin-sm3.txt").decode("utf-8").splitlines()
    return {path: digest for digest, path in (line.split(None, 1) for line in lines)}


@pytest.fixture
def packed(any_workspace, tmp_path):
    ws = any_workspace
    archive = Archive(ws)
    new = archive.add(write(tmp_path / "纪要.txt", "会议纪要\n"), date="2020-03-15").item.archive_no
    old = file_as_before_sm3(archive, write(tmp_path / "方案.txt", "实施方案\n"), "2020-03-01")
    target = tmp_path / "佐证.zip"
    build_pack(ws, Selection(ids=(new, old)), target)
    return ws, target, (new, old)


def test_a_pack_lists_every_payload_files_sm3_in_a_tag_file_bagit_accepts(packed, tmp_path):
    ws, target, nos = packed
    with zipfile.ZipFile(target) as zf:
        top = zf.namelist()[0].split("/")[0]
        lines = sm3_lines(zf, top)
        payload = {n[len(top) + 1:] for n in zf.namelist() if n.startswith(f"{top}/data/") and not n.endswith("/")}
        assert set(lines) == payload and len(payload) == 3  # the 目录 and both items, the older one too
        for rel, digest in lines.items():
            assert digest == PureSM3(zf.read(f"{top}/{rel}")).hexdigest()
        tagmanifest = zf.read(f"{top}/tagmanifest-sha256.txt").decode("utf-8")
        assert "fupin-sm3.txt" in tagmanifest
        assert f"{top}/manifest-sha256.txt" in zf.namelist()  # the SHA-256 manifest as before
        assert not [n for n in zf.namelist() if n.endswith("manifest-sm3.txt")]  # no manifest validators refuse
        zf.extractall(tmp_path / "x")
    bag = bagit.Bag(str(tmp_path / "x" / top))
    bag.validate()  # the BagIt library: a valid bag, our tag file ignored but covered
    assert bag.algorithms == ["sha256"]
    report = verify_pack(target, ws)
    assert report.ok and report.sm3_checked == 3 and not report.notes
    assert "校验值和 SM3 摘要全部正确" in run(ws, "pack", "verify", str(target)).output


def rezip(src: Path, dest: Path, change) -> None:
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = change(info.filename, zin.read(info.filename))
            if data is not None:
                zout.writestr(info.filename, data)


def test_a_forged_sm3_list_is_caught_by_the_tag_manifest(packed, tmp_path):
    ws, target, nos = packed
    forged = tmp_path / "forged.zip"

    def change(name, data):
        if name.endswith("/fupin-sm3.txt"):
            first, rest = data.split(b"  ", 1)
            return PureSM3(b"forged").hexdigest().encode() + b"  " + rest
        return data

    rezip(target, forged, change)
    report = verify_pack(forged)
    kinds = {(p.kind, p.path) for p in report.problems}
    assert ("tag", "fupin-sm3.txt") in kinds  # the tag manifest no longer matches it
    assert [p for p in report.problems if p.kind == "checksum" and "SM3" in p.detail]
    assert run(ws, "pack", "verify", str(forged)).exit_code == 3


def test_a_pack_made_before_sm3_still_verifies_with_a_note(packed, tmp_path):
    """What the older program wrote: no fupin-sm3.txt (nor its tag manifest line), no SM3
    in the listing, a 目录 whose last column was "SHA-256（前12位）" with no SM3 lines."""
    ws, target, nos = packed
    half = tmp_path / "half.zip"

    def without_sm3_list(name, data):
        if name.endswith("/fupin-sm3.txt"):
            return None
        if name.endswith("/tagmanifest-sha256.txt"):
            return b"".join(line + b"\n" for line in data.splitlines() if not line.endswith(b"fupin-sm3.txt"))
        return data

    rezip(target, half, without_sm3_list)
    # the listing (under the tag manifest) still records SM3: the list was taken out
    report = verify_pack(half)
    assert [(p.kind, p.path) for p in report.problems] == [("structure", "fupin-sm3.txt")]

    with zipfile.ZipFile(half) as zf:
        zf.extractall(tmp_path / "old")
    (bag_dir,) = [p for p in (tmp_path / "old").iterdir() if p.is_dir()]
    listing_path = bag_dir / "fupin-pack.json"
    listing = json.loads(listing_path.read_text(encoding="utf-8"))
    for entry in listing["items"]:
        for listed in entry["files"]:
            listed.pop("sm3")
    listing_path.write_text(json.dumps(listing, ensure_ascii=False, indent=1), encoding="utf-8")
    items = {item.archive_no: item for item in Archive(ws).items()}
    rows = [CatalogRow(seq=entry["seq"], archive_no=entry["archive_no"], title=entry["title"],
                       date=items[entry["archive_no"]].date,
                       files=[CatalogFile(f["path"][5:], f["sha256"]) for f in entry["files"]])
            for entry in listing["items"]]
    header = CatalogHeader(title="佐证材料", unit=ws.config.office.name, date=listing["date"],
                           item_count=len(rows), file_count=len(rows),
                           archive_head=f"{listing['archive_head']['seq']}:{listing['archive_head']['hash']}")
    from weasyprint import HTML

    html = catalog_html(header, rows).replace("SHA-256 / SM3（前12位）", "SHA-256（前12位）")
    assert "SM3（" not in html and "sm3" not in html.split("</tbody>")[0].split("<tbody>")[1]
    (bag_dir / "data" / "0000_目录.pdf").write_bytes(HTML(string=html).write_pdf())
    bagit.Bag(str(bag_dir)).save(manifests=True)
    old = tmp_path / "old.zip"
    with zipfile.ZipFile(old, "w") as zf:
        for p in sorted(bag_dir.rglob("*")):
            zf.write(p, p.relative_to(bag_dir.parent).as_posix())

    report = verify_pack(old, ws)
    assert report.ok, [str(p) for p in report.problems]
    assert report.sm3_checked == 0 and report.notes and "SM3" in report.notes[0]
    out = run(ws, "pack", "verify", str(old))
    assert out.exit_code == 0 and "提示" in out.output and "SM3" in out.output


def test_the_catalog_prints_each_files_sm3_start_under_its_sha256_start(packed, tmp_path):
    ws, target, nos = packed
    with zipfile.ZipFile(target) as zf:
        top = zf.namelist()[0].split("/")[0]
        lines = sm3_lines(zf, top)
        catalog = zf.read(f"{top}/data/0000_目录.pdf")
        sha_lines = dict(reversed(line.split(None, 1)) for line in
                         zf.read(f"{top}/manifest-sha256.txt").decode("utf-8").splitlines())
    (tmp_path / "目录.pdf").write_bytes(catalog)
    text = subprocess.run(["pdftotext", "-raw", str(tmp_path / "目录.pdf"), "-"], capture_output=True, text=True,
                          check=True).stdout
    flat = "".join(text.split())
    assert "SHA-256/SM3（前12位）" in flat and "fupin-sm3.txt" in flat
    for rel, digest in lines.items():
        if rel.endswith("0000_目录.pdf"):
            continue  # a file cannot print its own digest
        assert sha_lines[rel][:12] + digest[:12] in flat, rel  # the SM3 start right under the SHA-256 start


def test_a_forged_digest_record_stops_packing_and_fails_an_earlier_packs_check(packed, tmp_path):
    """The older item's SM3 forged after the pack was made: the pack no longer matches
    what the archive says of that file, and no new pack vouches for it."""
    ws, target, (new, old) = packed
    archive = Archive(ws)
    with archive.catalog.writing() as writer:
        writer.append("digest", {"archive_no": old, "sm3": PureSM3(b"forged").hexdigest(), "renditions": []}, "某人")
    report = verify_pack(target, ws)
    (problem,) = [p for p in report.problems if p.kind == "archive"]
    assert old in problem.detail and "SM3" in problem.detail and old in problem.path
    with pytest.raises(IntegrityError, match="SM3") as caught:
        build_pack(ws, Selection(ids=(old,)), tmp_path / "again.zip")
    assert old in str(caught.value) and not (tmp_path / "again.zip").exists()


def test_verify_flags_a_digest_record_naming_a_rendition_the_item_does_not_have(any_workspace, tmp_path):
    ws = any_workspace
    archive = Archive(ws)
    no = file_as_before_sm3(archive, write(tmp_path / "a.txt", "原件\n"), "2020-03-01",
                            renditions=[write(tmp_path / "a副本.txt", "副本\n")])
    stranger = hashlib.sha256(b"another file").hexdigest()
    with archive.catalog.writing() as writer:
        forged = writer.append("digest", {"archive_no": no, "sm3": sm3_of(tmp_path / "a.txt"), "renditions": [
            {"file_name": "a副本.txt", "sha256": stranger, "sm3": PureSM3(b"another file").hexdigest()}]}, "某人")
    assert Archive(ws).get(no).renditions[0].get("sm3") is None  # the fold gives it to no rendition
    report = Archive(ws).verify()
    assert [p for p in report.problems if f"第 {forged['seq']} 条" in p and no in p and "副本" in p]
    assert [w for w in report.warnings if "SM3" in w]  # the real rendition still has none


def test_the_verify_page_gives_the_fix_for_items_without_sm3(any_workspace, tmp_path):
    """The admin's 档案核验 page shows the warning and what to do about it, as the CLI does."""
    from fupin_docs.accounts import Accounts
    from test_server import Client, Server
    ws = any_workspace
    file_as_before_sm3(Archive(ws), write(tmp_path / "方案.txt", "实施方案\n"), "2020-03-01")
    assert run(ws, "index", "rebuild").exit_code == 0
    Accounts(ws).add_user("管理员丙", "admin", "Admin2020x")
    server = Server(ws.root)
    try:
        client = Client(server.port)
        assert client.login("管理员丙", "Admin2020x").status == 302
        token = client.csrf("/admin/verify")
        page = client.post("/admin/verify", {}, headers={"HX-Request": "true", "X-CSRFToken": token})
        assert page.status == 200 and "SM3" in page.text
        assert "处理办法：请管理员在服务器上运行 fupin archive digest 补记 SM3 摘要" in page.text
    finally:
        server.stop()
