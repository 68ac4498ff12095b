"""Stage — accounts of `fupin serve`: users, roles, password checks, login
throttling and server-side sessions, kept in the workspace (SQLite).

    from fupin_docs.accounts import Accounts
    accounts = Accounts(workspace)
    accounts.add_user("督查组1", "inspector", "Jiancha2020", expires="3d")
    user = accounts.authenticate("督查组1", "Jiancha2020", address="192.0.2.7")
    token = accounts.open_session(user, address="192.0.2.7")
    accounts.session_user(token)         # the User, or None once revoked or expired

Nothing here knows about the web: the server and `fupin user` are its clients.
Every refusal is a UserError whose Chinese message names no account detail a
stranger could use (a wrong name and a wrong password read the same).
"""

from .store import (ROLES, Accounts, LoginFailed, LoginThrottled, Session, User, check_password_rules,
                    parse_expiry, users_json)

__all__ = ["ROLES", "Accounts", "LoginFailed", "LoginThrottled", "Session", "User", "check_password_rules",
           "parse_expiry", "users_json"]
