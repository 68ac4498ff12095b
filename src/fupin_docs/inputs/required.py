"""What a document must contain before it can be filed, and what is still
sample text: checks on the file as written, so that every problem of a file
is reported at once, each at its own line.

- 示例文字: the skeletons `fupin new` writes mark every sample value with
  SAMPLE_MARK; a value still carrying it is refused where it stands.
- 必填: the keys each kind needs (REQUIRED), and the body parts of which at
  least one must be filled (BODY): a notice with only 类型 and 成文日期 is not
  a document.
- 发文机关 and 印发机关 come from the file or from fupin.toml; one that is
  missing from both, or still the sample name, is refused (when the office's
  settings are given).
- 提醒 (warnings, the file still passes): a 发文字号 whose year is not the
  成文日期's year.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from .fields import DOC_NUMBER_PATTERN, parse_date
from .problems import Problem
from .yaml_source import YamlDocument

# Marks a sample value in a skeleton; a clerk replaces the whole value.
SAMPLE_MARK = "【示例】"
SAMPLE_MESSAGE = f"这里还是填写模板里的示例文字，请把示例文字换成实际内容（连同“{SAMPLE_MARK}”一起删去）"

# Names the built-in settings use when an office has not written its own.
SAMPLE_NAME_WORDS = ("某某",)

REQUIRED: dict[str, tuple[str, ...]] = {
    "plan": ("方案名称", "成文日期"),
    "notice": ("标题", "成文日期"),
    "minutes": ("会议名称", "成文日期", "会议时间", "会议地点", "主持人", "出席"),
    # A report goes up (上行文): it names its 签发人 (GB/T 9704 §7.2.5) and the one
    # office it reports to; the office's default 主送机关 are the units it sends down to.
    "rectification": ("标题", "成文日期", "问题来源", "签发人", "主送机关"),
}

BODY: dict[str, tuple[str, ...]] = {
    "plan": ("指导思想", "总体要求", "目标任务", "重点对象及范围", "主要任务", "工作阶段", "组织保障", "工作要求"),
    "notice": ("导语", "督查对象和范围", "督查内容", "督查方法", "时间安排", "督查组", "有关要求"),
    "minutes": ("会议内容", "议定事项"),
    "rectification": ("问题清单", "台账"),
}

_BODY_MESSAGES = {
    "plan": "实施方案没有正文，请至少填写其中一项：{keys}",
    "notice": "督查通知没有正文，请至少填写其中一项：{keys}",
    "minutes": "会议纪要没有内容，请填写“会议内容”或“议定事项”",
    "rectification": "整改报告须有“问题清单”，或用“台账”从问题台账中选取问题",
}


def _spellings(model: type[BaseModel], alias: str) -> tuple[str, ...]:
    """Every key a field may be written with: Chinese, Traditional, English."""
    for name, field in model.model_fields.items():
        if field.alias == alias:
            choices = getattr(field.validation_alias, "choices", None) or [alias]
            return (*[str(c) for c in choices], name)
    return (alias,)


def _key_in(data: dict, model: type[BaseModel], alias: str) -> str | None:
    return next((key for key in _spellings(model, alias) if key in data), None)


def _empty(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, (list, dict)):
        return not value
    return False


def sample_paths(doc: YamlDocument) -> list[tuple]:
    """Paths of every value that still carries SAMPLE_MARK (iterative walk)."""
    found, stack = [], [((), doc.data)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            if SAMPLE_MARK in value:
                found.append(path)
        elif isinstance(value, dict):
            stack.extend((path + (key,), item) for key, item in value.items())
        elif isinstance(value, list):
            stack.extend((path + (i,), item) for i, item in enumerate(value))
    return found


def sample_problems(doc: YamlDocument, paths: list[tuple]) -> list[Problem]:
    return [doc.problem(path, SAMPLE_MESSAGE) for path in paths]


def required_problems(doc: YamlDocument, kind: str, model: type[BaseModel]) -> tuple[list[Problem], set[str]]:
    """Missing or empty 必填 keys and an empty body; also the keys reported
    (so the model's own “missing” errors for them are not repeated)."""
    data = doc.data
    problems: list[Problem] = []
    reported: set[str] = set()
    for alias in REQUIRED[kind]:
        key = _key_in(data, model, alias)
        reported.update(_spellings(model, alias))
        if key is None:
            problems.append(doc.problem((), f"缺少必填项“{alias}”，请补上一行“{alias}: ……”", field=(alias,)))
        elif _empty(data[key]):
            problems.append(doc.problem((key,), f"“{alias}”是必填项，不能空着，请填写", prefer_key=True))
    body = BODY[kind]
    if not any((key := _key_in(data, model, alias)) is not None and not _empty(data[key]) for alias in body):
        keys = "、".join(f"“{alias}”" for alias in body)
        problems.append(doc.problem((), _BODY_MESSAGES[kind].format(keys=keys)))
    return problems, reported


def _is_sample_name(text: str) -> bool:
    return any(word in text for word in SAMPLE_NAME_WORDS)


def office_problems(doc: YamlDocument, kind: str, model: type[BaseModel], config) -> list[Problem]:
    """发文机关 and 印发机关: from the file, else from the office's settings."""
    data = doc.data
    problems = []
    wanted = [("发文机关", config.office.name, "机关名称（name）", "版头和署名", "本单位全称"),
              ("印发机关", config.office.printer, "印发机关（printer）", "版记", "印发机关全称")]
    for alias, default, setting, where, what in wanted:
        key = _key_in(data, model, alias)
        if key is not None and not _empty(data[key]):
            continue
        if default and not _is_sample_name(default):
            continue
        if default:
            why = f"工作目录设置（fupin.toml）中的{setting}还是示例“{default}”，{where}会印成这个示例名称"
        else:
            why = f"工作目录设置（fupin.toml）中也没有填写{setting}，{where}会空缺"
        message = f"没有写“{alias}”，{why}。请在这里写一行“{alias}: {what}”，或在 fupin.toml 中填写{setting}"
        problems.append(doc.problem((key,) if key is not None else (), message, prefer_key=True, field=(alias,)))
    return problems


def warnings_for(doc: YamlDocument, model: type[BaseModel]) -> list[Problem]:
    """Things that look wrong but may be meant: the file still passes."""
    data = doc.data
    warnings = []
    number_key = _key_in(data, model, "发文字号")
    date_key = _key_in(data, model, "成文日期")
    if number_key and date_key and isinstance(data[number_key], str):
        match = DOC_NUMBER_PATTERN.match(data[number_key].strip())
        try:
            date = parse_date(data[date_key])
        except ValueError:
            date = None
        if match and date and int(match["year"]) != date.year:
            warnings.append(doc.problem(
                (number_key,),
                f"发文字号的年份是{match['year']}年，成文日期却是{date.year}年；发文字号的年份应与成文日期同年，"
                "请核对其中一个（如确实如此，可不修改）"))
    return warnings
