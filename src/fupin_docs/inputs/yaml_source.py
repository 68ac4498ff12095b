"""Load YAML 1.2 into plain Python values while keeping every node's position.

ruamel.yaml's composer gives us the node tree with marks; we build the values
ourselves so that (a) dates stay strings for the model to validate (a loader
that builds `date` objects crashes on 2020-02-30 before we can say where),
(b) duplicate keys are reported with both positions, and (c) integers keep
their source text (份号 000123 must not become 123).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError
from ruamel.yaml.nodes import MappingNode, ScalarNode, SequenceNode

from .problems import InputError, Problem


class SourceInt(int):
    """An int that remembers how it was written, for text fields."""

    source: str

    def __new__(cls, value: int, source: str):
        obj = super().__new__(cls, value)
        obj.source = source
        return obj


class SourceFloat(float):
    source: str

    def __new__(cls, value: float, source: str):
        obj = super().__new__(cls, value)
        obj.source = source
        return obj


@dataclass
class YamlDocument:
    """Plain data plus the (line, col) of every key and value, 1-based."""

    file: str
    data: object
    value_pos: dict = field(default_factory=dict)  # path -> (line, col)
    key_pos: dict = field(default_factory=dict)  # path -> (line, col) of the key

    def position(self, path: tuple, prefer_key: bool = False) -> tuple[int, int]:
        """Best position for a path: the exact node, else its nearest parent."""
        path = tuple(path)
        while True:
            if prefer_key and path in self.key_pos:
                return self.key_pos[path]
            if path in self.value_pos:
                return self.value_pos[path]
            if path in self.key_pos:
                return self.key_pos[path]
            if not path:
                return (1, 1)
            path = path[:-1]

    def problem(self, path: tuple, message: str, prefer_key: bool = False) -> Problem:
        line, col = self.position(path, prefer_key)
        return Problem(self.file, line, col, message)


def _mark(node) -> tuple[int, int]:
    return (node.start_mark.line + 1, node.start_mark.column + 1)


_BOOL = {"true": True, "false": False, "True": True, "False": False, "TRUE": True, "FALSE": False}


def _scalar(node: ScalarNode):
    tag, text = node.tag, node.value
    if node.style:  # quoted or block scalar: always a string
        return text
    if tag.endswith(":null"):
        return None
    if tag.endswith(":bool"):
        return _BOOL.get(text, text)
    if tag.endswith(":int"):
        try:
            return SourceInt(int(text.replace("_", ""), 0), text)
        except ValueError:
            try:
                return SourceInt(int(text.replace("_", ""), 10), text)
            except ValueError:
                return text
    if tag.endswith(":float"):
        try:
            return SourceFloat(float(text.replace("_", "")), text)
        except ValueError:
            return text
    return text  # str, timestamp (validated later by the model), anything else


def _build(node, path: tuple, doc: YamlDocument, problems: list[Problem]):
    doc.value_pos[path] = _mark(node)
    if isinstance(node, MappingNode):
        out: dict = {}
        first_seen: dict = {}
        for key_node, value_node in node.value:
            key = _scalar(key_node) if isinstance(key_node, ScalarNode) else None
            if key is None or isinstance(key, (list, dict)):
                line, col = _mark(key_node)
                problems.append(Problem(doc.file, line, col, "键必须是文字，请检查缩进或冒号位置"))
                continue
            key = str(getattr(key, "source", key))
            if key in first_seen:
                line, col = _mark(key_node)
                fl, fc = first_seen[key]
                problems.append(
                    Problem(doc.file, line, col,
                            f"键“{key}”重复（第一次出现在第{fl}行第{fc}列），请删除或合并其中一个")
                )
                continue
            first_seen[key] = _mark(key_node)
            doc.key_pos[path + (key,)] = _mark(key_node)
            out[key] = _build(value_node, path + (key,), doc, problems)
        return out
    if isinstance(node, SequenceNode):
        return [_build(item, path + (i,), doc, problems) for i, item in enumerate(node.value)]
    return _scalar(node)


def _yaml_error_message(err: MarkedYAMLError) -> str:
    problem = (err.problem or "").lower()
    if "tab" in problem or "'\\t'" in problem or "\t" in problem:
        return "YAML 语法错误：不能用 Tab 缩进，请改用空格"
    if "mapping values are not allowed" in problem:
        return "YAML 语法错误：此处不能出现冒号“:”，值里含冒号时请用引号把整个值括起来"
    if "could not find expected ':'" in problem:
        return "YAML 语法错误：缺少冒号，请写成“键: 值”（冒号后加一个空格）"
    if "found character" in problem and "cannot start any token" in problem:
        return "YAML 语法错误：该字符不能出现在值的开头，请把整个值用引号括起来"
    if "found unexpected end of stream" in problem or "found unexpected" in problem:
        return "YAML 语法错误：引号或括号没有闭合，请补全"
    if "expected <block end>" in problem:
        return "YAML 语法错误：缩进不一致，请让同一层的键左端对齐"
    return f"YAML 语法错误（{err.problem}），请检查此处的缩进、冒号和引号"


def load_yaml_text(text: str, file: str) -> YamlDocument:
    """Parse YAML text; raise InputError with every located problem."""
    doc = YamlDocument(file=file, data=None)
    yaml = YAML(typ="rt")
    try:
        root = yaml.compose(text)
    except MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        # A key without its colon is only noticed on the next line; the
        # clerk's mistake is where the key started.
        if "could not find expected ':'" in (err.problem or "") and err.context_mark:
            mark = err.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        lines = text.splitlines()
        typed = lines[line - 1] if 0 < line <= len(lines) else ""
        message = _yaml_error_message(err)
        if "缺少冒号" in message and "：" in typed.split("#")[0]:
            key = typed.split("：")[0].strip()
            message = f"YAML 语法错误：这一行用了中文冒号“：”；键后面要用英文冒号加一个空格，例如“{key}: ……”"
        raise InputError([Problem(file, line, col, message)]) from None
    if root is None:
        raise InputError([Problem(file, 1, 1, "文件是空的，请用 `fupin new 类型` 生成模板后填写")])
    problems: list[Problem] = []
    doc.data = _build(root, (), doc, problems)
    if problems:
        raise InputError(problems)
    return doc


def load_yaml_file(path: str | Path) -> YamlDocument:
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError([Problem(str(path), 1, 1, "文件不存在，请检查文件名和路径")]) from None
    except IsADirectoryError:
        raise InputError([Problem(str(path), 1, 1, "这是一个文件夹，请给出 YAML 文件")]) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        raise InputError([Problem(str(path), line, 1,
                                  "文件不是 UTF-8 编码，请在记事本或 WPS 中“另存为”并选择 UTF-8 编码")]) from None
    return load_yaml_text(text, str(path))
