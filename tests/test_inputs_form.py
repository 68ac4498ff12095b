"""The drafting form read off the input models, and YAML → form → YAML without loss."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from fupin_docs.inputs.form import _model_fields, check_text, data_from_form, dump_yaml, form_fields, form_values
from fupin_docs.inputs.models import MODELS, Field, Model
from fupin_docs.inputs.field_types import DocDate, Paragraphs, Text
from fupin_docs.inputs.validate import kind_of, validate_document
from fupin_docs.inputs.yaml_source import load_yaml_file, load_yaml_text
from fupin_docs.workspace import open_workspace

pytestmark = pytest.mark.storage_free  # renders or reads inputs only: the county pass leaves it out

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))


def posted(values: dict, prefix: str = ""):
    """The (name, value) pairs a browser posts for a form showing VALUES."""
    for key, value in values.items():
        name = f"{prefix}{key}"
        if isinstance(value, list):
            for index, item in enumerate(value):
                yield from posted(item, f"{name}.{index}.")
        elif isinstance(value, dict):
            yield from posted(value, f"{name}.")
        else:
            yield name, value


def _keys(data, path=()):
    """Every key path of a YAML input (list positions left out: 联系人 may be one or a list)."""
    out = set()
    if isinstance(data, dict):
        for key, value in data.items():
            out.add(path + (key,))
            out |= _keys(value, path + (key,))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            out |= _keys(value, path)
    return out


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_yaml_form_yaml_round_trip_keeps_every_field(example):
    doc = load_yaml_file(example)
    kind = kind_of(doc)
    values, dropped = form_values(kind, doc.data)
    assert dropped == []
    text = dump_yaml(kind, data_from_form(kind, list(posted(values))))
    model, problems, _warnings = check_text(text)
    assert problems == []
    original = validate_document(doc)
    # field for field: every value of every field, nested groups included
    before, after = original.model_dump(by_alias=True), model.model_dump(by_alias=True)
    for key in before:
        assert before[key] == after[key], key
    # and every key the example writes is written again (the examples use the Chinese keys)
    again = load_yaml_text(text, "again.yaml").data
    assert _keys(doc.data) - _keys(again) == set()


def test_a_field_added_to_a_model_appears_in_the_form():
    class Extended(MODELS["notice"]):
        deadline_note: Paragraphs = Field(default_factory=list, alias="报送要求")
        check_day: DocDate = Field(alias="检查日期")
        place: Text | None = Field(None, alias="集合地点")

    fields = {f.key: f for f in _model_fields(Extended, "notice")}
    assert (fields["报送要求"].widget, fields["报送要求"].required) == ("paragraphs", False)
    assert (fields["检查日期"].widget, fields["检查日期"].required) == ("date", True)
    assert fields["集合地点"].widget == "text"
    assert "Baosong" not in fields  # nothing invented


def test_the_forms_mark_what_validate_requires_and_the_repeated_groups():
    plan = {f.key: f for f in form_fields("plan")}
    assert plan["方案名称"].required and plan["成文日期"].required and not plan["标题"].required
    task = {c.key: c for c in plan["主要任务"].children}
    assert plan["主要任务"].widget == "repeat" and task["名称"].required
    assert {"责任单位", "完成时限"} <= set(task)
    assert plan["主要任务"].body and plan["指导思想"].body
    notice = {f.key: f for f in form_fields("notice")}
    assert notice["督查组"].widget == "repeat" and notice["紧急程度"].choices == ("特急", "加急")
    minutes = {f.key: f for f in form_fields("minutes")}
    assert minutes["议定事项"].widget == "repeat" and minutes["出席"].required and minutes["出席"].widget == "names"
    report = {f.key: f for f in form_fields("rectification")}
    assert report["问题清单"].widget == "repeat" and report["台账"].widget == "group"
    assert report["问题来源"].required and "省考反馈" in report["问题来源"].choices


def test_problems_carry_the_path_of_their_field_and_the_clis_text(tmp_path):
    pairs = [("类型", "督查通知"), ("标题", "关于开展督查的通知"), ("成文日期", "2020-02-30"),
             ("导语", "为做好督查工作，现通知如下。"), ("督查组.0.组别", ""), ("督查组.0.组长", "张三"),
             ("发文字号", "三政发[2020]27号")]
    text = dump_yaml("notice", data_from_form("notice", pairs))
    config = open_workspace(tmp_path).config  # the built-in settings, as the CLI outside a workspace
    _model, problems, _warnings = check_text(text, config, file="notice.yaml")
    by_path = {p.path: p.message for p in problems}
    assert "2020年2月没有30日" in by_path[("成文日期",)]
    assert "三政发〔2020〕27号" in by_path[("发文字号",)]
    assert by_path[("督查组", 0, "组别")].startswith("缺少必填项“组别”")
    # the same file through the CLI: the same messages, at the same lines
    path = tmp_path / "notice.yaml"
    path.write_text(text, encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "fupin_docs.cli.main", "validate", "--json", str(path)],
                          capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    cli = [(row["line"], row["column"], row["message"]) for row in json.loads(done.stdout) if row["level"] == "error"]
    assert sorted(cli) == sorted((p.line, p.column, p.message) for p in problems)


def test_a_file_with_what_the_form_cannot_hold_is_named():
    doc = load_yaml_text("类型: 督查通知\n标题: 关于督查的通知\n成文日期: 2020-06-08\n标提: 错字\n"
                         "督查组:\n  - 组别: 第一组\n    组员: 张三\n", "x.yaml")
    values, dropped = form_values("notice", doc.data)
    assert dropped == [("标提",), ("督查组", 0, "组员")]
    assert values["督查组"] == [{"组别": "第一组"}]


def test_other_spellings_of_keys_land_in_their_fields():
    doc = load_yaml_text("類型: 督查通知\ntitle: 关于督查的通知\n成文日期: 2020年6月8日\n"
                         "聯繫人:\n  姓名: 陈小平\n  電話: '0851-83221234'\n", "x.yaml")
    values, dropped = form_values("notice", doc.data)
    assert dropped == []
    assert values["标题"] == "关于督查的通知" and values["联系人"] == [{"姓名": "陈小平", "电话": "0851-83221234"}]
    data = data_from_form("notice", list(posted(values)))
    assert data["联系人"] == [{"姓名": "陈小平", "电话": "0851-83221234"}]
    assert "0851-83221234" in dump_yaml("notice", data)
