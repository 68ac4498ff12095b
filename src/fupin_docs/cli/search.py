"""`fupin search QUERY`."""

from __future__ import annotations

import click

from ..text_safety import shown
from .common import handle_errors, print_json, workspace_from
from .dates import DATE

MATCH_LABELS = {"as_typed": "原样匹配", "words": "分词匹配（词语分开出现）"}


@click.command("search", context_settings={"ignore_unknown_options": True})
@click.argument("query", nargs=-1)
@click.option("--kind", "-k", help="只查此文种：plan/notice/minutes/rectification 或 实施方案/督查通知/会议纪要/整改报告/签到册 …")
@click.option("--unit", "-u", help="只查此单位，如 三星村")
@click.option("--from", "date_from", type=DATE, help="起始日期（含），如 2020-01-01 或 2020年1月1日")
@click.option("--to", "date_to", type=DATE, help="截止日期（含），如 2020-12-31 或 2020年12月31日")
@click.option("--tag", "tags", multiple=True, help="只查带此标签的文件，可重复")
@click.option("--retention", "-r", help="只查此保管期限：永久、定期30年、定期10年（或 Y、D30、D10）")
@click.option("--county", is_flag=True, help="检索全县各乡镇的档案（须接入县级数据库）")
@click.option("--limit", "-n", type=click.IntRange(1, 10000), default=20, show_default=True, help="最多显示几条")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出（键见下）")
@click.pass_context
@handle_errors
def command(ctx, query, kind, unit, date_from, date_to, tags, retention, county, limit, as_json):
    """在档案中查找文件，简体、繁体均可（脫貧攻堅 与 脱贫攻坚 等同）。

    \b
    写法：
      fupin search 危房改造               词语：原样出现的排在前面，其后是“危房”“改造”分开出现的（要只找原样出现的请加引号）
      fupin search 危房 三星村            同时包含两个词
      fupin search '"问题清零"'           加引号：必须原样出现
      fupin search 危房 AND 饮水          同时包含（AND、与、和 单独成词时等同空格）
      fupin search 整改 OR 销号           包含其中任一个（也可写 或、|，如 整改|销号）
      fupin search 脱贫 -医疗             排除含“医疗”的（也可写 NOT 医疗）
      fupin search 饮水安全 --unit 三星村 --from 2020-01-01 --kind 会议纪要
      fupin search 整改 --retention 永久          只查永久保管的
      fupin search Z001-WS·2020-D30-ZFB-0003    按档号查（· 也可写成 . 或 -）
      fupin search 三政发〔2020〕12号          按发文字号查（〔〕也可写成 [] 或 ()）
      fupin search 危房改造 --county           检索全县各乡镇的档案（县级数据库），每条注明所属乡镇
    匹配处在摘要中用【】标出；每条结果注明“原样匹配”（各词原样出现，繁简视为相同）或“分词匹配”（只是词语分开出现）。

    \b
    --json 输出键：query, total（符合条件的全部件数）, total_exact（false 表示 total 为上限估计）,
      shown（本次列出的条数）, notes[]（索引自动修复等提示）,
      hits[{archive_no, title, kind, unit, date, score, snippet, match, township}]
      match："as_typed" 各检索词原样出现（繁简视为相同），"words" 只是词语分开出现
      township：所属乡镇（仅 --county 时有，否则为 null）
    """
    from ..search import search
    for word in query:
        if word.startswith("--"):
            raise click.UsageError(f"没有选项 {word}（要排除一个词请写 -词 或 NOT 词）", ctx)
    text = " ".join(query).strip()
    notes: list = []
    hits = search(workspace_from(ctx), text, kind=kind, unit=unit, date_from=date_from, date_to=date_to,
                  tags=tags, retention=retention, limit=limit, notes=notes, county=county)
    if as_json:
        print_json(hits.to_json(text, notes))
        return
    for note in notes:
        click.echo(f"提示：{note}", err=True)
    if not hits:
        filters = [f"{label}{value}" for label, value in (("文种=", kind), ("单位=", unit), ("起=", date_from),
                                                          ("止=", date_to), ("标签=", "、".join(tags)),
                                                          ("保管期限=", retention))
                   if value]
        click.echo(f"没有找到与“{text}”相关的文件" + (f"（筛选条件：{'，'.join(filters)}）" if filters else "") + "。")
        click.echo("可以换个说法、减少词语或放宽筛选条件再试。")
        return
    from ..archive.kinds import kind_label
    if hits.total > len(hits):
        about = "" if hits.exact else "约 "
        click.echo(f"共找到 {about}{hits.total} 件，按相关程度列出前 {len(hits)} 件（要看更多请加大 --limit）：")
    else:
        click.echo(f"找到 {len(hits)} 件：")
    for rank, hit in enumerate(hits, 1):
        how = MATCH_LABELS.get(hit.match, "")
        meta = "  ".join(v for v in (hit.township, hit.date, hit.unit, kind_label(hit.kind), how) if v)
        click.echo(shown(f"{rank}. {hit.archive_no}  {hit.title}"))
        if meta:
            click.echo(shown(f"   {meta}"))
        if hit.snippet:
            click.echo(shown(f"   {hit.snippet}"))
