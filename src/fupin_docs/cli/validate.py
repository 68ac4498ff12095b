"""`fupin validate FILE...`."""

from __future__ import annotations

import click

from ..inputs import InputError, validate_files
from .common import handle_errors


@click.command("validate")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@handle_errors
def command(files):
    """检查 YAML 输入。全部正确时退出码为 0；有问题时逐条输出“文件:行:列: 说明”，退出码为 1。"""
    problems = validate_files(files)
    if problems:
        raise InputError(problems)
    for path in files:
        click.echo(f"{path}：检查通过")
