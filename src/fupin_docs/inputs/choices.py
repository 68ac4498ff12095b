"""The fixed vocabularies of the inputs, as plain data: no pydantic, so the
command line and the ledger can use them without loading the models."""

from __future__ import annotations

KIND_NAMES = {
    "plan": "plan", "实施方案": "plan", "工作方案": "plan", "方案": "plan",
    "notice": "notice", "督查通知": "notice", "督战通知": "notice", "通知": "notice",
    "minutes": "minutes", "会议纪要": "minutes", "纪要": "minutes",
    "rectification": "rectification", "整改报告": "rectification", "报告": "rectification",
}
KIND_LABELS = {"plan": "实施方案", "notice": "督查通知", "minutes": "会议纪要", "rectification": "整改报告"}

PROBLEM_SOURCES = ("国考反馈", "省考反馈", "市考反馈", "第三方评估", "暗访督查", "巡视巡察", "审计", "自查")
PROBLEM_STATUSES = ("未整改", "整改中", "已整改", "已销号")
DONE_STATUSES = ("已整改", "已销号")
