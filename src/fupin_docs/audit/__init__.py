"""Stage — the access journal: who logged in, searched, viewed, downloaded and
packed what, when and from where.

It is the archive's own journal format (archive/journal.py: append-only JSON
lines, each record chained to the one before by its SHA-256, a head file
against truncation) in a file of its own beside the archive,
workspace/audit/access.jsonl, so that thousands of searches do not grow the
archive's catalog chain (which every `archive verify` reads in full).

    from fupin_docs.audit import AccessLog
    log = AccessLog(workspace)
    log.record("search", who="督查组1", role="inspector", address="192.0.2.7", query="饮水安全")
    for record in log.records(user="督查组1"): ...
"""

from .log import ACCESS_ACTIONS, AccessLog, audit_json, parse_since
from .visit_sheet import render_visit_sheet, visit_sheet_html

__all__ = ["ACCESS_ACTIONS", "AccessLog", "audit_json", "parse_since", "render_visit_sheet", "visit_sheet_html"]
