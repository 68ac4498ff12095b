"""`fupin pack`: evidence packs (佐证材料). Thin wrapper over fupin_docs.pack.

Two forms share the name:
  fupin pack (QUERY | --id ID... | --problem PID) -o PACK.zip [options]   build
  fupin pack verify PACK.zip                                             check
The group routes anything that is not `verify` (or `build`) to `build`, so
`fupin pack 危房 -o x.zip` works without naming the subcommand.
"""

from __future__ import annotations

import inspect
import sys
from pathlib import Path

import click

from ..workspace.config import is_workspace
from .common import (EXIT_INTEGRITY, EXIT_USAGE, HINTS, IntegrityError, StageBars, UserError, handle_errors,
                     print_json, workspace_from)
from .dates import DATE

# Key lists are \b blocks, one key a line: click would otherwise re-wrap them
# and could cut an identifier such as payload_bytes in two.
BUILD_JSON_HELP = """\b
--json 输出一个对象，键固定为：
  path          材料包路径
  items         材料件数
  files         包内文件数（含目录与合并本）
  bytes         data/ 总字节数
  catalog       目录 PDF 在包内的路径
  merged        合并打印本路径或 null
  merged_pages  合并本页数
  seconds       用时（秒）
  missing       缺失材料数组，每项的键：archive_no、status、problem
  warnings      提醒文字数组"""
VERIFY_JSON_HELP = """\b
--json 输出一个对象，键固定为：
  path             材料包路径
  ok               true/false
  bagit_version    BagIt 版本
  payload_files    data/ 中的文件数
  payload_bytes    data/ 总字节数
  items            材料件数
  archive_checked  与档案记录核对过的文件数
  archive_unknown  档案中找不到的档号
  problems         问题数组，每项的键：kind、path、detail
  bag_info         bag-info.txt 的内容
  archive_head     建包时的档案链头“序号:校验值”，材料包未记录时为 null
  checked_against  archive：已与本工作目录的档案逐件核对；
                   pack_only：仅核对了材料包内部的一致性
  archive_note     未与档案核对的原因（已核对时为空）
  sm3_checked      按 SM3 摘要清单（fupin-sm3.txt）核对无误的文件数
  notes            提示文字数组（不算问题，如较早的材料包没有 SM3 摘要清单）
kind 为以下之一：
  missing、extra、checksum、tag、structure、oxum、archive、anchor
  （anchor：档案已不再保有建包时的链头，即建包后档案被改写，
  或材料包不是由本工作目录的档案生成的）"""
# Hints of verify problems that cli/common.py's HINTS does not (yet) carry.
MISSING_OUTPUT = "缺少 -o/--output：请指定佐证材料包的文件名，例如 fupin pack {query} -o {query}佐证.zip"


def _with_json_help(cmd: click.Command, text: str) -> None:
    """Append TEXT to CMD's help; the docstring is dedented first so both share one margin."""
    cmd.help = inspect.cleandoc(cmd.help or "") + "\n\n" + text


class PackGroup(click.Group):
    """`pack verify …` and `pack build …` as usual; any other first word means build."""

    def parse_args(self, ctx, args):
        if args and args[0] not in self.commands and args[0] not in ("-h", "--help"):
            args = ["build", *args]
        return super().parse_args(ctx, args)


@click.group("pack", cls=PackGroup)
def command():
    """佐证材料包：把选中的档案材料打成一个能自证齐全、未被改动的 zip 包，供督查组查验。

    \b
    生成：
      fupin pack 危房改造 -o 危房改造佐证材料.zip --purpose "迎接县督查组检查"
      fupin pack --id Z001-WS·2020-Y-ZFB-0001 --id Z001-WS·2020-Y-ZFB-0002 -o 材料.zip
      fupin pack --problem WT-2020-0001 -o 问题销号佐证.zip --merge
    校验：
      fupin pack verify 危房改造佐证材料.zip

    材料包为 BagIt 1.0 格式（RFC 8493）：data/ 中第一个文件是目录 PDF，随后是各件材料的原件
    （及归档时附带的 PDF 版），manifest-sha256.txt 记录每个文件的校验值，fupin-sm3.txt 记录
    每个文件的国密 SM3 摘要（GB/T 32905）。详见 fupin pack build --help。
    """


@command.command("build", short_help="生成材料包（build 可省略：fupin pack 检索词 -o 材料包.zip）")
@click.argument("query", nargs=-1)
@click.option("--id", "ids", multiple=True, metavar="档号", help="按档号选取（可重复）")
@click.option("--problem", metavar="问题编号", help="选取台账问题的全部佐证材料")
@click.option("-o", "--output", type=click.Path(dir_okay=False),
              help="输出的材料包（.zip），必须给出")
@click.option("--force", is_flag=True, help="覆盖已存在的同名材料包")
@click.option("--purpose", default="", help="用途说明，写入目录和 bag-info.txt（如“迎接县督查组检查”）")
@click.option("--title", default="", help="材料包标题，印在目录首页（默认“佐证材料”）")
@click.option("--merge", is_flag=True, help="另附一份合并打印本：全部 PDF 按目录顺序合成一个文件，每页边上印页码和档号")
@click.option("--format", "formats", type=click.Choice(["pdf", "ofd"]), default="pdf", show_default=True,
              help="转换版：pdf 只附 PDF 转换版；ofd 另附已归档的 OFD 版式文件（与 PDF 并列）")
@click.option("--skip-missing", is_flag=True, help="有材料无法读取或已损坏时仍打包其余材料，目录中注明缺失")
@click.option("--kind", help="只要该类别的材料")
@click.option("--unit", help="只要该单位的材料")
@click.option("--from", "date_from", type=DATE, help="只要此日期及以后的材料（如 2020-06-08 或 2020年6月8日）")
@click.option("--to", "date_to", type=DATE, help="只要此日期及以前的材料")
@click.option("--tag", "tags", multiple=True, help="只要带此标签的材料（可重复）")
@click.option("--retention", "-r", help="只要此保管期限的材料：永久、定期30年、定期10年（或 Y、D30、D10）")
@click.option("--limit", type=click.IntRange(min=1), help="最多打包多少件")
@click.option("--loose", is_flag=True,
              help="宽松匹配：检索词的各个词语出现即可，不必相连（默认只收每个检索词都原样出现的材料）")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出结果（键见下）")
@click.pass_context
@handle_errors
def build(ctx, query, ids, problem, output, force, purpose, title, merge, formats, skip_missing, kind, unit,
          date_from, date_to, tags, retention, limit, loose, as_json):
    """生成佐证材料包：fupin pack (检索词 | --id 档号... | --problem 问题编号) -o 材料包.zip

    检索词、--id 和 --problem 可以同时使用，选中的材料合在一起（去重）；--kind 等筛选条件对全部选中材料生效。
    按检索词选取时只收每个检索词都原样出现（繁简视为相同）的材料，如“饮水安全”不收只有“饮水……粮食安全”的文件；
    加 --loose 则词语分开出现的也收。目录的“检索匹配规则”一栏写明用的是哪种。
    选不到任何材料时报错，不生成空包；有材料无法读取时报出档号，不生成材料包（除非加 --skip-missing）。
    """
    from ..pack import Selection, build_pack

    if not output:
        # A usage error, but about `fupin pack` (the routing to `build` is an implementation detail).
        word = query[0] if len(query) == 1 and 0 < len(query[0]) <= 20 and " " not in query[0] else "危房"
        click.echo("错误：" + MISSING_OUTPUT.format(query=word), err=True)
        ctx.exit(EXIT_USAGE)
    if Path(output).exists() and not Path(output).is_dir() and not force:
        raise UserError(f"{output} 已存在；如需覆盖请加 --force")
    ws = workspace_from(ctx)
    selection = Selection(query=" ".join(query).strip() or None, ids=tuple(ids), problem=problem,
                          kind=kind, unit=unit, date_from=date_from.isoformat() if date_from else None,
                          date_to=date_to.isoformat() if date_to else None, tags=tuple(tags), retention=retention,
                          limit=limit, loose=loose)
    bars = None if as_json else StageBars()
    try:
        result = build_pack(ws, selection, output, purpose=purpose, title=title, merge=merge,
                            skip_missing=skip_missing, progress=bars, ofd=formats == "ofd")
    finally:
        if bars is not None:
            bars.close()  # a failed build leaves no half-drawn bar above its error message
    if as_json:
        print_json(result.as_dict())
    else:
        for warning in result.warnings:
            click.echo(f"提醒：{warning}", err=True)
        for item in result.missing:
            click.echo(f"缺失：第 {item.seq} 件 {item.archive_no}（{item.problem}）", err=True)
        size_mb = result.payload_bytes / 1048576
        click.echo(f"已生成材料包 {result.path}：{len(result.items)} 件材料，{result.file_count} 个文件，"
                   f"共 {size_mb:.1f} MB，用时 {result.seconds:.1f} 秒。")
        if result.merged_name:
            click.echo(f"合并打印本：data/{result.merged_name}，共 {result.merged_pages} 页。")
        click.echo(f"目录：data/{result.catalog_name}。校验：fupin pack verify {result.path}")
_with_json_help(build, BUILD_JSON_HELP)


@command.command("verify", short_help="校验材料包是否齐全、未被改动（损坏时退出码 3）")
@click.argument("pack", type=click.Path(dir_okay=False))
@click.option("--no-archive", is_flag=True, help="只校验材料包本身，不与本工作目录的档案核对")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出结果（键见下）")
@click.pass_context
@handle_errors
def verify(ctx, pack, no_archive, as_json):
    """校验材料包：文件齐全、没有多出的文件、每个文件的校验值和 SM3 摘要正确。

    在有档案的工作目录中运行时，还逐个核对包中每件材料与档案中该档号归档时记录的校验值，
    并核对档案仍保有建包时的链头（建包后档案未被改写）。在工作目录之外（或加 --no-archive）
    只能核对材料包内部的一致性，结果中会写明。
    发现问题时逐个列出受损文件，退出码为 3。
    """
    from ..pack import verify_pack

    # An inspector verifies without any archive; a clerk's workspace adds the archive check.
    ws = None if no_archive else workspace_from(ctx, required=False)
    if ws is not None and not is_workspace(ws):
        ws = None
    report = verify_pack(pack, ws)
    if report.checked_against != "archive" and not report.archive_note:
        report.archive_note = "已按 --no-archive 不与档案核对" if no_archive else "当前不在工作目录中"
    if as_json:
        print_json(report.as_dict())
        if not report.ok:
            sys.exit(EXIT_INTEGRITY)
        return
    info = report.info
    if info:
        click.echo(f"材料包：{report.path}（BagIt {report.bagit_version or '?'}，"
                   f"{info.get('Source-Organization', '')} {info.get('Bagging-Date', '')}）")
    for note in report.notes:
        click.echo(f"提示：{note}")
    if report.ok:
        digests = "校验值和 SM3 摘要" if report.sm3_checked == report.payload_files else "校验值"
        click.echo(f"完好：{report.payload_files} 个文件齐全，{digests}全部正确，没有多出的文件。")
        if report.checked_against == "archive":
            click.echo(f"已与本工作目录的档案核对 {report.archive_checked} 个文件，全部一致；"
                       f"档案仍保有建包时的链头 {report.head_short}，建包后未被改写。"
                       + ("（目录和合并打印本是建包时生成的，不在档案中：已核对目录所列每件的档号、题名、"
                          "校验值和次序，合并打印本的页数和每页的档号页码戳记；版面和图像（如扫描页）未能逐页比对。）"
                          if report.archive_checked < report.payload_files else ""))
        else:
            click.echo(f"注意：仅核对了材料包内部的一致性（建包时档案链头 {report.head_short}），"
                       f"未与档案核对（{report.archive_note}）。包中材料与档案是否一致，须在报送单位的工作目录中校验。")
        return
    for problem in report.problems:
        click.echo(f"  {problem}", err=True)
    for key in dict.fromkeys(p.hint for p in report.problems if p.hint):
        text = HINTS.get(key)
        if text:
            click.echo(f"提示：{text}", err=True)
    names = report.damaged_paths()
    only_archive = all(p.kind in ("archive", "anchor") for p in report.problems)
    what = "材料包与本工作目录的档案核对不符" if only_archive else "材料包不完整、已损坏或被改动"
    raise IntegrityError(f"{what}，共 {len(report.problems)} 处问题"
                         + (f"，涉及：{'、'.join(names[:20])}" if names else "")
                         + (f" 等 {len(names)} 个文件" if len(names) > 20 else ""))
_with_json_help(verify, VERIFY_JSON_HELP)

