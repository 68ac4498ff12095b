"""verify_pack: is a pack zip still the bag it was when written, and does it
hold what the archive holds?

Everything is read straight from the zip, without unpacking, so a hostile zip
cannot write anywhere. In order:

1. The zip's entries. Every name is safe (no absolute path, no ``..``) and
   written one way only (no ``./`` or ``//``), no two entries would become the
   same file when unzipped (the same name twice, or names differing only in
   letter case or Unicode form), every entry is a plain file or folder (no
   links), stored or deflated, not encrypted, and claims no more bytes than
   deflate can produce from it. A zip failing here is refused as a whole.
2. The bag: bagit.txt, manifest-sha256.txt, every listed file present with the
   right hash and nothing in data/ unlisted, the tag manifest, Payload-Oxum.
   Manifest paths must be in their one normal form and listed once. Each entry
   is read at most once, for every algorithm at the same time, so the work is
   bounded by the zip's own size whatever the manifests say. fupin-sm3.txt (our
   tag file, under the tag manifest) gives every payload file's SM3 (GB/T 32905),
   checked in the same read; a pack made before SM3 was kept has none, which is
   a note, not a problem.
3. The pack's own listing (fupin-pack.json, under the tag manifest). A pack
   without it is incomplete. Every payload file must be the 目录, the merge or
   exactly one file of one item, with the listed hash; the listing and
   bag-info.txt must record the same archive chain head.
4. Only with an archive (a workspace's): the archive's chain is whole and still
   holds the pack's chain head (else the archive was rewritten since the pack
   was made, or the pack comes from another archive), and every payload file
   matches what the archive recorded for its 档号 (from the listing, or from
   the file name when the listing is gone). Every listed item was on file at
   the recorded head (its 'add' record is at or before it: a head moved back
   to an earlier record still "holds"), with the listed title as it was then.
   The generated files are read too: the 目录's text lists every item's row
   (序号, 档号 … 页数 as the archive had them) and file hashes in order and no
   other 档号; the 合并打印本 has exactly the packed PDFs' pages, each with its
   档号 stamp and its source page's text (pages without text, scans, are
   compared by count and stamp only). An archive that cannot be read is
   reported as a problem, never skipped. Without an archive the report says
   that only the pack's internal consistency was checked (checked_against).
"""

from __future__ import annotations

import json
import re
import stat
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from ..archive.anchor import chain_holds
from ..archive.catalog import ChainHead
from ..errors import FupinError, UserError
from ..hashing import new_hash
from .bag import BAGIT_VERSION, SM3_TAG_FILE
from .listing import (CATALOG_PATH, HEAD_INFO_KEY, MERGED_PATH, PACK_TAG_FILE, check_listing, head_text,
                      parse_head_text)

_SUPPORTED = {"sha256", "sha512", "sha1", "md5", "sha384", "sha224"}

# Problem kinds (stable: `fupin pack verify --json` prints them)
MISSING = "missing"  # listed in a manifest, not in the zip
EXTRA = "extra"  # in the zip, listed nowhere
CHECKSUM = "checksum"  # content differs from the manifest
TAG = "tag"  # a tag file (bag-info.txt, manifest …) differs from the tag manifest
STRUCTURE = "structure"  # bagit.txt / manifest / listing missing or malformed, unsafe entries
OXUM = "oxum"  # Payload-Oxum does not match the payload
ARCHIVE = "archive"  # differs from what the archive recorded, or the archive cannot be read
ANCHOR = "anchor"  # the archive no longer holds the chain head the pack was built at

KIND_LABELS = {MISSING: "缺少文件", EXTRA: "多出文件", CHECKSUM: "内容被改动", TAG: "说明文件被改动",
               STRUCTURE: "包结构错误", OXUM: "文件数或总字节数不符", ARCHIVE: "与档案记录不符",
               ANCHOR: "档案链头不符"}

# What the verifier compared the pack with (stable: --json "checked_against")
CHECKED_ARCHIVE = "archive"  # the pack, and every payload file against the archive
CHECKED_PACK_ONLY = "pack_only"  # the pack's internal consistency only

# A problem's hint: how a client could act on it (keys as in errors.py).
HINT_ARCHIVE_VERIFY = "archive.verify"  # the archive itself is damaged
HINT_OTHER_ARCHIVE = "pack.no_archive"  # the pack may come from another archive

MAX_TAG_BYTES = 16 << 20  # bagit.txt, bag-info.txt, manifests, listing: never larger in a real pack
DEFLATE_MAX_RATIO = 1032  # deflate cannot expand one byte into more than this
MAX_LINE_PROBLEMS = 20  # per manifest; the rest are counted in one line
_READ_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, zlib.error, KeyError,
                UnicodeError, RuntimeError, NotImplementedError, ValueError)


def _read_error(err: BaseException) -> str:
    """What went wrong reading the zip, in Chinese (the library's own text is English)."""
    if isinstance(err, zipfile.BadZipFile):
        return "zip 文件已损坏"
    if isinstance(err, zipfile.LargeZipFile):
        return "文件超出 zip 格式的大小限制"
    if isinstance(err, zlib.error):
        return "压缩数据已损坏"
    if isinstance(err, EOFError):
        return "文件不完整，可能下载未完成"
    if isinstance(err, RecursionError):
        return "结构嵌套过深"
    if isinstance(err, NotImplementedError):
        return "使用了本程序不支持的 zip 特性"
    if isinstance(err, KeyError):
        return "包中缺少应有的项"
    if isinstance(err, UnicodeError):
        return "文件名或内容的编码无法识别"
    if isinstance(err, PermissionError):
        return "没有读取权限"
    if isinstance(err, OSError):
        return f"读取出错（错误码 {err.errno}）" if err.errno else "读取出错"
    return "内容无法解析"


@dataclass
class VerifyProblem:
    kind: str
    path: str  # inside the bag, e.g. "data/0001_…pdf"; "" for the bag as a whole
    detail: str
    hint: str = ""  # a key for the client's own way to act on it (not in --json)

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
    pack: dict | None = None  # fupin-pack.json, when present and well formed
    hashes: dict = field(default_factory=dict)  # payload path → SHA-256 found in the zip
    archive_head: str = ""  # "SEQ:HASH" the pack was built at ("" when it records none)
    checked_against: str = CHECKED_PACK_ONLY
    archive_note: str = ""  # why the archive was not compared, when it was not
    hashed_bytes: int = 0  # bytes read to hash them: at most each entry's size once
    sm3_hashes: dict = field(default_factory=dict)  # payload path → SM3 found in the zip (not in --json)
    sm3_checked: int = 0  # payload files whose SM3 was checked against fupin-sm3.txt
    notes: list = field(default_factory=list)  # worth knowing, not damage (Chinese)
    _members: dict = field(default_factory=dict, repr=False)  # path in the bag → ZipInfo (not in --json)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def head_short(self) -> str:
        """The chain head as printed for people: seq and the hash's first 12 characters."""
        if not self.archive_head:
            return "未记录"
        seq, _, digest = self.archive_head.partition(":")
        return f"{seq}:{digest[:12]}"

    def damaged_paths(self) -> list[str]:
        out = []
        for p in self.problems:
            if p.path and p.path not in out:
                out.append(p.path)
        return out

    def add(self, kind: str, path: str, detail: str, hint: str = "") -> None:
        self.problems.append(VerifyProblem(kind, path, detail, hint))

    def as_dict(self) -> dict:
        return {"path": str(self.path), "ok": self.ok, "bagit_version": self.bagit_version,
                "payload_files": self.payload_files, "payload_bytes": self.payload_bytes,
                "items": self.items, "archive_checked": self.archive_checked,
                "archive_unknown": self.archive_unknown,
                "problems": [{"kind": p.kind, "path": p.path, "detail": p.detail} for p in self.problems],
                "bag_info": self.info,
                "archive_head": self.archive_head or None,
                "checked_against": self.checked_against,
                "archive_note": self.archive_note,
                "sm3_checked": self.sm3_checked,
                "notes": list(self.notes)}


# --- names ---------------------------------------------------------------------------


def _decode_path(text: str) -> str:
    """Manifest path → file path (RFC 8493 §2.1.3 percent-encoding of CR, LF, %)."""
    return re.sub(r"%(0[aAdD]|25)", lambda m: chr(int(m.group(1), 16)), text)


def _name_problem(name: str) -> str | None:
    """What is wrong with NAME as a path inside the bag (a folder may end in '/')."""
    if name.startswith("/") or "\\" in name or re.match(r"^[A-Za-z]:", name) or "\x00" in name:
        return "文件名不安全（绝对路径或含 ..），解压时可能写到包外"
    parts = (name[:-1] if name.endswith("/") else name).split("/")
    if ".." in parts:
        return "文件名不安全（绝对路径或含 ..），解压时可能写到包外"
    if "" in parts or "." in parts:
        return "写法不规范（含 ./ 或 //），同一个文件有了两种写法"
    return None


def _alias_key(name: str) -> str:
    """Names with the same key become one file on Windows or macOS."""
    return unicodedata.normalize("NFC", name.rstrip("/")).casefold()


UTF8_FLAG = 0x800  # general purpose bit 11: the name is UTF-8
ENCRYPTED_FLAG = 0x1
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


def _real_names(zf: zipfile.ZipFile) -> list[tuple[str, zipfile.ZipInfo]]:
    """(real name, entry) for every entry, duplicates included; read entries
    through the ZipInfo, never the (cp437) name.

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
    out = []
    for info in infos:
        raw = raws[id(info)]
        name = info.filename
        if raw is not None:
            for enc in ([encoding] if encoding else LEGACY_ENCODINGS):  # mixed: name by name
                if _decodes(raw, enc):
                    name = raw.decode(enc)
                    break
        out.append((name, info))
    return out


def _entry_problem(info: zipfile.ZipInfo) -> str | None:
    """What makes entry INFO unfit to read or to unzip, if anything."""
    mode = info.external_attr >> 16
    kind = stat.S_IFMT(mode)
    if kind == stat.S_IFLNK:
        return "是符号链接（快捷方式），解压后会指向包外的文件"
    if kind not in (0, stat.S_IFREG, stat.S_IFDIR):
        return "不是普通文件（设备、管道等特殊文件）"
    if info.flag_bits & ENCRYPTED_FLAG:
        return "已加密，无法核对内容"
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        return (f"压缩方式（第 {info.compress_type} 种）不受支持：材料包只用“不压缩”或标准压缩（deflate），"
                "请用原始材料包")
    if info.compress_type == zipfile.ZIP_STORED and info.file_size != info.compress_size:
        return "记录的大小前后矛盾，文件已损坏"
    if info.compress_type == zipfile.ZIP_DEFLATED and info.file_size > DEFLATE_MAX_RATIO * info.compress_size + 1024:
        return (f"声称解压后有 {info.file_size} 字节，超出压缩数据可能的大小：文件已损坏或被人为构造"
                "（“压缩炸弹”）")
    return None


def _scan_entries(zf: zipfile.ZipFile, report: VerifyReport) -> dict[str, zipfile.ZipInfo] | None:
    """Real name → entry for a zip whose every entry is fit to read; None (with
    the problems reported) when any is not."""
    named = _real_names(zf)
    root = _root_of([name for name, _ in named])

    def shown(name: str) -> str:
        return name[len(root):] if root and name.startswith(root) and name != root else name

    found = len(report.problems)
    by_name: dict[str, zipfile.ZipInfo] = {}
    by_key: dict[str, str] = {}
    for name, info in named:
        problem = _name_problem(name) or _entry_problem(info)
        if problem is None and name in by_name:
            problem = "包中有两个同名文件，解压时后一个会覆盖前一个（或被解压软件任选其一）"
        elif problem is None and _alias_key(name) in by_key:
            problem = f"与“{shown(by_key[_alias_key(name)])}”只差大小写或字形写法，在 Windows 等系统上解压时会互相覆盖"
        if problem:
            report.add(STRUCTURE, shown(name), problem)
        by_name.setdefault(name, info)
        by_key.setdefault(_alias_key(name), name)
    if len(report.problems) > found:
        report.add(STRUCTURE, "", "材料包中有不能安全读取或解压的文件（见上），未再往下核对；请向报送单位索取原始材料包")
        return None
    return by_name


def _roots(names: list[str]) -> list[str]:
    """Every prefix (with trailing slash, or '') under which a bagit.txt sits."""
    return sorted({n[: -len("bagit.txt")] for n in names
                   if n == "bagit.txt" or (n.endswith("/bagit.txt") and n.count("/") == 1)})


def _root_of(names: list[str]) -> str:
    return next(iter(_roots(names)), "")


def _bag_root(names: list[str], report: VerifyReport) -> str | None:
    """The prefix (with trailing slash, or '') under which bagit.txt sits."""
    roots = _roots(names)
    if not roots:
        report.add(STRUCTURE, "bagit.txt", "缺少 bagit.txt：这不是 BagIt 材料包")
        return None
    if len(roots) > 1:
        report.add(STRUCTURE, "", f"包内有多个 bagit.txt（{'、'.join(r or '/' for r in roots)}）")
    return roots[0]


# --- reading -----------------------------------------------------------------------------


class _Reader:
    """Reads entries of one zip: tag files up to a size, and each entry's hashes
    in one pass for every algorithm the bag uses, remembered."""

    def __init__(self, zf: zipfile.ZipFile, report: VerifyReport, algorithms: set[str]):
        self.zf, self.report = zf, report
        self.algorithms = sorted(algorithms | {"sha256"})
        self._hashes: dict[int, dict[str, str]] = {}

    def hash(self, info: zipfile.ZipInfo, algorithm: str) -> str:
        key = id(info)
        if key not in self._hashes:
            digests = {name: new_hash(name) for name in self.algorithms}
            with self.zf.open(info) as handle:
                for block in iter(lambda: handle.read(1 << 20), b""):
                    for digest in digests.values():
                        digest.update(block)
                    self.report.hashed_bytes += len(block)
            self._hashes[key] = {name: d.hexdigest() for name, d in digests.items()}
        return self._hashes[key][algorithm]

    def tag(self, info: zipfile.ZipInfo, rel: str) -> bytes | None:
        if info.file_size > MAX_TAG_BYTES:
            self.report.add(STRUCTURE, rel, f"说明文件大得反常（{info.file_size} 字节），不是本程序生成的材料包")
            return None
        return self.zf.read(info)


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


def _manifest_entries(text: str, algorithm: str, manifest: str, report: VerifyReport) -> list[tuple[str, str]]:
    """(path, digest) for each well-formed line of a manifest, each path in its one
    normal form and once; every other line is reported (up to MAX_LINE_PROBLEMS)."""
    width = new_hash(algorithm).digest_size * 2
    entries: list[tuple[str, str]] = []
    seen: dict[str, str] = {}
    bad: list[str] = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        parts = line.strip().split(None, 1)
        if len(parts) != 2:
            bad.append(f"第 {n} 行格式不对")
            continue
        digest, path = parts[0].lower(), _decode_path(parts[1].strip())
        if not re.fullmatch(f"[0-9a-f]{{{width}}}", digest):
            bad.append(f"第 {n} 行的校验值格式不对")
            continue
        problem = _name_problem(path) if not path.endswith("/") else "写法不规范（是文件夹，不是文件）"
        if problem:
            bad.append(f"第 {n} 行的路径“{path}”{problem}")
            continue
        key = _alias_key(path)
        if key in seen:
            if seen[key] == path:
                bad.append(f"第 {n} 行重复列出“{path}”")
            else:
                bad.append(f"第 {n} 行的“{path}”与“{seen[key]}”只差大小写或字形写法")
            continue
        seen[key] = path
        entries.append((path, digest))
    for text_ in bad[:MAX_LINE_PROBLEMS]:
        report.add(STRUCTURE, manifest, text_)
    if len(bad) > MAX_LINE_PROBLEMS:
        report.add(STRUCTURE, manifest, f"另有 {len(bad) - MAX_LINE_PROBLEMS} 行同类问题未列出")
    return entries


# --- the whole check ---------------------------------------------------------------------


def verify_pack(path, workspace=None, archive=None) -> VerifyReport:
    """Check the pack at PATH; with WORKSPACE (or ARCHIVE) also against the archive.

    Never raises for damage: damage, and an archive that cannot be read, are in
    report.problems. UserError only when PATH is not there at all.
    """
    path = Path(path)
    if not path.is_file():
        raise UserError(f"找不到材料包“{path}”，请检查路径")
    report = VerifyReport(path=path)
    try:
        zf = zipfile.ZipFile(path)
    except _READ_ERRORS as err:
        report.add(STRUCTURE, "", f"不是 zip 格式的材料包，或 zip 文件已损坏（{_read_error(err)}）："
                                  "可能下载不完整、传输中损坏，或给出的并不是材料包；请向报送单位索取原始材料包")
        return report
    names_by_path: dict[str, tuple[str, str]] = {}
    with zf:
        try:
            names_by_path = _verify_zip(zf, report)
        except _READ_ERRORS as err:  # RuntimeError includes RecursionError
            report.add(STRUCTURE, "", f"材料包无法完整读出（{_read_error(err)}）")
    if archive is not None or workspace is not None:
        _verify_against_archive(report, names_by_path, workspace, archive)
    return report


def _verify_zip(zf: zipfile.ZipFile, report: VerifyReport) -> dict[str, tuple[str, str]]:
    """The bag and its listing; returns payload path → (档号, role) for the archive
    check ('' where only the file name can tell)."""
    by_name = _scan_entries(zf, report)
    if by_name is None:
        return {}
    names = list(by_name)
    root = _bag_root(names, report)
    if root is None:
        return {}
    members = {n[len(root):]: by_name[n] for n in names if n.startswith(root) and not n.endswith("/")}
    report._members = members
    for name in (n for n in names if not n.startswith(root) and not n.endswith("/")):
        report.add(EXTRA, name, "在材料包目录之外，清单中没有")

    manifests = sorted(n for n in members if re.fullmatch(r"manifest-(\w+)\.txt", n))
    tagmanifests = sorted(n for n in members if re.fullmatch(r"tagmanifest-(\w+)\.txt", n))
    algorithms = {re.fullmatch(r"(?:tag)?manifest-(\w+)\.txt", n).group(1) for n in manifests + tagmanifests}
    reader = _Reader(zf, report, (algorithms & _SUPPORTED) | ({"sm3"} if SM3_TAG_FILE in members else set()))

    bagit_raw = reader.tag(members["bagit.txt"], "bagit.txt")
    if bagit_raw is None:
        return {}
    bagit_txt = _parse_tags(bagit_raw.decode("utf-8", "replace").lstrip("\ufeff"))
    report.bagit_version = bagit_txt.get("BagIt-Version", "")
    if report.bagit_version != BAGIT_VERSION:
        report.add(STRUCTURE, "bagit.txt", f"BagIt 版本为“{report.bagit_version or '未写明'}”，应为 {BAGIT_VERSION}")

    if "manifest-sha256.txt" not in members:
        report.add(STRUCTURE, "manifest-sha256.txt", "缺少清单文件 manifest-sha256.txt，无法核对内容")
        return {}

    if "bag-info.txt" in members:
        raw = reader.tag(members["bag-info.txt"], "bag-info.txt")
        report.info = _parse_tags(raw.decode("utf-8", "replace")) if raw is not None else {}

    listed: set[str] = set()
    for manifest in manifests:
        algorithm = re.fullmatch(r"manifest-(\w+)\.txt", manifest).group(1)
        if algorithm not in _SUPPORTED:
            report.add(STRUCTURE, manifest, f"不支持的校验算法 {algorithm}")
            continue
        raw = reader.tag(members[manifest], manifest)
        if raw is None:
            continue
        for rel, digest in _manifest_entries(raw.decode("utf-8", "replace"), algorithm, manifest, report):
            if not rel.startswith("data/"):
                report.add(STRUCTURE, rel, "清单中的路径不在 data/ 之内")
                continue
            listed.add(rel)
            member = members.get(rel)
            if member is None:
                report.add(MISSING, rel, "清单中有，包中缺少此文件")
                continue
            try:
                found = reader.hash(member, algorithm)
            except _READ_ERRORS as err:
                report.add(CHECKSUM, rel, f"无法读出（{_read_error(err)}）")
                continue
            if algorithm == "sha256":
                report.hashes[rel] = found
            if found != digest:
                report.add(CHECKSUM, rel, f"校验值应为 {digest[:12]}…，实为 {found[:12]}…")

    payload = [n for n in members if n.startswith("data/")]
    report.payload_files = len(payload)
    report.payload_bytes = sum(members[n].file_size for n in payload)
    for rel in sorted(payload):
        if rel not in listed:
            report.add(EXTRA, rel, "包中有，清单中没有（可能是后加入的文件）")

    _check_sm3(members, reader, report, payload)

    tag_listed: set[str] = set()
    for tagmanifest in tagmanifests:
        algorithm = re.fullmatch(r"tagmanifest-(\w+)\.txt", tagmanifest).group(1)
        if algorithm not in _SUPPORTED:
            continue
        raw = reader.tag(members[tagmanifest], tagmanifest)
        if raw is None:
            continue
        for rel, digest in _manifest_entries(raw.decode("utf-8", "replace"), algorithm, tagmanifest, report):
            tag_listed.add(rel)
            if rel not in members:
                report.add(MISSING, rel, "标签清单中有，包中缺少此文件")
                continue
            try:
                found = reader.hash(members[rel], algorithm)
            except _READ_ERRORS as err:
                report.add(TAG, rel, f"无法读出（{_read_error(err)}）")
                continue
            if found != digest:
                report.add(TAG, rel, "与标签清单（tagmanifest）记录的校验值不符")
    if not tagmanifests:
        report.add(STRUCTURE, "tagmanifest-sha256.txt", "缺少标签清单，bag-info.txt 与清单本身无法核对")
    for rel in sorted(members):
        if rel.startswith("data/") or rel in tag_listed or rel in tagmanifests:
            continue
        if tagmanifests:
            report.add(EXTRA, rel, "包中有，标签清单中没有（可能是后加入的文件）")

    oxum = report.info.get("Payload-Oxum")
    if oxum:
        try:
            octets, count = (int(x) for x in oxum.split(".", 1))
        except ValueError:
            report.add(OXUM, "bag-info.txt", f"Payload-Oxum“{oxum}”格式不对")
        else:
            if (octets, count) != (report.payload_bytes, report.payload_files):
                report.add(OXUM, "bag-info.txt",
                           f"应有 {count} 个文件共 {octets} 字节，实有 {report.payload_files} 个共 {report.payload_bytes} 字节")

    _read_listing(members, reader, report)
    if report.pack is not None:
        return _check_listing(report, payload)
    return {rel: ("", "") for rel in payload if rel != CATALOG_PATH and rel != MERGED_PATH}


def _check_sm3(members: dict, reader: _Reader, report: VerifyReport, payload: list[str]) -> None:
    """fupin-sm3.txt: every payload file listed once, with the SM3 its bytes have."""
    if SM3_TAG_FILE not in members:
        report.notes.append(f"材料包中没有 SM3 摘要清单（{SM3_TAG_FILE}），多为本程序支持国密 SM3 之前生成的材料包："
                            "只核对了校验值")
        return
    raw = reader.tag(members[SM3_TAG_FILE], SM3_TAG_FILE)
    if raw is None:
        return
    listed: set[str] = set()
    for rel, digest in _manifest_entries(raw.decode("utf-8", "replace"), "sm3", SM3_TAG_FILE, report):
        if not rel.startswith("data/"):
            report.add(STRUCTURE, SM3_TAG_FILE, f"SM3 摘要清单中的路径“{rel}”不在 data/ 之内")
            continue
        listed.add(rel)
        member = members.get(rel)
        if member is None:
            report.add(MISSING, rel, f"SM3 摘要清单（{SM3_TAG_FILE}）中有，包中缺少此文件")
            continue
        try:
            found = reader.hash(member, "sm3")
        except _READ_ERRORS as err:
            report.add(CHECKSUM, rel, f"无法读出（{_read_error(err)}）")
            continue
        report.sm3_hashes[rel] = found
        if found != digest:
            report.add(CHECKSUM, rel, f"SM3 摘要应为 {digest[:12]}…，实为 {found[:12]}…")
        else:
            report.sm3_checked += 1
    for rel in sorted(payload):
        if rel not in listed:
            report.add(STRUCTURE, rel, f"SM3 摘要清单（{SM3_TAG_FILE}）中没有此文件")


def _read_listing(members: dict, reader: _Reader, report: VerifyReport) -> None:
    """fupin-pack.json into report.pack (None when missing or malformed) and the chain head."""
    if PACK_TAG_FILE not in members:
        report.add(STRUCTURE, PACK_TAG_FILE,
                   "材料包不完整：缺少材料清单（fupin-pack.json），无法确认包中每个文件属于哪一件档案、"
                   "建包时档案的状态；请向报送单位索取原始材料包")
        return
    raw = reader.tag(members[PACK_TAG_FILE], PACK_TAG_FILE)
    if raw is None:
        return
    try:
        data = json.loads(raw.decode("utf-8"))
    except (ValueError, RecursionError):
        report.add(STRUCTURE, PACK_TAG_FILE, "材料清单（fupin-pack.json）已损坏，内容无法读出")
        return
    problems, head = check_listing(data)
    for text in problems:
        report.add(STRUCTURE, PACK_TAG_FILE, f"材料清单（fupin-pack.json）格式不对：{text}")
    if problems:
        return
    report.pack = data
    report.items = len(data["items"])
    info_head = report.info.get(HEAD_INFO_KEY)
    if head is None:
        report.add(STRUCTURE, PACK_TAG_FILE,
                   "材料包不完整：材料清单中没有建包时的档案链头，无法确认建包后档案未被改写"
                   "（较早版本生成的材料包没有此项，请用档案重新生成材料包）")
    else:
        report.archive_head = head_text(*head)
    if info_head is None:
        report.add(STRUCTURE, "bag-info.txt", f"材料包不完整：bag-info.txt 中没有建包时的档案链头（{HEAD_INFO_KEY}）")
    elif head is not None and parse_head_text(info_head) != head:
        report.add(STRUCTURE, "bag-info.txt",
                   f"bag-info.txt 记录的建包时档案链头“{info_head[:80]}”与材料清单中的“{report.head_short}”不一致")


def _check_listing(report: VerifyReport, payload: list[str]) -> dict[str, tuple[str, str]]:
    """The listing against the bag: every payload file is the 目录, the merge, or one
    file of one item, with the listed hash. Returns payload path → (档号, role)."""
    already = {problem.path for problem in report.problems}  # one finding per damaged file
    owner: dict[str, str] = {}  # payload path → who claims it, for messages
    sm3_gone: list[str] = []  # reported once: the listing has SM3 but fupin-sm3.txt is gone
    archive_nos: dict[str, tuple[str, str]] = {}

    def claim(rel: str, who: str) -> bool:
        if rel in owner:
            report.add(STRUCTURE, rel, f"材料清单（{PACK_TAG_FILE}）把此文件列了两次（{owner[rel]}、{who}）")
            return False
        owner[rel] = who
        return True

    for rel, who in ((CATALOG_PATH, "目录"), (report.pack.get("merged"), "合并打印本")):
        if rel and claim(rel, who) and rel not in report.hashes and rel not in already:
            report.add(MISSING, rel, f"材料清单（{PACK_TAG_FILE}）列出了{who}，包中却没有")
    for n, entry in enumerate(report.pack["items"], 1):
        for listed in entry["files"]:
            rel, expected = listed["path"], listed["sha256"]
            if not claim(rel, f"第 {n} 件 {entry['archive_no']}"):
                continue
            archive_nos[rel] = (entry["archive_no"], listed["role"])
            if rel in already:
                continue
            found = report.hashes.get(rel)
            found_sm3, listed_sm3 = report.sm3_hashes.get(rel), listed.get("sm3")
            if found is None:
                report.add(MISSING, rel, f"材料清单（{PACK_TAG_FILE}）列出了此文件，包中却没有")
            elif found != expected:
                report.add(CHECKSUM, rel, f"与材料清单（{PACK_TAG_FILE}）记录的校验值不符")
            elif listed_sm3 and found_sm3 and found_sm3 != listed_sm3:
                report.add(CHECKSUM, rel, f"与材料清单（{PACK_TAG_FILE}）记录的 SM3 摘要不符")
            elif listed_sm3 and SM3_TAG_FILE not in report._members and not sm3_gone:
                sm3_gone.append(rel)
                report.add(STRUCTURE, SM3_TAG_FILE, f"材料清单（{PACK_TAG_FILE}）记有各文件的 SM3 摘要，"
                                                    f"包中却没有 SM3 摘要清单（{SM3_TAG_FILE}）：材料包被改动过")
    for rel in sorted(payload):
        if rel not in owner and rel not in already:
            report.add(EXTRA, rel, f"材料清单（{PACK_TAG_FILE}）中没有此文件，不知它属于哪一件档案")
    return archive_nos


# --- against the archive -----------------------------------------------------------------


def _archive_no_from_name(rel: str, items: dict) -> str:
    """The 档号 in a payload file name ``0001_<档号>_<题名>.ext`` (packs name files so)."""
    from .names import clean_part

    match = re.match(r"\d+_([^_]+?)(?:_.*|\.[^.]*)?$", rel[len("data/"):])
    if not match:
        return ""
    part = match.group(1)
    if part in items:
        return part
    return next((no for no in items if clean_part(no) == part), part)


def _verify_against_archive(report: VerifyReport, archive_nos: dict[str, tuple[str, str]], workspace,
                            archive) -> None:
    """The archive's chain holds the pack's head, and every payload file is what the
    archive recorded for its 档号. ARCHIVE_NOS: payload path → (档号, role), '' where
    only the file name can tell."""
    from .build import archived_hashes, rendition_hashes, rendition_sm3

    try:
        if archive is None:
            if not workspace.archive_dir.is_dir():
                report.archive_note = "本工作目录还没有档案"
                return
            from ..archive import Archive

            archive = Archive(workspace)
        chain = archive.catalog.check_chain()
        if not chain.exists:
            report.archive_note = "本工作目录的档案中还没有任何材料"
            return
        items = {item.archive_no: item for item in archive.items(include_withdrawn=True)}
    except (FupinError, OSError, ValueError) as err:
        report.add(ARCHIVE, "", f"无法读取本工作目录的档案（{err if isinstance(err, FupinError) else _read_error(err)}），材料包未能与档案核对", HINT_ARCHIVE_VERIFY)
        return
    report.checked_against = CHECKED_ARCHIVE
    if chain.problems:
        shown = "；".join(str(p) for p in chain.problems[:3])
        report.add(ARCHIVE, "", f"本工作目录的档案本身已损坏或被改动（{shown}），不能据此证明材料包完好",
                   HINT_ARCHIVE_VERIFY)

    at_head = None  # the archive's items as they were at the pack's chain head
    if report.archive_head:
        seq, _, digest = report.archive_head.partition(":")
        seq = int(seq)
        record = next((e for e in chain.events if e.get("seq") == seq), None)
        if record is not None and record.get("hash") == digest:
            from ..archive.item import fold_events

            at_head = fold_events([e for e in chain.events if _seq(e) is not None and _seq(e) <= seq])
        trouble = chain_holds(chain.events, ChainHead(seq, digest))  # the rule anchors and the index use
        if trouble:
            report.add(ANCHOR, "", f"建包{trouble}；建包后档案被改写过，或者材料包不是由本工作目录的档案生成的",
                       HINT_OTHER_ARCHIVE)

    if at_head is not None and report.pack is not None and not chain.problems:
        _check_items_at_head(report, chain.events, seq, at_head)
    else:
        at_head = None  # a damaged chain (reported above) cannot say what the items were

    for rel in sorted(archive_nos):
        found = report.hashes.get(rel)
        if found is None:
            continue  # missing or unreadable: already reported
        archive_no, role = archive_nos[rel]
        archive_no = archive_no or _archive_no_from_name(rel, items)
        item = items.get(archive_no)
        if item is None:
            if archive_no and archive_no not in report.archive_unknown:
                report.archive_unknown.append(archive_no)
            what = f"档号“{archive_no}”" if archive_no else "此文件对应的档号"
            report.add(ARCHIVE, rel, f"本工作目录的档案中没有{what}", HINT_OTHER_ARCHIVE)
            continue
        if role == "original":
            known = {item.sha256} if item.sha256 else set()
        elif role == "rendition":
            known = set(rendition_hashes(item).values())
        else:
            known = archived_hashes(item)
        if not known:
            report.add(ARCHIVE, rel, f"档案中没有记录 {archive_no} 的校验值，无法核对")
            continue
        report.archive_checked += 1
        if found not in known:
            what = "原件" if role == "original" else ("转换版" if role == "rendition" else "任何文件")
            report.add(ARCHIVE, rel, f"与档案中 {archive_no} 的{what}不相同（档案记录的校验值为 "
                                     f"{'、'.join(sorted(h[:12] + '…' for h in known))}，包中为 {found[:12]}…）")
            continue
        recorded_sm3 = item.sm3 if found == item.sha256 else rendition_sm3(item).get(found)
        found_sm3 = report.sm3_hashes.get(rel)
        if recorded_sm3 and found_sm3 and found_sm3 != recorded_sm3:
            report.add(ARCHIVE, rel, f"SM3 摘要与档案中 {archive_no} 记录的不同（档案记录为 {recorded_sm3[:12]}…，"
                                     f"包中为 {found_sm3[:12]}…）")

    if at_head is not None:  # after the files: a file found damaged is not blamed on the 目录 too
        _check_generated(report, at_head, items)


def _seq(event) -> int | None:
    seq = event.get("seq") if isinstance(event, dict) else None
    return seq if isinstance(seq, int) and not isinstance(seq, bool) else None


def _check_items_at_head(report: VerifyReport, events: list, head_seq: int, at_head: dict) -> None:
    """Every packed item was on file at the pack's chain head (its 'add' record, which
    also records its renditions, is at or before it), with the title the listing gives.

    A head moved back by hand (an earlier record's real hash) still "holds"; only
    the items it would have to cover show that it was moved."""
    added: dict[str, int] = {}  # 档号 → seq of its first 'add' record
    for event in events:
        if event.get("action") == "add" and _seq(event) is not None:
            archive_no = (event.get("detail") or {}).get("archive_no")
            if isinstance(archive_no, str):
                added.setdefault(archive_no, _seq(event))
    for n, entry in enumerate(report.pack["items"], 1):
        archive_no = entry["archive_no"]
        where = f"第 {n} 件 {archive_no}"
        item = at_head.get(archive_no)
        if item is None:
            filed = added.get(archive_no)
            if filed is not None:
                report.add(ANCHOR, PACK_TAG_FILE,
                           f"{where}在档案第 {filed} 条记录才归档，材料清单记录的建包时档案链头却是第 {head_seq} 条："
                           "建包时的链头被人改早了（或材料清单被改动过），材料包不能作为证明")
            elif not entry["files"]:  # an item with files is named file by file below
                report.add(ARCHIVE, PACK_TAG_FILE, f"本工作目录的档案中没有{where}", HINT_OTHER_ARCHIVE)
            continue
        title = entry.get("title")
        if not isinstance(title, str) or title != (item.title or ""):
            report.add(ARCHIVE, PACK_TAG_FILE,
                       f"{where}的题名在材料清单中为“{_short(title)}”，建包时档案中为“{_short(item.title)}”："
                       "材料清单被改动过")


def _short(value, limit: int = 60) -> str:
    text = "空" if value is None else str(value)
    return text if len(text) <= limit else text[:limit] + "…"


# --- the generated files: the 目录 and the 合并打印本 --------------------------------------

# An unpacked 档号 in the 目录's table (the archive's own form, numbering.ARCHIVE_NO_RE).
_ARCHIVE_NO_IN_TEXT = re.compile(r"[A-Za-z0-9]+-[A-Za-z0-9]+·\d{4}-(?:Y|D30|D10)-[A-Za-z0-9]+-\d{4}")


def _flat(text) -> str:
    """TEXT as compared in a PDF's extracted text: NFKC, every whitespace removed."""
    return "".join(unicodedata.normalize("NFKC", str(text or "")).split())


def _pdf(data: bytes):
    """A PdfReader over DATA; ValueError when it cannot be read (damaged or locked)."""
    import io
    import logging

    from pypdf import PdfReader

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    reader = PdfReader(io.BytesIO(data), strict=False)
    if reader.is_encrypted and not reader.decrypt(""):
        raise ValueError("已加密")
    len(reader.pages)
    return reader


def _page_texts(reader) -> list[str]:
    return [_flat(page.extract_text()) for page in reader.pages]


def _check_generated(report: VerifyReport, at_head: dict, items: dict) -> None:
    """The 目录 and the 合并打印本 are made at build time, not archived: check what
    they say against the listing (itself checked against the archive)."""
    already = {problem.path for problem in report.problems}
    members = report._members
    merged = report.pack.get("merged")
    todo = [rel for rel in (CATALOG_PATH, merged) if rel and rel in members and rel not in already]
    if not todo:
        return
    try:
        zf = zipfile.ZipFile(report.path)
    except _READ_ERRORS as err:
        report.add(STRUCTURE, "", f"材料包无法再次读出（{_read_error(err)}）")
        return
    with zf:
        for rel in todo:
            what = "目录" if rel == CATALOG_PATH else "合并打印本"
            try:
                reader = _pdf(zf.read(members[rel]))
                if rel == CATALOG_PATH:
                    _check_catalog(report, _page_texts(reader), at_head, items)
                else:
                    _check_merged(report, zf, reader)
            except Exception as err:  # a forged PDF can fail pypdf in any way
                if isinstance(err, (KeyboardInterrupt, SystemExit)):
                    raise
                report.add(CHECKSUM, rel, f"{what} PDF 无法读出（{_read_error(err)}），不能确认其内容")


def _check_catalog(report: VerifyReport, pages: list[str], at_head: dict, items: dict) -> None:
    """The 目录 lists every packed item (档号, 题名, each file's SHA-256 start and, in a
    pack that lists SM3, its SM3 start) in the listing's order, and no 档号 that is not packed."""
    from .build import _text
    from .catalog import COLUMNS, OLD_COLUMNS, SHA_PREFIX
    from .select import _iso

    rel = CATALOG_PATH
    damaged = {problem.path for problem in report.problems}
    text = "".join(pages)
    entries = report.pack["items"]
    table_head = _flat("".join(COLUMNS))
    start = text.find(table_head)
    if start < 0:  # a 目录 printed before SM3 was kept
        table_head = _flat("".join(OLD_COLUMNS))
        start = text.find(table_head)
    if start < 0:
        report.add(CHECKSUM, rel, "目录中没有材料列表（表头不全）：目录不是本程序生成的，或已被改动")
        return
    if _flat(f"材料数量{len(entries)}件") not in text[:start]:
        report.add(CHECKSUM, rel, f"目录写的材料件数与材料清单的 {len(entries)} 件不符：目录已被改动")
    table = text[start + len(table_head):]
    rows: list[int] = []  # per item: where its row starts in the table
    pos = 0
    for n, entry in enumerate(entries, 1):
        no = _flat(entry["archive_no"])
        where = f"第 {n} 件 {entry['archive_no']}"
        # the row's cells up to 页数, as the build wrote them from the item (at the pack's head)
        item = at_head.get(entry["archive_no"])
        cells = [str(n), entry["archive_no"]]
        if item is not None:
            cells += [_text(getattr(item, "doc_number", None)),
                      _text(getattr(item, "issuer", None) or getattr(item, "unit", None)),
                      item.title or "", _iso(getattr(item, "date", None)), _text(getattr(item, "secrecy", None)),
                      str(item.pages) if getattr(item, "pages", None) else ""]
        at = table.find(_flat("".join(cells)), pos)
        if at < 0:
            if table.find(no, pos) < 0:
                report.add(CHECKSUM, rel, f"目录中缺少{where}（或次序与材料清单不同）：目录已被改动")
                return
            report.add(CHECKSUM, rel, f"目录中{where}的题名、文号、责任者、日期等与档案记录（建包时）不符：目录已被改动")
            at = table.find(no, pos)
        rows.append(at)
        pos = at + len(no)
    for n, (entry, at) in enumerate(zip(entries, rows), 1):
        row = table[at:rows[n] if n < len(rows) else len(table)]
        for listed in entry["files"]:
            if listed["path"] in damaged:
                continue  # the file itself is reported
            if _flat(listed["sha256"][:SHA_PREFIX]) not in row:
                report.add(CHECKSUM, rel, f"目录中第 {n} 件 {entry['archive_no']} 的文件校验值与包中文件不符："
                                          "目录已被改动")
                break
            if listed.get("sm3") and _flat(listed["sm3"][:SHA_PREFIX]) not in row:
                report.add(CHECKSUM, rel, f"目录中第 {n} 件 {entry['archive_no']} 的文件 SM3 摘要与包中文件不符："
                                          "目录已被改动")
                break
    # nothing else claims an item: blank the packed 档号, then look for any other
    rest = table
    for no in sorted({_flat(e["archive_no"]) for e in entries}, key=len, reverse=True):
        rest = rest.replace(no, "|")
    others = set(_ARCHIVE_NO_IN_TEXT.findall(rest))
    others |= {no for no in {*at_head, *items} if _flat(no) and _flat(no) in rest}
    if others:
        shown = "、".join(sorted(others)[:5]) + (f" 等 {len(others)} 个" if len(others) > 5 else "")
        report.add(CHECKSUM, rel, f"目录中列有包中没有的档号 {shown}：目录已被改动")


def _check_merged(report: VerifyReport, zf: zipfile.ZipFile, merged) -> None:
    """The 合并打印本 is every packed PDF in the listing's order, nothing added: its page
    count is theirs, each item's page range is the one listed, and every page carries
    its 档号 stamp (merge.stamp_text) and the text of the page it copies."""
    from .merge import stamp_text

    rel = report.pack["merged"]
    members = report._members
    owners: list[tuple[str, object]] = []  # per merged page: (档号, the packed PDF's page)
    for n, entry in enumerate(report.pack["items"], 1):
        pdf = next((f["path"] for f in entry["files"] if f["path"].lower().endswith(".pdf")), None)
        pages = []
        if pdf is not None and pdf in members:
            try:
                pages = list(_pdf(zf.read(members[pdf])).pages)
            except Exception as err:
                if isinstance(err, (KeyboardInterrupt, SystemExit)):
                    raise
                pages = []  # unreadable or locked: the build left it out of the merge
        expected = [len(owners) + 1, len(owners) + len(pages)] if pages else None
        listed = entry.get("merged_pages")
        if listed != expected:
            want = f"第 {expected[0]}–{expected[1]} 页" if expected else "不在合并打印本中"
            report.add(CHECKSUM, PACK_TAG_FILE,
                       f"材料清单中第 {n} 件 {entry['archive_no']} 在合并打印本中的页码与包中文件不符（应为{want}）")
        owners.extend((entry["archive_no"], page) for page in pages)
    total = len(owners)
    if len(merged.pages) != total:
        report.add(CHECKSUM, rel, f"合并打印本有 {len(merged.pages)} 页，包中各件 PDF 共 {total} 页：合并打印本已被改动")
        return
    bad: list[int] = []
    for number, (page, (archive_no, source)) in enumerate(zip(merged.pages, owners), 1):
        text = _flat(page.extract_text())
        own = _flat(source.extract_text())
        if _flat(stamp_text(number, total, archive_no)) not in text or (own and own not in text):
            bad.append(number)
    if bad:
        shown = "、".join(str(n) for n in bad[:10]) + (f" 等 {len(bad)} 页" if len(bad) > 10 else "")
        report.add(CHECKSUM, rel, f"合并打印本第 {shown}的档号页码戳记或文字与包中原文件不符：合并打印本已被改动")
