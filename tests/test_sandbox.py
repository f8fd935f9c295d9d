"""Everything a diagram evaluates runs restricted and time-limited."""

from __future__ import annotations

import json
import time

import pytest
from sqlalchemy import text

from engine.errors import DeploymentRefused
from engine.persistence.schema import all_tables
from engine.runtime.sandbox import SandboxEnvironment
from engine.runtime.sandbox import SandboxViolation
from engine.runtime.sandbox import ScriptTimeout
from engine.runtime.sandbox import check_syntax
from tests.bpmn_builder import Process

# The attacks of the SpiffWorkflow notes, as scripts a diagram author could write.
COMPILE_TIME_REFUSED = [
    "import os",
    "from os import environ",
    "__import__('os').system('id')",
    "x = ().__class__.__base__.__subclasses__()",
    "x = [c for c in ().__class__.__mro__]",
    "x = (lambda: 0).__globals__",
    "x = type.__subclasses__(type)",
    "try:\n    x = 1\nexcept Exception:\n    pass",
    "x = eval('1')",
]
RUN_TIME_REFUSED = [
    ("x = open('/etc/passwd').read()", NameError),
    ("x = getattr((), '__class__')", NameError),
    ("x = '{0.__class__}'.format(1)", NotImplementedError),
    ("x = exec", NameError),
    ("x = globals()", NameError),
    ("x = vars()", NameError),
    ("x = 10 ** 10 ** 8", SandboxViolation),
    ("x = 'a' * 10 ** 9", SandboxViolation),
    ("x = [0] * 10 ** 9", SandboxViolation),
    ("x = [1]\nwhile True:\n    x = x + x", SandboxViolation),
    ("x = 1 << 10 ** 9", SandboxViolation),
    ("x = list(range(10 ** 9))", SandboxViolation),
]


@pytest.mark.parametrize("script", COMPILE_TIME_REFUSED)
def test_refused_when_compiled(script):
    assert check_syntax(script, "exec") is not None


@pytest.mark.parametrize("script,error", RUN_TIME_REFUSED)
def test_refused_when_run(script, error):
    with pytest.raises(error):
        SandboxEnvironment().execute(script, {})


@pytest.mark.parametrize("script", ["while True:\n    pass", "x = 0\nwhile True:\n    x += 1",
                                    "def f(n):\n    return sum([i for i in range(100000)]) + f(n)\nf(1)",
                                    "x = [i for i in range(100000) for j in range(100000)]"])
def test_endless_work_is_stopped_by_the_cpu_budget(script):
    started = time.monotonic()
    with pytest.raises((ScriptTimeout, RecursionError)):
        SandboxEnvironment(cpu_seconds=0.3).execute(script, {})
    assert time.monotonic() - started < 5


def test_ordinary_scripts_and_helpers_work():
    env = SandboxEnvironment({"mean": lambda v: sum(v) / len(v)})
    context = {"scores": [{"score": 90}, {"score": 80, "recuse": True}], "n": 1}
    env.execute("valid = [s['score'] for s in scores if not s.get('recuse')]\navg = mean(valid)\nn += 1\n"
                "grades = {'a': max(valid), 'b': round(avg / 3, 2)}", context)
    assert context["avg"] == 90 and context["n"] == 2 and context["grades"] == {"a": 90, "b": 30.0}
    assert env.evaluate("avg >= 60 and len(scores) == 2", context) is True


def test_scripts_cannot_mutate_earlier_data_in_place():
    shared = [1, 2]
    context = {"items": shared}
    SandboxEnvironment().execute("items.append(3)", context)
    assert context["items"] == [1, 2, 3] and shared == [1, 2]


def _malicious(tmp_path, script: str) -> Process:
    p = Process("malicious", "恶意流程", lanes=[("lane_city", "市委组织部")])
    p.start("start", lane="lane_city")
    p.script("steal", "窃取", script, "lane_city")
    p.user("after", "之后", "lane_city", form="note.json")
    p.end("end", lane="lane_city")
    p.chain("start", "steal", "after", "end")
    return p


@pytest.mark.parametrize("script", [
    "secret = open(SECRET_FILE).read()",
    "secret = getattr(getattr(getattr, 'mro', None), 'x')",
    "secret = str(SECRET_FILE.__class__)",
    "secret = [k for k in environ]",
])
def test_malicious_diagram_reads_nothing_and_stores_no_secret(deployed, tmp_path, monkeypatch, script):
    secret = "TOP-SECRET-7f3a9c"
    secret_file = tmp_path / "secret.txt"
    secret_file.write_text(secret)
    monkeypatch.setenv("DANGJIAN_TEST_SECRET", secret)
    folder = tmp_path / "evil"
    folder.mkdir()
    (folder / "note.json").write_text(json.dumps({"type": "object", "properties": {}}))
    (folder / "malicious.bpmn").write_text(_malicious(tmp_path, script).to_xml())
    try:
        deployed.deploy(folder, actor="admin")
    except DeploymentRefused:
        return  # refused at the door: nothing ran
    instance_id = deployed.start("malicious", "city", {"SECRET_FILE": str(secret_file)})
    view = deployed.instance("admin", instance_id)
    assert view.status == "error" and view.error_element == "steal"
    with deployed.db.read() as session:
        for table in all_tables().sorted_tables:
            for row in session.execute(text(f'SELECT * FROM "{table.name}"')):
                assert secret not in repr(tuple(row))


def test_endless_loop_in_a_diagram_puts_the_instance_in_error(deployed, tmp_path):
    folder = tmp_path / "loop"
    folder.mkdir()
    (folder / "note.json").write_text(json.dumps({"type": "object", "properties": {}}))
    (folder / "malicious.bpmn").write_text(_malicious(tmp_path, "x = 0\nwhile True:\n    x += 1").to_xml())
    deployed.deploy(folder, actor="admin")
    started = time.monotonic()
    instance_id = deployed.start("malicious", "city", {})
    assert time.monotonic() - started < 10
    view = deployed.instance("admin", instance_id)
    assert view.status == "error" and "CPU" in view.error_message
