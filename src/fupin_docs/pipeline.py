"""The render pipeline driver: inputs → compose → render → (archive).

`fupin render` and other programs call `render_files`; it validates every
input first, so one bad file means no output at all, and it writes each
document's formats together: a DOCX never lands without its PDF when both
were asked for.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from pathlib import Path

from .atomic import atomic_path
from .compose import ComposedDocument, compose
from .errors import UserError
from .ledger.query import select_problems
from .inputs import InputError
from .inputs.validate import validate_document
from .inputs.yaml_source import load_yaml_file, load_yaml_text
from .workspace.config import Workspace

FORMATS = ("docx", "pdf", "ofd")
WORD_STAGE, PDF_STAGE, OFD_STAGE = "正在生成 Word", "正在生成 PDF", "正在生成 OFD"
FIXED_LAYOUT = ("pdf", "ofd")  # written from one WeasyPrint layout per document


@dataclass
class RenderOutcome:
    source: Path
    document: ComposedDocument
    outputs: dict = field(default_factory=dict)  # format -> Path
    fallback_chars: dict = field(default_factory=dict)  # role -> characters the primary face lacked
    archive_no: str | None = None
    archived_new: bool = False
    index_error: str | None = None  # archived, but the index update failed (the next search repairs it)
    pages: int | None = None  # the PDF's (and OFD's) pages, when either was rendered


def parse_formats(text: str) -> tuple[str, ...]:
    formats = tuple(part.strip().lower() for part in text.split(",") if part.strip())
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        raise UserError(f"不支持的输出格式“{','.join(unknown) or text}”，请写 docx、pdf、ofd 中的一个或几个，"
                        "用逗号隔开，如 docx,pdf,ofd")
    return formats


def load_all(paths, config=None, warn=None) -> list:
    """Validate every input against the office's CONFIG (as `validate` does); raise one
    InputError with all problems of all files; WARN(problem) receives the 提醒.

    Returns (path, model, yaml document) triples; the YAML document keeps the
    positions later checks report against."""
    loaded, problems = [], []
    for path in paths:
        try:
            source = load_yaml_file(path)
            loaded.append((Path(path), validate_document(source, config, warn=warn), source))
        except InputError as err:
            problems.extend(err.problems)
    if problems:
        raise InputError(problems)
    return loaded


def _check_output_names(loaded, out_dir: Path) -> None:
    """Two inputs named alike (村甲/纪要.yaml, 村乙/纪要.yaml) would write one file twice."""
    first: dict[str, Path] = {}
    problems = []
    for path, _model, source in loaded:
        other = first.setdefault(path.stem, path)
        if other != path:
            problems.append(source.problem((), f"与 {other} 同名，都会生成 {out_dir / path.stem}.*，后一个会覆盖前一个；"
                                                 "请给其中一个文件改名，或分两次用不同的 -o 目录生成"))
    if problems:
        raise InputError(problems)


def _check_ledger_selection(outcomes, loaded) -> None:
    """A report that takes its problems from the ledger must find some."""
    problems = []
    for outcome, (_path, model, source) in zip(outcomes, loaded):
        ledger = getattr(model, "ledger", None)
        if ledger is not None and not outcome.document.metadata["summary"]["total"]:
            wanted = {key: value for key, value in ledger.model_dump(by_alias=True).items() if value}
            wanted.setdefault("问题来源", model.source)
            shown = "，".join(f"{key}={value}" for key, value in wanted.items())
            problems.append(source.problem(("台账",), f"问题台账中没有符合条件（{shown}）的问题；"
                                                     "请查看台账，核对村名、问题来源和整改状态", prefer_key=True))
    if problems:
        raise InputError(problems)


def render_files(paths, workspace: Workspace, *, formats=("docx",), out_dir: str | Path | None = None,
                 template: str | None = None, archive: bool = False, pdfa: bool = False,
                 jobs: int = 2, progress=None, executor=None, warn=None) -> list[RenderOutcome]:
    """Render every input to every format; archive them when asked.

    The batch lands together: each output is written to a temporary file and
    all are renamed into place only after every document rendered, so a
    failure leaves the previous outputs as they were. PDFs of a batch are
    rendered on JOBS processes (both cores by default), or on EXECUTOR, a
    concurrent.futures executor the caller owns. PROGRESS(stage, done, total),
    if given, is called as each document of a batch is done; STAGE is what a
    person reads ("正在生成 Word", "正在生成 PDF"). WARN(problem), if given, receives
    what validation finds worth a 提醒 (the document still renders).
    """
    out_dir = Path(out_dir) if out_dir else workspace.root / "output"
    loaded = load_all(paths, workspace.config, warn)
    _check_output_names(loaded, out_dir)
    outcomes = _render_loaded(loaded, workspace, formats=formats, out_dir=out_dir, template=template, pdfa=pdfa,
                              jobs=jobs, progress=progress, executor=executor)
    if archive:
        for outcome in outcomes:
            archive_outcome(outcome, workspace)
    return outcomes


def _render_loaded(loaded, workspace: Workspace, *, formats, out_dir: Path, template=None, pdfa=False, jobs=2,
                   progress=None, executor=None, stems=None) -> list[RenderOutcome]:
    outcomes = [RenderOutcome(source=path, document=_compose(model, workspace, source))
                for path, model, source in loaded]
    _check_ledger_selection(outcomes, loaded)
    for number, outcome in enumerate(outcomes):
        stem = stems[number] if stems else outcome.source.stem
        outcome.outputs = {fmt: out_dir / f"{stem}.{fmt}" for fmt in formats}
    with contextlib.ExitStack() as stack:
        temps = [{fmt: stack.enter_context(atomic_path(target)) for fmt, target in o.outputs.items()}
                 for o in outcomes]
        if "docx" in formats:
            from .render.docx import render_docx

            for done, (outcome, temp) in enumerate(zip(outcomes, temps), 1):
                render_docx(outcome.document, temp["docx"], config=workspace.config, template=template,
                            templates_dir=workspace.templates_dir)
                if progress is not None and len(outcomes) > 1:
                    progress(WORD_STAGE, done, len(outcomes))
        if any(fmt in formats for fmt in FIXED_LAYOUT):
            from .render import ofd as ofd_stage
            from .render import pdf as pdf_stage

            # One layout per document: the PDF (if asked for) and the OFD are written from it.
            pairs = [(o.document, temp.get("pdf")) for o, temp in zip(outcomes, temps)]
            renditions = [(ofd_stage.OfdWriter(temp["ofd"]),) if "ofd" in formats else () for temp in temps]
            if len(pairs) == 1:
                results = [pdf_stage.render_pdf(*pairs[0], config=workspace.config, pdfa=pdfa,
                                                renditions=renditions[0])]
            else:
                stage = PDF_STAGE if "pdf" in formats else OFD_STAGE
                report = None if progress is None else (lambda done, total: progress(stage, done, total))
                results = pdf_stage.render_pdfs(pairs, config=workspace.config, jobs=jobs,
                                                progress=report, pdfa=pdfa, executor=executor,
                                                renditions=renditions)
            for outcome, result in zip(outcomes, results):
                outcome.fallback_chars = dict(result.fallback_chars or {})
                outcome.pages = result.pages
    # Leaving the stack renamed every temporary file into place.
    return outcomes


def render_text(text: str, workspace: Workspace, *, out_dir: str | Path, stem: str, formats=("docx", "pdf"),
                file: str = "草稿.yaml", template: str | None = None, warn=None) -> RenderOutcome:
    """Render one YAML input given as TEXT (a draft) to OUT_DIR/STEM.<format>, with the
    same checks as render_files; FILE names it in located problems."""
    source = load_yaml_text(text, file)
    model = validate_document(source, workspace.config, warn=warn)
    return _render_loaded([(Path(file), model, source)], workspace, formats=tuple(formats), out_dir=Path(out_dir),
                          template=template, stems=[stem])[0]


PREVIEW_DPI = 48  # a page 397 px wide: the text's shape and the page's layout, as a thumbnail of the print


def page_png(pdf: str | Path, page: int, *, dpi: int = PREVIEW_DPI) -> bytes:
    """Page PAGE (1-based) of PDF as a PNG image (poppler's pdftoppm)."""
    import subprocess

    try:
        done = subprocess.run(["pdftoppm", "-png", "-r", str(int(dpi)), "-f", str(int(page)), "-l", str(int(page)),
                               "-singlefile", str(pdf)], capture_output=True, timeout=60, check=False)
    except FileNotFoundError:
        raise UserError("无法生成预览图：服务器上没有安装 poppler-utils（pdftoppm），"
                        "请管理员运行 scripts/setup-system.sh") from None
    if done.returncode != 0 or not done.stdout:
        raise UserError(f"无法生成第 {page} 页的预览图，请重新预览；如仍不行，请下载 PDF 查看")
    return done.stdout


def _ledger_problems(model, workspace: Workspace):
    """The ledger rows a report asks for (its own 问题来源 unless it names one), or None."""
    wanted = getattr(model, "ledger", None)
    if wanted is None:
        return None
    if not wanted.source:
        wanted = wanted.model_copy(update={"source": model.source})
    return select_problems(workspace, wanted)


def _compose(model, workspace: Workspace, source) -> ComposedDocument:
    try:
        return compose(model, workspace.config, _ledger_problems(model, workspace))
    except UserError as err:  # e.g. the ledger cannot be read: say which input asked for it
        raise InputError([source.problem(("台账",), str(err), prefer_key=True)]) from None


def archive_outcome(outcome: RenderOutcome, workspace: Workspace, *, how: str | None = None,
                    who: str | None = None) -> None:
    """File a rendered document with the metadata its input gives (as `fupin render --archive`);
    HOW says how it came (default: the render command), WHO who filed it."""
    from .filing import file_document  # archive and index: only when asked to file
    meta = outcome.document.metadata
    primary = outcome.outputs.get("docx") or outcome.outputs.get("pdf") or outcome.outputs.get("ofd")
    renditions = [path for fmt, path in outcome.outputs.items() if path != primary]
    filed = file_document(
        workspace, primary,
        kind=meta["kind"], title=meta["title"], unit=meta["issuer"], date=meta["date"],
        tags=tuple(meta.get("tags") or ()), doc_number=meta.get("doc_number"),
        issuer=meta["issuer"], secrecy=meta.get("secrecy"), renditions=tuple(renditions),
        how=how or f"fupin render {outcome.source.name}", who=who,
    )
    outcome.archive_no = filed.item.archive_no
    outcome.archived_new = filed.created
    outcome.index_error = filed.index_error
