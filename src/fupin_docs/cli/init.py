"""`fupin init [DIR]`."""

from __future__ import annotations

from pathlib import Path

import click

from ..workspace.init import EXAMPLES_FOLDER, init_workspace
from .common import UserError, handle_errors


@click.command("init")
@click.argument("directory", required=False, type=click.Path(file_okay=False), metavar="文件夹")
@click.option("--name", default="三星镇人民政府", show_default=True, help="发文机关全称")
@click.option("--code", default="三政发", show_default=True, help="机关代字")
@click.option("--examples", "with_examples", is_flag=True,
              help=f"另把自带的四份示例（三星镇）复制到 {EXAMPLES_FOLDER}/ 文件夹，供参照；不会放进 inputs/")
@click.option("--database", "database_url", metavar="地址",
              help="县级数据库地址（postgresql://…）：档案目录和检索索引存入该数据库，并建好所需的表")
@click.option("--no-examples", is_flag=True, hidden=True)  # the old default's opt-out: inputs/ is always empty now
@click.pass_context
@handle_errors
def command(ctx, directory, name, code, with_examples, database_url, no_examples):
    """新建工作目录：fupin.toml、inputs/（空）、templates/、archive/、indexes/。

    不会覆盖已有文件。文件夹默认为 --workspace 或当前目录。
    inputs/ 只放本单位自己的公文填写文件；示例请用 fupin new 文种 --example 查看。
    """
    root = Path(directory or (ctx.find_root().obj or {}).get("workspace") or ".")
    if database_url and not database_url.startswith(("postgresql://", "postgres://")):
        raise click.BadParameter("应以 postgresql:// 开头，例如 postgresql://fupin@县服务器/fupin", param_hint="--database")
    created = init_workspace(root, name=name, code=code, with_examples=with_examples and not no_examples,
                             database_url=database_url)
    if created:
        for path in created:
            click.echo(f"已创建 {path}")
    else:
        click.echo(f"{root} 已是工作目录，没有改动任何文件。")
    if database_url:
        from ..county import upgrade_database
        from ..workspace.config import open_workspace
        from ..workspace.database import shown_url
        url = open_workspace(root).config.database.url
        if not url:
            raise click.UsageError(f"{root / 'fupin.toml'} 原已存在，没有改动：请在其中加入 [database] 一节"
                                   f"（url = \"{database_url}\"），再运行 fupin db upgrade")
        try:
            upgrade_database(url)
        except UserError as err:  # fupin.toml holds the address already: say how to go on from here
            raise UserError(f"{err}。{root / 'fupin.toml'} 已写入这个数据库地址：请改正其中 [database] 的 url "
                            "（或让管理员建好数据库）后运行 fupin db upgrade，不必重新 init") from None
        click.echo(f"县级数据库已就绪：{shown_url(url)}")
        from ..archive.pg_catalog import PgCatalog
        workspace = open_workspace(root)
        archive = workspace.config.archive
        owner = PgCatalog.for_workspace(workspace).owner()
        if owner:
            click.echo(f"注意：全宗号/机构代码 {archive.fonds}/{archive.org_code} 在县级数据库中已属于“{owner}”的工作目录；"
                       f"归档前请在 {root / 'fupin.toml'} 的 [archive] 中改为本单位的 fonds（全宗号）和 org_code（机构代码）",
                       err=True)
        else:
            click.echo(f"本单位在县级数据库中以全宗号/机构代码 {archive.fonds}/{archive.org_code} 区分；"
                       "各乡镇须各不相同，请在 fupin.toml 的 [archive] 中核对")
    click.echo(f"下一步：用记事本打开 {root / 'fupin.toml'}，改成本单位的机关名称、机关代字和印发机关；"
               f"然后用 fupin new 生成填写模板，例如 fupin new notice -o {root / 'inputs' / '督查通知.yaml'}")
