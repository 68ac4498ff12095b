"""Compose stage: the document tree both renderers draw."""

from __future__ import annotations

from pathlib import Path

import pytest

from fupin_docs.compose import compose
from fupin_docs.render.title_lines import split_title
from fupin_docs.compose.tree import Attendance, Heading, PageBreak, Signature, Table, Title
from fupin_docs.inputs import load_document, load_document_text
from fupin_docs.workspace.config import Config

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def composed(name: str):
    [path] = EXAMPLES.glob(f"{name}-*.yaml")
    return compose(load_document(path), Config())


def test_plan_is_issued_through_a_cover_notice_then_the_plan():
    doc = composed("plan")
    titles = [b for b in doc.blocks if isinstance(b, Title)]
    assert titles[0].text == "关于印发《三星镇2020年脱贫攻坚挂牌督战实施方案》的通知"
    assert titles[1].text == "三星镇2020年脱贫攻坚挂牌督战实施方案"
    # the plan starts on a new page after the cover notice's signature
    index = doc.blocks.index(titles[1])
    assert isinstance(doc.blocks[index - 1], PageBreak)
    assert isinstance(doc.blocks[index - 2], Signature)
    headings = [b.text for b in doc.blocks if isinstance(b, Heading)]
    assert headings[:4] == ["一、指导思想", "二、总体要求", "三、目标任务", "四、重点对象及范围"]
    assert doc.header.mark == "三星镇人民政府文件"
    assert doc.header.doc_number == "三政发〔2020〕12号"
    words = "".join(doc.words())
    assert "第一节点（3月31日前）" in words and "第四节点（6月30日前）" in words
    assert "（2020年3月1日—3月31日）" in words


def test_rectification_counts_come_from_the_problems():
    doc = composed("rectification")
    table = next(b for b in doc.blocks if isinstance(b, Table))
    assert len(table.rows) == 12
    assert doc.metadata["summary"]["total"] == 12
    assert doc.metadata["summary"]["done"] == 8
    assert "共指出问题12个，已完成整改8个（其中已销号5个），正在整改3个，尚未整改1个，整改率66.7%" in "".join(doc.words())
    assert doc.header.signers == ("李明华",)


def test_minutes_use_the_jiyao_mark_and_attendance_lists_without_signature():
    doc = composed("minutes")
    assert doc.header.mark == "三星镇人民政府会议纪要"
    assert doc.header.doc_number == "第3期"
    labels = [b.label for b in doc.blocks if isinstance(b, Attendance)]
    assert labels == ["出席", "请假", "列席", "记录"]
    assert not any(isinstance(b, Signature) for b in doc.blocks)


def test_notice_colophon_and_dates_follow_the_standard():
    doc = composed("notice")
    assert doc.colophon.cc == "县扶贫开发领导小组办公室。"
    assert doc.colophon.print_date == "2020年6月8日"
    signature = next(b for b in doc.blocks if isinstance(b, Signature))
    assert signature.date == "2020年6月8日"


def test_secrecy_period_and_copy_number_reach_the_header():
    text = "类型: 实施方案\n方案名称: 测试\n成文日期: 2020-06-08\n份号: 18\n密级: 机密\n保密期限: 1年\n"
    doc = compose(load_document_text(text), Config())
    assert doc.header.copy_number == "000018"
    assert doc.header.secrecy == "机密★1年"


@pytest.mark.parametrize("title", [
    "关于2019年度省级脱贫攻坚成效考核反馈问题整改情况的报告",
    "关于开展脱贫攻坚问题整改“回头看”督查工作的通知",
])
def test_long_titles_split_into_whole_words_within_the_line(title):
    lines = split_title(title)
    assert len(lines) == 2 and "".join(lines) == title
    assert all(len(line) <= 20 for line in lines)
    assert len(lines[0]) <= len(lines[1])  # 正梯形
    assert not lines[0].endswith(("脱", "整")) and not lines[1].startswith(("贫", "改"))


def test_title_lines_never_split_a_set_phrase_of_the_work():
    lines = split_title("关于印发《三星镇2020年脱贫攻坚挂牌督战实施方案》的通知")
    assert lines == ("关于印发《三星镇2020年", "脱贫攻坚挂牌督战实施方案》的通知")
