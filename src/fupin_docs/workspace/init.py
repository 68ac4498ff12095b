"""Create a workspace: fupin.toml and the stage folders (inputs/ starts empty).

The bundled examples are another office's documents (三星镇): they never go
into inputs/, where `fupin render inputs/*.yaml --archive` would file them in
this office's permanent archive. Asked for, they are copied to 示例/ beside it.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from ..atomic import atomic_write_bytes

from .config import CONFIG_NAME
from .database import has_password
from .resources import examples_dir

EXAMPLES_FOLDER = "示例"

CONFIG_TEMPLATE = """\
# fupin-docs 工作目录设置。修改后保存即可生效；以“#”开头的行是说明。

[office]
name = "{name}"                      # 发文机关全称，用于署名和发文机关标志
mark = ""                            # 发文机关标志；留空则为“机关名称+文件”
code = "{code}"                      # 机关代字，发文字号写作“代字〔年份〕序号号”
addressees = "各村（社区）党支部、村民委员会，镇直各单位"   # 默认主送机关
cc = "县扶贫开发领导小组办公室"       # 默认抄送机关
printer = "{printer}"                # 印发机关
minutes_mark = ""                    # 纪要标志；留空则为“机关名称+会议纪要”

[fonts]
# Word 文档中声明的字体名（本机装有这些字体时 Word/WPS 直接使用）
docx_title = "方正小标宋简体"
docx_body = "仿宋_GB2312"
docx_heading1 = "黑体"
docx_heading2 = "楷体_GB2312"
# PDF 优先使用的字体（按顺序，找不到时用已安装的免费替代字体；运行 fupin fonts 查看）
pdf_title = ["方正小标宋简体"]
pdf_body = ["仿宋_GB2312"]
pdf_heading1 = ["黑体"]
pdf_heading2 = ["楷体_GB2312"]

[archive]
fonds = "Z001"        # 全宗号
category = "WS"       # 门类代码（文书）
org_code = "ZFB"      # 机构（问题）代码
retention = "D30"     # 默认保管期限：Y 永久，D30 定期30年，D10 定期10年
"""

DATABASE_SECTION = """
# 县级数据库：档案目录、检索索引存放在这里（档案文件仍在 archive/ 文件夹）。
# 密码可不写在此处，改用环境变量 FUPIN_DATABASE_URL 给出完整地址。
[database]
url = "{url}"
"""


def init_workspace(root: str | Path, *, name: str = "三星镇人民政府", code: str = "三政发",
                   printer: str = "三星镇党政综合办公室", with_examples: bool = False,
                   database_url: str | None = None) -> list[Path]:
    """Create the workspace at ROOT; never overwrites an existing file.
    DATABASE_URL: keep the catalog and index in that county database.

    inputs/ is left empty; WITH_EXAMPLES copies the bundled examples to
    EXAMPLES_FOLDER (示例/), outside inputs/. Returns the paths created.
    """
    root = Path(root)
    created: list[Path] = []
    for folder in ("inputs", "templates", "archive", "indexes"):
        path = root / folder
        if not path.exists():
            path.mkdir(parents=True)
            created.append(path)
    config = root / CONFIG_NAME
    if not config.exists():
        text = CONFIG_TEMPLATE.format(name=name, code=code, printer=printer)
        if database_url:
            text += DATABASE_SECTION.format(url=database_url.replace("\\", "\\\\").replace('"', '\\"'))
        atomic_write_bytes(config, text.encode("utf-8"))
        if database_url and has_password(database_url):
            os.chmod(config, 0o600)  # the database's password is in it: its owner's only
        created.append(config)
    if with_examples:
        folder = root / EXAMPLES_FOLDER
        if not folder.exists():
            folder.mkdir()
            created.append(folder)
        for example in sorted(examples_dir().glob("*.yaml")):
            target = folder / example.name
            if not target.exists():
                shutil.copyfile(example, target)
                created.append(target)
    return created
