"""Inputs stage: YAML with positions, typed models, located Chinese errors."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from fupin_docs.inputs import InputError, load_document, load_document_text, validate_files
from fupin_docs.inputs.models import Minutes, Notice, Plan, Rectification

pytestmark = pytest.mark.storage_free  # renders or reads inputs only: the county pass leaves it out

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
MINIMAL_PLAN = "类型: 实施方案\n方案名称: 测试方案\n成文日期: 2020-06-08\n目标任务: 问题全部整改销号。\n"


def problems_of(text: str) -> list[str]:
    with pytest.raises(InputError) as caught:
        load_document_text(text, "in.yaml")
    return [str(p) for p in caught.value.problems]


def test_every_example_validates_into_its_kind():
    kinds = {type(load_document(path)) for path in EXAMPLES.glob("*.yaml")}
    assert kinds == {Plan, Notice, Minutes, Rectification}


def test_both_date_spellings_give_the_same_date():
    a = load_document_text(MINIMAL_PLAN)
    b = load_document_text(MINIMAL_PLAN.replace("2020-06-08", "2020年6月8日"))
    assert a.date == b.date == dt.date(2020, 6, 8)


def test_english_field_names_are_accepted_as_aliases():
    doc = load_document_text("kind: plan\nplan_title: 测试方案\ndate: 2020-06-08\ndoc_number: 三政发〔2020〕3号\n"
                             "goals: 问题清零。\n")
    assert doc.plan_title == "测试方案" and doc.doc_number == "三政发〔2020〕3号"


def test_impossible_date_is_located_and_explained():
    assert problems_of(MINIMAL_PLAN.replace("2020-06-08", "2020-02-30")) == [
        "in.yaml:3:7: 日期“2020-02-30”不存在（2020年2月没有30日），请核对"
    ]


def test_malformed_doc_number_suggests_the_correct_form():
    [message] = problems_of(MINIMAL_PLAN + "发文字号: 冀扶贫[2019]025号\n")
    assert message.startswith("in.yaml:5:7: ")
    assert "冀扶贫〔2019〕25号" in message


def test_unknown_key_gets_did_you_mean():
    [message] = problems_of(MINIMAL_PLAN + "标提: 某某\n")
    assert message == "in.yaml:5:1: 不认识的键“标提”，是不是“标题”？"


def test_duplicate_key_names_both_places():
    [message] = problems_of(MINIMAL_PLAN + "方案名称: 又一个\n")
    assert message.startswith("in.yaml:5:1: 键“方案名称”重复（第一次出现在第2行第1列）")


def test_missing_required_field_and_wrong_type_reported_together():
    text = "类型: 会议纪要\n会议名称: 专题会\n成文日期: 2020-03-18\n会议时间: 2020-03-17\n会议地点: 会议室\n出席: 张三\n会议次数: 第三次\n"
    messages = problems_of(text)
    assert "in.yaml:1:1: 缺少必填项“主持人”，请补上一行“主持人: ……”" in messages
    assert "in.yaml:7:7: 应为整数，例如 3" in messages


def test_yaml_syntax_error_is_located_in_chinese():
    [message] = problems_of("类型: 实施方案\n方案名称: [未闭合\n成文日期: 2020-06-08\n")
    assert message.startswith("in.yaml:") and "填写格式有误" in message and "YAML" not in message


def test_yaml_12_keeps_no_as_text_and_leading_zeros():
    doc = load_document_text(MINIMAL_PLAN + "份号: 000123\n指导思想: no\n")
    assert doc.copy_number == "000123"
    assert doc.guiding == ["no"]


def test_literal_choice_lists_allowed_values():
    [message] = problems_of(MINIMAL_PLAN + "密级: 内部\n")
    assert message.startswith("in.yaml:5:5: ") and "秘密、机密、绝密" in message


def test_validate_files_collects_problems_from_several_files(tmp_path):
    good = tmp_path / "good.yaml"
    bad = tmp_path / "bad.yaml"
    good.write_text(MINIMAL_PLAN, encoding="utf-8")
    bad.write_text(MINIMAL_PLAN.replace("2020-06-08", "2020-13-01") + "x: 1\n", encoding="utf-8")
    problems = validate_files([good, bad])
    assert [p.line for p in problems] == [3, 5]
    assert all(p.file == str(bad) for p in problems)


def test_non_utf8_file_says_how_to_save_it(tmp_path):
    path = tmp_path / "gbk.yaml"
    path.write_bytes(MINIMAL_PLAN.encode("gbk"))
    with pytest.raises(InputError) as caught:
        load_document(path)
    assert "UTF-8" in caught.value.problems[0].message


def test_tab_indentation_says_use_spaces():
    [message] = problems_of(MINIMAL_PLAN + "指导思想:\n\t- 内容\n")
    assert message == "in.yaml:6:1: 填写格式有误：不能用 Tab 缩进，请改用空格"


def test_missing_colon_is_reported_on_the_line_typed_wrong():
    [message] = problems_of("类型: 实施方案\n方案名称 测试方案\n成文日期: 2020-06-08\n")
    assert message.startswith("in.yaml:2:1: ") and "缺少冒号" in message


def test_each_paragraph_with_an_ascii_colon_gets_its_own_fix():
    messages = problems_of(MINIMAL_PLAN + "指导思想:\n  - 会议强调: 要整改到位。\n  - 正常的一段\n  - 时间: 明天\n")
    assert messages == [
        "in.yaml:6:5: 这一行的英文冒号“: ”被当成了“键: 值”，请改用中文冒号写成“会议强调：要整改到位。”，或给整段文字加上引号",
        "in.yaml:8:5: 这一行的英文冒号“: ”被当成了“键: 值”，请改用中文冒号写成“时间：明天”，或给整段文字加上引号",
    ]


def test_traditional_keys_and_choice_values_are_understood():
    text = ("類型: 會議紀要\n會議名稱: 青山鎮危房改造專題會議\n成文日期: 2020-03-18\n會議時間: 2020-03-17\n"
            "會議地點: 會議室\n主持人: 鎮長\n出席: 張三、李四\n密級: 機密\n議定事項:\n  - 內容: 逐戶核實\n")
    doc = load_document_text(text)
    assert isinstance(doc, Minutes) and doc.secrecy == "机密"
    assert doc.meeting_name == "青山鎮危房改造專題會議"  # the text itself is kept as written
    [message] = problems_of(text + "會議地址: 某处\n")
    assert message == "in.yaml:11:1: 不认识的键“會議地址”，是不是“会议地点”？"


def test_full_width_colon_after_a_key_says_so():
    [message] = problems_of("类型: 实施方案\n方案名称：测试方案\n成文日期: 2020-06-08\n")
    assert message.startswith("in.yaml:2:1: 填写格式有误：这一行的“方案名称：”用了中文冒号；键后面要用英文冒号加一个空格，"
                              "写成“方案名称: ……”")


MINUTES_HEAD = "类型: 会议纪要\n会议名称: 专题会议\n成文日期: 2020-03-18\n会议时间: 2020-03-17\n会议地点: 会议室\n主持人: 张三\n"


def test_full_width_colon_in_a_list_item_is_reported_on_its_own_line_with_the_real_fix():
    text = MINUTES_HEAD + "议定事项:\n  - 内容：对危房逐户制定方案。\n    责任单位: 镇建设环保站\n出席: 张三\n"
    [message] = problems_of(text)
    assert message.startswith("in.yaml:8:5: ") and "“内容：”用了中文冒号" in message and "写成“内容: ……”" in message
    # the same mistake as the item's only line
    [message] = problems_of(MINUTES_HEAD + "议定事项:\n  - 内容：对危房逐户制定方案。\n出席: 张三\n")
    assert message.startswith("in.yaml:8:5: ") and "写成“内容: ……”" in message


def test_several_syntax_mistakes_are_all_reported_in_one_run():
    text = ("类型: 会议纪要\n会议名称: 专题会议\n成文日期 2020-03-18\n会议时间: 2020-03-17\n会议地点: \"会议室\n"
            "主持人: 张三\n议定事项:\n  - 内容：逐户制定方案。\n    时限: 2020-05-31\n出席:\n\t- 张三\n")
    messages = problems_of(text)
    assert [m.split(": ", 1)[0] for m in messages] == ["in.yaml:3:1", "in.yaml:5:7", "in.yaml:8:5", "in.yaml:11:1"]
    assert all("填写格式有误" in m for m in messages)
    assert "缺少冒号" in messages[0] and "引号" in messages[1] and "中文冒号" in messages[2] and "Tab" in messages[3]
