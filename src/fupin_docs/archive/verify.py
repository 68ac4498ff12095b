"""`archive verify`: the DA/T 70 四性检测 checks a program can make.

真实性 (authenticity): the journal's hash chain is intact, nothing cut off its end,
    each file's SHA-256 and SM3 (GB/T 32905) are what was recorded when it entered
    (the SM3 of an item filed before SM3 was kept: what its 'digest' record says;
    an item with none yet is a warning).
完整性 (integrity): every catalogued file and rendition is present with its size,
    required metadata is present and valid, 件号 have no gaps.
可用性 (usability): every file can be opened and is the format recorded;
    the search index is in step with the archive.
安全性 (security): stored files are read-only.
Problems mean damage (CLI exit 3); warnings are worth knowing but not damage.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass, field
from datetime import date

from ..hashing import file_digests, sha256_file
from .anchor import check_anchors
from .digest import lacks_sm3
from .extract import _IMAGE_MAGIC
from .item import DIGEST_ACTION, digest_problems, fold_events, record_problems
from .numbering import RETENTIONS, parse_archive_no, sequence_key


@dataclass
class VerifyReport:
    items: int = 0
    withdrawn: int = 0
    files_checked: int = 0
    sm3_checked: int = 0  # files whose SM3 was compared too
    hints: list = field(default_factory=list)  # keys (errors.py's hint keys) of the fixes the findings call for
    anchors: list = field(default_factory=list)  # anchors (remembered, then given) the chain was checked against

    @property
    def anchors_checked(self) -> int:
        return len(self.anchors)
    findings: list = field(default_factory=list)  # (category, severity, message)

    def problem(self, category: str, message: str) -> None:
        self.findings.append((category, "problem", message))

    def warn(self, category: str, message: str, hint: str | None = None) -> None:
        self.findings.append((category, "warning", message))
        if hint and hint not in self.hints:
            self.hints.append(hint)

    @property
    def problems(self) -> list[str]:
        return [f"【{cat}】{msg}" for cat, sev, msg in self.findings if sev == "problem"]

    @property
    def warnings(self) -> list[str]:
        return [f"【{cat}】{msg}" for cat, sev, msg in self.findings if sev == "warning"]

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_json(self) -> dict:
        """Stable keys: ok, items, withdrawn, files_checked, sm3_checked, anchors_checked,
        anchors[{seq, hash, at, written_to[]}], problems[], warnings[]
        (each {category, message}; category is 真实性/完整性/可用性/安全性)."""
        return {
            "ok": self.ok,
            "items": self.items,
            "withdrawn": self.withdrawn,
            "files_checked": self.files_checked,
            "sm3_checked": self.sm3_checked,
            "anchors_checked": self.anchors_checked,
            "anchors": [{key: a.get(key) for key in ("seq", "hash", "at", "written_to")} for a in self.anchors],
            "problems": [{"category": c, "message": m} for c, s, m in self.findings if s == "problem"],
            "warnings": [{"category": c, "message": m} for c, s, m in self.findings if s == "warning"],
        }


def _format_ok(path, fmt: str) -> bool:
    with open(path, "rb") as handle:
        head = handle.read(1024)
    if fmt == "pdf":
        return b"%PDF-" in head
    if fmt in ("docx", "xlsx"):
        return head.startswith(b"PK")
    if fmt in _IMAGE_MAGIC:
        return any(head.startswith(magic) for magic in _IMAGE_MAGIC[fmt])
    return True


def _check_file(report: VerifyReport, path, label: str, sha256: str, size: int, fmt: str,
                sm3_claims=()) -> None:
    """SM3_CLAIMS: [(seq of the record, "add" or "digest", sm3)] recorded for this file."""
    report.files_checked += 1
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        report.problem("完整性", f"{label} 的文件丢失：{path}")
        return
    except OSError as err:
        report.problem("可用性", f"{label} 的文件无法读取（{err.strerror}）：{path}")
        return
    if not stat.S_ISREG(info.st_mode):
        # a pipe, a device or a link in its place: never opened (a pipe would never end)
        report.problem("真实性", f"{label} 的文件被换成了链接、管道或设备，不是原来的文件：{path}")
        return
    try:
        actual_size = info.st_size
        if sm3_claims:
            actual, actual_sm3, _ = file_digests(path)
        else:
            actual, actual_sm3 = sha256_file(path), None
    except OSError as err:
        report.problem("可用性", f"{label} 的文件无法读取（{err.strerror}）：{path}")
        return
    if actual != sha256:
        report.problem("真实性", f"{label} 的文件内容已被改动：校验值应为 {sha256[:16]}…，现为 {actual[:16]}…")
        return
    if sm3_claims:
        report.sm3_checked += 1
    for seq, how, sm3 in sm3_claims:
        if sm3 == actual_sm3:
            continue
        if how == "add":
            report.problem("真实性", f"{label} 的文件与归档时记录的 SM3 摘要不符：应为 {sm3[:16]}…，"
                                   f"现为 {actual_sm3[:16]}…（校验值相符，两种摘要不一致：文件或记录被改动过）")
        else:
            report.problem("真实性", f"{label} 与审计日志第 {seq} 条补记的 SM3 摘要不符：记录为 {sm3[:16]}…，"
                                   f"文件实为 {actual_sm3[:16]}…（该补记记录不实，或文件被改动过）")
    if actual_size != size:
        report.problem("完整性", f"{label} 的文件大小应为 {size} 字节，现为 {actual_size} 字节")
    if not _format_ok(path, fmt):
        report.problem("可用性", f"{label} 的文件不是登记的格式 {fmt}")
    # The mode bits, not access(): root may write anything, and the archive is
    # checked for what it keeps, not for who runs the check.
    if stat.S_IMODE(path.stat().st_mode) & 0o222:
        report.warn("安全性", f"{label} 的文件不是只读的，建议恢复只读：chmod 444 {path}")


_SHA_RE = re.compile(r"^[0-9a-f]{64}$")


def item_label(item) -> str:
    """'Z001-WS·2020-D30-ZFB-0001《题名》（原文件名）': how a problem line names an item."""
    label = item.archive_no
    if item.title:
        label += f"《{item.title}》"
    if item.file_name:
        label += f"（{item.file_name}）"
    return label


def _check_metadata(report: VerifyReport, item) -> None:
    no = item_label(item)
    missing = [label for label, value in (("题名", item.title), ("文种", item.kind), ("格式", item.format),
                                          ("文件名", item.file_name), ("归档时间", item.added_at))
               if not value]
    if missing:
        report.problem("完整性", f"{no} 缺少必备元数据：{'、'.join(missing)}")
    if item.retention not in RETENTIONS:
        report.problem("完整性", f"{no} 的保管期限“{item.retention}”无效（应为 Y/D30/D10）")
    parts = parse_archive_no(item.archive_no)
    if parts and parts["retention"] != item.retention:
        report.problem("完整性", f"{no} 档号中的保管期限与元数据“{item.retention}”不一致")
    if not _SHA_RE.match(item.sha256 or ""):
        report.problem("完整性", f"{no} 的校验值元数据无效")
    if item.sm3 is not None and not _SHA_RE.match(item.sm3):
        report.problem("完整性", f"{no} 的 SM3 摘要元数据无效")
    if not isinstance(item.size, int) or item.size <= 0:
        report.problem("完整性", f"{no} 的文件大小元数据无效")
    if item.date:
        try:
            date.fromisoformat(item.date)
        except (TypeError, ValueError):
            report.problem("完整性", f"{no} 的日期“{item.date}”无效")
    if item.pages is not None and (not isinstance(item.pages, int) or item.pages < 0):
        report.problem("完整性", f"{no} 的页数“{item.pages}”无效")


def _orphans(report: VerifyReport, archive, referenced: set) -> None:
    if archive.objects_dir.exists():
        orphans = [path for path in archive.objects_dir.rglob("*")
                   if path.is_file() and path.name.split(".")[0] not in referenced]
        if orphans and not referenced:
            # Stored files and no record of any of them: the journal was emptied or
            # deleted, not an interrupted add.
            report.problem("真实性", f"存有 {len(orphans)} 个档案文件，但审计日志中没有任何归档记录："
                                   f"日志可能被删除或清空，请从备份恢复日志。如 {orphans[0].name}")
        elif orphans:
            report.warn("完整性", f"有 {len(orphans)} 个文件未登记在档（多为被中断的归档留下的），"
                                f"不影响档案；需要时可重新归档原文件。如 {orphans[0].name}")
    parts = list(archive.tmp_dir.glob("*.part")) if archive.tmp_dir.exists() else []
    if parts:
        size = sum(part.stat().st_size for part in parts) / 1048576
        report.warn("完整性", f"有 {len(parts)} 个未完成的归档临时文件（共 {size:.1f} MB，多为被中断的归档留下的），"
                            "不影响档案，下次归档时自动清理一小时前的临时文件")


def verify_archive(archive, anchors=()) -> VerifyReport:
    """Check the archive's catalog and files, and that the chain still holds every
    anchor the workspace remembers and every one in ANCHORS. The search index is
    checked by the caller that knows it (filing.verify)."""
    report = VerifyReport()
    chain = archive.catalog.check_chain()
    problems, warnings, checked = check_anchors(archive, chain.events, list(anchors))
    report.anchors = [anchor.to_json() for anchor in checked]
    for message in problems:
        report.problem("真实性", message)
    for message in warnings:
        report.warn("真实性", message)
    for message in chain.problems:
        report.problem("真实性", message)
    for message in chain.warnings:
        report.warn("完整性", message)
    if not chain.exists:
        _orphans(report, archive, set())
        return report
    events = chain.events
    items = fold_events(events)
    seen_nos: set = set()
    claims: dict = {}  # (档号, file's SHA-256) -> [(seq, "add"/"digest", sm3)]: every SM3 recorded for a file
    files_of: dict = {}  # 档号 -> the SHA-256 of its file and renditions, as filed
    for event in events:
        detail = event.get("detail") if isinstance(event.get("detail"), dict) else {}
        if event.get("action") == "add":
            malformed = record_problems(event.get("detail"))
            if malformed:
                report.problem("完整性", f"审计日志第 {event.get('seq')} 条归档记录格式不对（{'；'.join(malformed)}），"
                                      "该件无法读出：日志被改动过，请从备份恢复")
                continue
            no = detail.get("archive_no")
            seen_nos.add(no)
            files_of[no] = [detail["sha256"]] + [r["sha256"] for r in detail.get("renditions") or ()]
            for sha, sm3 in [(detail["sha256"], detail.get("sm3"))] + [
                    (r["sha256"], r.get("sm3")) for r in detail.get("renditions") or ()]:
                if isinstance(sm3, str):
                    claims.setdefault((no, sha), []).append((event.get("seq"), "add", sm3))
        elif event.get("action") == DIGEST_ACTION:
            no = detail.get("archive_no")
            malformed = digest_problems(detail)
            if no not in seen_nos:
                report.problem("真实性", f"审计日志第 {event.get('seq')} 条补记 SM3 摘要的记录指向不在档的档号"
                                      f"“{no}”：日志被改动过")
            elif malformed:
                report.problem("完整性", f"审计日志第 {event.get('seq')} 条补记 SM3 摘要的记录格式不对"
                                      f"（{'；'.join(malformed)}）：日志被改动过")
            else:
                given = ([(files_of[no][0], detail["sm3"])] if detail.get("sm3") else []) + [
                    (r["sha256"], r["sm3"]) for r in detail.get("renditions") or ()]
                for sha, sm3 in given:
                    if sha not in files_of[no]:
                        report.problem("真实性", f"审计日志第 {event.get('seq')} 条补记 SM3 摘要的记录列出了"
                                              f"{no} 没有的副本（校验值 {sha[:16]}…）：日志被改动过")
                    else:
                        claims.setdefault((no, sha), []).append((event.get("seq"), "digest", sm3))
        elif event.get("action") == "change":
            changes = detail.get("changes")
            if detail.get("archive_no") not in seen_nos:
                report.problem("完整性", f"审计日志第 {event.get('seq')} 条修改记录指向不在档的档号"
                                      f"“{detail.get('archive_no')}”")
            elif not isinstance(changes, dict) or not changes:
                report.problem("完整性", f"审计日志第 {event.get('seq')} 条修改记录没有修改内容")
    report.items = sum(1 for item in items.values() if not item.withdrawn)
    report.withdrawn = sum(1 for item in items.values() if item.withdrawn)
    by_key: dict = {}
    seen_sha: dict = {}
    for no, item in items.items():
        parts = parse_archive_no(no)
        if parts is None:
            report.problem("完整性", f"档号“{no}”不符合 DA/T 22 格式（全宗号-门类代码·年度-保管期限-机构代码-件号）")
        else:
            by_key.setdefault(sequence_key(no), []).append(parts["seq"])
        _check_metadata(report, item)
        if item.sha256 in seen_sha:
            report.warn("完整性", f"{item_label(item)} 与 {seen_sha[item.sha256]} 内容相同（重复归档）")
        seen_sha.setdefault(item.sha256, no)
        label = item_label(item)
        _check_file(report, archive.file_path(item), label, item.sha256, item.size, item.format,
                    claims.get((no, item.sha256), ()))
        for rendition, path in zip(item.renditions, archive.rendition_paths(item)):
            _check_file(report, path, f"{no}《{item.title}》的副本 {rendition.get('file_name')}",
                        rendition.get("sha256", ""), rendition.get("size", -1), rendition.get("format", ""),
                        claims.get((no, rendition.get("sha256", "")), ()))
    lacking = sorted(no for no, item in items.items() if lacks_sm3(item))
    if lacking:
        example = items[lacking[0]]
        report.warn("真实性", f"有 {len(lacking)} 件档案（如 {item_label(example)}）归档时本程序还不记录国密 SM3 摘要，"
                            "目前只能按校验值核对；为它们补记 SM3 摘要后，两种摘要都会核对", hint="archive.digest")
    for key, numbers in sorted(by_key.items()):
        expected = set(range(1, max(numbers) + 1))
        gaps = sorted(expected - set(numbers))
        prefix = f"{key[0]}-{key[1]}·{key[2]}-{key[3]}-{key[4]}"
        if gaps:
            shown = "、".join(f"{n:04d}" for n in gaps[:10])
            report.problem("完整性", f"{prefix} 的件号不连续，缺少 {shown}{' 等' if len(gaps) > 10 else ''}")
        if len(numbers) != len(set(numbers)):
            report.problem("完整性", f"{prefix} 有重复的件号")

    referenced = {item.sha256 for item in items.values()}
    referenced.update(r.get("sha256") for item in items.values() for r in item.renditions)
    _orphans(report, archive, referenced)
    return report
