"""Turn a YAML file into a typed model, or every problem as FILE:LINE:COL."""

from __future__ import annotations

import difflib
import typing
from pathlib import Path

from pydantic import BaseModel, ValidationError

from .models import KIND_LABELS, KIND_NAMES, MODELS, Document
from .fields import DATE_HINT
from .problems import InputError, Problem
from .required import office_problems, required_problems, sample_paths, sample_problems, warnings_for
from .script import to_simplified
from .yaml_source import (FULL_WIDTH_KEY, YamlDocument, full_width_key_message, load_yaml_file,
                          load_yaml_text)


def _submodel(annotation) -> type[BaseModel] | None:
    """The model class inside list[X] / Optional[X] / Annotated[X, ...]."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _submodel(arg)
        if found:
            return found
    return None


def _model_at(model: type[BaseModel], loc: tuple) -> type[BaseModel] | None:
    """Follow a data path (keys and indexes) down the model classes."""
    current = model
    for part in loc:
        if isinstance(part, int):
            continue
        part = to_simplified(part)
        field = next(
            (f for name, f in current.model_fields.items() if part in (name, f.alias)), None
        )
        if field is None:
            return None
        current = _submodel(field.annotation)
        if current is None:
            return None
    return current


def _keys(model: type[BaseModel]) -> list[str]:
    return [f.alias or name for name, f in model.model_fields.items()]


def _data_path(loc: tuple, data) -> tuple:
    """Drop pydantic's internal loc parts (union branch names etc.)."""
    path: list = []
    node = data
    for part in loc:
        if isinstance(node, dict) and part in node:
            path.append(part)
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            path.append(part)
            node = node[part]
        elif isinstance(part, str) and isinstance(node, dict):
            path.append(part)  # a missing or unknown key: keep it for the message
            node = None
    return tuple(path)


def _message(err: dict, model: type[BaseModel], path: tuple) -> str:
    kind = err["type"]
    key = path[-1] if path and isinstance(path[-1], str) else ""
    if kind == "missing":
        return f"缺少必填项“{key}”，请补上"
    if kind == "extra_forbidden":
        owner = _model_at(model, path[:-1])
        candidates = _keys(owner) if owner else []
        english = {name: (f.alias or name) for name, f in owner.model_fields.items()} if owner else {}
        close = difflib.get_close_matches(to_simplified(key), candidates + list(english), n=1, cutoff=0.4)
        if close:
            suggestion = english.get(close[0], close[0])
            return f"不认识的键“{key}”，是不是“{suggestion}”？"
        return f"不认识的键“{key}”，此处可用的键有：{'、'.join(candidates)}"
    if kind == "literal_error":
        expected = err.get("ctx", {}).get("expected", "")
        expected = expected.replace("'", "").replace(" or ", "、").replace(", ", "、")
        return f"“{err.get('input')}”不是允许的值，请填写其中之一：{expected}"
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return "应为整数，例如 3"
    if kind in ("greater_than_equal", "greater_than"):
        return f"应不小于 {err.get('ctx', {}).get('ge', 1)}"
    if kind == "list_type":
        return "应为列表：每一项另起一行，以“- ”开头"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        typed = err.get("input")
        match = FULL_WIDTH_KEY.match(typed) if isinstance(typed, str) else None
        owner = _model_at(model, path)
        if match and owner is not None and to_simplified(match["key"]) in _keys(owner):
            return full_width_key_message(match["key"])
        return "应为键值对（“键: 值”），请检查缩进"
    if kind == "value_error":
        return str(err.get("ctx", {}).get("error", err["msg"]))
    if kind in ("date_type", "date_parsing", "date_from_datetime_parsing"):
        return f"日期格式不对，{DATE_HINT}"
    return f"取值不对（{err['msg']}），请核对"


def _under(path: tuple, roots) -> bool:
    return any(path[:len(root)] == root for root in roots)


def _problems(doc: YamlDocument, model: type[BaseModel], error: ValidationError, *, skip_paths=(),
              skip_missing=frozenset()) -> list[Problem]:
    """Located messages for the model's errors, leaving out values already
    reported as sample text and required keys already reported."""
    problems = []
    for err in error.errors():
        path = _data_path(err["loc"], doc.data)
        if _under(path, skip_paths):
            continue
        if err["type"] == "missing" and len(path) == 1 and path[0] in skip_missing:
            continue
        message = _message(err, model, path)
        if err["type"] == "missing":
            problems.append(doc.problem(path[:-1], message, field=path))
        else:
            problems.append(doc.problem(path, message, prefer_key=err["type"] == "extra_forbidden"))
    return problems


def kind_of(doc: YamlDocument) -> str:
    if not isinstance(doc.data, dict):
        raise InputError([doc.problem((), "文件最外层应为“键: 值”形式，请先生成填写模板，再照着填写")])
    key = next((k for k in ("类型", "類型", "kind") if k in doc.data), None)
    raw = doc.data.get(key) if key else None
    if raw is None:
        raise InputError([doc.problem((), "缺少“类型”，请在第一行写“类型: 实施方案”（或 督查通知、会议纪要、整改报告）")])
    kind = KIND_NAMES.get(to_simplified(str(raw).strip()))
    if kind is None:
        raise InputError([doc.problem((key,), f"不认识的类型“{raw}”，请写：{'、'.join(KIND_LABELS.values())}")])
    return kind


def validate_document(doc: YamlDocument, config=None, *, warn=None) -> Document:
    """The typed model of DOC, or InputError with every problem of the file.

    CONFIG (the office's settings, workspace.config.Config): when given, a
    document must name its 发文机关 and 印发机关 itself or find them there.
    WARN(problem), if given, receives what looks wrong but may be meant (the
    file still passes)."""
    kind = kind_of(doc)
    model = MODELS[kind]
    samples = sample_paths(doc)
    problems = sample_problems(doc, samples)
    missing, reported = required_problems(doc, kind, model)
    problems += missing
    if config is not None:
        problems += office_problems(doc, kind, model, config)
    try:
        result = model.model_validate(doc.data)
    except ValidationError as error:
        problems += _problems(doc, model, error, skip_paths=samples, skip_missing=reported)
        result = None
    if problems:
        raise InputError(problems)
    if warn is not None:
        for warning in warnings_for(doc, model):
            warn(warning)
    return result


def load_document(path: str | Path, config=None, *, warn=None) -> Document:
    """Load and validate one input file; raises InputError listing every problem."""
    return validate_document(load_yaml_file(path), config, warn=warn)


def load_document_text(text: str, file: str = "<输入>", config=None, *, warn=None) -> Document:
    return validate_document(load_yaml_text(text, file), config, warn=warn)


def validate_files(paths, config=None, *, warn=None) -> list[Problem]:
    """Every problem in every file (empty when all are valid); WARN as in validate_document."""
    problems: list[Problem] = []
    for path in paths:
        try:
            load_document(path, config, warn=warn)
        except InputError as err:
            problems.extend(err.problems)
    return problems
