"""The JSON the /api/ pages answer: for each question, exactly what the CLI's
--json prints for the same question. No Flask here, so the CLI can call the
same functions (see the report of issue 11: cli/search.py and cli/archive.py
still build their JSON inline; tests/test_server_api.py compares both outputs
byte for byte until they call these).
"""

from __future__ import annotations

from ..archive.journal import action_label


def search_json(text: str, hits, notes: list) -> dict:
    """`fupin search TEXT … --json`."""
    return {"query": text, "total": hits.total, "total_exact": hits.exact, "shown": len(hits),
            "notes": notes, "hits": [hit.to_json() for hit in hits]}


def items_json(items) -> list[dict]:
    """`fupin archive list [--all] --json` (ITEMS in 档号 order)."""
    return [item.to_json() for item in sorted(items, key=lambda it: it.archive_no)]


def history_json(history) -> list[dict]:
    return [{"seq": e["seq"], "at": e["at"], "who": e["who"], "action": e["action"],
             "action_label": action_label(e["action"]),
             "reason": (e.get("detail") or {}).get("reason"),
             "changes": (e.get("detail") or {}).get("changes") if e["action"] == "change" else None}
            for e in history]


def item_json(archive, item) -> dict:
    """`fupin archive show ARCHIVE_NO --json`."""
    data = item.to_json()
    data["path"] = str(archive.file_path(item))
    data["rendition_paths"] = [str(p) for p in archive.rendition_paths(item)]
    data["history"] = history_json(archive.history(item))
    return data


def verify_json(report) -> dict:
    """`fupin archive verify --json`."""
    return report.to_json()


def pack_json(result) -> dict:
    """`fupin pack … --json`."""
    return result.as_dict()
