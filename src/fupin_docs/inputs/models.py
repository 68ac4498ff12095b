"""Typed models of the four input kinds.

Keys are the Chinese terms clerks use (the alias); the English field name is
accepted too. Every model forbids unknown keys so a typo is reported, not
silently dropped.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal, Optional, Union

from pydantic import AliasChoices, BaseModel, BeforeValidator, ConfigDict, model_validator
from pydantic import Field as PydanticField

from .choices import DONE_STATUSES, KIND_LABELS, KIND_NAMES, PROBLEM_SOURCES, PROBLEM_STATUSES  # noqa: F401
from .field_types import CopyNumber, DocDate, DocNumber, Flag, Names, Paragraphs, Tags, Text, TitleText
from .fields import is_date_like, parse_date
from .script import to_simplified, to_traditional

try:
    from .traditional_keys import TRADITIONAL
except ImportError:  # only while build_traditional_keys bootstraps the table
    TRADITIONAL = {}


def _traditional(alias: str) -> str:
    """The precomputed Traditional spelling; OpenCC only for a key added since
    traditional_keys.py was generated (tests/test_startup.py catches that)."""
    spelled = TRADITIONAL.get(alias)
    return spelled if spelled is not None else to_traditional(alias)


def Field(*args, alias: str | None = None, **kwargs):
    """pydantic's Field, where a Chinese key may also be written in Traditional
    script (類型 for 类型); the English field name stays accepted through
    populate_by_name. Built per field at class creation: no model rebuild, and
    no OpenCC (the spellings come from traditional_keys.py)."""
    if alias:
        spellings = dict.fromkeys([alias, _traditional(alias)])
        kwargs["validation_alias"] = AliasChoices(*spellings)
    return PydanticField(*args, alias=alias, **kwargs)


class Model(BaseModel):
    """Keys: the Chinese term, its Traditional spelling, or the English name."""

    model_config = ConfigDict(populate_by_name=True, extra="forbid", frozen=True)


def _simplified(value: Any) -> Any:
    """Choice values (密级, 整改状态 …) may be typed in Traditional script."""
    return to_simplified(value) if isinstance(value, str) else value


Simplified = BeforeValidator(_simplified)


# --- building blocks ----------------------------------------------------------

def _deadline(value: Any) -> Union[dt.date, str]:
    """完成时限: a real date, or a phrase such as “2020年6月底前” or “长期坚持”."""
    if isinstance(value, dt.date):
        return value
    text = str(getattr(value, "source", value)).strip()
    if is_date_like(text):
        return parse_date(text)
    if not text:
        raise ValueError("完成时限不能为空，请写日期（如 2020-06-30）或“6月底前”之类的说明")
    return text


Deadline = Annotated[Union[dt.date, str], BeforeValidator(_deadline)]


class Section(Model):
    """A titled part: rendered as “（一）标题。内容……”."""

    heading: Optional[Text] = Field(None, alias="标题")
    content: Paragraphs = Field(default_factory=list, alias="内容")


def _sections(value: Any) -> Any:
    """Accept one text, a list of texts, or a list of {标题, 内容}."""
    if value is None:
        return []
    if isinstance(value, str):
        return [{"内容": value}]
    if isinstance(value, list):
        return [item if isinstance(item, dict) else {"内容": item} for item in value]
    return value


Sections = Annotated[list[Section], BeforeValidator(_sections)]


class Attachment(Model):
    """附件: its name for 附件说明, and optionally its text (printed after the body)."""

    name: TitleText = Field(alias="名称")
    content: Paragraphs = Field(default_factory=list, alias="内容")


def _attachments(value: Any) -> Any:
    if isinstance(value, list):
        return [item if isinstance(item, dict) else {"名称": item} for item in value]
    if isinstance(value, str):
        return [{"名称": value}]
    return value


Attachments = Annotated[list[Attachment], BeforeValidator(_attachments)]



class Gongwen(Model):
    """The GB/T 9704 elements every kind shares."""

    kind: Text = Field(alias="类型")
    copy_number: Optional[CopyNumber] = Field(None, alias="份号")
    secrecy: Annotated[Optional[Literal["秘密", "机密", "绝密"]], Simplified] = Field(None, alias="密级")
    secrecy_period: Optional[Text] = Field(None, alias="保密期限")
    urgency: Annotated[Optional[Literal["特急", "加急"]], Simplified] = Field(None, alias="紧急程度")
    issuer: Optional[TitleText] = Field(None, alias="发文机关")
    issuer_mark: Optional[TitleText] = Field(None, alias="发文机关标志")
    doc_number: Optional[DocNumber] = Field(None, alias="发文字号")
    signers: Names = Field(default_factory=list, alias="签发人")
    title: Optional[TitleText] = Field(None, alias="标题")
    addressees: Optional[Text] = Field(None, alias="主送机关")
    attachments: Attachments = Field(default_factory=list, alias="附件")
    signature: Optional[Text] = Field(None, alias="署名")
    date: DocDate = Field(alias="成文日期")
    seal: Flag = Field(False, alias="加盖印章")
    note: Optional[Text] = Field(None, alias="附注")
    cc: Optional[Text] = Field(None, alias="抄送")
    printer: Optional[Text] = Field(None, alias="印发机关")
    print_date: Optional[DocDate] = Field(None, alias="印发日期")
    tags: Tags = Field(default_factory=list, alias="标签")

    @model_validator(mode="after")
    def _period_needs_secrecy(self):
        if self.secrecy_period and not self.secrecy:
            raise ValueError("填写了“保密期限”但没有“密级”，请补上密级（秘密/机密/绝密）或删去保密期限")
        return self


# --- 实施方案 / 工作方案 --------------------------------------------------------


class Task(Model):
    name: Text = Field(alias="名称")
    content: Paragraphs = Field(default_factory=list, alias="内容")
    units: Optional[Text] = Field(None, alias="责任单位")
    deadline: Optional[Deadline] = Field(None, alias="完成时限")


class Milestone(Model):
    """节点: a checkpoint inside a phase."""

    when: Text = Field(alias="时间")
    content: Text = Field(alias="内容")


class Phase(Model):
    name: Text = Field(alias="名称")
    start: Optional[DocDate] = Field(None, alias="开始")
    end: Optional[DocDate] = Field(None, alias="结束")
    content: Paragraphs = Field(default_factory=list, alias="内容")
    milestones: list[Milestone] = Field(default_factory=list, alias="节点")

    @model_validator(mode="after")
    def _ordered(self):
        if self.start and self.end and self.end < self.start:
            raise ValueError("阶段的“结束”早于“开始”，请核对起止日期")
        return self


class Plan(Gongwen):
    """Issued through a 关于印发《…》的通知; the plan follows the notice."""

    plan_title: TitleText = Field(alias="方案名称")
    cover_text: Paragraphs = Field(default_factory=list, alias="印发说明")
    guiding: Paragraphs = Field(default_factory=list, alias="指导思想")
    general: Paragraphs = Field(default_factory=list, alias="总体要求")
    goals: Paragraphs = Field(default_factory=list, alias="目标任务")
    scope: Paragraphs = Field(default_factory=list, alias="重点对象及范围")
    tasks: list[Task] = Field(default_factory=list, alias="主要任务")
    phases: list[Phase] = Field(default_factory=list, alias="工作阶段")
    safeguards: Sections = Field(default_factory=list, alias="组织保障")
    requirements: Sections = Field(default_factory=list, alias="工作要求")


# --- 督查通知 ------------------------------------------------------------------


class Group(Model):
    name: Text = Field(alias="组别")
    leader: Optional[Text] = Field(None, alias="组长")
    members: Names = Field(default_factory=list, alias="成员")
    coverage: Optional[Text] = Field(None, alias="督查范围")


class ScheduleItem(Model):
    when: Text = Field(alias="时间")
    content: Text = Field(alias="内容")


class Contact(Model):
    name: Text = Field(alias="姓名")
    phone: Optional[Text] = Field(None, alias="电话")


def _contacts(value: Any) -> Any:
    return [value] if isinstance(value, dict) else value


class Notice(Gongwen):
    intro: Paragraphs = Field(default_factory=list, alias="导语")
    scope: Paragraphs = Field(default_factory=list, alias="督查对象和范围")
    contents: Sections = Field(default_factory=list, alias="督查内容")
    methods: Sections = Field(default_factory=list, alias="督查方法")
    schedule: list[ScheduleItem] = Field(default_factory=list, alias="时间安排")
    groups: list[Group] = Field(default_factory=list, alias="督查组")
    requirements: Sections = Field(default_factory=list, alias="有关要求")
    contacts: Annotated[list[Contact], BeforeValidator(_contacts)] = Field(default_factory=list, alias="联系人")


# --- 会议纪要 ------------------------------------------------------------------


class Decision(Model):
    content: Text = Field(alias="内容")
    units: Optional[Text] = Field(None, alias="责任单位")
    deadline: Optional[Deadline] = Field(None, alias="时限")


class Minutes(Gongwen):
    meeting_name: TitleText = Field(alias="会议名称")
    session: Optional[int] = Field(None, alias="会议次数", ge=1)
    issue_number: Optional[int] = Field(None, alias="期号", ge=1)
    meeting_date: DocDate = Field(alias="会议时间")
    place: Text = Field(alias="会议地点")
    host: Text = Field(alias="主持人")
    topics: Paragraphs = Field(default_factory=list, alias="议题")
    intro: Paragraphs = Field(default_factory=list, alias="导语")
    summary: Paragraphs = Field(default_factory=list, alias="会议内容")
    decisions: list[Decision] = Field(default_factory=list, alias="议定事项")
    attendees: Names = Field(default_factory=list, alias="出席")
    absent: Names = Field(default_factory=list, alias="请假")
    observers: Names = Field(default_factory=list, alias="列席")
    recorder: Optional[Text] = Field(None, alias="记录人")


# --- 整改报告 ------------------------------------------------------------------

class ProblemItem(Model):
    number: Optional[Text] = Field(None, alias="问题编号")
    description: Text = Field(alias="问题描述")
    measures: Optional[Text] = Field(None, alias="整改措施")
    unit: Optional[Text] = Field(None, alias="责任单位")
    person: Optional[Text] = Field(None, alias="责任人")
    deadline: Optional[Deadline] = Field(None, alias="完成时限")
    status: Annotated[Literal["未整改", "整改中", "已整改", "已销号"], Simplified] = Field("整改中", alias="整改状态")


def _choices(allowed: tuple[str, ...], label: str):
    """A filter value: one or more of ALLOWED separated by 、 (an unambiguous
    beginning such as 省考 is enough), checked here so `fupin validate` says where."""

    def check(value: Any) -> Any:
        if value is None:
            return None
        parts = [to_simplified(part.strip()) for part in re.split(r"[、，,|｜]", _text_of(value)) if part.strip()]
        chosen = []
        for part in parts:
            matches = [a for a in allowed if a == part] or [a for a in allowed if a.startswith(part)]
            if len(matches) != 1:
                raise ValueError(f"{label}“{part}”不是允许的值，请填写：{'、'.join(allowed)}（多个值用顿号分隔）")
            chosen.append(matches[0])
        return "、".join(chosen)

    return BeforeValidator(check)


def _text_of(value: Any) -> str:
    return str(getattr(value, "source", value)).strip()


class LedgerFilter(Model):
    """Where a report takes its problems from the ledger (问题台账).

    Left out, 问题来源 means the report's own 问题来源: a report on 省考反馈
    counts the 省考反馈 problems, not every problem of the village."""

    source: Annotated[Optional[Text], _choices(PROBLEM_SOURCES, "问题来源")] = Field(None, alias="问题来源")
    village: Optional[Text] = Field(None, alias="村")
    unit: Optional[Text] = Field(None, alias="责任单位")
    status: Annotated[Optional[Text], _choices(PROBLEM_STATUSES, "整改状态")] = Field(None, alias="整改状态")


class Rectification(Gongwen):
    source: Annotated[Literal[PROBLEM_SOURCES], Simplified] = Field(alias="问题来源")  # type: ignore[valid-type]
    intro: Paragraphs = Field(default_factory=list, alias="导语")
    progress: Sections = Field(default_factory=list, alias="整改工作开展情况")
    problems: list[ProblemItem] = Field(default_factory=list, alias="问题清单")
    ledger: Optional[LedgerFilter] = Field(None, alias="台账")
    next_steps: Sections = Field(default_factory=list, alias="下一步工作")


MODELS: dict[str, type[Gongwen]] = {
    "plan": Plan, "notice": Notice, "minutes": Minutes, "rectification": Rectification,
}
Document = Union[Plan, Notice, Minutes, Rectification]
