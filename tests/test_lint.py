"""The lint refuses every class of problem, with file, line and element, and reports them all."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine import Engine
from engine import EngineSettings
from engine.errors import DeploymentRefused
from tests.bpmn_builder import Process
from tests.bpmn_builder import decision_table

GOOD_FORM = {"type": "object", "properties": {"note": {"type": "string"}}}


def linter(tmp_path: Path) -> Engine:
    return Engine(EngineSettings(database_url=f"sqlite:///{tmp_path}/lint.db", forms_dir=tmp_path / "shared_forms"))


def write(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def simple(**kwargs) -> Process:
    """start -> task -> end in a city lane; kwargs tweak the user task."""
    p = Process("simple", "简单", lanes=[("lane_city", kwargs.pop("lane", "市委组织部"))])
    p.start("start", lane="lane_city")
    p.user("task", "办理", "lane_city", form=kwargs.pop("form", "note.json"), **kwargs)
    p.end("end", lane="lane_city")
    p.chain("start", "task", "end")
    return p


def problems(tmp_path: Path, files: dict[str, str]) -> list:
    folder = write(tmp_path / "models", {"note.json": json.dumps(GOOD_FORM), **files})
    return linter(tmp_path).lint_paths([folder])


def codes(found: list) -> set[str]:
    return {problem.code for problem in found}


def test_clean_diagram_has_no_problems(tmp_path):
    assert problems(tmp_path, {"simple.bpmn": simple().to_xml()}) == []


def test_malformed_xml_reports_file_and_line(tmp_path):
    found = problems(tmp_path, {"bad.bpmn": "<?xml version='1.0'?>\n<definitions>\n<process id='x'>\n</definitions>"})
    assert len(found) == 1
    assert Path(found[0].file).name == "bad.bpmn" and found[0].code == "xml" and found[0].line == 4


@pytest.mark.parametrize("payload", [
    # external entity (XXE)
    "<?xml version='1.0'?>\n<!DOCTYPE d [<!ENTITY xxe SYSTEM 'file:///etc/passwd'>]>\n<d>&xxe;</d>",
    # billion laughs
    "<?xml version='1.0'?>\n<!DOCTYPE lolz [<!ENTITY lol 'lol'>"
    + "".join(f"<!ENTITY lol{i} '{('&lol' + str(i - 1) + ';') * 10 if i > 1 else '&lol;' * 10}'>" for i in range(1, 10))
    + "]>\n<lolz>&lol9;</lolz>",
])
def test_entity_attacks_are_refused_not_expanded(tmp_path, payload):
    found = problems(tmp_path, {"evil.bpmn": payload})
    assert [p.code for p in found] == ["xml"]
    assert "DOCTYPE" in found[0].message and found[0].line == 2


def test_xsd_violation(tmp_path):
    xml = simple().to_xml().replace("bpmn:userTask", "bpmn:fooTask")
    found = problems(tmp_path, {"simple.bpmn": xml})
    assert codes(found) == {"schema"} and found[0].line


def test_script_condition_and_mi_syntax_errors_all_reported(tmp_path):
    p = Process("syntax", "语法", lanes=[("lane_city", "市委组织部")])
    p.start("start", lane="lane_city")
    p.script("bad_script", "坏脚本", "x = = 1", "lane_city")
    p.xor("gw", lane="lane_city")
    p.user("score", "评分", "lane_city", form="note.json", multi={"cardinality": "len(panel", "item": "m"})
    p.script("sneaky", "导入", "import os", "lane_city")
    p.end("end", lane="lane_city")
    p.chain("start", "bad_script", "gw")
    p.flow("gw", "score", "decision ==")
    p.flow("gw", "sneaky", default=True)
    p.chain("score", "end")
    p.chain("sneaky", "end")
    found = problems(tmp_path, {"syntax.bpmn": p.to_xml()})
    by_element = {problem.element: problem for problem in found}
    assert set(by_element) == {"bad_script", "flow_gw_score", "score", "sneaky"}
    assert all(problem.line and Path(problem.file).name == "syntax.bpmn" for problem in found)
    assert "import" in by_element["sneaky"].message.lower()


@pytest.mark.parametrize("kind,expression,ok", [
    ("timeDuration", "P7D", True),            # bare, as other modelers write it
    ("timeDuration", '"P7D"', True),
    ("timeCycle", "R4/P3M", True),
    ("timeDate", "2008-06-30T00:00:00+08:00", True),
    ("timeDate", "calendar['mid_year']", True),  # reads the year calendar from data
    ("timeDuration", "P7X", False),
    ("timeDuration", '"7 days"', False),
    ("timeCycle", "R4/", False),
    ("timeDate", "deadline +", False),
])
def test_timer_expressions(tmp_path, kind, expression, ok):
    p = simple()
    p.timer("wait", "等待", kind, expression, "lane_city")
    p.flows = [f for f in p.flows if f.target != "end"]
    p.chain("task", "wait", "end")
    found = problems(tmp_path, {"simple.bpmn": p.to_xml()})
    assert (found == []) is ok, found
    if not ok:
        assert found[0].element == "wait" and found[0].code == "timer"


def test_missing_and_invalid_forms(tmp_path):
    invalid = {"type": "object", "properties": {"x": {"type": "strng"}}}
    p = Process("forms", "表单", lanes=[("lane_city", "市委组织部")])
    p.start("start", lane="lane_city")
    p.user("missing", "缺表单", "lane_city", form="nowhere.json")
    p.user("invalid", "坏表单", "lane_city", form="invalid.json")
    p.user("noform", "无表单", "lane_city")
    p.end("end", lane="lane_city")
    p.chain("start", "missing", "invalid", "noform", "end")
    found = problems(tmp_path, {"forms.bpmn": p.to_xml(), "invalid.json": json.dumps(invalid)})
    assert {(f.element, f.code) for f in found} == {("missing", "form"), ("invalid", "form"), ("noform", "form")}
    from engine.service import Directory
    from web import create_app
    from web.formatting import error_message

    app = create_app({"SECRET_KEY": "lint", "DATABASE_URL": f"sqlite:///{tmp_path}/web.db"})
    with app.test_request_context("/", headers={"Accept-Language": "zh-CN"}):  # as the modeler shows them
        shown = {f.element: error_message(Directory(people={}, units={}), f) for f in found}
    assert shown["missing"] == "未找到表单文件“nowhere.json”"
    assert shown["invalid"].startswith("表单文件“invalid.json”：不是有效的 JSON Schema（位置 properties/x/type）")
    assert shown["noform"] == "用户任务没有 formJsonSchemaFilename 属性"


def test_forms_are_found_beside_the_diagram_then_in_the_forms_folder(tmp_path):
    write(tmp_path / "shared_forms", {"shared.json": json.dumps(GOOD_FORM)})
    folder = write(tmp_path / "models", {"simple.bpmn": simple(form="shared.json").to_xml()})
    assert linter(tmp_path).lint_paths([folder]) == []


def test_unknown_lane_and_role(tmp_path):
    found = problems(tmp_path, {"simple.bpmn": simple(lane="财务科", role="treasurer").to_xml()})
    assert {(f.code, f.element) for f in found} == {("role", "lane_city"), ("role", "task")}


def test_missing_dmn_decision_and_call_target(tmp_path):
    p = Process("refs", "引用", lanes=[("lane_city", "市委组织部")])
    p.start("start", lane="lane_city")
    p.rule("grade", "评级", "no_such_decision", "lane_city")
    p.call("call", "调用", "no_such_process", "lane_city")
    p.end("end", lane="lane_city")
    p.chain("start", "grade", "call", "end")
    found = problems(tmp_path, {"refs.bpmn": p.to_xml()})
    assert {(f.code, f.element) for f in found} == {("dmn", "grade"), ("call_activity", "call")}


def test_dmn_cell_errors(tmp_path):
    dmn = decision_table("grade", "等级", [("分数", "score")], ("等级", "grade"),
                         [([">= 90"], "'优秀'", ""), (["[75..90["], "'良好'", ""), (["-"], "不合格", "")])
    found = problems(tmp_path, {"grade.dmn": dmn})
    assert all(Path(f.file).name == "grade.dmn" and f.line for f in found)
    # A FEEL range, and a result in words that Python would read as a name (NameError when it runs).
    assert {(f.element, f.params.get("language")) for f in found} == {("grade_r1_i0", "FEEL"),
                                                                      ("grade_r2_o", "plain language")}
    assert [f.params["example"] for f in found if f.element == "grade_r2_o"] == ['"合格"']


def test_missing_di_is_reported(tmp_path):
    xml = simple().to_xml()
    start = xml.index("<bpmndi:BPMNDiagram")
    end = xml.index("</bpmndi:BPMNDiagram>") + len("</bpmndi:BPMNDiagram>")
    found = problems(tmp_path, {"simple.bpmn": xml[:start] + xml[end:]})
    assert codes(found) == {"di"} and len(found) == 5  # 3 shapes + 2 edges


def test_spiff_structure_errors_get_element_and_line(tmp_path):
    p = simple()
    p.flows = [f for f in p.flows if f.source != "start"]  # start event goes nowhere
    p.flow("start", "task")
    xml = p.to_xml().replace('targetRef="task"', 'targetRef="ghost"', 1)
    found = problems(tmp_path, {"simple.bpmn": xml})
    assert found and all(Path(f.file).name == "simple.bpmn" for f in found)


def test_deploy_refuses_everything_when_one_file_is_bad(deployed, tmp_path):
    folder = write(tmp_path / "models", {"note.json": json.dumps(GOOD_FORM), "good.bpmn": simple().to_xml(),
                                         "bad.bpmn": "<broken"})
    before = deployed.versions()
    with pytest.raises(DeploymentRefused) as caught:
        deployed.deploy(folder, actor="admin")
    assert [p.file for p in caught.value.problems] == ["bad.bpmn"]
    assert deployed.versions() == before
