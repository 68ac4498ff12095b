"""`fupin archive add|list|show|edit|verify|check|withdraw|digest`."""

from __future__ import annotations

import inspect
import sys

import click

from ..archive.listing import describe_changes, item_json, items_json
from ..text_safety import shown
from .archive_export import export_command
from .common import (EXIT_INPUT, EXIT_INTEGRITY, HINTS, IntegrityError, StageBars, UserError, handle_errors,
                     message_for, print_json, workspace_from)
from .dates import DATE

ITEM_JSON_HELP = """\b
--json 输出的键（稳定，供脚本使用）：
  archive_no 档号, title 题名, kind 文种代码, kind_label 文种, unit 单位,
  date 日期(YYYY-MM-DD 或 null), doc_number 文件编号, issuer 责任者, secrecy 密级,
  retention 保管期限(Y/D30/D10), retention_label, pages 页数(或 null), format 格式,
  file_name 原文件名, size 字节数, sha256 校验值, sm3 国密 SM3 摘要（未记录时为 null）,
  tags 标签[], added_at 归档时间, added_by 归档人,
  how 归档方式, withdrawn 是否撤回, withdraw_reason, withdrawn_at,
  renditions 副本[{file_name, sha256, sm3, format, size, pages}],
  date_source 日期来源（未给 --date 时从文件中找到的“成文日期”/“印发日期”/“拍摄日期”，否则 null）,
  changed_at 最近修改时间, changed_by 最近修改人（未修改过为 null）
时间（added_at 等）为带时区的 ISO 8601"""



def _hint(key: str) -> str:
    return HINTS.get(key, "")


def _archive(ctx):
    from ..archive import Archive
    return Archive(workspace_from(ctx))


@click.group("archive")
def command():
    """档案：归档文件，查看、修改元数据、核验（四性检测）与撤回。

    \b
    fupin archive add 会议纪要.docx --kind 会议纪要 --unit 三星村 --date 2020-03-15
    fupin archive list
    fupin archive add 照片文件夹/ --kind 照片 --date 2020-03-15
    fupin archive show Z001-WS·2020-D30-ZFB-0001   （也可写 z001-ws-2020-d30-zfb-0001 或 0001）
    fupin archive edit 0001 --date 2020-03-16 --reason "日期登记错误，按原件更正"
    fupin archive verify
    fupin archive check --report 四性检测报告.pdf   （DA/T 70 四性检测，逐项出具检测报告）
    fupin archive withdraw 档号 --reason "重复归档"
    fupin archive digest   （为较早归档、还没有国密 SM3 摘要的文件补记）
    """


@command.command("add")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--kind", "-k", help="文种：plan/notice/minutes/rectification（或 实施方案/督查通知/会议纪要/整改报告），"
                                   "其他材料可写 签到册、照片、台账 等；默认照片为“照片”，其余为“其他”")
@click.option("--title", "-t", help="题名（默认取文档属性中的标题或文件名）")
@click.option("--unit", "-u", help="所属单位，如 三星村、镇扶贫工作站")
@click.option("--date", "-d", "date", type=DATE,
              help="文件日期，如 2020-03-15 或 2020年3月15日；档号年度取自此日期。"
                   "不写时取文件末尾的成文日期（或印发日期）、照片的拍摄日期；都找不到时不归档，请补上日期")
@click.option("--tag", "tags", multiple=True, help="标签，可重复：--tag 饮水安全 --tag 2020督查")
@click.option("--doc-number", help="文件编号（发文字号），如 某政发〔2020〕5号")
@click.option("--issuer", help="责任者（发文机关）")
@click.option("--secrecy", help="密级：秘密/机密/绝密（不涉密可不填）")
@click.option("--retention", help="保管期限：Y 永久 / D30 定期30年 / D10 定期10年（默认取 fupin.toml）")
@click.option("--rendition", "renditions", multiple=True, type=click.Path(dir_okay=False),
              help="同一文件的其他格式（如 Word 稿对应的 PDF），与主文件一起保存；只能用于单个文件")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出结果")
@click.pass_context
@handle_errors
def add(ctx, paths, kind, title, unit, date, tags, doc_number, issuer, secrecy, retention, renditions, as_json):
    """归档文件（.docx .pdf .xlsx .txt .md 图片 等）或文件夹中的文件，输出所分配的档号。

    给出文件夹时归档其中的文件（不含子文件夹和隐藏文件）。
    同一内容（sha256 相同）的文件只保存一份，再次归档时报告已有的档号。
    文件原样保存、只读，不作任何改动。多个文件时最后报告
    “归档 N 件，已存在 M 件，失败 K 件”；有失败时退出码为 1。

    \b
    --json 输出列表，每项键：archive_no, created（false 表示内容已归档过）,
      title, file_name, sha256, date（YYYY-MM-DD 或 null）,
      date_source（未给 --date 时："成文日期"/"印发日期" 表示取自正文，"拍摄日期" 表示取自照片；给了为 null）,
      index_error（检索索引未能更新时为原因，否则 null）
    """
    from ..filing import expand_paths, file_documents

    files, folders = expand_paths(paths)
    for note in folders:
        click.echo(f"文件夹“{note.folder}”：{note.files} 个文件待归档" +
                   (f"（未包括 {note.subfolders} 个子文件夹）" if note.subfolders else ""), err=True)
    if renditions and len(files) > 1:
        raise UserError("--rendition 只能与单个文件一起使用")
    dated = 0

    def show(done, total, outcome):
        nonlocal dated
        if isinstance(outcome, Exception):
            click.echo(f"错误：{message_for(outcome)}", err=True)
            return
        item = outcome.item
        if not as_json:
            if outcome.created:
                click.echo(shown(f"{item.archive_no}\t已归档：{item.title}（{item.file_name}）"))
            else:
                click.echo(shown(f"{item.archive_no}\t内容相同的文件已归档，未重复保存：{item.title}"))
        if outcome.date_source:
            dated += 1
            click.echo(f"注意：未给 --date，{item.archive_no} 的日期取自 {item.file_name} 的"
                       f"{outcome.date_source} {item.date}，档号年度据此", err=True)
        if outcome.index_error:
            click.echo(f"注意：{item.archive_no} 已归档，但检索索引未能更新（{outcome.index_error}）。"
                       "下次检索时会自动补齐，也可运行 fupin index rebuild", err=True)

    batch = file_documents(workspace_from(ctx), files, progress=show, kind=kind, title=title, unit=unit,
                           date=date, tags=tags, doc_number=doc_number, issuer=issuer, secrecy=secrecy,
                           retention=retention, renditions=renditions)
    if dated:
        click.echo(DATE_FIX, err=True)
    if as_json:
        print_json([{"archive_no": f.item.archive_no, "created": f.created, "title": f.item.title,
                     "file_name": f.item.file_name, "sha256": f.item.sha256, "date": f.item.date,
                     "date_source": f.date_source, "index_error": f.index_error} for f in batch.filed])
    if len(files) > 1 or batch.failed:
        left = f"，另有 {len(batch.not_tried)} 件未归档（数据库恢复后再运行一次即可，已归档的不会重复）" if batch.not_tried else ""
        click.echo(f"归档 {batch.created} 件，已存在 {batch.existing} 件，失败 {len(batch.failed)} 件{left}", err=as_json)
    if batch.failed:
        sys.exit(EXIT_INPUT)


DATE_FIX = ("日期如不对（同一年度内），可用 fupin archive edit 档号 --date 2020-03-15 --reason 原因 更正；"
            "以后归档时可用 --date 指定日期")


@command.command("list")
@click.option("--all", "include_withdrawn", is_flag=True, help="包括已撤回的文件")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出（键见下）")
@click.pass_context
@handle_errors
def list_(ctx, include_withdrawn, as_json):
    """列出档案中的文件（按档号）。"""
    archive = _archive(ctx)
    items = sorted(archive.items(include_withdrawn=include_withdrawn), key=lambda it: it.archive_no)
    if as_json:
        print_json(items_json(items))
    elif not items:
        click.echo("档案中还没有文件。用 fupin archive add 文件 归档。")
    else:
        for item in items:
            flag = "（已撤回）" if item.withdrawn else ""
            click.echo(shown(f"{item.archive_no}  {item.date or '—':10}  {item.kind_label:6}  "
                             f"{item.title}{flag}" + (f"  [{item.unit}]" if item.unit else "")))
        click.echo(f"共 {len(items)} 件")
    try:
        from ..search import index_status
        status = index_status(archive.workspace, [item for item in items if not item.withdrawn], quick=True)
        if not status.ok:
            click.echo(f"注意：{status.message}。请运行 fupin index rebuild", err=True)
    except Exception:
        click.echo("注意：无法检查检索索引，请运行 fupin index rebuild", err=True)


list_.help = (list_.help or "") + "\n\n" + ITEM_JSON_HELP


@command.command("show")
@click.argument("archive_no")
@click.option("--json", "as_json", is_flag=True,
              help="以 JSON 输出（键见下，另有 path, rendition_paths, "
                   "history[{seq, at 带时区 ISO 时间, who, action 如 add/change/withdraw, "
                   "action_label 如 归档/修改/撤回, reason 原因（修改、撤回时，否则 null）, "
                   "changes 修改内容{字段: {old, new}}（仅修改时，否则 null）}]）")
@click.pass_context
@handle_errors
def show(ctx, archive_no, as_json):
    """显示一件文件的全部元数据、存放位置和审计记录（时间为本机时区）。

    档号可用“-”或“.”代替“·”，大小写均可；只写件号（如 0005 或 5）时须能唯一确定一件文件。
    """
    from ..archive.journal import action_label, local_time
    archive = _archive(ctx)
    item = archive.require(archive_no)
    history = archive.history(item)
    path = archive.file_path(item)
    if as_json:
        print_json(item_json(archive, item))
        return
    date = item.date
    if date and item.date_source:
        date += f"（归档时未给日期，取自文件的{item.date_source}）"
    rows = [("档号", item.archive_no), ("题名", item.title), ("文种", item.kind_label), ("单位", item.unit),
            ("日期", date), ("文件编号", item.doc_number), ("责任者", item.issuer), ("密级", item.secrecy),
            ("保管期限", item.retention_label), ("页数", item.pages if item.pages else "—"), ("格式", item.format),
            ("原文件名", item.file_name), ("大小", f"{item.size} 字节"), ("校验值", item.sha256),
            ("SM3 摘要", item.sm3 or f"未记录（{_hint('archive.digest')}）"),
            ("标签", "、".join(item.tags)), ("归档时间", local_time(item.added_at)), ("归档人", item.added_by),
            ("归档方式", item.how), ("存放位置", str(path))]
    if item.changed_at:
        rows.append(("最近修改", f"{local_time(item.changed_at)} {item.changed_by or ''}（修改记录见下）"))
    for rendition, rpath in zip(item.renditions, archive.rendition_paths(item)):
        rows.append(("副本", f"{rendition['file_name']}（{rendition['format']}，{rpath}；"
                           f"SM3 摘要 {rendition.get('sm3') or '未记录'}）"))
    if item.withdrawn:
        rows.append(("状态", f"已撤回（{local_time(item.withdrawn_at)}，原因：{item.withdraw_reason}；文件仍保留）"))
    for label, value in rows:
        if value not in (None, ""):
            click.echo(shown(f"{label}：{value}"))
    if history:
        click.echo("审计记录：")
        for event in history:
            line = f"  #{event['seq']} {local_time(event['at'])} {event['who']} {action_label(event['action'])}"
            detail = event.get("detail") or {}
            if event["action"] == "change":
                line += "：" + describe_changes(detail.get("changes"))
            if event["action"] in ("change", "withdraw") and detail.get("reason"):
                line += f"（原因：{detail['reason']}）"
            click.echo(shown(line))


show.help = (show.help or "") + "\n\n" + ITEM_JSON_HELP


@command.command("edit")
@click.argument("archive_no")
@click.option("--title", "-t", help="新的题名")
@click.option("--date", "-d", "date", type=DATE, help="新的日期，如 2020-03-15 或 2020年3月15日（须在档号的年度内）")
@click.option("--unit", "-u", help="新的所属单位（写 \"\" 清空）")
@click.option("--kind", "-k", help="新的文种：plan/notice/minutes/rectification（或 实施方案/督查通知/会议纪要/整改报告）或其他文种")
@click.option("--doc-number", help="新的文件编号（发文字号）（写 \"\" 清空）")
@click.option("--issuer", help="新的责任者（发文机关）（写 \"\" 清空）")
@click.option("--secrecy", help="新的密级：秘密/机密/绝密 等（写 \"\" 清空）")
@click.option("--tag", "tags", multiple=True,
              help="新的标签，可重复；给出时替换全部原有标签（--tag \"\" 清空标签）")
@click.option("--reason", "-r", required=True, help="修改原因（必填），如 “日期登记错误，按原件更正”")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出结果（键见下）")
@click.pass_context
@handle_errors
def edit(ctx, archive_no, title, date, unit, kind, doc_number, issuer, secrecy, tags, reason, as_json):
    """更正一件文件的著录元数据：题名、日期、单位、文种、文件编号、责任者、密级、标签。

    \b
    只改登记的元数据：文件本身（字节、校验值）原样不动，档号按归档时分配的保持不变。
    日期只能在档号的年度内更正：档号按年度连续编排，改到另一年度须撤回后按正确日期
    重新归档。每次修改都记入审计日志（修改人、时间、原因、各项的原值和新值），
    fupin archive show 可查看；已撤回的文件不能修改。
    检索索引随之更新，按新题名、日期、单位即可检索到。

    档号可用“-”或“.”代替“·”，大小写均可；只写件号（如 0005 或 5）时须能唯一确定一件文件。

    \b
    例：fupin archive edit 0001 --title "三星村危房改造专题会议纪要" --reason "题名漏字"
        fupin archive edit Z001-WS·2020-D30-ZFB-0001 --date 2020-03-16 --reason "日期登记错误"

    \b
    --json 输出键：archive_no, seq 审计记录序号, at 修改时间（带时区 ISO 8601）, who,
      reason, changes{字段: {old, new}}（字段为 title/date/unit/kind/doc_number/
      issuer/secrecy/tags）, item（修改后的全部元数据，键同 archive list --json）,
      index_error（检索索引未能更新时为原因，否则 null）
    """
    given = {"title": title, "date": date, "unit": unit, "kind": kind, "doc_number": doc_number,
             "issuer": issuer, "secrecy": secrecy}
    fields = {name: value for name, value in given.items() if value is not None}
    if tags:
        fields["tags"] = list(tags)
    from ..filing import edit_document

    edited = edit_document(workspace_from(ctx), archive_no, reason=reason, **fields)
    item, record, changes = edited.item, edited.record, edited.changes
    if as_json:
        print_json({"archive_no": item.archive_no, "seq": record.get("seq"), "at": record.get("at"),
                    "who": record.get("who"), "reason": (record.get("detail") or {}).get("reason"),
                    "changes": changes, "item": item.to_json(), "index_error": edited.index_error})
    else:
        click.echo(shown(f"已修改 {item.archive_no}《{item.title}》：{describe_changes(changes)}"
                         f"（原因：{(record.get('detail') or {}).get('reason')}；档号不变，已记入审计日志）"))
    if edited.index_error:
        click.echo(f"注意：{item.archive_no} 已修改，但检索索引未能更新（{edited.index_error}）。"
                   "下次检索时会自动补齐，也可运行 fupin index rebuild", err=True)


edit.help = inspect.cleandoc(edit.help or "") + "\n\n" + ITEM_JSON_HELP.replace("--json 输出的键", "item 的键")


@command.command("verify")
@click.option("--anchor", "anchors", multiple=True, metavar="存证文件|记录号:哈希",
              help="再核对一份存证（U 盘上的存证文件，或存证单上印的“记录号:哈希”），可重复")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出报告")
@click.pass_context
@handle_errors
def verify(ctx, anchors, as_json):
    """核验档案（DA/T 70 四性检测中可由程序完成的部分）。

    \b
    真实性：审计日志哈希链完整、未被截短，仍包含每一份存证（fupin archive anchor）
            和检索索引记下的链头，每个文件的校验值和国密 SM3 摘要与归档时
            （或补记时）记录的一致；还没有 SM3 摘要的文件给出提示
    完整性：文件和副本齐全、大小一致，必备元数据齐全有效，件号连续
    可用性：文件可读且为登记的格式，检索索引与档案一致
    安全性：文件保持只读
    发现损坏时退出码为 3。

    \b
    --json 输出键：ok, items, withdrawn, files_checked, sm3_checked（SM3 摘要也已核对的文件数）,
      anchors_checked, anchors[], problems[{category, message}], warnings[{category, message}]
    """
    from ..archive.anchor import read_anchors
    from ..archive.journal import local_time
    from ..filing import verify as verify_all

    report = verify_all(workspace_from(ctx), [anchor for given in anchors for anchor in read_anchors(given)])
    if as_json:
        print_json(report.to_json())
    else:
        for anchor in report.anchors:
            when = local_time(anchor.get("at")) if anchor.get("at") else "给出的存证"
            copies = "、".join(anchor.get("written_to") or []) or "无副本记录"
            click.echo(shown(f"存证：{when}，第 {anchor['seq']} 条 {anchor['hash'][:12]}…（副本：{copies}）"))
        for message in report.warnings:
            click.echo(f"提示：{message}")
        for key in report.hints:
            if _hint(key):
                click.echo(f"提示：{_hint(key)}")
        for message in report.problems:
            click.echo(f"问题：{message}")
        if report.ok:
            files = (f"{report.files_checked} 个文件的校验值和 SM3 摘要全部一致"
                     if report.sm3_checked == report.files_checked else
                     f"{report.files_checked} 个文件的校验值全部一致（其中 {report.sm3_checked} 个也核对了 SM3 摘要）")
            click.echo(f"核验通过：{report.items} 件在档（另有 {report.withdrawn} 件已撤回），"
                       f"{files}，审计日志完整"
                       + (f"，与 {report.anchors_checked} 份存证相符。" if report.anchors_checked else "。"))
    if not report.ok:
        if as_json:
            sys.exit(EXIT_INTEGRITY)
        raise IntegrityError(f"档案核验发现 {len(report.problems)} 处问题（见上）。"
                             "请从备份恢复受损的文件或日志；索引问题运行 fupin index rebuild 即可")


@command.command("check")
@click.option("--stage", default="归档", show_default=True, metavar="归档|移交|保存",
              help="检测阶段（DA/T 70：归档环节、移交与接收环节、长期保存环节）")
@click.option("--report", "report_path", type=click.Path(dir_okay=False), metavar="四性检测报告.pdf",
              help="把检测报告另存为 PDF（A4，可打印签字）")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出检测结果（键见下）")
@click.argument("package", required=False, type=click.Path(exists=True, file_okay=False), metavar="[移交包文件夹]")
@click.pass_context
@handle_errors
def check(ctx, stage, report_path, as_json, package):
    """四性检测（DA/T 70-2018 文书类电子档案检测一般要求）：逐项检测本单位档案的
    真实性、完整性、可用性、安全性，每项给出“通过/不通过/不适用”和依据，
    不通过的列出档号。检测本身记入审计日志。

    \b
    真实性：数字摘要（SHA-256、SM3）、元数据长度/类型/值域/合理性/特殊字符、
            档号规范、档号不重复、文件名/大小/格式与登记一致、审计日志哈希链
    完整性：总件数、总字节数、DA/T 46 必备元数据、件号连续、文件和副本齐全
    可用性：文件按格式打开、可提取文字、长期保存格式（OFD、PDF/A 或其副本）、软硬件环境
    安全性：存储中无多余文件、文件只读、审计日志与存证相符、检测过程记入日志
    全部通过退出码为 0，有不通过的项目退出码为 3。

    给出移交包文件夹时（fupin archive export 生成的），按移交与接收环节检测这个接收到的移交包，
    不需要工作目录，也不记入日志。

    \b
    例：fupin archive check --report 四性检测报告.pdf
        fupin archive check --stage 移交 接收的2020年移交包

    \b
    --json 输出键：ok, stage, fonds, office, checked_at, tool, environment{tool, python, os},
      items, withdrawn, files, bytes, counts{通过, 不通过, 不适用}, logged_seq（本次检测的审计日志记录号）,
      checks[{key, code（DA/T 70 检测项目编号，未核实的为 null）, property（真实性/完整性/可用性/安全性）,
              name, result（通过/不通过/不适用）, basis, failures[], notes[], explanation}]
    """
    from ..archive.four_properties import FAIL, check_archive
    from ..archive.handover import check_package

    bars = None if as_json else StageBars()
    progress = (lambda done, total: bars("正在检测文件", done, total)) if bars else None
    try:
        if package:  # a received 移交包: checked as it is, at the 移交 stage
            report = check_package(package, progress=progress)
        else:
            report = check_archive(_archive(ctx), stage, office=workspace_from(ctx).config.office.name,
                                   progress=progress)
    finally:
        if bars is not None:
            bars.close()
    written = None
    if report_path:
        from ..archive.check_report import write_check_report
        written = write_check_report(report, report_path)
    if as_json:
        data = report.to_json()
        data["report"] = str(written) if written else None
        print_json(data)
        if not report.ok:
            sys.exit(EXIT_INTEGRITY)
        return
    for item in report.checks:
        click.echo(shown(f"{item.code or '—':<8}{item.result}\t{item.property}：{item.name}"))
        if item.result == FAIL:
            for line in item.failures:
                click.echo(shown(f"\t不通过：{line}"))
    counts = report.counts()
    click.echo(f"共 {len(report.checks)} 项：通过 {counts['通过']} 项，不通过 {counts['不通过']} 项，"
               f"不适用 {counts['不适用']} 项（{report.stage}环节，在档 {report.items_on_file} 件）")
    if report.logged_seq is not None:
        click.echo(f"本次检测已记入审计日志第 {report.logged_seq} 条")
    if written:
        click.echo(f"检测报告：{written}（请打印后由检测人、审核人签字）")
    if not report.ok:
        raise IntegrityError(f"四性检测有 {counts['不通过']} 项不通过（见上）", hint="archive.check")


@command.command("withdraw")
@click.argument("archive_no")
@click.option("--reason", "-r", required=True, help="撤回原因（必填），如 “重复归档”“误归档”")
@click.pass_context
@handle_errors
def withdraw(ctx, archive_no, reason):
    """撤回一件文件：不再出现在列表和检索中，但文件和元数据仍保留，并记入审计日志。

    档号可用“-”或“.”代替“·”，大小写均可；只写件号（如 0005 或 5）时须能唯一确定一件文件。
    """
    from ..filing import withdraw_document

    withdrawn = withdraw_document(workspace_from(ctx), archive_no, reason)
    item = withdrawn.item
    click.echo(shown(f"已撤回 {item.archive_no}：{item.title}（原因：{item.withdraw_reason}；文件仍保留在档案中）"))
    if withdrawn.index_error:
        click.echo(f"注意：检索索引未能更新（{withdrawn.index_error}），下次检索时会自动补齐", err=True)
    if withdrawn.closed_problems:
        click.echo(f"注意：{item.archive_no} 是台账问题 {'、'.join(withdrawn.closed_problems)} 的销号佐证材料，"
                   "撤回后这些问题缺少有效佐证；请补充归档新的佐证材料，"
                   "或用 fupin ledger set 问题编号 --status 整改中 重新打开", err=True)


@command.command("anchor")
@click.option("--to", "places", multiple=True, type=click.Path(), metavar="文件夹或文件",
              help="把存证副本写到这里（U 盘、另一块硬盘、县里的共享文件夹），可重复")
@click.option("-o", "--output", "sheet", type=click.Path(dir_okay=False),
              help="存证单 PDF 的保存位置（默认为 工作目录/存证单/档案存证单-日期-第N条.pdf）")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出结果")
@click.pass_context
@handle_errors
def anchor(ctx, places, sheet, as_json):
    """存证：把档案审计日志此刻的末条记录（记录号和哈希）写到工作目录之外。

    有权改动工作目录的人可以改写整个日志并重算哈希链；存证保存在他够不着的地方
    （U 盘、另一块硬盘、纸质存证单），日后 fupin archive verify 会核对日志是否仍然
    包含每一份存证：若不包含，说明日志在存证之后被改写或截短过。

    \b
    例：fupin archive anchor --to /media/U盘/存证 -o 存证单.pdf
        fupin archive verify --anchor /media/U盘/存证/档案存证-Z001-2020-06-30-第12条.json
        fupin archive verify --anchor 12:3f5a…（存证单上印的“核对写法”）

    \b
    --json 输出键：seq, hash, at, items, fonds, office, written_to[], sheet
    """
    from ..archive import Archive
    from ..archive.anchor import anchor_archive

    ws = workspace_from(ctx)
    done = anchor_archive(Archive(ws), places, sheet or ws.root / "存证单", office=ws.config.office.name)
    if as_json:
        data = done.anchor.to_json()
        data.pop("format", None)
        data["sheet"] = str(done.sheet) if done.sheet else None
        print_json(data)
        return
    click.echo(f"已存证：档案日志第 {done.anchor.seq} 条，链头哈希 {done.anchor.hash}，在档 {done.anchor.items} 件")
    for path in done.copies:
        click.echo(f"存证副本：{path}")
    if done.sheet:
        click.echo(f"存证单：{done.sheet}（请打印后与副本分开保管）")
    if not done.copies:
        click.echo("注意：没有用 --to 指定工作目录之外的位置，请把存证单打印保存，或再运行一次并写到 U 盘", err=True)



@command.command("digest")
@click.argument("archive_nos", nargs=-1, metavar="[档号]...")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出结果（键见下）")
@click.pass_context
@handle_errors
def digest(ctx, archive_nos, as_json):
    """为已归档文件补记国密 SM3 摘要（GB/T 32905）。

    \b
    现在归档的文件在归档时同时记录校验值和 SM3 摘要；本程序支持 SM3 之前归档的文件
    没有 SM3 摘要。本命令逐件读取这些文件（含副本），先核对校验值与归档时一致，
    再为每件在审计日志中追加一条“补记 SM3 摘要”记录：原有记录一字不改。
    此后 fupin archive verify 对这些文件也核对两种摘要。
    不给档号时处理全部文件（含已撤回的）；已有 SM3 摘要的不重复补记，可多次运行。
    文件丢失或校验值不符的不补记，列出档号，退出码为 3。

    \b
    --json 输出键：recorded 本次补记的档号[], recorded_count, complete 原已有 SM3 摘要的件数,
      damaged[{archive_no, message}] 未能补记的（文件丢失或已被改动）
    """
    from ..archive.digest import record_sm3

    archive = _archive(ctx)
    bars = None if as_json else StageBars()
    try:
        result = record_sm3(archive, list(archive_nos) or None,
                            progress=(lambda done, total: bars("正在读取文件", done, total)) if bars else None)
    finally:
        if bars is not None:
            bars.close()
    if as_json:
        print_json(result.to_json())
    else:
        for no in result.recorded:
            click.echo(f"{no}\t已补记 SM3 摘要")
        if result.recorded:
            click.echo(f"已为 {len(result.recorded)} 件补记 SM3 摘要（已记入审计日志），"
                       f"{result.complete} 件原已有 SM3 摘要")
        elif not result.damaged:
            click.echo(f"无需补记：{result.complete} 件都已有 SM3 摘要")
        for no, why in result.damaged:
            click.echo(f"未补记：{no}：{why}", err=True)
    if result.damaged:
        if as_json:
            sys.exit(EXIT_INTEGRITY)
        raise IntegrityError(f"{len(result.damaged)} 件的文件丢失或已被改动，未补记 SM3 摘要（见上）。"
                             "请从备份恢复这些文件后再补记", hint="archive.verify")

command.add_command(export_command)  # the DA/T 93 transfer package, in a module of its own
