"""The problem ledger in the browser: check-sheet upload, the ledger table and its /api/ twin,
a problem's page, 销号 with archived evidence, the dashboard and the export (issue 12).

A thin layer: every rule (filters, the import and its preview, 销号's evidence,
the dashboard's figures, the export's text cells) is in fupin_docs.ledger.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from io import BytesIO
from pathlib import Path

from flask import g, jsonify, redirect, render_template, request, send_file, url_for

from ..errors import UserError
from ..inputs.choices import PROBLEM_SOURCES, PROBLEM_STATUSES
from ..inputs.problems import InputError
from ..ledger.check_sheet import import_check_sheet, preview_check_sheet
from ..ledger.dashboard import dashboard
from ..ledger.errors import LedgerError
from ..ledger.evidence import close_problem
from ..ledger.model import CHECK_ITEMS, CLOSED_STATUS, FIELDS, display_value
from ..ledger.query import SORTS, LedgerQuery, choose, form_date, problems_json, sort_problems
from ..ledger.store import load_ledger, read_history, set_fields
from ..ledger.summary import query_summary
from ..ledger.uploads import cell_errors, discard, import_options, stage_check_sheet, take_check_sheet
from ..ledger.xlsx import export_ledger
from .auth import WRITE_ROLES, add_nav, audit, ext, login_required
from .errors import message_for, status_for

PAGE_SIZE = 50
EXPORT_ARGS = ("status", "unit", "village", "source", "category", "overdue", "today")
EVIDENCE_HITS = 20
_SPLIT = "、，,；; \n\t"


def _workspace():
    return ext("workspace")


def _split_numbers(values) -> list[str]:
    out = []
    for value in values:
        text = value or ""
        for sep in _SPLIT:
            text = text.replace(sep, "\n")
        out.extend(part for part in text.split("\n") if part.strip())
    return out


def register(app) -> None:
    add_nav(app, "问题台账", "ledger_page")

    # ---- the table and its /api/ twins --------------------------------------------
    @app.get("/ledger")
    @login_required()
    def ledger_page():
        ws = _workspace()
        ledger = load_ledger(ws)
        choices = {"status": PROBLEM_STATUSES, "source": PROBLEM_SOURCES,
                   "village": sorted({p.village for p in ledger if p.village}),
                   "unit": sorted({p.unit for p in ledger if p.unit}),
                   "category": sorted({p.category for p in ledger if p.category} | set(CHECK_ITEMS))}
        sort = request.args.get("sort") if request.args.get("sort") in SORTS else "pid"
        descending = request.args.get("order") == "desc"
        context = {"args": request.args, "choices": choices, "sorts": SORTS, "sort": sort,
                   "descending": descending, "rows": [], "count": 0, "page": 1, "pages": 1, "error": None,
                   "total": len(ledger),
                   "export_url": url_for("ledger_export", **{k: v for k, v in request.args.items()
                                                            if k in EXPORT_ARGS and v})}
        try:
            query = LedgerQuery.from_args(request.args)
            chosen = sort_problems(query.select(ledger), sort, descending)
        except LedgerError as err:
            context["error"] = message_for(err)
            return render_template("ledger.html", **context), status_for(err)
        pages = max(1, -(-len(chosen) // PAGE_SIZE))
        page = max(1, min(request.args.get("page", 1, type=int) or 1, pages))
        shown = chosen[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]
        audit("ledger", filters=query.shown(), total=len(chosen))
        context.update(rows=problems_json(ws, shown, query.today), count=len(chosen), page=page, pages=pages,
                       today=query.today)
        return render_template("ledger.html", **context)

    @app.get("/api/ledger")
    @login_required()
    def api_ledger():
        ws = _workspace()
        query = LedgerQuery.from_args(request.args)
        listed = problems_json(ws, choose(ws, query), query.today)
        audit("ledger", filters=query.shown(), total=len(listed), api=True)
        return jsonify(listed)

    @app.get("/api/ledger/summary")
    @login_required()
    def api_ledger_summary():
        query = LedgerQuery.from_args(request.args)
        figures = query_summary(_workspace(), query)
        audit("ledger", filters=query.shown(), total=figures["total"], api=True)
        return jsonify(figures)

    @app.get("/ledger/export.xlsx")
    @login_required()
    def ledger_export():
        ws = _workspace()
        query = LedgerQuery.from_args(request.args)
        problems = choose(ws, query)
        with tempfile.TemporaryDirectory(prefix="fupin-ledger-") as folder:
            target = Path(folder) / "问题台账.xlsx"
            count = export_ledger(ws, target, problems, today=query.today)
            data = target.read_bytes()
        audit("ledger.export", filters=query.shown(), total=count)
        response = send_file(BytesIO(data), as_attachment=True, download_name=f"问题台账-{query.today.isoformat()}.xlsx",
                             mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", max_age=0)
        response.headers["Cache-Control"] = "no-store"
        return response

    # ---- one problem ---------------------------------------------------------------
    def _problem_page(pid, *, error=None, error_field=None, status=200, form=None):
        ws = _workspace()
        problem = load_ledger(ws).get(pid)
        today = dt.date.today()
        records = read_history(ws, problem.pid)
        doubtful = problems_json(ws, [problem], today)[0]["存疑"]
        return render_template("ledger_problem.html", p=problem, records=records, fields=FIELDS, today=today,
                               display_value=display_value, error=error, error_field=error_field,
                               statuses=[s for s in PROBLEM_STATUSES if s != CLOSED_STATUS], doubtful=doubtful,
                               form=form or {}, closed=problem.status == CLOSED_STATUS), status

    @app.get("/ledger/problem/<pid>")
    @login_required()
    def ledger_problem(pid):
        page = _problem_page(pid)
        audit("ledger.view", problem=pid)
        return page

    @app.get("/api/ledger/problem/<pid>")
    @login_required()
    def api_ledger_problem(pid):
        ws = _workspace()
        today = LedgerQuery.from_args(request.args).today
        problem = load_ledger(ws).get(pid)
        data = problem.to_json(today)
        data["变更记录"] = read_history(ws, problem.pid)
        audit("ledger.view", problem=problem.pid, api=True)
        return jsonify(data)

    @app.post("/ledger/problem/<pid>/set")
    @login_required(WRITE_ROLES, write=True)
    def ledger_set(pid):
        ws = _workspace()
        form = request.form
        current = load_ledger(ws).get(pid)
        status = (form.get("status") or "").strip() or None
        if status == current.status:
            status = None  # unchanged (a 已销号 problem's page sends its own status)
        try:
            problem, changed = set_fields(ws, pid, measures=form.get("measures"), unit=form.get("unit"),
                                          person=form.get("person"), deadline=form.get("deadline"),
                                          status=status, who=g.user.name)
        except LedgerError as err:
            return _problem_page(pid, error=message_for(err), error_field=err.field, status=status_for(err),
                                 form=form)
        audit("ledger.set", problem=problem.pid, changed=changed)
        return redirect(url_for("ledger_problem", pid=problem.pid))

    @app.get("/ledger/problem/<pid>/evidence")
    @login_required(WRITE_ROLES, write=True)
    def ledger_evidence(pid):
        """The dialog's search of the archive (an htmx fragment of ticks)."""
        from ..search import search
        text = (request.args.get("q") or "").strip()
        hits, error = [], None
        if text:
            try:
                hits = list(search(_workspace(), text, limit=EVIDENCE_HITS))
            except UserError as err:  # a query the search refuses: said inside the dialog
                error = message_for(err)
            audit("search", query=text, total=len(hits), purpose=f"销号佐证 {pid}")
        return render_template("ledger_evidence.html", hits=hits, q=text, error=error)

    @app.post("/ledger/problem/<pid>/close")
    @login_required(WRITE_ROLES, write=True)
    def ledger_close(pid):
        ws = _workspace()
        form = request.form
        numbers = _split_numbers(form.getlist("evidence") + [form.get("numbers") or ""])
        try:
            date = form_date(form.get("date"), "销号日期", "date")
            problem, items = close_problem(ws, pid, numbers, date=date, who=g.user.name)
        except LedgerError as err:
            return _problem_page(pid, error=message_for(err), error_field=err.field or "evidence",
                                 status=status_for(err), form=form)
        audit("ledger.close", problem=problem.pid, evidence=[e.archive_no for e in items])
        return redirect(url_for("ledger_problem", pid=problem.pid))

    # ---- check-sheet upload: upload → preview (one-time token) → confirm ----------------
    @app.get("/ledger/upload")
    @login_required(WRITE_ROLES, write=True)
    def ledger_upload():
        return render_template("ledger_upload.html", form={}, errors=[], error=None, today=dt.date.today())

    @app.post("/ledger/upload")
    @login_required(WRITE_ROLES, write=True)
    def ledger_upload_post():
        ws = _workspace()
        form = request.form
        upload = request.files.get("sheet")
        staged = None
        try:
            options = import_options(form)
            data = upload.read() if upload else b""
            staged = stage_check_sheet(ws, data, upload.filename if upload else "", g.user.name, options)
            plan = preview_check_sheet(ws, staged.path, **options, who=g.user.name)
        except (InputError, LedgerError) as err:
            if staged is not None:
                discard(ws, staged.token)
            audit("ledger.import", file_name=upload.filename if upload else None, refused=True)
            errors = cell_errors(err) if isinstance(err, InputError) else []
            return render_template("ledger_upload.html", form=form, errors=errors,
                                   error=None if errors else message_for(err), today=dt.date.today(),
                                   file_name=upload.filename if upload else ""), 400
        return render_template("ledger_preview.html", plan=plan, staged=staged, display_value=display_value)

    @app.post("/ledger/upload/confirm")
    @login_required(WRITE_ROLES, write=True)
    def ledger_upload_confirm():
        ws = _workspace()
        token = request.form.get("token") or ""
        try:
            staged = take_check_sheet(ws, token, g.user.name)
        except LedgerError as err:
            return render_template("ledger_upload.html", form={}, errors=[], error=message_for(err),
                                   today=dt.date.today()), status_for(err)
        try:
            result = import_check_sheet(ws, staged.path, **staged.options, who=g.user.name)
        except (InputError, LedgerError) as err:
            audit("ledger.import", file_name=staged.file_name, refused=True)
            errors = cell_errors(err) if isinstance(err, InputError) else []
            return render_template("ledger_upload.html", form={}, errors=errors,
                                   error=None if errors else message_for(err), today=dt.date.today(),
                                   file_name=staged.file_name), 400
        finally:
            discard(ws, staged.token)
        audit("ledger.import", file_name=staged.file_name, created=len(result.created))
        return render_template("ledger_imported.html", result=result, file_name=staged.file_name)

    # ---- the dashboard ----------------------------------------------------------------
    @app.get("/ledger/dashboard")
    @login_required()
    def ledger_dashboard():
        query = LedgerQuery.from_args(request.args)
        data = dashboard(_workspace(), query.today)
        audit("ledger.dashboard", total=data["summary"]["total"])
        return render_template("ledger_dashboard.html", d=data, s=data["summary"])
