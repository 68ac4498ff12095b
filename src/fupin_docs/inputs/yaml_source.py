"""Load YAML 1.2 into plain Python values while keeping every node's position.

We build the values ourselves from ruamel.yaml's event stream (its parser
keeps a stack; its composer recurses and expands every alias) so that
(a) dates stay strings for the model to validate (a loader that builds `date`
objects crashes on 2020-02-30 before we can say where), (b) duplicate keys are
reported with both positions, (c) integers keep their source text (份号 000123
must not become 123), and (d) a hostile file ends in a located message, fast
and in bounded memory: the file's size, the nesting depth, the number of
values and of characters after every alias (引用) is expanded are all capped,
an alias may not contain itself, and only the standard tags are accepted.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import (AliasEvent, CollectionStartEvent, DocumentStartEvent, MappingEndEvent,
                                MappingStartEvent, ScalarEvent, SequenceEndEvent, SequenceStartEvent)
from ruamel.yaml.nodes import MappingNode, ScalarNode, SequenceNode

from .characters import describe, first_bad
from .problems import InputError, Problem



@dataclass(frozen=True)
class Limits:
    """Bounds on one file; crossing one stops reading at once with a located message."""

    file_bytes: int
    depth: int  # nested lists and key/value groups
    values: int  # values after every 引用 is expanded
    chars: int  # characters of text after every 引用 is expanded
    alias_values: int  # values that 引用 alone stand for (a billion-laughs file has few of its own)


# A real 公文 input is a few KB with 4–5 levels; these are far beyond that.
INPUT_LIMITS = Limits(file_bytes=512 * 1024, depth=20, values=50_000, chars=1_000_000, alias_values=10_000)
# Files the program writes and reads back (问题台账.yaml) grow with the work.
DATA_LIMITS = Limits(file_bytes=64 * 1024 * 1024, depth=20, values=5_000_000, chars=64_000_000,
                     alias_values=10_000)

_STANDARD_TAGS = {f"tag:yaml.org,2002:{name}" for name in ("str", "int", "float", "bool", "null", "map", "seq")}


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

    def problem(self, path: tuple, message: str, prefer_key: bool = False, field: tuple | None = None) -> Problem:
        """A problem located at PATH; FIELD is the value it concerns when that differs
        from where it is reported (a missing key is reported at its parent)."""
        line, col = self.position(path, prefer_key)
        return Problem(self.file, line, col, message, tuple(path if field is None else field))



def _mark(mark) -> tuple[int, int]:
    return (mark.line + 1, mark.column + 1)


_BOOL = {"true": True, "false": False, "True": True, "False": False, "TRUE": True, "FALSE": False}


def _scalar(tag: str, text: str, style):
    if style:  # quoted or block scalar: always a string
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


class _Refused(Exception):
    """A bound was crossed: stop reading at once, with where and why."""

    def __init__(self, mark, message: str):
        super().__init__(message)
        self.position = _mark(mark) if mark is not None else (1, 1)
        self.message = message


_SKIP = object()  # a key whose value is read (to stay in step) but not kept


@dataclass
class _Anchor:
    value: object
    values: int  # how many values it stands for
    chars: int  # how many characters of text
    height: int  # levels of nesting inside it
    records: list  # (relative path, is_key, (line, col))


@dataclass
class _Frame:
    is_map: bool
    container: object
    path: tuple | None  # None: read but not kept
    mark: object
    anchor: str | None
    start_values: int
    start_chars: int
    start_records: int
    height: int = 0
    key: object = None  # a map waiting for its value: the key (or _SKIP)
    has_key: bool = False
    key_mark: object = None
    first_seen: dict = field(default_factory=dict)
    as_key: bool = False  # this collection is itself written as a key


class _Builder:
    """Plain values from parser events, without recursion, with every bound checked."""

    def __init__(self, doc: YamlDocument, resolver, limits: Limits):
        self.doc, self.resolver, self.limits = doc, resolver, limits
        self.problems: list[Problem] = []
        self.stack: list[_Frame] = []
        self.anchors: dict[str, _Anchor] = {}
        self.records: list = []  # (path, is_key, position), for anchors to copy
        self.values = self.chars = self.alias_values = 0
        self.root = _SKIP
        self.documents = 0

    # -- bookkeeping ---------------------------------------------------------

    def _problem(self, mark, message: str) -> None:
        line, col = _mark(mark)
        self.problems.append(Problem(self.doc.file, line, col, message))

    def _record(self, path, is_key: bool, position) -> None:
        if path is None:
            return
        (self.doc.key_pos if is_key else self.doc.value_pos)[path] = position
        self.records.append((path, is_key, position))

    def _count(self, mark, values: int, chars: int, via_alias: bool) -> None:
        limits = self.limits
        self.values += values
        self.chars += chars
        if via_alias:
            self.alias_values += values
            if self.alias_values > limits.alias_values or self.values > limits.values or self.chars > limits.chars:
                raise _Refused(mark, f"层层引用（*名称）展开后内容太多（超过 {limits.alias_values} 项），"
                                     "一份公文用不了这么多；请把要重复的内容直接写出来，不要层层引用")
        if self.values > limits.values:
            raise _Refused(mark, f"内容太多（超过 {limits.values} 项），一份公文用不了这么多；请检查是否选错了文件")
        if self.chars > limits.chars:
            raise _Refused(mark, f"文字太多（超过 {limits.chars} 字），一份公文用不了这么多；请检查是否选错了文件")

    def _check_tag(self, event) -> None:
        tag = event.ctag
        if tag is None or str(tag) == "!" or str(tag) in _STANDARD_TAGS:
            return
        self._problem(event.start_mark, f"不认识的标记“{tag.handle or ''}{tag.suffix or str(tag)}”，"
                                        "填写内容里不需要以“!”开头的标记，请删去它")

    def _child_path(self, mark):
        """Where the next value goes in the innermost collection (None: not kept)."""
        if not self.stack:
            return ()
        top = self.stack[-1]
        if top.path is None:
            return None
        if not top.is_map:
            return top.path + (len(top.container),)
        if not top.has_key:
            return None  # a key: kept by _place, not by path
        return None if top.key is _SKIP else top.path + (top.key,)

    def _place(self, value, mark, height: int) -> None:
        """Put a finished value into the innermost collection (or make it the root)."""
        if not self.stack:
            self.root = value
            return
        top = self.stack[-1]
        top.height = max(top.height, height + 1)
        if not top.is_map:
            top.container.append(value)
            return
        if not top.has_key:
            top.has_key, top.key_mark, top.key = True, mark, self._key(value, mark, top)
            return
        if top.key is not _SKIP:
            top.container[top.key] = value
        top.has_key, top.key = False, None

    def _key(self, key, mark, top: _Frame):
        if key is _SKIP or key is None or isinstance(key, (list, dict)):
            if key is not _SKIP:
                self._problem(mark, "键必须是文字，请检查缩进或冒号位置")
            return _SKIP
        key = str(getattr(key, "source", key))
        if key in top.first_seen:
            fl, fc = top.first_seen[key]
            self._problem(mark, f"键“{key}”重复（第一次出现在第{fl}行第{fc}列），请删除或合并其中一个")
            return _SKIP
        top.first_seen[key] = _mark(mark)
        if top.path is not None:
            self._record(top.path + (key,), True, _mark(mark))
        return key

    # -- events --------------------------------------------------------------

    def feed(self, event) -> None:
        if isinstance(event, DocumentStartEvent):
            self.documents += 1
            if self.documents > 1:
                raise _Refused(event.start_mark, "一个文件只能填写一份公文，这里又以“---”开始了第二份；"
                                                 "请删去这一行，或把第二份另存为一个文件")
        elif isinstance(event, ScalarEvent):
            self._scalar_event(event)
        elif isinstance(event, CollectionStartEvent):
            self._start(event)
        elif isinstance(event, (MappingEndEvent, SequenceEndEvent)):
            self._end(event)
        elif isinstance(event, AliasEvent):
            self._alias(event)

    def _scalar_event(self, event) -> None:
        self._check_tag(event)
        text = event.value
        self._count(event.start_mark, 1, len(text), via_alias=False)
        bad = first_bad(text)
        if bad is not None:
            self._problem(event.start_mark, describe(text[bad]))
        tag = event.ctag
        if tag is None or str(tag) == "!":
            tag = self.resolver.resolve(ScalarNode, text, event.implicit)
        tag = str(tag)
        top = self.stack[-1] if self.stack else None
        if top is not None and top.is_map and not top.has_key and tag.endswith(":merge") and not event.style:
            self._problem(event.start_mark, "不支持“<<:”合并写法（会悄悄带入或覆盖别处的内容），"
                                            "请把要用的各项直接写在这里")
            value = _SKIP
        else:
            value = _scalar(tag, text, event.style)
        path = self._child_path(event.start_mark)
        position = _mark(event.start_mark)
        self._record(path, False, position)
        if event.anchor is not None:
            self.anchors[event.anchor] = _Anchor(value, 1, len(text), 0, [((), False, position)])
        self._place(value, event.start_mark, 0)

    def _start(self, event) -> None:
        self._check_tag(event)
        if len(self.stack) >= self.limits.depth:
            raise _Refused(event.start_mark, f"层次太深（超过 {self.limits.depth} 层），公文填写内容用不了这么多层；"
                                             "请检查这里的缩进和括号是否多写了")
        self._count(event.start_mark, 1, 0, via_alias=False)
        path = self._child_path(event.start_mark)
        as_key = bool(self.stack) and self.stack[-1].is_map and not self.stack[-1].has_key
        if as_key:
            path = None
        self._record(path, False, _mark(event.start_mark))
        is_map = isinstance(event, MappingStartEvent)
        self.stack.append(_Frame(is_map=is_map, container={} if is_map else [], path=path,
                                 mark=event.start_mark, anchor=event.anchor, start_values=self.values,
                                 start_chars=self.chars, start_records=len(self.records), as_key=as_key))

    def _end(self, event) -> None:
        frame = self.stack.pop()
        if frame.anchor is not None:
            base = frame.path if frame.path is not None else ()
            records = [(p[len(base):], k, pos) for p, k, pos in self.records[frame.start_records:]
                       if p is not None and p[:len(base)] == base] if frame.path is not None else []
            self.anchors[frame.anchor] = _Anchor(frame.container, self.values - frame.start_values + 1,
                                                 self.chars - frame.start_chars, frame.height, records)
        self._place(frame.container, frame.mark, frame.height)

    def _alias(self, event) -> None:
        name = event.anchor
        if any(frame.anchor == name for frame in self.stack):
            raise _Refused(event.start_mark, f"引用“*{name}”指向它自己所在的内容，形成了循环；"
                                             "请把要用的内容直接写出来")
        anchor = self.anchors.get(name)
        if anchor is None:
            self._problem(event.start_mark, f"引用“*{name}”前面没有定义过“&{name}”；请检查名称，或直接写出内容")
            self._place(_SKIP if self.stack and self.stack[-1].is_map and not self.stack[-1].has_key else None,
                        event.start_mark, 0)
            return
        if len(self.stack) + anchor.height > self.limits.depth:
            raise _Refused(event.start_mark, f"引用“*{name}”展开后层次太深（超过 {self.limits.depth} 层）；"
                                             "请把要用的内容直接写出来，不要层层引用")
        self._count(event.start_mark, anchor.values, anchor.chars, via_alias=True)
        path = self._child_path(event.start_mark)
        if path is not None:
            for relative, is_key, position in anchor.records:
                self._record(path + relative, is_key, position)
            self._record(path, False, _mark(event.start_mark))
        self._place(anchor.value, event.start_mark, anchor.height)


def _syntax_message(err: MarkedYAMLError) -> str:
    problem = (err.problem or "").lower()
    if "tab" in problem or "'\\t'" in problem or "\t" in problem:
        return "填写格式有误：不能用 Tab 缩进，请改用空格"
    if "mapping values are not allowed" in problem:
        return "填写格式有误：此处不能出现冒号“:”，值里含冒号时请用引号把整个值括起来"
    if "could not find expected ':'" in problem:
        return "填写格式有误：缺少冒号，请写成“键: 值”（冒号后加一个空格）"
    if "found character" in problem and "cannot start any token" in problem:
        return "填写格式有误：该字符不能出现在值的开头，请把整个值用引号括起来"
    if "found unexpected end of stream" in problem or "found unexpected" in problem:
        return "填写格式有误：引号或括号没有闭合，请补全"
    if "expected <block end>" in problem:
        return "填写格式有误：缩进不一致，请让同一层的键左端对齐"
    if "escape" in problem:
        return "填写格式有误：双引号里的“\\”转义写法不对；要写反斜杠本身请写成“\\\\”，或改用单引号"
    return "填写格式有误，请检查此处的缩进、冒号和引号是否成对"


def _position(text: str, index: int) -> tuple[int, int]:
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


def _too_big(size: int, limits: Limits) -> str:
    return (f"文件太大（{size / 1024:.0f} KB），这类文件不超过 {limits.file_bytes // 1024} KB；"
            "请检查是否选错了文件，或把内容分成几份")


# A key written with a full-width colon: “内容：……” or “- 内容：……”.
FULL_WIDTH_KEY = re.compile(r"^(?P<lead>\s*(?:-\s+)?)(?P<key>[^\s:：#\"'，。；、,]{1,12})：")

# After one syntax problem the line is blanked and the file read again, so a
# file with several mistakes gets them all; bounded so a hostile file stays fast.
SYNTAX_PROBLEMS_MAX = 20
_SYNTAX_REREAD_CHARS = 4 * 1024 * 1024


def full_width_key_message(key: str) -> str:
    return (f"填写格式有误：这一行的“{key}：”用了中文冒号；键后面要用英文冒号加一个空格，写成“{key}: ……”。"
            "如果这一行整个是一段文字（不是“键: 值”），请给这段文字加上引号")


def _continued_from(lines: list[str], line: int) -> int | None:
    """The line where the plain text continued onto LINE began, if it was typed
    with a full-width colon after a key: a “键：值” the reader took for text,
    which then ran on into the next line's “键: 值”."""
    for number in range(line - 1, 0, -1):
        typed = lines[number - 1].split("#")[0] if number <= len(lines) else ""
        if not typed.strip():
            continue
        content = typed.strip()
        if FULL_WIDTH_KEY.match(typed) and ": " not in typed and not content.endswith(":"):
            return number
        if content.startswith("- ") or ": " in typed or content.endswith(":"):
            return None  # the text began here, with no full-width key
    return None


def _syntax_problem(err: MarkedYAMLError, text: str, file: str) -> tuple[Problem, int]:
    """The problem to report for ERR and the line to blank before reading on."""
    mark = err.problem_mark or err.context_mark
    context = err.context or ""
    # A key without its colon, an unclosed quote or bracket is only noticed
    # further on; the clerk's mistake is where it started.
    if err.context_mark and ("could not find expected ':'" in (err.problem or "")
                             or "quoted scalar" in context or "flow" in context):
        mark = err.context_mark
    line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    lines = text.splitlines()
    typed = lines[line - 1] if 0 < line <= len(lines) else ""
    message = _syntax_message(err)
    if "mapping values are not allowed" in (err.problem or ""):
        start = _continued_from(lines, line)
        if start is not None:
            match = FULL_WIDTH_KEY.match(lines[start - 1])
            return Problem(file, start, match.end("lead") + 1, full_width_key_message(match["key"])), start
    if "缺少冒号" in message:
        match = FULL_WIDTH_KEY.match(typed)
        if match:
            message = full_width_key_message(match["key"])
        elif "：" in typed.split("#")[0]:
            key = typed.split("：")[0].strip()
            message = f"填写格式有误：这一行用了中文冒号“：”；键后面要用英文冒号加一个空格，例如“{key}: ……”"
    return Problem(file, line, col, message), line


def _blank_line(text: str, line: int) -> str:
    """TEXT with LINE emptied (the other lines keep their numbers)."""
    lines = text.split("\n")
    if 0 < line <= len(lines):
        lines[line - 1] = ""
    return "\n".join(lines)


def _parse(text: str, doc: YamlDocument, limits: Limits) -> _Builder:
    yaml = YAML(typ="rt")
    builder = _Builder(doc, yaml.resolver, limits)
    for event in yaml.parse(text):
        builder.feed(event)
    return builder


def load_yaml_text(text: str, file: str, *, limits: Limits = INPUT_LIMITS) -> YamlDocument:
    """Parse YAML text; raise InputError with every located problem."""
    if len(text) > limits.file_bytes or len(text.encode("utf-8", "surrogatepass")) > limits.file_bytes:
        raise InputError([Problem(file, 1, 1, _too_big(len(text.encode("utf-8", "surrogatepass")), limits))])
    text = text.removeprefix("\ufeff")
    bad = first_bad(text, in_file=True)
    if bad is not None:
        line, col = _position(text, bad)
        raise InputError([Problem(file, line, col, describe(text[bad]))])
    syntax: list[Problem] = []
    reading, read = text, 0
    while True:
        doc = YamlDocument(file=file, data=None)
        read += len(reading)
        try:
            builder = _parse(reading, doc, limits)
            break
        except _Refused as err:
            raise InputError(syntax + [Problem(file, *err.position, err.message)]) from None
        except MarkedYAMLError as err:
            problem, blank = _syntax_problem(err, reading, file)
            if any(p.line == problem.line for p in syntax):
                raise InputError(syntax) from None  # no further progress: what was found
            syntax.append(problem)
            if len(syntax) >= SYNTAX_PROBLEMS_MAX or read > _SYNTAX_REREAD_CHARS:
                raise InputError(syntax) from None
            reading = _blank_line(reading, blank)
        except (YAMLError, RecursionError):
            raise InputError(syntax or [Problem(file, 1, 1, "填写格式有误，无法读懂这个文件；"
                                                            "请对照填写模板检查缩进、冒号和引号")]) from None
    if syntax:
        raise InputError(syntax + builder.problems)
    if builder.root is _SKIP or builder.root is None:
        raise InputError(builder.problems or [Problem(file, 1, 1, "文件是空的，请先生成填写模板再填写")])
    doc.data = builder.root
    if builder.problems:
        raise InputError(builder.problems)
    return doc


def load_yaml_file(path: str | Path, *, limits: Limits = INPUT_LIMITS) -> YamlDocument:
    """Read one input file: a regular file within LIMITS, in UTF-8."""
    path = Path(path)
    name = str(path)
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise InputError([Problem(name, 1, 1, "文件不存在，请检查文件名和路径")]) from None
    except NotADirectoryError:
        raise InputError([Problem(name, 1, 1, "路径中有一段不是文件夹，请检查文件名和路径")]) from None
    if stat.S_ISDIR(info.st_mode):
        raise InputError([Problem(name, 1, 1, "这是一个文件夹，请给出填写好的公文填写文件")]) from None
    if not stat.S_ISREG(info.st_mode):
        raise InputError([Problem(name, 1, 1, "这不是一个普通文件（而是管道、设备等），无法读取；"
                                              "请给出保存在磁盘上的公文填写文件")])
    if info.st_size > limits.file_bytes:
        raise InputError([Problem(name, 1, 1, _too_big(info.st_size, limits))])
    # O_NONBLOCK: should the file be swapped for a pipe after the check, opening it does not wait.
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise InputError([Problem(name, 1, 1, "这不是一个普通文件（而是管道、设备等），无法读取；"
                                                  "请给出保存在磁盘上的公文填写文件")])
        with os.fdopen(fd, "rb", closefd=False) as handle:
            raw = handle.read(limits.file_bytes + 1)
    finally:
        os.close(fd)
    if len(raw) > limits.file_bytes:
        raise InputError([Problem(name, 1, 1, _too_big(len(raw), limits))])
    return _decode_and_load(raw, name, limits)


def _decode_and_load(raw: bytes, name: str, limits: Limits) -> YamlDocument:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        hint = ""
        try:
            raw.decode("gb18030")
            hint = "（看起来是 GBK/GB18030 编码）"
        except UnicodeDecodeError:
            pass
        raise InputError([Problem(name, line, 1,
                                  f"文件不是 UTF-8 编码{hint}，请在记事本或 WPS 中“另存为”并选择 UTF-8 编码")]) from None
    return load_yaml_text(text, name, limits=limits)
