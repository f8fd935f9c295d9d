"""Model versions: once per content, pinned instances, deep loops, library traps."""

from __future__ import annotations

import shutil

import pytest

from engine.errors import NotAllowed
from tests.conftest import DIAGRAMS
from tests.helpers import do
from tests.helpers import steps
from tests.helpers import task_named


def test_redeploying_identical_content_is_a_no_op(deployed):
    before = deployed.versions()
    results = deployed.deploy(DIAGRAMS, actor="admin")
    assert all(not item.created for item in results)
    assert deployed.versions() == before


def test_only_admins_deploy(org):
    with pytest.raises(NotAllowed):
        org.deploy(DIAGRAMS, actor="city")
    assert org.versions() == []


def test_changed_diagram_gets_a_new_version_and_old_instances_stay_pinned(deployed, tmp_path):
    old = deployed.start("parent", "city", {})
    folder = tmp_path / "v2"
    shutil.copytree(DIAGRAMS, folder)
    child = folder / "child.bpmn"
    child.write_text(child.read_text(encoding="utf-8").replace("子流程填报", "子流程填报（第二版）"), encoding="utf-8")
    results = {item.process_id: item for item in deployed.deploy(folder, actor="admin")}
    # the child changed, and so did the parent, whose bundle includes the child
    assert {pid for pid, item in results.items() if item.created} == {"child", "parent"}
    assert results["parent"].version == 2
    new = deployed.start("parent", "city", {})
    assert task_named(deployed, "city", "child_task", old).name == "子流程填报"
    assert task_named(deployed, "city", "child_task", new).name == "子流程填报（第二版）"
    do(deployed, "city", "child_task", old)
    do(deployed, "city", "after", old)
    assert deployed.instance("admin", old).version == 1
    assert deployed.instance("admin", old).status == "completed"


def test_long_loop_does_not_silently_complete(deployed):
    # 400 passes of a 3-node loop go past SpiffWorkflow's 1000-level query depth.
    instance_id = deployed.start("long_loop", "city", {"passes": 400})
    view = deployed.instance("admin", instance_id)
    assert view.status == "waiting" and steps(deployed, instance_id) == ["finish"]
    do(deployed, "city", "finish", instance_id)
    assert deployed.instance("admin", instance_id).status == "completed"
