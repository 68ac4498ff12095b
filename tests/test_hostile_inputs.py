"""Hostile input files (issue 9, Inputs 8–11, and the template sandbox).

Each attack ends in `FILE:LINE:COL: message` in Simplified Chinese office
words, exit 1, quickly and in bounded memory: no traceback, no hang. Whatever
validate passes renders to Word and PDF through the real `fupin render`.
Commands run in a child process with a 1 GB address-space cap and a timeout,
so a regression shows as a failure, not as a stuck or swapping test run.
"""

from __future__ import annotations

import os
import re
import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from fupin_docs.cli.main import cli
from fupin_docs.inputs import InputError, load_document_text
from fupin_docs.inputs.fields import TEXT_MAX, TITLE_MAX
from fupin_docs.render.title_lines import split_title
from docx_helpers import template_with
from fupin_docs.workspace import init_workspace

PLAN = "类型: 实施方案\n方案名称: 测试方案\n成文日期: 2020-06-08\n工作要求: 严明工作纪律。\n"
JARGON = ("YAML", "yaml", "alias", "anchor", "KIND", "sha256", "Error")
MEMORY_CAP = 1 << 30  # bytes of address space for the child


@pytest.fixture(scope="module")
def office(tmp_path_factory):
    """A real workspace whose fupin.toml names the office (validate takes 发文机关 from it)."""
    root = tmp_path_factory.mktemp("office")
    init_workspace(root, with_examples=False)
    return root


@pytest.fixture(autouse=True)
def _in_office(office, monkeypatch):
    monkeypatch.setenv("FUPIN_WORKSPACE", str(office))


def _cap_memory():
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))


def fupin(*args, timeout=60, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "fupin_docs.cli.main", *map(str, args)],
                          capture_output=True, text=True, timeout=timeout, preexec_fn=_cap_memory, cwd=cwd)


def validate_in_process(path: Path):
    return CliRunner().invoke(cli, ["validate", str(path)], catch_exceptions=False)


def messages(output: str, path: Path) -> list[tuple[int, int, str]]:
    """(line, column, message) of every located problem; fails on anything else."""
    assert "Traceback" not in output, output
    found = []
    for line in output.splitlines():
        if line.startswith(f"{path}:"):
            match = re.fullmatch(rf"{re.escape(str(path))}:(\d+):(\d+): (.+)", line)
            assert match, line
            text = match[3]
            assert re.search(r"[\u4e00-\u9fff]", text), text
            for word in JARGON:
                assert word not in text, (word, text)
            assert not re.search(r"--[a-z]", text), text  # a library message names no flag
            found.append((int(match[1]), int(match[2]), text))
    assert found, output
    return found


def refused(path: Path, *, timeout=30, in_process=False) -> list[tuple[int, int, str]]:
    started = time.monotonic()
    if in_process:
        result = validate_in_process(path)
        code, output = result.exit_code, result.output
    else:
        proc = fupin("validate", path, timeout=timeout)
        code, output = proc.returncode, proc.stdout + proc.stderr
    assert code == 1, output
    assert time.monotonic() - started < timeout
    return messages(output, path)


def write(tmp_path: Path, text: str | bytes, name: str = "in.yaml") -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def billion_laughs() -> str:
    lines = [PLAN.rstrip("\n"), 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    previous = "a"
    for name in "bcdefghi":
        lines.append(f"{name}: &{name} [" + ",".join([f"*{previous}"] * 9) + "]")
        previous = name
    return "\n".join(lines) + "\n"


# --- item 8: alias expansion is bounded ---------------------------------------


def test_billion_laughs_is_refused_at_once_in_bounded_memory(tmp_path):
    text = billion_laughs()
    assert len(text.encode("utf-8")) < 600
    path = write(tmp_path, text)
    [(line, _col, message)] = refused(path, timeout=20)
    assert 5 <= line <= 12 and "引用" in message and "直接写出来" in message


def test_wide_alias_fan_out_is_bounded_too(tmp_path):
    # one level, many uses of one big anchor: counted by expanded size, not by depth
    big = "[" + ",".join(["内容"] * 5000) + "]"
    text = PLAN + f"x: &x {big}\n指导思想: [" + ",".join(["*x"] * 50) + "]\n"
    [(line, _col, message)] = refused(write(tmp_path, text))
    assert line == 6 and "引用" in message


# --- item 9: recursion, nesting, raw control bytes ------------------------------


@pytest.mark.parametrize("text, line", [
    (PLAN + "指导思想: &x [*x]\n", 5),
    (PLAN + "x: &x\n  y: *x\n", 6),
    (PLAN + "x: &x\n  - a\n  - [b, *x]\n", 7),
], ids=["list", "map", "nested"])
def test_self_referencing_alias_is_located(tmp_path, text, line):
    [(at, _col, message)] = refused(write(tmp_path, text))
    assert at == line and "循环" in message


@pytest.mark.parametrize("nest", [
    lambda n: "[" * n + "]" * n,
    lambda n: "{a: " * n + "1" + "}" * n,
    lambda n: "\n" + "".join(" " * (i + 1) + "-\n" for i in range(n)),
    lambda n: "\n" + "".join(" " * i + "  k:\n" for i in range(n)) + " " * (n + 2) + "v\n",
], ids=["flow-lists", "flow-maps", "block-lists", "block-maps"])
def test_deep_nesting_is_located_quickly(tmp_path, nest):
    path = write(tmp_path, PLAN + "指导思想: " + nest(3000 if "\n" not in nest(1) else 300))
    [(line, _col, message)] = refused(path, timeout=20)
    assert line >= 4 and "层次太深" in message


@pytest.mark.parametrize("char", ["\x00", "\x07", "\x08", "\x0b", "\x0c", "\x1b", "\x7f", "\x85", "\x9f"])
def test_raw_control_byte_is_located_exactly(tmp_path, char):
    path = write(tmp_path, PLAN.replace("测试方案", f"测试{char}方案"))
    [(line, col, message)] = refused(path, in_process=True)
    assert (line, col) == (2, 9) and f"U+{ord(char):04X}" in message and "删除" in message


def test_raw_right_to_left_override_is_located(tmp_path):
    path = write(tmp_path, PLAN + "标题: 关于\u202e文件的通知\n")
    [(line, col, message)] = refused(path, in_process=True)
    assert (line, col) == (5, 7) and "方向" in message


# --- item 11: only regular files are read ------------------------------------


def test_fifo_is_refused_not_waited_on(tmp_path):
    fifo = tmp_path / "管道.yaml"
    os.mkfifo(fifo)
    [(line, col, message)] = refused(fifo, timeout=20)
    assert (line, col) == (1, 1) and "普通文件" in message


def test_device_is_refused(tmp_path):
    [(line, col, message)] = refused(Path("/dev/zero"), timeout=20)
    assert (line, col) == (1, 1) and "普通文件" in message


def test_directory_given_to_the_library_is_located(tmp_path):
    from fupin_docs.inputs import load_document

    with pytest.raises(InputError) as caught:
        load_document(tmp_path)
    [problem] = caught.value.problems
    assert (problem.line, problem.column) == (1, 1) and "文件夹" in problem.message


# --- the attacker's list -------------------------------------------------------


def test_ten_megabyte_file_is_refused_before_reading_it(tmp_path):
    path = write(tmp_path, PLAN + "指导思想:\n" + "  - 内容内容内容内容内容内容内容内容内容内容\n" * 160_000)
    assert path.stat().st_size > 10_000_000
    [(line, col, message)] = refused(path, timeout=20)
    assert (line, col) == (1, 1) and "文件太大" in message and "KB" in message


def test_too_many_values_are_refused(tmp_path):
    path = write(tmp_path, PLAN + "标签: [" + ",".join(["1"] * 60_000) + "]\n")
    [(line, _col, message)] = refused(path, timeout=20)
    assert line == 5 and "内容太多" in message


def test_merge_key_is_refused_with_where(tmp_path):
    text = "类型: 实施方案\nbase: &b {方案名称: 悄悄带入的名称}\n<<: *b\n方案名称: 测试\n成文日期: 2020-06-08\n"
    located = refused(write(tmp_path, text), in_process=True)
    assert (3, 1) in [(line, col) for line, col, _ in located]
    assert any("<<" in message and "直接写" in message for _, _, message in located)


@pytest.mark.parametrize("tagged", ["!!python/object:os.system ls", "!!python/name:os.system", "!ruby/object {}",
                                    "!!binary aGVsbG8="])
def test_unknown_tags_are_refused(tmp_path, tagged):
    located = refused(write(tmp_path, PLAN + f"指导思想: {tagged}\n"), in_process=True)
    assert (5, 7) in [(line, col) for line, col, _ in located]
    assert any("标记" in message for _, _, message in located)


def test_undefined_alias_and_second_document_are_located(tmp_path):
    [(line, _col, message)] = refused(write(tmp_path, PLAN + "指导思想: *没有\n"), in_process=True)
    assert line == 5 and "没有定义" in message
    [(line, _col, message)] = refused(write(tmp_path, PLAN + "---\n" + PLAN, "two.yaml"), in_process=True)
    assert line == 5 and "第二份" in message


def test_tab_bom_and_gbk(tmp_path):
    [(line, col, message)] = refused(write(tmp_path, PLAN + "指导思想:\n\t- 内容\n"), in_process=True)
    assert (line, col) == (6, 1) and "Tab" in message
    bom = write(tmp_path, b"\xef\xbb\xbf" + PLAN.encode("utf-8"), "bom.yaml")
    assert validate_in_process(bom).exit_code == 0
    [(line, col, message)] = refused(write(tmp_path, PLAN.encode("gbk"), "gbk.yaml"), in_process=True)
    assert line == 1 and "UTF-8" in message and "GBK" in message


def test_bad_escape_is_located_in_office_words(tmp_path):
    [(line, _col, message)] = refused(write(tmp_path, PLAN + '标题: "C:\\新建"\n'), in_process=True)
    assert line == 5 and "转义" in message


# --- item 10: validate refuses what render cannot do --------------------------


def test_title_longer_than_word_properties_hold_is_refused(tmp_path):
    [(line, col, message)] = refused(write(tmp_path, PLAN + "标题: " + "脱贫攻坚" * 75 + "\n"), in_process=True)
    assert (line, col) == (5, 5) and f"不能超过 {TITLE_MAX} 字" in message


def test_twenty_thousand_character_title_is_refused_and_split_title_survives_it(tmp_path):
    huge = "脱贫攻坚工作" * 3400
    [(line, _col, message)] = refused(write(tmp_path, PLAN + f"标题: {huge}\n"), in_process=True)
    assert line == 5 and "太长" in message
    lines = split_title(huge)
    assert "".join(lines) == huge and max(map(len, lines)) <= 20


@pytest.mark.parametrize("escape", [f"\\x{code:02x}" for code in [*range(0, 9), *range(0x0b, 0x20), *range(0x7f, 0xa0)]]
                         + ["\\ud800", "\\udfff", "\\ufffe", "\\uffff", "\\u202e", "\\u202a", "\\u2066", "\\u200f",
                            "\\u061c"])
def test_escaped_character_no_renderer_can_draw_is_refused(escape):
    with pytest.raises(InputError) as caught:
        load_document_text(PLAN + f'标题: "关于{escape}文件"\n', "in.yaml")
    [problem] = caught.value.problems
    assert (problem.line, problem.column) == (5, 5)
    assert "U+" in problem.message and "删" in problem.message


def test_paragraph_longer_than_the_limit_is_refused():
    with pytest.raises(InputError) as caught:
        load_document_text(PLAN + "指导思想:\n  - " + "字" * (TEXT_MAX + 1) + "\n", "in.yaml")
    [problem] = caught.value.problems
    assert (problem.line, problem.column) == (6, 5) and "分成几段" in problem.message


# Characters validate accepts that are not everyday CJK: each must reach both formats.
ACCEPTED = "\t\u200b\u200d\ufeff\u00ad\u2028\u3000\ue000\U0001f600\u0301a\uff01\u00a0\u2060𠀀"


def test_everything_validate_accepts_at_its_limits_renders(tmp_path):
    """Property: the texts validate accepts at their limits render to DOCX and PDF."""
    from docx import Document

    ws = tmp_path / "ws"
    assert fupin("init", ws, "--no-examples").returncode == 0
    title = ("关于" + ACCEPTED.replace("\t", "") + "脱贫攻坚" * 30)[:TITLE_MAX]
    assert len(title) == TITLE_MAX
    paragraph = ("饮水安全" + ACCEPTED) * (TEXT_MAX // (4 + len(ACCEPTED)))
    assert validate_text_ok(title, paragraph)
    text = (f'类型: 督查通知\n标题: "{escape(title)}"\n发文机关: "{escape(title)}"\n'
            f'发文机关标志: "{escape(title)}"\n成文日期: 2020-06-08\n'
            f'标签: [{", ".join(["标签甲乙丙丁"] * 28)}]\n'
            f'导语:\n  - "{escape(paragraph)}"\n  - "{escape(ACCEPTED)}"\n'
            f'附件:\n  - 名称: "{escape(title)}"\n    内容: "{escape(paragraph[:2000])}"\n'
            f'抄送: "{escape(paragraph[:3000])}"\n')
    source = write(tmp_path, text, "limits.yaml")
    assert fupin("validate", source).returncode == 0
    out = tmp_path / "out"
    proc = fupin("--workspace", ws, "render", source, "-f", "docx,pdf", "-o", out, timeout=600)
    assert proc.returncode == 0, proc.stderr
    docx_path, pdf_path = out / "limits.docx", out / "limits.pdf"
    document = Document(str(docx_path))
    assert document.core_properties.title == title
    body = "".join(p.text for p in document.paragraphs)
    assert "饮水安全" in body and "\U0001f600" in body
    pdf_text = re.sub(r"\s+", "", subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf_path), "-"],
                                                  capture_output=True, text=True, check=True).stdout)
    assert "饮水安全" in pdf_text and "脱贫攻坚脱贫攻坚" in pdf_text


def escape(text: str) -> str:
    """TEXT as a double-quoted scalar's content."""
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\t", "\\t")


def validate_text_ok(title: str, paragraph: str) -> bool:
    doc = load_document_text(PLAN + f'标题: "{escape(title)}"\n指导思想: ["{escape(paragraph)}"]\n', "in.yaml")
    return doc.title == title and doc.guiding == [paragraph.strip()]


# --- the template sandbox bounds the work a Word template asks for ------------


@pytest.mark.parametrize("tag", [
    "{{ range(100000000) }}",
    "{% for i in range(100000000) %}{% endfor %}",
    "{% for i in range(10000) %}{% for j in range(10000) %}{% endfor %}{% endfor %}",
    "{% for i in range(10000) %}{% for j in range(10000) %}x{% endfor %}{% endfor %}",
    "{{ 'x' * 1000000000 }}",
    "{{ 10 ** 10 ** 10 }}",
    "{{ '%999999999d' % 1 }}",
    "{{ '%999999999d'|format(1) }}",
    "{{ '{:>999999999}'.format(1) }}",
    "{{ 'x'|center(1000000000) }}",
    "{% set ns = namespace(s='xx') %}{% for i in range(60) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}",
    "{% macro f(s) %}{{ f(s ~ s) }}{% endmacro %}{{ f('xx') }}",
    "{% for x in [1] recursive %}{{ loop([1]) }}{% endfor %}",
], ids=["range", "for-range", "nested-empty-loops", "nested-loops", "repeat", "power", "percent-width",
        "format-width", "str-format-width", "center", "namespace-doubling", "macro-doubling", "recursive-loop"])
def test_template_asking_for_unbounded_work_is_refused(tmp_path, tag):
    ws = tmp_path / "ws"
    assert fupin("init", ws, "--no-examples").returncode == 0
    source = write(tmp_path, PLAN)
    out = tmp_path / "out"
    started = time.monotonic()
    proc = fupin("--workspace", ws, "render", source, "-o", out, "--template", template_with(tmp_path, tag),
                 timeout=60)
    assert time.monotonic() - started < 60
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr and "Error" not in proc.stderr, proc.stderr
    assert "模板" in proc.stderr and "限度" in proc.stderr, proc.stderr
    assert not out.exists() or list(out.iterdir()) == []


@pytest.mark.parametrize("value, words", [("某某镇人民政府" * 40, "不超过 100 个字"),
                                          ("某某镇\\u202e人民政府", "方向控制字符"),
                                          ("某某镇\\u001b[2J人民政府", "控制字符")])
def test_office_names_in_fupin_toml_are_checked_like_inputs(tmp_path, value, words):
    workspace = tmp_path / "ws"
    assert subprocess.run([sys.executable, "-m", "fupin_docs.cli.main", "init", str(workspace), "--no-examples"],
                          capture_output=True).returncode == 0
    toml = workspace / "fupin.toml"
    toml.write_text(re.sub(r'(?m)^name = "[^"]*"', lambda m: f'name = "{value}"', toml.read_text(encoding="utf-8")),
                    encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "fupin_docs.cli.main", "--workspace", str(workspace),
                             "render", str(Path(__file__).resolve().parents[1] / "examples" / "notice-回头看督查通知.yaml"), "-o", str(tmp_path / "out")],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 1 and words in result.stderr and "fupin.toml:" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr and not (tmp_path / "out").exists()
