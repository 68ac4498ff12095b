"""`fupin fonts [--json]`: which installed face serves each PDF font role."""

from __future__ import annotations

import click

from .common import handle_errors, print_json, workspace_from

# fupin.toml [fonts] key of the face the .docx names for each role.
DOCX_KEYS = {"title": "docx_title", "body": "docx_body", "h1": "docx_heading1", "h2": "docx_heading2",
             "page": "docx_page_number"}


def fonts_status(config) -> dict:
    """The report `fupin fonts` prints; a plain dict (the --json shape)."""
    from ..render.pdf.fonts import (INSTALL_HINTS, ROLE_LABELS, ROLE_NAMES, ROLES, SETUP_COMMAND,
                                    missing_faces_message, resolve_faces)

    from ..render.docx.ooxml import FONT_ENTRIES, STOCK_WINDOWS_FACES
    from ..render.pdf.fonts import find_face

    faces = resolve_faces(config.fonts)
    roles = []
    for role in ROLES:
        rf = faces[role]
        # The face the standard's documents (and our .docx) name for this role,
        # whether this machine has it, and what stands in for it here and in
        # Word/WPS on a PC without it (the font table's w:altName).
        standard = getattr(config.fonts, DOCX_KEYS[role])
        standard_installed = find_face(standard) is not None
        roles.append({
            "standard": standard,
            "standard_installed": standard_installed,
            "stand_in": None if standard_installed or not rf.primary else rf.primary.family,
            "word_fallback": None if standard in STOCK_WINDOWS_FACES else (FONT_ENTRIES.get(standard) or (None,))[0],
            "role": role,
            "name": ROLE_NAMES[role],
            "label": ROLE_LABELS[role],
            "face": rf.primary.family if rf.primary else None,
            "file": rf.primary.file if rf.primary else None,
            "candidates": list(rf.candidates),
            "installed": list(rf.installed),
            "fallbacks": [name for name in rf.families if name not in rf.installed],
            "install_hint": None if rf.primary else INSTALL_HINTS[role],
        })
    subset = _harfbuzz_subset_available()
    message = missing_faces_message(faces)
    return {
        "ok": message is None and subset is not False,
        "roles": roles,
        "harfbuzz_subset": subset,
        "setup_command": SETUP_COMMAND,
    }


def _harfbuzz_subset_available() -> bool | None:
    """True/False when WeasyPrint loads; None when WeasyPrint itself cannot load."""
    try:
        from weasyprint.text import ffi
    except (OSError, ImportError):
        return None
    return getattr(ffi, "harfbuzz_subset", None) is not None


@click.command("fonts")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出")
@click.pass_context
@handle_errors
def command(ctx, as_json):
    """查看各字体角色（小标宋、仿宋、黑体、楷体、宋体）实际使用的字体，缺少哪些标准字体、由什么代替。

    PDF 用本机已安装的字体；Word/WPS 在缺少标准字体（方正小标宋简体、仿宋_GB2312、
    楷体_GB2312 等）时改用文件中写明的替代字体（仿宋、楷体、宋体）。

    字体按 fupin.toml [fonts] 中 pdf_title / pdf_body / pdf_heading1 /
    pdf_heading2 列出的顺序优先，其后是内置的免费替代字体。所有字体都缺时退出码为 1。

    \b
    --json 输出：{"ok": 是否齐全, "harfbuzz_subset": 是否有 HarfBuzz 子集化库（null 表示 WeasyPrint 无法加载）,
      "setup_command": 安装命令,
      "roles": [{"role": title|body|h1|h2|page, "name": 小标宋…, "label": 用途,
                 "standard": Word 文件中写的标准字体（如 仿宋_GB2312）, "standard_installed": 本机是否安装,
                 "stand_in": 本机 PDF 代替标准字体的字体或 null,
                 "word_fallback": Word/WPS 缺少标准字体时改用的字体或 null,
                 "face": 使用的字体或 null, "file": 字体文件或 null,
                 "candidates": [候选字体…], "installed": [已安装的候选…],
                 "fallbacks": [逐字补字字体…], "install_hint": 缺字体时应安装的软件包或 null}]}
    """
    status = fonts_status(workspace_from(ctx, required=False).config)
    if as_json:
        print_json(status)
    else:
        for row in status["roles"]:
            if row["face"]:
                others = [n for n in row["installed"] if n != row["face"]]
                extra = f"（其他已安装：{'、'.join(others)}）" if others else ""
                click.echo(f"{row['label']}：{row['face']}  {row['file']}{extra}")
            else:
                click.echo(f"{row['label']}：缺少！可用 {'、'.join(row['candidates'])}；"
                           f"请安装 {row['install_hint']}")
            if not row["standard_installed"]:
                here = f"本机 PDF 用 {row['stand_in']} 代替" if row["stand_in"] else "本机没有可代替的字体"
                word = (f"；Word/WPS 打开 Word 文件时如也缺少，用 {row['word_fallback']} 代替"
                        if row["word_fallback"] else "")
                click.echo(f"    缺少标准字体 {row['standard']}：{here}{word}")
        fallbacks = status["roles"][1]["fallbacks"]
        click.echo(f"补字字体（正文缺字时依次使用）：{'、'.join(fallbacks) or '无'}")
        if status["harfbuzz_subset"] is None:
            click.echo("PDF 排版库 WeasyPrint 无法加载（缺少 Pango 等系统库）。")
        elif not status["harfbuzz_subset"]:
            click.echo("缺少 HarfBuzz 子集化库 libharfbuzz-subset0：PDF 能生成，但每份要慢好几秒。")
        if not status["ok"]:
            click.echo(f"请运行：{status['setup_command']}", err=True)
    if not status["ok"]:
        ctx.exit(1)
