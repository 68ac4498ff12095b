"""`fupin validate FILE...`."""

from __future__ import annotations

import click

from ..inputs.problems import InputError
from .common import handle_errors, print_json


@click.command("validate")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出问题列表")
@handle_errors
def command(files, as_json):
    """检查 YAML 输入。全部正确时退出码为 0；有问题时逐条输出“文件:行:列: 说明”，退出码为 1。

    \b
    --json 输出：[{"file", "line", "column", "message"}]（没有问题时为 []）
    """
    from ..inputs.validate import validate_files  # pydantic and the models: only when run

    problems = validate_files(files)
    if as_json:
        print_json([{"file": p.file, "line": p.line, "column": p.column, "message": p.message} for p in problems])
        if problems:
            raise SystemExit(1)
        return
    if problems:
        raise InputError(problems)
    for path in files:
        click.echo(f"{path}：检查通过")
