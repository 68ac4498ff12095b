"""Anchors: the chain's head written down outside the workspace.

The journal's hash chain proves that no record was changed *relative to the
others*; whoever can write the workspace can still rewrite every record and
recompute the chain. An anchor is the head (seq + hash) at one moment, kept
where that person cannot reach: a USB stick, another disk, the county server,
a printed 存证单 in a folder. Later, the chain must still hold that head (the
record with that number has that hash): if it does not, the journal was
rewritten, not appended to.

The workspace remembers every anchor made (archive/anchors.jsonl) and where it
was written, so `archive verify` checks them all and reads the copies it can
reach. That list is only a convenience: an attacker can edit it, but not the
copies elsewhere, and any anchor can be given to verify by hand.
"""

from __future__ import annotations

import json
import os
import re
import stat
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..atomic import atomic_write_bytes
from .catalog import ChainHead
from .errors import ArchiveDamaged, ArchiveError
from .journal import now_iso

ANCHOR_FORMAT = "fupin-anchor/1"
ANCHORS_FILE = "anchors.jsonl"
_HEAD_TEXT = re.compile(r"^\s*(\d+)\s*[:：]\s*([0-9a-fA-F]{64})\s*$")


@dataclass
class Anchor:
    seq: int  # the chain's last record number at the time
    hash: str  # that record's hash
    at: str = ""  # when (ISO time with zone)
    items: int = 0  # items on file then
    fonds: str = ""  # 全宗号
    office: str = ""  # 发文机关 / unit name, for the person reading the 存证单
    written_to: list = field(default_factory=list)  # where copies were written

    @property
    def head(self) -> ChainHead:
        return ChainHead(self.seq, self.hash)

    @property
    def qr_text(self) -> str:
        return f"{ANCHOR_FORMAT}:{self.fonds}:{self.seq}:{self.hash}"

    def to_json(self) -> dict:
        data = {"format": ANCHOR_FORMAT}
        data.update(asdict(self))
        return data


def make_anchor(archive, office: str = "") -> Anchor:
    head = archive.head()
    if head.seq == 0:
        raise ArchiveError("档案还是空的，没有可以存证的内容；请先归档文件")
    return Anchor(seq=head.seq, hash=head.hash, at=now_iso(), items=len(archive.items()),
                  fonds=archive.fonds, office=office)


def parse_anchor(text: str, where: str = "") -> Anchor:
    """An anchor from a copy's text (the JSON written by write_anchor), or from a head
    typed as seq:hash (what the 存证单 prints). ArchiveError saying what is wrong."""
    match = _HEAD_TEXT.match(text)
    if match:
        return Anchor(seq=int(match[1]), hash=match[2].lower())
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        data = None
    fields = {"at": str, "fonds": str, "office": str}
    if not isinstance(data, dict) or data.get("format") != ANCHOR_FORMAT \
            or not isinstance(data.get("seq"), int) or isinstance(data.get("seq"), bool) or data["seq"] < 1 \
            or not isinstance(data.get("hash"), str) or not re.fullmatch(r"[0-9a-f]{64}", data["hash"]) \
            or any(key in data and not isinstance(data[key], kind) for key, kind in fields.items()) \
            or not isinstance(data.get("items", 0), int) \
            or not (isinstance(data.get("written_to", []), list)
                    and all(isinstance(place, str) for place in data.get("written_to", []))):
        raise ArchiveError(f"{where or '给出的内容'}不是档案存证：应为存证文件，或存证单上印的“记录号:哈希”"
                           "（如 12:3f5a…，哈希为 64 位）")
    known = Anchor.__dataclass_fields__
    return Anchor(**{key: value for key, value in data.items() if key in known})


# An anchor copy is a few hundred bytes; anything larger is not one (and a
# device such as /dev/zero would never end).
MAX_COPY_BYTES = 64 * 1024


def _read_copy(path: Path) -> Anchor:
    """The anchor in the file at PATH: a regular file of sensible size, or ArchiveError."""
    try:
        info = os.stat(path)
    except OSError:
        raise ArchiveError(f"找不到存证文件“{path}”（U 盘未插入或已移走？）") from None
    if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_COPY_BYTES:
        raise ArchiveError(f"“{path}”不是档案存证文件（不是普通文件，或大得不像存证）")
    try:
        with open(path, "rb") as handle:
            text = handle.read(MAX_COPY_BYTES + 1).decode("utf-8")
    except (OSError, UnicodeDecodeError):
        raise ArchiveError(f"“{path}”不是档案存证：无法作为存证文件读取") from None
    return parse_anchor(text, f"“{path}”")


def read_anchors(given: str) -> list[Anchor]:
    """GIVEN is a seq:hash text, a path to an anchor copy, or a folder holding copies
    (what `archive anchor --to FOLDER` wrote there)."""
    if _HEAD_TEXT.match(given):
        return [parse_anchor(given)]
    path = Path(given)
    if path.is_dir():
        copies = sorted(p for p in path.glob("档案存证-*.json"))
        if not copies:
            raise ArchiveError(f"文件夹“{path}”中没有档案存证文件（档案存证-….json）")
        return [_read_copy(copy) for copy in copies]
    if not path.exists() and not path.is_symlink():
        raise ArchiveError(f"“{given}”不是档案存证：找不到这个存证文件；存证单上的核对写法应为“记录号:哈希”"
                           "（哈希为 64 位）")
    return [_read_copy(path)]


def chain_holds(events: list, head: ChainHead) -> str | None:
    """None when EVENTS (the journal's records) still hold HEAD; else what happened."""
    if head.seq <= 0:
        return None
    record = events[head.seq - 1] if head.seq <= len(events) and events[head.seq - 1].get("seq") == head.seq \
        else next((e for e in events if e.get("seq") == head.seq), None)
    if record is None:
        return f"当时档案日志已有 {head.seq} 条记录，现在只有 {len(events)} 条：日志被截短或删除过"
    if record.get("hash") != head.hash:
        return (f"当时档案日志第 {head.seq} 条记录的哈希为 {head.hash[:12]}…，现为 "
                f"{str(record.get('hash'))[:12]}…：此后日志被改写过（不是追加）")
    return None


def copy_name(anchor: Anchor, kind: str = "档案存证", suffix: str = ".json") -> str:
    day = anchor.at[:10] if anchor.at else "未知日期"
    return f"{kind}-{anchor.fonds or '档案'}-{day}-第{anchor.seq}条{suffix}"


def write_anchor(anchor: Anchor, place: str | Path) -> Path:
    """Write a copy of ANCHOR at PLACE (a folder: a file named by copy_name inside it)."""
    place = Path(place)
    target = place / copy_name(anchor) if place.is_dir() else place
    if not target.parent.is_dir() or (not place.is_dir() and target.suffix.lower() != ".json"):
        raise ArchiveError(f"存证位置“{place}”不存在（U 盘未插入？）：请给出一个已有的文件夹，"
                           "或一个以 .json 结尾的存证文件名")
    data = {key: value for key, value in anchor.to_json().items() if key != "written_to"}
    try:
        atomic_write_bytes(target, (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode("utf-8"))
    except OSError as err:
        raise ArchiveError(f"无法把存证写到“{target}”（{err.strerror or err}）：请检查 U 盘或文件夹是否可写") from None
    return target


def anchors_path(archive) -> Path:
    return archive.root / ANCHORS_FILE


def remember(archive, anchor: Anchor) -> None:
    """Add ANCHOR (with where it was written) to the workspace's list of anchors."""
    path = anchors_path(archive)
    lines = path.read_bytes() if path.exists() else b""
    line = json.dumps(anchor.to_json(), ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n"
    atomic_write_bytes(path, lines + line)


def known_anchors(archive, events: list) -> tuple[list[Anchor], list[str]]:
    """The anchors the workspace remembers (anchors.jsonl) and those the journal's own
    存证 records name, once each; and the problems found reading them."""
    path = anchors_path(archive)
    anchors, problems = [], []
    if path.exists() or path.is_symlink():
        try:
            info = os.lstat(path)
            if not stat.S_ISREG(info.st_mode):
                raise ValueError
            lines = path.read_bytes().decode("utf-8", errors="replace").splitlines()
        except (OSError, ValueError):
            problems.append(f"存证记录 {path.name} 不是普通文件，无法读取：工作目录被改动过")
            lines = []
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                anchors.append(parse_anchor(line))
            except ArchiveError:
                problems.append(f"存证记录 {path.name} 第 {number} 行无法读取：记录被改动过")
    remembered = {anchor.head for anchor in anchors}
    for event in events:
        detail = event.get("detail") if isinstance(event.get("detail"), dict) else {}
        if event.get("action") != "archive.anchor":
            continue
        try:
            anchor = parse_anchor(json.dumps({"format": ANCHOR_FORMAT, "at": event.get("at") or "",
                                              **{k: detail.get(k) for k in ("seq", "hash", "written_to")}}))
        except (ArchiveError, TypeError):
            problems.append(f"审计日志第 {event.get('seq')} 条存证记录格式不对")
            continue
        if anchor.head not in remembered:
            problems.append(f"审计日志第 {event.get('seq')} 条记有一份存证（第 {anchor.seq} 条），"
                            f"工作目录的存证记录 {path.name} 中却没有：存证记录被删改过")
            anchors.append(anchor)
            remembered.add(anchor.head)
    return anchors, problems


def check_anchors(archive, events: list, given: list[Anchor] = ()) -> tuple[list[str], list[str], list[Anchor]]:
    """(problems, warnings, anchors checked) for the remembered anchors, the copies
    they were written to (where reachable) and the anchors GIVEN."""
    warnings = []
    remembered, problems = known_anchors(archive, events)
    for anchor in remembered:
        label = f"{(anchor.at or '')[:19].replace('T', ' ')} 的存证（第 {anchor.seq} 条）"
        trouble = chain_holds(events, anchor.head)
        if trouble:
            problems.append(f"{label}：{trouble}")
        for place in anchor.written_to:
            try:
                copy = _read_copy(Path(place))
            except ArchiveError:
                warnings.append(f"{label} 的副本“{place}”现在无法读取（U 盘未插入或已移走？），未能核对该副本")
                continue
            if copy.head != anchor.head:
                problems.append(f"{label} 与其副本“{place}”（第 {copy.seq} 条 {copy.hash[:12]}…）不一致："
                                "工作目录中的存证记录被改动过")
            else:
                trouble = chain_holds(events, copy.head)
                if trouble and not problems[-1:] == [f"{label}：{trouble}"]:
                    problems.append(f"副本“{place}”：{trouble}")
    for anchor in given:
        trouble = chain_holds(events, anchor.head)
        if trouble:
            problems.append(f"给出的存证（第 {anchor.seq} 条 {anchor.hash[:12]}…）：{trouble}")
    return problems, warnings, remembered + list(given)


@dataclass
class Anchored:
    anchor: Anchor
    copies: list = field(default_factory=list)  # paths written
    sheet: Path | None = None  # the 存证单 PDF, when asked for


def anchor_archive(archive, places=(), sheet: str | Path | None = None, office: str = "",
                   who: str | None = None) -> Anchored:
    """Make an anchor of ARCHIVE now, write a copy to each of PLACES (folders or file
    paths: a USB stick, another disk, a shared folder), the 存证单 PDF to SHEET (a
    .pdf path, or a folder to put it in), log it in the journal and remember it for
    verify. A place that cannot be written is an ArchiveError before anything is
    remembered."""
    damage = archive.catalog.check_chain().problems
    if damage:
        raise ArchiveDamaged(f"档案审计日志已损坏，不能为它存证：{damage[0]}。请先核验档案、从备份恢复")
    anchor = make_anchor(archive, office)
    copies = [write_anchor(anchor, place) for place in places]
    anchor.written_to = [str(path.resolve()) for path in copies]
    sheet_path = None
    if sheet is not None:
        from .anchor_sheet import render_sheet

        sheet_path = Path(sheet)
        if sheet_path.suffix.lower() != ".pdf":
            sheet_path = sheet_path / copy_name(anchor, "档案存证单", ".pdf")
        atomic_write_bytes(sheet_path, render_sheet(anchor))
    remember(archive, anchor)
    archive.log_event("archive.anchor", {"seq": anchor.seq, "hash": anchor.hash, "written_to": anchor.written_to},
                      who=who)
    return Anchored(anchor, copies, sheet_path)
