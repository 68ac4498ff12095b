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


def install() -> None:
    for name in ("core", "exceptions", "formatting", "decorators", "types", "parser", "termui"):
        try:
            module = importlib.import_module(f"click.{name}")
        except ImportError:
            continue
        if hasattr(module, "_"):
            module._ = _gettext
        if hasattr(module, "ngettext"):
            module.ngettext = _ngettext
