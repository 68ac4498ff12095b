"""The pack's 目录 PDF: the 归档文件目录 of DA/T 22 plus where each file sits in
the pack and the start of its SHA-256 and SM3 (GB/T 32905), so an inspector
can check a printout against the files.

Rendered with WeasyPrint from an HTML table on landscape A4 (the table is too
wide for portrait), in GB/T 9704 faces: the 小标宋 stand-in for the title,
仿宋 for the text, 黑体 for the table head.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field

SHA_PREFIX = 12  # hex characters of SHA-256 and of SM3 printed in the 目录

# Column heads: DA/T 22 归档文件目录, then the pack's own two columns.
COLUMNS = ("序号", "档号", "文号", "责任者", "题名", "日期", "密级", "页数", "备注",
           "包内文件名", f"SHA-256 / SM3（前{SHA_PREFIX}位）")
# The heads of 目录 printed before SM3 was kept (pack verify still reads them).
OLD_COLUMNS = COLUMNS[:-1] + (f"SHA-256（前{SHA_PREFIX}位）",)
_WIDTHS_MM = (9, 40, 24, 22, None, 19, 9, 9, 20, 42, 21)


@dataclass
class CatalogFile:
    name: str  # path inside data/
    sha256: str
    sm3: str = ""


@dataclass
class CatalogRow:
    seq: int
    archive_no: str
    title: str
    doc_number: str = ""
    issuer: str = ""
    date: str = ""
    secrecy: str = ""
    pages: int | None = None
    remarks: list[str] = field(default_factory=list)
    files: list[CatalogFile] = field(default_factory=list)


@dataclass
class CatalogHeader:
    title: str  # the pack's own title
    unit: str
    date: str  # YYYY-MM-DD
    purpose: str = ""
    selection: str = ""
    item_count: int = 0
    file_count: int = 0
    missing_count: int = 0
    archive_head: str = ""  # "SEQ:HASH": the archive chain head the pack was built at
    match_rule: str = ""  # how a query took its documents (Selection.match_rule), '' without a query


def _faces() -> dict[str, str]:
    """CSS font-family lists per role; the project's own lookup when it exists."""
    faces = {
        "title": '"Noto Serif CJK SC", "FandolSong", serif',
        "body": '"FandolFang", "Noto Serif CJK SC", serif',
        "heading": '"Noto Sans CJK SC", "FandolHei", sans-serif',
    }
    try:  # render/pdf/fonts.py belongs to another stage; use it if it offers a lookup
        from ..render.pdf import fonts as pdf_fonts  # type: ignore
    except Exception:
        return faces
    lookup = getattr(pdf_fonts, "css_family", None)
    if callable(lookup):
        for role, name in (("title", "title"), ("body", "body"), ("heading", "heading1")):
            try:
                value = lookup(name)
            except Exception:
                continue
            if value:
                faces[role] = value
    return faces


def _e(text) -> str:
    return html.escape("" if text is None else str(text))


def _breakable(text: str) -> str:
    """Escape TEXT; long names wrap anywhere through the cell's overflow-wrap.

    (Inserting <wbr> at every separator reads nicer but doubles layout time.)
    """
    return _e(text)


def catalog_html(header: CatalogHeader, rows: list[CatalogRow]) -> str:
    faces = _faces()
    cols = "".join(f'<col style="width:{w}mm">' if w else "<col>" for w in _WIDTHS_MM)
    head = "".join(f"<th>{_e(c)}</th>" for c in COLUMNS)
    body = []
    for row in rows:
        files = "<br>".join(_breakable(f.name) for f in row.files) or "—"
        shas = "<br>".join(_e(f.sha256[:SHA_PREFIX]) + (f'<br><span class="sm3">{_e(f.sm3[:SHA_PREFIX])}</span>'
                                                       if f.sm3 else "") for f in row.files) or "—"
        body.append(
            "<tr>"
            f'<td class="c">{row.seq}</td>'
            f'<td class="n">{_breakable(row.archive_no)}</td>'
            f"<td>{_e(row.doc_number)}</td>"
            f"<td>{_e(row.issuer)}</td>"
            f"<td>{_e(row.title)}</td>"
            f'<td class="c">{_e(row.date)}</td>'
            f'<td class="c">{_e(row.secrecy)}</td>'
            f'<td class="c">{_e(row.pages if row.pages else "")}</td>'
            f"<td>{'；'.join(_e(r) for r in row.remarks)}</td>"
            f'<td class="f">{files}</td>'
            f'<td class="h">{shas}</td>'
            "</tr>"
        )
    meta = [("报送单位", header.unit), ("打包日期", header.date)]
    if header.purpose:
        meta.append(("用途", header.purpose))
    count = f"{header.item_count} 件，文件 {header.file_count} 个（不含本目录）"
    if header.missing_count:
        count += f"，其中 {header.missing_count} 件缺失"
    meta.append(("材料数量", count))
    if header.selection:
        meta.append(("选取条件", header.selection))
    if header.match_rule:
        meta.append(("检索匹配规则", header.match_rule))
    head_html = (f'<p class="head">建包时档案链头（序号:校验值，在报送单位的工作目录中校验时可证明建包后档案未被改写）：'
                 f'<span>{_e(header.archive_head)}</span></p>' if header.archive_head else "")
    meta_html = "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in meta)
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{_e(header.title)}</title>
<style>
@page {{ size: A4 landscape; margin: 14mm 12mm 16mm 12mm;
  @bottom-center {{ content: "第 " counter(page) " 页  共 " counter(pages) " 页";
    font-family: {faces["body"]}; font-size: 10.5pt; }} }}
html {{ font-family: {faces["body"]}; font-size: 10.5pt; line-height: 1.35; }}
h1 {{ font-family: {faces["title"]}; font-weight: bold; font-size: 22pt;
  text-align: center; margin: 0 0 2mm 0; }}
h2 {{ font-family: {faces["heading"]}; font-weight: normal; font-size: 14pt;
  text-align: center; margin: 0 0 4mm 0; }}
table.meta {{ border-collapse: collapse; margin: 0 0 4mm 0; font-size: 12pt; }}
table.meta th {{ font-family: {faces["heading"]}; font-weight: normal; text-align: left;
  padding: 0.5mm 4mm 0.5mm 0; white-space: nowrap; vertical-align: top; }}
table.meta td {{ padding: 0.5mm 0; }}
table.list {{ width: 100%; border-collapse: collapse; table-layout: fixed; font-size: 9pt; }}
table.list th {{ font-family: {faces["heading"]}; font-weight: normal; border: 0.6pt solid #000;
  padding: 1mm 0.8mm; background: #eee; }}
table.list td {{ border: 0.4pt solid #000; padding: 0.8mm; vertical-align: top;
  overflow-wrap: anywhere; }}
table.list thead {{ display: table-header-group; }}
table.list tr {{ page-break-inside: avoid; }}
td.c {{ text-align: center; }}
td.n {{ font-size: 8.5pt; }}
td.f {{ font-size: 8pt; }}
td.h {{ font-family: "DejaVu Sans Mono", monospace; font-size: 7.5pt; }}
td.h span.sm3 {{ color: #555; }}
p.note {{ font-size: 9pt; margin-top: 3mm; }}
p.head {{ font-size: 7.5pt; margin-top: 1mm; }}
p.head span {{ font-family: "DejaVu Sans Mono", monospace; }}
</style></head><body>
<h1>{_e(header.title)}</h1>
<h2>佐证材料目录（归档文件目录）</h2>
<table class="meta">{meta_html}</table>
<table class="list"><colgroup>{cols}</colgroup><thead><tr>{head}</tr></thead>
<tbody>{"".join(body)}</tbody></table>
<p class="note">说明：本材料包为 BagIt 1.0 格式（RFC 8493）。每个文件的完整 SHA-256 校验值见
manifest-sha256.txt，国密 SM3 摘要（GB/T 32905，每个文件第二行）见 fupin-sm3.txt，包的说明信息见 bag-info.txt；可用“fupin pack verify 材料包.zip”校验文件是否齐全、未被改动。</p>
{head_html}</body></html>"""


def render_catalog(header: CatalogHeader, rows: list[CatalogRow]) -> bytes:
    """The 目录 as PDF bytes."""
    from weasyprint import HTML  # imported late: it is slow to import

    return HTML(string=catalog_html(header, rows)).write_pdf()
