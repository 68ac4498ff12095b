"""`fupin new KIND [-o FILE]`."""

from __future__ import annotations

from pathlib import Path

import click

from ..atomic import atomic_write_bytes
from ..inputs.choices import KIND_NAMES
from ..inputs.script import to_simplified
from ..workspace.resources import skeleton_path
from .common import UserError, handle_errors


@click.command("new")
@click.argument("kind", metavar="KIND")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="写入的文件（默认输出到屏幕）")
@click.option("--force", is_flag=True, help="覆盖已存在的文件")
@handle_errors
def command(kind, output, force):
    """生成带说明的 YAML 填写模板。

    KIND：plan（实施方案）、notice（督查通知）、minutes（会议纪要）、rectification（整改报告），
    也可以直接写中文名称。
    """
    normalized = KIND_NAMES.get(to_simplified(kind.strip()))
    if normalized is None:
        raise click.BadParameter(f"不认识的类型“{kind}”，请写 plan、notice、minutes 或 rectification", param_hint="KIND")
    text = skeleton_path(normalized).read_bytes()
    if not output:
        click.echo(text.decode("utf-8"), nl=False)
        return
    target = Path(output)
    if target.exists() and not force:
        raise UserError(f"{target} 已存在；如需覆盖请加 --force")
    atomic_write_bytes(target, text)
    click.echo(f"已生成 {target}，填写后运行：fupin validate {target}")
