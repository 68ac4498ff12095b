"""The Flask application of `fupin serve`: sessions, roles, security headers,
audit, and the error mapping. The pages themselves are in views.py.

Sessions: Flask's signed cookie (HttpOnly, SameSite=Strict) carries only the
random token of a server-side session in the workspace's accounts database,
so logout, expiry, disabling a user and a new password end it for good.
"""

from __future__ import annotations

import os
import secrets
import time
from pathlib import Path

from flask import Flask, g, jsonify, render_template, request, session
from flask_wtf.csrf import CSRFError, CSRFProtect

from ..accounts import Accounts
from ..audit import AccessLog
from ..errors import FupinError
from ..workspace.database import township

from .auth import WRITE_ROLES, accounts_of, error_response, wants_json

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
       "base-uri 'none'; form-action 'self'; frame-ancestors 'self'")
# A PDF shown in the item page's frame: Chromium's viewer needs plugin content.
PREVIEW_CSP = "default-src 'none'; frame-ancestors 'self'"


def _secret_key(workspace) -> bytes:
    """The key that signs session cookies, kept beside the accounts (owner-only), so
    a restart keeps everyone logged in."""
    path = Path(workspace.root) / "accounts" / "secret.key"
    try:
        key = path.read_bytes()
        if len(key) >= 32:
            return key
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(key)
    return key


# What a page says for the refusals HTTP itself makes.
HTTP_REFUSALS = {
    403: "您的账号没有此项操作的权限（督查组账号只能查阅、下载和生成材料包）",
    404: "找不到这个页面或文件",
    405: "不支持这种请求方式",
    413: "提交的内容过大，请减少后重试",
}


def create_app(workspace, *, accounts: Accounts | None = None, pack_dir: str | Path | None = None) -> Flask:
    """The server for WORKSPACE (an opened fupin_docs.workspace.Workspace)."""
    app = Flask(__name__, static_folder="static", template_folder="templates")
    app.config.update(
        SECRET_KEY=_secret_key(workspace),
        # one cookie per township: two townships' servers on one host (browsers ignore
        # the port) must not log each other's users out
        SESSION_COOKIE_NAME=("fupin_session_" + township(workspace).replace("/", "_")
                             if workspace.config.database.url else "fupin_session"),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session it belongs to
        MAX_CONTENT_LENGTH=1 << 20,  # forms and uploads (a 701-household check sheet is ~40 KB)
        SEND_FILE_MAX_AGE_DEFAULT=3600,
        JSON_AS_ASCII=False,
    )
    app.json.ensure_ascii = False
    app.json.sort_keys = False  # the keys in the order the CLI prints them
    app.extensions["fupin"] = {
        "workspace": workspace,
        "accounts": accounts or Accounts(workspace),
        "access": AccessLog(workspace),
        "pack_dir": Path(pack_dir) if pack_dir else Path(workspace.root) / "packs" / "web",
        "nav": [],
    }
    CSRFProtect(app)

    @app.before_request
    def load_user():
        g.started = time.perf_counter()
        g.user = None
        g.session_ended = False
        token = session.get("token")
        if token:
            found = accounts_of().session(token)
            if found is None:
                session.pop("token", None)
                session["notice"] = "登录已结束（账号到期或长时间未操作），请重新登录"
                g.session_ended = True
            else:
                g.user = found.user
                g.session_ends = found.ends_at

    @app.after_request
    def headers(response):
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers["X-Frame-Options"] = "SAMEORIGIN"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        if not request.path.startswith("/static/"):
            response.headers["Cache-Control"] = "no-store"
        response.headers["Server-Timing"] = f"app;dur={(time.perf_counter() - g.get('started', time.perf_counter())) * 1000:.1f}"
        return response

    @app.errorhandler(FupinError)
    @app.errorhandler(OSError)
    def library_error(err):
        return error_response(err)

    def refusal(message: str, status: int, field: str | None = None):
        if wants_json():
            return jsonify({"error": message, "field": field, "status": status}), status
        return render_template("error.html", message=message, status=status), status

    @app.errorhandler(CSRFError)
    def csrf_error(err):
        return refusal("页面已过期或来源不明（安全校验未通过），请刷新页面后重试", 400, "csrf_token")

    def refused(err, status, message):
        # a refusal that says why (abort(403, description=...)) is shown as it is
        said = getattr(err, "description", None)
        return refusal(said if said and said != type(err).description else message, status)

    for status, message in HTTP_REFUSALS.items():
        app.register_error_handler(status, lambda err, status=status, message=message: refused(err, status, message))

    @app.context_processor
    def page_globals():
        from ..accounts import ROLES
        return {"user": g.get("user"), "roles": ROLES, "office": workspace.config.office.name,
                "extra_nav": app.extensions["fupin"]["nav"],
                "can_write": bool(g.get("user") and g.user.role in WRITE_ROLES)}

    # Each page module registers its routes and, through add_nav, its menu entries.
    from . import drafting, ledger_pages, views
    views.register(app)
    drafting.register(app)
    ledger_pages.register(app)
    return app
