"""The pages and their /api/ twins. Each handler asks the library, audits the
access, and renders; every rule lives in the library."""

from __future__ import annotations

import time
from datetime import date
from urllib.parse import urlparse

from flask import abort, g, jsonify, redirect, render_template, request, send_file, session, url_for

from ..accounts import LoginFailed, LoginThrottled
from ..archive import Archive
from ..archive.journal import action_label, local_time
from ..archive.kinds import kind_label
from ..archive.numbering import RETENTIONS
from ..audit import audit_json, render_visit_sheet
from ..audit.log import ACCESS_ACTIONS, describe
from ..errors import UserError
from ..pack import Selection
from ..search import search
from ..text_safety import clean_text
from ..archive.listing import describe_changes, item_json, items_json
from .auth import WRITE_ROLES, accounts_of, address, audit, ext, login_required
from .browse import SORTS, facet_counts, in_branch, tree
from .errors import WEB_HINTS, message_for, status_for
from .packs import PackJobs

PAGE_SIZE = 20
AUDITED_QUERY = 500  # characters of a query kept in the access log (a pasted page need not be kept whole)
MAX_PAGES = 25  # a search page lists at most the best 500 hits; its facets count every match
ARCHIVE_PAGE_SIZE = 50


def _workspace():
    return ext("workspace")


def _archive() -> Archive:
    return Archive(_workspace())


def _safe_next(target: str | None) -> str:
    """Only a path on this server (no scheme, no host, no //): no open redirect."""
    if not target:
        return url_for("search_page")
    parsed = urlparse(target)
    if parsed.scheme or parsed.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return url_for("search_page")
    return target


def _filters(args) -> dict:
    """The search filters of a request (page or API), as the library takes them."""
    year = (args.get("year") or "").strip()
    date_from = (args.get("from") or "").strip() or None
    date_to = (args.get("to") or "").strip() or None
    if year.isdigit() and len(year) == 4:
        date_from = date_from or f"{year}-01-01"
        date_to = date_to or f"{year}-12-31"
    return {"kind": (args.get("kind") or "").strip() or None, "unit": (args.get("unit") or "").strip() or None,
            "date_from": date_from, "date_to": date_to,
            "tags": tuple(t for t in args.getlist("tag") if t.strip()),
            "retention": (args.get("retention") or "").strip() or None}


def _county_search_asked() -> bool:
    """county=1: every township's archive in the county database, for an account
    of the whole county only (a township's account asking is refused and audited)."""
    if request.args.get("county") != "1":
        return False
    if not g.user.county_wide:
        audit("denied", method=request.method, path=request.path[:200], reason="仅限全县账号")
        abort(403, description="只有全县账号（如县督查组）可以检索全县各乡镇的档案；本单位的账号请直接检索本单位的档案")
    return True


def _shown_filters(filters: dict) -> dict:
    names = {"kind": "文种", "unit": "单位", "date_from": "起", "date_to": "止", "tags": "标签", "retention": "保管期限"}
    return {names[k]: ("、".join(v) if isinstance(v, tuple) else v) for k, v in filters.items() if v}


def register(app) -> None:
    jobs = PackJobs(_workspace_of(app), app.extensions["fupin"]["pack_dir"])
    app.extensions["fupin"]["jobs"] = jobs

    # ---- login -----------------------------------------------------------------
    @app.get("/login")
    def login():
        if g.user is not None:
            return redirect(_safe_next(request.args.get("next")))
        return render_template("login.html", next=request.args.get("next", ""), notice=session.pop("notice", None),
                               error=None, username="")

    @app.post("/login")
    def login_post():
        name = (request.form.get("username") or "").strip()[:64]
        password = request.form.get("password") or ""
        try:
            user = accounts_of().authenticate(name, password, address=address())
        except (LoginFailed, LoginThrottled) as err:
            audit("login.failed", who=clean_text(name) or "（空）", role=None,
                  reason="throttled" if isinstance(err, LoginThrottled) else "bad")
            return render_template("login.html", next=request.form.get("next", ""), error=str(err),
                                   username=name, notice=None), status_for(err)
        session.clear()  # a fresh cookie (and CSRF token) at every login: no fixation
        session["token"] = accounts_of().open_session(user, address=address())
        g.user = user
        audit("login")
        return redirect(_safe_next(request.form.get("next")))

    @app.post("/logout")
    def logout():
        token = session.get("token")
        if g.user is not None:
            audit("logout")
        accounts_of().close_session(token)
        session.clear()
        session["notice"] = "已退出登录"
        return redirect(url_for("login"))

    @app.get("/")
    @login_required()
    def home():
        """A clerk's day starts at their drafts; an inspector's at search."""
        if g.user.role in WRITE_ROLES:
            return redirect(url_for("drafts_page"))
        return redirect(url_for("search_page"))

    # ---- search ------------------------------------------------------------------
    @app.get("/search")
    @login_required()
    def search_page():
        text = (request.args.get("q") or "").strip()
        filters = _filters(request.args)
        asked = bool(text or any(filters.values()))
        page = max(1, min(request.args.get("page", 1, type=int) or 1, MAX_PAGES))
        context = {"q": text, "args": request.args, "filters": filters, "asked": asked, "page": page,
                   "page_size": PAGE_SIZE, "hits": [], "facets": None, "total": 0, "exact": True, "notes": [],
                   "error": None, "scan": MAX_PAGES * PAGE_SIZE, "items": {}, "year": request.args.get("year", ""),
                   "retentions": RETENTIONS, "county": _county_search_asked(),
                   "county_offered": g.user.county_wide and bool(_workspace().config.database.url)}
        if asked:
            notes: list = []
            started = time.perf_counter()
            county = context["county"]
            try:
                # a county-wide search counts no facets: they come from this township's catalog
                hits = search(_workspace(), text, limit=page * PAGE_SIZE, notes=notes, matched=not county,
                              county=county, **filters)
            except UserError as err:
                context["error"] = message_for(err)
                return render_template("search.html", **context), status_for(err)
            items = _archive().catalog.items()
            context.update(hits=hits[(page - 1) * PAGE_SIZE: page * PAGE_SIZE], total=hits.total, exact=hits.exact,
                           facets={} if county else facet_counts(hits.matched, items), notes=notes, items=items,
                           ms=(time.perf_counter() - started) * 1000)
            audit("search", query=text[:AUDITED_QUERY], filters=_shown_filters(filters), total=hits.total,
                  **({"county": True} if county else {}))
        return render_template("search.html", **context)

    @app.get("/api/search")
    @login_required()
    def api_search():
        text = (request.args.get("q") or "").strip()
        filters = _filters(request.args)
        raw_limit = request.args.get("limit", "20").strip()
        limit = int(raw_limit) if raw_limit.isdigit() else None
        if limit is None or not 1 <= limit <= 10000:
            return jsonify({"error": "limit 应为 1 到 10000 的整数", "field": "limit", "status": 400}), 400
        notes: list = []
        county = _county_search_asked()
        hits = search(_workspace(), text, limit=limit, notes=notes, county=county, **filters)
        audit("search", query=text[:AUDITED_QUERY], filters=_shown_filters(filters), total=hits.total, api=True,
              **({"county": True} if county else {}))
        return jsonify(hits.to_json(text, notes))

    # ---- archive -------------------------------------------------------------------
    @app.get("/archive")
    @login_required()
    def archive_page():
        archive = _archive()
        include_withdrawn = request.args.get("all") == "1"
        items = archive.items(include_withdrawn=include_withdrawn)
        year, retention, org = (request.args.get(k) or None for k in ("year", "retention", "org"))
        chosen = [item for item in items if in_branch(item, year, retention, org)]
        sort = request.args.get("sort") if request.args.get("sort") in SORTS else "archive_no"
        order = "asc" if request.args.get("order") == "asc" else "desc"
        chosen.sort(key=SORTS[sort][1], reverse=order == "desc")
        pages = max(1, -(-len(chosen) // ARCHIVE_PAGE_SIZE))
        page = max(1, min(request.args.get("page", 1, type=int) or 1, pages))
        return render_template("archive.html", tree=tree(items), rows=chosen[(page - 1) * ARCHIVE_PAGE_SIZE:
                                                                             page * ARCHIVE_PAGE_SIZE],
                               count=len(chosen), page=page, pages=pages, sort=sort, order=order, sorts=SORTS,
                               year=year, retention=retention, org=org, args=request.args,
                               include_withdrawn=include_withdrawn)

    @app.get("/api/archive")
    @login_required()
    def api_archive():
        archive = _archive()
        return jsonify(items_json(archive.items(include_withdrawn=request.args.get("all") == "1")))

    @app.get("/item/<archive_no>")
    @login_required()
    def item_page(archive_no):
        archive = _archive()
        item = archive.require(archive_no)
        history = archive.history(item)
        audit("view", archive_no=item.archive_no, title=item.title)
        renditions = list(zip(item.renditions, archive.rendition_paths(item)))
        return render_template("item.html", item=item, history=history, renditions=renditions,
                               preview=_preview_path(archive, item) is not None, local_time=local_time,
                               action_label=action_label, describe_changes=describe_changes)

    @app.get("/api/item/<archive_no>")
    @login_required()
    def api_item(archive_no):
        archive = _archive()
        item = archive.require(archive_no)
        audit("view", archive_no=item.archive_no, title=item.title, api=True)
        return jsonify(item_json(archive, item))

    @app.get("/item/<archive_no>/download")
    @login_required()
    def download(archive_no):
        archive = _archive()
        item = archive.require(archive_no)
        audit("download", archive_no=item.archive_no, title=item.title, file_name=item.file_name)
        return _send(archive.file_path(item), item.file_name)

    @app.get("/item/<archive_no>/rendition/<int:number>")
    @login_required()
    def download_rendition(archive_no, number):
        archive = _archive()
        item = archive.require(archive_no)
        paths = archive.rendition_paths(item)
        if not 0 <= number < len(paths):
            abort(404)
        name = item.renditions[number].get("file_name") or paths[number].name
        audit("download", archive_no=item.archive_no, title=item.title, file_name=name)
        return _send(paths[number], name)

    @app.get("/item/<archive_no>/preview")
    @login_required()
    def preview(archive_no):
        archive = _archive()
        item = archive.require(archive_no)
        path = _preview_path(archive, item)
        if path is None:
            abort(404)
        audit("preview", archive_no=item.archive_no, title=item.title)
        response = send_file(path, mimetype="application/pdf", as_attachment=False,
                             download_name=_pdf_name(item.file_name), max_age=0, conditional=False, etag=False)
        response.headers["Content-Security-Policy"] = "default-src 'none'; frame-ancestors 'self'"
        return response

    @app.post("/item/<archive_no>/withdraw")
    @login_required(WRITE_ROLES, write=True)
    def withdraw(archive_no):
        from ..filing import withdraw_document
        reason = (request.form.get("reason") or "").strip()
        done = withdraw_document(_workspace(), archive_no, reason, who=g.user.name)
        audit("withdraw", archive_no=done.item.archive_no, title=done.item.title, reason=reason)
        return redirect(url_for("item_page", archive_no=done.item.archive_no))

    # ---- packs ---------------------------------------------------------------------
    @app.get("/packs")
    @login_required()
    def packs_page():
        return render_template("packs.html", jobs=jobs.of(g.user.name), args=request.args)

    @app.post("/packs")
    @login_required()
    def packs_post():
        form = request.form
        purpose = (form.get("purpose") or "").strip()
        if not purpose:
            return _pack_form_error("请填写用途，例如“迎接县督查组检查”")
        if len(purpose) > 200:
            return _pack_form_error("用途不超过 200 个字")
        if form.get("scope") == "all":
            filters = _filters(form)
            selection = Selection(query=(form.get("q") or "").strip() or None, kind=filters["kind"],
                                  unit=filters["unit"], date_from=filters["date_from"], date_to=filters["date_to"],
                                  tags=filters["tags"], retention=filters["retention"])
            if selection.is_empty():
                return _pack_form_error("“全部结果”需要检索词；请先检索，或勾选要打包的材料")
        else:
            ids = tuple(dict.fromkeys(i.strip() for i in form.getlist("id") if i.strip()))
            if not ids:
                return _pack_form_error("请勾选要打包的材料，或选择“全部结果”")
            selection = Selection(ids=ids)
        who, role, addr = g.user.name, g.user.role, address()
        access = ext("access")

        def done(job):
            access.record("pack", who=who, role=role, address=addr, purpose=purpose, selection=job.selection.describe(),
                          items=len(job.result.items) if job.result else None, error=job.error, pack=job.id)

        job = jobs.start(g.user.name, selection, purpose, on_done=done, ofd=form.get("ofd") == "1")
        if request.headers.get("HX-Request"):
            return render_template("_pack_status.html", job=job)
        return redirect(url_for("pack_page", job_id=job.id))

    def _pack_form_error(message):
        if request.headers.get("HX-Request"):
            return render_template("_message.html", message=message), 400
        return render_template("packs.html", jobs=jobs.of(g.user.name), args=request.form, error=message), 400

    @app.get("/packs/<job_id>")
    @login_required()
    def pack_page(job_id):
        job = jobs.get(job_id, g.user.name) or abort(404)
        return render_template("pack.html", job=job)

    @app.get("/packs/<job_id>/status")
    @login_required()
    def pack_status(job_id):
        job = jobs.get(job_id, g.user.name) or abort(404)
        return render_template("_pack_status.html", job=job)

    @app.get("/api/packs/<job_id>")
    @login_required()
    def api_pack(job_id):
        job = jobs.get(job_id, g.user.name) or abort(404)
        return jsonify(job.to_json())

    @app.get("/packs/<job_id>/download")
    @login_required()
    def pack_download(job_id):
        job = jobs.get(job_id, g.user.name) or abort(404)
        if job.state != "done":
            abort(404)
        audit("pack.download", pack=job.id, purpose=job.purpose, items=len(job.result.items))
        return _send(job.target, job.target.name)

    # ---- admin -----------------------------------------------------------------------
    @app.get("/admin/verify")
    @login_required(("admin",))
    def verify_page():
        return render_template("verify.html", report=None, access_problems=None, check=None)

    @app.post("/admin/verify")
    @login_required(("admin",))
    def verify_post():
        from ..filing import verify
        report = verify(_workspace())
        access_problems = ext("access").verify()
        audit("verify", ok=report.ok, problems=len(report.problems))
        template = "_verify_report.html" if request.headers.get("HX-Request") else "verify.html"
        fixes = [WEB_HINTS[key] for key in report.hints if WEB_HINTS.get(key)]
        return render_template(template, report=report, access_problems=access_problems, fixes=fixes)

    @app.get("/api/verify")
    @login_required(("admin",))
    def api_verify():
        from ..filing import verify
        report = verify(_workspace())
        audit("verify", ok=report.ok, problems=len(report.problems), api=True)
        return jsonify(report.to_json())

    def _check_run():
        """The DA/T 70 四性检测 of this workspace's archive at the stage asked for (归档 by
        default), logged in the archive's journal as `archive check` logs it."""
        from ..archive.four_properties import check_archive
        stage = request.values.get("stage") or "归档"
        report = check_archive(_archive(), stage, office=_workspace().config.office.name, who=g.user.name)
        audit("verify", check=stage, ok=report.ok, failed=report.counts()["不通过"])
        return report

    @app.post("/admin/check")
    @login_required(("admin",))
    def check_post():
        report = _check_run()
        template = "_check_report.html" if request.headers.get("HX-Request") else "verify.html"
        fixes = [WEB_HINTS["archive.check"]] if not report.ok else []
        return render_template(template, report=None, access_problems=None, check=report, check_fixes=fixes,
                               local_time=local_time)

    @app.get("/api/check")
    @login_required(("admin",))
    def api_check():
        data = _check_run().to_json()
        data["report"] = None  # as `archive check --json` without --report
        return jsonify(data)

    @app.get("/admin/check.pdf")
    @login_required(("admin",))
    def check_pdf():
        from io import BytesIO
        from ..archive.check_report import render_check_report
        report = _check_run()
        response = send_file(BytesIO(render_check_report(report)), mimetype="application/pdf", as_attachment=True,
                             download_name=f"四性检测报告-{report.stage}-{date.today().isoformat()}.pdf", max_age=0)
        response.headers["Cache-Control"] = "no-store"
        return response

    @app.get("/admin/audit")
    @login_required(("admin",))
    def audit_page():
        user, since = request.args.get("user") or None, request.args.get("since") or None
        records = ext("access").records(user=user, since=since)
        shown = list(reversed(records))[:500]
        return render_template("audit.html", records=shown, total=len(records), user_filter=user or "",
                               since=since or "", users=accounts_of().users(), actions=ACCESS_ACTIONS,
                               describe=describe, local_time=local_time)

    @app.get("/api/audit")
    @login_required(("admin",))
    def api_audit():
        records = ext("access").records(user=request.args.get("user") or None,
                                        since=request.args.get("since") or None)
        return jsonify(audit_json(records))

    @app.get("/admin/audit/visit.pdf")
    @login_required(("admin",))
    def visit_sheet():
        name = request.args.get("user") or ""
        user = accounts_of().get(name) or abort(404)
        return _visit_pdf(user)

    @app.get("/my/visit.pdf")
    @login_required()
    def my_visit_sheet():
        return _visit_pdf(g.user)

    def _visit_pdf(user):
        records = ext("access").records(user=user.name, since=request.args.get("since") or None)
        audit("visit_sheet", user=user.name)
        pdf = render_visit_sheet(_workspace().config.office.name, user, records, printed_by=g.user.name)
        from io import BytesIO
        response = send_file(BytesIO(pdf), mimetype="application/pdf", as_attachment=True,
                             download_name=f"查阅登记-{user.name}-{date.today().isoformat()}.pdf", max_age=0)
        response.headers["Cache-Control"] = "no-store"
        return response

    @app.get("/admin/users")
    @login_required(("admin",))
    def users_page():
        return render_template("users.html", users=accounts_of().users(), local_time=_epoch_time)

    @app.get("/api/users")
    @login_required(("admin",))
    def api_users():
        from ..accounts import users_json
        return jsonify(users_json(accounts_of().users()))

    @app.get("/api/me")
    @login_required()
    def api_me():
        return jsonify(g.user.to_json())

    app.add_url_rule("/healthz", "healthz", lambda: _health(_workspace_of(app)))
    app.jinja_env.globals.update(with_args=_with_args, without_tag=_without_tag, kind_label=kind_label)
    app.jinja_env.filters["highlight"] = _highlight


def _health(workspace):
    """ok, or 503 when the county database the workspace keeps its records in is down."""
    url = workspace.config.database.url
    if url:
        from ..workspace.database import versions
        try:
            versions(url)
        except UserError:
            return "database unavailable", 503, {"Content-Type": "text/plain"}
    return "ok", 200, {"Content-Type": "text/plain"}


def _with_args(add: bool = False, **changes) -> str:
    """This page's URL with CHANGES to its query (None removes a key; ADD appends a repeated key)."""
    args = request.args.to_dict(flat=False)
    for key, value in changes.items():
        if value is None:
            args.pop(key, None)
        elif add:
            if str(value) not in args.get(key, []):
                args.setdefault(key, []).append(str(value))
        else:
            args[key] = [str(value)]
    return url_for(request.endpoint, **(request.view_args or {}), **args)


def _without_tag(tag: str) -> str:
    """This page's URL without the tag filter TAG (the other tags and filters stay)."""
    args = request.args.to_dict(flat=False)
    args["tag"] = [t for t in args.get("tag", []) if t != tag]
    args.pop("page", None)
    return url_for(request.endpoint, **(request.view_args or {}), **args)


def _highlight(snippet: str):
    """The library's 【match】 marks as <mark>, everything else escaped."""
    from markupsafe import Markup, escape
    return Markup(str(escape(snippet)).replace("【", "<mark>").replace("】", "</mark>"))


def _workspace_of(app):
    return app.extensions["fupin"]["workspace"]


def _preview_path(archive, item):
    """The PDF to show in the browser: the file itself, else its PDF copy."""
    if (item.format or "").lower() == "pdf" or item.file_name.lower().endswith(".pdf"):
        return archive.file_path(item)
    for rendition, path in zip(item.renditions, archive.rendition_paths(item)):
        if str(rendition.get("format", "")).lower() == "pdf" or str(rendition.get("file_name", "")).lower().endswith(".pdf"):
            return path
    return None


def _pdf_name(name: str) -> str:
    return name if name.lower().endswith(".pdf") else name.rsplit(".", 1)[0] + ".pdf"


def _send(path, name: str):
    """A file as an attachment named NAME (its archived name, never a path), not cached."""
    response = send_file(path, as_attachment=True, download_name=name, max_age=0, conditional=False, etag=False)
    response.headers["Cache-Control"] = "no-store"
    return response


def _epoch_time(moment) -> str:
    if moment is None:
        return "—"
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(moment))
