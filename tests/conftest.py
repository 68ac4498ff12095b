"""Shared test helpers, and the rule that no test is skipped unnoticed."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from fupin_docs.workspace import init_workspace, open_workspace

# --- a skipped test fails the run --------------------------------------------
# `make test` installs everything the suite needs (scripts/setup-system.sh), so
# a skip means a test silently did not run: a missing tool, a missing data file,
# a broken import. The run lists every skip with its reason and exits non-zero.
# A developer on a machine without, say, LibreOffice can still run the rest with
# FUPIN_ALLOW_SKIPS=1 (the skips are listed, the exit status is left alone).
# Deselecting (`-m "not bench"`, `-k ...`) is not skipping and is not counted.

_SKIPPED: list[tuple[str, str]] = []


def _skip_reason(report) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:  # (path, line, "Skipped: why")
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(longrepr)


def pytest_collectreport(report):
    if report.skipped:
        _SKIPPED.append((report.nodeid or "(collection)", _skip_reason(report)))


def pytest_runtest_logreport(report):
    if report.skipped and not hasattr(report, "wasxfail"):
        _SKIPPED.append((report.nodeid, _skip_reason(report)))


def _skips_allowed() -> bool:
    return os.environ.get("FUPIN_ALLOW_SKIPS", "") not in ("", "0")


def pytest_terminal_summary(terminalreporter):
    if not _SKIPPED:
        return
    verdict = "allowed by FUPIN_ALLOW_SKIPS" if _skips_allowed() else "the run FAILS"
    terminalreporter.section(f"skipped tests ({len(_SKIPPED)}): {verdict}", sep="=", red=True, bold=True)
    for nodeid, reason in _SKIPPED:
        terminalreporter.line(f"SKIPPED {nodeid}: {reason}")
    if not _skips_allowed():
        terminalreporter.line("Every test must run: install what the reason names "
                              "(scripts/setup-system.sh), or set FUPIN_ALLOW_SKIPS=1 for a local run.")


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session, exitstatus):
    if _SKIPPED and not _skips_allowed() and session.exitstatus in (pytest.ExitCode.OK,
                                                                   pytest.ExitCode.NO_TESTS_COLLECTED):
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def make_workspace(root: Path):
    """A real workspace (fupin.toml and folders, no examples), as `fupin init` makes it.
    With FUPIN_TEST_BACKEND=county, on a fresh database of a cluster started once."""
    if os.environ.get("FUPIN_TEST_BACKEND") == "county":
        return county_workspace(root, _shared_cluster().new_database())
    init_workspace(root, with_examples=False)
    return open_workspace(root)


_CLUSTER: list = []


def _shared_cluster():
    if not _CLUSTER:
        import atexit
        from pg_cluster import Cluster
        _CLUSTER.append(Cluster())
        atexit.register(_CLUSTER[0].stop)
    return _CLUSTER[0]


# --- the two storage backends ---------------------------------------------------
# Embedded (journal, Whoosh, SQLite in the workspace) and the county database (a
# real PostgreSQL cluster the tests start: tests/pg_cluster.py). A test that takes
# `any_workspace` runs once on each.
BACKENDS = ("embedded", "county")


@pytest.fixture(scope="session")
def pg_cluster():
    from pg_cluster import Cluster
    running = Cluster()
    yield running
    running.stop()


def county_workspace(root: Path, url: str, *, fonds: str = "Z001", org: str = "ZFB"):
    """A workspace whose catalog, index, accounts and access log are in the county
    database at URL (a fupin.toml already at ROOT is kept, its [database] added)."""
    from fupin_docs.county import upgrade_database
    config = root / "fupin.toml"
    if config.exists() and "[database]" not in config.read_text(encoding="utf-8"):
        with open(config, "a", encoding="utf-8") as handle:
            handle.write(f'\n[database]\nurl = "{url}"\n')
    init_workspace(root, with_examples=False, database_url=url)
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace('fonds = "Z001"', f'fonds = "{fonds}"').replace('org_code = "ZFB"', f'org_code = "{org}"'),
                      encoding="utf-8")
    upgrade_database(url)
    return open_workspace(root)


def workspace_on(backend: str, root: Path, request):
    """make_workspace on BACKEND ("embedded" or "county": a fresh database in the session's cluster)."""
    if backend == "embedded":
        return make_workspace(root)
    return county_workspace(root, request.getfixturevalue("pg_cluster").new_database())


@pytest.fixture(params=BACKENDS)
def any_workspace(request, tmp_path):
    """A fresh workspace at tmp_path/ws, embedded or on the county database."""
    return workspace_on(request.param, tmp_path / "ws", request)


def write_workbook(path: Path, rows: list[list]) -> Path:
    """A real .xlsx at PATH whose first sheet holds ROWS (openpyxl, as Excel would save it)."""
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


def ledger_state(ws) -> tuple[list[dict], list[dict]]:
    """Everything the ledger holds (problems, change history), wherever the workspace
    keeps it: to assert that a refused change changed nothing, on either backend."""
    from fupin_docs.ledger.store import ledger_contents
    return ledger_contents(ws)


def on_county_database(ws) -> bool:
    """True when WS keeps its catalog, index and ledger in the county database."""
    return bool(ws.config.database.url)


def copy_workspace(ws, root: Path):
    """A second workspace at ROOT holding what WS holds, changed independently of it:
    a copy of the folder, or on the county database the township exported and
    imported again into a fresh database of the same cluster (the library's own move)."""
    import shutil
    if not on_county_database(ws):
        shutil.copytree(ws.root, root)
        return make_workspace(root)
    import uuid
    import psycopg
    from psycopg.conninfo import conninfo_to_dict, make_conninfo
    from fupin_docs.county import export_workspace, import_workspace
    exported = root.with_name(root.name + "-exported")
    export_workspace(ws, exported)
    name = "t_" + uuid.uuid4().hex[:12]
    with psycopg.connect(ws.config.database.url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    params = conninfo_to_dict(ws.config.database.url)
    url = f"postgresql://{params.get('user', 'postgres')}@/{name}?host={params['host']}"
    target = county_workspace(root, url, fonds=ws.config.archive.fonds, org=ws.config.archive.org_code)
    import_workspace(exported, target)
    return open_workspace(root)


def squash(text: str) -> str:
    """Text without whitespace: renderers break lines where they like."""
    return re.sub(r"\s+", "", text)


def in_order(words: list[str], text: str) -> list[str]:
    """The words NOT found in order in TEXT (empty when all are)."""
    missing, position = [], 0
    for word in words:
        word = squash(word)
        found = text.find(word, position)
        if found < 0:
            missing.append(word)
        else:
            position = found + len(word)
    return missing
