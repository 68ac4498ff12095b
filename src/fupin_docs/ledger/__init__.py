"""Stage — the problem ledger (问题台账): household checks → problems → 销号 with evidence.

Public API (the `fupin ledger` commands are thin wrappers over these):
  load_ledger(ws) / edit_ledger(ws, who)         the ledger file and changes to it
  import_check_sheet(ws, xlsx, source=, date=)   排查表 → problems (one per failing item)
  import_ledger(ws, xlsx) / export_ledger(ws, xlsx)   whole ledgers as .xlsx
  set_fields(ws, pid, measures=, unit=, person=, deadline=, status=)
  close_problem(ws, pid, evidence, date=)        销号 with archived evidence
  filter_problems(...), summarize(...)
  select_problems(ws, LedgerFilter) / select_summary(ws, LedgerFilter)   for the 整改报告
"""

from .check_sheet import ImportResult, import_check_sheet, read_check_sheet
from .errors import LedgerError
from .evidence import check_evidence, close_problem
from .model import CHECK_ITEMS, LedgerProblem
from .query import filter_problems, select_problems, select_summary
from .store import Ledger, edit_ledger, history_path, ledger_path, load_ledger, set_fields
from .summary import ledger_summary, summarize
from .xlsx import export_ledger, import_ledger

__all__ = ["CHECK_ITEMS", "ImportResult", "Ledger", "LedgerError", "LedgerProblem", "check_evidence",
           "close_problem", "edit_ledger", "export_ledger", "filter_problems", "history_path",
           "import_check_sheet", "import_ledger", "ledger_path", "ledger_summary", "load_ledger",
           "read_check_sheet", "select_problems", "select_summary", "set_fields", "summarize"]
