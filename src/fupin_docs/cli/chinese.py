"""Simplified Chinese for click's own messages (usage, help, usage errors).

click marks its strings for gettext but ships no Chinese catalogue; we map
the strings a clerk can meet to Chinese and leave the rest as they are.
"""

from __future__ import annotations

import gettext
import importlib

MESSAGES = {
    "Usage:": "用法：",
    "Options": "选项",
    "Commands": "命令",
    "Positional arguments": "参数",
    "Show this message and exit.": "显示本帮助并退出。",
    "Show the version and exit.": "显示版本号并退出。",
    "Error: {message}": "错误：{message}",
    "Try '{command} {option}' for help.": "运行“{command} {option}”查看帮助。",
    "Missing argument": "缺少参数",
    "Missing option": "缺少选项",
    "Missing parameter": "缺少参数",
    "Missing command.": "缺少命令。",
    "No such command {name!r}.": "没有命令 {name!r}。",
    "No such option {name!r}.": "没有选项 {name!r}。",
    "Invalid value for {param_hint}: {message}": "{param_hint} 的取值不对：{message}",
    "Invalid value: {message}": "取值不对：{message}",
    "Option {name!r} does not take a value.": "选项 {name!r} 不需要取值。",
    "{value!r} is not a valid {number_type}.": "{value!r} 不是有效的数字。",
    "{value} is not in the range {range}.": "{value} 不在范围 {range} 内。",
    "{name} {filename!r} does not exist.": "{name} {filename!r} 不存在。",
    "{name} {filename!r} is a directory.": "{name} {filename!r} 是文件夹，请给出文件。",
    "{name} {filename!r} is a file.": "{name} {filename!r} 是文件，请给出文件夹。",
    "file": "文件",
    "directory": "文件夹",
    "path": "路径",
    "default: {default}": "默认：{default}",
    "env var: {var}": "环境变量：{var}",
    "Aborted!": "已取消。",
    "Choose from:\n\t{choices}": "可选：\n\t{choices}",
}
PLURALS = {
    "Option {name!r} requires an argument.": "选项 {name!r} 需要一个取值。",
    "Got unexpected extra argument ({args})": "多余的参数（{args}）",
    "Error: Missing argument {param_hint}.": "缺少参数 {param_hint}。",
}


def _gettext(message: str) -> str:
    return MESSAGES.get(message, gettext.gettext(message))


def _ngettext(singular: str, plural: str, n: int) -> str:
    if singular in PLURALS:
        return PLURALS[singular]
    return gettext.ngettext(singular, plural, n)


# What each command-line argument is, in office words: usage lines and
# “缺少……” messages say 文件, 档号, 检索词 instead of FILES, ARCHIVE_NO, QUERY.
ARGUMENT_NAMES = {
    "files": "文件", "file": "文件", "paths": "文件或文件夹", "path": "文件", "directory": "文件夹",
    "kind": "文种", "query": "检索词", "archive_no": "档号", "pid": "问题编号", "more": "问题编号",
    "sheet": "排查表", "xlsx": "表格文件", "pack": "材料包",
}
OPTIONS_METAVAR = "[选项]"
SUBCOMMAND_METAVAR = "命令 [参数]..."


def argument_name(param) -> str:
    """The office word for an argument (its metavar when it is already Chinese)."""
    metavar = getattr(param, "metavar", None)
    if metavar and not metavar.isascii():
        return metavar.rstrip(".")
    return ARGUMENT_NAMES.get(param.name or "", metavar or param.name or "")


def _missing_message(self) -> str:
    """click's “Missing argument 'FILES...'.” as a clerk reads it."""
    param = self.param
    if param is not None and getattr(param, "param_type_name", "") == "argument":
        what = argument_name(param)
        return f"缺少{what}：请在命令后面写上{what}"
    if param is not None and getattr(param, "opts", None):
        return f"缺少选项 {' / '.join(param.opts)}：请写上它和它的取值"
    return f"缺少必须写的内容{('：' + self.message) if self.message else ''}"


def _argument_metavar(original):
    def make_metavar(self, ctx):
        if self.metavar is None and self.name in ARGUMENT_NAMES:
            var = ARGUMENT_NAMES[self.name]
            if not self.required:
                var = f"[{var}]"
            if self.nargs != 1:
                var += "..."
            return var
        return original(self, ctx)

    return make_metavar


def _translate_usage() -> None:
    from click import core, exceptions

    exceptions.MissingParameter.format_message = _missing_message
    if not getattr(core.Argument.make_metavar, "_fupin", False):
        core.Argument.make_metavar = _argument_metavar(core.Argument.make_metavar)
        core.Argument.make_metavar._fupin = True

        original_init = core.Command.__init__

        def command_init(self, *args, **kwargs):
            original_init(self, *args, **kwargs)
            if self.options_metavar == "[OPTIONS]":
                self.options_metavar = OPTIONS_METAVAR

        core.Command.__init__ = command_init

        original_group_init = core.Group.__init__

        def group_init(self, *args, **kwargs):
            original_group_init(self, *args, **kwargs)
            if self.subcommand_metavar and "COMMAND" in self.subcommand_metavar:
                self.subcommand_metavar = SUBCOMMAND_METAVAR

        core.Group.__init__ = group_init


def install() -> None:
    _translate_usage()
    for name in ("core", "exceptions", "formatting", "decorators", "types", "parser", "termui"):
        try:
            module = importlib.import_module(f"click.{name}")
        except ImportError:
            continue
        if hasattr(module, "_"):
            module._ = _gettext
        if hasattr(module, "ngettext"):
            module.ngettext = _ngettext
