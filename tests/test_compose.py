"""Compose stage: the document tree both renderers draw."""

from __future__ import annotations

from pathlib import Path

import pytest

from fupin_docs.compose import compose
from fupin_docs.render.title_lines import split_title
from fupin_docs.compose.tree import Attendance, Heading, PageBreak, Signature, Table, Title
from fupin_docs.inputs import load_document, load_document_text
from fupin_docs.workspace.config import Config

pytestmark = pytest.mark.storage_free  # renders or reads inputs only: the county pass leaves it out

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
    text = "类型: 实施方案\n方案名称: 测试\n成文日期: 2020-06-08\n份号: 18\n密级: 机密\n保密期限: 1年\n目标任务: 问题清零。\n"
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


CORPUS = Path(__file__).resolve().parent / "data" / "corpus"
SEED = Path(__file__).resolve().parent / "data" / "seed"


def corpus_titles() -> list[str]:
    titles = []
    for path in sorted(CORPUS.glob("*.txt")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.startswith("TITLE:"):
                titles.append(line[len("TITLE:"):].strip())
    return titles


def seed_plan_titles() -> list[str]:
    """关于印发《…》的通知 for every plan the seed text names (it is in Traditional script)."""
    import re

    text = "".join(path.read_text(encoding="utf-8") for path in SEED.glob("*.txt"))
    names = sorted(set(re.findall(r"《([^《》]{6,30}方案)》", text)))
    assert len(names) >= 3
    return [f"关于印发《{name}》的通知" for name in names]


# Words and set phrases of these titles a line must never cut (the clerk's plan showed “消费／扶贫”).
WHOLE = ("消费扶贫", "消費扶貧", "脱贫攻坚", "脫貧攻堅", "大督查", "第五次", "2023年", "2019年度", "2020年", "农村改革",
         "乡村振兴", "问题整改", "三星镇", "回头看", "回頭看", "指导意见", "危房改造", "饮水安全", "实施方案", "實施方案")


def cuts_inside(lines: tuple[str, ...]) -> list[str]:
    text = "".join(lines)
    ends, pos = [], 0
    for line in lines[:-1]:
        pos += len(line)
        ends.append(pos)
    cut = []
    for word in WHOLE:
        start = text.find(word)
        while start != -1:
            cut += [word for end in ends if start < end < start + len(word)]
            start = text.find(word, start + 1)
    return cut


def test_titles_of_the_corpus_seed_and_examples_break_between_words_only():
    examples = [compose(load_document(path), Config()).title for path in sorted(EXAMPLES.glob("*.yaml"))]
    titles = corpus_titles() + seed_plan_titles() + examples + [
        "关于印发《三星镇2020年消费扶贫工作实施方案》的通知", "三星镇2020年消费扶贫工作实施方案"]
    for title in titles:
        lines = split_title(title)
        assert "".join(lines) == title and all(len(line) <= 20 for line in lines), lines
        assert not cuts_inside(lines), (title, lines)
        for upper, lower in zip(lines, lines[1:]):
            assert not upper.endswith(("“", "《", "（")) and not lower.startswith(("”", "》", "）", "、", "，")), lines
        if len(title) <= 40:
            assert len(lines) == -(-len(title) // 20), lines  # never a line more than the title needs


def test_corpus_titles_break_where_their_publishers_broke_them():
    # the first lines of these corpus files are the title as the State Council printed it
    for name in ("01-*.txt", "02-*.txt"):
        [path] = CORPUS.glob(name)
        lines = path.read_text(encoding="utf-8").splitlines()
        title = next(line[len("TITLE:"):].strip() for line in lines if line.startswith("TITLE:"))
        printed = [line for line in lines if line and not line.startswith(("TITLE:", "KIND:", "SOURCE"))][:2]
        assert "".join(printed) == title
        assert split_title(title) == tuple(printed)


def test_minutes_decisions_are_one_face_from_number_to_last_word():
    from fupin_docs.compose.tree import Paragraph

    doc = composed("minutes")
    items = [b for b in doc.blocks if isinstance(b, Paragraph) and b.text.startswith(("一、", "二、", "三、"))]
    assert [b.text[:2] for b in items] == ["一、", "二、", "三、"]
    for item in items:
        assert {run.role for run in item.runs} == {"body"}, item.runs
    assert "（责任单位：镇建设环保站、各相关村；完成时限：2020年5月31日）" in items[0].text


def test_minutes_opening_names_the_session_once():
    doc = composed("minutes")
    opening = "".join(doc.words())
    assert "第3次" not in opening
    assert "主持召开三星镇农村危房改造和饮水安全第三次专题会议" in opening
    head = ("类型: 会议纪要\n会议名称: 镇扶贫开发领导小组2020年第三次全体会议\n会议次数: 3\n成文日期: 2020-03-18\n"
            "会议时间: 2020-03-17\n会议地点: 会议室\n主持人: 镇长李明华\n出席: 李明华\n议定事项:\n  - 内容: 逐户核实。\n")
    opening = next(b.text for b in compose(load_document_text(head), Config()).blocks if "主持召开" in getattr(b, "text", ""))
    assert "主持召开镇扶贫开发领导小组2020年第三次全体会议。" in opening and opening.count("第三次") == 1
    assert opening.endswith("现将会议议定事项纪要如下：")
    # with 会议内容 after it (“……会议议定以下事项：”), the opening leads into that, not into the decisions again
    assert "".join(composed("minutes").words()).count("议定事项纪要如下") == 0


@pytest.mark.parametrize("written, roles", [
    ("一、两不愁三保障及饮水安全落实情况", [("一、两不愁三保障及饮水安全落实情况", "h1")]),
    ("（一）加强组织领导。成立工作领导小组。", [("（一）加强组织领导。", "h2"), ("成立工作领导小组。", "body")]),
    ("一、对排查发现的12户C级、D级危房，由镇建设环保站牵头，逐户制定改造方案，3月底前全部开工。",
     [("一、对排查发现的12户C级、D级危房，由镇建设环保站牵头，逐户制定改造方案，3月底前全部开工。", "body")]),
])
def test_a_clerks_own_numbering_never_gives_the_number_a_face_of_its_own(written, roles):
    from fupin_docs.compose.common import paragraph

    assert [(run.text, run.role) for run in paragraph(written).runs] == roles
