"""Who is asking, and may they: the current user, role checks, the audit call,
and error responses (shared by app.py and views.py)."""

from __future__ import annotations

import functools

from flask import abort, current_app, g, jsonify, redirect, render_template, request, url_for

from ..accounts import Accounts
from .errors import error_json, message_for, status_for

READ_ROLES = ("admin", "clerk", "inspector")
WRITE_ROLES = ("admin", "clerk")


def ext(name: str):
    return current_app.extensions["fupin"][name]


def accounts_of() -> Accounts:
    return ext("accounts")


def wants_json() -> bool:
    return request.path.startswith("/api/")


def error_response(err):
    status = status_for(err)
    if wants_json():
        return jsonify(error_json(err)), status
    return render_template("error.html", message=message_for(err), status=status), status


def address() -> str:
    return request.remote_addr or ""


def audit(action: str, **detail) -> None:
    """One access record for the current user (or for the name typed on the login page)."""
    user = g.get("user")
    who = detail.pop("who", None) or (user.name if user else "（未登录）")
    role = detail.pop("role", None) or (user.role if user else None)
    ext("access").record(action, who=who, role=role, address=address(), **detail)


def add_nav(app, label: str, endpoint: str, roles=READ_ROLES) -> None:
    """A menu entry in every page's header, shown to ROLES (pages outside views.py add theirs)."""
    app.extensions["fupin"]["nav"].append({"label": label, "endpoint": endpoint, "roles": tuple(roles)})


def login_required(roles=READ_ROLES, *, write: bool = False):
    """A page for ROLES. No session: /api/ answers 401, a page sends to /login.
    A role not in ROLES: 403, and the attempt is audited."""
    def decorate(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            user = g.get("user")
            if user is None:
                if wants_json():
                    return jsonify({"error": "请先登录", "field": None, "status": 401}), 401
                nxt = request.full_path.rstrip("?") if request.method == "GET" else None
                return redirect(url_for("login", next=nxt) if nxt and nxt != "/" else url_for("login"))
            if user.role not in roles:
                audit("denied", method=request.method, path=request.path[:200],
                      reason="写操作" if write else "仅限管理员")
                abort(403)
            return view(*args, **kwargs)
        return wrapper
    return decorate
