"""The 归档文件目录 of a transfer package (移交包), as PDF and as XLSX.

The columns are DA/T 22-2015's 归档文件目录 (序号, 档号, 文号, 责任者, 题名, 日期,
密级, 页数, 备注), then where the item's files sit in the package. The PDF is
landscape A4 through WeasyPrint in the office's faces (the same stand-ins the
四性检测报告 and the 存证单 use); the XLSX is written with openpyxl, every cell
as text (a 题名 typed as "=…" must never become a live formula).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..atomic import atomic_path, atomic_write_bytes

# DA/T 22-2015 归档文件目录, then the package's own column.
COLUMNS = ("序号", "档号", "文号", "责任者", "题名", "日期", "密级", "页数", "备注", "包内文件")
_WIDTHS_MM = (9, 45, 26, 24, None, 19, 10, 9, 24, 46)
_XLSX_WIDTHS = (6, 30, 18, 18, 44, 12, 8, 6, 20, 48)
_BODY_FACES = '"FandolFang", "Noto Serif CJK SC", serif'
_TITLE_FACES = '"Noto Serif CJK SC", "FandolSong", serif'
_HEAD_FACES = '"Noto Sans CJK SC", "FandolHei", sans-serif'
# What a spreadsheet would take for a formula: =, +, -, @ first, or a tab/return first.
_FORMULA_LIKE = re.compile(r"^[=+\-@\t\r]")


@dataclass
class CatalogEntry:
    seq: int
    archive_no: str
    doc_number: str = ""
    issuer: str = ""
    title: str = ""
    date: str = ""
    secrecy: str = ""
    pages: int | None = None
    remarks: str = ""
    files: list = field(default_factory=list)  # package-relative paths

    def values(self) -> list:
        return [str(self.seq), self.archive_no, self.doc_number, self.issuer, self.title, self.date,
                self.secrecy, str(self.pages) if self.pages else "", self.remarks, "\n".join(self.files)]


def _e(text) -> str:
    return html.escape("" if text is None else str(text))


def catalog_html(title: str, meta: list[tuple[str, str]], entries: list[CatalogEntry]) -> str:
    cols = "".join(f'<col style="width:{w}mm">' if w else "<col>" for w in _WIDTHS_MM)
    head = "".join(f"<th>{_e(c)}</th>" for c in COLUMNS)
    rows = []
    for entry in entries:
        cells = entry.values()
        cells[-1] = "<br>".join(_e(name) for name in entry.files)
        rows.append("<tr>" + "".join(
            f'<td class="{"c" if i in (0, 5, 6, 7) else "f" if i == 9 else "n" if i == 1 else ""}">'
            f'{cell if i == 9 else _e(cell)}</td>' for i, cell in enumerate(cells)) + "</tr>")
    meta_html = "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in meta)
    return f"""<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>{_e(title)}</title><style>
@page {{ size: A4 landscape; margin: 14mm 12mm 16mm 12mm;
  @bottom-center {{ content: "第 " counter(page) " 页  共 " counter(pages) " 页"; font-size: 10.5pt; }} }}
html {{ font-family: {_BODY_FACES}; font-size: 10.5pt; line-height: 1.35; }}
h1 {{ font-family: {_TITLE_FACES}; font-weight: bold; font-size: 22pt; text-align: center; margin: 0 0 3mm; }}
table.meta {{ border-collapse: collapse; margin: 0 0 4mm; font-size: 12pt; }}
table.meta th {{ font-family: {_HEAD_FACES}; font-weight: normal; text-align: left; padding: 0.5mm 4mm 0.5mm 0;
  white-space: nowrap; vertical-align: top; }}
table.list {{ width: 100%; border-collapse: collapse; table-layout: fixed; font-size: 9pt; }}
table.list th {{ font-family: {_HEAD_FACES}; font-weight: normal; border: 0.6pt solid #000; padding: 1mm 0.8mm; }}
table.list td {{ border: 0.4pt solid #000; padding: 0.8mm; vertical-align: top; overflow-wrap: anywhere; }}
table.list thead {{ display: table-header-group; }}
table.list tr {{ page-break-inside: avoid; }}
td.c {{ text-align: center; }}
td.f {{ font-size: 8pt; }}
td.n {{ font-size: 8.5pt; white-space: nowrap; }}
</style></head><body>
<h1>{_e(title)}</h1>
<table class="meta">{meta_html}</table>
<table class="list"><colgroup>{cols}</colgroup><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>
</body></html>"""


def write_catalog_pdf(target: Path, title: str, meta: list[tuple[str, str]], entries: list[CatalogEntry]) -> None:
    from weasyprint import HTML  # slow to import: only when a 目录 is printed

    atomic_write_bytes(target, HTML(string=catalog_html(title, meta, entries)).write_pdf())


def write_catalog_xlsx(target: Path, title: str, meta: list[tuple[str, str]], entries: list[CatalogEntry]) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "归档文件目录"
    sheet.append(list(COLUMNS))
    for col, width in enumerate(_XLSX_WIDTHS, start=1):
        sheet.cell(1, col).font = Font(bold=True)
        sheet.column_dimensions[get_column_letter(col)].width = width
    sheet.freeze_panes = "A2"
    wrap = Alignment(wrap_text=True, vertical="top")
    for entry in entries:
        sheet.append([value or None for value in entry.values()])
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # a string cell, never a formula
                if _FORMULA_LIKE.match(cell.value):
                    cell.quotePrefix = True
                cell.alignment = wrap
    about = workbook.create_sheet("移交说明")
    about.append([title])
    for key, value in meta:
        about.append([key, value])
    for row in about.iter_rows():
        for cell in row:
            if isinstance(cell.value, str):
                cell.data_type = "s"
                if _FORMULA_LIKE.match(cell.value):
                    cell.quotePrefix = True
    about.column_dimensions["A"].width, about.column_dimensions["B"].width = 16, 60
    with atomic_path(target) as tmp:
        workbook.save(tmp)
