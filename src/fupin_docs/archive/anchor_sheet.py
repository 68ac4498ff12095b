"""The 存证单: one A4 page that records an anchor for a paper file.

It shows the office, the moment, how many items were on file, the journal's
record number and its full hash (in groups of eight, to be read aloud or
typed back as `seq:hash`), and a QR code holding the same, so that an
inspector can later check the archive against a sheet kept in a folder.
"""

from __future__ import annotations

import html
import io

from .journal import local_time

# Faces: the project's 仿宋 and 小标宋 stand-ins (scripts/setup-system.sh installs them).
_BODY_FACES = '"FandolFang", "Noto Serif CJK SC", serif'
_TITLE_FACES = '"Noto Serif CJK SC", "FandolSong", serif'


def qr_svg(text: str) -> str:
    """TEXT as a QR code in SVG (medium error correction survives a worn printout)."""
    import segno  # pure Python, no dependencies: QR codes as SVG for WeasyPrint

    out = io.BytesIO()
    segno.make(text, error="m").save(out, kind="svg", scale=4, border=2, xmldecl=False, svgns=True)
    return out.getvalue().decode("utf-8")


def grouped(hex_hash: str) -> str:
    return " ".join(hex_hash[i:i + 8] for i in range(0, len(hex_hash), 8))


def sheet_html(anchor) -> str:
    """ANCHOR: an archive.anchor.Anchor (not imported: anchor.py imports this module)."""
    rows = [("单位", anchor.office or "—"), ("全宗号", anchor.fonds or "—"),
            ("存证时间", local_time(anchor.at)), ("在档文件", f"{anchor.items} 件"),
            ("日志记录号", f"第 {anchor.seq} 条"), ("链头哈希", grouped(anchor.hash)),
            ("核对写法", f"{anchor.seq}:{anchor.hash}")]
    if anchor.written_to:
        rows.append(("存证副本", "；".join(anchor.written_to)))
    body = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in rows)
    return f"""<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><style>
@page {{ size: A4; margin: 25mm 26mm 20mm 28mm; }}
body {{ font-family: {_BODY_FACES}; font-size: 14pt; line-height: 1.5; }}
h1 {{ font-family: {_TITLE_FACES}; font-weight: bold; font-size: 22pt; text-align: center; margin: 0 0 8mm; }}
table {{ width: 100%; border-collapse: collapse; }}
th, td {{ border: 0.5pt solid #000; padding: 2mm 3mm; text-align: left; vertical-align: top; }}
th {{ width: 28mm; font-weight: normal; }}
td {{ word-break: break-all; }}
.qr {{ text-align: center; margin-top: 6mm; }}
.qr svg {{ width: 40mm; height: 40mm; }}
.note {{ font-size: 12pt; margin-top: 6mm; }}
</style></head><body>
<h1>档案存证单</h1>
<table>{body}</table>
<div class="qr">{qr_svg(anchor.qr_text)}</div>
<p class="note">本单记录了存证时档案审计日志的末条记录及其哈希。日后核验时，档案日志第 {anchor.seq} 条的哈希\
必须仍与上面一致；若不一致或该条已不存在，说明日志在此后被改写或截短。请将本单与存证副本分开妥善保管。</p>
</body></html>"""


def render_sheet(anchor) -> bytes:
    """The 存证单 as PDF bytes."""
    from weasyprint import HTML  # slow to import: only when a sheet is made

    return HTML(string=sheet_html(anchor)).write_pdf()
