"""`fupin init/new/validate` through the real command line entry point."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from fupin_docs.cli.main import cli
from fupin_docs.inputs import load_document

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def run(*args, workspace=None):
    base = ["--workspace", str(workspace)] if workspace else []
    return CliRunner().invoke(cli, [*base, *map(str, args)], catch_exceptions=False)


def test_init_creates_workspace_and_never_overwrites(tmp_path):
    result = run("init", tmp_path / "ws")
    assert result.exit_code == 0
    config = tmp_path / "ws" / "fupin.toml"
    assert config.exists() and len(list((tmp_path / "ws" / "inputs").glob("*.yaml"))) == 4
    config.write_text('[office]\nname = "柳河乡人民政府"\n', encoding="utf-8")
    again = run("init", tmp_path / "ws")
    assert again.exit_code == 0 and "没有改动" in again.output
    assert "柳河乡" in config.read_text(encoding="utf-8")


@pytest.mark.parametrize("kind", ["plan", "notice", "minutes", "rectification", "会议纪要"])
def test_new_writes_a_skeleton_that_validates(tmp_path, kind):
    target = tmp_path / f"{kind}.yaml"
    assert run("new", kind, "-o", target).exit_code == 0
    text = target.read_text(encoding="utf-8")
    assert text.startswith("#") and "必填" in text
    load_document(target)
    refused = run("new", kind, "-o", target)
    assert refused.exit_code == 1 and "已存在" in refused.output


def test_new_unknown_kind_is_an_input_error():
    result = run("new", "memo")
    assert result.exit_code == 1 and "不认识的类型" in result.output


def test_validate_exit_codes_and_located_messages(tmp_path):
    assert run("validate", *sorted(EXAMPLES.glob("*.yaml"))).exit_code == 0
    bad = tmp_path / "bad.yaml"
    bad.write_text("类型: 实施方案\n方案名称: 测试\n成文日期: 2020-02-30\n标提: x\n", encoding="utf-8")
    result = run("validate", bad)
    assert result.exit_code == 1
    assert f"{bad}:3:7: 日期“2020-02-30”不存在" in result.output
    assert f"{bad}:4:1: 不认识的键“标提”，是不是“标题”？" in result.output


def test_usage_error_exits_2():
    assert run("validate").exit_code == 2


def test_console_script_runs():
    out = subprocess.run([sys.executable, "-m", "fupin_docs.cli.main", "--help"],
                         capture_output=True, text=True, check=True)
    assert "扶贫公文工具" in out.stdout
