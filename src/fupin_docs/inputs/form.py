"""The drafting form of each kind, read off the input models, and the way back to YAML.

A client that lets a clerk fill a document in (the browser's drafting page) asks
`form_fields(kind)` for the fields: they are found by walking the same pydantic
models `fupin validate` checks, so a field added to a model appears in the form
without the form being written again. Each field's key is the Chinese key of the
YAML input; a form value's name is its data path joined with dots
(主要任务.0.责任单位), the same path a validation problem carries (Problem.path).

    values, dropped = form_values("plan", load_yaml_text(text, "方案.yaml").data)
    data = data_from_form("plan", request_pairs)     # [(name, value), ...]
    text = dump_yaml("plan", data)                    # what the CLI reads
    model, problems, warnings = check_text(text, config)

The round trip YAML → form → YAML keeps every field: the model validated from the
written YAML equals the one validated from the original (tests/test_inputs_form.py).
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import re
import types
import typing
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, BeforeValidator

from . import fields as F
from .choices import KIND_LABELS
from .models import MODELS
from .problems import InputError, Problem
from .required import BODY, REQUIRED
from .script import to_simplified
from .yaml_source import load_yaml_text

# Widgets a client draws: one line, a few lines of text, one paragraph per line,
# names separated by 、, a date, 是/否, one of fixed choices, a whole number,
# a group of fields, and a group repeated (added, removed, reordered).
WIDGETS = ("line", "text", "paragraphs", "names", "date", "flag", "choice", "int", "group", "repeat")
KIND_KEY = "类型"
FLAG_CHOICES = ("是", "否")
NAME_SEPARATORS = re.compile(r"[、，,；;\n]+")

_LINE_PARSERS = {F._title, F.parse_doc_number, F.parse_copy_number}
_NAME_PARSERS = {F._names, F._tags}

_HINTS = {
    "paragraphs": "每段一行",
    "names": "多个用顿号“、”分隔",
    "date": "如 2020-06-08 或 2020年6月8日",
}


@dataclass(frozen=True)
class FormField:
    key: str  # the Chinese key: the YAML key and this field's part of a form name
    widget: str  # one of WIDGETS
    required: bool = False
    body: bool = False  # one of the parts of which at least one must be filled (required.BODY)
    choices: tuple = ()
    children: tuple = ()  # a group's or a repeated group's fields
    spellings: tuple = ()  # every key the CLI accepts for it: Chinese, Traditional, English

    @property
    def hint(self) -> str:
        return _HINTS.get(self.widget, "")


def _validators(metadata) -> list:
    return [m.func for m in metadata if isinstance(m, BeforeValidator)]


def _unwrap(annotation, funcs: list):
    """ANNOTATION without Annotated and Optional; the validators met are added to FUNCS."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is Annotated:
            args = typing.get_args(annotation)
            funcs.extend(_validators(args[1:]))
            annotation = args[0]
        elif origin in (Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(args) != 1:
                return annotation
            annotation = args[0]
        else:
            return annotation


def _is_model(annotation) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _spellings(name: str, info) -> tuple:
    choices = getattr(info.validation_alias, "choices", None) or [info.alias or name]
    return tuple(dict.fromkeys([*(str(c) for c in choices), name]))


def _field(name: str, info, required: bool, body: bool) -> FormField:
    funcs = _validators(info.metadata)
    annotation = _unwrap(info.annotation, funcs)
    key = info.alias or name
    common = {"key": key, "required": required, "body": body, "spellings": _spellings(name, info)}
    origin = typing.get_origin(annotation)
    if origin is list:
        item_funcs: list = []
        item = _unwrap(typing.get_args(annotation)[0], item_funcs)
        if _is_model(item):
            return FormField(widget="repeat", children=_model_fields(item), **common)
        return FormField(widget="names" if set(funcs) & _NAME_PARSERS else "paragraphs", **common)
    if _is_model(annotation):
        return FormField(widget="group", children=_model_fields(annotation), **common)
    if origin is Literal:
        return FormField(widget="choice", choices=typing.get_args(annotation), **common)
    if annotation is bool:
        return FormField(widget="flag", choices=FLAG_CHOICES, **common)
    if annotation is int:
        return FormField(widget="int", **common)
    if annotation is dt.date:
        return FormField(widget="date", **common)
    if annotation is str and not set(funcs) & _LINE_PARSERS:
        return FormField(widget="text", **common)
    return FormField(widget="line", **common)  # titles, 发文字号, 份号, a date or a phrase (完成时限)


def _model_fields(model: type[BaseModel], kind: str | None = None) -> tuple:
    required = set(REQUIRED.get(kind, ())) if kind else set()
    body = set(BODY.get(kind, ())) if kind else set()
    return tuple(_field(name, info, info.is_required() or (info.alias in required), info.alias in body)
                 for name, info in model.model_fields.items())


@functools.lru_cache(maxsize=None)
def form_fields(kind: str) -> tuple:
    """The fields of KIND's form, in the model's order (类型 included: a client keeps it as it is)."""
    return _model_fields(MODELS[kind], kind)


def kind_label(kind: str) -> str:
    return KIND_LABELS[kind]


# --- YAML data → form values -----------------------------------------------------


def _scalar(value: Any) -> str | None:
    """The text a clerk typed for a single value; None when it is not one."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, (dict, list)):
        return None
    return str(getattr(value, "source", value))


def _lookup(fields) -> dict:
    found = {}
    for f in fields:
        for spelling in f.spellings:
            found.setdefault(spelling, f)
    return found


def _normalised(info_funcs, value):
    """A value in the shape a field's own validators give it (a text for a list of sections …)."""
    for func in info_funcs:
        try:
            value = func(value)
        except (ValueError, TypeError):
            return value
    return value


@functools.lru_cache(maxsize=None)
def _shapers(kind: str) -> dict:
    """{data path of keys (no indexes): validators that reshape a group's value}."""
    shapers: dict = {}

    def walk(model, prefix):
        for name, info in model.model_fields.items():
            funcs = _validators(info.metadata)
            annotation = _unwrap(info.annotation, funcs)
            key = info.alias or name
            if typing.get_origin(annotation) is list:
                annotation = _unwrap(typing.get_args(annotation)[0], [])
            if _is_model(annotation):  # only a group's shape: a single value is shown as typed
                if funcs:
                    shapers[prefix + (key,)] = tuple(funcs)
                walk(annotation, prefix + (key,))

    walk(MODELS[kind], ())
    return shapers


def form_values(kind: str, data: Any) -> tuple[dict, list]:
    """The form's values for DATA (a YAML input read by load_yaml_text), and the
    data paths of whatever the form cannot hold (an unknown key, a list where one
    value belongs): a client refuses such a file rather than lose them."""
    dropped: list = []
    shapers = _shapers(kind)

    def group(fields, value, path, keys) -> dict:
        out: dict = {}
        if not isinstance(value, dict):
            dropped.append(path)
            return out
        lookup = _lookup(fields)
        for key, item in value.items():
            f = lookup.get(str(key)) or lookup.get(to_simplified(str(key)))
            if f is None:
                dropped.append(path + (key,))
                continue
            out[f.key] = one(f, item, path + (key,), keys + (f.key,))
        return out

    def one(f: FormField, value, path, keys):
        value = _normalised(shapers.get(keys, ()), value)
        if f.widget == "repeat":
            items = value if isinstance(value, list) else ([] if value is None else [value])
            return [group(f.children, item, path + (i,), keys) for i, item in enumerate(items)]
        if f.widget == "group":
            return group(f.children, value, path, keys) if value is not None else {}
        if f.widget in ("paragraphs", "names"):
            items = F._paragraph_list(value) if f.widget == "paragraphs" else (
                value if isinstance(value, list) else [value])
            texts = []
            for i, item in enumerate(items):
                text = _scalar(item)
                if text is None:
                    dropped.append(path + (i,))
                    continue
                texts.append(text)
            if f.widget == "names" and isinstance(value, str):  # split as the model splits it
                return "、".join(part for part in re.split(r"[、，,；;\s]+", value.strip()) if part)
            return ("\n" if f.widget == "paragraphs" else "、").join(texts)
        text = _scalar(value)
        if text is None:
            dropped.append(path)
            return ""
        return text

    return group(form_fields(kind), data, (), ()), dropped


def form_pairs(values: dict, prefix: str = "") -> list:
    """The (name, value) pairs a browser posts for a form showing VALUES."""
    pairs = []
    for key, value in values.items():
        name = f"{prefix}{key}"
        if isinstance(value, list):
            for index, item in enumerate(value):
                pairs += form_pairs(item, f"{name}.{index}.")
        elif isinstance(value, dict):
            pairs += form_pairs(value, f"{name}.")
        else:
            pairs.append((name, value))
    return pairs


def dropped_problems(doc, dropped: list) -> list[Problem]:
    """What a form cannot hold, located in DOC (a YamlDocument), in office words."""
    out = []
    for path in dropped:
        where = "、".join(str(p) for p in path if isinstance(p, str)) or "文件"
        out.append(doc.problem(path, f"“{where}”这里的内容在起草页面中无法填写（键名不认识，或写法与填写模板不同）；"
                                     "请按 fupin validate 的提示改好后再上传", prefer_key=True))
    return out


# --- form values → YAML data ------------------------------------------------------


def _nest(pairs) -> dict:
    """{'主要任务.0.名称': v, …} → nested dicts (indexes stay dict keys, as ints)."""
    root: dict = {}
    for name, value in pairs:
        parts = [int(p) if p.isdigit() else p for p in str(name).split(".")]
        if not parts or any(p == "" for p in parts):
            continue
        node = root
        for part in parts[:-1]:
            child = node.get(part)
            if not isinstance(child, dict):
                child = node[part] = {}
            node = child
        if not isinstance(node.get(parts[-1]), dict):
            node[parts[-1]] = value
    return root


def _clean(text: Any) -> str:
    return str(text if text is not None else "").replace("\r\n", "\n").replace("\r", "\n").strip()


def _from_form(fields, raw: dict) -> dict:
    out: dict = {}
    for f in fields:
        if f.key not in raw:
            continue
        value = raw[f.key]
        if f.widget == "repeat":
            items = value if isinstance(value, dict) else {}
            ordered = [items[i] for i in sorted(k for k in items if isinstance(k, int))]
            rows = [_from_form(f.children, item if isinstance(item, dict) else {}) for item in ordered]
            if rows:
                out[f.key] = rows
            continue
        if f.widget == "group":
            inner = _from_form(f.children, value if isinstance(value, dict) else {})
            if inner:
                out[f.key] = inner
            continue
        if isinstance(value, dict):
            continue
        text = _clean(value)
        if not text:
            continue
        if f.widget == "paragraphs":
            out[f.key] = [line.strip() for line in text.split("\n") if line.strip()]
        elif f.widget == "names":
            out[f.key] = [part.strip() for part in NAME_SEPARATORS.split(text) if part.strip()]
        elif f.widget == "int" and text.isascii() and text.isdigit():
            out[f.key] = int(text)
        elif f.widget == "line" or f.widget == "date" or f.widget == "int":
            out[f.key] = " ".join(text.split()) if "\n" in text else text
        else:
            out[f.key] = text
    return out


def data_from_form(kind: str, pairs) -> dict:
    """The YAML data a form's values (PAIRS: (name, value), as a browser posts them)
    stand for, in the model's order; empty values are left out (as in a YAML file
    where the line is not written). A repeated group's rows keep their positions,
    even an empty one, so a problem's path names the row the clerk sees."""
    raw = _nest(pairs)
    data = _from_form(form_fields(kind), raw)
    data.setdefault(KIND_KEY, kind_label(kind))
    return {KIND_KEY: data.pop(KIND_KEY), **data}


def dump_yaml(kind: str, data: dict) -> str:
    """DATA as the YAML input the CLI reads (keys in Chinese, one paragraph per item)."""
    from ruamel.yaml import YAML
    from ruamel.yaml.scalarstring import LiteralScalarString

    def prepare(value):
        if isinstance(value, dict):
            return {k: prepare(v) for k, v in value.items()}
        if isinstance(value, list):
            return [prepare(v) for v in value]
        if isinstance(value, bool):
            return "是" if value else "否"
        if isinstance(value, str) and "\n" in value:
            return LiteralScalarString(value)
        return value

    yaml = YAML(typ="rt")
    yaml.allow_unicode = True
    yaml.width = 100_000
    yaml.indent(mapping=2, sequence=4, offset=2)
    stream = io.StringIO()
    stream.write(f"# {kind_label(kind)}（起草页面保存；可用 fupin validate、fupin render 处理）\n")
    yaml.dump(prepare(data), stream)
    return stream.getvalue()


def check_text(text: str, config=None, file: str = "草稿.yaml"):
    """(model or None, problems, warnings) for a YAML input: the checks of `fupin validate`."""
    from .validate import validate_document

    warnings: list = []
    try:
        doc = load_yaml_text(text, file)
        return validate_document(doc, config, warn=warnings.append), [], warnings
    except InputError as err:
        return None, err.problems, warnings


def kind_of_text(text: str, file: str = "草稿.yaml") -> str:
    """The kind a YAML input declares (InputError, located, when it declares none)."""
    from .validate import kind_of

    return kind_of(load_yaml_text(text, file))
