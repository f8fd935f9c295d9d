"""Settings that several server processes must agree on: the secret key and the demo clock."""

from __future__ import annotations

import os
import stat
import threading
import time
from datetime import UTC
from datetime import datetime
from datetime import timedelta

from engine import clock
from web.config import kept_secret
from web.config import load_config


def test_the_secret_key_is_generated_once_and_kept(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    first = load_config({"INSTANCE_PATH": str(tmp_path)})["SECRET_KEY"]
    second = load_config({"INSTANCE_PATH": str(tmp_path)})["SECRET_KEY"]  # a restart, another worker
    assert first == second and len(first) == 64
    assert stat.S_IMODE(os.stat(tmp_path / "secret_key").st_mode) == 0o600
    assert load_config({"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "given"})["SECRET_KEY"] == "given"


def test_processes_starting_together_agree_on_the_secret(tmp_path):
    secrets, path = [], tmp_path / "instance" / "secret_key"
    threads = [threading.Thread(target=lambda: secrets.append(kept_secret(path))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(secrets)) == 1 and len(secrets) == 8


def test_every_process_started_from_one_clock_setting_shows_the_same_moment():
    try:
        started = time.time() - 3600  # the setting was written an hour ago; this process starts now
        clock.start_ticking_from(f"2008-12-22T10:00:00+08:00@{started}")
        shown = clock.now()
        expected = datetime(2008, 12, 22, 2, 0, tzinfo=UTC) + timedelta(hours=1)  # 10:00 Beijing, an hour on
        assert abs(shown - expected) < timedelta(seconds=5)
        clock.start_ticking_from("2008-12-22T10:00:00+08:00")  # without a start moment: from now on
        assert abs(clock.now() - datetime(2008, 12, 22, 2, 0, tzinfo=UTC)) < timedelta(seconds=5)
    finally:
        clock.reset()
