"""Reading a sheet the way clerks make them: a Chinese header row, then data rows.

Header cells may carry spaces (any kind) or be in Traditional script; a title
row above the header is skipped. Errors are Problems at FILE:ROW:COLUMN
(1-based row and column numbers; the message names the cell, e.g. “D5”).
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException

from ..inputs.problems import InputError, Problem
from .model import clean_label

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


def _open(path: Path, file: str):
    if not path.exists():
        raise InputError([Problem(file, 1, 1, "文件不存在，请检查文件名和路径")])
    if path.suffix.lower() != ".xlsx":
        raise InputError([Problem(file, 1, 1, f"只支持导入 .xlsx 文件：请在 Excel/WPS 中打开“{path.name}”，"
                                              f"另存为 Excel 工作簿（*.xlsx），再导入 {path.with_suffix('.xlsx').name}")])
    try:
        return load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError):
        raise InputError([Problem(file, 1, 1, "不是有效的 .xlsx 文件（可能已损坏或是其他格式），"
                                              "请在 Excel/WPS 中打开后另存为 Excel 工作簿（*.xlsx）")]) from None


def read_sheet(path: str | Path, *, required: tuple[str, ...], known: tuple[str, ...],
               aliases: Optional[dict[str, str]] = None, what: str = "表") -> Sheet:
    """Read the first worksheet. REQUIRED and KNOWN are canonical header names
    (KNOWN includes the optional ones); other columns are ignored. ALIASES maps
    other header spellings to a canonical name."""
    path = Path(path)
    file = str(path)
    aliases = aliases or {}
    workbook = _open(path, file)
    try:
        sheet = workbook.worksheets[0]
        all_rows = list(sheet.iter_rows(values_only=True))
    finally:
        workbook.close()

    def canonical(cell: Any) -> str:
        label = clean_label(cell)
        return aliases.get(label, label)

    header_index = 0
    anchor = required[0] if required else None
    for index, values in enumerate(all_rows[:HEADER_SEARCH_ROWS]):
        if anchor and any(canonical(v) == anchor for v in values):
            header_index = index
            break
    header = all_rows[header_index] if all_rows else ()
    header_row = header_index + 1
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
    rows = []
    for index in range(header_index + 1, len(all_rows)):
        values = all_rows[index]
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
            continue
        rows.append((index + 1, tuple(values)))
    return Sheet(file, header_row, columns, rows)
