"""Document kinds (文种): the four the tool drafts, plus free ones for brought-in files."""

from __future__ import annotations

# Canonical key -> Chinese label. Free kinds (签到册, 照片, 台账, other …) are kept as given.
KIND_LABELS = {
    "plan": "实施方案",
    "notice": "督查通知",
    "minutes": "会议纪要",
    "rectification": "整改报告",
    "other": "其他",
}
_ALIASES = {label: key for key, label in KIND_LABELS.items()}
_ALIASES.update({"工作方案": "plan", "方案": "plan", "通知": "notice", "纪要": "minutes",
                 "其它": "other"})


def normalize_kind(kind: str | None) -> str | None:
    """'实施方案' -> 'plan'; 'PLAN' -> 'plan'; free kinds stay as given (trimmed)."""
    if kind is None:
        return None
    kind = str(kind).strip()
    if not kind:
        return None
    if kind.lower() in KIND_LABELS:
        return kind.lower()
    return _ALIASES.get(kind, kind)


def kind_label(kind: str | None) -> str:
    if not kind:
        return ""
    return KIND_LABELS.get(kind, kind)
