"""What `archive list/show --json` and the server's /api/ archive pages answer:
one builder for both clients, so the two can never say different things."""

from __future__ import annotations

from .item import EDITABLE_FIELDS
from .journal import action_label
from .kinds import kind_label


def items_json(items) -> list[dict]:
    """The items, in 档号 order (`archive list --json`)."""
    return [item.to_json() for item in sorted(items, key=lambda it: it.archive_no)]


def history_json(history) -> list[dict]:
    """Catalog records about one item, as `archive show --json` lists them."""
    return [{"seq": e["seq"], "at": e["at"], "who": e["who"], "action": e["action"],
             "action_label": action_label(e["action"]),
             "reason": (e.get("detail") or {}).get("reason"),
             "changes": (e.get("detail") or {}).get("changes") if e["action"] == "change" else None}
            for e in history]


def item_json(archive, item) -> dict:
    """One item with where its files are and its history (`archive show --json`)."""
    data = item.to_json()
    data["path"] = str(archive.file_path(item))
    data["rendition_paths"] = [str(p) for p in archive.rendition_paths(item)]
    data["history"] = history_json(archive.history(item))
    return data


def _shown(name: str, value) -> str:
    if value in (None, "", []):
        return "（空）"
    if name == "tags" and isinstance(value, list):
        return "、".join(map(str, value))
    if name == "kind":
        return kind_label(value)
    return str(value)


def describe_changes(changes) -> str:
    """'题名 “旧” → “新”；日期 “2020-03-15” → “2020-03-16”' for a change record's
    CHANGES: how every client shows a correction."""
    if not isinstance(changes, dict):
        return ""
    parts = []
    for name, change in changes.items():
        if isinstance(change, dict):
            parts.append(f"{EDITABLE_FIELDS.get(name, name)} “{_shown(name, change.get('old'))}” → "
                         f"“{_shown(name, change.get('new'))}”")
    return "；".join(parts)
