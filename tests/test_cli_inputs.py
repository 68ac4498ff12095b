"""`fupin init/new/validate` through the real command line entry point."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from fupin_docs.cli.main import cli
from fupin_docs.inputs import InputError, load_document

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def run(*args, workspace=None):
    base = ["--workspace", str(workspace)] if workspace else []
    return CliRunner().invoke(cli, [*base, *map(str, args)], catch_exceptions=False)


def test_init_creates_workspace_and_never_overwrites(tmp_path):
    result = run("init", tmp_path / "ws")
    assert result.exit_code == 0
    config = tmp_path / "ws" / "fupin.toml"
    # a new office's inputs/ holds nothing `fupin render inputs/*.yaml --archive` would file
    assert config.exists() and list((tmp_path / "ws" / "inputs").iterdir()) == []
    assert "三星镇" not in "".join(p.name for p in (tmp_path / "ws").rglob("*"))
    config.write_text('[office]\nname = "柳河乡人民政府"\n', encoding="utf-8")
    again = run("init", tmp_path / "ws")
    assert again.exit_code == 0 and "没有改动" in again.output
    assert "柳河乡" in config.read_text(encoding="utf-8")


def test_init_examples_go_beside_inputs_never_into_it(tmp_path):
    assert run("init", tmp_path / "ws", "--examples").exit_code == 0
    assert list((tmp_path / "ws" / "inputs").iterdir()) == []
    assert len(list((tmp_path / "ws" / "示例").glob("*.yaml"))) == 4


@pytest.mark.parametrize("kind", ["plan", "notice", "minutes", "rectification", "会议纪要"])
def test_new_writes_a_commented_skeleton_with_marked_samples(tmp_path, kind):
    target = tmp_path / f"{kind}.yaml"
    assert run("new", kind, "-o", target).exit_code == 0
    text = target.read_text(encoding="utf-8")
    assert text.startswith("#") and "必填" in text and "【示例】" in text
    with pytest.raises(InputError):
        load_document(target)
    refused = run("new", kind, "-o", target)
    assert refused.exit_code == 1 and "已存在" in refused.output


@pytest.mark.parametrize("kind", ["plan", "notice", "minutes", "rectification"])
def test_new_example_gives_the_filled_in_example(tmp_path, kind):
    target = tmp_path / f"{kind}.yaml"
    result = run("new", kind, "--example", "-o", target)
    assert result.exit_code == 0 and "请勿归档" in result.output
    assert "三星镇" in target.read_text(encoding="utf-8")
    load_document(target)


def test_new_unknown_kind_is_a_usage_error():
    result = run("new", "memo")
    assert result.exit_code == 2 and "不认识的文种“memo”" in result.output and "KIND" not in result.output


def test_validate_exit_codes_and_located_messages(tmp_path):
    assert run("validate", *sorted(EXAMPLES.glob("*.yaml"))).exit_code == 0
    bad = tmp_path / "bad.yaml"
    bad.write_text("类型: 实施方案\n方案名称: 测试\n成文日期: 2020-02-30\n标提: x\n", encoding="utf-8")
    result = run("validate", bad)
    assert result.exit_code == 1
    assert f"{bad}:3:7: 日期“2020-02-30”不存在" in result.output
    assert f"{bad}:4:1: 不认识的键“标提”，是不是“标题”？" in result.output


@pytest.mark.parametrize("args, missing", [(["validate"], "文件"), (["render"], "文件"), (["new"], "文种"),
                                           (["archive", "show"], "档号"), (["ledger", "close"], "问题编号")])
def test_usage_error_exits_2_in_office_words(args, missing):
    result = run(*args)
    assert result.exit_code == 2
    assert f"缺少{missing}" in result.output and "[选项]" in result.output
    for jargon in ("FILES", "KIND", "ARCHIVE_NO", "PID", "OPTIONS", "Missing", "'"):
        assert jargon not in result.output, (jargon, result.output)


def test_console_script_runs():
    out = subprocess.run([sys.executable, "-m", "fupin_docs.cli.main", "--help"],
                         capture_output=True, text=True, check=True)
    assert "扶贫公文工具" in out.stdout


def test_fupin_toml_mistake_is_located_with_a_fix(tmp_path):
    run("init", tmp_path / "ws", "--no-examples")
    config = tmp_path / "ws" / "fupin.toml"
    lines = config.read_text(encoding="utf-8").splitlines()
    number = next(i for i, line in enumerate(lines, 1) if line.startswith("code ="))
    lines[number - 1] = "code = 青政发"
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run("render", EXAMPLES / "notice-回头看督查通知.yaml", workspace=tmp_path / "ws")
    assert result.exit_code == 1
    assert f"fupin.toml:{number}:8: fupin.toml 写法有误：取值写法不对：文字要用英文双引号括起来" in result.output


def test_validate_json_lists_problems(tmp_path):
    import json

    run("init", tmp_path / "ws")
    bad = tmp_path / "bad.yaml"
    bad.write_text("类型: 实施方案\n方案名称: 测试\n成文日期: 2020-02-30\n目标任务: 问题清零。\n", encoding="utf-8")
    result = run("validate", "--json", bad, workspace=tmp_path / "ws")
    assert result.exit_code == 1
    assert json.loads(result.stdout) == [{"file": str(bad), "line": 3, "column": 7, "level": "error",
                                          "message": "日期“2020-02-30”不存在（2020年2月没有30日），请核对"}]


def test_outputs_are_readable_by_colleagues(tmp_path):
    import os
    import stat

    from fupin_docs.atomic import atomic_write_bytes

    old = os.umask(0o022)
    try:
        atomic_write_bytes(tmp_path / "a.bin", b"x")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "a.bin").stat().st_mode) == 0o644


def test_archive_commands_refuse_to_run_outside_a_workspace(tmp_path):
    stray = tmp_path / "not-a-workspace"
    stray.mkdir()
    result = run("search", "危房", workspace=stray)
    assert result.exit_code == 1 and "不是工作目录" in result.output
    assert list(stray.iterdir()) == []  # no stray archive/ or indexes/ made


def test_workspace_is_found_from_a_subfolder(tmp_path, monkeypatch):
    from fupin_docs.workspace.config import find_root

    run("init", tmp_path / "ws", "--no-examples")
    assert find_root(tmp_path / "ws" / "inputs") == (tmp_path / "ws").resolve()
    # the CLI starts from the current directory: a clerk working in inputs/ means the workspace
    monkeypatch.chdir(tmp_path / "ws" / "inputs")
    monkeypatch.delenv("FUPIN_WORKSPACE", raising=False)
    result = subprocess.run([sys.executable, "-m", "fupin_docs.cli.main", "archive", "list", "--json"],
                            capture_output=True, text=True)
    assert result.returncode == 0 and json.loads(result.stdout) == [], result.stderr
