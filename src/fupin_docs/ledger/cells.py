"""Reading a sheet the way clerks make them: a Chinese header row, then data rows.

Header cells may carry spaces (any kind) or be in Traditional script; a title
row above the header is skipped. Errors are Problems at FILE:ROW:COLUMN
(1-based row and column numbers; the message names the cell, e.g. “D5”).
"""

from __future__ import annotations

import bisect
import os
import re
import stat
import zipfile
from xml.etree import ElementTree
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.utils.cell import column_index_from_string, coordinate_from_string, range_boundaries
from openpyxl.utils.exceptions import InvalidFileException

from ..inputs.problems import InputError, Problem
from .model import clean_label, first_control

HEADER_SEARCH_ROWS = 10  # a title row or two may sit above the header


@dataclass
class Sheet:
    file: str
    header_row: int
    columns: dict[str, int]  # canonical header name -> 1-based column
    rows: list[tuple[int, tuple]] = field(default_factory=list)  # (sheet row number, cell values)

    def cell(self, values: tuple, name: str) -> Any:
        col = self.columns.get(name)
        if col is None or col > len(values):
            return None
        return values[col - 1]

    def problem(self, row: int, name: str, message: str) -> Problem:
        col = self.columns.get(name, 1)
        return Problem(self.file, row, col, f"{get_column_letter(col)}{row}（{name}）{message}")


# Bounds on what an import reads, so that no file — damaged, odd or built to
# hurt — keeps the program busy or eats the memory (one town's 排查表 is ~1 MB).
MAX_FILE_BYTES = 64 * 1024 * 1024  # the .xlsx as stored
MAX_UNPACKED_BYTES = 256 * 1024 * 1024  # all its parts together, unpacked
MAX_PARTS = 4096
BOMB_RATIO = 200  # a part over BOMB_MIN_BYTES unpacking to more than this many times its packed size
BOMB_MIN_BYTES = 8 * 1024 * 1024
MAX_COLUMNS = 100  # columns read; the headers we know sit well within
MAX_DATA_ROWS = 100_000  # a county's households; more goes in several sheets
EXCEL_MAX_ROW = 1_048_576  # no sheet has rows beyond this

OLE2_MAGIC = bytes.fromhex("d0cf11e0a1b11ae1")  # Excel 97-2003 .xls, and password-protected .xlsx
ZIP_MAGIC = b"PK\x03\x04"
RESAVE = "请在 Excel/WPS 中打开后另存为 Excel 工作簿（*.xlsx）再导入"


def _refuse(file: str, message: str) -> InputError:
    return InputError([Problem(file, 1, 1, message)])


def _kind_of(head: bytes) -> str:
    """What a file that is not a zip looks like, for the message."""
    if head.startswith(OLE2_MAGIC):
        return ("不是有效的 .xlsx 文件，而是 Excel 97-2003 工作簿（.xls）或设置了打开密码的工作簿，只是扩展名为 .xlsx："
                "请在 Excel/WPS 中打开（有密码的先取消密码），另存为 Excel 工作簿（*.xlsx）再导入")
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith((b"<html", b"<!doctype", b"<table", b"<?xml")):
        return f"不是有效的 .xlsx 文件，而是网页或 XML 文件（常见于从业务系统下载的“Excel”）：{RESAVE}"
    try:
        head.decode("utf-8")
        is_text = True
    except UnicodeDecodeError as err:
        is_text = err.start > len(head) - 4  # cut in the middle of a character
    if is_text or b"," in head or b"\t" in head:
        return f"不是有效的 .xlsx 文件，而是文本文件（如 CSV），只是扩展名为 .xlsx：{RESAVE}"
    return f"不是有效的 .xlsx 文件（可能已损坏或是其他格式）：{RESAVE}"


def _check_zip(handle, file: str) -> None:
    """Refuse a zip whose parts would unpack to something huge (a zip bomb).

    The sizes come from the zip's directory; the reader never unpacks more than
    a part's recorded size, so checking them bounds what is read."""
    try:
        parts = zipfile.ZipFile(handle).infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError):
        raise _refuse(file, f"不是有效的 .xlsx 文件（可能已损坏或是其他格式）：{RESAVE}") from None
    if len(parts) > MAX_PARTS:
        raise _refuse(file, f"文件内部有 {len(parts)} 个部件，不像正常的工作簿（可能已损坏或是恶意构造的文件），"
                            f"不予导入：{RESAVE}")
    total = sum(part.file_size for part in parts)
    bomb = [part for part in parts if part.file_size > BOMB_MIN_BYTES
            and part.file_size > BOMB_RATIO * max(part.compress_size, 1)]
    if total > MAX_UNPACKED_BYTES or bomb:
        raise _refuse(file, f"文件解压后异常巨大（约 {total // (1024 * 1024)} MB，压缩比异常），"
                            f"可能已损坏或是恶意构造的文件（“压缩炸弹”），不予导入；"
                            f"如确是正常的表格，{RESAVE}，或拆分成几个较小的表分批导入")


def _open(path: Path, file: str):
    """The workbook (read-only) and the open file under it, or InputError saying what the file is."""
    if path.suffix.lower() != ".xlsx":
        if not path.exists():
            raise _refuse(file, "文件不存在，请检查文件名和路径")
        raise _refuse(file, f"只支持导入 .xlsx 文件：请在 Excel/WPS 中打开“{path.name}”，"
                            f"另存为 Excel 工作簿（*.xlsx），再导入 {path.with_suffix('.xlsx').name}")
    # O_NONBLOCK: opening a FIFO must not wait for a writer; fstat on what was opened,
    # so what is checked is what is read.
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise _refuse(file, "文件不存在，请检查文件名和路径") from None
    except IsADirectoryError:
        raise _refuse(file, "这是一个文件夹，不是 .xlsx 文件，请给出表格文件的路径") from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        what = "文件夹" if stat.S_ISDIR(info.st_mode) else "管道、设备或其他特殊文件"
        raise _refuse(file, f"不是普通文件（是{what}），无法导入：请给出保存在磁盘上的 .xlsx 表格文件")
    if hasattr(os, "set_blocking"):
        os.set_blocking(fd, True)
    handle = os.fdopen(fd, "rb")
    try:
        if info.st_size > MAX_FILE_BYTES:
            raise _refuse(file, f"文件有 {info.st_size // (1024 * 1024)} MB，超过导入上限 "
                                f"{MAX_FILE_BYTES // (1024 * 1024)} MB：请删去无关的工作表、图片，"
                                f"或拆分成几个表分批导入")
        head = handle.read(512)
        if not head.startswith(ZIP_MAGIC):
            raise _refuse(file, "文件是空的，请确认选对了文件" if not head else _kind_of(head))
        _check_zip(handle, file)
        handle.seek(0)
        try:
            workbook = load_workbook(handle, read_only=True, data_only=True)
        except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError, TypeError,
                SyntaxError):  # SyntaxError: the XML parsers' ParseError
            raise _refuse(file, f"不是有效的 .xlsx 文件（可能已损坏或是其他格式）：{RESAVE}") from None
        if not workbook.worksheets:
            workbook.close()
            raise _refuse(file, f"工作簿里没有工作表：{RESAVE}")
    except BaseException:
        handle.close()
        raise
    return workbook, handle


_SHEET_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_DOC_REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
# Either thing worth a second look at the sheet's XML (with or without a namespace prefix).
_WORTH_SCANNING = re.compile(rb"<(?:\w+:)?(?:f|mergeCell)[\s>/]")


def _part_path(base: str, target: str) -> str:
    if target.startswith("/"):
        return target.lstrip("/")
    folder = base.rsplit("/", 1)[0] if "/" in base else ""
    parts: list[str] = []
    for piece in f"{folder}/{target}".split("/"):
        if piece == "..":
            if parts:
                parts.pop()
        elif piece and piece != ".":
            parts.append(piece)
    return "/".join(parts)


def _rels(archive: zipfile.ZipFile, part: str) -> dict[str, tuple[str, str]]:
    folder, _, name = part.rpartition("/")
    rels_name = f"{folder}/_rels/{name}.rels" if folder else f"_rels/{name}.rels"
    root = ElementTree.fromstring(archive.read(rels_name))
    return {rel.get("Id"): (rel.get("Type", ""), _part_path(part, rel.get("Target", "")))
            for rel in root.iter(f"{_REL_NS}Relationship")}


def _first_worksheet(archive: zipfile.ZipFile) -> Optional[str]:
    """The part of the workbook's first worksheet (the one openpyxl's worksheets[0] reads)."""
    root_rels = _rels(archive, "")  # _rels/.rels
    book = next((target for kind, target in root_rels.values() if kind.endswith("/officeDocument")), None)
    if book is None:
        return None
    rels = _rels(archive, book)
    for sheet in ElementTree.fromstring(archive.read(book)).iter(f"{_SHEET_NS}sheet"):
        kind, target = rels.get(sheet.get(f"{_DOC_REL_NS}id"), ("", ""))
        if kind.endswith("/worksheet"):
            return target
    return None


def _coordinate(ref: str) -> Optional[tuple[int, int]]:
    try:
        col, row = coordinate_from_string(ref)
        return row, column_index_from_string(col)
    except (ValueError, TypeError):
        return None


def _scan_sheet(handle) -> tuple[list[tuple[int, int, int, int]], set[tuple[int, int]]]:
    """What openpyxl's read-only rows do not show: merged ranges (min_row, min_col,
    max_row, max_col) and the cells holding a formula with no saved result."""
    merges: list[tuple[int, int, int, int]] = []
    formulas: set[tuple[int, int]] = set()
    try:
        archive = zipfile.ZipFile(handle)
        part = _first_worksheet(archive)
        if part is None:
            return merges, formulas
        with archive.open(part) as stream:  # cheap pass first: most sheets have neither
            tail, found = b"", False
            while chunk := stream.read(1 << 20):
                if _WORTH_SCANNING.search(tail + chunk):
                    found = True
                    break
                tail = chunk[-32:]
        if not found:
            return merges, formulas
        with archive.open(part) as stream:
            sheet_data = None
            for event, element in ElementTree.iterparse(stream, events=("start", "end")):
                tag = element.tag.rsplit("}", 1)[-1]
                if event == "start":
                    if tag == "sheetData":
                        sheet_data = element
                    continue
                if tag == "c":
                    has_formula = has_value = False
                    for child in element:
                        name = child.tag.rsplit("}", 1)[-1]
                        has_formula |= name == "f"
                        has_value |= name in ("v", "is") and bool("".join(child.itertext()))
                    where = _coordinate(element.get("r", ""))
                    if has_formula and not has_value and where and where[1] <= MAX_COLUMNS:
                        formulas.add(where)
                elif tag == "row" and sheet_data is not None:
                    sheet_data.clear()  # keep memory flat: rows are not needed once seen
                elif tag == "mergeCell":
                    try:
                        min_col, min_row, max_col, max_row = range_boundaries(element.get("ref", ""))
                    except (ValueError, TypeError):
                        continue
                    if None not in (min_col, min_row, max_col, max_row):
                        merges.append((min_row, min_col, max_row, max_col))
    except (zipfile.BadZipFile, KeyError, OSError, ElementTree.ParseError, ValueError):
        pass  # openpyxl has read the rows; a part it did not need is not our error to report
    return merges, formulas


def _blank(values: tuple) -> bool:
    if values.count(None) == len(values):  # C speed: most rows a stray cell drags in are all None
        return True
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in values)


def _read_rows(workbook, file: str) -> list[tuple[int, tuple]]:
    """(sheet row number, values) of the first worksheet's non-blank rows: at most
    MAX_COLUMNS columns, never past Excel's last row, never more than MAX_DATA_ROWS
    (plus the header rows) — whatever the sheet's recorded dimensions say."""
    sheet = workbook.worksheets[0]
    if hasattr(sheet, "reset_dimensions"):
        sheet.reset_dimensions()  # a stray cell at XFD1048576 must not make every row 16,384 cells wide
    kept: list[tuple[int, tuple]] = []
    limit = MAX_DATA_ROWS + HEADER_SEARCH_ROWS
    for index, values in enumerate(sheet.iter_rows(min_row=1, max_col=MAX_COLUMNS, values_only=True), start=1):
        if index > EXCEL_MAX_ROW:
            raise _refuse(file, f"工作表的行号超出 Excel 的上限（{EXCEL_MAX_ROW} 行），文件可能已损坏或是"
                                f"恶意构造的：{RESAVE}")
        if _blank(values):
            continue
        kept.append((index, tuple(values)))
        if len(kept) > limit:
            raise _too_many(file)
    return kept


def _too_many(file: str) -> InputError:
    return _refuse(file, f"表中数据超过 {MAX_DATA_ROWS} 行，超过一次导入的上限：请按村或乡镇拆分成几个表，分批导入")


def _bad_character(value: Any) -> Optional[str]:
    if not isinstance(value, str):
        return None
    index = first_control(value)
    return None if index is None else f"U+{ord(value[index]):04X}"


def read_sheet(path: str | Path, *, required: tuple[str, ...], known: tuple[str, ...],
               aliases: Optional[dict[str, str]] = None, what: str = "表") -> Sheet:
    """Read the first worksheet. REQUIRED and KNOWN are canonical header names
    (KNOWN includes the optional ones); other columns are ignored. ALIASES maps
    other header spellings to a canonical name.

    Bounded whatever the file: see _open and _read_rows. Merged cells below the
    header give every row they cover the top-left cell's value; a formula with
    no saved result and a control character in a read cell are located errors.
    """
    path = Path(path)
    file = str(path)
    aliases = aliases or {}
    workbook, handle = _open(path, file)
    try:
        try:
            all_rows = _read_rows(workbook, file)
        except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError, SyntaxError) as err:
            if isinstance(err, InputError):
                raise
            raise _refuse(file, f"工作表内容无法读取（文件可能已损坏）：{RESAVE}") from None
        finally:
            workbook.close()
        merges, formulas = _scan_sheet(handle)
    finally:
        handle.close()

    def canonical(cell: Any) -> str:
        if _bad_character(cell):
            return ""
        label = clean_label(cell)
        return aliases.get(label, label)

    header_index = 0
    anchor = required[0] if required else None
    for index, (row, values) in enumerate(all_rows):
        if row > HEADER_SEARCH_ROWS:
            break
        if anchor and any(canonical(v) == anchor for v in values):
            header_index = index
            break
    header_row, header = all_rows[header_index] if all_rows else (1, ())
    columns: dict[str, int] = {}
    problems: list[Problem] = []
    for col, cell in enumerate(header, start=1):
        name = canonical(cell)
        if name not in known:
            continue
        if name in columns:
            problems.append(Problem(file, header_row, col,
                                    f"{get_column_letter(col)}{header_row} 表头“{name}”重复"
                                    f"（{get_column_letter(columns[name])}列已有），请删除或改名其中一列"))
            continue
        columns[name] = col
    for name in required:
        if name not in columns:
            problems.append(Problem(file, header_row, 1,
                                    f"{what}缺少“{name}”列，请在第{header_row}行表头加上“{name}”"
                                    f"（表头应有：{'、'.join(required)}）"))
    if problems:
        raise InputError(problems)
    rows = all_rows[header_index + 1:]
    if len(rows) > MAX_DATA_ROWS:
        raise _too_many(file)
    sheet = Sheet(file, header_row, columns, rows)
    _fill_merges(sheet, merges)
    for row, values in sheet.rows:
        for name, col in columns.items():
            value = values[col - 1] if col <= len(values) else None
            code = _bad_character(value)
            if code:
                problems.append(sheet.problem(row, name, f"含有看不见的控制字符（{code}，可能来自网页或其他软件的复制），"
                                                         f"请清空该单元格后重新输入"))
            elif value is None and (row, col) in formulas:
                problems.append(sheet.problem(row, name, "是公式，但文件中没有保存公式的计算结果（有的软件生成表格时"
                                                         "不计算公式）：请在 Excel/WPS 中打开本表、保存一次再导入，"
                                                         "或把公式改为直接填写的值"))
    if problems:
        raise InputError(problems)
    return sheet


def _fill_merges(sheet: Sheet, merges: list[tuple[int, int, int, int]]) -> None:
    """Give every data row a merged range covers the value of its top-left cell
    (a 村 merged down its households is that 村 for each of them). Ranges that
    start in or above the header are left alone. Bounded: each cell is filled once."""
    if not merges or not sheet.rows:
        return
    position = {row: index for index, (row, _values) in enumerate(sheet.rows)}
    numbers = [row for row, _values in sheet.rows]
    wanted = set(sheet.columns.values())
    filled: set[tuple[int, int]] = set()
    values_of = [list(values) for _row, values in sheet.rows]
    for min_row, min_col, max_row, max_col in merges:
        if min_row <= sheet.header_row:
            continue
        cols = [c for c in wanted if min_col <= c <= max_col]
        if not cols:
            continue
        top = position.get(min_row)
        start = bisect.bisect_left(numbers, min_row)
        end = bisect.bisect_right(numbers, max_row)
        for col in cols:
            value = values_of[top][col - 1] if top is not None and col <= len(values_of[top]) else None
            if value is None or (min_row, col) in filled:
                continue
            for index in range(start, end):
                key = (numbers[index], col)
                if key in filled:
                    break  # overlapping ranges: the first one wins, and no cell is visited twice
                filled.add(key)
                row_values = values_of[index]
                if col <= len(row_values) and row_values[col - 1] is None:
                    row_values[col - 1] = value
    sheet.rows = [(row, tuple(values)) for (row, _old), values in zip(sheet.rows, values_of)]
