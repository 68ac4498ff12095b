"""What `archive list/show --json` and the server's /api/ archive pages answer:
one builder for both clients, so the two can never say different things."""

from __future__ import annotations

from .journal import action_label


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
