"""The 查阅登记: one inspector's visit on paper — who looked at what, when.

An A4 PDF (WeasyPrint, the project's CJK faces) listing the access journal's
records of one account: logins, searches, items viewed and downloaded, packs
built, each with its time, address and journal record number, and the chain
hash of the last record listed, so the paper can be checked against the
journal later.
"""

from __future__ import annotations

import html

from ..archive.journal import local_time
from .log import ACCESS_ACTIONS, describe

_BODY_FACES = '"FandolFang", "Noto Serif CJK SC", serif'
_TITLE_FACES = '"Noto Serif CJK SC", "FandolSong", serif'


def visit_sheet_html(office: str, user, records: list[dict], printed_by: str = "") -> str:
    """USER: an accounts.User (or anything with .name and .role_label)."""
    esc = html.escape
    rows = "".join(
        f"<tr><td>{record.get('seq')}</td><td>{esc(local_time(record.get('at')))}</td>"
        f"<td>{esc(ACCESS_ACTIONS.get(record.get('action'), str(record.get('action'))))}</td>"
        f"<td>{esc(describe(record))}</td><td>{esc(str((record.get('detail') or {}).get('address') or ''))}</td></tr>"
        for record in records)
    first = local_time(records[0].get("at")) if records else "—"
    last = local_time(records[-1].get("at")) if records else "—"
    chain = f"第 {records[-1].get('seq')} 条，哈希 {records[-1].get('hash', '')}" if records else "—"
    head = [("单位", office), ("查阅人（账号）", f"{user.name}（{user.role_label}）"),
            ("查阅时间", f"{first} 至 {last}"), ("记录条数", f"{len(records)} 条"), ("末条记录", chain)]
    if printed_by:
        head.append(("打印人", printed_by))
    head_rows = "".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in head)
    return f"""<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><style>
@page {{ size: A4; margin: 20mm 18mm 18mm 20mm; @bottom-center {{ content: "第 " counter(page) " 页 共 " counter(pages) " 页"; font-size: 9pt; }} }}
body {{ font-family: {_BODY_FACES}; font-size: 11pt; line-height: 1.4; }}
h1 {{ font-family: {_TITLE_FACES}; font-weight: bold; font-size: 20pt; text-align: center; margin: 0 0 6mm; }}
table {{ width: 100%; border-collapse: collapse; margin-bottom: 5mm; }}
th, td {{ border: 0.5pt solid #000; padding: 1.2mm 2mm; text-align: left; vertical-align: top; }}
.head th {{ width: 32mm; font-weight: normal; }}
td {{ word-break: break-all; }}
.list {{ table-layout: fixed; }}
.list th {{ font-weight: bold; }}
.c-seq {{ width: 12mm; }} .c-time {{ width: 24mm; }} .c-act {{ width: 22mm; }} .c-addr {{ width: 34mm; }}
.sign {{ margin-top: 10mm; line-height: 2.2; }}
</style></head><body>
<h1>档案查阅登记</h1>
<table class="head">{head_rows}</table>
<table class="list"><colgroup><col class="c-seq"><col class="c-time"><col class="c-act"><col><col class="c-addr"></colgroup><thead><tr><th>序号</th><th>时间</th><th>操作</th><th>内容</th><th>地址</th></tr></thead>
<tbody>{rows or '<tr><td colspan="5">该账号没有查阅记录</td></tr>'}</tbody></table>
<p>以上记录取自档案系统的访问日志（哈希链，不可改写）。</p>
<p class="sign">查阅人签字：________________　　经办人签字：________________<br>日期：____________</p>
</body></html>"""


def render_visit_sheet(office: str, user, records: list[dict], printed_by: str = "") -> bytes:
    from weasyprint import HTML  # slow to import: only when a sheet is made

    return HTML(string=visit_sheet_html(office, user, records, printed_by)).write_pdf()
