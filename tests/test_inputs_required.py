"""Inputs that cannot file a half-empty document (issue 16): sample text,
required fields per kind, the office's names, dates as documents write them,
the 发文字号 year — through the real command line on real files."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from fupin_docs.cli.main import cli
from fupin_docs.inputs import InputError, load_document, load_document_text
from fupin_docs.inputs.required import SAMPLE_MARK
from fupin_docs.workspace import init_workspace, open_workspace

pytestmark = pytest.mark.storage_free  # renders or reads inputs only: the county pass leaves it out

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
KINDS = ("plan", "notice", "minutes", "rectification")


def run(*args, workspace=None):
    base = ["--workspace", str(workspace)] if workspace else []
    return CliRunner().invoke(cli, [*base, *map(str, args)], catch_exceptions=False)


def located(output: str, path: Path) -> list[tuple[int, int, str]]:
    found = []
    for line in output.splitlines():
        match = re.fullmatch(rf"{re.escape(str(path))}:(\d+):(\d+): (.+)", line)
        if match:
            found.append((int(match[1]), int(match[2]), match[3]))
    return found


@pytest.fixture()
def office(tmp_path):
    """A new office's workspace, as `fupin init` makes it."""
    root = tmp_path / "ws"
    assert run("init", root).exit_code == 0
    return root


def test_new_workspace_inputs_hold_nothing_to_archive(office):
    assert list((office / "inputs").iterdir()) == []


@pytest.mark.parametrize("kind", KINDS)
def test_unedited_skeleton_is_refused_at_every_sample_value(tmp_path, office, kind):
    target = tmp_path / f"{kind}.yaml"
    assert run("new", kind, "-o", target).exit_code == 0
    text = target.read_text(encoding="utf-8")
    sample_lines = {n for n, line in enumerate(text.splitlines(), 1)
                    if SAMPLE_MARK in line.split("#")[0]}
    assert sample_lines
    result = run("validate", target, workspace=office)
    assert result.exit_code == 1
    problems = located(result.output, target)
    assert {line for line, _, _ in problems} == sample_lines
    assert all("请把示例文字换成实际内容" in message for _, _, message in problems)
    # a value's column is where the value starts, right after “键: ”
    line, col, _ = problems[0]
    typed = text.splitlines()[line - 1]
    assert typed[col - 1:].startswith(SAMPLE_MARK)


@pytest.mark.parametrize("kind", KINDS)
def test_skeleton_with_its_samples_replaced_validates_and_marks_required_keys(tmp_path, office, kind):
    target = tmp_path / f"{kind}.yaml"
    run("new", kind, "-o", target)
    text = target.read_text(encoding="utf-8")
    assert "必填" in text
    target.write_text(text.replace(SAMPLE_MARK, ""), encoding="utf-8")
    result = run("validate", target, workspace=office)
    assert result.exit_code == 0, result.output


def test_notice_without_title_or_body_gets_every_problem_at_once(tmp_path, office):
    path = tmp_path / "notice.yaml"
    path.write_text("类型: 督查通知\n成文日期: 2020-06-08\n", encoding="utf-8")
    result = run("validate", path, workspace=office)
    assert result.exit_code == 1
    messages = [message for _, _, message in located(result.output, path)]
    assert any("“标题”" in m and "必填" in m for m in messages)
    assert any("没有正文" in m and "导语" in m for m in messages)
    # a title left empty is refused where it stands, not replaced by a made-up one
    path.write_text("类型: 督查通知\n标题:\n成文日期: 2020-06-08\n导语: 现将有关事项通知如下：\n", encoding="utf-8")
    result = run("validate", path, workspace=office)
    assert [(line, col) for line, col, _ in located(result.output, path)] == [(2, 1)]


def test_required_keys_of_every_kind_are_reported_together(tmp_path, office):
    path = tmp_path / "minutes.yaml"
    path.write_text("类型: 会议纪要\n成文日期: 2020-03-18\n会议次数: 第三次\n", encoding="utf-8")
    result = run("validate", path, workspace=office)
    messages = [message for _, _, message in located(result.output, path)]
    for key in ("会议名称", "会议时间", "会议地点", "主持人", "出席"):
        assert any(f"“{key}”" in m for m in messages), key
    assert any("会议内容" in m for m in messages)
    assert "应为整数，例如 3" in messages


def test_report_sent_upward_needs_its_signer_and_its_addressee(tmp_path, office):
    text = (EXAMPLES / "rectification-省考反馈问题整改报告.yaml").read_text(encoding="utf-8")
    text = re.sub(r"^签发人: .*\n", "", text, flags=re.M)
    text = re.sub(r"^主送机关: .*\n", "", text, flags=re.M)
    path = tmp_path / "report.yaml"
    path.write_text(text, encoding="utf-8")
    result = run("validate", path, workspace=office)
    assert result.exit_code == 1
    messages = [message for _, _, message in located(result.output, path)]
    assert any("“签发人”" in m for m in messages) and any("“主送机关”" in m for m in messages)


def _without_office(text: str) -> str:
    return re.sub(r"^(发文机关|印发机关): .*\n", "", text, flags=re.M)


def test_no_issuer_in_the_file_or_the_office_settings_is_refused(tmp_path, office):
    text = _without_office((EXAMPLES / "notice-回头看督查通知.yaml").read_text(encoding="utf-8"))
    path = tmp_path / "notice.yaml"
    path.write_text(text, encoding="utf-8")
    assert run("validate", path, workspace=office).exit_code == 0  # the office's fupin.toml names it
    config = office / "fupin.toml"
    config.write_text(re.sub(r'^name = "[^"]*"', 'name = ""', config.read_text(encoding="utf-8"), flags=re.M),
                      encoding="utf-8")
    result = run("validate", path, workspace=office)
    assert result.exit_code == 1
    [(line, col, message)] = located(result.output, path)
    assert "发文机关" in message and "fupin.toml" in message
    # the built-in sample name is no office's name either
    config.write_text('[office]\nname = "某某镇人民政府"\nprinter = "某某镇党政综合办公室"\n', encoding="utf-8")
    messages = [m for _, _, m in located(run("validate", path, workspace=office).output, path)]
    assert len(messages) == 2 and all("示例" in m for m in messages)


def test_render_refuses_a_document_without_issuer(tmp_path):
    from fupin_docs.pipeline import render_files

    root = tmp_path / "ws"
    init_workspace(root, name="", with_examples=False)
    text = _without_office((EXAMPLES / "notice-回头看督查通知.yaml").read_text(encoding="utf-8"))
    path = tmp_path / "notice.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        render_files([path], open_workspace(root), formats=("docx",), out_dir=tmp_path / "out")
    assert any("发文机关" in p.message and "fupin.toml" in p.message for p in caught.value.problems)
    assert not (tmp_path / "out").exists()
    # the 印发机关 of the 版记 likewise
    init_workspace(root / "b", printer="", with_examples=False)
    with pytest.raises(InputError) as caught:
        render_files([path], open_workspace(root / "b"), formats=("docx",), out_dir=tmp_path / "out")
    assert any("印发机关" in p.message for p in caught.value.problems)


@pytest.mark.parametrize("written", ["二〇二〇年六月十日", "二○二○年六月十日", "2020.6.10", "2020/6/10", "2020年6月10日",
                                     "2020-06-10"])
def test_dates_as_documents_write_them(written):
    doc = load_document_text(f"类型: 实施方案\n方案名称: 测试方案\n成文日期: {written}\n目标任务: 问题清零。\n")
    assert doc.date == dt.date(2020, 6, 10)


def test_numeral_date_that_does_not_exist_is_located():
    with pytest.raises(InputError) as caught:
        load_document_text("类型: 实施方案\n方案名称: 测试方案\n成文日期: 二〇二〇年二月三十日\n目标任务: 问题清零。\n",
                           "in.yaml")
    assert [str(p) for p in caught.value.problems] == [
        "in.yaml:3:7: 日期“二〇二〇年二月三十日”不存在（2020年2月没有30日），请核对"]


def test_doc_number_year_other_than_the_date_year_is_a_warning(tmp_path, office):
    text = (EXAMPLES / "notice-回头看督查通知.yaml").read_text(encoding="utf-8")
    assert "三政发〔2020〕27号" in text
    path = tmp_path / "notice.yaml"
    path.write_text(text.replace("三政发〔2020〕27号", "三政发〔2019〕27号"), encoding="utf-8")
    number_line = next(n for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
                       if line.startswith("发文字号"))
    result = run("validate", path, workspace=office)
    assert result.exit_code == 0
    [(line, col, message)] = located(result.output, path)
    assert (line, col) == (number_line, 7) and message.startswith("提醒：") and "2019" in message and "2020" in message
    rows = json.loads(run("validate", "--json", path, workspace=office).stdout)
    assert [row["level"] for row in rows] == ["warning"]
    # the same year: no warning
    result = run("validate", EXAMPLES / "notice-回头看督查通知.yaml", workspace=office)
    assert "提醒" not in result.output


def test_every_example_still_validates_in_a_new_office(office):
    for path in sorted(EXAMPLES.glob("*.yaml")):
        load_document(path, open_workspace(office).config)
