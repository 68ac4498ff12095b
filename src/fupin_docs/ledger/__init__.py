"""Stage — the problem ledger (问题台账): household checks → problems → 销号 with evidence.

Public API (the `fupin ledger` commands are thin wrappers over these):
  load_ledger(ws) / edit_ledger(ws, who)         the ledger file and changes to it
  import_check_sheet(ws, xlsx, source=, date=)   排查表 → problems (one per failing item)
  import_ledger(ws, xlsx) / export_ledger(ws, xlsx)   whole ledgers as .xlsx
  set_fields(ws, pid, measures=, unit=, person=, deadline=, status=)
  close_problem(ws, pid, evidence, date=)        销号 with archived evidence
  filter_problems(...), summarize(...)
  select_problems(ws, LedgerFilter) / select_summary(ws, LedgerFilter)   for the 整改报告
  verify_ledger(ws) -> LedgerVerifyReport        状态 against the history, 销号 against the archive
"""

import importlib

# name -> submodule. Loaded on first use: the .xlsx parts pull in openpyxl, which
# a command that only reads the ledger (or a server starting up) should not pay for.
_EXPORTS = {
    "ImportResult": "check_sheet", "import_check_sheet": "check_sheet", "read_check_sheet": "check_sheet",
    "preview_check_sheet": "check_sheet",
    "LedgerError": "errors",
    "check_evidence": "evidence", "close_problem": "evidence",
    "CHECK_ITEMS": "model", "LedgerProblem": "model",
    "filter_problems": "query", "select_problems": "query",
    "Ledger": "store", "edit_ledger": "store", "history_path": "store", "ledger_path": "store",
    "load_ledger": "store", "set_fields": "store",
    "ledger_summary": "summary", "select_summary": "summary", "summarize": "summary",
    "export_ledger": "xlsx", "import_ledger": "xlsx",
    "LedgerVerifyReport": "verify", "unverified_ids": "verify", "verify_ledger": "verify",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    globals()[name] = value
    return value
