"""The workspace: a user's working folder with fupin.toml and its stage folders."""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..inputs.characters import describe
from ..inputs.problems import InputError, Problem
from ..text_safety import first_bad

CONFIG_NAME = "fupin.toml"


@dataclass(frozen=True)
class OfficeConfig:
    name: str = "某某镇人民政府"  # 发文机关全称
    mark: str = ""  # 发文机关标志; empty means name + "文件"
    code: str = "某政发"  # 机关代字
    addressees: str = "各村（社区）党支部、村民委员会，镇直各单位"
    cc: str = ""  # default 抄送机关
    printer: str = "某某镇党政综合办公室"  # 印发机关
    minutes_mark: str = ""  # 纪要标志; empty means name + "会议纪要"


@dataclass(frozen=True)
class FontConfig:
    """Face names per role. DOCX declares these names; PDF uses the first
    installed face of each list (see render/pdf/fonts.py)."""

    docx_title: str = "方正小标宋简体"
    docx_body: str = "仿宋_GB2312"
    docx_heading1: str = "黑体"
    docx_heading2: str = "楷体_GB2312"
    docx_page_number: str = "宋体"
    pdf_title: tuple = ()
    pdf_body: tuple = ()
    pdf_heading1: tuple = ()
    pdf_heading2: tuple = ()


@dataclass(frozen=True)
class ArchiveConfig:
    fonds: str = "Z001"  # 全宗号 (DA/T 22)
    category: str = "WS"  # 门类代码: 文书
    org_code: str = "ZFB"  # 机构（问题）代码
    retention: str = "D30"  # 默认保管期限: Y 永久, D30 定期30年, D10 定期10年
    catalog: str = "journal"  # where the catalog lives (archive/catalog.py CATALOGS)


@dataclass(frozen=True)
class SearchConfig:
    backend: str = "whoosh"  # which search backend (search/backend.py BACKENDS)


@dataclass(frozen=True)
class DatabaseConfig:
    url: str = ""  # postgresql://…: the county database; "" keeps everything in the workspace


DATABASE_URL_VARIABLE = "FUPIN_DATABASE_URL"  # overrides [database] url (a password kept out of the file)


@dataclass(frozen=True)
class Config:
    office: OfficeConfig = field(default_factory=OfficeConfig)
    fonts: FontConfig = field(default_factory=FontConfig)
    archive: ArchiveConfig = field(default_factory=ArchiveConfig)
    search: SearchConfig = field(default_factory=SearchConfig)
    database: DatabaseConfig = field(default_factory=DatabaseConfig)


_TOML_AT = re.compile(r"^(?P<msg>.*?)\s*\(at line (?P<line>\d+), column (?P<col>\d+)\)$")
_TOML_MESSAGES = {
    "Invalid value": "取值写法不对：文字要用英文双引号括起来，例如 code = \"青政发\"",
    "Expected '=' after a key in a key/value pair": "缺少等号：每行应写成 名称 = \"值\"",
    "Cannot overwrite a value": "同一个设置写了两次，请删除其中一行",
    "Unclosed array": "列表没有闭合：请用 ] 结尾，例如 pdf_body = [\"仿宋_GB2312\"]",
    "Illegal character '\\n'": "引号没有闭合：请在行尾补上英文双引号",
}


def _toml_problem(file: str, err: Exception) -> Problem:
    """tomllib (Python 3.11) puts the position only in its message text."""
    text = str(err)
    match = _TOML_AT.match(text)
    line, col, msg = (int(match["line"]), int(match["col"]), match["msg"]) if match else (1, 1, text)
    fix = _TOML_MESSAGES.get(msg)
    if fix is None:
        fix = next((value for key, value in _TOML_MESSAGES.items() if msg.startswith(key)), None)
    return Problem(file, line, col, f"fupin.toml 写法有误：{fix or msg}；可参照新建工作目录时生成的 fupin.toml 修改")


def _section(data: dict, name: str, cls, file: str):
    raw = data.get(name, {})
    if not isinstance(raw, dict):
        raise InputError([Problem(file, 1, 1, f"[{name}] 应为一个表（section），请参照新建工作目录时生成的 fupin.toml")])
    known = cls.__dataclass_fields__
    unknown = [key for key in raw if key not in known]
    if unknown:
        raise InputError([Problem(file, 1, 1,
                                  f"[{name}] 中有不认识的设置“{unknown[0]}”，可用的有：{'、'.join(known)}")])
    values = {key: tuple(value) if isinstance(value, list) else value for key, value in raw.items()}
    return cls(**values)


# The office's names go into every document's 版头, 署名 and file properties
# (Word keeps at most 255 characters there): one line, of a sensible length.
OFFICE_ONE_LINE_MAX = {"name": 100, "mark": 100, "code": 30, "printer": 100, "minutes_mark": 100}
OFFICE_TEXT_MAX = 2000  # 主送机关, 抄送: long lists, still bounded


def _office_problems(office: OfficeConfig, file: str, text: str) -> list[Problem]:
    problems = []
    for name in OfficeConfig.__dataclass_fields__:
        value = getattr(office, name)
        line = next((n for n, row in enumerate(text.splitlines(), 1) if row.strip().startswith(f"{name} ")
                     or row.strip().startswith(f"{name}=")), 1)
        if not isinstance(value, str):
            problems.append(Problem(file, line, 1, f"[office] {name} 应为文字，用英文双引号括起来"))
            continue
        bad = first_bad(value)
        limit = OFFICE_ONE_LINE_MAX.get(name, OFFICE_TEXT_MAX)
        if bad is not None:
            problems.append(Problem(file, line, 1, f"[office] {name} 中{describe(value[bad])}"))
        elif len(value) > limit or (name in OFFICE_ONE_LINE_MAX and "\n" in value):
            problems.append(Problem(file, line, 1, f"[office] {name} 应为一行、不超过 {limit} 个字，现为 {len(value)} 个字"))
    return problems


def load_config(path: Path) -> Config:
    if not path.exists():
        return _with_database(Config(), {})
    try:
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except UnicodeDecodeError:
        raise InputError([Problem(str(path), 1, 1, "fupin.toml 不是 UTF-8 编码，请用记事本“另存为”UTF-8")]) from None
    except tomllib.TOMLDecodeError as err:
        raise InputError([_toml_problem(str(path), err)]) from None
    config = Config(
        office=_section(data, "office", OfficeConfig, str(path)),
        fonts=_section(data, "fonts", FontConfig, str(path)),
        archive=_section(data, "archive", ArchiveConfig, str(path)),
        search=_section(data, "search", SearchConfig, str(path)),
        database=_section(data, "database", DatabaseConfig, str(path)),
    )
    problems = _office_problems(config.office, str(path), text)
    if config.database.url and not config.database.url.startswith(("postgresql://", "postgres://")):
        problems.append(Problem(str(path), _line_of(text, "url"), 1,
                                "[database] url 应以 postgresql:// 开头，例如 url = \"postgresql://fupin@县服务器/fupin\""))
    if problems:
        raise InputError(problems)
    return _with_database(config, data)


def _line_of(text: str, key: str) -> int:
    for number, line in enumerate(text.splitlines(), 1):
        if line.strip().startswith(key):
            return number
    return 1


def _with_database(config: Config, data: dict) -> Config:
    """A database URL (fupin.toml or the environment) moves the catalog and the index
    there unless fupin.toml names them itself: one setting for a county workspace."""
    url = os.environ.get(DATABASE_URL_VARIABLE, "").strip() or config.database.url
    if not url:
        return config
    archive, search = config.archive, config.search
    if "catalog" not in data.get("archive", {}):
        archive = replace(archive, catalog="postgresql")
    if "backend" not in data.get("search", {}):
        search = replace(search, backend="postgresql")
    return replace(config, database=DatabaseConfig(url=url), archive=archive, search=search)


@dataclass(frozen=True)
class Workspace:
    root: Path
    config: Config

    @property
    def inputs_dir(self) -> Path:
        return self.root / "inputs"

    @property
    def templates_dir(self) -> Path:
        return self.root / "templates"

    @property
    def archive_dir(self) -> Path:
        return self.root / "archive"

    @property
    def indexes_dir(self) -> Path:
        return self.root / "indexes"


def find_root(start: str | Path) -> Path:
    """The folder holding fupin.toml at or above START (like git finds .git),
    else START itself: a clerk working in inputs/ still means the workspace.
    A client passes its own starting point (the CLI: the current directory)."""
    start = Path(start).resolve()
    for folder in (start, *start.parents):
        if (folder / CONFIG_NAME).is_file():
            return folder
    return start


def open_workspace(root: str | Path) -> Workspace:
    """The workspace at ROOT (the library resolves nothing from the current directory)."""
    root = Path(root).resolve()
    return Workspace(root=root, config=load_config(root / CONFIG_NAME))


def is_workspace(workspace: Workspace) -> bool:
    return (workspace.root / CONFIG_NAME).is_file()
