"""`fupin fonts [--json]`: which installed face serves each PDF font role."""

from __future__ import annotations

import click

from .common import handle_errors, print_json, workspace_from


def fonts_status(config) -> dict:
    """The report `fupin fonts` prints; a plain dict (the --json shape)."""
    from ..render.pdf.fonts import (INSTALL_HINTS, ROLE_LABELS, ROLE_NAMES, ROLES, SETUP_COMMAND,
                                    missing_faces_message, resolve_faces)

    faces = resolve_faces(config.fonts)
    roles = []
    for role in ROLES:
        rf = faces[role]
        roles.append({
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
    """查看 PDF 各字体角色（小标宋、仿宋、黑体、楷体、宋体）实际使用的已安装字体，以及缺少什么。

    字体按 fupin.toml [fonts] 中 pdf_title / pdf_body / pdf_heading1 /
    pdf_heading2 列出的顺序优先，其后是内置的免费替代字体。所有字体都缺时退出码为 1。

    \b
    --json 输出：{"ok": 是否齐全, "harfbuzz_subset": 是否有 HarfBuzz 子集化库（null 表示 WeasyPrint 无法加载）,
      "setup_command": 安装命令,
      "roles": [{"role": title|body|h1|h2|page, "name": 小标宋…, "label": 用途,
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
