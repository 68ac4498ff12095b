"""fupin-pack.json, the pack's own listing: what it holds, and the check that a
listing read from a zip someone handed over has that shape.

The listing is a tag file (covered by the tag manifest) and says, for every
payload file, which archive item (档号) it is and in which role (the item's
original or a PDF rendition) with its SHA-256 and SM3 (packs made before SM3
was kept list no SM3), plus the archive chain head (seq, hash) the pack
was built at. bag-info.txt carries the same head as ``Fupin-Archive-Head:
SEQ:HASH`` for people who read the bag without this program.
"""

from __future__ import annotations

import re

from .names import CATALOG_NAME, MERGED_NAME

PACK_TAG_FILE = "fupin-pack.json"  # machine-readable 目录, covered by the tag manifest
PACK_FORMAT = "fupin-pack/2"  # /2: carries archive_head
OLD_FORMATS = ("fupin-pack/1",)  # built before packs carried the chain head
HEAD_INFO_KEY = "Fupin-Archive-Head"  # bag-info.txt: SEQ:HASH

STATUS_OK = "ok"
STATUS_MISSING = "missing"  # file gone or unreadable
STATUS_DAMAGED = "damaged"  # file present but no longer matches its archived SHA-256
STATUSES = (STATUS_OK, STATUS_MISSING, STATUS_DAMAGED)
ROLES = ("original", "rendition")

CATALOG_PATH = f"data/{CATALOG_NAME}"
MERGED_PATH = f"data/{MERGED_NAME}"

_HEX64 = re.compile(r"[0-9a-f]{64}")
MAX_PROBLEMS = 20  # a hostile listing gets this many lines, then a count


def head_text(seq: int, digest: str) -> str:
    """The chain head as written in bag-info.txt: ``12:ab…`` (the full hash)."""
    return f"{seq}:{digest}"


def parse_head_text(text: str) -> tuple[int, str] | None:
    """``SEQ:HASH`` → (seq, hash); None when TEXT is not that."""
    match = re.fullmatch(r"\s*([1-9][0-9]{0,17}):([0-9a-f]{64})\s*", text or "")
    return (int(match.group(1)), match.group(2)) if match else None


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _head(value) -> tuple[int, str] | None:
    if not isinstance(value, dict):
        return None
    seq, digest = value.get("seq"), value.get("hash")
    if not (_is_int(seq) and seq >= 1 and isinstance(digest, str) and _HEX64.fullmatch(digest)):
        return None
    return seq, digest


def check_listing(data) -> tuple[list[str], tuple[int, str] | None]:
    """What is wrong with the shape of listing DATA (Chinese, one line each; empty
    when nothing), and the chain head it records (None when it records none)."""
    problems: list[str] = []

    def bad(text: str) -> None:
        problems.append(text)

    if not isinstance(data, dict):
        return ["整体结构不对：应为一份带“items”（材料列表）等项目的清单"], None
    fmt = data.get("format")
    if fmt != PACK_FORMAT and fmt not in OLD_FORMATS:
        bad(f"格式标识为“{_show(fmt)}”，应为“{PACK_FORMAT}”：不是本程序生成的材料清单")
    head = None
    if "archive_head" in data:
        head = _head(data["archive_head"])
        if head is None:
            bad("“archive_head”（建包时档案链头）应为序号和 64 位十六进制校验值")
    if data.get("catalog") != CATALOG_PATH:
        bad(f"“catalog”（目录文件）应为 {CATALOG_PATH}，实为“{_show(data.get('catalog'))}”")
    if data.get("merged") not in (None, MERGED_PATH):
        bad(f"“merged”（合并打印本）应为 {MERGED_PATH} 或空，实为“{_show(data.get('merged'))}”")
    items = data.get("items")
    if not isinstance(items, list):
        bad("“items”（材料列表）应为一列材料")
        items = []
    for n, item in enumerate(items, 1):
        if len(problems) > MAX_PROBLEMS:
            break
        if not isinstance(item, dict):
            bad(f"第 {n} 件材料应为一组带名称的项目，实为“{_show(item)}”")
            continue
        archive_no = item.get("archive_no")
        if not isinstance(archive_no, str) or not archive_no.strip():
            bad(f"第 {n} 件材料的“archive_no”（档号）应为文字，实为“{_show(archive_no)}”")
        status = item.get("status", STATUS_OK)
        if status not in STATUSES:
            bad(f"第 {n} 件材料的“status”（状态）应为 {'、'.join(STATUSES)} 之一，实为“{_show(status)}”")
        files = item.get("files")
        if not isinstance(files, list):
            bad(f"第 {n} 件材料的“files”（文件列表）应为一列文件")
            continue
        if status == STATUS_OK and not files:
            bad(f"第 {n} 件材料没有列出任何文件，却未注明缺失")
        if status in (STATUS_MISSING, STATUS_DAMAGED) and files:
            bad(f"第 {n} 件材料注明缺失，却列出了文件")
        for m, entry in enumerate(files, 1):
            where = f"第 {n} 件材料的第 {m} 个文件"
            if not isinstance(entry, dict):
                bad(f"{where}应为一组带名称的项目，实为“{_show(entry)}”")
                continue
            path = entry.get("path")
            if not isinstance(path, str) or not path.startswith("data/"):
                bad(f"{where}的“path”（包内路径）应为 data/ 下的文件名，实为“{_show(path)}”")
            if entry.get("role") not in ROLES:
                bad(f"{where}的“role”应为 original（原件）或 rendition（转换版），实为“{_show(entry.get('role'))}”")
            digest = entry.get("sha256")
            if not (isinstance(digest, str) and _HEX64.fullmatch(digest)):
                bad(f"{where}的校验值应为 64 位十六进制数字，实为“{_show(digest)}”")
            sm3 = entry.get("sm3")  # packs made before SM3 was kept have none
            if sm3 is not None and not (isinstance(sm3, str) and _HEX64.fullmatch(sm3)):
                bad(f"{where}的 SM3 摘要应为 64 位十六进制数字，实为“{_show(sm3)}”")
            size = entry.get("size", 0)
            if not (_is_int(size) and size >= 0):
                bad(f"{where}的“size”（字节数）应为整数，实为“{_show(size)}”")
    if len(problems) > MAX_PROBLEMS:
        problems = problems[:MAX_PROBLEMS] + [f"另有 {len(problems) - MAX_PROBLEMS} 处以上同类问题未列出"]
    return problems, head


def _show(value, limit: int = 40) -> str:
    """VALUE as a short piece of text for a message."""
    text = "空" if value is None else str(value)
    return text if len(text) <= limit else text[:limit] + "…"
