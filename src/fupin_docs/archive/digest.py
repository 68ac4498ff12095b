"""SM3 for items filed before the archive kept it: one 'digest' record per item.

Items filed since record their SM3 (GB/T 32905) beside SHA-256 in their 'add'
record. An older item gains it by a record of its own appended to the chain,
{archive_no, sm3, renditions: [{file_name, sha256, sm3}]}, never by rewriting
its 'add' record: the history stays as it was, and the fold (item.apply_digest)
gives the item its SM3 from then on.

The bytes are read once for both digests; a file whose SHA-256 no longer
matches what was recorded when it was filed gets no SM3 (that would vouch for
damaged bytes) and is reported instead. The files are read outside the lock;
the records are appended under it, in batches, each for an item that still
lacks the digest, so running it again (or twice at once) adds nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..hashing import file_digests
from .errors import ArchiveError
from .item import DIGEST_ACTION, ArchiveItem

BATCH = 200  # records appended per hold of the lock: filings go on in between


def lacks_sm3(item: ArchiveItem) -> bool:
    """Whether ITEM's file or one of its renditions has no SM3 recorded."""
    return item.sm3 is None or any(isinstance(r, dict) and r.get("sm3") is None for r in item.renditions)


@dataclass
class DigestResult:
    recorded: list = field(default_factory=list)  # 档号 given their SM3 now, in order
    complete: int = 0  # items that had every SM3 already
    damaged: list = field(default_factory=list)  # (档号, why in Chinese): no SM3 recorded for them

    def to_json(self) -> dict:
        """Stable keys: recorded[] (档号), recorded_count, complete, damaged[{archive_no, message}]."""
        return {"recorded": list(self.recorded), "recorded_count": len(self.recorded), "complete": self.complete,
                "damaged": [{"archive_no": no, "message": why} for no, why in self.damaged]}


def _file_sm3(path, sha256: str, what: str) -> tuple[str | None, str | None]:
    """(sm3, None) for the file at PATH when its bytes still have SHA256; else (None, why)."""
    try:
        digests = file_digests(path)
    except FileNotFoundError:
        return None, f"{what}的文件丢失"
    except OSError as err:
        return None, f"{what}的文件无法读取（{err.strerror or err}）"
    if digests.sha256 != sha256:
        return None, f"{what}的文件内容与归档时记录的校验值不符，已被改动或损坏"
    return digests.sm3, None


def digest_detail(archive, item: ArchiveItem) -> tuple[dict | None, str | None]:
    """The 'digest' record ITEM needs (what it lacks, read from its files), or (None, why)
    when a file is missing or damaged."""
    detail: dict = {"archive_no": item.archive_no}
    if item.sm3 is None:
        sm3, why = _file_sm3(archive.file_path(item), item.sha256, "原件")
        if why:
            return None, why
        detail["sm3"] = sm3
    renditions = []
    for rendition, path in zip(item.renditions, archive.rendition_paths(item)):
        if rendition.get("sm3") is None:
            sm3, why = _file_sm3(path, rendition["sha256"], f"副本 {rendition.get('file_name')} ")
            if why:
                return None, why
            renditions.append({"file_name": rendition.get("file_name"), "sha256": rendition["sha256"], "sm3": sm3})
    detail["renditions"] = renditions
    return detail, None


def _append(archive, details: list[dict], who: str | None) -> list[str]:
    """Append DETAILS under the lock, each only for an item that exists and still lacks
    what it gives; returns the 档号 recorded."""
    done = []
    with archive.catalog.writing() as writer:
        for detail in details:
            item = writer.items.get(detail["archive_no"])
            if item is None:
                raise ArchiveError(f"档案中没有档号为“{detail['archive_no']}”的文件，不能为它补记摘要",
                                   hint="archive.list")
            wanted = {"archive_no": item.archive_no, "renditions": []}
            if item.sm3 is None and detail.get("sm3"):
                wanted["sm3"] = detail["sm3"]
            lacking = {r.get("sha256") for r in item.renditions if isinstance(r, dict) and r.get("sm3") is None}
            wanted["renditions"] = [r for r in detail.get("renditions") or () if r["sha256"] in lacking]
            if "sm3" not in wanted and not wanted["renditions"]:
                continue  # given meanwhile by another run
            writer.append(DIGEST_ACTION, wanted, who)
            done.append(item.archive_no)
    return done


def record_sm3(archive, archive_nos=None, *, who: str | None = None, progress=None) -> DigestResult:
    """Give every item (withdrawn ones too: their files are kept) that lacks an SM3 its
    'digest' record; ARCHIVE_NOS: only these (ArchiveError for one the archive lacks).
    PROGRESS(done, total) after each item read."""
    if archive_nos:
        items = [archive.require(no) for no in archive_nos]
        items = list({item.archive_no: item for item in items}.values())
    else:
        items = sorted(archive.items(include_withdrawn=True), key=lambda it: it.archive_no)
    result = DigestResult()
    todo = [item for item in items if lacks_sm3(item)]
    result.complete = len(items) - len(todo)
    pending: list[dict] = []
    for done, item in enumerate(todo, 1):
        detail, why = digest_detail(archive, item)
        if detail is None:
            result.damaged.append((item.archive_no, why))
        else:
            pending.append(detail)
        if len(pending) >= BATCH:
            result.recorded += _append(archive, pending, who)
            pending = []
        if progress is not None:
            progress(done, len(todo))
    if pending:
        result.recorded += _append(archive, pending, who)
    result.complete += len(todo) - len(result.recorded) - len(result.damaged)
    return result
