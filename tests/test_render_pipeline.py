"""`fupin render`: inputs → compose → DOCX + PDF (+ archive), all or nothing."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import docx
import pytest
from click.testing import CliRunner

from fupin_docs.cli.main import cli
from fupin_docs.compose import compose
from fupin_docs.inputs import load_document
from fupin_docs.workspace import init_workspace, open_workspace
from conftest import in_order, squash

EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "examples").glob("*.yaml"))


def run(workspace, *args):
    return CliRunner().invoke(cli, ["--workspace", str(workspace), *map(str, args)], catch_exceptions=False)



def docx_text(path: Path) -> str:
    """Body text in document order: paragraphs and table cells."""
    document = docx.Document(str(path))
    parts = []
    for element in document.element.body.iterchildren():
        tag = element.tag.rsplit("}", 1)[-1]
        if tag == "p":
            parts.append("".join(t.text or "" for t in element.iter(docx.oxml.ns.qn("w:t"))))
        elif tag == "tbl":
            for cell in element.iter(docx.oxml.ns.qn("w:tc")):
                parts.append("".join(t.text or "" for t in cell.iter(docx.oxml.ns.qn("w:t"))))
    return squash("".join(parts))


def pdf_text(path: Path) -> str:
    out = subprocess.run(["pdftotext", "-raw", "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True, check=True)
    return squash(out.stdout)



@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    root = tmp_path_factory.mktemp("ws")
    init_workspace(root, with_examples=False)
    result = run(root, "render", *EXAMPLES, "-f", "docx,pdf", "-o", root / "out", "--archive")
    assert result.exit_code == 0, result.output
    return root, result.output


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem.split("-")[0])
def test_docx_and_pdf_say_the_same_words_in_the_same_order(rendered, example):
    root, _ = rendered
    words = compose(load_document(example), open_workspace(root).config).words()
    docx_path = root / "out" / f"{example.stem}.docx"
    pdf_path = root / "out" / f"{example.stem}.pdf"
    # page numbers live in footers (docx) and between the words (pdf): strip them
    pdf = re.sub(r"—\d+—", "", pdf_text(pdf_path))
    assert in_order(words, pdf) == []
    body_of_docx = docx_text(docx_path)
    assert in_order(words, body_of_docx) == []


def test_render_archives_docx_with_its_pdf_rendition(rendered):
    root, output = rendered
    assert output.count("已归档") == len(EXAMPLES)
    listing = run(root, "archive", "list", "--json")
    assert listing.exit_code == 0
    import json

    items = json.loads(listing.output)
    assert len(items) == len(EXAMPLES)
    titles = {item["title"] for item in items}
    assert "关于2019年度省级脱贫攻坚成效考核反馈问题整改情况的报告" in titles
    assert all(item["format"].lower().endswith("docx") or "docx" in item["file_name"] for item in items)
    assert all(len(item["renditions"]) == 1 for item in items)


def test_one_bad_input_means_no_output_at_all(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("类型: 实施方案\n方案名称: 测试\n成文日期: 2020-02-30\n", encoding="utf-8")
    out = tmp_path / "out"
    result = run(tmp_path, "render", EXAMPLES[0], bad, "-f", "docx,pdf", "-o", out)
    assert result.exit_code == 1
    assert f"{bad}:3:7:" in result.output
    assert not out.exists() or not any(out.iterdir())


def test_failed_pdf_leaves_neither_file_and_keeps_the_old_ones(tmp_path, monkeypatch):
    out = tmp_path / "out"
    out.mkdir()
    example = EXAMPLES[0]
    old_docx = out / f"{example.stem}.docx"
    old_docx.write_bytes(b"old docx")

    import fupin_docs.render.pdf as pdf_stage

    def broken(*args, **kwargs):  # the failure is injected; both renderers stay real
        raise RuntimeError("磁盘已满")

    monkeypatch.setattr(pdf_stage, "render_pdf", broken)
    with pytest.raises(RuntimeError):
        CliRunner().invoke(cli, ["--workspace", str(tmp_path), "render", str(example), "-f", "docx,pdf",
                                 "-o", str(out)], catch_exceptions=False)
    assert old_docx.read_bytes() == b"old docx"
    assert sorted(p.name for p in out.iterdir()) == [old_docx.name]


def test_hostile_text_comes_out_exactly_in_both_formats(tmp_path):
    text = ("类型: 督查通知\n标题: 关于A&B<c>“督查”的通知\n成文日期: 2020-06-08\n"
            "发文机关: 三星镇人民政府\n印发机关: 三星镇党政综合办公室\n"
            "导语:\n  - '{{ 7*7 }} & <b>粗</b> {% raw %} 😀 𠀀 犇 “引号” ''单引号'''\n")
    source = tmp_path / "hostile.yaml"
    source.write_text(text, encoding="utf-8")
    result = run(tmp_path, "render", source, "-f", "docx,pdf", "-o", tmp_path / "out")
    assert result.exit_code == 0, result.output
    expected = "{{ 7*7 }} & <b>粗</b> {% raw %} 😀 𠀀 犇 “引号” '单引号'"
    assert squash(expected) in docx_text(tmp_path / "out" / "hostile.docx")
    pdf = pdf_text(tmp_path / "out" / "hostile.pdf")
    assert squash("{{ 7*7 }} & <b>粗</b> {% raw %}") in pdf
    assert "犇" in pdf and "𠀀" in pdf


def test_docx_file_properties_name_the_document(rendered):
    root, _ = rendered
    [example] = [p for p in EXAMPLES if p.stem.startswith("notice")]
    props = docx.Document(str(root / "out" / f"{example.stem}.docx")).core_properties
    assert props.title == "关于开展脱贫攻坚问题整改“回头看”督查的通知"
    assert props.author == "三星镇人民政府" and props.subject == "督查通知"


def test_two_inputs_with_one_name_are_refused_before_anything_is_written(tmp_path):
    for village in ("三星村", "红旗村"):
        (tmp_path / village).mkdir()
        (tmp_path / village / "方案.yaml").write_bytes(EXAMPLES[0].read_bytes())
    out = tmp_path / "out"
    init_workspace(tmp_path / "ws", with_examples=False)
    result = run(tmp_path / "ws", "render", tmp_path / "三星村" / "方案.yaml", tmp_path / "红旗村" / "方案.yaml",
                 "-f", "docx", "-o", out, "--archive")
    assert result.exit_code == 1
    second = tmp_path / "红旗村" / "方案.yaml"
    assert re.search(rf"{re.escape(str(second))}:\d+:1: 与 {re.escape(str(tmp_path / '三星村' / '方案.yaml'))} 同名",
                     result.output)
    assert not out.exists()


def test_render_warns_as_validate_does_and_refuses_a_document_with_no_issuer(tmp_path):
    """`render` checks what `validate` checks, against the same office settings."""
    base = "类型: 督查通知\n标题: 关于开展饮水安全督查的通知\n成文日期: 2020-06-08\n导语:\n  - 现就有关事项通知如下。\n"
    nobody = tmp_path / "无机关.yaml"
    nobody.write_text(base, encoding="utf-8")
    refused = run(tmp_path, "render", nobody, "-o", tmp_path / "out")
    assert refused.exit_code == 1 and "没有写“发文机关”" in refused.output and not (tmp_path / "out").exists()
    year = tmp_path / "年份.yaml"
    year.write_text(base + "发文机关: 三星镇人民政府\n印发机关: 三星镇党政综合办公室\n发文字号: 三政发〔2019〕5号\n",
                    encoding="utf-8")
    warned = run(tmp_path, "render", year, "-o", tmp_path / "out")
    assert warned.exit_code == 0, warned.output
    assert f"{year}:" in warned.output and "提醒" in warned.output and "2019" in warned.output
