"""render_docx: the document tree → a GB/T 9704 .docx through a docxtpl template.

The template is rendered in a sandboxed, autoescaping Jinja environment: an
office's own template can only read the plain data of context.py; touching a
Python internal (``''.__class__``, ``__globals__`` …) stops the render with a
SecurityError, reported as a TemplateError and no output is written.
"""

from __future__ import annotations

import io
import functools
import re
import time
import zipfile
from pathlib import Path

import jinja2
import jinja2.runtime
from jinja2 import nodes
from jinja2.compiler import CodeGenerator
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError
from jinja2.utils import Namespace
from lxml import etree

from ...atomic import atomic_write_bytes
from ...errors import UserError
from ...compose.tree import ComposedDocument
from ...workspace.config import Config
from .context import build_context
from .finish import finish

TEMPLATE_NAME = "gongwen.docx"


class TemplateError(UserError):
    """A Word template that is missing, broken or tries something unsafe."""


# Bounds on what a template may make the sandbox do: a real template loops over
# a document's blocks (hundreds) and writes a few MB of XML.
MAX_RANGE = 10_000  # items of range(...)
MAX_STEPS = 200_000  # loop iterations in one render, all loops together
MAX_VALUE_CHARS = 1_000_000  # length of one value a template builds, and any number it passes
MAX_OUTPUT_CHARS = 50_000_000  # characters of one rendered part
MAX_SECONDS = 60.0  # wall time of one render
_HUGE_WIDTH = re.compile(r"\d{7,}")  # a %-format or {:…} width of a million or more


class _LimitExceeded(SecurityError):
    """The template asked for more work than any document needs; the message is Chinese."""


class _BoundedLoops(CodeGenerator):
    """Every {% for %} iterates through the environment's step counter."""

    def visit_For(self, node, frame):
        if not getattr(node, "_fupin_bounded", False):
            node.iter = nodes.Call(nodes.EnvironmentAttribute("bounded_iter"), [node.iter], [], None, None,
                                   lineno=node.lineno)
            node._fupin_bounded = True
        return super().visit_For(node, frame)


class _Namespace(Namespace):
    def __setitem__(self, name, value):
        _check_size(value)
        super().__setitem__(name, value)


def _check_size(value) -> None:
    if isinstance(value, (str, list, tuple, dict)) and len(value) > MAX_VALUE_CHARS:
        raise _LimitExceeded(f"生成了过长的内容（超过 {MAX_VALUE_CHARS} 个字符或项）")
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_VALUE_CHARS:
        raise _LimitExceeded(f"用到了过大的数（超过 {MAX_VALUE_CHARS}）")


class _Sandbox(ImmutableSandboxedEnvironment):
    """Refuse, instead of silently blanking, any access to an unsafe attribute,
    and bound the work a template can ask for: range(), loop iterations, the
    size of any value it builds, the rendered text and the time taken. Crossing
    a bound raises _LimitExceeded (a SecurityError), reported as a TemplateError."""

    code_generator_class = _BoundedLoops
    intercepted_binops = frozenset({"*", "**", "+", "%"})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.steps = 0
        self.deadline = time.monotonic() + MAX_SECONDS
        self.globals["range"] = self.bounded_range
        self.globals["namespace"] = _Namespace
        self.globals.pop("lipsum", None)
        self.filters = {name: self._bounded_filter(name, func) for name, func in self.filters.items()}

    # -- bounds --------------------------------------------------------------

    def _tick(self, steps: int = 1) -> None:
        self.steps += steps
        if self.steps > MAX_STEPS:
            raise _LimitExceeded(f"循环次数过多（超过 {MAX_STEPS} 次）")
        if self.steps % 256 == 0 and time.monotonic() > self.deadline:
            raise _LimitExceeded(f"运行超过 {MAX_SECONDS:.0f} 秒")

    def bounded_range(self, *args):
        for arg in args:
            _check_size(arg)
        items = range(*args)
        if len(items) > MAX_RANGE:
            raise _LimitExceeded(f"range() 的项数过多（{len(items)} 项，最多 {MAX_RANGE} 项）")
        return items

    def bounded_iter(self, iterable):
        for item in iterable:
            self._tick()
            yield item

    def _bounded_filter(self, name, func):
        @functools.wraps(func)  # keeps jinja's pass_context/pass_environment marks
        def bounded(*args, **kwargs):
            self._tick()
            values = [v for v in (*args, *kwargs.values())
                      if not isinstance(v, (jinja2.runtime.Context, jinja2.Environment, jinja2.nodes.EvalContext))]
            for value in values:
                _check_size(value)
            if name == "format" and values and isinstance(values[0], str) and _HUGE_WIDTH.search(values[0]):
                raise _LimitExceeded("格式说明里的宽度过大")
            result = func(*args, **kwargs)
            _check_size(result)
            return result

        return bounded

    def concat(self, parts):
        out, total = [], 0
        for part in parts:
            total += len(part)
            if total > MAX_OUTPUT_CHARS:
                raise _LimitExceeded(f"生成的内容过多（超过 {MAX_OUTPUT_CHARS} 个字符）")
            out.append(part)
        return "".join(out)

    def call_binop(self, context, operator, left, right):
        if operator == "**" and isinstance(left, (int, float)) and isinstance(right, (int, float)):
            if abs(right) > 64 and abs(left) > 1:
                raise _LimitExceeded("乘方的指数过大")
        if operator == "*":
            for seq, times in ((left, right), (right, left)):
                if isinstance(seq, (str, list, tuple)) and isinstance(times, int) and len(seq) * times > MAX_VALUE_CHARS:
                    raise _LimitExceeded(f"重复生成的内容过长（超过 {MAX_VALUE_CHARS} 个字符或项）")
        if operator == "%" and isinstance(left, str) and _HUGE_WIDTH.search(left):
            raise _LimitExceeded("格式说明里的宽度过大")
        result = super().call_binop(context, operator, left, right)
        _check_size(result)
        return result

    def call(__self, __context, __obj, *args, **kwargs):  # noqa: N805 (jinja's signature)
        __self._tick()
        for value in (*args, *kwargs.values()):
            _check_size(value)
        owner = getattr(__obj, "__self__", None)
        if isinstance(owner, str) and getattr(__obj, "__name__", "") in ("format", "format_map") \
                and _HUGE_WIDTH.search(owner):
            raise _LimitExceeded("格式说明里的宽度过大")
        result = super().call(__context, __obj, *args, **kwargs)
        _check_size(result)
        return result

    # -- unsafe attributes -----------------------------------------------------

    def unsafe_undefined(self, obj, attribute):
        raise SecurityError(f"access to attribute {attribute!r} of a {type(obj).__name__} is not allowed")

    def getattr(self, obj, attribute):
        if isinstance(attribute, str) and attribute.startswith("_"):
            return self.unsafe_undefined(obj, attribute)
        return super().getattr(obj, attribute)

    def getitem(self, obj, argument):
        if isinstance(argument, str) and argument.startswith("_"):
            return self.unsafe_undefined(obj, argument)
        return super().getitem(obj, argument)


def sandbox() -> jinja2.Environment:
    return _Sandbox(autoescape=True)


def builtin_template() -> Path:
    from ...workspace.resources import templates_dir

    top = templates_dir() / TEMPLATE_NAME
    if top.is_file():
        return top
    return Path(__file__).resolve().parent / "templates" / TEMPLATE_NAME  # package-data copy


def resolve_template(template: str | Path | None, templates_dir: Path | None) -> tuple[Path, bool]:
    """(path, is_builtin) for template=None, a NAME, or a PATH."""
    if template is None or str(template) == "":
        if templates_dir is not None:
            own = Path(templates_dir) / TEMPLATE_NAME
            if own.is_file():
                return own, False  # the workspace overrides the built-in by name
        path = builtin_template()
        if not path.is_file():
            raise TemplateError(f"找不到内置模板 {path}，请运行 python -m fupin_docs.render.docx.build_template 重新生成")
        return path, True
    text = str(template)
    looks_like_path = isinstance(template, Path) or "/" in text or "\\" in text
    if not looks_like_path:
        name = text if text.lower().endswith(".docx") else f"{text}.docx"
        if templates_dir is not None and (Path(templates_dir) / name).is_file():
            return Path(templates_dir) / name, False
        if name == TEMPLATE_NAME:
            return builtin_template(), True
        if not Path(text).is_file():
            where = f"工作区模板目录 {templates_dir}" if templates_dir else "工作区模板目录"
            raise TemplateError(f"找不到名为“{text}”的模板：请把 {name} 放进{where}，或给出模板文件的路径",
                                field="template")
    path = Path(text)
    if not path.is_file():
        raise TemplateError(f"模板文件 {path} 不存在，请检查给出的模板路径", field="template")
    return path, False


def _load(path: Path):
    from docxtpl import DocxTemplate

    if not zipfile.is_zipfile(path):
        raise TemplateError(f"模板 {path} 不是有效的 Word（.docx）文件，请在 Word/WPS 中另存为 .docx 后再试")
    try:
        tpl = DocxTemplate(str(path))
        tpl.init_docx()
    except Exception as err:  # python-docx raises several types for a damaged package
        raise TemplateError(f"模板 {path} 已损坏，无法打开（{type(err).__name__}），请在 Word/WPS 中重新保存") from None
    return tpl


def _describe(document, doc: ComposedDocument) -> None:
    """File properties say what this document is, not what the template was:
    Word's 属性 dialog, Windows search and `archive add` of the file read them."""
    props = document.core_properties
    props.title = doc.title
    props.subject = doc.kind_label
    props.author = doc.metadata.get("issuer") or ""
    props.keywords = "、".join(doc.metadata.get("tags") or ())
    props.comments = doc.metadata.get("doc_number") or ""


def render_docx(doc: ComposedDocument, target: Path, *, config: Config,
                template: str | Path | None = None, templates_dir: Path | None = None) -> Path:
    """Render DOC to TARGET (.docx), atomically; returns TARGET."""
    target = Path(target)
    path, builtin = resolve_template(template, templates_dir)
    tpl = _load(path)
    try:
        tpl.render(build_context(doc), jinja_env=sandbox(), autoescape=True)
    except _LimitExceeded as err:
        raise TemplateError(f"模板 {path} 要求的工作量超出了限度：{err}，已停止渲染；"
                            "请检查模板中的循环、range() 和重复次数，公文模板用不了这么多") from None
    except (OverflowError, MemoryError, RecursionError) as err:
        raise TemplateError(f"模板 {path} 要求的工作量超出了限度，已停止渲染；"
                            "请检查模板中的循环、递归和重复次数") from None
    except SecurityError as err:
        raise TemplateError(f"模板 {path} 含有不安全的标签（{err}），已拒绝渲染；"
                            "模板只能使用文档内容字段，不能访问程序内部对象") from None
    except jinja2.TemplateSyntaxError as err:
        raise TemplateError(f"模板 {path} 的标签有语法错误：{err.message}。请检查 {{% %}} 与 {{{{ }}}} 是否成对") from None
    except jinja2.TemplateError as err:
        raise TemplateError(f"模板 {path} 渲染失败：{err}") from None
    except etree.XMLSyntaxError as err:
        raise TemplateError(f"模板 {path} 渲染后不是有效的 Word 文档（{err}），请检查模板标签是否放在段落或表格行中") from None
    finish(tpl.docx, doc, config, builtin)
    _describe(tpl.docx, doc)
    # Built in memory, then written: a zip writer failing half-way on a full disk
    # would otherwise leave a half-closed archive that raises again at exit.
    data = io.BytesIO()
    tpl.save(data)
    atomic_write_bytes(target, data.getvalue())
    return target
