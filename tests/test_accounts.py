"""Accounts of fupin serve: password rules, roles, expiry, throttling, sessions, `fupin user`."""

from __future__ import annotations

import json
import os
import stat
import time

import pytest
from click.testing import CliRunner

from conftest import make_workspace
from fupin_docs.accounts import Accounts, LoginFailed, LoginThrottled, check_password_rules, parse_expiry
from fupin_docs.audit import AccessLog
from fupin_docs.cli.main import cli
from fupin_docs.errors import UserError


@pytest.fixture
def ws(any_workspace):
    """Every test here runs on the embedded accounts (SQLite) and on the county database."""
    return any_workspace


@pytest.mark.parametrize("password, why", [("abc123", "至少 8 位"), ("abcdefghij", "字母和数字"),
                                           ("1234567890", "字母和数字"), ("张三2020abc", None),
                                           ("a1a1a1a1a1", "过于简单")])
def test_password_rules_a_clerk_can_follow(password, why):
    if why is None:
        check_password_rules(password, "张三")
        return
    with pytest.raises(UserError, match=why) as caught:
        check_password_rules(password, "张三")
    assert caught.value.field == "password"


def test_password_not_the_name():
    with pytest.raises(UserError, match="不能与用户名相同"):
        check_password_rules("Zhang2020", "zhang2020")


def test_add_and_authenticate(ws):
    accounts = Accounts(ws)
    accounts.add_user("张三", "clerk", "Sanxing2020")
    user = accounts.authenticate("张三", "Sanxing2020", address="127.0.0.1")
    assert user.role == "clerk" and not user.read_only and user.last_login is None
    assert accounts.get("张三").last_login is not None
    stored = accounts._query("SELECT password FROM users")[0]["password"]
    assert stored.startswith("$argon2id$") and "Sanxing2020" not in stored
    if accounts.path is not None:  # the embedded file: its owner's only
        assert stat.S_IMODE(os.stat(accounts.path).st_mode) == 0o600
    with pytest.raises(UserError, match="已存在"):
        accounts.add_user("张三", "admin", "Sanxing2021")


def test_inspector_needs_an_expiry(ws):
    with pytest.raises(UserError, match="必须给出有效期") as caught:
        Accounts(ws).add_user("督查组", "inspector", "Jiancha2020")
    assert caught.value.field == "expires"


def test_parse_expiry():
    now = 1_600_000_000.0
    assert parse_expiry("3d", now) == now + 3 * 86400
    assert parse_expiry("12h", now) == now + 12 * 3600
    assert parse_expiry("2天", now) == now + 2 * 86400
    assert parse_expiry(None, now) is None
    with pytest.raises(UserError, match="写法不对"):
        parse_expiry("三天", now)
    with pytest.raises(UserError, match="已经过去"):
        parse_expiry("2000-01-01")


def test_one_message_for_every_refusal(ws):
    accounts = Accounts(ws)
    accounts.add_user("张三", "clerk", "Sanxing2020")
    accounts.add_user("李四", "clerk", "Lisi2020xx")
    accounts.disable("李四")
    accounts.add_user("督查组", "inspector", "Jiancha2020", expires=time.time() + 1)
    time.sleep(1.1)
    messages = set()
    for name, password in (("王五", "Sanxing2020"), ("张三", "Wrong2020x"), ("李四", "Lisi2020xx"),
                           ("督查组", "Jiancha2020")):
        with pytest.raises(LoginFailed) as caught:
            accounts.authenticate(name, password, address="10.0.0.1")
        messages.add(str(caught.value))
    assert len(messages) == 1


def test_throttling_per_name_and_address(ws):
    accounts = Accounts(ws)
    accounts.add_user("张三", "clerk", "Sanxing2020")
    for _ in range(5):
        with pytest.raises(LoginFailed):
            accounts.authenticate("张三", "Wrong2020x", address="192.0.2.1")
    with pytest.raises(LoginThrottled, match="分钟后再试"):
        accounts.authenticate("张三", "Sanxing2020", address="192.0.2.1")
    # the same name from another address, and a name that does not exist, behave alike
    assert accounts.authenticate("张三", "Sanxing2020", address="192.0.2.2").name == "张三"
    for _ in range(5):
        with pytest.raises(LoginFailed):
            accounts.authenticate("无此人", "Wrong2020x", address="192.0.2.1")
    with pytest.raises(LoginThrottled):
        accounts.authenticate("无此人", "Wrong2020x", address="192.0.2.1")


def test_sessions_end_on_logout_idle_disable_password_and_expiry(ws):
    accounts = Accounts(ws, idle_seconds=1)
    accounts.add_user("张三", "clerk", "Sanxing2020")
    user = accounts.get("张三")
    token = accounts.open_session(user, address="127.0.0.1")
    assert accounts.session_user(token).name == "张三"
    accounts.close_session(token)
    assert accounts.session_user(token) is None
    token = accounts.open_session(user)
    time.sleep(1.2)
    assert accounts.session_user(token) is None  # idle too long
    token = accounts.open_session(user)
    accounts.set_password("张三", "Sanxing2021")
    assert accounts.session_user(token) is None
    token = accounts.open_session(accounts.get("张三"))
    accounts.disable("张三")
    assert accounts.session_user(token) is None
    accounts.add_user("督查组", "inspector", "Jiancha2020", expires=time.time() + 1)
    lasting = Accounts(ws)  # no idle limit to speak of: only the account's expiry ends it
    token = lasting.open_session(lasting.get("督查组"))
    assert lasting.session(token).ends_at <= lasting.get("督查组").expires_at
    time.sleep(1.1)
    assert lasting.session_user(token) is None
    assert accounts._query("SELECT COUNT(*) AS n FROM sessions WHERE id = ?",
                           (token,))[0]["n"] == 0  # only its hash was ever stored


def test_cli_user_commands(ws):
    runner = CliRunner()
    base = ["--workspace", str(ws.root), "user"]
    added = runner.invoke(cli, [*base, "add", "督查组1", "--role", "inspector", "--expires", "3d", "--password-stdin"],
                          input="Jiancha2020\n")
    assert added.exit_code == 0, added.output
    assert "已添加用户 督查组1（督查组（只读））" in added.output
    weak = runner.invoke(cli, [*base, "add", "张三", "--role", "admin", "--password-stdin"], input="123\n")
    assert weak.exit_code == 1 and "密码至少 8 位" in weak.output
    listed = json.loads(runner.invoke(cli, [*base, "list", "--json"]).stdout)
    assert [u["name"] for u in listed] == ["督查组1"]
    assert set(listed[0]) == {"name", "role", "role_label", "created_at", "expires_at", "disabled", "expired",
                              "last_login", "county_wide"}
    assert listed[0]["county_wide"] is False
    assert runner.invoke(cli, [*base, "disable", "督查组1"]).exit_code == 0
    assert json.loads(runner.invoke(cli, [*base, "list", "--json"]).stdout)[0]["disabled"] is True
    changed = runner.invoke(cli, [*base, "passwd", "督查组1", "--password-stdin"], input="Jiancha2021\n")
    assert changed.exit_code == 0
    assert Accounts(ws).authenticate("督查组1", "Jiancha2021").name == "督查组1"
    unknown = runner.invoke(cli, [*base, "passwd", "无此人", "--password-stdin"], input="Jiancha2021\n")
    assert unknown.exit_code == 1 and "没有用户" in unknown.output


def test_serve_refuses_without_an_admin(ws):
    result = CliRunner().invoke(cli, ["--workspace", str(ws.root), "serve", "--port", "0"])
    assert result.exit_code == 1
    assert "fupin user add 用户名 --role admin" in result.output


def test_townships_see_their_own_users_and_the_countys(pg_cluster, tmp_path):
    """On one county database, a township's server knows its own accounts and the
    county-wide ones (the county's inspection team), never another township's."""
    from conftest import county_workspace
    url = pg_cluster.new_database()
    east = county_workspace(tmp_path / "东镇", url, fonds="Z101", org="DZ")
    west = county_workspace(tmp_path / "西镇", url, fonds="Z102", org="XZ")
    runner = CliRunner()
    added = runner.invoke(cli, ["--workspace", str(east.root), "user", "add", "东镇办事员", "--role", "clerk",
                                "--password-stdin"], input="Dongzhen2020\n")
    assert added.exit_code == 0, added.output
    county = runner.invoke(cli, ["--workspace", str(east.root), "user", "add", "县督查组", "--role", "inspector",
                                 "--expires", "3d", "--county", "--password-stdin"], input="Xianducha2020\n")
    assert county.exit_code == 0, county.output
    assert Accounts(east).authenticate("东镇办事员", "Dongzhen2020").name == "东镇办事员"
    with pytest.raises(LoginFailed):
        Accounts(west).authenticate("东镇办事员", "Dongzhen2020")
    assert [u.name for u in Accounts(west).users()] == ["县督查组"]
    assert Accounts(west).authenticate("县督查组", "Xianducha2020").read_only
    taken = runner.invoke(cli, ["--workspace", str(west.root), "user", "add", "东镇办事员", "--role", "clerk",
                                "--password-stdin"], input="Xizhen2020x\n")
    assert taken.exit_code == 1 and "已被占用" in taken.output


@pytest.mark.embedded  # a workspace without the county database, by its name
def test_county_accounts_need_the_county_database(tmp_path):
    ws = make_workspace(tmp_path / "ws")
    result = CliRunner().invoke(cli, ["--workspace", str(ws.root), "user", "add", "县督查组", "--role", "inspector",
                                      "--expires", "3d", "--county", "--password-stdin"], input="Xianducha2020\n")
    assert result.exit_code == 1 and "县级数据库" in result.output and "--county" in result.output


def test_a_session_opens_only_on_its_townships_server(pg_cluster, tmp_path):
    from conftest import county_workspace
    url = pg_cluster.new_database()
    east = county_workspace(tmp_path / "东镇", url, fonds="Z101", org="DZ")
    west = county_workspace(tmp_path / "西镇", url, fonds="Z102", org="XZ")
    Accounts(east).add_user("东镇办事员", "clerk", "Dongzhen2020")
    token = Accounts(east).open_session(Accounts(east).get("东镇办事员"))
    assert Accounts(east).session_user(token).name == "东镇办事员"
    assert Accounts(west).session_user(token) is None


def test_a_county_account_changes_only_when_the_change_says_so(pg_cluster, tmp_path):
    """A township's admin at its console cannot stop or take over the county's
    inspection team by a routine `user disable` / `user passwd`: the change has to
    say it is meant for the county-wide account."""
    from conftest import county_workspace
    url = pg_cluster.new_database()
    east = county_workspace(tmp_path / "东镇", url, fonds="Z101", org="DZ")
    west = county_workspace(tmp_path / "西镇", url, fonds="Z102", org="XZ")
    Accounts(east).add_user("县督查组", "inspector", "Jiancha2020", expires="3d", county_wide=True)
    assert Accounts(west).get("县督查组").county_wide is True
    runner = CliRunner()
    refused = runner.invoke(cli, ["--workspace", str(west.root), "user", "passwd", "县督查组", "--password-stdin"],
                            input="Qiangzhan2020\n")
    assert refused.exit_code == 1 and "全县账号" in refused.output and "--county" in refused.output
    assert runner.invoke(cli, ["--workspace", str(west.root), "user", "disable", "县督查组"]).exit_code == 1
    assert Accounts(east).authenticate("县督查组", "Jiancha2020").name == "县督查组"  # unchanged
    with pytest.raises(UserError, match="全县账号"):
        Accounts(west).set_password("县督查组", "Qiangzhan2020")
    done = runner.invoke(cli, ["--workspace", str(west.root), "user", "passwd", "县督查组", "--county",
                               "--password-stdin"], input="Xinmima2020\n")
    assert done.exit_code == 0, done.output
    assert Accounts(east).authenticate("县督查组", "Xinmima2020").name == "县督查组"
    assert runner.invoke(cli, ["--workspace", str(east.root), "user", "disable", "县督查组", "--county"]).exit_code == 0
    assert Accounts(west).get("县督查组").disabled
    # every change is in the access log of the township that made it, with who made it
    [changed] = AccessLog(west).records(actions=("account",))
    assert changed["detail"]["change"] == "passwd" and changed["detail"]["user"] == "县督查组"
    assert changed["detail"]["county_wide"] is True and changed["who"]
    assert [r["detail"]["change"] for r in AccessLog(east).records(actions=("account",))] == ["add", "disable"]
    listed = runner.invoke(cli, ["--workspace", str(west.root), "user", "list"]).output
    assert "县督查组\t督查组（只读）（全县账号）" in listed
    audit = runner.invoke(cli, ["--workspace", str(east.root), "audit", "list"]).output
    assert "停用账号 县督查组（全县账号）" in audit
