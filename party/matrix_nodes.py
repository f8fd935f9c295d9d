"""The columns of the party projects' matrix chart (矩阵管理图): the milestones of a year, from the
application to the closing, each with the steps that reach it and where the year plan's calendar
plans it."""

from __future__ import annotations

from engine.domain import MilestoneNode


def _quarter(index: int) -> MilestoneNode:
    following = ("quarters", index + 1, "opens") if index < 3 else None
    return MilestoneNode(f"q{index + 1}", frozenset({"report"}), ("quarters", index, "due"),
                         ("quarters", index, "opens"), following)


def _stage(stage: str, following: str | None) -> MilestoneNode:
    return MilestoneNode(stage, frozenset({"score"}), ("acceptance", stage, "due"), ("acceptance", stage, "opens"),
                         ("acceptance", following, "opens") if following else None)


# The milestone nodes of a year's projects, in the order of the year.
NODES: tuple[MilestoneNode, ...] = (
    MilestoneNode("apply", frozenset({"submit_key", "submit_demo"}), ("application_close",)),
    MilestoneNode("review", frozenset({"city_review"})),
    MilestoneNode("argue", frozenset({"decide"}), ("argumentation_deadline",)),
    MilestoneNode("approve", frozenset({"approve"}), ("approval_deadline",)),
    _quarter(0), _quarter(1), _quarter(2), _quarter(3),
    MilestoneNode("midyear", frozenset({"midyear"}), ("midyear", "due")),
    _stage("early", "mid"), _stage("mid", "late"), _stage("late", None),
    MilestoneNode("benefit", frozenset({"evaluate"}), ("benefit_evaluation", "due")),
    MilestoneNode("closed", frozenset()),
)
