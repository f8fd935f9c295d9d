"""The README's production server (gunicorn, ``deploy/gunicorn.conf.py``, two worker processes):
experts score through the API on connections that land on either worker, and after a restart
between the first and the last score; the city's decision step appears each time.
"""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench._support import free_port
from bench._support import wait_until_up
from engine import clock
from party.demo.driver import ProjectDriver
from tests.test_workflows import APPLICANT

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).with_name("gunicorn")
SCORE = {"recuse": False, "score": 85, "opinion": "方案可行，建议立项。"}

pytestmark = pytest.mark.slow


class Server:
    """gunicorn serving ``web:create_app()`` with the README's settings, its clock at the test's."""

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        env = {**os.environ, "DATABASE_URL": self.database_url, "SECRET_KEY": "test-secret",
               "PYTHONPATH": str(ROOT), "DANGJIAN_BIND": f"127.0.0.1:{self.port}", "WEB_WORKERS": "2",
               "WEB_THREADS": "2", "WEB_LOG_LEVEL": "warning", "WEB_ACCESS_LOG": "/dev/null",
               "DANGJIAN_CLOCK": clock.now().isoformat()}
        self.process = subprocess.Popen(
            [str(GUNICORN), "-c", str(ROOT / "deploy" / "gunicorn.conf.py"), "web:create_app()"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if not wait_until_up(self.port):
            self.stop()
            pytest.fail("gunicorn did not answer within 60 s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)

    def score(self, token: str, task_id: int) -> None:
        """One expert's score on a connection of its own (either worker may accept it)."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            connection.request("POST", f"/api/v1/tasks/{task_id}/complete", body=json.dumps({"data": SCORE}),
                               headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json",
                                        "Connection": "close"})
            response = connection.getresponse()
            assert response.status == 200, response.read()[:300]
        finally:
            connection.close()


@pytest.fixture
def server(party: ProjectDriver) -> Iterator[Server]:
    running = Server(party.engine.settings.database_url)
    yield running
    running.stop()


def panel_waiting(party: ProjectDriver) -> int:
    """A project whose three experts have their score sheets; the children were created here."""
    instance_id = party.apply(APPLICANT, "党员党性定期分析试点")
    party.pass_review(APPLICANT, instance_id)
    party.at("2008-04-10")
    party.assign_panel(instance_id)
    return instance_id


def test_experts_scoring_on_either_worker_reach_the_decision(party, server):
    instance_id = panel_waiting(party)
    tokens = {member: party.engine.issue_api_token(member) for member in party.panel}
    server.start()
    for member in party.panel:
        server.score(tokens[member], party.task(member, "panel_score", instance_id).id)
    assert party.steps(instance_id) == ["panel_opinion"]  # the 组长's collective opinion


def test_experts_scoring_across_a_server_restart_reach_the_decision(party, server):
    instance_id = panel_waiting(party)
    tokens = {member: party.engine.issue_api_token(member) for member in party.panel}
    server.start()
    first, *others = party.panel
    server.score(tokens[first], party.task(first, "panel_score", instance_id).id)
    server.stop()
    server.start()
    for member in others:
        server.score(tokens[member], party.task(member, "panel_score", instance_id).id)
    assert party.steps(instance_id) == ["panel_opinion"]  # the 组长's collective opinion
    assert party.engine.instance("admin", instance_id).error_message is None
