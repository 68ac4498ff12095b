"""`fupin new KIND [-o FILE] [--example]`."""

from __future__ import annotations

from pathlib import Path

import click

from ..atomic import atomic_write_bytes
from ..inputs.choices import KIND_LABELS, KIND_NAMES
from ..inputs.script import to_simplified
from ..workspace.resources import examples_dir, skeleton_path
from .common import UserError, handle_errors

_KINDS_TEXT = "、".join(f"{name}（{label}）" for name, label in KIND_LABELS.items())


def example_path(kind: str) -> Path:
    """The bundled, filled-in example of KIND (三星镇)."""
    found = sorted(examples_dir().glob(f"{kind}-*.yaml"))
    if not found:
        raise UserError(f"没有找到{KIND_LABELS[kind]}的示例文件；示例只随源代码一起提供")
    return found[0]


@click.command("new")
@click.argument("kind", metavar="文种")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="写入的文件（默认输出到屏幕）")
@click.option("--example", is_flag=True,
              help="给出填好的示例（三星镇），供参照写法；示例是别的单位的公文，不要放进 inputs/ 生成归档")
@click.option("--force", is_flag=True, help="覆盖已存在的文件")
@handle_errors
def command(kind, output, example, force):
    """生成带说明的公文填写模板（标“必填”的项必须填写，“【示例】”文字要换成实际内容）。

    文种：plan（实施方案）、notice（督查通知）、minutes（会议纪要）、rectification（整改报告），
    也可以直接写中文名称。
    """
    normalized = KIND_NAMES.get(to_simplified(kind.strip()))
    if normalized is None:
        raise click.BadParameter(f"不认识的文种“{kind}”，请写 {_KINDS_TEXT} 之一", param_hint="文种")
    source = example_path(normalized) if example else skeleton_path(normalized)
    text = source.read_bytes()
    if not output:
        click.echo(text.decode("utf-8"), nl=False)
        return
    target = Path(output)
    if target.exists() and not force:
        raise UserError(f"{target} 已存在；如需覆盖请加 --force")
    atomic_write_bytes(target, text)
    if example:
        click.echo(f"已生成 {target}（三星镇的示例，仅供参照，请勿归档）")
    else:
        click.echo(f"已生成 {target}，把“【示例】”文字换成实际内容后运行：fupin validate {target}")
