"""The 四性检测报告: a CheckReport on A4 paper, as a 检测记录 an archive accepts.

A header (全宗号/机构, 检测阶段, time, tool and version, the software
environment), one table row per DA/T 70 检测项目 with its 结果 and 说明, the
totals, and a block for the 检测人 and 审核人 to sign. WeasyPrint, with the
office's faces (the same stand-ins the 查阅登记 and 存证单 use).
"""

from __future__ import annotations

import html
import re
from pathlib import Path

from ..atomic import atomic_write_bytes
from .four_properties import FAIL, NA, PASS, CheckReport
from .journal import local_time

_BODY_FACES = '"FandolFang", "Noto Serif CJK SC", serif'
_TITLE_FACES = '"Noto Serif CJK SC", "FandolSong", serif'
# A 档号 (or its sequence prefix) is never broken across lines: a reader types it back.
_ARCHIVE_NO = re.compile(r"[A-Za-z0-9]+-[A-Za-z0-9]+·\d{4}-(?:Y|D30|D10)-[A-Za-z0-9]+(?:-\d{4})?")


def _cell(text: str) -> str:
    return _ARCHIVE_NO.sub(lambda m: f'<span class="no">{m.group(0)}</span>', html.escape(text))


def check_report_html(report: CheckReport) -> str:
    esc = html.escape
    counts = report.counts()
    rows = "".join(
        f"<tr class=\"{'fail' if c.result == FAIL else ''}\"><td>{esc(c.code or '—')}</td><td>{esc(c.property)}</td>"
        f"<td>{esc(c.name)}</td><td class=\"result\">{esc(c.result)}</td><td>{_cell(c.explanation)}</td></tr>"
        for c in report.checks)
    env = report.environment
    head = [("全宗号/机构", f"{report.fonds}　{report.office}".strip()), ("检测阶段", f"{report.stage}环节"),
            ("检测时间", local_time(report.checked_at)), ("检测软件", env.get("tool", report.tool)),
            ("运行环境", f"Python {env.get('python', '')}，{env.get('os', '')}"),
            ("检测对象", f"在档 {report.items_on_file} 件（另有撤回 {report.withdrawn} 件），"
                        f"文件 {report.files} 个，共 {report.bytes} 字节")]
    if report.logged_seq is not None:
        head.append(("审计日志", f"本次检测记于第 {report.logged_seq} 条"))
    head_rows = "".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in head)
    verdict = "全部通过" if report.ok else f"{counts[FAIL]} 项不通过"
    return f"""<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><style>
@page {{ size: A4; margin: 20mm 16mm 18mm 18mm; @bottom-center {{ content: "第 " counter(page) " 页 共 " counter(pages) " 页"; font-size: 9pt; }} }}
body {{ font-family: {_BODY_FACES}; font-size: 10.5pt; line-height: 1.4; }}
h1 {{ font-family: {_TITLE_FACES}; font-weight: bold; font-size: 20pt; text-align: center; margin: 0 0 2mm; }}
.sub {{ text-align: center; margin: 0 0 5mm; }}
table {{ width: 100%; border-collapse: collapse; margin-bottom: 4mm; }}
th, td {{ border: 0.5pt solid #000; padding: 1.2mm 1.6mm; text-align: left; vertical-align: top; }}
.head th {{ width: 30mm; font-weight: normal; }}
td {{ word-break: break-all; }}
.items {{ table-layout: fixed; }}
.items th {{ font-weight: bold; }}
.c-code {{ width: 19mm; }} .c-prop {{ width: 16mm; }} .c-name {{ width: 42mm; }} .c-res {{ width: 16mm; }}
.result {{ text-align: center; }}
.no {{ white-space: nowrap; }}
tr.fail .result {{ font-weight: bold; }}
.sign {{ margin-top: 10mm; line-height: 2.4; }}
</style></head><body>
<h1>电子档案四性检测报告</h1>
<p class="sub">依据 DA/T 70—2018《文书类电子档案检测一般要求》</p>
<table class="head">{head_rows}</table>
<table class="items"><colgroup><col class="c-code"><col class="c-prop"><col class="c-name"><col class="c-res"><col></colgroup>
<thead><tr><th>编号</th><th>类别</th><th>检测项目</th><th>结果</th><th>说明</th></tr></thead>
<tbody>{rows}</tbody></table>
<p>合计：检测项目 {len(report.checks)} 项，通过 {counts[PASS]} 项，不通过 {counts[FAIL]} 项，不适用 {counts[NA]} 项。结论：{verdict}。</p>
<p>编号为 DA/T 70—2018 归档环节检测项目编号；标“—”的项目按其内容命名。</p>
<p class="sign">检测人（签字）：________________　　审核人（签字）：________________<br>日期：______年____月____日</p>
</body></html>"""


def render_check_report(report: CheckReport) -> bytes:
    from weasyprint import HTML  # slow to import: only when a report is printed

    return HTML(string=check_report_html(report)).write_pdf()


def write_check_report(report: CheckReport, target) -> Path:
    """The report as a PDF at TARGET, written atomically."""
    target = Path(target)
    atomic_write_bytes(target, render_check_report(report))
    return target
