"""Two users completing the same task at the same moment: exactly one wins."""

from __future__ import annotations

import threading

from engine import Engine
from engine.errors import TaskAlreadyHandled
from tests.helpers import task_named

APPLICATION = {"title": "并发测试项目", "plan": "五大体系完整的实施方案"}


def test_simultaneous_completion_applies_once(deployed):
    instance_id = deployed.start("approval", "app1", {"applicant_unit": "511802", "year": 2008})
    row = task_named(deployed, "app1", "submit")
    # Two engines: separate connection pools, as two web processes would have.
    contenders = [("app1", Engine(deployed.settings)), ("app1b", Engine(deployed.settings))]
    barrier = threading.Barrier(len(contenders))
    outcomes: dict[str, object] = {}

    def attempt(username: str, engine: Engine) -> None:
        barrier.wait()
        try:
            outcomes[username] = engine.complete(username, row.id, APPLICATION)
        except TaskAlreadyHandled as error:
            outcomes[username] = error

    threads = [threading.Thread(target=attempt, args=contender) for contender in contenders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    winners = [user for user, outcome in outcomes.items() if outcome == instance_id]
    losers = [outcome for outcome in outcomes.values() if isinstance(outcome, TaskAlreadyHandled)]
    assert len(winners) == 1 and len(losers) == 1
    assert winners[0] in losers[0].message  # "already handled by <winner> at <time>"
    events = deployed.instance("admin", instance_id).events
    assert [e.actor for e in events if e.kind == "task_completed"] == winners
    assert [s["id"] for s in deployed.instance("admin", instance_id).steps] == ["county_review"]
    for _user, engine in contenders:
        engine.db.dispose()
