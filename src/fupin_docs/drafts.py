"""Drafts: the YAML inputs a clerk is still writing, kept per user in the workspace.

Each draft is the YAML text the CLI reads (drafts/<user>/<id>.yaml), written
atomically as it is edited, so nothing is lost when a browser tab closes and a
draft can be taken to `fupin render` as it is. A user's folder name is a digest
of the user name (any name makes a safe folder name); a draft's id is random.

    drafts = Drafts(workspace, "办事员乙")
    draft_id = drafts.create(text)
    drafts.save(draft_id, text); drafts.read(draft_id); drafts.listing()
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from .atomic import atomic_write_bytes
from .errors import UserError
from .inputs.choices import KIND_LABELS, KIND_NAMES
from .inputs.problems import InputError
from .inputs.script import to_simplified
from .inputs.yaml_source import load_yaml_text

DRAFTS_DIR = "drafts"
_ID = re.compile(r"^[0-9a-f]{16}$")
TITLE_KEYS = ("标题", "方案名称", "会议名称")
UNTITLED = "（未填写标题）"


class DraftNotFound(UserError):
    """A draft that does not exist (or is another user's)."""


@dataclass(frozen=True)
class DraftInfo:
    id: str
    kind: str | None  # plan, notice, minutes, rectification (None: not readable)
    title: str
    updated: dt.datetime

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind or "", "公文")

    def to_json(self) -> dict:
        return {"id": self.id, "kind": self.kind, "title": self.title,
                "updated": self.updated.isoformat(timespec="seconds")}


def _describe(text: str) -> tuple[str | None, str]:
    """(kind, title) of a draft's text, as far as it can be read."""
    try:
        data = load_yaml_text(text, "草稿.yaml").data
    except InputError:
        return None, UNTITLED
    if not isinstance(data, dict):
        return None, UNTITLED
    kind = KIND_NAMES.get(to_simplified(str(data.get("类型") or "").strip()))
    title = next((str(data[key]).strip() for key in TITLE_KEYS if isinstance(data.get(key), str)
                  and str(data[key]).strip()), UNTITLED)
    return kind, title


class Drafts:
    """OWNER's drafts in WORKSPACE."""

    def __init__(self, workspace, owner: str):
        digest = hashlib.sha256(owner.encode("utf-8")).hexdigest()[:24]
        self.folder = Path(workspace.root) / DRAFTS_DIR / digest
        self.owner = owner

    def path(self, draft_id: str) -> Path:
        if not isinstance(draft_id, str) or not _ID.match(draft_id):
            raise DraftNotFound("找不到这份草稿（可能已删除），请回到“起草公文”页重新打开")
        return self.folder / f"{draft_id}.yaml"

    def create(self, text: str) -> str:
        draft_id = secrets.token_hex(8)
        self.save(draft_id, text)
        return draft_id

    def save(self, draft_id: str, text: str) -> None:
        atomic_write_bytes(self.path(draft_id), text.encode("utf-8"))

    def read(self, draft_id: str) -> str:
        try:
            return self.path(draft_id).read_text(encoding="utf-8")
        except FileNotFoundError:
            raise DraftNotFound("找不到这份草稿（可能已删除），请回到“起草公文”页重新打开") from None

    def info(self, draft_id: str) -> DraftInfo:
        path = self.path(draft_id)
        kind, title = _describe(self.read(draft_id))
        return DraftInfo(draft_id, kind, title, dt.datetime.fromtimestamp(path.stat().st_mtime).astimezone())

    def delete(self, draft_id: str) -> None:
        path = self.path(draft_id)
        if not path.exists():
            raise DraftNotFound("找不到这份草稿（可能已删除），请回到“起草公文”页重新打开")
        path.unlink()
        for preview in self.folder.glob(f"{draft_id}.preview-*.pdf"):
            preview.unlink(missing_ok=True)

    def listing(self) -> list[DraftInfo]:
        """The drafts, the most recently edited first."""
        if not self.folder.is_dir():
            return []
        found = []
        for path in self.folder.glob("*.yaml"):
            if _ID.match(path.stem):
                try:
                    found.append(self.info(path.stem))
                except (DraftNotFound, OSError):
                    continue  # deleted while listing
        return sorted(found, key=lambda d: d.updated, reverse=True)

    def preview_path(self, draft_id: str, text: str) -> Path:
        """Where the preview PDF of TEXT goes (one per text: an unchanged draft is not rendered again)."""
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
        return self.folder / f"{self.path(draft_id).stem}.preview-{digest}.pdf"

    def drop_previews(self, draft_id: str, keep: Path | None = None) -> None:
        for preview in self.folder.glob(f"{self.path(draft_id).stem}.preview-*.pdf"):
            if preview != keep:
                preview.unlink(missing_ok=True)
