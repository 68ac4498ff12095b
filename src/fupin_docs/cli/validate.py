"""`fupin validate FILE...`."""

from __future__ import annotations

import click

from ..inputs.problems import InputError
from .common import handle_errors, print_json, workspace_from


@click.command("validate")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False), metavar="文件...")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出问题列表")
@click.pass_context
@handle_errors
def command(ctx, files, as_json):
    """检查公文填写文件。全部正确时退出码为 0；有问题时逐条输出“文件:行:列: 说明”，退出码为 1。

    发文机关、印发机关没有写在文件里时，取工作目录 fupin.toml 中的设置。
    “提醒”不影响检查通过，但请核对。

    \b
    --json 输出：[{"file", "line", "column", "message", "level"}]（没有问题时为 []）；
    level 为 "error"（必须修改）或 "warning"（提醒）
    """
    from ..inputs.validate import validate_files  # pydantic and the models: only when run

    config = workspace_from(ctx, required=False).config
    warnings = []
    problems = validate_files(files, config, warn=warnings.append)
    if as_json:
        rows = [{"file": p.file, "line": p.line, "column": p.column, "message": p.message, "level": level}
                for level, group in (("error", problems), ("warning", warnings)) for p in group]
        print_json(sorted(rows, key=lambda row: (row["file"], row["line"], row["column"])))
        if problems:
            raise SystemExit(1)
        return
    for warning in warnings:
        click.echo(f"{warning.file}:{warning.line}:{warning.column}: 提醒：{warning.message}", err=True)
    if problems:
        raise InputError(problems)
    for path in files:
        click.echo(f"{path}：检查通过")
