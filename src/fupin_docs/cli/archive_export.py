"""`fupin archive export --year 2020 --to DIR`: a year's archive as a transfer package (移交包)."""

from __future__ import annotations

import sys

import click

from ..text_safety import shown
from .common import EXIT_INTEGRITY, StageBars, handle_errors, print_json, workspace_from


@click.command("export")
@click.option("--year", type=click.IntRange(1949, 9999), required=True, metavar="年度", help="移交哪一年度的档案，如 2020")
@click.option("--to", "target", type=click.Path(file_okay=False), required=True, metavar="文件夹",
              help="移交包写入的文件夹（新的或空的）")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出结果（键见下）")
@click.pass_context
@handle_errors
def export_command(ctx, year, target, as_json):
    """生成移交包（DA/T 93-2022 电子档案移交）：把一个年度的全部档案连同元数据、
    归档文件目录、四性检测报告和校验清单写入一个文件夹，交档案馆接收。

    \b
    移交包内容：
      档案/档号/         每件的原件及其 OFD、PDF/A 副本
      元数据/档号.xml     每件的元数据（DA/T 46），含每个文件的 SHA-256 和 SM3 摘要
      归档文件目录.pdf、归档文件目录.xlsx（DA/T 22）
      四性检测报告.pdf    移交前对该年度档案的四性检测（DA/T 70，移交环节）
      移交说明.xml        全宗号、立档单位、年度、件数、文件数、字节数
      manifest-sha256.txt、manifest-sm3.txt   包内每个文件的校验值
    已撤回的件也在包中，标明“已撤回”和原因（件号仍占用，档案馆可据此核对）。
    移交包先在目标旁边生成，完整后才改名到位：中途停止不会留下半个移交包。
    四性检测有不通过的项目时，移交包照常生成（报告中写明），退出码为 3。

    \b
    例：fupin archive export --year 2020 --to 2020年度移交包
    接收方检测：fupin archive check --stage 移交 2020年度移交包

    \b
    --json 输出键：target, year, items（在档件数）, withdrawn, withdrawn_nos[], files, bytes, seconds,
      ok（四性检测是否全部通过）, counts{通过, 不通过, 不适用}
    """
    from ..archive.handover import export_year

    ws = workspace_from(ctx)
    bars = None if as_json else StageBars()
    try:
        result = export_year(ws, year, target, progress=bars)
    finally:
        if bars is not None:
            bars.close()
    if as_json:
        print_json(result.to_json())
        if not result.report.ok:
            sys.exit(EXIT_INTEGRITY)
        return
    extra = f"，另有已撤回 {result.withdrawn} 件（已标明）" if result.withdrawn else ""
    click.echo(shown(f"已生成 {year} 年度移交包：{result.target}"))
    click.echo(f"在档 {result.items} 件{extra}，文件 {result.files} 个，共 {result.bytes} 字节，用时 {result.seconds:.1f} 秒")
    counts = result.report.counts()
    if result.report.ok:
        click.echo(f"四性检测（移交环节）全部通过：{counts['通过']} 项通过，报告见移交包中的 四性检测报告.pdf")
        return
    for item in result.report.checks:
        if item.result == "不通过":
            click.echo(shown(f"不通过：{item.property}：{item.name}：{'；'.join(item.failures[:3])}"), err=True)
    click.echo(f"四性检测有 {counts['不通过']} 项不通过，移交包已生成，但请先按上面的说明处理，再重新生成后移交",
               err=True)
    sys.exit(EXIT_INTEGRITY)
