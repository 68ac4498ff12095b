"""Start-up stays light: `fupin --help` imports no command module, a command
imports only its own libraries, and the precomputed tables cannot drift from
what they are copied from."""

from __future__ import annotations

import ast
import importlib
import json
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from fupin_docs.cli import main as cli_main
from fupin_docs.inputs import build_traditional_keys, traditional_keys

pytestmark = pytest.mark.storage_free  # renders or reads inputs only: the county pass leaves it out

SRC = Path(__file__).resolve().parents[1] / "src" / "fupin_docs"
HEAVY = ("pydantic", "opencc", "jieba", "whoosh", "openpyxl", "docx", "docxtpl", "weasyprint", "ruamel")


def modules_after(code: str) -> set[str]:
    """The names in sys.modules after CODE runs in a fresh interpreter."""
    script = f"import sys, json\n{code}\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


def heavy_in(modules: set[str]) -> list[str]:
    return [name for name in HEAVY if name in modules]


# --- the static command table ---------------------------------------------------


@pytest.mark.parametrize("name", list(cli_main.COMMANDS))
def test_static_table_matches_the_real_command(name):
    module, short = cli_main.COMMANDS[name]
    command = importlib.import_module(f"fupin_docs.cli.{module}").command
    assert command.name == name
    real = command.short_help or command.help.partition("\n\n")[0].strip()
    assert short == real, f"update COMMANDS[{name!r}] in cli/main.py to the command's first docstring line"
    stand_in = click.Command(name, help=short)
    for limit in (20, 45, 80, 94):  # however wide the terminal, the listed text is the same
        assert stand_in.get_short_help_str(limit) == command.get_short_help_str(limit)


def test_every_command_module_is_in_the_table():
    modules = {path.stem for path in (SRC / "cli").glob("*.py")
               if "\ncommand = " in path.read_text(encoding="utf-8")
               or "\ndef command(" in path.read_text(encoding="utf-8")}
    assert modules == set(cli_main.COMMAND_MODULES)


def test_lazy_help_equals_the_help_of_the_loaded_commands():
    lazy = CliRunner().invoke(cli_main.cli, ["--help"], terminal_width=100)
    eager = click.Group("fupin", params=cli_main.cli.params, help=cli_main.cli.help,
                        context_settings=cli_main.CONTEXT_SETTINGS)
    for name in cli_main.COMMANDS:
        eager.add_command(cli_main.load_command(name))
    eager.list_commands = lambda ctx: list(cli_main.COMMANDS)
    loaded = CliRunner().invoke(eager, ["--help"], prog_name="fupin", terminal_width=100)
    assert lazy.exit_code == loaded.exit_code == 0
    assert lazy.output.split("命令:")[1] == loaded.output.split("命令:")[1]
    assert "命令:" in lazy.output and "选项:" in lazy.output  # chinese.install() still in effect


def test_a_mistyped_command_still_gets_a_suggestion():
    result = CliRunner().invoke(cli_main.cli, ["serch"])
    assert result.exit_code == 2
    assert "没有命令 'serch'" in result.output and "search" in result.output


# --- what start-up imports ---------------------------------------------------------


def test_help_imports_no_command_module_and_no_heavy_library():
    modules = modules_after(
        "from fupin_docs.cli.main import cli\n"
        "try:\n    cli(['--help'], prog_name='fupin')\nexcept SystemExit:\n    pass")
    loaded = {name for name in modules if name.startswith("fupin_docs.cli.")}
    assert loaded <= {"fupin_docs.cli.main", "fupin_docs.cli.chinese"}
    assert heavy_in(modules) == []


@pytest.mark.parametrize("name", ["init", "new", "validate", "render", "fonts"])
def test_command_help_loads_only_that_command_and_no_heavy_library(name):
    modules = modules_after(
        "from fupin_docs.cli.main import cli\n"
        f"try:\n    cli([{name!r}, '--help'], prog_name='fupin')\nexcept SystemExit:\n    pass")
    others = {f"fupin_docs.cli.{m}" for m in cli_main.COMMAND_MODULES if m != name}
    assert not (others & modules)
    assert heavy_in(modules) == []


def test_light_input_modules_do_not_load_pydantic():
    modules = modules_after("import fupin_docs.inputs.problems, fupin_docs.inputs.fields, "
                            "fupin_docs.inputs.choices, fupin_docs.workspace.config")
    assert heavy_in(modules) == []


def test_models_load_without_opencc():
    modules = modules_after("import fupin_docs.inputs.models")
    assert "pydantic" in modules and "opencc" not in modules


# --- the Traditional key table -----------------------------------------------------


def test_traditional_key_table_is_current():
    """Regenerated with OpenCC s2t; fails when a key was added or renamed without
    `python -m fupin_docs.inputs.build_traditional_keys`."""
    checked_in = Path(traditional_keys.__file__).read_text(encoding="utf-8")
    assert build_traditional_keys.render() == checked_in
    assert traditional_keys.TRADITIONAL["类型"] == "類型"


def test_every_field_accepts_its_traditional_key():
    from fupin_docs.inputs import models

    for alias in build_traditional_keys.aliases():
        assert models._traditional(alias) == traditional_keys.TRADITIONAL[alias]


# --- one place loads OpenCC -----------------------------------------------------------


def test_chinese_script_imports_nothing_from_fupin_docs():
    tree = ast.parse((SRC / "chinese_script.py").read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            assert node.level == 0 and not (node.module or "").startswith("fupin_docs")
        elif isinstance(node, ast.Import):
            assert not any(alias.name.startswith("fupin_docs") for alias in node.names)
    assert "opencc" not in modules_after("import fupin_docs.chinese_script")


def test_inputs_and_search_share_one_t2s_converter():
    from fupin_docs import chinese_script
    from fupin_docs.inputs.script import to_simplified as inputs_t2s
    from fupin_docs.search import normalize

    assert normalize.to_simplified("脫貧攻堅") == inputs_t2s("脫貧攻堅") == "脱贫攻坚"
    assert normalize._CC is chinese_script.t2s()
    for path in [*(SRC / "inputs").rglob("*.py"), *(SRC / "search").rglob("*.py"), SRC / "cli" / "main.py"]:
        text = path.read_text(encoding="utf-8")
        assert "OpenCC(" not in text, f"{path} builds its own OpenCC converter; use fupin_docs.chinese_script"
