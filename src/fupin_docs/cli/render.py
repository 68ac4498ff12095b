"""`fupin render FILE... [-f docx,pdf,ofd] [-o DIR] [--template NAME|PATH] [--archive]`."""

from __future__ import annotations

import click

from ..inputs.problems import InputError
from ..workspace.config import is_workspace
from .common import StageBars, handle_errors, print_json, workspace_from


@click.command("render")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("-f", "--format", "formats", default="docx", show_default=True, help="输出格式：docx、pdf、ofd 中的一个或几个，用逗号隔开，如 docx,pdf,ofd")
@click.option("-o", "--output", "out_dir", type=click.Path(file_okay=False), help="输出目录（默认为工作目录下的 output/）")
@click.option("--template", help="Word 模板：工作目录 templates/ 中的名称，或 .docx 文件路径")
@click.option("--archive", "archive", is_flag=True, help="生成后归档（元数据取自填写文件）")
@click.option("--pdfa", is_flag=True, help="PDF 按 PDF/A-2b 长期保存格式输出")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出结果")
@click.pass_context
@handle_errors
def command(ctx, files, formats, out_dir, template, archive, pdfa, as_json):
    """把公文填写文件生成为 GB/T 9704 格式的 Word / PDF / OFD 公文。

    先检查全部输入，有任何错误都不生成文件；同时要求几种格式时，一起写出。
    OFD（GB/T 33190 版式文档）与 PDF 出自同一次排版，文字和位置完全相同。

    \b
    --json 输出：[{"input", "title", "kind", "outputs": {"docx": 路径, "pdf": 路径, "ofd": 路径},
                  "archive_no", "fallback_chars": {角色: 字符}}]
    """
    from ..pipeline import parse_formats, render_files  # compose, renderers, archive: only when run

    workspace = workspace_from(ctx, required=archive)
    if not archive and not is_workspace(workspace):
        click.echo(f"提示：{workspace.root} 不是工作目录，发文机关等默认值取内置示例值；"
                   "请在工作目录中运行或用 --workspace 指定。", err=True)
    def warn(problem):
        click.echo(f"{problem.file}:{problem.line}:{problem.column}: 提醒：{problem.message}", err=True)

    try:
        outcomes = render_files(files, workspace, formats=parse_formats(formats), out_dir=out_dir,
                                template=template, archive=archive, pdfa=pdfa,
                                progress=None if as_json else StageBars(), warn=warn)
    except InputError as err:
        err.note = "输入有误，没有生成任何文件。"
        raise
    if as_json:
        print_json([{
            "input": str(o.source), "title": o.document.title, "kind": o.document.kind,
            "outputs": {fmt: str(path) for fmt, path in o.outputs.items()},
            "archive_no": o.archive_no, "fallback_chars": o.fallback_chars,
        } for o in outcomes])
        return
    for o in outcomes:
        for path in o.outputs.values():
            click.echo(f"已生成 {path}")
        for role, chars in o.fallback_chars.items():
            if chars:
                click.echo(f"提示：{o.source.name} 中的“{chars}”在{role}字体中缺字，已用其他已安装字体补字", err=True)
        if o.archive_no:
            state = "已归档" if o.archived_new else "已在档案中"
            click.echo(f"{state}：{o.archive_no}  {o.document.title}")
        if o.index_error:
            click.echo(f"注意：{o.archive_no} 已归档，但检索索引未能更新（{o.index_error}），"
                       "下次检索时会自动补齐", err=True)
