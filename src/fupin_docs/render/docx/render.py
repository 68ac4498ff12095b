"""render_docx: the document tree → a GB/T 9704 .docx through a docxtpl template.

The template is rendered in a sandboxed, autoescaping Jinja environment: an
office's own template can only read the plain data of context.py; touching a
Python internal (``''.__class__``, ``__globals__`` …) stops the render with a
SecurityError, reported as a TemplateError and no output is written.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError
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


class _Sandbox(ImmutableSandboxedEnvironment):
    """Refuse, instead of silently blanking, any access to an unsafe attribute."""

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
