"""Model versions: once per content, pinned instances, deep loops, library traps."""

from __future__ import annotations

import shutil
from pathlib import Path

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


def edited_copy(tmp_path: Path, name: str, new_step_name: str) -> Path:
    """A copy of the test diagrams whose child step is renamed."""
    folder = tmp_path / name
    shutil.copytree(DIAGRAMS, folder)
    child = folder / "child.bpmn"
    child.write_text(child.read_text(encoding="utf-8").replace("子流程填报", new_step_name), encoding="utf-8")
    return folder


def test_a_restart_never_supersedes_an_administrators_version(org, tmp_path):
    assert all(item.created for item in org.deploy(DIAGRAMS, actor="system", shipped=True))
    administrators = edited_copy(tmp_path, "admin", "管理员修改的填报")
    org.deploy(administrators, actor="admin")

    # a restart with unchanged shipped files deploys nothing (a plain deploy would make them version 3)
    restart = {item.process_id: item for item in org.deploy(DIAGRAMS, actor="system", shipped=True)}
    assert not any(item.created or item.held for item in restart.values())
    assert restart["child"].version == 2

    # an upgrade changes a shipped file: the administrator's version stays current, and says so
    upgraded = edited_copy(tmp_path, "upgrade", "升级后的填报")
    restart = {item.process_id: item for item in org.deploy(upgraded, actor="system", shipped=True)}
    assert restart["child"].held and not restart["child"].created and restart["child"].version == 2
    instance_id = org.start("parent", "city", {})
    assert task_named(org, "city", "child_task", instance_id).name == "管理员修改的填报"

    # until an administrator deploys the shipped files on purpose
    chosen = {item.process_id: item for item in org.deploy(upgraded, actor="admin")}
    assert chosen["child"].created and chosen["child"].version == 3
    instance_id = org.start("parent", "city", {})
    assert task_named(org, "city", "child_task", instance_id).name == "升级后的填报"


def test_a_changed_shipped_file_deploys_when_no_administrator_changed_the_process(org, tmp_path):
    org.deploy(DIAGRAMS, actor="system", shipped=True)
    upgraded = {item.process_id: item for item in org.deploy(edited_copy(tmp_path, "v2", "升级后的填报"),
                                                                actor="system", shipped=True)}
    assert upgraded["child"].created and upgraded["child"].version == 2
