"""Drafting in the browser: a form per kind built from the input models, the CLI's checks by
the field, live preview, download, filing, and drafts kept per user (issue 12).

A thin layer: the form's fields and the way to and from YAML are inputs/form.py's, the
checks `fupin validate`'s, rendering and filing pipeline.py's (as `fupin render --archive`),
the drafts fupin_docs.drafts's. Every draft is the YAML text the CLI reads.
"""

from __future__ import annotations

import tempfile
from io import BytesIO
from pathlib import Path

from flask import g, jsonify, redirect, render_template, request, send_file, url_for

from ..drafts import Drafts
from ..errors import UserError
from ..inputs.choices import KIND_LABELS
from ..inputs.form import (check_text, data_from_form, dropped_problems, dump_yaml, form_fields, form_pairs,
                           form_values, kind_of_text)
from ..inputs.problems import InputError
from ..inputs.yaml_source import load_yaml_text
from ..ledger.store import load_ledger
from ..pipeline import archive_outcome, page_png, render_text
from .auth import WRITE_ROLES, add_nav, audit, ext, login_required
from .errors import message_for, status_for

FORMATS = {"docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
           "pdf": "application/pdf", "yaml": "application/x-yaml; charset=utf-8"}
UPLOAD_MAX = 512 * 1024
_NAME_BAD = '\\/:*?"<>|\n\r\t'


def _workspace():
    return ext("workspace")


def _drafts() -> Drafts:
    return Drafts(_workspace(), g.user.name)


def _posted_pairs():
    return [(name, value) for name, value in request.form.items(multi=True) if name != "csrf_token"]


def _file_name(title: str, fmt: str) -> str:
    stem = "".join("_" if ch in _NAME_BAD else ch for ch in title).strip(" .") or "公文"
    return f"{stem[:60]}.{fmt}"


def _paths(fields, values: dict, prefix: tuple = ()) -> set:
    """Every data path the form shows a field, group or row for."""
    out = set()
    for f in fields:
        path = prefix + (f.key,)
        out.add(path)
        value = values.get(f.key)
        if f.widget == "repeat":
            for index, row in enumerate(value or []):
                out.add(path + (index,))
                out |= _paths(f.children, row, path + (index,))
        elif f.widget == "group":
            out |= _paths(f.children, value or {}, path)
    return out


def _place(problems, known: set) -> tuple[dict, list]:
    """{path text: [messages]} for the problems a field shows; the others for the top of the form."""
    by_field: dict = {}
    general = []
    for problem in problems:
        path = tuple(problem.path)
        while path and path not in known:
            path = path[:-1]
        if path:
            by_field.setdefault(".".join(str(p) for p in path), []).append(problem.message)
        else:
            general.append(problem.message)
    return by_field, general


def _problem_json(problem) -> dict:
    return {"path": ".".join(str(p) for p in problem.path), "message": problem.message,
            "line": problem.line, "column": problem.column}


class _Draft:
    """One draft as the pages use it: its kind, its text and the form's values."""

    def __init__(self, draft_id: str, text: str):
        self.id, self.text = draft_id, text
        self.kind = kind_of_text(text)
        doc = load_yaml_text(text, "草稿.yaml")
        self.values, _dropped = form_values(self.kind, doc.data)

    @property
    def title(self) -> str:
        for key in ("标题", "方案名称", "会议名称"):
            if self.values.get(key):
                return str(self.values[key])
        return KIND_LABELS[self.kind]


def _open(draft_id: str) -> _Draft:
    return _Draft(draft_id, _drafts().read(draft_id))


def _save_posted(draft: _Draft) -> _Draft:
    """The form as posted, saved as the draft's YAML (whatever the checks say: nothing is lost)."""
    text = dump_yaml(draft.kind, data_from_form(draft.kind, _posted_pairs()))
    if text != draft.text:
        _drafts().save(draft.id, text)
    return _Draft(draft.id, text)


def _ledger_choices(kind: str) -> dict:
    if kind != "rectification":
        return {}
    try:
        ledger = load_ledger(_workspace())
    except UserError:
        return {}
    return {"villages": sorted({p.village for p in ledger if p.village}),
            "units": sorted({p.unit for p in ledger if p.unit})}


def _editor(draft: _Draft, *, status: int = 200, problems=None, warnings=None, notice: str | None = None):
    if problems is None:
        _model, problems, warnings = check_text(draft.text, _workspace().config)
    fields = form_fields(draft.kind)
    by_field, general = _place(problems, _paths(fields, draft.values))
    return render_template("draft_edit.html", draft=draft, fields=fields, values=draft.values, errors=by_field,
                           general=general, problems=problems, warnings=warnings or [], notice=notice,
                           kind_label=KIND_LABELS[draft.kind], ledger=_ledger_choices(draft.kind),
                           office_settings=_workspace().config.office), status


def _list_page(status: int = 200, **context):
    drafts = _drafts().listing()
    return render_template("drafts.html", drafts=drafts, kinds=KIND_LABELS, **context), status


def register(app) -> None:
    add_nav(app, "起草公文", "drafts_page", roles=WRITE_ROLES)
    guard = login_required(WRITE_ROLES, write=True)

    @app.get("/drafts")
    @guard
    def drafts_page():
        return _list_page()

    @app.post("/drafts/new")
    @guard
    def draft_new():
        kind = request.form.get("kind", "")
        if kind not in KIND_LABELS:
            return _list_page(400, error="请选择要起草的公文种类")
        draft_id = _drafts().create(dump_yaml(kind, {"类型": KIND_LABELS[kind]}))
        audit("draft.new", draft=draft_id, kind=KIND_LABELS[kind])
        return redirect(url_for("draft_page", draft_id=draft_id))

    @app.post("/drafts/upload")
    @guard
    def draft_upload():
        upload = request.files.get("yaml")
        if upload is None or not upload.filename:
            return _list_page(400, error="请选择要上传的填写文件（.yaml）")
        name = Path(upload.filename).name[:100]
        raw = upload.read(UPLOAD_MAX + 1)
        try:
            if len(raw) > UPLOAD_MAX:
                raise UserError(f"文件太大，填写文件不超过 {UPLOAD_MAX // 1024} KB；请检查是否选错了文件")
            try:
                text = raw.decode("utf-8-sig")
            except UnicodeDecodeError:
                raise UserError("文件不是 UTF-8 编码，请在记事本或 WPS 中“另存为”并选择 UTF-8 编码后再上传") from None
            doc = load_yaml_text(text, name)
            kind = kind_of_text(text, name)
            values, dropped = form_values(kind, doc.data)
            if dropped:
                raise InputError(dropped_problems(doc, dropped))
        except InputError as err:
            return _list_page(400, upload_problems=err.problems, upload_name=name)
        except UserError as err:
            return _list_page(status_for(err), error=message_for(err))
        text = dump_yaml(kind, data_from_form(kind, form_pairs(values)))
        draft_id = _drafts().create(text)
        audit("draft.upload", draft=draft_id, kind=KIND_LABELS[kind], file=name)
        return redirect(url_for("draft_page", draft_id=draft_id))

    @app.get("/drafts/<draft_id>")
    @guard
    def draft_page(draft_id):
        return _editor(_open(draft_id))

    @app.post("/drafts/<draft_id>/preview")
    @guard
    def draft_preview(draft_id):
        """Save the posted form, check it; when it passes, render the PDF the preview shows."""
        draft = _save_posted(_open(draft_id))
        ws = _workspace()
        _model, problems, warnings = check_text(draft.text, ws.config)
        answer = {"saved": True, "problems": [_problem_json(p) for p in problems],
                  "warnings": [_problem_json(p) for p in warnings], "pages": 0, "version": None}
        if problems:
            return jsonify(answer)
        drafts = _drafts()
        target = drafts.preview_path(draft.id, draft.text)
        try:
            if not target.exists():
                outcome = render_text(draft.text, ws, out_dir=target.parent, stem=target.stem, formats=("pdf",))
                drafts.drop_previews(draft.id, keep=target)
                pages = outcome.pages
            else:
                from pypdf import PdfReader
                pages = len(PdfReader(target).pages)
        except InputError as err:  # e.g. the ledger has no problems for the report's 台账
            answer["problems"] = [_problem_json(p) for p in err.problems]
            return jsonify(answer)
        answer.update(pages=pages, version=target.stem.rsplit("-", 1)[-1],
                      page_url=url_for("draft_page_png", draft_id=draft.id, number=0).rsplit("0.png", 1)[0])
        return jsonify(answer)

    @app.get("/drafts/<draft_id>/page/<int:number>.png")
    @guard
    def draft_page_png(draft_id, number):
        drafts = _drafts()
        drafts.path(draft_id)
        version = request.args.get("v", "")
        found = sorted(drafts.folder.glob(f"{draft_id}.preview-*.pdf"), key=lambda p: p.stat().st_mtime)
        chosen = next((p for p in found if p.stem.endswith(f"-{version}")), found[-1] if found else None)
        if chosen is None or number < 1:
            return ("", 404)
        response = send_file(BytesIO(page_png(chosen, number)), mimetype="image/png", max_age=0)
        response.headers["Cache-Control"] = "no-store"
        return response

    @app.post("/drafts/<draft_id>/download/<fmt>")
    @guard
    def draft_download(draft_id, fmt):
        if fmt not in FORMATS:
            return ("", 404)
        draft = _save_posted(_open(draft_id))
        if fmt == "yaml":
            audit("draft.download", draft=draft.id, format="yaml", title=draft.title)
            return _send(draft.text.encode("utf-8"), _file_name(draft.title, "yaml"), FORMATS["yaml"])
        _model, problems, warnings = check_text(draft.text, _workspace().config)
        if problems:
            return _editor(draft, status=400, problems=problems, warnings=warnings,
                           notice="还有需要改正的地方，改正后才能下载")
        with tempfile.TemporaryDirectory(prefix="fupin-draft-") as folder:
            try:
                outcome = render_text(draft.text, _workspace(), out_dir=folder, stem="公文", formats=(fmt,))
            except InputError as err:
                return _editor(draft, status=400, problems=err.problems, notice="还有需要改正的地方，改正后才能下载")
            data = outcome.outputs[fmt].read_bytes()
        audit("draft.download", draft=draft.id, format=fmt, title=draft.title)
        return _send(data, _file_name(draft.title, fmt), FORMATS[fmt])

    @app.post("/drafts/<draft_id>/file")
    @guard
    def draft_file(draft_id):
        """归档: render Word and PDF and file them with the metadata `fupin render --archive` records."""
        draft = _save_posted(_open(draft_id))
        ws = _workspace()
        _model, problems, warnings = check_text(draft.text, ws.config)
        if problems:
            return _editor(draft, status=400, problems=problems, warnings=warnings,
                           notice="还有需要改正的地方，改正后才能归档")
        with tempfile.TemporaryDirectory(prefix="fupin-draft-") as folder:
            try:
                outcome = render_text(draft.text, ws, out_dir=folder, stem=_file_name(draft.title, "x")[:-2],
                                      formats=("docx", "pdf"))
            except InputError as err:
                return _editor(draft, status=400, problems=err.problems, notice="还有需要改正的地方，改正后才能归档")
            archive_outcome(outcome, ws, how=f"fupin serve 起草公文（{g.user.name}）", who=g.user.name)
        audit("draft.file", draft=draft.id, archive_no=outcome.archive_no, title=outcome.document.title,
              new=outcome.archived_new)
        return render_template("draft_filed.html", draft=draft, outcome=outcome)

    @app.post("/drafts/<draft_id>/delete")
    @guard
    def draft_delete(draft_id):
        draft = _open(draft_id)
        _drafts().delete(draft.id)
        audit("draft.delete", draft=draft.id, title=draft.title)
        return redirect(url_for("drafts_page"))

    app.jinja_env.globals.update(draft_field_name=lambda path: ".".join(str(p) for p in path))


def _send(data: bytes, name: str, mimetype: str):
    response = send_file(BytesIO(data), as_attachment=True, download_name=name, mimetype=mimetype, max_age=0)
    response.headers["Cache-Control"] = "no-store"
    return response
