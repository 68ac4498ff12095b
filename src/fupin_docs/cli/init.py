"""`fupin init [DIR]`."""

from __future__ import annotations

from pathlib import Path

import click

from ..workspace.init import init_workspace
from .common import handle_errors


@click.command("init")
@click.argument("directory", required=False, type=click.Path(file_okay=False))
@click.option("--name", default="三星镇人民政府", show_default=True, help="发文机关全称")
@click.option("--code", default="三政发", show_default=True, help="机关代字")
@click.option("--no-examples", is_flag=True, help="不复制示例输入文件")
@click.pass_context
@handle_errors
def command(ctx, directory, name, code, no_examples):
    """新建工作目录：fupin.toml、inputs/、templates/、archive/、indexes/ 和示例。

    不会覆盖已有文件。DIRECTORY 默认为 --workspace 或当前目录。
    """
    root = Path(directory or (ctx.find_root().obj or {}).get("workspace") or ".")
    created = init_workspace(root, name=name, code=code, with_examples=not no_examples)
    if created:
        for path in created:
            click.echo(f"已创建 {path}")
    else:
        click.echo(f"{root} 已是工作目录，没有改动任何文件。")
    click.echo(f"下一步：编辑 {root / 'fupin.toml'} 中的机关名称，然后运行 fupin render {root / 'inputs'}/*.yaml")
