"""verify_pack: is a pack zip still the bag it was when written?

Checked straight from the zip, without unpacking (so a hostile zip cannot
write anywhere): bagit.txt, every manifest entry present with the right
SHA-256, nothing in data/ that the manifest does not list, every tag file
matching the tag manifest, no unlisted extra files, Payload-Oxum. Where an
archive is at hand, every packed item is also compared with the SHA-256 the
archive recorded when it was filed.
"""

from __future__ import annotations

import hashlib
import json
import posixpath
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import UserError
from .bag import BAGIT_VERSION

PACK_TAG_FILE = "fupin-pack.json"
_SUPPORTED = {"sha256", "sha512", "sha1", "md5", "sha384", "sha224"}

# Problem kinds (stable: `fupin pack verify --json` prints them)
MISSING = "missing"  # listed in a manifest, not in the zip
EXTRA = "extra"  # in the zip, listed nowhere
CHECKSUM = "checksum"  # content differs from the manifest
TAG = "tag"  # a tag file (bag-info.txt, manifest …) differs from the tag manifest
STRUCTURE = "structure"  # bagit.txt / manifest missing or malformed, unsafe names
OXUM = "oxum"  # Payload-Oxum does not match the payload
ARCHIVE = "archive"  # differs from what the archive recorded

KIND_LABELS = {MISSING: "缺少文件", EXTRA: "多出文件", CHECKSUM: "内容被改动", TAG: "说明文件被改动",
               STRUCTURE: "包结构错误", OXUM: "文件数或总字节数不符", ARCHIVE: "与档案记录不符"}


@dataclass
class VerifyProblem:
    kind: str
    path: str  # inside the bag, e.g. "data/0001_…pdf"; "" for the bag as a whole
    detail: str

    def __str__(self) -> str:
        where = f"{self.path}：" if self.path else ""
        return f"[{KIND_LABELS.get(self.kind, self.kind)}] {where}{self.detail}"


@dataclass
class VerifyReport:
    path: Path
    bagit_version: str = ""
    payload_files: int = 0
    payload_bytes: int = 0
    items: int = 0
    archive_checked: int = 0  # packed files compared with the archive's record
    archive_unknown: list[str] = field(default_factory=list)  # 档号 the archive at hand lacks
    problems: list[VerifyProblem] = field(default_factory=list)
    info: dict = field(default_factory=dict)  # bag-info.txt
    pack: dict | None = None  # fupin-pack.json, when present and readable
    hashes: dict = field(default_factory=dict)  # payload path → SHA-256 found in the zip

    @property
    def ok(self) -> bool:
        return not self.problems

    def damaged_paths(self) -> list[str]:
        out = []
        for p in self.problems:
            if p.path and p.path not in out:
                out.append(p.path)
        return out

    def as_dict(self) -> dict:
        return {"path": str(self.path), "ok": self.ok, "bagit_version": self.bagit_version,
                "payload_files": self.payload_files, "payload_bytes": self.payload_bytes,
                "items": self.items, "archive_checked": self.archive_checked,
                "archive_unknown": self.archive_unknown,
                "problems": [{"kind": p.kind, "path": p.path, "detail": p.detail} for p in self.problems],
                "bag_info": self.info}


def _decode_path(text: str) -> str:
    """Manifest path → file path (RFC 8493 §2.1.3 percent-encoding of CR, LF, %)."""
    return re.sub(r"%(0[aAdD]|25)", lambda m: chr(int(m.group(1), 16)), text)


def _parse_manifest(text: str) -> tuple[dict[str, str], list[str]]:
    entries, bad = {}, []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        parts = line.strip().split(None, 1)
        if len(parts) != 2:
            bad.append(f"第 {n} 行格式不对")
            continue
        digest, path = parts
        entries[_decode_path(path.strip())] = digest.lower()
    return entries, bad


def _parse_tags(text: str) -> dict[str, str]:
    info: dict[str, str] = {}
    last = None
    for line in text.splitlines():
        if line[:1] in (" ", "\t") and last:
            info[last] += " " + line.strip()
        elif ":" in line:
            key, value = line.split(":", 1)
            last = key.strip()
            info.setdefault(last, value.strip())
    return info


def _hash_member(zf: zipfile.ZipFile, name: zipfile.ZipInfo, algorithm: str) -> tuple[str, int]:
    digest = hashlib.new(algorithm)
    size = 0
    with zf.open(name) as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
            size += len(block)
    return digest.hexdigest(), size


UTF8_FLAG = 0x800  # general purpose bit 11: the name is UTF-8


LEGACY_ENCODINGS = ("utf-8", "gbk")  # what re-zipping tools write when they leave the flag clear


def _raw_name(info: zipfile.ZipInfo) -> bytes | None:
    """The stored name bytes of an entry without the UTF-8 flag (zipfile decoded them as cp437)."""
    if info.flag_bits & UTF8_FLAG:
        return None
    try:
        return info.filename.encode("cp437")
    except UnicodeEncodeError:  # decoded some other way already (metadata_encoding)
        return None


def _decodes(raw: bytes, encoding: str) -> bool:
    try:
        raw.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


def _members_by_real_name(zf: zipfile.ZipFile) -> dict[str, zipfile.ZipInfo]:
    """Real name → entry; read entries through the ZipInfo, never the (cp437) name.

    Without the UTF-8 flag zipfile decodes a name as cp437, but the tools that
    re-zip a pack without setting the flag (Info-ZIP `zip -r`, Windows
    “发送到压缩文件夹”) write UTF-8 or, on a Chinese Windows, GBK bytes. One
    writer uses one encoding for every name, so the encoding is chosen for the
    whole zip: short GBK names (目录 is C4BF C2BC) can pass for UTF-8 on their own.
    """
    infos = zf.infolist()
    raws = {id(info): _raw_name(info) for info in infos}
    legacy = [raw for raw in raws.values() if raw is not None]
    encoding = next((enc for enc in LEGACY_ENCODINGS if all(_decodes(raw, enc) for raw in legacy)), None)
    out: dict[str, zipfile.ZipInfo] = {}
    for info in infos:
        raw = raws[id(info)]
        name = info.filename
        if raw is not None:
            for enc in ([encoding] if encoding else LEGACY_ENCODINGS):  # mixed: name by name
                if _decodes(raw, enc):
                    name = raw.decode(enc)
                    break
        out[name] = info
    return out


def _unsafe(name: str) -> bool:
    return (name.startswith("/") or "\\" in name or re.match(r"^[A-Za-z]:", name) is not None
            or ".." in name.split("/"))


def verify_pack(path, workspace=None, archive=None) -> VerifyReport:
    """Check the pack at PATH; with WORKSPACE (or ARCHIVE) also against the archive.

    Never raises for damage: damage is in report.problems. UserError only
    when PATH is not there at all.
    """
    path = Path(path)
    if not path.is_file():
        raise UserError(f"找不到材料包“{path}”，请检查路径")
    report = VerifyReport(path=path)
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as err:
        report.problems.append(VerifyProblem(STRUCTURE, "", f"不是完好的 zip 文件（{err}），可能下载不完整或已损坏"))
        return report
    with zf:
        try:
            _verify_zip(zf, report)
        except (zipfile.BadZipFile, OSError, EOFError, zlib.error, KeyError, UnicodeError) as err:
            report.problems.append(VerifyProblem(STRUCTURE, "", f"材料包无法完整读出（{err}）"))
            return report
        if archive is None and workspace is not None and report.info:
            archive = _open_archive(workspace)
        if archive is not None:
            _verify_against_archive(zf, report, archive)
    return report


def _open_archive(workspace):
    if not workspace.archive_dir.exists():
        return None
    try:
        from ..archive import Archive

        return Archive(workspace)
    except Exception:
        return None


def _bag_root(names: list[str], report: VerifyReport) -> str | None:
    """The prefix (with trailing slash, or '') under which bagit.txt sits."""
    files = [n for n in names if not n.endswith("/")]
    roots = sorted({n[: -len("bagit.txt")] for n in files
                    if n == "bagit.txt" or (n.endswith("/bagit.txt") and n.count("/") == 1)})
    if not roots:
        report.problems.append(VerifyProblem(STRUCTURE, "bagit.txt", "缺少 bagit.txt：这不是 BagIt 材料包"))
        return None
    if len(roots) > 1:
        report.problems.append(VerifyProblem(STRUCTURE, "", f"包内有多个 bagit.txt（{'、'.join(r or '/' for r in roots)}）"))
    return roots[0]


def _verify_zip(zf: zipfile.ZipFile, report: VerifyReport) -> None:
    by_name = _members_by_real_name(zf)
    names = list(by_name)
    for name in names:
        if _unsafe(name):
            report.problems.append(VerifyProblem(STRUCTURE, name, "文件名不安全（绝对路径或含 ..），解压时可能写到包外"))
    root = _bag_root(names, report)
    if root is None:
        return
    members = {n[len(root):]: by_name[n] for n in names if n.startswith(root) and not n.endswith("/")}
    outside = [n for n in names if not n.startswith(root) and not n.endswith("/")]
    for name in outside:
        report.problems.append(VerifyProblem(EXTRA, name, "在材料包目录之外，清单中没有"))

    try:
        bagit_txt = _parse_tags(zf.read(members["bagit.txt"]).decode("utf-8", "replace").lstrip("\ufeff"))
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error) as err:
        report.problems.append(VerifyProblem(STRUCTURE, "bagit.txt", f"无法读出（{err}）"))
        return
    report.bagit_version = bagit_txt.get("BagIt-Version", "")
    if report.bagit_version != BAGIT_VERSION:
        report.problems.append(VerifyProblem(STRUCTURE, "bagit.txt",
                                             f"BagIt 版本为“{report.bagit_version or '未写明'}”，应为 {BAGIT_VERSION}"))

    manifests = sorted(n for n in members if re.fullmatch(r"manifest-(\w+)\.txt", n))
    tagmanifests = sorted(n for n in members if re.fullmatch(r"tagmanifest-(\w+)\.txt", n))
    if not manifests:
        report.problems.append(VerifyProblem(STRUCTURE, "manifest-sha256.txt", "缺少清单文件，无法核对内容"))
        return

    if "bag-info.txt" in members:
        report.info = _parse_tags(zf.read(members["bag-info.txt"]).decode("utf-8", "replace"))

    listed: set[str] = set()
    for manifest in manifests:
        algorithm = re.fullmatch(r"manifest-(\w+)\.txt", manifest).group(1)
        if algorithm not in _SUPPORTED:
            report.problems.append(VerifyProblem(STRUCTURE, manifest, f"不支持的校验算法 {algorithm}"))
            continue
        entries, bad = _parse_manifest(zf.read(members[manifest]).decode("utf-8", "replace"))
        for text in bad:
            report.problems.append(VerifyProblem(STRUCTURE, manifest, text))
        for rel, digest in entries.items():
            listed.add(rel)
            if _unsafe(rel) or not rel.startswith("data/"):
                report.problems.append(VerifyProblem(STRUCTURE, rel, "清单中的路径不在 data/ 之内"))
                continue
            member = members.get(rel) or members.get(posixpath.normpath(rel))
            if member is None:
                report.problems.append(VerifyProblem(MISSING, rel, "清单中有，包中缺少此文件"))
                continue
            try:
                found, _size = _hash_member(zf, member, algorithm)
            except (zipfile.BadZipFile, OSError, EOFError, zlib.error) as err:
                report.problems.append(VerifyProblem(CHECKSUM, rel, f"无法读出（{err}）"))
                continue
            if algorithm == "sha256":
                report.hashes[rel] = found
            if found != digest:
                report.problems.append(VerifyProblem(CHECKSUM, rel,
                                                     f"SHA-256 应为 {digest[:12]}…，实为 {found[:12]}…"))

    payload = [n for n in members if n.startswith("data/")]
    report.payload_files = len(payload)
    report.payload_bytes = sum(members[n].file_size for n in payload)
    for rel in sorted(payload):
        if rel not in listed:
            report.problems.append(VerifyProblem(EXTRA, rel, "包中有，清单中没有（可能是后加入的文件）"))

    tag_listed: set[str] = set()
    for tagmanifest in tagmanifests:
        algorithm = re.fullmatch(r"tagmanifest-(\w+)\.txt", tagmanifest).group(1)
        if algorithm not in _SUPPORTED:
            continue
        entries, bad = _parse_manifest(zf.read(members[tagmanifest]).decode("utf-8", "replace"))
        for text in bad:
            report.problems.append(VerifyProblem(STRUCTURE, tagmanifest, text))
        for rel, digest in entries.items():
            tag_listed.add(rel)
            if rel not in members:
                report.problems.append(VerifyProblem(MISSING, rel, "标签清单中有，包中缺少此文件"))
                continue
            try:
                found, _ = _hash_member(zf, members[rel], algorithm)
            except (zipfile.BadZipFile, OSError, EOFError, zlib.error) as err:
                report.problems.append(VerifyProblem(TAG, rel, f"无法读出（{err}）"))
                continue
            if found != digest:
                report.problems.append(VerifyProblem(TAG, rel, "与标签清单（tagmanifest）记录的校验值不符"))
    if not tagmanifests:
        report.problems.append(VerifyProblem(STRUCTURE, "tagmanifest-sha256.txt",
                                             "缺少标签清单，bag-info.txt 与清单本身无法核对"))
    for rel in sorted(members):
        if rel.startswith("data/") or rel in tag_listed or rel in tagmanifests:
            continue
        if tagmanifests:
            report.problems.append(VerifyProblem(EXTRA, rel, "包中有，标签清单中没有（可能是后加入的文件）"))

    oxum = report.info.get("Payload-Oxum")
    if oxum:
        try:
            octets, count = (int(x) for x in oxum.split(".", 1))
        except ValueError:
            report.problems.append(VerifyProblem(OXUM, "bag-info.txt", f"Payload-Oxum“{oxum}”格式不对"))
        else:
            if (octets, count) != (report.payload_bytes, report.payload_files):
                report.problems.append(VerifyProblem(
                    OXUM, "bag-info.txt",
                    f"应有 {count} 个文件共 {octets} 字节，实有 {report.payload_files} 个共 {report.payload_bytes} 字节"))

    if PACK_TAG_FILE in members:
        try:
            report.pack = json.loads(zf.read(members[PACK_TAG_FILE]).decode("utf-8"))
        except ValueError:
            report.problems.append(VerifyProblem(STRUCTURE, PACK_TAG_FILE, "内容不是有效的 JSON"))
    if isinstance(report.pack, dict):
        report.items = len(report.pack.get("items", []))
        _check_pack_listing(report)
    else:
        report.pack = None


def _check_pack_listing(report: VerifyReport) -> None:
    """The item list (covered by the tag manifest) names every file it packed: a file
    removed together with its manifest line is still missed, and a swapped one differs."""
    already = {problem.path for problem in report.problems}  # one finding per damaged file
    for entry in report.pack.get("items", []):
        for listed in entry.get("files", []):
            rel, expected = listed.get("path", ""), listed.get("sha256", "")
            if rel in already:
                continue
            found = report.hashes.get(rel)
            if found is None:
                report.problems.append(VerifyProblem(MISSING, rel, f"材料清单（{PACK_TAG_FILE}）列出了此文件，包中却没有"))
            elif expected and found != expected:
                report.problems.append(VerifyProblem(CHECKSUM, rel, f"与材料清单（{PACK_TAG_FILE}）记录的校验值不符"))


def _verify_against_archive(zf: zipfile.ZipFile, report: VerifyReport, archive) -> None:
    """Each packed file, as found in the zip, against the archive's own record."""
    from .build import archived_hashes

    if not report.pack:
        return
    for entry in report.pack.get("items", []):
        archive_no = entry.get("archive_no", "")
        item = archive.get(archive_no)
        if item is None:
            report.archive_unknown.append(archive_no)
            continue
        known = archived_hashes(item)
        for pf in entry.get("files", []):
            rel = pf.get("path", "")
            found = report.hashes.get(rel)
            if found is None:
                continue  # missing or unreadable: already reported
            if pf.get("role") == "original":
                expected = getattr(item, "sha256", "") or ""
                if not expected:
                    continue
                report.archive_checked += 1
                if found != expected:
                    report.problems.append(VerifyProblem(
                        ARCHIVE, rel, f"{archive_no} 在档案中记录的 SHA-256 为 {expected[:12]}…，包中为 {found[:12]}…"))
            elif known:
                report.archive_checked += 1
                if found not in known:
                    report.problems.append(VerifyProblem(
                        ARCHIVE, rel, f"与档案中 {archive_no} 的任何 PDF 转换版都不相同"))
